// SPDX-License-Identifier: Apache-2.0
// Issue 14 "Identify the cardholder online" and revocation, end to end: the real bank host (BankRig: PostgreSQL,
// SoftHSM2 with the CA key `cardholder-ca`, skey-bank over mutual TLS) and walletctl with its embedded simulated key
// (skey-sim over loopback UDP), issued, registered at the bank, loaded through it, with a P-256 key pair generated in
// PIV slot 9A and a certificate the bank issued for it. Then:
//   * the merchant's policy requires the cardholder's signature (`bankctl merchants policy`): the signed order says
//     so; an authorisation without a signature (403 cardholder-signature-required), with a signature that does not
//     verify (422 cardholder-signature-invalid) or naming a certificate the bank never issued to this key (422
//     cardholder-certificate-unknown) is a problem+json and moves nothing (no purchase row, the order open, the
//     terminal's TSN unchanged, no transfer);
//   * `walletctl pay` signs the order on the key (PIV PIN, then the purse PIN) and pays: the bank keeps the serial and
//     the signature with the purchase, and `openssl dgst -verify` with the certificate's key accepts that signature
//     over the payment message built here independently;
//   * `bankctl certificates revoke`: GET /v1/cardholder-ca/crl answers a CRL that `openssl crl -CAfile` verifies and
//     that lists the serial with its reason, and `openssl verify -crl_check` then calls the certificate revoked;
//     `walletctl cert list/show` show it revoked; paying a new order is refused (403
//     cardholder-certificate-revoked), nothing charged; a second revoke and an unknown serial are refused.
#include "bank/support/BankRig.h"
#include "bank/support/ToolRun.h"
#include "bank/support/WalletctlRun.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace wallet::bank::test;

namespace {

const QString kMerchantCredential = QStringLiteral("445566778899");

} // namespace

class TestBankCardholderSignature : public QObject
{
    Q_OBJECT

private:
    BankRig m_rig;
    QTemporaryDir m_wallet;
    WalletctlRun m_walletctl{QStringLiteral(WALLETCTL_PATH), m_wallet.path()};
    QString m_asn;
    QString m_serial; ///< the slot 9A certificate's serial, as the bank recorded it

    qint64 sqlInt(const std::string& sql) { return m_rig.sqlInt(sql); }
    QString sqlText(const std::string& sql) { return m_rig.sqlText(sql); }
    QString walletFile(const QString& name) const { return m_wallet.filePath(name); }
    QString caPath() const { return QDir(m_rig.dataDir()).filePath(QStringLiteral("tls/cardholder-ca.pem")); }

    QJsonObject newOrder(qint64 amount, const QString& reference)
    {
        const BankRig::ApiAnswer a = m_rig.api("POST",
            QStringLiteral("/v1/orders"),
            QStringLiteral("shop"),
            {{QStringLiteral("amount"), amount}, {QStringLiteral("reference"), reference}});
        if (a.status != 201) {
            qWarning("order: %d %s", a.status, a.body.constData());
        }
        return a.json;
    }
    /// What would be money or a trace of a purchase: the purchase rows, transfers, the TSN, the order's state.
    QString bankState(const QString& orderId)
    {
        return QStringLiteral("purchases %1, transfers %2, next TSN %3, order %4, payable %5")
            .arg(sqlInt("SELECT count(*) FROM purchases"))
            .arg(sqlInt("SELECT count(*) FROM transfers"))
            .arg(sqlInt("SELECT next_tsn FROM acquirer_terminals WHERE terminal_id = '112233445566'"))
            .arg(sqlText("SELECT state FROM orders WHERE id = '" + orderId.toStdString() + "'"))
            .arg(sqlInt("SELECT a.balance FROM accounts a JOIN merchants m ON m.account_id = a.id"));
    }
    /// An authorisation of `order` as the wallet terminal would send it after INITIALIZE FOR PURCHASE.
    QJsonObject purchaseBody(const QJsonObject& order)
    {
        return {{QStringLiteral("asn"), m_asn},
            {QStringLiteral("algorithm"), QStringLiteral("3des")},
            {QStringLiteral("keyIndex"), 1},
            {QStringLiteral("keyVersion"), 1},
            {QStringLiteral("balanceBefore"), 1000},
            {QStringLiteral("amount"), order.value(QStringLiteral("amount"))},
            {QStringLiteral("offlineAtc"), 0},
            {QStringLiteral("random"), QStringLiteral("5E6F7A8B")},
            {QStringLiteral("terminalId"), order.value(QStringLiteral("terminalId"))},
            {QStringLiteral("orderId"), order.value(QStringLiteral("orderId"))}};
    }
    void ledgerHolds()
    {
        QString out;
        QCOMPARE(m_rig.bankctl({QStringLiteral("audit"), QStringLiteral("ledger")}, &out), 0);
    }

private slots:
    void initTestCase()
    {
        // The demo merchant before the start: skey-bank reads the order certificate.
        const QString started = m_walletctl.startWithRegisteredKey(
            m_rig, QStringLiteral(WALLET_SOURCE_DIR "/resources/profiles/demo-3des.json"), &m_asn, [this] {
                return m_rig.addDemoMerchant();
            });
        QVERIFY2(started.isEmpty(), qPrintable(started));
        const QString deposited = m_rig.deposit(m_asn, 100000, QStringLiteral("first deposit"));
        QVERIFY2(deposited.isEmpty(), qPrintable(deposited));
        const ToolRun load
            = m_walletctl({QStringLiteral("load"), QStringLiteral("20.00"), QStringLiteral("--yes")}, "123456\n");
        QVERIFY2(load.exitCode == 0, load.out + load.err);
        // The cardholder's key pair in slot 9A and its certificate from the bank's cardholder CA.
        const QString certified = m_walletctl.certify(&m_serial);
        QVERIFY2(certified.isEmpty(), qPrintable(certified));
        QCOMPARE(
            sqlText("SELECT serial FROM cardholder_certificates WHERE asn = '" + m_asn.toStdString() + "'"), m_serial);
        QString out;
        QVERIFY2(m_rig.bankctl({QStringLiteral("merchants"),
                                   QStringLiteral("policy"),
                                   QStringLiteral("--credential"),
                                   kMerchantCredential,
                                   QStringLiteral("--cardholder-signature"),
                                   QStringLiteral("required")},
                     &out)
                == 0,
            qPrintable(out));
    }

    /// Refusals before MAC1: nothing persisted, problem+json each time.
    void missingOrWrongSignatureRefused()
    {
        const QJsonObject order = newOrder(300, QStringLiteral("SIG-0001"));
        const QString orderId = order.value(QStringLiteral("orderId")).toString();
        QVERIFY(!orderId.isEmpty());
        // The bank's policy is in the order the bank signed, so the wallet knows it must sign.
        QCOMPARE(order.value(QStringLiteral("cardholderSignature")).toString(), QStringLiteral("required"));
        const BankRig::ApiAnswer fetched
            = m_rig.api("GET", QStringLiteral("/v1/orders/") + orderId, QStringLiteral("client"));
        const QList<QByteArray> jws = fetched.json.value(QStringLiteral("orderJws")).toString().toLatin1().split('.');
        QCOMPARE(jws.size(), 3);
        const QJsonObject payload
            = QJsonDocument::fromJson(QByteArray::fromBase64(jws[1], QByteArray::Base64UrlEncoding)).object();
        QCOMPARE(payload.value(QStringLiteral("cardholderSignature")).toString(), QStringLiteral("required"));

        const QString before = bankState(orderId);
        QVERIFY2(before.contains(QStringLiteral("order open")), qPrintable(before));
        QJsonObject body = purchaseBody(order);
        const BankRig::ApiAnswer unsigned_
            = m_rig.api("POST", QStringLiteral("/v1/purchases"), QStringLiteral("client"), body);
        QCOMPARE(unsigned_.status, 403);
        QCOMPARE(unsigned_.contentType, std::string("application/problem+json"));
        QCOMPARE(
            unsigned_.json.value(QStringLiteral("code")).toString(), QStringLiteral("cardholder-signature-required"));
        QCOMPARE(bankState(orderId), before);

        // A well-formed DER signature (r = s = 1) that no key made.
        body.insert(QStringLiteral("cardholderSignature"),
            QJsonObject{{QStringLiteral("certificateSerial"), m_serial},
                {QStringLiteral("signature"), QStringLiteral("3006020101020101")}});
        const BankRig::ApiAnswer forged
            = m_rig.api("POST", QStringLiteral("/v1/purchases"), QStringLiteral("client"), body);
        QCOMPARE(forged.status, 422);
        QCOMPARE(forged.contentType, std::string("application/problem+json"));
        QCOMPARE(forged.json.value(QStringLiteral("code")).toString(), QStringLiteral("cardholder-signature-invalid"));
        QCOMPARE(bankState(orderId), before);

        // A certificate the bank never issued to this key.
        body.insert(QStringLiteral("cardholderSignature"),
            QJsonObject{{QStringLiteral("certificateSerial"), QStringLiteral("11223344556677889900AABBCCDDEEFF")},
                {QStringLiteral("signature"), QStringLiteral("3006020101020101")}});
        const BankRig::ApiAnswer unknown
            = m_rig.api("POST", QStringLiteral("/v1/purchases"), QStringLiteral("client"), body);
        QCOMPARE(unknown.status, 422);
        QCOMPARE(
            unknown.json.value(QStringLiteral("code")).toString(), QStringLiteral("cardholder-certificate-unknown"));
        QCOMPARE(bankState(orderId), before);
        ledgerHolds();
    }

    void walletSignsOnTheKeyAndPays()
    {
        const QJsonObject order = newOrder(250, QStringLiteral("SIG-0002"));
        const QString orderId = order.value(QStringLiteral("orderId")).toString();
        QVERIFY(!orderId.isEmpty());
        // The PIV PIN for the signature (slot 9A: once per session), then the purse PIN if the key asks for it.
        const ToolRun r = m_walletctl(
            {QStringLiteral("pay"), order.value(QStringLiteral("paymentLink")).toString(), QStringLiteral("--yes")},
            "123456\n123456\n");
        QVERIFY2(r.exitCode == 0, r.out + r.err);
        QCOMPARE(r.json.value(QStringLiteral("state")).toString(), QStringLiteral("completed"));
        QVERIFY2(r.err.contains("sign this payment"), r.err);
        QCOMPARE(
            sqlText("SELECT state FROM orders WHERE id = '" + orderId.toStdString() + "'"), QStringLiteral("paid"));
        // The bank kept what the cardholder signed; check it independently with OpenSSL and the certificate's key.
        const std::string where = " FROM purchases WHERE order_id = '" + orderId.toStdString() + "'";
        QCOMPARE(sqlText("SELECT cardholder_certificate" + where), m_serial);
        const QByteArray signature = QByteArray::fromHex(sqlText("SELECT cardholder_signature" + where).toLatin1());
        QVERIFY(signature.size() >= 8);
        const QByteArray message = QStringLiteral("smartkey-payment-order/1\norder:%1\namount:250\nmerchant:%2\n"
                                                  "terminal:112233445566\nasn:%3\n")
                                       .arg(orderId, order.value(QStringLiteral("merchantId")).toString(), m_asn)
                                       .toUtf8();
        QFile msg(walletFile(QStringLiteral("order.msg")));
        QVERIFY(msg.open(QIODevice::WriteOnly));
        msg.write(message);
        msg.close();
        QFile sig(walletFile(QStringLiteral("order.sig")));
        QVERIFY(sig.open(QIODevice::WriteOnly));
        sig.write(signature);
        sig.close();
        const ToolRun pub = runTool(QStringLiteral("openssl"),
            {QStringLiteral("x509"),
                QStringLiteral("-in"),
                walletFile(QStringLiteral("leaf.pem")),
                QStringLiteral("-noout"),
                QStringLiteral("-pubkey"),
                QStringLiteral("-out"),
                walletFile(QStringLiteral("card.pub"))});
        QVERIFY2(pub.exitCode == 0, pub.err);
        const ToolRun verify = runTool(QStringLiteral("openssl"),
            {QStringLiteral("dgst"),
                QStringLiteral("-sha256"),
                QStringLiteral("-verify"),
                walletFile(QStringLiteral("card.pub")),
                QStringLiteral("-signature"),
                walletFile(QStringLiteral("order.sig")),
                walletFile(QStringLiteral("order.msg"))});
        QVERIFY2(verify.exitCode == 0 && verify.out.contains("Verified OK"), verify.out + verify.err);
        ledgerHolds();
    }

    void revokedCertificateIsListedShownAndRefused()
    {
        // Valid before.
        const ToolRun shown = m_walletctl({QStringLiteral("cert"), QStringLiteral("show")});
        QVERIFY2(shown.exitCode == 0, shown.out + shown.err);
        QCOMPARE(shown.json.value(QStringLiteral("status")).toString(), QStringLiteral("valid"));

        QString out;
        QVERIFY2(m_rig.bankctl({QStringLiteral("certificates"),
                                   QStringLiteral("revoke"),
                                   QStringLiteral("--serial"),
                                   m_serial,
                                   QStringLiteral("--reason"),
                                   QStringLiteral("keyCompromise")},
                     &out)
                == 0,
            qPrintable(out));
        QVERIFY(m_rig.bankctl(
                    {QStringLiteral("certificates"), QStringLiteral("revoke"), QStringLiteral("--serial"), m_serial},
                    &out)
            != 0); // revoked already
        QVERIFY(m_rig.bankctl({QStringLiteral("certificates"),
                                  QStringLiteral("revoke"),
                                  QStringLiteral("--serial"),
                                  QStringLiteral("11223344556677889900AABBCCDDEEFF")},
                    &out)
            != 0); // unknown

        // The CRL: signed by the CA (OpenSSL checks it against the CA certificate), listing the serial and reason.
        const BankRig::ApiAnswer crl
            = m_rig.api("GET", QStringLiteral("/v1/cardholder-ca/crl"), QStringLiteral("client"));
        QCOMPARE(crl.status, 200);
        QCOMPARE(crl.contentType, std::string("application/pkix-crl"));
        QFile crlFile(walletFile(QStringLiteral("crl.der")));
        QVERIFY(crlFile.open(QIODevice::WriteOnly));
        crlFile.write(crl.body);
        crlFile.close();
        const ToolRun text = runTool(QStringLiteral("openssl"),
            {QStringLiteral("crl"),
                QStringLiteral("-inform"),
                QStringLiteral("DER"),
                QStringLiteral("-in"),
                walletFile(QStringLiteral("crl.der")),
                QStringLiteral("-CAfile"),
                caPath(),
                QStringLiteral("-noout"),
                QStringLiteral("-text")});
        QVERIFY2(text.exitCode == 0 && (text.out + text.err).contains("verify OK"), text.out + text.err);
        QVERIFY2(text.out.contains(m_serial.toLatin1()), text.out);
        QVERIFY2(text.out.contains("Key Compromise"), text.out);
        QVERIFY2(text.out.contains("CRL Number"), text.out);
        const ToolRun pem = runTool(QStringLiteral("openssl"),
            {QStringLiteral("crl"),
                QStringLiteral("-inform"),
                QStringLiteral("DER"),
                QStringLiteral("-in"),
                walletFile(QStringLiteral("crl.der")),
                QStringLiteral("-out"),
                walletFile(QStringLiteral("crl.pem"))});
        QVERIFY2(pem.exitCode == 0, pem.err);
        const ToolRun check = runTool(QStringLiteral("openssl"),
            {QStringLiteral("verify"),
                QStringLiteral("-crl_check"),
                QStringLiteral("-CRLfile"),
                walletFile(QStringLiteral("crl.pem")),
                QStringLiteral("-CAfile"),
                caPath(),
                walletFile(QStringLiteral("leaf.pem"))});
        QVERIFY2(check.exitCode != 0 && (check.out + check.err).contains("certificate revoked"), check.out + check.err);

        // The wallet shows it revoked.
        const ToolRun list = m_walletctl({QStringLiteral("cert"), QStringLiteral("list")});
        QVERIFY2(list.exitCode == 0, list.out + list.err);
        const QJsonObject slot9a = list.json.value(QStringLiteral("slots")).toArray()[0].toObject();
        QCOMPARE(slot9a.value(QStringLiteral("certificate")).toObject().value(QStringLiteral("status")).toString(),
            QStringLiteral("revoked"));
        const ToolRun show = m_walletctl({QStringLiteral("cert"), QStringLiteral("show")});
        QCOMPARE(show.json.value(QStringLiteral("status")).toString(), QStringLiteral("revoked"));
        // With the date and reason of the CRL's entry, believed after its signature verified with the cardholder CA
        // certificate `cert apply` kept in the data folder.
        QCOMPARE(show.json.value(QStringLiteral("revocationReason")).toString(), QStringLiteral("keyCompromise"));
        QCOMPARE(QDateTime::fromString(show.json.value(QStringLiteral("revokedAt")).toString(), Qt::ISODate).date(),
            QDateTime::currentDateTimeUtc().date());
        QVERIFY(QFile::exists(walletFile(QStringLiteral("cardholder-ca.pem"))));

        // The acquirer refuses it: nothing charged, the order still open.
        const QJsonObject order = newOrder(120, QStringLiteral("SIG-0003"));
        const QString orderId = order.value(QStringLiteral("orderId")).toString();
        const QString before = bankState(orderId);
        const qint64 payableBefore = sqlInt("SELECT a.balance FROM accounts a JOIN merchants m ON m.account_id = a.id");
        const ToolRun r = m_walletctl(
            {QStringLiteral("pay"), order.value(QStringLiteral("paymentLink")).toString(), QStringLiteral("--yes")},
            "123456\n123456\n");
        QVERIFY2(r.json.value(QStringLiteral("exitCode")).toInt() == 4, r.out + r.err);
        QVERIFY2(
            r.json.value(QStringLiteral("error")).toString().contains(QStringLiteral("cardholder-certificate-revoked")),
            r.out);
        QCOMPARE(bankState(orderId), before);
        QCOMPARE(sqlInt("SELECT a.balance FROM accounts a JOIN merchants m ON m.account_id = a.id"), payableBefore);
        ledgerHolds();
    }

    void cleanupTestCase() { m_rig.stopServer(); }
};

QTEST_GUILESS_MAIN(TestBankCardholderSignature)
#include "TestBankCardholderSignature.moc"
