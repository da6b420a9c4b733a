// SPDX-License-Identifier: Apache-2.0
// The bank provisions the kiosk's SAM (issue 12, docs/psam.md "Provisioning by the bank"): a private pcscd with
// vsmartcard vpcd and two readers (tests/pcsc/PcscRig: the cardholder's key in "Virtual PCD 00 00", a blank SAM, a
// second skey-sim with its KT derived from the development manufacturer key and its serial, in "Virtual PCD 00 01"),
// and the real bank host (tests/bank/support/BankRig: PostgreSQL or SQLite, SoftHSM2, skey-bank over mutual TLS)
// with the development manufacturer key and lot, a merchant and the kiosk's PSAM terminal ID. The kiosk's own path
// `smartkey-kiosk --provision-sam` provisions the SAM; then a sale with that SAM over PC/SC is settled at the bank
// (Settlement::upload, the bank verifying the TAC with its HSM key). Refusals: the same SAM again, an unknown
// serial, a wallet certificate (403), no certificate (401), and a repeated request id answering the first answer;
// none moves money or adds to the registry. Labels pcsc and bank.
#include "KioskSamBankRig.h"
#include "app/kiosk/SaleStore.h"
#include "app/kiosk/Settlement.h"
#include "support/Skip.h"

#include "core/bank/HttpsBankClient.h"
#include "core/issuer/LocalIssuerHost.h"
#include "core/keystore/KeyStore.h"
#include "device/PcscPsam.h"

#include <QJsonDocument>
#include <QProcess>
#include <QStandardPaths>
#include <QTest>
#include <QUuid>

using namespace wallet;
using namespace wallet::core;
using kiosktest::kSamReader;
using kiosktest::kSamSerial;

namespace {

const QString kPsamTerminal = QStringLiteral("223344556677");

} // namespace

class TestKioskProvisionSam : public QObject
{
    Q_OBJECT

private slots:
    void provisionedSamSellsAndSettles();

private:
    Result<BankAnswer> post(const QString& cert, const QString& path, const QJsonObject& body, const QString& rid);
    qint64 sqlInt(const std::string& sql) { return m_rig->sqlInt(sql); }
    QString sqlText(const std::string& sql) { return m_rig->sqlText(sql); }

    std::unique_ptr<kiosktest::SamBankRig> m_rig;
};

Result<BankAnswer> TestKioskProvisionSam::post(
    const QString& cert, const QString& path, const QJsonObject& body, const QString& rid)
{
    auto config = BankClientConfig::load(m_rig->writeBankConfig(cert + QStringLiteral("-bank.json"), cert));
    if (!config) {
        return config.error();
    }
    HttpsBankClient client(*config, 15000);
    BankCall c;
    c.method = QByteArrayLiteral("POST");
    c.path = path;
    c.body = body;
    c.requestId = rid.isEmpty() ? QUuid::createUuid().toString(QUuid::WithoutBraces) : rid;
    return client.send(c);
}

void TestKioskProvisionSam::provisionedSamSellsAndSettles()
{
    // pcscd + vpcd with the key and a blank SAM, the bank with its manufacturer key and lot, the key loaded through
    // the bank (KioskSamBankRig.h, shared with gui-kiosk-sam).
    m_rig = std::make_unique<kiosktest::SamBankRig>();
    const QString err = m_rig->start(kPsamTerminal);
    if (!m_rig->skipReason.isEmpty()) {
        SKEY_SKIP(m_rig->skipReason);
    }
    QVERIFY2(err.isEmpty(), qPrintable(err));
    QCOMPARE(m_rig->key.balance, 5000u);
    kiosktest::SamRig& rig = m_rig->pcsc;
    const auto& read = m_rig->key;
    const QString kioskBank = m_rig->kioskBank;
    QString out;

    // The kiosk's configuration: the SAM in reader 00 01, the kiosk's bank client.
    const QString kioskDir = m_rig->dir.filePath(QStringLiteral("kiosk"));
    QVERIFY(!kiosktest::writeConfig(kioskDir, QStringLiteral("en"), kioskBank, kSamReader).dataDir.isEmpty());
    const QString config = QDir(kioskDir).filePath(QStringLiteral("kiosk.json"));

    // Provisioning through the kiosk's own path.
    QCOMPARE(device::PcscPsam::open(kSamReader).error().code, ErrorCode::InvalidState);
    const int rc = m_rig->provision(config, &out);
    QVERIFY2(rc == 0, qPrintable(QStringLiteral("exit %1: %2").arg(rc).arg(out.right(1500))));
    QVERIFY2(out.contains(QStringLiteral("terminal ID ") + kPsamTerminal), qPrintable(out));
    QVERIFY2(out.contains(QStringLiteral("step 4/4")), qPrintable(out));
    QCOMPARE(sqlText("SELECT state FROM psam_provisionings WHERE device_serial = '534B000000005A01'"),
        QStringLiteral("provisioned"));
    QCOMPARE(
        sqlText("SELECT terminal_id FROM psam_provisionings WHERE device_serial = '534B000000005A01'"), kPsamTerminal);

    // A sale with that SAM over PC/SC, then the kiosk's settlement upload: the bank verifies the TAC with its MTK.
    auto sam = device::PcscPsam::open(kSamReader);
    QVERIFY2(sam, qPrintable(sam ? QString() : sam.error().detail));
    QCOMPARE(QString::fromLatin1((*sam)->terminalId().toHex()), kPsamTerminal);
    auto issuer
        = LocalIssuerHost::open(m_rig->dir.filePath(QStringLiteral("unused-issuer.sqlite")), KeyStore::demoKeys());
    QVERIFY(issuer);
    FixedClock clock(QDateTime::currentDateTimeUtc());
    const Pin cardPin = *Pin::fromDigits("123456");
    auto store = kiosk::SaleStore::open(m_rig->dir.filePath(QStringLiteral("sales.sqlite")));
    QVERIFY(store);
    {
        PcscChannel key;
        const QString opened = key.open("Virtual PCD 00 00");
        QVERIFY2(opened.isEmpty(), qPrintable(opened));
        PurseService purse(key, **issuer, **sam, clock);
        QVERIFY(purse.open());
        auto saleId = (*store)->begin(rig.key().serialHex(), read.asn, Amount(1234), clock.now());
        QVERIFY(saleId);
        auto buy = purse.purchase(Amount(1234), &cardPin);
        QVERIFY2(buy, qPrintable(buy ? QString() : buy.error().detail));
        QCOMPARE(buy->tsn, 1u);
        auto pending = (*sam)->pendingSettlement();
        QVERIFY(pending && pending->size() == 1);
        QVERIFY((*store)->complete(*saleId, pending->front()));
    }
    auto kioskConfig = BankClientConfig::load(kioskBank);
    QVERIFY(kioskConfig);
    HttpsBankClient kioskClient(*kioskConfig, 15000);
    auto settled = kiosk::Settlement::upload(**store, kioskClient, **sam, clock.now());
    QVERIFY2(settled, qPrintable(settled ? QString() : settled.error().detail));
    QCOMPARE(settled->accepted, 1);
    QCOMPARE(settled->rejected, 0);
    QCOMPARE(sqlText("SELECT state FROM purchases WHERE terminal_id = '223344556677' AND tsn = 1"),
        QStringLiteral("completed"));
    QCOMPARE(sqlInt("SELECT amount FROM purchases WHERE terminal_id = '223344556677' AND tsn = 1"), 1234);
    QCOMPARE(sqlInt("SELECT count(*) FROM settlement_exceptions"), 0);
    QVERIFY((*sam)->pendingSettlement()->empty());

    // Refusals: nothing moves, nothing is added to the registry.
    const std::string money = "SELECT (SELECT count(*) FROM transfers) * 1000000 + (SELECT count(*) FROM postings)";
    const qint64 moneyBefore = sqlInt(money);
    const qint64 registryBefore = sqlInt("SELECT count(*) FROM psam_provisionings");
    QVERIFY(moneyBefore > 0 && registryBefore == 1);
    // The same SAM again, through the kiosk's path.
    const int rerun = m_rig->provision(config, &out);
    QVERIFY2(rerun == 1, qPrintable(QStringLiteral("exit %1: %2").arg(rerun).arg(out.right(1500))));
    QVERIFY2(out.contains(QStringLiteral("psam-already-provisioned")), qPrintable(out));
    // An unknown serial (in no manufacturer lot).
    auto unknown = post(QStringLiteral("kiosk"),
        QStringLiteral("/v1/psams"),
        {{QStringLiteral("deviceSerial"), QStringLiteral("4E4F000000000001")}},
        {});
    QVERIFY(unknown);
    QCOMPARE(unknown->status, 422);
    QCOMPARE(unknown->problemCode(), QStringLiteral("device-unknown"));
    // A wallet certificate may not provision a SAM.
    auto wallet = post(QStringLiteral("client"),
        QStringLiteral("/v1/psams"),
        {{QStringLiteral("deviceSerial"), QStringLiteral("534B000000005A02")}},
        {});
    QVERIFY(wallet);
    QCOMPARE(wallet->status, 403);
    QCOMPARE(wallet->problemCode(), QStringLiteral("role-forbidden"));
    // No client certificate at all: 401.
    const QString curl = QStandardPaths::findExecutable(QStringLiteral("curl"));
    if (!curl.isEmpty()) {
        QProcess c;
        c.start(curl,
            {QStringLiteral("-s"),
                QStringLiteral("-o"),
                QStringLiteral("/dev/null"),
                QStringLiteral("-w"),
                QStringLiteral("%{http_code}"),
                QStringLiteral("--cacert"),
                m_rig->bank->tlsPath(QStringLiteral("ca.pem")),
                QStringLiteral("-H"),
                QStringLiteral("Content-Type: application/json"),
                QStringLiteral("-H"),
                QStringLiteral("Idempotency-Key: ") + QUuid::createUuid().toString(QUuid::WithoutBraces),
                QStringLiteral("-d"),
                QStringLiteral("{\"deviceSerial\":\"534B000000005A02\"}"),
                QStringLiteral("https://127.0.0.1:%1/v1/psams").arg(m_rig->bank->port())});
        QVERIFY(c.waitForFinished(30000));
        QCOMPARE(QString::fromLatin1(c.readAllStandardOutput()), QStringLiteral("401"));
    } else {
        qWarning("curl not found: the 401 without a certificate is not checked");
    }
    QCOMPARE(sqlInt(money), moneyBefore);
    QCOMPARE(sqlInt("SELECT count(*) FROM psam_provisionings"), registryBefore);

    // A repeated request id answers the first answer (the refusal of the same SAM, stored with its id).
    const QString rid = QUuid::createUuid().toString(QUuid::WithoutBraces);
    const QJsonObject again{{QStringLiteral("deviceSerial"), kSamSerial}};
    auto first = post(QStringLiteral("kiosk"), QStringLiteral("/v1/psams"), again, rid);
    auto second = post(QStringLiteral("kiosk"), QStringLiteral("/v1/psams"), again, rid);
    QVERIFY(first && second);
    QCOMPARE(first->status, 409);
    QCOMPARE(second->status, 409);
    QVERIFY(!first->replayed);
    QVERIFY(second->replayed);
    QCOMPARE(second->body.value(QStringLiteral("detail")), first->body.value(QStringLiteral("detail")));
    QCOMPARE(sqlInt("SELECT count(*) FROM psam_provisionings"), registryBefore);
    QCOMPARE(sqlInt(money), moneyBefore);
}

SKEY_TEST_MAIN(TestKioskProvisionSam)
#include "TestKioskProvisionSam.moc"
