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
#include "KioskTestKey.h"
#include "app/kiosk/SaleStore.h"
#include "app/kiosk/Settlement.h"
#include "bank/support/BankRig.h"
#include "pcsc/PcscRig.h"
#include "support/Skip.h"

#include "core/bank/HttpsBankClient.h"
#include "core/issuer/LocalIssuerHost.h"
#include "core/keystore/KeyStore.h"
#include "device/PcscPsam.h"

#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTest>
#include <QUuid>

using namespace wallet;
using namespace wallet::core;
using wallet::bank::test::BankRig;

namespace {

const char* kSamReader = "Virtual PCD 00 01";
const QString kSamSerial = QStringLiteral("534B000000005A01");
const QString kKiosk = QStringLiteral("556677889900");
const QString kPsamTerminal = QStringLiteral("223344556677");

} // namespace

class TestKioskProvisionSam : public QObject
{
    Q_OBJECT

private slots:
    void provisionedSamSellsAndSettles();

private:
    QString writeBankConfig(const QString& name, const QString& cert);
    qint64 sqlInt(const std::string& sql);
    QString sqlText(const std::string& sql);
    int provision(QString* out);
    Result<BankAnswer> post(const QString& cert, const QString& path, const QJsonObject& body, const QString& rid);

    std::unique_ptr<BankRig> m_bank;
    QTemporaryDir m_dir;
    QString m_config;
};

qint64 TestKioskProvisionSam::sqlInt(const std::string& sql)
{
    auto r = m_bank->db().exec(sql, {});
    return r && r->rows() == 1 && !r->isNull(0, 0) ? r->integer(0, 0) : -1;
}

QString TestKioskProvisionSam::sqlText(const std::string& sql)
{
    auto r = m_bank->db().exec(sql, {});
    return r && r->rows() == 1 && !r->isNull(0, 0) ? QString::fromStdString(r->text(0, 0)) : QString();
}

QString TestKioskProvisionSam::writeBankConfig(const QString& name, const QString& cert)
{
    QFile::setPermissions(
        m_bank->tlsPath(cert + QStringLiteral(".key")), QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    const QString path = m_dir.filePath(name);
    QFile f(path);
    if (f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        f.write(QJsonDocument(QJsonObject{{QStringLiteral("format"), QStringLiteral("smartkey-bank-client/1")},
                                  {QStringLiteral("url"), QStringLiteral("https://127.0.0.1:%1").arg(m_bank->port())},
                                  {QStringLiteral("caCertificate"), m_bank->tlsPath(QStringLiteral("ca.pem"))},
                                  {QStringLiteral("certificate"), m_bank->tlsPath(cert + QStringLiteral(".pem"))},
                                  {QStringLiteral("privateKey"), m_bank->tlsPath(cert + QStringLiteral(".key"))}})
                    .toJson());
    }
    return path;
}

int TestKioskProvisionSam::provision(QString* out)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    // The known intermittent OpenSSL exit leak of a short-lived Qt Network client (CRYPTO_zalloc in libcrypto.so.3,
    // docs/branch.md, test_branch_batch): suppressed for this child only, on top of tests/lsan.supp.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    QString lsan = env.value(QStringLiteral("LSAN_OPTIONS"));
    static const QRegularExpression supp(QStringLiteral("suppressions=([^:]*)"));
    const QRegularExpressionMatch m = supp.match(lsan);
    QFile merged(m_dir.filePath(QStringLiteral("lsan-kiosk.supp")));
    if (merged.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        if (m.hasMatch()) {
            QFile base(m.captured(1));
            if (base.open(QIODevice::ReadOnly)) {
                merged.write(base.readAll());
            }
            lsan.replace(m.capturedStart(0), m.capturedLength(0), QStringLiteral("suppressions=") + merged.fileName());
        } else {
            lsan += QStringLiteral(":suppressions=") + merged.fileName();
        }
        merged.write("\nleak:libcrypto.so.3\n");
        merged.close();
        env.insert(QStringLiteral("LSAN_OPTIONS"), lsan);
    }
    p.setProcessEnvironment(env);
    p.start(qEnvironmentVariable("SKEY_KIOSK_PATH"),
        {QStringLiteral("--provision-sam"), QStringLiteral("--config"), m_config});
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished();
        *out = QStringLiteral("smartkey-kiosk --provision-sam did not finish");
        return -1;
    }
    *out = QString::fromUtf8(p.readAll());
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

Result<BankAnswer> TestKioskProvisionSam::post(
    const QString& cert, const QString& path, const QJsonObject& body, const QString& rid)
{
    auto config = BankClientConfig::load(writeBankConfig(cert + QStringLiteral("-bank.json"), cert));
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
    if (auto missing = BankRig::missingPart()) {
        SKEY_SKIP(QStringLiteral("%1 not found (scripts/setup-deps.sh installs it)").arg(*missing));
    }
    PcscRig rig;
    const QString err = rig.start(kiosktest::profilePath());
    if (!rig.skipReason.isEmpty()) {
        SKEY_SKIP(rig.skipReason);
    }
    QVERIFY2(err.isEmpty(), qPrintable(err));

    // The blank SAM: KT derived from the development manufacturer key and its serial, as the bank derives it.
    device::SimulatorOptions o;
    o.dataDirectory = rig.dir.filePath(QStringLiteral("sam"));
    o.serialHex = kSamSerial;
    o.transportKeyHex.clear();
    o.pcsc = true;
    o.extraArguments = {QStringLiteral("--vpcd-port"), QString::number(rig.vpcdPort + 1)};
    device::EmbeddedSimulator samSim(o);
    auto samStarted = samSim.start();
    QVERIFY2(samStarted, qPrintable(samStarted ? QString() : samStarted.error().detail));
    QString samReady;
    for (int i = 0; i < 100; ++i) {
        auto st = samSim.control().send(QStringLiteral("status"));
        if (st && st.value().contains(QStringLiteral("pcsc=connected"))) {
            PcscChannel probe;
            samReady = probe.open(kSamReader);
            break;
        }
        samReady = QStringLiteral("the SAM did not attach to vpcd's second slot");
        QThread::msleep(50);
    }
    QVERIFY2(samReady.isEmpty(), qPrintable(samReady));

    m_bank = std::make_unique<BankRig>();
    const QString up = m_bank->setUp();
    QVERIFY2(up.isEmpty(), qPrintable(up));
    QString out;
    QVERIFY2(
        m_bank->bankctl({QStringLiteral("keys"), QStringLiteral("manufacturer"), QStringLiteral("--development")}, &out)
            == 0,
        qPrintable(out));
    QVERIFY2(m_bank->bankctl({QStringLiteral("merchants"),
                                 QStringLiteral("add"),
                                 QStringLiteral("--name"),
                                 QStringLiteral("Demo Tea House"),
                                 QStringLiteral("--credential"),
                                 QStringLiteral("445566778899"),
                                 QStringLiteral("--terminal"),
                                 QStringLiteral("112233445566")},
                 &out)
            == 0,
        qPrintable(out));
    QVERIFY2(m_bank->bankctl({QStringLiteral("merchants"),
                                 QStringLiteral("add-psam"),
                                 QStringLiteral("--merchant"),
                                 QStringLiteral("Demo Tea House"),
                                 QStringLiteral("--terminal"),
                                 kPsamTerminal,
                                 QStringLiteral("--kiosk"),
                                 kKiosk},
                 &out)
            == 0,
        qPrintable(out));
    QVERIFY(m_bank->makeClientCertificate(QStringLiteral("kiosk"), QStringLiteral("/OU=kiosk/CN=") + kKiosk).isEmpty());
    const QString started = m_bank->startServer();
    QVERIFY2(started.isEmpty(), qPrintable(started));
    const QString walletBank = writeBankConfig(QStringLiteral("wallet-bank.json"), QStringLiteral("client"));
    const QString kioskBank = writeBankConfig(QStringLiteral("kiosk-bank.json"), QStringLiteral("kiosk"));

    // The cardholder's key (reader 00 00): registered at the bank and loaded through it.
    auto read = kiosktest::loadKey(*rig.sim, m_dir.filePath(QStringLiteral("terminal")), 0);
    QVERIFY2(read.error.isEmpty(), qPrintable(read.error));
    const QString asn = QString::fromLatin1(read.asn.toHex().toUpper());
    QCOMPARE(m_bank->bankctl({QStringLiteral("cards"),
                 QStringLiteral("register"),
                 QStringLiteral("--asn"),
                 asn,
                 QStringLiteral("--holder"),
                 QStringLiteral("Test holder")}),
        0);
    QCOMPARE(m_bank->bankctl({QStringLiteral("accounts"),
                 QStringLiteral("deposit"),
                 QStringLiteral("--asn"),
                 asn,
                 QStringLiteral("--amount"),
                 QStringLiteral("100000"),
                 QStringLiteral("--reference"),
                 QStringLiteral("first deposit")}),
        0);
    auto loaded = kiosktest::loadKey(*rig.sim, m_dir.filePath(QStringLiteral("terminal")), 5000, walletBank);
    QVERIFY2(loaded.error.isEmpty(), qPrintable(loaded.error));
    QCOMPARE(loaded.balance, 5000u);

    // The kiosk's configuration: the SAM in reader 00 01, the kiosk's bank client.
    Botan::secure_vector<char> pin{'2', '4', '6', '8'};
    QDir().mkpath(m_dir.filePath(QStringLiteral("kiosk")));
    m_config = m_dir.filePath(QStringLiteral("kiosk/kiosk.json"));
    {
        QFile f(m_config);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QJsonDocument(QJsonObject{{QStringLiteral("format"), QStringLiteral("smartkey-kiosk/1")},
                                  {QStringLiteral("dataDir"), QStringLiteral("data")},
                                  {QStringLiteral("operatorPinHash"), kiosk::hashOperatorPin(pin, 20000)},
                                  {QStringLiteral("psam"),
                                      QJsonObject{{QStringLiteral("type"), QStringLiteral("pcsc")},
                                          {QStringLiteral("reader"), QString::fromLatin1(kSamReader)}}},
                                  {QStringLiteral("bankConfig"), kioskBank},
                                  {QStringLiteral("usb"), false}})
                    .toJson());
    }

    // Provisioning through the kiosk's own path.
    QCOMPARE(device::PcscPsam::open(QString::fromLatin1(kSamReader)).error().code, ErrorCode::InvalidState);
    const int rc = provision(&out);
    QVERIFY2(rc == 0, qPrintable(QStringLiteral("exit %1: %2").arg(rc).arg(out.right(1500))));
    QVERIFY2(out.contains(QStringLiteral("terminal ID ") + kPsamTerminal), qPrintable(out));
    QVERIFY2(out.contains(QStringLiteral("step 4/4")), qPrintable(out));
    QCOMPARE(sqlText("SELECT state FROM psam_provisionings WHERE device_serial = '534B000000005A01'"),
        QStringLiteral("provisioned"));
    QCOMPARE(
        sqlText("SELECT terminal_id FROM psam_provisionings WHERE device_serial = '534B000000005A01'"), kPsamTerminal);

    // A sale with that SAM over PC/SC, then the kiosk's settlement upload: the bank verifies the TAC with its MTK.
    auto sam = device::PcscPsam::open(QString::fromLatin1(kSamReader));
    QVERIFY2(sam, qPrintable(sam ? QString() : sam.error().detail));
    QCOMPARE(QString::fromLatin1((*sam)->terminalId().toHex()), kPsamTerminal);
    auto issuer = LocalIssuerHost::open(m_dir.filePath(QStringLiteral("unused-issuer.sqlite")), KeyStore::demoKeys());
    QVERIFY(issuer);
    FixedClock clock(QDateTime::currentDateTimeUtc());
    const Pin cardPin = *Pin::fromDigits("123456");
    auto store = kiosk::SaleStore::open(m_dir.filePath(QStringLiteral("sales.sqlite")));
    QVERIFY(store);
    {
        PcscChannel key;
        const QString opened = key.open("Virtual PCD 00 00");
        QVERIFY2(opened.isEmpty(), qPrintable(opened));
        PurseService purse(key, **issuer, **sam, clock);
        QVERIFY(purse.open());
        auto saleId = (*store)->begin(rig.sim->serialHex(), read.asn, Amount(1234), clock.now());
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
    const int rerun = provision(&out);
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
                m_bank->tlsPath(QStringLiteral("ca.pem")),
                QStringLiteral("-H"),
                QStringLiteral("Content-Type: application/json"),
                QStringLiteral("-H"),
                QStringLiteral("Idempotency-Key: ") + QUuid::createUuid().toString(QUuid::WithoutBraces),
                QStringLiteral("-d"),
                QStringLiteral("{\"deviceSerial\":\"534B000000005A02\"}"),
                QStringLiteral("https://127.0.0.1:%1/v1/psams").arg(m_bank->port())});
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
