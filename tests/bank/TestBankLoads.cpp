// SPDX-License-Identifier: Apache-2.0
// End to end, with the real parts (docs/bank.md §5 "Tests"): a private PostgreSQL cluster, a SoftHSM2 token with the
// golden-vector masters, skey-bank over HTTPS on a loopback port, and cpp-httplib's client with a wallet terminal's
// client certificate. The key's side is TestCard (spec §4, §5.2). After every case the ledger invariants of §7.2
// are checked by `bankctl audit ledger` and the balances read in SQL.
#include "bank/support/BankRig.h"
#include "bank/support/CheckOk.h"
#include "bank/support/TestCard.h"

#include <httplib.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <QUuid>

#include <cstdio>

using namespace wallet;
using namespace wallet::bank::test;

namespace {

const QString kAsn = QStringLiteral("0102030405060708");
const QByteArray kTerminal = QByteArray::fromHex("112233445566");

struct Answer
{
    bool connected = false; ///< false: no HTTP answer at all (the server died)
    int status = 0;
    QJsonObject json;
    std::string contentType;
    bool replayed = false;
};

QString newKey()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

QString hex(const QByteArray& b)
{
    return QString::fromLatin1(b.toHex().toUpper());
}

} // namespace

class TestBankLoads : public QObject
{
    Q_OBJECT

private:
    BankRig m_rig;
    std::unique_ptr<TestCard> m_card;

    /// A client with the wallet terminal's certificate, another one of the test folder's (`certificate`), or none.
    [[nodiscard]] std::unique_ptr<httplib::SSLClient> client(
        bool withCertificate = true, const QString& certificate = QStringLiteral("client")) const
    {
        auto c = withCertificate ? std::make_unique<httplib::SSLClient>("127.0.0.1",
                     m_rig.port(),
                     m_rig.tlsPath(certificate + QStringLiteral(".pem")).toStdString(),
                     m_rig.tlsPath(certificate + QStringLiteral(".key")).toStdString())
                                 : std::make_unique<httplib::SSLClient>("127.0.0.1", m_rig.port());
        c->set_ca_cert_path(m_rig.tlsPath(QStringLiteral("ca.pem")).toStdString().c_str());
        c->enable_server_certificate_verification(true);
        c->set_read_timeout(30, 0);
        return c;
    }

    Answer post(const QString& path,
        const QString& key,
        const QJsonObject& body,
        bool withCertificate = true,
        const QString& certificate = QStringLiteral("client")) const
    {
        auto c = client(withCertificate, certificate);
        httplib::Headers h{{"Idempotency-Key", key.toStdString()}};
        auto res = c->Post(path.toStdString().c_str(),
            h,
            QJsonDocument(body).toJson(QJsonDocument::Compact).toStdString(),
            "application/json");
        Answer a;
        if (!res) {
            return a;
        }
        a.connected = true;
        a.status = res->status;
        a.json = QJsonDocument::fromJson(QByteArray::fromStdString(res->body)).object();
        a.contentType = res->get_header_value("Content-Type");
        a.replayed = res->get_header_value("Idempotent-Replayed") == "true";
        return a;
    }

    QJsonObject authorisation(const TestCard::Initialized& init, std::uint32_t amount) const
    {
        return TestCard::authoriseLoadBody(QByteArray::fromHex(kAsn.toLatin1()), init, amount, kTerminal);
    }

    /// The key credits with the bank's answer; the terminal confirms with the TAC.
    void creditAndConfirm(const Answer& authorised)
    {
        const QJsonObject& a = authorised.json;
        auto tac = m_card->creditForLoad(QByteArray::fromHex(a.value(QStringLiteral("date")).toString().toLatin1()),
            QByteArray::fromHex(a.value(QStringLiteral("time")).toString().toLatin1()),
            QByteArray::fromHex(a.value(QStringLiteral("mac2")).toString().toLatin1()));
        QVERIFY2(tac.has_value(), "the key refused the bank's MAC2");
        QCOMPARE(a.value(QStringLiteral("creditApdu")).toString(),
            QStringLiteral("805200000B") + a.value(QStringLiteral("date")).toString()
                + a.value(QStringLiteral("time")).toString() + a.value(QStringLiteral("mac2")).toString()
                + QStringLiteral("04"));
        const QString loadId = a.value(QStringLiteral("loadId")).toString();
        Answer c = post(QStringLiteral("/v1/loads/%1/confirmation").arg(loadId),
            newKey(),
            {{QStringLiteral("tac"), hex(*tac)}, {QStringLiteral("source"), QStringLiteral("credit")}});
        QCOMPARE(c.status, 200);
        QCOMPARE(c.json.value(QStringLiteral("state")).toString(), QStringLiteral("completed"));
        QCOMPARE(c.json.value(QStringLiteral("provenBy")).toString(), QStringLiteral("tac"));
        QCOMPARE(c.json.value(QStringLiteral("tac")).toString(), hex(*tac));
    }

    qint64 sqlInt(const std::string& sql)
    {
        auto r = m_rig.db().exec(sql, {});
        if (!r || r->rows() != 1 || r->isNull(0, 0)) {
            return -1;
        }
        return r->integer(0, 0);
    }
    qint64 funding()
    {
        return sqlInt("SELECT a.balance FROM accounts a JOIN cards c ON c.account_id = a.id WHERE c.asn = "
                      "'0102030405060708'");
    }
    qint64 floatTotal() { return sqlInt("SELECT COALESCE(sum(balance), 0) FROM accounts WHERE kind = 'purse-float'"); }
    qint64 shadow() { return sqlInt("SELECT shadow_balance FROM cards WHERE asn = '0102030405060708'"); }
    qint64 loads() { return sqlInt("SELECT count(*) FROM loads"); }
    qint64 transfers() { return sqlInt("SELECT count(*) FROM transfers"); }

    void auditLedger()
    {
        QString out;
        const int rc = m_rig.bankctl({QStringLiteral("audit"), QStringLiteral("ledger")}, &out);
        QVERIFY2(rc == 0, qPrintable(out));
        QVERIFY(out.contains(QStringLiteral("ledger invariants hold")));
        // The key and the bank agree: what the key holds is what the bank vouches for.
        QCOMPARE(shadow(), static_cast<qint64>(m_card->balance()));
    }

private slots:
    void initTestCase()
    {
        const QString up = m_rig.setUp();
        QVERIFY2(up.isEmpty(), qPrintable(up));
        QString out;
        QVERIFY2(m_rig.bankctl({QStringLiteral("cards"),
                                   QStringLiteral("register"),
                                   QStringLiteral("--asn"),
                                   kAsn,
                                   QStringLiteral("--holder"),
                                   QStringLiteral("Zhang San")},
                     &out)
                == 0,
            qPrintable(out));
        QVERIFY2(m_rig.bankctl({QStringLiteral("accounts"),
                                   QStringLiteral("deposit"),
                                   QStringLiteral("--asn"),
                                   kAsn,
                                   QStringLiteral("--amount"),
                                   QStringLiteral("10000"),
                                   QStringLiteral("--reference"),
                                   QStringLiteral("CASH-0001")},
                     &out)
                == 0,
            qPrintable(out));
        const QString started = m_rig.startServer();
        QVERIFY2(started.isEmpty(), qPrintable(started));
        m_card = std::make_unique<TestCard>(QByteArray::fromHex("00112233445566778899AABBCCDDEEFF"),
            QByteArray::fromHex("404142434445464748494A4B4C4D4E4F"),
            QByteArray::fromHex(kAsn.toLatin1()));
        QCOMPARE(funding(), 10000);
        auditLedger();
    }

    void bankctlIsRepeatableAndStrict()
    {
        QString out;
        // A second init keeps the token, the keys and the data; keys init keeps what exists.
        QCOMPARE(m_rig.bankctl({QStringLiteral("init"), QStringLiteral("--db"), QStringLiteral("unused")}, &out), 0);
        QCOMPARE(m_rig.bankctl({QStringLiteral("keys"), QStringLiteral("init")}, &out), 0);
        QVERIFY2(out.contains(QStringLiteral("mlk.v1: present, kept")), qPrintable(out));
        // A counter receipt is posted once; amounts are whole fen in range.
        const qint64 before = funding();
        const QStringList deposit{QStringLiteral("accounts"),
            QStringLiteral("deposit"),
            QStringLiteral("--asn"),
            kAsn,
            QStringLiteral("--reference"),
            QStringLiteral("CASH-0001"),
            QStringLiteral("--amount")};
        QVERIFY(m_rig.bankctl(deposit + QStringList{QStringLiteral("10000")}, &out) != 0);
        QVERIFY2(out.contains(QStringLiteral("posted already")), qPrintable(out));
        for (const char* bad : {"10.5", "0", "-5", "4294967296", "1e3", ""}) {
            QVERIFY2(m_rig.bankctl(
                         QStringList(deposit).replaceInStrings(QStringLiteral("CASH-0001"), QStringLiteral("CASH-0002"))
                             + QStringList{QString::fromLatin1(bad)},
                         &out)
                    != 0,
                bad);
        }
        QCOMPARE(funding(), before);
        auditLedger();
    }

    void withoutCertificateIs401()
    {
        const auto init = m_card->initializeForLoad(100, kTerminal);
        Answer a = post(QStringLiteral("/v1/loads"), newKey(), authorisation(init, 100), false);
        QVERIFY(a.connected);
        QCOMPARE(a.status, 401);
        QCOMPARE(a.contentType, std::string("application/problem+json"));
        QCOMPARE(a.json.value(QStringLiteral("code")).toString(), QStringLiteral("certificate-missing"));
        QCOMPARE(funding(), 10000);
    }

    void foreignOtherOrWrongKindCertificateMovesNothing()
    {
        const auto init = m_card->initializeForLoad(100, kTerminal);
        Answer foreign
            = post(QStringLiteral("/v1/loads"), newKey(), authorisation(init, 100), true, QStringLiteral("foreign"));
        QCOMPARE(foreign.status, 401);
        QCOMPARE(foreign.json.value(QStringLiteral("code")).toString(), QStringLiteral("certificate-unknown"));
        // A real terminal relaying another terminal's INITIALIZE (its terminal ID is in MAC1 and MAC2).
        Answer other
            = post(QStringLiteral("/v1/loads"), newKey(), authorisation(init, 100), true, QStringLiteral("other"));
        QCOMPARE(other.status, 403);
        QCOMPARE(other.json.value(QStringLiteral("code")).toString(), QStringLiteral("terminal-mismatch"));
        Answer merchant
            = post(QStringLiteral("/v1/loads"), newKey(), authorisation(init, 100), true, QStringLiteral("merchant"));
        QCOMPARE(merchant.status, 403);
        QCOMPARE(merchant.json.value(QStringLiteral("code")).toString(), QStringLiteral("role-forbidden"));
        QCOMPARE(funding(), 10000);
        QCOMPARE(loads(), 0);
        auditLedger();
    }

    void authoriseThenConfirm()
    {
        const auto init = m_card->initializeForLoad(1000, kTerminal);
        Answer a = post(QStringLiteral("/v1/loads"), newKey(), authorisation(init, 1000));
        QCOMPARE(a.status, 201);
        QCOMPARE(a.json.value(QStringLiteral("state")).toString(), QStringLiteral("authorised"));
        QCOMPARE(a.json.value(QStringLiteral("amount")).toInteger(), 1000);
        // Debited at authorisation (docs/bank.md §12): the money sits in the float until the key's proof.
        QCOMPARE(funding(), 9000);
        QCOMPARE(floatTotal(), 1000);
        QCOMPARE(shadow(), 0);
        creditAndConfirm(a);
        QCOMPARE(m_card->balance(), 1000u);
        QCOMPARE(funding(), 9000);
        QCOMPARE(floatTotal(), 1000);
        auditLedger();
    }

    void sameRequestIdSameBodyAnswersTheFirstAnswer()
    {
        const auto init = m_card->initializeForLoad(500, kTerminal);
        const QString key = newKey();
        const qint64 before = funding();
        const qint64 transfersBefore = transfers();
        Answer first = post(QStringLiteral("/v1/loads"), key, authorisation(init, 500));
        QCOMPARE(first.status, 201);
        QVERIFY(!first.replayed);
        Answer again = post(QStringLiteral("/v1/loads"), key, authorisation(init, 500));
        QCOMPARE(again.status, 201);
        QVERIFY(again.replayed);
        QCOMPARE(again.json, first.json);
        QCOMPARE(funding(), before - 500); // moved once
        QCOMPARE(transfers(), transfersBefore + 1);
        creditAndConfirm(again);
        auditLedger();
        // The same id with another body: 422, stored answer untouched, nothing moved.
        const qint64 after = funding();
        QJsonObject other = authorisation(init, 500);
        other.insert(QStringLiteral("amount"), 499);
        Answer reused = post(QStringLiteral("/v1/loads"), key, other);
        QCOMPARE(reused.status, 422);
        QCOMPARE(reused.contentType, std::string("application/problem+json"));
        QCOMPARE(reused.json.value(QStringLiteral("code")).toString(), QStringLiteral("idempotency-key-reused"));
        QCOMPARE(reused.json.value(QStringLiteral("type")).toString(),
            QStringLiteral("tag:smartkey.example,2026:bank/idempotency-key-reused"));
        QCOMPARE(funding(), after);
        Answer stillFirst = post(QStringLiteral("/v1/loads"), key, authorisation(init, 500));
        QCOMPARE(stillFirst.json, first.json);
        auditLedger();
    }

    void badMac1MovesNothing()
    {
        const auto init = m_card->initializeForLoad(700, kTerminal);
        QJsonObject body = authorisation(init, 700);
        QByteArray mac = init.mac1;
        mac[3] = static_cast<char>(mac[3] ^ 0x01);
        body.insert(QStringLiteral("mac1"), hex(mac));
        const qint64 before = funding();
        const qint64 loadsBefore = loads();
        const qint64 transfersBefore = transfers();
        Answer a = post(QStringLiteral("/v1/loads"), newKey(), body);
        QCOMPARE(a.status, 422);
        QCOMPARE(a.contentType, std::string("application/problem+json"));
        QCOMPARE(a.json.value(QStringLiteral("code")).toString(), QStringLiteral("mac1-invalid"));
        QVERIFY(!a.json.value(QStringLiteral("nextStep")).toString().isEmpty());
        QCOMPARE(funding(), before);
        QCOMPARE(loads(), loadsBefore);
        QCOMPARE(transfers(), transfersBefore);
        // The same amount as a JSON number with a fraction is refused (400) before anything moves.
        QJsonObject fraction = authorisation(init, 700);
        fraction.insert(QStringLiteral("amount"), 700.5);
        Answer f = post(QStringLiteral("/v1/loads"), newKey(), fraction);
        QCOMPARE(f.status, 400);
        QCOMPARE(f.json.value(QStringLiteral("code")).toString(), QStringLiteral("invalid-field"));
        QCOMPARE(f.json.value(QStringLiteral("errors")).toArray().at(0).toObject().value(QStringLiteral("pointer")),
            QJsonValue(QStringLiteral("/amount")));
        // That refusal is the request id's answer: the same id with a corrected body is another request (422).
        const QString refusedKey = newKey();
        QCOMPARE(post(QStringLiteral("/v1/loads"), refusedKey, fraction).status, 400);
        Answer corrected = post(QStringLiteral("/v1/loads"), refusedKey, authorisation(init, 700));
        QCOMPARE(corrected.status, 422);
        QCOMPARE(corrected.json.value(QStringLiteral("code")).toString(), QStringLiteral("idempotency-key-reused"));
        QCOMPARE(funding(), before);
        auditLedger();
    }

    void insufficientFundsIs422()
    {
        const qint64 before = funding();
        const auto init = m_card->initializeForLoad(static_cast<std::uint32_t>(before + 1), kTerminal);
        const qint64 loadsBefore = loads();
        Answer a
            = post(QStringLiteral("/v1/loads"), newKey(), authorisation(init, static_cast<std::uint32_t>(before + 1)));
        QCOMPARE(a.status, 422);
        QCOMPARE(a.json.value(QStringLiteral("code")).toString(), QStringLiteral("insufficient-funds"));
        QCOMPARE(funding(), before);
        QCOMPARE(loads(), loadsBefore);
        auditLedger();
    }

    void reauthoriseSameAtcDebitsOnce()
    {
        // The answer was lost and the terminal reran INITIALIZE (new random, same ATC): new MAC2, no second debit.
        const qint64 before = funding();
        const auto first = m_card->initializeForLoad(600, kTerminal);
        Answer a = post(QStringLiteral("/v1/loads"), newKey(), authorisation(first, 600));
        QCOMPARE(a.status, 201);
        const auto second = m_card->initializeForLoad(600, kTerminal);
        Answer b = post(QStringLiteral("/v1/loads"), newKey(), authorisation(second, 600));
        QCOMPARE(b.status, 201);
        QCOMPARE(b.json.value(QStringLiteral("loadId")), a.json.value(QStringLiteral("loadId")));
        QCOMPARE(funding(), before - 600);
        // A probe taken before another MAC2 is no evidence (409 probe-stale, §9.1).
        Answer probe
            = post(QStringLiteral("/v1/cards/%1/probes").arg(kAsn), newKey(), {{QStringLiteral("keyIndex"), 1}});
        QCOMPARE(probe.status, 201);
        const auto third = m_card->initializeForLoad(600, kTerminal);
        Answer c = post(QStringLiteral("/v1/loads"), newKey(), authorisation(third, 600));
        QCOMPARE(c.status, 201);
        const QString probeTerminal = probe.json.value(QStringLiteral("terminalId")).toString();
        const auto answer = m_card->initializeForLoad(1, QByteArray::fromHex(probeTerminal.toLatin1()));
        Answer stale
            = post(QStringLiteral("/v1/loads/%1/cancellation").arg(c.json.value(QStringLiteral("loadId")).toString()),
                newKey(),
                {{QStringLiteral("probeId"), probe.json.value(QStringLiteral("probeId"))},
                    {QStringLiteral("algorithm"), QStringLiteral("3des")},
                    {QStringLiteral("keyVersion"), 1},
                    {QStringLiteral("balance"), static_cast<qint64>(answer.balance)},
                    {QStringLiteral("onlineAtc"), answer.onlineAtc},
                    {QStringLiteral("random"), hex(answer.random)},
                    {QStringLiteral("mac1"), hex(answer.mac1)}});
        QCOMPARE(stale.status, 409);
        QCOMPARE(stale.json.value(QStringLiteral("code")).toString(), QStringLiteral("probe-stale"));
        QCOMPARE(funding(), before - 600);
        // The terminal loads again at the same ATC and this time the key credits.
        const auto fourth = m_card->initializeForLoad(600, kTerminal);
        Answer d = post(QStringLiteral("/v1/loads"), newKey(), authorisation(fourth, 600));
        QCOMPARE(d.status, 201);
        creditAndConfirm(d);
        QCOMPARE(funding(), before - 600);
        auditLedger();
    }

    void crashAfterCommitThenRetryMovesMoneyOnce()
    {
        m_rig.stopServer();
        QString s = m_rig.startServer(QStringLiteral("crash-after-commit:1"));
        QVERIFY2(s.isEmpty(), qPrintable(s));
        const auto init = m_card->initializeForLoad(300, kTerminal);
        const QString key = newKey();
        const qint64 before = funding();
        Answer lost = post(QStringLiteral("/v1/loads"), key, authorisation(init, 300));
        QVERIFY(!lost.connected); // the process died between COMMIT and the answer
        QCOMPARE(m_rig.waitServerExit(), 86);
        QCOMPARE(funding(), before - 300); // committed
        s = m_rig.startServer();
        QVERIFY2(s.isEmpty(), qPrintable(s));
        Answer retry = post(QStringLiteral("/v1/loads"), key, authorisation(init, 300));
        QCOMPARE(retry.status, 201);
        QVERIFY(retry.replayed);
        QCOMPARE(funding(), before - 300); // exactly once
        creditAndConfirm(retry);
        auditLedger();
    }

    void crashBeforeCommitThenRetryRunsOnce()
    {
        m_rig.stopServer();
        QString s = m_rig.startServer(QStringLiteral("crash-before-commit:1"));
        QVERIFY2(s.isEmpty(), qPrintable(s));
        const auto init = m_card->initializeForLoad(200, kTerminal);
        const QString key = newKey();
        const qint64 before = funding();
        Answer lost = post(QStringLiteral("/v1/loads"), key, authorisation(init, 200));
        QVERIFY(!lost.connected);
        QCOMPARE(m_rig.waitServerExit(), 86);
        QCOMPARE(funding(), before); // rolled back with the request record
        s = m_rig.startServer();
        QVERIFY2(s.isEmpty(), qPrintable(s));
        Answer retry = post(QStringLiteral("/v1/loads"), key, authorisation(init, 200));
        QCOMPARE(retry.status, 201);
        QVERIFY(!retry.replayed); // ran anew
        QCOMPARE(funding(), before - 200);
        creditAndConfirm(retry);
        auditLedger();
    }

    void cancelOnProbeEvidenceReturnsTheFunds()
    {
        const auto init = m_card->initializeForLoad(400, kTerminal);
        const qint64 before = funding();
        Answer a = post(QStringLiteral("/v1/loads"), newKey(), authorisation(init, 400));
        QCOMPARE(a.status, 201);
        QCOMPARE(funding(), before - 400);
        // The key was pulled before CREDIT: the terminal's word is not enough, the key must prove it (§9.1).
        Answer probe
            = post(QStringLiteral("/v1/cards/%1/probes").arg(kAsn), newKey(), {{QStringLiteral("keyIndex"), 1}});
        QCOMPARE(probe.status, 201);
        const QString probeTerminal = probe.json.value(QStringLiteral("terminalId")).toString();
        QVERIFY(probeTerminal.startsWith(QStringLiteral("99")));
        QCOMPARE(probe.json.value(QStringLiteral("initializeApdu")).toString(),
            QStringLiteral("805000020B0100000001") + probeTerminal + QStringLiteral("10"));
        const auto answer = m_card->initializeForLoad(1, QByteArray::fromHex(probeTerminal.toLatin1()));
        QJsonObject evidence{{QStringLiteral("probeId"), probe.json.value(QStringLiteral("probeId"))},
            {QStringLiteral("algorithm"), QStringLiteral("3des")},
            {QStringLiteral("keyVersion"), 1},
            {QStringLiteral("balance"), static_cast<qint64>(answer.balance)},
            {QStringLiteral("onlineAtc"), answer.onlineAtc},
            {QStringLiteral("random"), hex(answer.random)},
            {QStringLiteral("mac1"), hex(answer.mac1)}};
        const QString loadId = a.json.value(QStringLiteral("loadId")).toString();
        // Forged evidence is refused and moves nothing.
        QJsonObject forged = evidence;
        forged.insert(QStringLiteral("onlineAtc"), answer.onlineAtc + 1);
        Answer refused = post(QStringLiteral("/v1/loads/%1/cancellation").arg(loadId), newKey(), forged);
        QCOMPARE(refused.status, 422);
        QCOMPARE(refused.json.value(QStringLiteral("code")).toString(), QStringLiteral("probe-invalid"));
        QCOMPARE(funding(), before - 400);
        Answer cancelled = post(QStringLiteral("/v1/loads/%1/cancellation").arg(loadId), newKey(), evidence);
        QCOMPARE(cancelled.status, 200);
        QCOMPARE(cancelled.json.value(QStringLiteral("state")).toString(), QStringLiteral("cancelled"));
        QCOMPARE(cancelled.json.value(QStringLiteral("provenBy")).toString(), QStringLiteral("probe"));
        QCOMPARE(funding(), before);
        // The probe is single use.
        Answer reuse = post(QStringLiteral("/v1/loads/%1/cancellation").arg(loadId), newKey(), evidence);
        QCOMPARE(reuse.status, 422);
        QCOMPARE(reuse.json.value(QStringLiteral("code")).toString(), QStringLiteral("probe-expired"));
        auditLedger();
    }

    void cleanupTestCase() { m_rig.stopServer(); }
};

SKEY_BANK_TEST_MAIN(TestBankLoads)

#include "TestBankLoads.moc"
