// SPDX-License-Identifier: Apache-2.0
// The issuance authority and card maintenance end to end, with the real parts (docs/bank.md §5 "Tests", §9.5): a
// private PostgreSQL cluster, a SoftHSM2 token (golden-vector MLK/MTK, the other masters generated, the development
// manufacturer key), skey-bank over HTTPS with a branch station's and a wallet's client certificates, and a blank
// simulated key (skey-sim, a child process over loopback UDP) whose KT skey-sim derived from the development
// manufacturer key and its serial. The test is the station: it relays each card challenge to the bank and each
// returned APDU to the key, never holding a key itself.
#include "bank/support/BankRig.h"
#include "bank/support/CheckOk.h"

#include "core/apdu/CommandApdu.h"
#include "core/crypto/Bytes.h"
#include "device/EmbeddedSimulator.h"
#include "device/HidApduChannel.h"

#include <httplib.h>

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <QUuid>

#include <cstdio>
#include <map>

using namespace wallet;
using namespace wallet::bank::test;

namespace {

const QString kTellerPassword = QStringLiteral("teller long passphrase 1");
const QString kTeller2Password = QStringLiteral("second teller passphrase");
const QString kSupervisorPassword = QStringLiteral("supervisor passphrase 22");
const QString kPin = QStringLiteral("123456");
const QByteArray kWalletTerminal = QByteArray::fromHex("112233445566");

struct Answer
{
    int status = 0;
    QJsonObject json;
    std::string contentType;
};

QString newKey()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

QString hex(const QByteArray& b)
{
    return QString::fromLatin1(b.toHex().toUpper());
}

QString swHex(std::uint16_t sw)
{
    return QStringLiteral("%1").arg(sw, 4, 16, QLatin1Char('0')).toUpper();
}

QJsonObject profile()
{
    return QJsonObject{{QStringLiteral("algorithm"), QStringLiteral("3des")},
        {QStringLiteral("maxBalance"), 1000000},
        {QStringLiteral("noPinLimit"), 0},
        {QStringLiteral("purchaseNeedsTouch"), false}};
}

QJsonObject customer()
{
    return QJsonObject{{QStringLiteral("name"), QStringLiteral("张三")},
        {QStringLiteral("idType"), 0},
        {QStringLiteral("idNumber"), QStringLiteral("11010519491231002X")},
        {QStringLiteral("phone"), QStringLiteral("+8613800138000")}};
}

} // namespace

class TestBankIssuance : public QObject
{
    Q_OBJECT

private:
    BankRig m_rig;
    QTemporaryDir m_simDir;
    std::unique_ptr<device::EmbeddedSimulator> m_sim;
    std::unique_ptr<device::HidApduChannel> m_key;
    QString m_token; ///< the teller's session
    QString m_asn; ///< the key issued by issueBlankKeyAndLoad

    /// One kept-alive client per certificate, as a station keeps its connection to the bank.
    mutable std::map<QString, std::unique_ptr<httplib::SSLClient>> m_clients;

    [[nodiscard]] httplib::SSLClient* client(const QString& certificate) const
    {
        auto& kept = m_clients[certificate];
        if (!kept) {
            kept = makeClient(certificate);
            kept->set_keep_alive(true);
        }
        return kept.get();
    }

    [[nodiscard]] std::unique_ptr<httplib::SSLClient> makeClient(const QString& certificate) const
    {
        auto c = std::make_unique<httplib::SSLClient>("127.0.0.1",
            m_rig.port(),
            m_rig.tlsPath(certificate + QStringLiteral(".pem")).toStdString(),
            m_rig.tlsPath(certificate + QStringLiteral(".key")).toStdString());
        c->set_ca_cert_path(m_rig.tlsPath(QStringLiteral("ca.pem")).toStdString().c_str());
        c->enable_server_certificate_verification(true);
        c->set_read_timeout(30, 0);
        return c;
    }

    static Answer answer(const httplib::Result& res)
    {
        Answer a;
        if (res) {
            a.status = res->status;
            a.json = QJsonDocument::fromJson(QByteArray::fromStdString(res->body)).object();
            a.contentType = res->get_header_value("Content-Type");
        }
        return a;
    }

    /// A POST from the branch station (with the teller's session unless `token` says otherwise) or another terminal.
    Answer post(const QString& path,
        const QJsonObject& body,
        const QString& certificate = QStringLiteral("branch"),
        std::optional<QString> token = std::nullopt) const
    {
        httplib::Headers h{{"Idempotency-Key", newKey().toStdString()}};
        const QString t = token.value_or(m_token);
        if (!t.isEmpty()) {
            h.emplace("Authorization", "Bearer " + t.toStdString());
        }
        const std::string json = QJsonDocument(body).toJson(QJsonDocument::Compact).toStdString();
        auto res = client(certificate)->Post(path.toStdString().c_str(), h, json, "application/json");
        if (!res) {
            // The kept-alive connection was closed by the server (5 s idle): a new connection, the same request
            // id, as any terminal retries (exactly once, docs/bank.md §6.1).
            m_clients.erase(certificate);
            res = client(certificate)->Post(path.toStdString().c_str(), h, json, "application/json");
        }
        return answer(res);
    }

    Answer get(const QString& path, const QString& certificate = QStringLiteral("branch")) const
    {
        httplib::Headers h;
        if (!m_token.isEmpty()) {
            h.emplace("Authorization", "Bearer " + m_token.toStdString());
        }
        auto res = client(certificate)->Get(path.toStdString().c_str(), h);
        if (!res) {
            m_clients.erase(certificate); // closed while idle: a new connection
            res = client(certificate)->Get(path.toStdString().c_str(), h);
        }
        return answer(res);
    }

    QString signIn(const QString& username, const QString& password, int expectStatus = 201)
    {
        const Answer a = post(QStringLiteral("/v1/staff/sessions"),
            QJsonObject{{QStringLiteral("username"), username}, {QStringLiteral("password"), password}},
            QStringLiteral("branch"),
            QString());
        if (a.status != expectStatus) {
            qWarning("sign-in %s: %d %s", qPrintable(username), a.status, QJsonDocument(a.json).toJson().constData());
        }
        return a.json.value(QStringLiteral("token")).toString();
    }

    /// One APDU to the simulated key: data ‖ SW as the station sees it.
    std::pair<QByteArray, std::uint16_t> send(const QByteArray& raw)
    {
        // Parse a ready APDU: header, Lc, data, optional Le; or a case-2 command (header, Le).
        const auto b = [&](int i) { return static_cast<std::uint8_t>(raw.at(i)); };
        std::optional<core::CommandApdu> c;
        if (raw.size() == 5) {
            c.emplace(b(0), b(1), b(2), b(3), QByteArray(), b(4));
        } else if (raw.size() == 5 + b(4) + 1) {
            c.emplace(b(0), b(1), b(2), b(3), raw.mid(5, b(4)), b(5 + b(4)) == 0 ? 256 : b(5 + b(4)));
        } else {
            c.emplace(b(0), b(1), b(2), b(3), raw.mid(5, b(4)));
        }
        auto r = m_key->transmit(*c);
        if (!r) {
            return {{}, 0};
        }
        return {r->data(), r->sw()};
    }

    QByteArray challenge(int n)
    {
        auto [data, sw] = send(QByteArray::fromHex(n == 8 ? "0084000008" : "0084000004"));
        return sw == 0x9000 ? data : QByteArray();
    }

    /// GET DATA (spec §6): the TLV value of `tag`.
    QByteArray deviceInfo(std::uint8_t tag)
    {
        auto [data, sw] = send(QByteArray::fromHex("80CA000100"));
        for (int i = 0; sw == 0x9000 && i + 2 <= data.size();) {
            const auto t = static_cast<std::uint8_t>(data.at(i));
            const int len = static_cast<std::uint8_t>(data.at(i + 1));
            if (t == tag) {
                return data.mid(i + 2, len);
            }
            i += 2 + len;
        }
        return {};
    }

    /// Starts a blank simulated key; `kt` empty = skey-sim derives it from the development manufacturer key.
    QString startKey(const QString& kt, const QString& serial)
    {
        m_key.reset();
        m_sim.reset();
        device::SimulatorOptions o;
        o.dataDirectory = m_simDir.filePath(serial);
        o.serialHex = serial;
        o.transportKeyHex = kt;
        m_sim = std::make_unique<device::EmbeddedSimulator>(o);
        if (auto s = m_sim->start(); !s) {
            return s.error().detail;
        }
        m_key = m_sim->makeChannel();
        return {};
    }

    /// Runs the issuance job's 19 steps through the key. Returns the status word of the first refused step
    /// (0x9000 when all passed) and the step it happened at.
    std::pair<std::uint16_t, int> personalise(const QString& jobId)
    {
        std::uint16_t previous = 0x9000;
        for (int step = 1; step <= 19; ++step) {
            const QByteArray rnd = challenge(8);
            if (rnd.size() != 8) {
                return {0, step};
            }
            QJsonObject body{{QStringLiteral("step"), step}, {QStringLiteral("challenge"), hex(rnd)}};
            if (step > 1) {
                body.insert(QStringLiteral("previousStatusWord"), swHex(previous));
            }
            if (step == 10) {
                body.insert(QStringLiteral("pin"), kPin); // typed by the customer at the pad
            }
            const Answer a = post(QStringLiteral("/v1/issuance/jobs/%1/steps").arg(jobId), body);
            if (a.status != 200) {
                qWarning("step %d: %d %s", step, a.status, QJsonDocument(a.json).toJson().constData());
                return {0, step};
            }
            const auto [data, sw]
                = send(QByteArray::fromHex(a.json.value(QStringLiteral("apdu")).toString().toLatin1()));
            previous = sw;
            if (sw != 0x9000) {
                return {sw, step};
            }
        }
        return {0x9000, 19};
    }

    int countRows(const std::string& sql, const std::vector<std::optional<std::string>>& params = {})
    {
        auto r = m_rig.db().exec(sql, params);
        return r && r->rows() == 1 ? static_cast<int>(r->integer(0, 0)) : -1;
    }

    bool staffAdd(const QString& user, const QString& role, const QString& password)
    {
        const QString why = m_rig.addStaff(user, role, password);
        if (!why.isEmpty()) {
            qWarning("%s", qPrintable(why));
        }
        return why.isEmpty();
    }

    /// SELECT, VERIFY PIN, INITIALIZE FOR LOAD, the bank's authorisation, CREDIT FOR LOAD, confirmation. Returns
    /// the authorisation's answer when it is refused, else the confirmation's.
    Answer loadOnce(int amount, const QString& pin = kPin)
    {
        auto [fci, selSw] = send(QByteArray::fromHex("00A404000AD15600000145442F4550"));
        if (selSw != 0x9000) {
            qWarning("load: SELECT answered %s", qPrintable(swHex(selSw)));
            return {};
        }
        auto [v, pinSw] = send(QByteArray::fromHex("0020000003") + QByteArray::fromHex(pin.toLatin1()));
        if (pinSw != 0x9000) {
            qWarning("load: VERIFY answered %s", qPrintable(swHex(pinSw)));
            return {};
        }
        QByteArray init = QByteArray::fromHex("805000020B01");
        QByteArray amt;
        core::appendU32(amt, static_cast<std::uint32_t>(amount));
        init += amt + kWalletTerminal + QByteArray::fromHex("10");
        auto [r, initSw] = send(init);
        if (initSw != 0x9000 || r.size() != 16) {
            qWarning("load: INITIALIZE answered %s (%d bytes)", qPrintable(swHex(initSw)), static_cast<int>(r.size()));
            return {};
        }
        const Answer auth = post(QStringLiteral("/v1/loads"),
            QJsonObject{{QStringLiteral("asn"), m_asn},
                {QStringLiteral("algorithm"), QStringLiteral("3des")},
                {QStringLiteral("keyIndex"), 1},
                {QStringLiteral("keyVersion"), static_cast<int>(static_cast<std::uint8_t>(r.at(6)))},
                {QStringLiteral("balanceBefore"), static_cast<qint64>(core::readU32(r, 0))},
                {QStringLiteral("amount"), amount},
                {QStringLiteral("onlineAtc"), static_cast<int>(core::readU16(r, 4))},
                {QStringLiteral("random"), hex(r.mid(8, 4))},
                {QStringLiteral("mac1"), hex(r.mid(12, 4))},
                {QStringLiteral("terminalId"), hex(kWalletTerminal)}},
            QStringLiteral("client"),
            QString());
        if (auth.status != 201) {
            return auth;
        }
        auto [tac, creditSw]
            = send(QByteArray::fromHex(auth.json.value(QStringLiteral("creditApdu")).toString().toLatin1()));
        if (creditSw != 0x9000) {
            qWarning("load: CREDIT answered %s", qPrintable(swHex(creditSw)));
            return {};
        }
        return post(
            QStringLiteral("/v1/loads/%1/confirmation").arg(auth.json.value(QStringLiteral("loadId")).toString()),
            QJsonObject{{QStringLiteral("tac"), hex(tac)}, {QStringLiteral("source"), QStringLiteral("credit")}},
            QStringLiteral("client"),
            QString());
    }

private slots:
    void initTestCase()
    {
        if (auto missing = BankRig::missingPart()) {
            QSKIP(qPrintable(QStringLiteral("not on this machine: ") + *missing));
        }
        QVERIFY(m_simDir.isValid());
        const QString up = m_rig.setUp();
        QVERIFY2(up.isEmpty(), qPrintable(up));
        QString out;
        QCOMPARE(m_rig.bankctl({QStringLiteral("keys"), QStringLiteral("init")}, &out), 0);
        QCOMPARE(m_rig.bankctl(
                     {QStringLiteral("keys"), QStringLiteral("manufacturer"), QStringLiteral("--development")}, &out),
            0);
        QVERIFY2(out.contains(QStringLiteral("mkt.v1: imported")), qPrintable(out));
        // Staff, passwords on stdin (never in argv); see staffAdd().
        QVERIFY(staffAdd(QStringLiteral("li.teller"), QStringLiteral("teller"), kTellerPassword));
        QVERIFY(staffAdd(QStringLiteral("zhao.teller"), QStringLiteral("teller"), kTeller2Password));
        QVERIFY(staffAdd(QStringLiteral("wang.supervisor"), QStringLiteral("supervisor"), kSupervisorPassword));
        auto stored = m_rig.db().exec("SELECT password_hash FROM staff WHERE username = 'li.teller'");
        QVERIFY(stored && stored->rows() == 1);
        QVERIFY(QString::fromStdString(stored->text(0, 0)).startsWith(QStringLiteral("argon2id$")));
        QVERIFY(!QString::fromStdString(stored->text(0, 0)).contains(kTellerPassword));
        const QString started = m_rig.startServer();
        QVERIFY2(started.isEmpty(), qPrintable(started));
    }

    void staffSignInAndTimeout()
    {
        // A wrong password: 401, counted; the password is never stored.
        const Answer wrong = post(QStringLiteral("/v1/staff/sessions"),
            QJsonObject{{QStringLiteral("username"), QStringLiteral("li.teller")},
                {QStringLiteral("password"), QStringLiteral("not the right one")}},
            QStringLiteral("branch"),
            QString());
        QCOMPARE(wrong.status, 401);
        QCOMPARE(wrong.contentType, std::string("application/problem+json"));
        QCOMPARE(wrong.json.value(QStringLiteral("code")).toString(), QStringLiteral("credentials-invalid"));
        QCOMPARE(countRows("SELECT failed_attempts FROM staff WHERE username = 'li.teller'"), 1);
        QCOMPARE(countRows("SELECT count(*) FROM staff_sessions"), 0);
        // Staff sign in only at a branch station.
        const Answer wallet = post(QStringLiteral("/v1/staff/sessions"),
            QJsonObject{{QStringLiteral("username"), QStringLiteral("li.teller")},
                {QStringLiteral("password"), kTellerPassword}},
            QStringLiteral("client"),
            QString());
        QCOMPARE(wallet.status, 403);
        // The right password: a session bound to this station.
        m_token = signIn(QStringLiteral("li.teller"), kTellerPassword);
        QCOMPARE(m_token.size(), 43);
        QCOMPARE(countRows("SELECT failed_attempts FROM staff WHERE username = 'li.teller'"), 0);
        Answer current = get(QStringLiteral("/v1/staff/sessions/current"));
        QCOMPARE(current.status, 200);
        QCOMPARE(current.json.value(QStringLiteral("role")).toString(), QStringLiteral("teller"));
        QCOMPARE(current.json.value(QStringLiteral("stationTerminalId")).toString(), QStringLiteral("223344556677"));
        // Idle 10 minutes (moved in the database, not waited for): the session is over.
        QVERIFY(m_rig.db().exec("UPDATE staff_sessions SET last_seen_at = last_seen_at - 600000001").ok());
        current = get(QStringLiteral("/v1/staff/sessions/current"));
        QCOMPARE(current.status, 401);
        QCOMPARE(current.json.value(QStringLiteral("code")).toString(), QStringLiteral("session-expired"));
        const Answer job = post(QStringLiteral("/v1/issuance/jobs"),
            QJsonObject{{QStringLiteral("deviceSerial"), QStringLiteral("534B0000000000AA")},
                {QStringLiteral("customer"), customer()},
                {QStringLiteral("profile"), profile()}});
        QCOMPARE(job.status, 401);
        QCOMPARE(countRows("SELECT count(*) FROM issuance_jobs"), 0);
        m_token = signIn(QStringLiteral("li.teller"), kTellerPassword);
        QCOMPARE(m_token.size(), 43);
    }

    void issueBlankKeyAndLoad()
    {
        const QString started = startKey({}, QStringLiteral("534B000000000001"));
        QVERIFY2(started.isEmpty(), qPrintable(started));
        const QByteArray serial = deviceInfo(0xC1);
        QCOMPARE(hex(serial), QStringLiteral("534B000000000001"));
        QCOMPARE(hex(deviceInfo(0xC3)), QStringLiteral("00")); // blank

        Answer job = post(QStringLiteral("/v1/issuance/jobs"),
            QJsonObject{{QStringLiteral("deviceSerial"), hex(serial)},
                {QStringLiteral("customer"), customer()},
                {QStringLiteral("profile"), profile()}});
        QCOMPARE(job.status, 201);
        const QString jobId = job.json.value(QStringLiteral("jobId")).toString();
        m_asn = job.json.value(QStringLiteral("asn")).toString();
        QVERIFY(m_asn.startsWith(QStringLiteral("8860")));
        // One job per device serial: asking again answers the same job.
        const Answer again = post(QStringLiteral("/v1/issuance/jobs"),
            QJsonObject{{QStringLiteral("deviceSerial"), hex(serial)},
                {QStringLiteral("customer"), customer()},
                {QStringLiteral("profile"), profile()}});
        QCOMPARE(again.status, 200);
        QCOMPARE(again.json.value(QStringLiteral("jobId")).toString(), jobId);
        // Steps out of order are refused.
        const Answer early = post(QStringLiteral("/v1/issuance/jobs/%1/steps").arg(jobId),
            QJsonObject{{QStringLiteral("step"), 5},
                {QStringLiteral("challenge"), QStringLiteral("0102030405060708")},
                {QStringLiteral("previousStatusWord"), QStringLiteral("9000")}});
        QCOMPARE(early.status, 409);
        QCOMPARE(early.json.value(QStringLiteral("code")).toString(), QStringLiteral("step-out-of-order"));

        QElapsedTimer timer; // a figure for docs/bank.md §14, printed, never asserted
        timer.start();
        const auto [sw, at] = personalise(jobId);
        qInfo("figure: 19 personalisation steps (GET CHALLENGE, bank step over HTTPS, APDU to the key) took %lld ms",
            static_cast<long long>(timer.elapsed()));
        QVERIFY2(sw == 0x9000, qPrintable(QStringLiteral("step %1 answered %2").arg(at).arg(swHex(sw))));
        QCOMPARE(hex(deviceInfo(0xC3)), QStringLiteral("01")); // personalised
        QCOMPARE(countRows("SELECT count(*) FROM cards WHERE asn = $1", {m_asn.toStdString()}), 0);
        auto [sfi15, readSw] = send(QByteArray::fromHex("00B095001E"));
        QCOMPARE(readSw, std::uint16_t(0x9000));
        const Answer done = post(QStringLiteral("/v1/issuance/jobs/%1/completion").arg(jobId),
            QJsonObject{{QStringLiteral("statusWord"), QStringLiteral("9000")},
                {QStringLiteral("lifeCycle"), QStringLiteral("01")},
                {QStringLiteral("sfi15"), hex(sfi15)}});
        QCOMPARE(done.status, 200);
        QCOMPARE(done.json.value(QStringLiteral("state")).toString(), QStringLiteral("completed"));
        QCOMPARE(countRows("SELECT count(*) FROM cards WHERE asn = $1 AND state = 'active' AND device_serial = $2",
                     {m_asn.toStdString(), hex(serial).toStdString()}),
            1);
        // The PIN crossed only inside TLS: nothing in the database holds it.
        QCOMPARE(countRows("SELECT count(*) FROM idempotency WHERE response LIKE '%123456%'"), 0);
        // The same serial cannot be issued twice.
        const Answer twice = post(QStringLiteral("/v1/issuance/jobs"),
            QJsonObject{{QStringLiteral("deviceSerial"), hex(serial)},
                {QStringLiteral("customer"), customer()},
                {QStringLiteral("profile"), profile()}});
        QCOMPARE(twice.status, 409);
        QCOMPARE(twice.json.value(QStringLiteral("code")).toString(), QStringLiteral("device-already-issued"));

        // A load on the new key through the bank (its keys were derived in the HSM from the same masters).
        QString out;
        QCOMPARE(m_rig.bankctl({QStringLiteral("accounts"),
                                   QStringLiteral("deposit"),
                                   QStringLiteral("--asn"),
                                   m_asn,
                                   QStringLiteral("--amount"),
                                   QStringLiteral("5000"),
                                   QStringLiteral("--reference"),
                                   QStringLiteral("counter-1")},
                     &out),
            0);
        QCOMPARE(loadOnce(1000).status, 200);
        auto [balance, balanceSw] = send(QByteArray::fromHex("805C000204"));
        QCOMPARE(balanceSw, std::uint16_t(0x9000));
        QCOMPARE(hex(balance), QStringLiteral("000003E8"));
    }

    void developmentTransportKeyRefused()
    {
        // A key that carries the spec's development KT (4B54…), as skey-sim's tests use it, is not a key this
        // bank's manufacturer made: EXTERNAL AUTHENTICATE under its derived KT fails, and nothing is issued.
        const QString started
            = startKey(QStringLiteral("4B544B544B544B544B544B544B544B54"), QStringLiteral("534B000000000002"));
        QVERIFY2(started.isEmpty(), qPrintable(started));
        // Self-service demo issuance exists only on a `--local-demo` bank (docs/bank.md §12): here a cardholder's
        // wallet may not open a job for a blank simulated key of the development lot, even without a session.
        const Answer self = post(QStringLiteral("/v1/issuance/jobs"),
            QJsonObject{{QStringLiteral("deviceSerial"), QStringLiteral("534B000000000002")},
                {QStringLiteral("customer"), customer()},
                {QStringLiteral("profile"), profile()}},
            QStringLiteral("client"),
            QString());
        QCOMPARE(self.status, 403);
        QCOMPARE(self.json.value(QStringLiteral("code")).toString(), QStringLiteral("role-forbidden"));
        QCOMPARE(countRows("SELECT count(*) FROM issuance_jobs WHERE device_serial = '534B000000000002'"), 0);
        const Answer job = post(QStringLiteral("/v1/issuance/jobs"),
            QJsonObject{{QStringLiteral("deviceSerial"), QStringLiteral("534B000000000002")},
                {QStringLiteral("customer"), customer()},
                {QStringLiteral("profile"), profile()}});
        QCOMPARE(job.status, 201);
        const QString jobId = job.json.value(QStringLiteral("jobId")).toString();
        const auto [sw, at] = personalise(jobId);
        QCOMPARE(at, 1);
        QVERIFY2(sw != 0x9000 && sw != 0, qPrintable(swHex(sw)));
        // The station reports the refusal with the next step: the job fails with the key's word.
        const Answer next = post(QStringLiteral("/v1/issuance/jobs/%1/steps").arg(jobId),
            QJsonObject{{QStringLiteral("step"), 2},
                {QStringLiteral("challenge"), hex(challenge(8))},
                {QStringLiteral("previousStatusWord"), swHex(sw)}});
        QCOMPARE(next.status, 409);
        QCOMPARE(next.json.value(QStringLiteral("code")).toString(), QStringLiteral("step-failed"));
        const Answer state = get(QStringLiteral("/v1/issuance/jobs/%1").arg(jobId));
        QCOMPARE(state.json.value(QStringLiteral("state")).toString(), QStringLiteral("failed"));
        QCOMPARE(state.json.value(QStringLiteral("failure")).toObject().value(QStringLiteral("statusWord")).toString(),
            swHex(sw));
        QCOMPARE(hex(deviceInfo(0xC3)), QStringLiteral("00")); // still blank
        QCOMPARE(countRows("SELECT count(*) FROM cards WHERE device_serial = '534B000000000002'"), 0);
        // Back to the issued key for the next cases.
        const QString back = startKey({}, QStringLiteral("534B000000000001"));
        QVERIFY2(back.isEmpty(), qPrintable(back));
        QCOMPARE(hex(deviceInfo(0xC3)), QStringLiteral("01"));
    }

    void maintenanceAcceptedByTheKey()
    {
        QVERIFY(!m_asn.isEmpty());
        const QString back = startKey({}, QStringLiteral("534B000000000001"));
        QVERIFY2(back.isEmpty(), qPrintable(back));
        QCOMPARE(send(QByteArray::fromHex("00A404000AD15600000145442F4550")).second, std::uint16_t(0x9000));
        // Block the PIN: three wrong tries.
        std::uint16_t sw = 0;
        for (int i = 0; i < 3; ++i) {
            sw = send(QByteArray::fromHex("0020000003999999")).second;
        }
        QCOMPARE(swHex(sw), QStringLiteral("63C0")); // the third wrong PIN leaves no try
        QCOMPARE(swHex(send(QByteArray::fromHex("0020000003123456")).second), QStringLiteral("6983")); // blocked
        // PIN UNBLOCK from the bank for the key's challenge, with the current PIN.
        const QByteArray rnd = challenge(4);
        QCOMPARE(rnd.size(), 4);
        // At a branch, only after the ID check, which the bank records (document type, staff, time; no number).
        const Answer unchecked = post(QStringLiteral("/v1/cards/%1/maintenance/pin-unblock").arg(m_asn),
            QJsonObject{{QStringLiteral("challenge"), hex(rnd)}, {QStringLiteral("pin"), kPin}});
        QCOMPARE(unchecked.status, 422);
        QCOMPARE(unchecked.json.value(QStringLiteral("code")).toString(), QStringLiteral("id-check-required"));
        const Answer cmd = post(QStringLiteral("/v1/cards/%1/maintenance/pin-unblock").arg(m_asn),
            QJsonObject{{QStringLiteral("challenge"), hex(rnd)},
                {QStringLiteral("pin"), kPin},
                {QStringLiteral("idCheck"), QJsonObject{{QStringLiteral("document"), QStringLiteral("passport")}}}});
        QCOMPARE(cmd.status, 201);
        QCOMPARE(cmd.json.value(QStringLiteral("idCheck")).toObject().value(QStringLiteral("document")).toString(),
            QStringLiteral("passport"));
        QCOMPARE(countRows("SELECT count(*) FROM maintenance_commands WHERE operation = 'pin-unblock' AND id_document ="
                           " 'passport' AND id_checked_at IS NOT NULL AND staff_id IS NOT NULL"),
            1);
        QCOMPARE(countRows("SELECT count(*) FROM audit_log WHERE action = 'maintenance.pin-unblock' AND detail ="
                           " 'ID checked: passport'"),
            1);
        QVERIFY(cmd.json.value(QStringLiteral("sensitive")).toBool());
        QVERIFY(!cmd.json.value(QStringLiteral("apdu")).toString().contains(kPin));
        sw = send(QByteArray::fromHex(cmd.json.value(QStringLiteral("apdu")).toString().toLatin1())).second;
        QCOMPARE(swHex(sw), QStringLiteral("9000"));
        const Answer outcome = post(QStringLiteral("/v1/maintenance-commands/%1/outcome")
                                        .arg(cmd.json.value(QStringLiteral("commandId")).toString()),
            QJsonObject{{QStringLiteral("statusWord"), swHex(sw)}});
        QCOMPARE(outcome.status, 200);
        QCOMPARE(outcome.json.value(QStringLiteral("outcome")).toString(), QStringLiteral("9000"));
        QCOMPARE(send(QByteArray::fromHex("0020000003123456")).second, std::uint16_t(0x9000));

        // A temporary APPLICATION BLOCK asked by the cardholder's own wallet (no staff session), then loads are
        // refused; APPLICATION UNBLOCK at the branch.
        const Answer block = post(QStringLiteral("/v1/cards/%1/maintenance/application-block").arg(m_asn),
            QJsonObject{{QStringLiteral("challenge"), hex(challenge(4))}, {QStringLiteral("permanent"), false}},
            QStringLiteral("client"),
            QString());
        QCOMPARE(block.status, 201);
        QCOMPARE(send(QByteArray::fromHex(block.json.value(QStringLiteral("apdu")).toString().toLatin1())).second,
            std::uint16_t(0x9000));
        QCOMPARE(post(QStringLiteral("/v1/maintenance-commands/%1/outcome")
                          .arg(block.json.value(QStringLiteral("commandId")).toString()),
                     QJsonObject{{QStringLiteral("statusWord"), QStringLiteral("9000")}},
                     QStringLiteral("client"),
                     QString())
                     .json.value(QStringLiteral("cardState"))
                     .toString(),
            QStringLiteral("blocked"));
        QCOMPARE(send(QByteArray::fromHex("00A404000AD15600000145442F4550")).second, std::uint16_t(0x6A81));
        // The wallet may not unblock.
        QCOMPARE(post(QStringLiteral("/v1/cards/%1/maintenance/application-unblock").arg(m_asn),
                     QJsonObject{{QStringLiteral("challenge"), hex(challenge(4))}},
                     QStringLiteral("client"),
                     QString())
                     .status,
            403);
        const Answer unblock = post(QStringLiteral("/v1/cards/%1/maintenance/application-unblock").arg(m_asn),
            QJsonObject{{QStringLiteral("challenge"), hex(challenge(4))}});
        QCOMPARE(unblock.status, 201);
        QCOMPARE(send(QByteArray::fromHex(unblock.json.value(QStringLiteral("apdu")).toString().toLatin1())).second,
            std::uint16_t(0x9000));
        QCOMPARE(post(QStringLiteral("/v1/maintenance-commands/%1/outcome")
                          .arg(unblock.json.value(QStringLiteral("commandId")).toString()),
                     QJsonObject{{QStringLiteral("statusWord"), QStringLiteral("9000")}})
                     .json.value(QStringLiteral("cardState"))
                     .toString(),
            QStringLiteral("active"));
        QCOMPARE(send(QByteArray::fromHex("00A404000AD15600000145442F4550")).second, std::uint16_t(0x9000));
        QCOMPARE(loadOnce(100).status, 200);
    }

    void dualControlForPinReload()
    {
        QVERIFY(!m_asn.isEmpty());
        const QString newPin = QStringLiteral("654321");
        // Without an approval: refused.
        Answer reload = post(QStringLiteral("/v1/cards/%1/maintenance/pin-reload").arg(m_asn),
            QJsonObject{{QStringLiteral("challenge"), hex(challenge(4))}, {QStringLiteral("pin"), newPin}});
        QCOMPARE(reload.status, 403);
        QCOMPARE(reload.json.value(QStringLiteral("code")).toString(), QStringLiteral("approval-required"));
        const Answer ask = post(QStringLiteral("/v1/approvals"),
            QJsonObject{{QStringLiteral("operation"), QStringLiteral("pin-reload")},
                {QStringLiteral("asn"), m_asn},
                {QStringLiteral("reason"), QStringLiteral("Customer forgot the PIN; ID card checked")}});
        QCOMPARE(ask.status, 201);
        const QString approvalId = ask.json.value(QStringLiteral("approvalId")).toString();
        auto decide = [&](const QString& user, const QString& password) {
            return post(QStringLiteral("/v1/approvals/%1/decision").arg(approvalId),
                QJsonObject{{QStringLiteral("username"), user},
                    {QStringLiteral("password"), password},
                    {QStringLiteral("decision"), QStringLiteral("approve")}});
        };
        // The teller cannot approve their own sensitive operation.
        Answer d = decide(QStringLiteral("li.teller"), kTellerPassword);
        QCOMPARE(d.status, 403);
        QCOMPARE(d.json.value(QStringLiteral("code")).toString(), QStringLiteral("approval-same-person"));
        // Another teller is no supervisor.
        d = decide(QStringLiteral("zhao.teller"), kTeller2Password);
        QCOMPARE(d.status, 403);
        QCOMPARE(d.json.value(QStringLiteral("code")).toString(), QStringLiteral("role-forbidden"));
        // A wrong supervisor password.
        d = decide(QStringLiteral("wang.supervisor"), QStringLiteral("not the supervisor pw"));
        QCOMPARE(d.status, 403);
        QCOMPARE(d.json.value(QStringLiteral("code")).toString(), QStringLiteral("approver-credentials-invalid"));
        QCOMPARE(countRows("SELECT count(*) FROM approvals WHERE state = 'pending'"), 1);
        // The refusals are audited although their requests rolled back.
        QCOMPARE(countRows("SELECT count(*) FROM audit_log WHERE action = 'approval.decision' AND outcome LIKE"
                           " 'refused:%'"),
            3);
        d = decide(QStringLiteral("wang.supervisor"), kSupervisorPassword);
        QCOMPARE(d.status, 200);
        QCOMPARE(d.json.value(QStringLiteral("state")).toString(), QStringLiteral("approved"));
        reload = post(QStringLiteral("/v1/cards/%1/maintenance/pin-reload").arg(m_asn),
            QJsonObject{{QStringLiteral("challenge"), hex(challenge(4))},
                {QStringLiteral("pin"), newPin},
                {QStringLiteral("approvalId"), approvalId},
                {QStringLiteral("idCheck"), QJsonObject{{QStringLiteral("document"), QStringLiteral("resident-id")}}}});
        QCOMPARE(reload.status, 201);
        QCOMPARE(send(QByteArray::fromHex(reload.json.value(QStringLiteral("apdu")).toString().toLatin1())).second,
            std::uint16_t(0x9000));
        QCOMPARE(send(QByteArray::fromHex("0020000003654321")).second, std::uint16_t(0x9000));
        // Used once.
        const Answer second = post(QStringLiteral("/v1/cards/%1/maintenance/pin-reload").arg(m_asn),
            QJsonObject{{QStringLiteral("challenge"), hex(challenge(4))},
                {QStringLiteral("pin"), kPin},
                {QStringLiteral("approvalId"), approvalId}});
        QCOMPARE(second.status, 403);
        QCOMPARE(countRows("SELECT count(*) FROM audit_log WHERE action = 'maintenance.pin-reload' AND supervisor_id"
                           " IS NOT NULL"),
            1);
    }

    void hotlistedCardLoadRefused()
    {
        QVERIFY(!m_asn.isEmpty());
        const Answer listed = post(QStringLiteral("/v1/cards/%1/hotlisting").arg(m_asn),
            QJsonObject{{QStringLiteral("reason"), QStringLiteral("lost")},
                {QStringLiteral("note"), QStringLiteral("Customer called")}});
        QCOMPARE(listed.status, 201);
        // Kiosks and wallets receive the hot-list.
        const Answer list = get(QStringLiteral("/v1/hotlist"), QStringLiteral("client"));
        QCOMPARE(list.status, 200);
        QVERIFY(list.json.value(QStringLiteral("complete")).toBool());
        const QJsonArray added = list.json.value(QStringLiteral("added")).toArray();
        QCOMPARE(added.size(), 1);
        QCOMPARE(added.at(0).toObject().value(QStringLiteral("asn")).toString(), m_asn);
        const qint64 version = list.json.value(QStringLiteral("version")).toInteger();
        QCOMPARE(get(QStringLiteral("/v1/hotlist?since=%1").arg(version), QStringLiteral("client"))
                     .json.value(QStringLiteral("added"))
                     .toArray()
                     .size(),
            0);
        // A load is refused with a problem, and nothing moves.
        const int loadsBefore = countRows("SELECT count(*) FROM loads");
        const int transfersBefore = countRows("SELECT count(*) FROM transfers");
        const Answer refused = loadOnce(100, QStringLiteral("654321"));
        QCOMPARE(refused.status, 403);
        QCOMPARE(refused.contentType, std::string("application/problem+json"));
        QCOMPARE(refused.json.value(QStringLiteral("code")).toString(), QStringLiteral("card-hotlisted"));
        QCOMPARE(countRows("SELECT count(*) FROM loads"), loadsBefore);
        QCOMPARE(countRows("SELECT count(*) FROM transfers"), transfersBefore);
        QString out;
        QCOMPARE(m_rig.bankctl({QStringLiteral("audit"), QStringLiteral("ledger")}, &out), 0);
    }

    void auditChainFindsAnEditedRow()
    {
        QString out;
        QCOMPARE(m_rig.bankctl({QStringLiteral("audit"), QStringLiteral("verify")}, &out), 0);
        QVERIFY2(out.contains(QStringLiteral("intact")), qPrintable(out));
        QVERIFY(countRows("SELECT count(*) FROM audit_log") >= 10);
        QVERIFY(m_rig.db()
                    .exec("UPDATE audit_log SET outcome = 'ok (edited)' WHERE seq = (SELECT min(seq) FROM audit_log"
                          " WHERE action = 'issuance.completed')")
                    .ok());
        const int bad = m_rig.bankctl({QStringLiteral("audit"), QStringLiteral("verify")}, &out);
        QCOMPARE(bad, 1);
        auto seq = m_rig.db().exec("SELECT seq FROM audit_log WHERE action = 'issuance.completed'");
        QVERIFY(seq && seq->rows() == 1);
        QVERIFY2(out.contains(QStringLiteral("row %1: its content").arg(QString::fromStdString(seq->text(0, 0)))),
            qPrintable(out));
    }

    void cleanupTestCase()
    {
        m_clients.clear();
        m_key.reset();
        m_sim.reset();
        m_rig.stopServer();
    }
};

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    if (qEnvironmentVariableIsEmpty("SKEY_SIM_PATH")) {
        std::fprintf(stderr, "SKIP: SKEY_SIM_PATH is not set (the skey-sim target)\n");
        return 77;
    }
    TestBankIssuance t;
    return QTest::qExec(&t, argc, argv);
}

#include "TestBankIssuance.moc"
