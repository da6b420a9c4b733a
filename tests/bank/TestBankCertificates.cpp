// SPDX-License-Identifier: Apache-2.0
// The cardholder CA (issue 14, docs/bank.md §13) end to end: the real bank host (BankRig: PostgreSQL, SoftHSM2 with
// the CA key `cardholder-ca`, skey-bank over mutual TLS) and walletctl with its embedded simulated key (skey-sim over
// loopback UDP), issued with the demo profile and registered at the bank. Then:
//   * `walletctl cert generate` makes a P-256 key pair in PIV slot 9A; `cert request` a PKCS#10 request signed on the
//     key (PIN from stdin), which `openssl req -verify` accepts;
//   * `cert apply` sends a request to POST /v1/cards/{asn}/certificates and stores the issued certificate on the
//     key; `openssl verify` checks it against the bank's CA certificate (itself self-signed by the HSM key), and the
//     certificate read back from the key (`cert show --out`) is the one the bank recorded;
//   * the same request id and body answer the first certificate (one row); an altered request (422 csr-invalid) and
//     an unknown card (404) issue nothing;
//   * `cert list` shows subject, issuer and fingerprint; `cert show --out` never replaces a file silently;
//     `cert delete` empties the slot.
#include "bank/support/BankRig.h"
#include "bank/support/ToolRun.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>
#include <QUuid>

using namespace wallet::bank::test;

namespace {

using Run = ToolRun;

Run tool(const QString& program, const QStringList& args)
{
    return runTool(program, args);
}

} // namespace

class TestBankCertificates : public QObject
{
    Q_OBJECT

private:
    BankRig m_rig;
    QTemporaryDir m_wallet;
    QString m_asn;

    Run walletctl(const QStringList& args, const QByteArray& stdinData = {})
    {
        return runWalletctl(QStringLiteral(WALLETCTL_PATH),
            walletctlArgs(m_wallet.path(), m_wallet.filePath(QStringLiteral("bank-client.json")), args),
            stdinData);
    }
    qint64 sqlInt(const std::string& sql) { return m_rig.sqlInt(sql); }
    QString sqlText(const std::string& sql) { return m_rig.sqlText(sql); }
    /// POST as the wallet terminal with a chosen request id.
    QJsonObject post(const QString& path, const QJsonObject& body, const QString& requestId, int* status)
    {
        const BankRig::ApiAnswer a = m_rig.api("POST", path, QStringLiteral("client"), body, requestId);
        *status = a.status;
        return a.json;
    }
    QByteArray derOfPem(const QString& path)
    {
        const Run r = tool(QStringLiteral("openssl"),
            {QStringLiteral("req"), QStringLiteral("-in"), path, QStringLiteral("-outform"), QStringLiteral("der")});
        return r.out;
    }
    QString walletFile(const QString& name) const { return m_wallet.filePath(name); }
    QString caPath() const { return QDir(m_rig.dataDir()).filePath(QStringLiteral("tls/cardholder-ca.pem")); }

private slots:
    void initTestCase()
    {
        const QString up = m_rig.setUp();
        QVERIFY2(up.isEmpty(), qPrintable(up));
        const QString started = m_rig.startServer();
        QVERIFY2(started.isEmpty(), qPrintable(started));
        const QString config = m_rig.writeClientConfig(walletFile(QStringLiteral("bank-client.json")));
        QVERIFY2(config.isEmpty(), qPrintable(config));
        const Run issued = walletctl(
            {QStringLiteral("issue"), QStringLiteral(WALLET_SOURCE_DIR "/resources/profiles/demo-3des.json")});
        QVERIFY2(issued.exitCode == 0, issued.out + issued.err);
        m_asn = issued.json.value(QStringLiteral("asn")).toString();
        QCOMPARE(m_asn.size(), 16);
        const QString registered = m_rig.registerCard(m_asn, QStringLiteral("Test holder"));
        QVERIFY2(registered.isEmpty(), qPrintable(registered));
        // The CA certificate bankctl made in the test folder is self-signed by the HSM key.
        const Run ca = tool(QStringLiteral("openssl"),
            {QStringLiteral("verify"), QStringLiteral("-check_ss_sig"), QStringLiteral("-CAfile"), caPath(), caPath()});
        QVERIFY2(ca.exitCode == 0 && ca.out.contains(": OK"), ca.out + ca.err);
    }

    void generateAndRequest()
    {
        const Run empty = walletctl({QStringLiteral("cert"), QStringLiteral("list")});
        QVERIFY2(empty.exitCode == 0, empty.out + empty.err);
        QCOMPARE(empty.json.value(QStringLiteral("slots")).toArray().size(), 4);
        QCOMPARE(
            empty.json.value(QStringLiteral("slots")).toArray()[0].toObject().value(QStringLiteral("key")), QString());

        const Run gen = walletctl({QStringLiteral("cert"), QStringLiteral("generate")});
        QVERIFY2(gen.exitCode == 0, gen.out + gen.err);
        QCOMPARE(gen.json.value(QStringLiteral("key")).toString(), QStringLiteral("secp256r1"));
        // A second generate would replace the key: refused without --yes.
        const Run again = walletctl({QStringLiteral("cert"), QStringLiteral("generate")});
        QCOMPARE(again.exitCode, 1);

        const Run req = walletctl({QStringLiteral("cert"),
                                      QStringLiteral("request"),
                                      QStringLiteral("--out"),
                                      walletFile(QStringLiteral("a.csr"))},
            "123456\n");
        QVERIFY2(req.exitCode == 0, req.out + req.err);
        const Run check = tool(QStringLiteral("openssl"),
            {QStringLiteral("req"),
                QStringLiteral("-verify"),
                QStringLiteral("-noout"),
                QStringLiteral("-subject"),
                QStringLiteral("-in"),
                walletFile(QStringLiteral("a.csr"))});
        QVERIFY2(check.exitCode == 0, check.out + check.err);
        QVERIFY2((check.out + check.err).contains("verify OK"), check.out + check.err);
        QVERIFY2(check.out.contains(m_asn.toLatin1()), check.out);
        // The request's key is the slot's key.
        QVERIFY(QByteArray::fromHex(gen.json.value(QStringLiteral("publicKey")).toString().toLatin1()).size() == 65);
        const Run pubDer = tool(QStringLiteral("sh"),
            {QStringLiteral("-c"),
                QStringLiteral("openssl req -in '%1' -noout -pubkey | openssl pkey -pubin -outform der | tail -c 65 | "
                               "od -An -tx1 | tr -d ' \\n'")
                    .arg(walletFile(QStringLiteral("a.csr")))});
        QCOMPARE(QString::fromLatin1(pubDer.out), gen.json.value(QStringLiteral("publicKey")).toString());
    }

    void applyIssuesAndStores()
    {
        const Run r = walletctl({QStringLiteral("cert"), QStringLiteral("apply")}, "123456\n");
        QVERIFY2(r.exitCode == 0, r.out + r.err);
        QCOMPARE(r.json.value(QStringLiteral("subject")).toString(),
            QStringLiteral("O=SmartKey cardholder, CN=%1").arg(m_asn));
        QCOMPARE(r.json.value(QStringLiteral("issuer")).toString(),
            QStringLiteral("C=CN, O=SmartKey Bank, CN=SmartKey Bank Cardholder CA"));
        QCOMPARE(sqlInt("SELECT count(*) FROM cardholder_certificates WHERE asn = '" + m_asn.toStdString() + "'"), 1);

        // The certificate on the key is the one the bank recorded, and it chains to the bank's cardholder CA.
        const QString pem = walletFile(QStringLiteral("card.pem"));
        const Run show = walletctl({QStringLiteral("cert"), QStringLiteral("show"), QStringLiteral("--out"), pem});
        QVERIFY2(show.exitCode == 0, show.out + show.err);
        const QString sha = show.json.value(QStringLiteral("sha256")).toString().remove(QLatin1Char(':'));
        QCOMPARE(sha, sqlText("SELECT sha256 FROM cardholder_certificates WHERE asn = '" + m_asn.toStdString() + "'"));
        const Run verify = tool(QStringLiteral("openssl"),
            {QStringLiteral("verify"), QStringLiteral("-x509_strict"), QStringLiteral("-CAfile"), caPath(), pem});
        QVERIFY2(verify.exitCode == 0 && verify.out.contains(": OK"), verify.out + verify.err);
        const Run fp = tool(QStringLiteral("openssl"),
            {QStringLiteral("x509"),
                QStringLiteral("-in"),
                pem,
                QStringLiteral("-noout"),
                QStringLiteral("-fingerprint"),
                QStringLiteral("-sha256")});
        QVERIFY2(fp.out.contains(show.json.value(QStringLiteral("sha256")).toString().toLatin1()), fp.out);
        // Export never replaces a file without --replace.
        const Run twice = walletctl({QStringLiteral("cert"), QStringLiteral("show"), QStringLiteral("--out"), pem});
        QCOMPARE(twice.exitCode, 1);
        QVERIFY2(
            twice.json.value(QStringLiteral("error")).toString().contains(QStringLiteral("already exists")), twice.out);

        const Run list = walletctl({QStringLiteral("cert"), QStringLiteral("list")});
        QVERIFY2(list.exitCode == 0, list.out + list.err);
        const QJsonObject slot9a = list.json.value(QStringLiteral("slots")).toArray()[0].toObject();
        QCOMPARE(slot9a.value(QStringLiteral("certificate")).toObject().value(QStringLiteral("sha256")).toString(),
            show.json.value(QStringLiteral("sha256")).toString());
    }

    void exactlyOnceAndRefusals()
    {
        const QByteArray csr = derOfPem(walletFile(QStringLiteral("a.csr")));
        QVERIFY(csr.size() > 100);
        const QJsonObject body{{QStringLiteral("slot"), QStringLiteral("9A")},
            {QStringLiteral("csr"), QString::fromLatin1(csr.toHex().toUpper())}};
        const QString path = QStringLiteral("/v1/cards/%1/certificates").arg(m_asn);
        const QString id = QUuid::createUuid().toString(QUuid::WithoutBraces);
        const qint64 before = sqlInt("SELECT count(*) FROM cardholder_certificates");
        int status = 0;
        const QJsonObject first = post(path, body, id, &status);
        QCOMPARE(status, 201);
        const QJsonObject second = post(path, body, id, &status);
        QCOMPARE(status, 201);
        QCOMPARE(second.value(QStringLiteral("serial")), first.value(QStringLiteral("serial")));
        QCOMPARE(second.value(QStringLiteral("certificate")), first.value(QStringLiteral("certificate")));
        QCOMPARE(sqlInt("SELECT count(*) FROM cardholder_certificates"), before + 1);

        // A request whose signature does not match its key: no proof of possession, nothing issued.
        QByteArray altered = csr;
        altered[altered.size() - 5] = static_cast<char>(altered[altered.size() - 5] ^ 0x01);
        QJsonObject bad = body;
        bad.insert(QStringLiteral("csr"), QString::fromLatin1(altered.toHex().toUpper()));
        const QJsonObject refused = post(path, bad, QUuid::createUuid().toString(QUuid::WithoutBraces), &status);
        QCOMPARE(status, 422);
        QCOMPARE(refused.value(QStringLiteral("code")).toString(), QStringLiteral("csr-invalid"));
        const QJsonObject unknown = post(QStringLiteral("/v1/cards/FFFFFFFFFFFFFFFF/certificates"),
            body,
            QUuid::createUuid().toString(QUuid::WithoutBraces),
            &status);
        QCOMPARE(status, 404);
        QCOMPARE(unknown.value(QStringLiteral("code")).toString(), QStringLiteral("unknown-card"));
        QCOMPARE(sqlInt("SELECT count(*) FROM cardholder_certificates"), before + 1);
    }

    /// SM2 (vendor algorithm 54): the request made on the key verifies with OpenSSL 3 given the GM/T 0009 default
    /// identity (OpenSSL's own default is an empty one); the bank CA certifies P-256 only and says so.
    void sm2RequestVerifiesAndIsRefusedByTheCa()
    {
        const Run gen = walletctl({QStringLiteral("cert"),
            QStringLiteral("generate"),
            QStringLiteral("--slot"),
            QStringLiteral("9d"),
            QStringLiteral("--alg"),
            QStringLiteral("sm2")});
        QVERIFY2(gen.exitCode == 0, gen.out + gen.err);
        QCOMPARE(gen.json.value(QStringLiteral("key")).toString(), QStringLiteral("sm2p256v1"));
        const QString csr = walletFile(QStringLiteral("sm2.csr"));
        const Run req = walletctl({QStringLiteral("cert"),
                                      QStringLiteral("request"),
                                      QStringLiteral("--slot"),
                                      QStringLiteral("9d"),
                                      QStringLiteral("--out"),
                                      csr},
            "123456\n");
        QVERIFY2(req.exitCode == 0, req.out + req.err);
        const Run check = tool(QStringLiteral("openssl"),
            {QStringLiteral("req"),
                QStringLiteral("-verify"),
                QStringLiteral("-noout"),
                QStringLiteral("-vfyopt"),
                QStringLiteral("distid:1234567812345678"),
                QStringLiteral("-text"),
                QStringLiteral("-in"),
                csr});
        QVERIFY2((check.out + check.err).contains("verify OK"), check.out + check.err);
        QVERIFY2(check.out.contains("SM2-with-SM3"), check.out);
        const Run apply = walletctl(
            {QStringLiteral("cert"), QStringLiteral("apply"), QStringLiteral("--slot"), QStringLiteral("9d")},
            "123456\n");
        QCOMPARE(apply.exitCode, 4);
        QVERIFY2(apply.json.value(QStringLiteral("error")).toString().contains(QStringLiteral("unsupported-key")),
            apply.out);
    }

    void deleteEmptiesTheSlot()
    {
        const Run del = walletctl({QStringLiteral("cert"), QStringLiteral("delete"), QStringLiteral("--yes")});
        QVERIFY2(del.exitCode == 0, del.out + del.err);
        const Run list = walletctl({QStringLiteral("cert"), QStringLiteral("list")});
        const QJsonObject slot9a = list.json.value(QStringLiteral("slots")).toArray()[0].toObject();
        QVERIFY2(!slot9a.contains(QStringLiteral("certificate")), list.out);
        QCOMPARE(slot9a.value(QStringLiteral("key")).toString(), QStringLiteral("secp256r1"));
        const Run show = walletctl({QStringLiteral("cert"), QStringLiteral("show")});
        QCOMPARE(show.exitCode, 3); // NotFound: refused
    }

    void cleanupTestCase() { m_rig.stopServer(); }
};

QTEST_GUILESS_MAIN(TestBankCertificates)
#include "TestBankCertificates.moc"
