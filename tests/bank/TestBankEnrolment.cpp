// SPDX-License-Identifier: Apache-2.0
// Issue 11 "Who may call", end to end with the real parts (docs/bank.md §3, §5): the bank CA and server certificate
// made by `bankctl init`, terminal enrolment with one-time codes (`bankctl terminal enrol-code`, the API's
// enrolTerminal, `walletctl bank enrol`), and every refusal of a caller that may not move money: no client
// certificate, a certificate from another CA, an expired one, one the bank never issued to an enrolled terminal, a
// terminal the bank never enrolled, a revoked terminal, and a request id replayed with another body. Each refusal is
// checked to be a clear problem+json and to leave the ledger tables byte for byte as they were (a dump of the rows
// before and after), with a genuine load authorisation as the body, which the positive control shows would move
// money if the caller were accepted.
#include "bank/support/BankRig.h"
#include "bank/support/TestCard.h"
#include "support/Skip.h"

#include <httplib.h>

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <cstdio>
#include <sys/stat.h>

using namespace wallet;
using namespace wallet::bank::test;

namespace {

const QString kAsn = QStringLiteral("0102030405060708");
const QString kTerminalId = QStringLiteral("112233445566");
const QByteArray kTerminal = QByteArray::fromHex("112233445566");

struct Answer
{
    bool connected = false;
    int status = 0;
    QJsonObject json;
    std::string contentType;
    bool replayed = false;
};

struct Run
{
    int exitCode = -1;
    QByteArray out;
};

QString newKey()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

QString bankBin(const char* name)
{
    return QCoreApplication::applicationDirPath() + QStringLiteral("/../../bank/") + QLatin1String(name);
}

Run runProcess(const QString& program, const QStringList& args, const QByteArray& input = {})
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, args);
    p.write(input);
    p.closeWriteChannel();
    Run r;
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1000 - p.exitCode();
    r.out = p.readAll();
    return r;
}

/// `openssl verify -CAfile <ca> <certificate>`.
Run opensslVerify(const QString& ca, const QString& certificate)
{
    return runProcess(
        QStringLiteral("openssl"), {QStringLiteral("verify"), QStringLiteral("-CAfile"), ca, certificate});
}

/// `openssl req` with a new EC P-256 key written unencrypted to `keyOut`, then `args` (-x509, -out, -subj, …).
Run opensslNewP256(const QString& keyOut, const QStringList& args)
{
    return runProcess(QStringLiteral("openssl"),
        QStringList{QStringLiteral("req"),
            QStringLiteral("-newkey"),
            QStringLiteral("ec"),
            QStringLiteral("-pkeyopt"),
            QStringLiteral("ec_paramgen_curve:P-256"),
            QStringLiteral("-nodes"),
            QStringLiteral("-keyout"),
            keyOut}
            + args);
}

int mode(const QString& path)
{
    struct stat st = {};
    return ::stat(path.toLocal8Bit().constData(), &st) == 0 ? static_cast<int>(st.st_mode & 0777) : -1;
}

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestBankEnrolment : public QObject
{
    Q_OBJECT

private:
    BankRig m_rig;
    std::unique_ptr<TestCard> m_card;
    QTemporaryDir m_tmp;
    QString m_conninfo;

    QString path(const QString& name) const { return m_tmp.filePath(name); }

    /// GnuTLS's p11tool, on the bank folder's own SoftHSM token (its PIN from `hsm-pin` in the environment, never
    /// argv): the private key `terminal-ca` exists, is sensitive, and its value cannot be read.
    void checkTokenKey(const QString& data)
    {
        const QString p11tool = QStandardPaths::findExecutable(QStringLiteral("p11tool"));
        if (p11tool.isEmpty()) {
            SKEY_SKIP(QStringLiteral("p11tool not found (gnutls-bin, scripts/setup-deps.sh installs it)"));
        }
        const QJsonObject config = QJsonDocument::fromJson(readAll(data + QStringLiteral("/bank.json"))).object();
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("SOFTHSM2_CONF"), data + QStringLiteral("/softhsm2.conf"));
        env.insert(
            QStringLiteral("GNUTLS_PIN"), QString::fromLatin1(readAll(data + QStringLiteral("/hsm-pin")).trimmed()));
        p.setProcessEnvironment(env);
        p.start(p11tool,
            {QStringLiteral("--provider"),
                config.value(QStringLiteral("pkcs11Module")).toString(),
                QStringLiteral("--login"),
                QStringLiteral("--list-all-privkeys"),
                QStringLiteral("pkcs11:object=terminal-ca")});
        QVERIFY(p.waitForFinished(60000));
        const QByteArray out = p.readAll();
        QVERIFY2(p.exitCode() == 0 && out.contains("Label: terminal-ca"), out.constData());
        const int at = out.indexOf("Flags:");
        QVERIFY2(at >= 0, out.constData());
        const QList<QByteArray> flags = out.mid(at + 6, out.indexOf('\n', at) - at - 6).trimmed().split(';');
        QStringList names;
        for (const QByteArray& f : flags) {
            names << QString::fromLatin1(f.trimmed());
        }
        QVERIFY2(names.contains(QStringLiteral("CKA_SENSITIVE")), out.constData());
        QVERIFY2(!names.contains(QStringLiteral("CKA_EXTRACTABLE")), out.constData());
    }

    /// A client with a certificate and key file pair, or none; it trusts only the rig's CA.
    std::unique_ptr<httplib::SSLClient> client(const QString& cert, const QString& key, int port = 0) const
    {
        const int p = port ? port : m_rig.port();
        auto c = cert.isEmpty()
            ? std::make_unique<httplib::SSLClient>("127.0.0.1", p)
            : std::make_unique<httplib::SSLClient>("127.0.0.1", p, cert.toStdString(), key.toStdString());
        c->set_ca_cert_path(m_rig.tlsPath(QStringLiteral("ca.pem")).toStdString().c_str());
        c->enable_server_certificate_verification(true);
        c->set_read_timeout(30, 0);
        return c;
    }

    static Answer answerOf(const httplib::Result& res)
    {
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

    Answer post(const QString& apiPath,
        const QString& key,
        const QJsonObject& body,
        const QString& cert,
        const QString& certKey,
        const std::string& bearer = {}) const
    {
        auto c = client(cert, certKey);
        httplib::Headers h{{"Idempotency-Key", key.toStdString()}};
        if (!bearer.empty()) {
            h.emplace("Authorization", "Bearer " + bearer);
        }
        return answerOf(c->Post(apiPath.toStdString().c_str(),
            h,
            QJsonDocument(body).toJson(QJsonDocument::Compact).toStdString(),
            "application/json"));
    }

    Answer get(const QString& apiPath, const QString& cert, const QString& certKey) const
    {
        return answerOf(client(cert, certKey)->Get(apiPath.toStdString().c_str()));
    }

    /// The ledger and everything a request could write, row by row, sorted: compared byte for byte.
    QByteArray ledgerDump()
    {
        QByteArray dump;
        for (const char* table :
            {"accounts", "transfers", "postings", "loads", "cards", "probes", "purchases", "idempotency"}) {
            auto r = m_rig.db().exec(std::string("SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')"
                                                 " FROM ")
                + table + " t");
            if (!r || r->rows() != 1) {
                return QByteArrayLiteral("dump failed");
            }
            dump += QByteArray("== ") + table + '\n' + QByteArray::fromStdString(r->text(0, 0)) + '\n';
        }
        return dump;
    }

    qint64 sqlInt(const std::string& sql)
    {
        auto r = m_rig.db().exec(sql, {});
        if (!r || r->rows() != 1 || r->isNull(0, 0)) {
            return -1;
        }
        return r->integer(0, 0);
    }

    /// A fresh EC P-256 key and PKCS#10 request: <name>.key, <name>.csr.
    QString makeRequest(const QString& name, const char* keyType = "ec")
    {
        QStringList args{QStringLiteral("req"), QStringLiteral("-newkey")};
        if (QByteArray(keyType) == "ec") {
            args << QStringLiteral("ec") << QStringLiteral("-pkeyopt") << QStringLiteral("ec_paramgen_curve:P-256");
        } else {
            args << QStringLiteral("rsa:2048");
        }
        args << QStringLiteral("-nodes") << QStringLiteral("-keyout") << path(name + QStringLiteral(".key"))
             << QStringLiteral("-out") << path(name + QStringLiteral(".csr")) << QStringLiteral("-subj")
             << QStringLiteral("/CN=ignored");
        const Run r = runProcess(QStringLiteral("openssl"), args);
        return r.exitCode == 0 ? QString() : QString::fromLocal8Bit(r.out);
    }

    QString enrolCode(const QString& terminalId, const QString& role = QStringLiteral("wallet"))
    {
        QString out;
        if (m_rig.bankctl({QStringLiteral("terminal"),
                              QStringLiteral("enrol-code"),
                              terminalId,
                              QStringLiteral("--role"),
                              role,
                              QStringLiteral("--json")},
                &out)
            != 0) {
            return {};
        }
        return QJsonDocument::fromJson(out.toUtf8()).object().value(QStringLiteral("code")).toString();
    }

    QJsonObject authorisation(const TestCard::Initialized& init, std::uint32_t amount) const
    {
        return TestCard::authoriseLoadBody(QByteArray::fromHex(kAsn.toLatin1()), init, amount, kTerminal);
    }

    /// A refusal: the status, a problem+json with this code and a next step, and the ledger exactly as before.
    void expectRefused(const Answer& a, int status, const QString& code, const QByteArray& before)
    {
        QVERIFY2(a.connected, "no HTTP answer");
        QVERIFY2(a.status == status,
            qPrintable(QStringLiteral("%1 %2").arg(a.status).arg(QString::fromUtf8(QJsonDocument(a.json).toJson()))));
        QCOMPARE(QString::fromStdString(a.contentType), QStringLiteral("application/problem+json"));
        QCOMPARE(a.json.value(QStringLiteral("code")).toString(), code);
        QVERIFY(!a.json.value(QStringLiteral("nextStep")).toString().isEmpty());
        QCOMPARE(
            a.json.value(QStringLiteral("type")).toString(), QStringLiteral("tag:smartkey.example,2026:bank/") + code);
        const QByteArray after = ledgerDump();
        QVERIFY2(after == before, "the ledger changed");
    }

    QString enrolledCert() const { return m_tmp.filePath(QStringLiteral("enrolled.pem")); }
    QString enrolledKey() const { return m_tmp.filePath(QStringLiteral("enrolled.key")); }

private slots:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
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
        const QJsonObject config
            = QJsonDocument::fromJson(readAll(m_rig.dataDir() + QStringLiteral("/bank.json"))).object();
        m_conninfo = config.value(QStringLiteral("conninfo")).toString();
        QVERIFY(!m_conninfo.isEmpty());
        QVERIFY2(!config.value(QStringLiteral("enrolledTerminalsOnly")).toBool(), "a test folder starts open");
        const QString started = m_rig.startServer();
        QVERIFY2(started.isEmpty(), qPrintable(started));
        m_card = std::make_unique<TestCard>(QByteArray::fromHex("00112233445566778899AABBCCDDEEFF"),
            QByteArray::fromHex("404142434445464748494A4B4C4D4E4F"),
            QByteArray::fromHex(kAsn.toLatin1()));
    }

    /// §5: `bankctl init` makes the CA and the server certificate (keys 0600, nothing secret printed), keeps them on a
    /// second run; a server on that folder is reached by a terminal that pins only that CA, enrolled by walletctl.
    void initMakesTheCaAndWalletctlEnrols()
    {
        const QString data = path(QStringLiteral("fresh-bank"));
        const QStringList init{
            QStringLiteral("init"), QStringLiteral("--data"), data, QStringLiteral("--db"), m_conninfo};
        const Run first = runProcess(bankBin("bankctl"), init);
        QVERIFY2(first.exitCode == 0, first.out.constData());
        QVERIFY2(first.out.contains("terminal CA created"), first.out.constData());
        QVERIFY2(!first.out.contains("PRIVATE KEY") && !first.out.contains("BEGIN"), first.out.constData());
        const QString tls = data + QStringLiteral("/tls/");
        // The CA's key is in the token (docs/bank.md §5): no key file, and the token keeps it sensitive and never
        // extractable (asked through bankctl and, independently, through GnuTLS's p11tool).
        QVERIFY2(first.out.contains("generated in the token"), first.out.constData());
        QVERIFY(!QFile::exists(tls + QStringLiteral("ca.key")));
        QVERIFY(
            QDir(tls).entryList({QStringLiteral("*.key")}, QDir::Files) == QStringList{QStringLiteral("server.key")});
        const Run where = runProcess(bankBin("bankctl"),
            {QStringLiteral("keys"), QStringLiteral("terminal-ca"), QStringLiteral("--data"), data});
        QVERIFY2(where.exitCode == 0
                && where.out.contains("sensitive yes, extractable no, always sensitive yes, never extractable yes"),
            where.out.constData());
        checkTokenKey(data);
        QCOMPARE(mode(tls + QStringLiteral("server.key")), 0600);
        const Run verify = opensslVerify(tls + QStringLiteral("ca.pem"), tls + QStringLiteral("server.pem"));
        QVERIFY2(verify.exitCode == 0, verify.out.constData());
        const Run san = runProcess(QStringLiteral("openssl"),
            {QStringLiteral("x509"),
                QStringLiteral("-in"),
                tls + QStringLiteral("server.pem"),
                QStringLiteral("-noout"),
                QStringLiteral("-ext"),
                QStringLiteral("subjectAltName")});
        QVERIFY2(san.out.contains("DNS:localhost") && san.out.contains("IP Address:127.0.0.1"), san.out.constData());
        QVERIFY(QJsonDocument::fromJson(readAll(data + QStringLiteral("/bank.json")))
                    .object()
                    .value(QStringLiteral("enrolledTerminalsOnly"))
                    .toBool());
        const QByteArray caBefore = readAll(tls + QStringLiteral("ca.pem"));
        const QByteArray serverBefore = readAll(tls + QStringLiteral("server.pem"));
        const Run second = runProcess(bankBin("bankctl"), init);
        QVERIFY2(second.exitCode == 0, second.out.constData());
        QVERIFY(!second.out.contains("created"));
        QCOMPARE(readAll(tls + QStringLiteral("ca.pem")), caBefore);
        QVERIFY(!QFile::exists(tls + QStringLiteral("ca.key")));
        QCOMPARE(readAll(tls + QStringLiteral("server.pem")), serverBefore);

        // The server on that folder (its keys first), and walletctl enrolling with a code and the fingerprint
        // bankctl printed.
        const Run keys = runProcess(
            bankBin("bankctl"), {QStringLiteral("keys"), QStringLiteral("init"), QStringLiteral("--data"), data});
        QVERIFY2(keys.exitCode == 0, keys.out.constData());
        // The order-signing certificate from the token's CA key (no --ca-key), verified by openssl.
        const Run certify = runProcess(
            bankBin("bankctl"), {QStringLiteral("orders"), QStringLiteral("certify"), QStringLiteral("--data"), data});
        QVERIFY2(certify.exitCode == 0, certify.out.constData());
        const Run orderVerify
            = opensslVerify(tls + QStringLiteral("ca.pem"), tls + QStringLiteral("order-signing.pem"));
        QVERIFY2(orderVerify.exitCode == 0, orderVerify.out.constData());
        QProcess server;
        server.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        server.start(bankBin("skey-bank"),
            {QStringLiteral("--data"), data, QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0")});
        QByteArray line;
        QDeadlineTimer deadline(60000);
        while (!line.contains('\n') && !deadline.hasExpired() && server.state() != QProcess::NotRunning) {
            server.waitForReadyRead(1000);
            line += server.readAllStandardOutput();
        }
        QVERIFY2(line.startsWith("listening 127.0.0.1:"), line.constData());
        const int port = line.trimmed().mid(int(sizeof("listening 127.0.0.1:") - 1)).toInt();
        const QString url = QStringLiteral("https://127.0.0.1:%1").arg(port);
        const Run code = runProcess(bankBin("bankctl"),
            {QStringLiteral("terminal"),
                QStringLiteral("enrol-code"),
                QStringLiteral("667788990011"),
                QStringLiteral("--role"),
                QStringLiteral("wallet"),
                QStringLiteral("--label"),
                QStringLiteral("Test wallet"),
                QStringLiteral("--json"),
                QStringLiteral("--data"),
                data});
        QVERIFY2(code.exitCode == 0, code.out.constData());
        const QJsonObject invite = QJsonDocument::fromJson(code.out).object();
        const QString fingerprint = invite.value(QStringLiteral("caFingerprint")).toString();
        QCOMPARE(fingerprint.size(), 64);
        QVERIFY(first.out.contains(fingerprint.toLatin1()));

        // Another CA's fingerprint: refused before anything is stored.
        const QString wrongDir = path(QStringLiteral("wallet-wrong"));
        QString wrong = fingerprint;
        wrong[0] = wrong[0] == QLatin1Char('0') ? QLatin1Char('1') : QLatin1Char('0');
        const Run refused = runProcess(QStringLiteral(WALLETCTL_PATH),
            {QStringLiteral("--data-dir"),
                wrongDir,
                QStringLiteral("bank"),
                QStringLiteral("enrol"),
                url,
                QStringLiteral("-"),
                QStringLiteral("--ca-fingerprint"),
                wrong},
            invite.value(QStringLiteral("code")).toString().toLatin1() + '\n');
        QVERIFY2(refused.exitCode != 0, refused.out.constData());
        QVERIFY2(refused.out.contains("fingerprint"), refused.out.constData());
        QVERIFY(!QFile::exists(wrongDir + QStringLiteral("/terminal.key")));
        QVERIFY(!QFile::exists(wrongDir + QStringLiteral("/bank-client.json")));

        // That attempt spent the code (the bank issued before the terminal refused its CA): a new one.
        const Run code2 = runProcess(bankBin("bankctl"),
            {QStringLiteral("terminal"),
                QStringLiteral("enrol-code"),
                QStringLiteral("667788990011"),
                QStringLiteral("--role"),
                QStringLiteral("wallet"),
                QStringLiteral("--json"),
                QStringLiteral("--data"),
                data});
        QVERIFY2(code2.exitCode == 0, code2.out.constData());
        const QString secret = QJsonDocument::fromJson(code2.out).object().value(QStringLiteral("code")).toString();
        const QString walletDir = path(QStringLiteral("wallet"));
        const Run enrolled = runProcess(QStringLiteral(WALLETCTL_PATH),
            {QStringLiteral("--json"),
                QStringLiteral("--data-dir"),
                walletDir,
                QStringLiteral("bank"),
                QStringLiteral("enrol"),
                url,
                QStringLiteral("-"),
                QStringLiteral("--ca-fingerprint"),
                fingerprint},
            secret.toLatin1() + '\n');
        QVERIFY2(enrolled.exitCode == 0,
            qPrintable(QStringLiteral("exit %1: %2").arg(enrolled.exitCode).arg(QString::fromUtf8(enrolled.out))));
        QVERIFY2(!enrolled.out.contains(secret.toLatin1()), "the code was echoed");
        const QJsonObject said = QJsonDocument::fromJson(enrolled.out.trimmed().split('\n').last()).object();
        QCOMPARE(said.value(QStringLiteral("terminalId")).toString(), QStringLiteral("667788990011"));
        QCOMPARE(said.value(QStringLiteral("caFingerprint")).toString(), fingerprint);
        QCOMPARE(mode(walletDir + QStringLiteral("/terminal.key")), 0600);
        QCOMPARE(readAll(walletDir + QStringLiteral("/bank-ca.pem")), caBefore); // the pinned CA is the bank's
        const QJsonObject cfg
            = QJsonDocument::fromJson(readAll(walletDir + QStringLiteral("/bank-client.json"))).object();
        QCOMPARE(cfg.value(QStringLiteral("url")).toString(), url);
        const Run subject = runProcess(QStringLiteral("openssl"),
            {QStringLiteral("x509"),
                QStringLiteral("-in"),
                walletDir + QStringLiteral("/terminal.pem"),
                QStringLiteral("-noout"),
                QStringLiteral("-subject")});
        QVERIFY2(
            subject.out.contains("OU = wallet") && subject.out.contains("CN = 667788990011"), subject.out.constData());
        const Run enrolledVerify
            = opensslVerify(tls + QStringLiteral("ca.pem"), walletDir + QStringLiteral("/terminal.pem"));
        QVERIFY2(enrolledVerify.exitCode == 0, enrolledVerify.out.constData());
        // A second enrolment into the same folder is refused before the bank is asked.
        const Run again = runProcess(QStringLiteral(WALLETCTL_PATH),
            {QStringLiteral("--data-dir"),
                walletDir,
                QStringLiteral("bank"),
                QStringLiteral("enrol"),
                url,
                QStringLiteral("-")},
            "AAAA-AAAA-AAAA-AAAA-AAAA\n");
        QVERIFY2(again.exitCode != 0 && again.out.contains("enrolled already"), again.out.constData());

        // This folder accepts enrolled terminals only: the rig's certificates (another CA here) are refused.
        auto other = std::make_unique<httplib::SSLClient>("127.0.0.1",
            port,
            m_rig.tlsPath(QStringLiteral("client.pem")).toStdString(),
            m_rig.tlsPath(QStringLiteral("client.key")).toStdString());
        other->enable_server_certificate_verification(false);
        const Answer a = answerOf(other->Get("/v1/terminals/me"));
        QCOMPARE(a.status, 401);
        QCOMPARE(a.json.value(QStringLiteral("code")).toString(), QStringLiteral("certificate-unknown"));
        server.terminate();
        server.waitForFinished(30000);
    }

    /**
     * A folder whose CA key is a file (made before the key moved into the token, or an operator's own CA from the
     * openssl CLI) keeps working, and `bankctl keys terminal-ca import` moves the key into the token: the file is
     * gone, the CA certificate the terminals pin is the same, and certificates signed afterwards in the token verify
     * with it (docs/bank.md §5).
     */
    void caKeyFileMovesIntoTheToken()
    {
        const QString data = path(QStringLiteral("file-ca-bank"));
        const QString tls = data + QStringLiteral("/tls/");
        QVERIFY(QDir().mkpath(tls));
        const Run ca = opensslNewP256(tls + QStringLiteral("ca.key"),
            {QStringLiteral("-x509"),
                QStringLiteral("-out"),
                tls + QStringLiteral("ca.pem"),
                QStringLiteral("-days"),
                QStringLiteral("30"),
                QStringLiteral("-subj"),
                QStringLiteral("/O=SmartKey Bank/CN=Earlier Terminal CA"),
                QStringLiteral("-addext"),
                QStringLiteral("basicConstraints=critical,CA:TRUE,pathlen:0"),
                QStringLiteral("-addext"),
                QStringLiteral("keyUsage=critical,keyCertSign,cRLSign")});
        QVERIFY2(ca.exitCode == 0, ca.out.constData());
        const Run init = runProcess(
            bankBin("bankctl"), {QStringLiteral("init"), QStringLiteral("--test"), QStringLiteral("--data"), data});
        QVERIFY2(init.exitCode == 0 && init.out.contains("keys terminal-ca import"), init.out.constData());
        const Run before = runProcess(bankBin("bankctl"),
            {QStringLiteral("keys"), QStringLiteral("terminal-ca"), QStringLiteral("--data"), data});
        QVERIFY2(before.exitCode == 0 && before.out.contains("FILE"), before.out.constData());
        const auto issue = [&](const QString& terminal) {
            const QString csr = path(terminal + QStringLiteral(".csr"));
            const Run req = opensslNewP256(path(terminal + QStringLiteral(".key")),
                {QStringLiteral("-new"),
                    QStringLiteral("-out"),
                    csr,
                    QStringLiteral("-subj"),
                    QStringLiteral("/CN=ignored")});
            if (req.exitCode != 0) {
                return QString::fromUtf8(req.out);
            }
            const QString pem = path(terminal + QStringLiteral(".pem"));
            const Run issued = runProcess(bankBin("bankctl"),
                {QStringLiteral("terminal"),
                    QStringLiteral("issue"),
                    terminal,
                    QStringLiteral("--role"),
                    QStringLiteral("wallet"),
                    QStringLiteral("--csr"),
                    csr,
                    QStringLiteral("--out"),
                    pem,
                    QStringLiteral("--data"),
                    data});
            if (issued.exitCode != 0) {
                return QString::fromUtf8(issued.out);
            }
            const Run verify = opensslVerify(tls + QStringLiteral("ca.pem"), pem);
            return verify.exitCode == 0 ? QString() : QString::fromUtf8(verify.out);
        };
        QString e = issue(QStringLiteral("998877665544"));
        QVERIFY2(e.isEmpty(), qPrintable(e));

        const QByteArray caBefore = readAll(tls + QStringLiteral("ca.pem"));
        const Run import = runProcess(bankBin("bankctl"),
            {QStringLiteral("keys"),
                QStringLiteral("terminal-ca"),
                QStringLiteral("import"),
                QStringLiteral("--data"),
                data});
        QVERIFY2(import.exitCode == 0, import.out.constData());
        QVERIFY(!QFile::exists(tls + QStringLiteral("ca.key")));
        QCOMPARE(readAll(tls + QStringLiteral("ca.pem")), caBefore);
        const Run after = runProcess(bankBin("bankctl"),
            {QStringLiteral("keys"), QStringLiteral("terminal-ca"), QStringLiteral("--data"), data});
        QVERIFY2(after.exitCode == 0 && after.out.contains("in the token, sensitive yes, extractable no"),
            after.out.constData());
        checkTokenKey(data);
        e = issue(QStringLiteral("998877665533"));
        QVERIFY2(e.isEmpty(), qPrintable(e));
        const Run again = runProcess(bankBin("bankctl"),
            {QStringLiteral("keys"),
                QStringLiteral("terminal-ca"),
                QStringLiteral("import"),
                QStringLiteral("--data"),
                data});
        QVERIFY2(again.exitCode != 0 && again.out.contains("in the token already"), again.out.constData());
    }

    /// The enrolment endpoint: the code in Authorization, a CSR in the body; bad request → 422 and the code stays
    /// usable; success once; the same request id replays the certificate; the code again, or expired → 401.
    void enrolmentCodes()
    {
        const QByteArray before = ledgerDump();
        const QString code = enrolCode(kTerminalId);
        QCOMPARE(code.size(), 24); // XXXX-XXXX-XXXX-XXXX-XXXX
        QCOMPARE(sqlInt("SELECT count(*) FROM enrolment_codes WHERE code_hash LIKE '%" + code.toStdString() + "%'"), 0);
        QVERIFY(makeRequest(QStringLiteral("enrolled")).isEmpty());
        QVERIFY(makeRequest(QStringLiteral("rsa"), "rsa").isEmpty());
        const QString csr = QString::fromLatin1(readAll(path(QStringLiteral("enrolled.csr"))));
        const QString api = QStringLiteral("/v1/terminals/enrolments");

        expectRefused(post(api, newKey(), {{QStringLiteral("csrPem"), csr}}, {}, {}),
            401,
            QStringLiteral("enrolment-code-invalid"),
            before);
        expectRefused(post(api, newKey(), {{QStringLiteral("csrPem"), csr}}, {}, {}, "AAAA-BBBB-CCCC-DDDD-EEEE"),
            401,
            QStringLiteral("enrolment-code-invalid"),
            before);
        QString garbage = csr;
        garbage.replace(70, 20, QStringLiteral("AAAAAAAAAAAAAAAAAAAA"));
        Answer bad = post(api, newKey(), {{QStringLiteral("csrPem"), garbage}}, {}, {}, code.toStdString());
        QCOMPARE(bad.status, 422);
        QCOMPARE(bad.json.value(QStringLiteral("code")).toString(), QStringLiteral("csr-invalid"));
        Answer rsa = post(api,
            newKey(),
            {{QStringLiteral("csrPem"), QString::fromLatin1(readAll(path(QStringLiteral("rsa.csr"))))}},
            {},
            {},
            code.toStdString());
        QCOMPARE(rsa.status, 422);
        QCOMPARE(rsa.json.value(QStringLiteral("code")).toString(), QStringLiteral("unsupported-key"));
        QCOMPARE(sqlInt("SELECT count(*) FROM enrolment_codes WHERE used_at IS NULL"), 1);

        const QString key = newKey();
        Answer ok = post(api, key, {{QStringLiteral("csrPem"), csr}}, {}, {}, code.toLower().toStdString());
        QVERIFY2(ok.status == 201, QJsonDocument(ok.json).toJson().constData());
        QCOMPARE(ok.json.value(QStringLiteral("terminalId")).toString(), kTerminalId);
        QCOMPARE(ok.json.value(QStringLiteral("kind")).toString(), QStringLiteral("wallet"));
        QCOMPARE(ok.json.value(QStringLiteral("certificateSerial")).toString().size(), 32);
        QCOMPARE(ok.json.value(QStringLiteral("caCertificatePem")).toString().toLatin1(),
            readAll(m_rig.tlsPath(QStringLiteral("ca.pem"))));
        QFile out(enrolledCert());
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(ok.json.value(QStringLiteral("certificatePem")).toString().toLatin1());
        out.close();
        const Run verify = opensslVerify(m_rig.tlsPath(QStringLiteral("ca.pem")), enrolledCert());
        QVERIFY2(verify.exitCode == 0, verify.out.constData());
        QCOMPARE(ledgerDump().contains(code.toLatin1()), false);

        Answer replay = post(api, key, {{QStringLiteral("csrPem"), csr}}, {}, {}, code.toStdString());
        QCOMPARE(replay.status, 201);
        QVERIFY(replay.replayed);
        QCOMPARE(replay.json, ok.json);
        const QByteArray afterEnrol = ledgerDump();
        expectRefused(post(api, newKey(), {{QStringLiteral("csrPem"), csr}}, {}, {}, code.toStdString()),
            401,
            QStringLiteral("enrolment-code-used"),
            afterEnrol);
        QCOMPARE(sqlInt("SELECT count(*) FROM terminal_certificates WHERE terminal_id = '112233445566'"), 1);

        const QString late = enrolCode(QStringLiteral("223344556688"));
        QVERIFY(!late.isEmpty());
        QVERIFY(m_rig.db().exec("UPDATE enrolment_codes SET expires_at = 0 WHERE terminal_id = '223344556688'").ok());
        expectRefused(post(api, newKey(), {{QStringLiteral("csrPem"), csr}}, {}, {}, late.toStdString()),
            401,
            QStringLiteral("enrolment-code-expired"),
            afterEnrol);

        // The enrolled certificate works, and the bank knows it as this terminal's.
        QFile::copy(path(QStringLiteral("enrolled.key")), enrolledKey());
        Answer me = get(QStringLiteral("/v1/terminals/me"), enrolledCert(), enrolledKey());
        QCOMPARE(me.status, 200);
        QCOMPARE(me.json.value(QStringLiteral("terminalId")).toString(), kTerminalId);
        QCOMPARE(
            me.json.value(QStringLiteral("certificateSerial")), ok.json.value(QStringLiteral("certificateSerial")));
    }

    /// Every caller that may not move money gets a clear 401/422 problem and the ledger stays byte for byte the
    /// same; the same body from the enrolled terminal then moves money (the control that the body was genuine).
    void cleanupTestCase() { m_rig.stopServer(); }

    void refusedCallersMoveNothing()
    {
        const auto init = m_card->initializeForLoad(100, kTerminal);
        const QJsonObject body = authorisation(init, 100);
        const QString loads = QStringLiteral("/v1/loads");
        QByteArray before = ledgerDump();

        // No client certificate: TLS requests one but does not require it, so HTTP answers 401 (docs/bank.md §5).
        expectRefused(post(loads, newKey(), body, {}, {}), 401, QStringLiteral("certificate-missing"), before);
        // A certificate from another CA (self-signed, same terminal ID).
        expectRefused(post(loads,
                          newKey(),
                          body,
                          m_rig.tlsPath(QStringLiteral("foreign.pem")),
                          m_rig.tlsPath(QStringLiteral("foreign.key"))),
            401,
            QStringLiteral("certificate-unknown"),
            before);
        // An expired certificate from the bank CA, recorded for this terminal (bankctl terminal issue, test folder).
        QVERIFY(makeRequest(QStringLiteral("expired")).isEmpty());
        QString out;
        QVERIFY2(m_rig.bankctl({QStringLiteral("terminal"),
                                   QStringLiteral("issue"),
                                   kTerminalId,
                                   QStringLiteral("--role"),
                                   QStringLiteral("wallet"),
                                   QStringLiteral("--csr"),
                                   path(QStringLiteral("expired.csr")),
                                   QStringLiteral("--out"),
                                   path(QStringLiteral("expired.pem")),
                                   QStringLiteral("--not-after"),
                                   QStringLiteral("2026-01-01T00:00:00Z")},
                     &out)
                == 0,
            qPrintable(out));
        before = ledgerDump(); // the issue recorded a certificate row (not a ledger table; the dump is the same)
        expectRefused(
            post(loads, newKey(), body, path(QStringLiteral("expired.pem")), path(QStringLiteral("expired.key"))),
            401,
            QStringLiteral("certificate-expired"),
            before);
        // A certificate from the bank CA for this enrolled terminal that the bank never issued to it (made outside
        // enrolment with the CA key, as the rig's client.pem was).
        expectRefused(post(loads,
                          newKey(),
                          body,
                          m_rig.tlsPath(QStringLiteral("client.pem")),
                          m_rig.tlsPath(QStringLiteral("client.key"))),
            401,
            QStringLiteral("certificate-unknown"),
            before);
        // A terminal the bank never enrolled, once only enrolled terminals may call.
        QVERIFY(
            m_rig.bankctl({QStringLiteral("terminal"), QStringLiteral("require-enrolment"), QStringLiteral("on")}, &out)
            == 0);
        m_rig.stopServer();
        const QString restarted = m_rig.startServer();
        QVERIFY2(restarted.isEmpty(), qPrintable(restarted));
        expectRefused(post(loads,
                          newKey(),
                          body,
                          m_rig.tlsPath(QStringLiteral("other.pem")),
                          m_rig.tlsPath(QStringLiteral("other.key"))),
            401,
            QStringLiteral("terminal-unknown"),
            before);

        // The control: the enrolled terminal's certificate with the same body moves money.
        const QString key = newKey();
        Answer ok = post(loads, key, body, enrolledCert(), enrolledKey());
        QVERIFY2(ok.status == 201, QJsonDocument(ok.json).toJson().constData());
        const QByteArray afterLoad = ledgerDump();
        QVERIFY(afterLoad != before);
        QCOMPARE(sqlInt("SELECT count(*) FROM loads"), 1);

        // The same request id with another body: 422, nothing moved, nothing stored.
        QJsonObject other = body;
        other.insert(QStringLiteral("amount"), 200);
        expectRefused(post(loads, key, other, enrolledCert(), enrolledKey()),
            422,
            QStringLiteral("idempotency-key-reused"),
            afterLoad);
        // The same request id and body: the first answer, nothing moved again.
        Answer replay = post(loads, key, body, enrolledCert(), enrolledKey());
        QCOMPARE(replay.status, 201);
        QVERIFY(replay.replayed);
        QCOMPARE(ledgerDump(), afterLoad);

        // Revoked: every certificate of the terminal is refused from the next request on, without a restart.
        QVERIFY2(m_rig.bankctl({QStringLiteral("terminal"), QStringLiteral("revoke"), kTerminalId}, &out) == 0,
            qPrintable(out));
        const auto init2 = m_card->initializeForLoad(100, kTerminal);
        expectRefused(post(loads, newKey(), authorisation(init2, 100), enrolledCert(), enrolledKey()),
            401,
            QStringLiteral("certificate-revoked"),
            afterLoad);
        QVERIFY2(m_rig.bankctl({QStringLiteral("audit"), QStringLiteral("ledger")}, &out) == 0, qPrintable(out));
    }
};

int main(int argc, char** argv)
{
    // Skipped (ctest SKIP_RETURN_CODE 77), never passed, when a real part is missing.
    if (auto missing = BankRig::missingPart()) {
        std::fprintf(stderr, "SKIP: %s not found (scripts/setup-deps.sh installs it)\n", qPrintable(*missing));
        return 77;
    }
    QCoreApplication app(argc, argv);
    TestBankEnrolment t;
    return wallet::test::skipAwareExitCode(QTest::qExec(&t, argc, argv));
}
#include "TestBankEnrolment.moc"
