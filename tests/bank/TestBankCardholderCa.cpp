// SPDX-License-Identifier: Apache-2.0
// Issue 14: the cardholder CA certificate served by the bank (GET /v1/cardholder-ca/certificate) and the wallet's
// use of it, end to end: the real bank host (BankRig: PostgreSQL, SoftHSM2 with the CA key `cardholder-ca`,
// skey-bank over mutual TLS) and walletctl with its embedded simulated key (skey-sim over loopback UDP), issued,
// registered at the bank, with a P-256 key pair in PIV slot 9A and the certificate the bank issued for it. Then:
//   * the endpoint answers the CA certificate the bank issues with (the DER of its tls/cardholder-ca.pem) and its
//     SHA-256; `openssl verify` accepts the cardholder's certificate with it;
//   * a wallet that kept no CA certificate (one applied for before the wallet kept it) fetches it, pins it in its
//     data folder and calls its certificate "valid" (CertificateService / RevocationCheck, shared with the GUI);
//   * a kept CA certificate from before a rollover of the bank's cardholder CA: replaced by the bank's current one,
//     which issued the certificate on the key;
//   * the bank serving another CA certificate (same name, another key, as an impostor would): the wallet without a
//     kept CA says "unknown", never "valid", and keeps nothing; with the right CA kept, the status stays "valid" and
//     the kept file is not replaced;
//   * revoked by `bankctl certificates revoke`: a wallet that kept no CA fetches it and shows "revoked".
#include "bank/support/BankRig.h"
#include "bank/support/ToolRun.h"
#include "bank/support/WalletctlRun.h"
#include "support/Skip.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonObject>
#include <QTest>

using namespace wallet::bank::test;

class TestBankCardholderCa : public QObject
{
    Q_OBJECT

private:
    BankRig m_rig;
    QTemporaryDir m_wallet;
    WalletctlRun m_walletctl{QStringLiteral(WALLETCTL_PATH), m_wallet.path()};
    QString m_asn;
    QString m_serial;

    QString bankCaPath() const { return QDir(m_rig.dataDir()).filePath(QStringLiteral("tls/cardholder-ca.pem")); }
    QString keptCaPath() const { return m_walletctl.file(QStringLiteral("cardholder-ca.pem")); }
    static QByteArray derOf(const QString& pemPath)
    {
        return runTool(QStringLiteral("openssl"),
            {QStringLiteral("x509"), QStringLiteral("-in"), pemPath, QStringLiteral("-outform"), QStringLiteral("der")})
            .out;
    }
    /// `walletctl cert show` of slot 9A: its JSON (status, statusExplanation, revocationReason).
    QJsonObject show()
    {
        const ToolRun r = m_walletctl({QStringLiteral("cert"), QStringLiteral("show")});
        if (r.exitCode != 0) {
            qWarning("cert show: %s %s", r.out.constData(), r.err.constData());
        }
        return r.json;
    }
    /// skey-bank restarted (it reads the CA certificate at start); the wallet's config follows its new port.
    QString restartBank()
    {
        m_rig.stopServer();
        if (QString e = m_rig.startServer(); !e.isEmpty()) {
            return e;
        }
        return m_walletctl.configure(m_rig);
    }

private slots:
    void initTestCase()
    {
        if (const auto missing = BankRig::missingPart()) {
            SKEY_SKIP(*missing);
        }
        const QString started = m_walletctl.startWithRegisteredKey(
            m_rig, QStringLiteral(WALLET_SOURCE_DIR "/resources/profiles/demo-3des.json"), &m_asn);
        QVERIFY2(started.isEmpty(), qPrintable(started));
        const QString certified = m_walletctl.certify(&m_serial);
        QVERIFY2(certified.isEmpty(), qPrintable(certified));
        QVERIFY(QFile::exists(keptCaPath())); // kept by `cert apply` (the case before this endpoint existed)
        QCOMPARE(show().value(QStringLiteral("status")).toString(), QStringLiteral("valid"));
    }

    /// The endpoint: the CA certificate the bank issues with, and its SHA-256.
    void endpointServesTheCaCertificate()
    {
        const BankRig::ApiAnswer res = m_rig.api("GET", QStringLiteral("/v1/cardholder-ca/certificate"));
        QCOMPARE(res.status, 200);
        QCOMPARE(res.contentType, std::string("application/json"));
        const QJsonObject& body = res.json;
        const QString hex = body.value(QStringLiteral("certificate")).toString();
        QCOMPARE(hex, hex.toUpper());
        const QByteArray der = QByteArray::fromHex(hex.toLatin1());
        const QByteArray bankDer = derOf(bankCaPath());
        QVERIFY(!bankDer.isEmpty());
        QCOMPARE(der, bankDer);
        QCOMPARE(body.value(QStringLiteral("sha256")).toString().toLatin1(),
            QCryptographicHash::hash(der, QCryptographicHash::Sha256).toHex().toUpper());
        // What it certifies: the cardholder's certificate verifies with it.
        QFile served(m_walletctl.file(QStringLiteral("served-ca.der")));
        QVERIFY(served.open(QIODevice::WriteOnly));
        served.write(der);
        served.close();
        const ToolRun pem = runTool(QStringLiteral("openssl"),
            {QStringLiteral("x509"),
                QStringLiteral("-inform"),
                QStringLiteral("DER"),
                QStringLiteral("-in"),
                served.fileName(),
                QStringLiteral("-out"),
                m_walletctl.file(QStringLiteral("served-ca.pem"))});
        QVERIFY2(pem.exitCode == 0, pem.err);
        const ToolRun verify = runTool(QStringLiteral("openssl"),
            {QStringLiteral("verify"),
                QStringLiteral("-x509_strict"),
                QStringLiteral("-CAfile"),
                m_walletctl.file(QStringLiteral("served-ca.pem")),
                m_walletctl.file(QStringLiteral("leaf.pem"))});
        QVERIFY2(verify.exitCode == 0, verify.out + verify.err);
    }

    /// A wallet that kept no CA certificate fetches it, pins it and checks the CRL with it.
    void fetchedAndPinnedWhenNoneKept()
    {
        QVERIFY(QFile::remove(keptCaPath()));
        const QJsonObject shown = show();
        QCOMPARE(shown.value(QStringLiteral("status")).toString(), QStringLiteral("valid"));
        QVERIFY2(QFile::exists(keptCaPath()), "the fetched CA certificate was not kept");
        QCOMPARE(derOf(keptCaPath()), derOf(bankCaPath()));
        // The second look uses the pinned file (the same answer).
        QCOMPARE(show().value(QStringLiteral("status")).toString(), QStringLiteral("valid"));
    }

    /// The bank serves a CA certificate that did not issue the cardholder's (same name, another key).
    void anotherCaServedIsNeverValid()
    {
        const QString impostorKey = m_walletctl.file(QStringLiteral("impostor.key"));
        const QString impostor = m_walletctl.file(QStringLiteral("impostor.pem"));
        const ToolRun made = runTool(QStringLiteral("openssl"),
            {QStringLiteral("req"),
                QStringLiteral("-x509"),
                QStringLiteral("-newkey"),
                QStringLiteral("ec"),
                QStringLiteral("-pkeyopt"),
                QStringLiteral("ec_paramgen_curve:P-256"),
                QStringLiteral("-nodes"),
                QStringLiteral("-subj"),
                QStringLiteral("/C=CN/O=SmartKey Bank/CN=SmartKey Bank Cardholder CA"),
                QStringLiteral("-days"),
                QStringLiteral("30"),
                QStringLiteral("-keyout"),
                impostorKey,
                QStringLiteral("-out"),
                impostor});
        QVERIFY2(made.exitCode == 0, made.err);
        const QString saved = m_walletctl.file(QStringLiteral("bank-ca.pem.saved"));
        QVERIFY(QFile::copy(bankCaPath(), saved));
        QVERIFY(QFile::remove(bankCaPath()));
        QVERIFY(QFile::copy(impostor, bankCaPath()));
        QString restarted = restartBank();
        QVERIFY2(restarted.isEmpty(), qPrintable(restarted));

        // Without a kept CA: unknown, with the reason, and nothing kept.
        const QString keptSaved = m_walletctl.file(QStringLiteral("kept-ca.pem.saved"));
        QVERIFY(QFile::rename(keptCaPath(), keptSaved));
        const QJsonObject shown = show();
        QCOMPARE(shown.value(QStringLiteral("status")).toString(), QStringLiteral("unknown"));
        QVERIFY2(shown.value(QStringLiteral("statusExplanation")).toString().contains(QStringLiteral("did not issue")),
            qPrintable(shown.value(QStringLiteral("statusExplanation")).toString()));
        QVERIFY2(!QFile::exists(keptCaPath()), "the wallet kept a CA certificate that did not issue its certificate");

        // With the right CA kept: still checked with it (valid), and the kept file is not replaced.
        QVERIFY(QFile::rename(keptSaved, keptCaPath()));
        const QByteArray keptBefore = derOf(keptCaPath());
        QCOMPARE(show().value(QStringLiteral("status")).toString(), QStringLiteral("valid"));
        QCOMPARE(derOf(keptCaPath()), keptBefore);

        QVERIFY(QFile::remove(bankCaPath()));
        QVERIFY(QFile::rename(saved, bankCaPath()));
        restarted = restartBank();
        QVERIFY2(restarted.isEmpty(), qPrintable(restarted));
    }

    /// The bank rolled its cardholder CA over: the wallet still keeps the previous CA certificate (here the one of the
    /// row above: same name, another key), which did not issue the certificate on the key. `cert show` fetches the
    /// bank's current one, which did, says valid and keeps it in place of the old one.
    void rolledOverCaReplacesTheKeptOne()
    {
        const QString previous = m_walletctl.file(QStringLiteral("impostor.pem"));
        QVERIFY(QFile::exists(previous));
        QVERIFY(QFile::remove(keptCaPath()));
        QVERIFY(QFile::copy(previous, keptCaPath()));
        const QJsonObject shown = show();
        QCOMPARE(shown.value(QStringLiteral("status")).toString(), QStringLiteral("valid"));
        QCOMPARE(derOf(keptCaPath()), derOf(bankCaPath()));
    }

    /// Revoked at the bank: a wallet without a kept CA fetches it and shows the revocation.
    void revokedSeenThroughTheFetchedCa()
    {
        QString out;
        const QStringList revoke = QStringLiteral("certificates revoke --serial %1 --reason keyCompromise")
                                       .arg(m_serial)
                                       .split(QLatin1Char(' '));
        QVERIFY2(m_rig.bankctl(revoke, &out) == 0, qPrintable(out));
        QVERIFY(QFile::remove(keptCaPath()));
        const QJsonObject shown = show();
        QCOMPARE(shown.value(QStringLiteral("status")).toString(), QStringLiteral("revoked"));
        QCOMPARE(shown.value(QStringLiteral("revocationReason")).toString(), QStringLiteral("keyCompromise"));
        QVERIFY(QFile::exists(keptCaPath()));
    }

    void cleanupTestCase() { m_rig.stopServer(); }
};

SKEY_TEST_MAIN(TestBankCardholderCa)
#include "TestBankCardholderCa.moc"
