// SPDX-License-Identifier: Apache-2.0
// The kiosk with its PSAM as a card (issue 12, "The kiosk's PSAM is a card"): the real KioskRoot and its QML window
// under Xvfb, configured with `psam.type: "pcsc"`, so that every MAC1, MAC2 and TSN of a sale comes from the SAM in
// a PC/SC reader. The rig is kiosk-provision-sam's (KioskSamBankRig.h): a private pcscd with vpcd and two readers,
// the cardholder's key (skey-sim, loaded with ¥50.00 through the bank) and a blank SAM (a second skey-sim in
// "Virtual PCD 00 01"), provisioned by the real bank host through `smartkey-kiosk --provision-sam`; the kiosk finds
// the key on loopback HID. In English and in Chinese, driven with mouse clicks and key events:
//   * a wrong PIN: the key counts it ("2 tries left"), and the SAM gave no TSN and kept no record for it;
//   * the right PIN typed on the keyboard: the receipt shows the SAM's terminal ID (the one the bank wrote; the
//     kiosk's configuration has none) and the SAM's next TSN; the SAM's next TSN moved by one and it holds that sale
//     *confirmed* (MAC2 verified) with the very TAC on the receipt; the key's balance fell by exactly the amount;
//   * the operator's "Upload settlement": the bank verifies that TAC with its own key (the purchase `completed`,
//     the same TAC, no settlement exception), the SAM's record is cleared, and the ledger audit holds.
// Screenshots `<lang>-sam-*.png` into $SKEY_SCREENSHOT_DIR or a temporary folder it prints. Labels pcsc, bank, gui.
#include "KioskSamBankRig.h"
#include "KioskUiSteps.h"
#include "app/kiosk/KioskController.h"
#include "app/kiosk/KioskRoot.h"
#include "support/QuickDriver.h"
#include "support/Skip.h"

#include "device/DeviceManager.h"
#include "device/PcscPsam.h"

#include <QFileInfo>
#include <QGuiApplication>
#include <QQuickStyle>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtQml/qqmlextensionplugin.h>
#include <QtTest>

Q_IMPORT_QML_PLUGIN(SmartKey_KioskPlugin)
Q_IMPORT_QML_PLUGIN(SmartKey_Kiosk_UiPlugin)

using wallet::kiosk::KioskController;
using wallet::kiosk::KioskRoot;
using wallet::kiosk::ManualClock;
using wallet::test::QuickDriver;

#define CLICK(name) KIOSK_CLICK(*m_ui, name)

namespace {
/// The SAM's terminal at the bank: not the software PSAM's default (223344556677), so the receipt proves where the
/// terminal ID came from.
const QString kSamTerminal = QStringLiteral("334455667788");
} // namespace

class TestKioskSam : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void saleAndWrongPinThroughTheSam_data();
    void saleAndWrongPinThroughTheSam();
    void samPulledMidSale_data();
    void samPulledMidSale();
    void startedWithoutSam_data();
    void startedWithoutSam();
    void cleanup();
    void cleanupTestCase();

private:
    /// Starts the kiosk in `lang` on the welcome screen with the key read; `samOut`: on the out-of-service screen,
    /// the key attached but not read (the SAM is out of its reader).
    void startKiosk(const QString& lang, bool samOut = false);
    void typeOnPad(const QString& digits);
    void operatorScreen();
    void shot(const QString& name);
    std::uint32_t keyBalance();
    /// The operator sets `digits`, the customer pays with the right PIN typed on the keyboard.
    void saleWithPin(const QString& digits);
    /// `replug` to the SAM's simulator, then until the test's own PC/SC handle reads the SAM again.
    void samBack();
    /// A sale of `digits` with the SAM pulled as VERIFY MAC2 arrives, until the "checking" screen (the SAM stays out).
    void saleLeftCheckingBySam(const QString& digits);
    /// The data rows en and zh_CN.
    static void languages();
    /// A sale row of the kiosk's sales.sqlite (state, tsn, tac), read beside the running kiosk.
    QStringList saleRow(qint64 id);
    QString t(const char* en, const char* zh) const
    {
        return m_lang == QLatin1String("en") ? QString::fromUtf8(en) : QString::fromUtf8(zh);
    }

    std::unique_ptr<kiosktest::SamBankRig> m_rig;
    /// The test's own PC/SC handle on the SAM (shared mode), read only while the kiosk's worker is idle.
    std::unique_ptr<wallet::device::PcscPsam> m_sam;
    QString m_shots;
    QString m_kioskDir;
    std::unique_ptr<ManualClock> m_clock;
    std::unique_ptr<KioskRoot> m_root;
    std::unique_ptr<QuickDriver> m_ui;
    KioskController* m_vm = nullptr;
    QString m_lang;
};

void TestKioskSam::initTestCase()
{
    m_rig = std::make_unique<kiosktest::SamBankRig>();
    const QString err = m_rig->start(kSamTerminal);
    if (!m_rig->skipReason.isEmpty()) {
        SKEY_SKIP(m_rig->skipReason);
    }
    QVERIFY2(err.isEmpty(), qPrintable(err));
    m_shots = qEnvironmentVariable("SKEY_SCREENSHOT_DIR");
    if (m_shots.isEmpty()) {
        m_shots = m_rig->dir.filePath(QStringLiteral("shots"));
    }
    QDir().mkpath(m_shots);
    // The kiosk's configuration names the SAM's reader and no terminal ID; the bank provisions the blank SAM.
    m_kioskDir = m_rig->dir.filePath(QStringLiteral("kiosk"));
    const auto config
        = kiosktest::writeConfig(m_kioskDir, QStringLiteral("zh_CN"), m_rig->kioskBank, kiosktest::kSamReader);
    QCOMPARE(config.psamType, QStringLiteral("pcsc"));
    QString out;
    const int rc = m_rig->provision(QDir(m_kioskDir).filePath(QStringLiteral("kiosk.json")), &out);
    QVERIFY2(rc == 0, qPrintable(QStringLiteral("exit %1: %2").arg(rc).arg(out.right(1500))));
    auto sam = wallet::device::PcscPsam::open(kiosktest::kSamReader);
    QVERIFY2(sam, qPrintable(sam ? QString() : sam.error().detail));
    m_sam = std::move(*sam);
    QCOMPARE(QString::fromLatin1(m_sam->terminalId().toHex()), kSamTerminal);
}

void TestKioskSam::startKiosk(const QString& lang, bool samOut)
{
    m_lang = lang;
    auto config = wallet::kiosk::KioskConfig::load(QDir(m_kioskDir).filePath(QStringLiteral("kiosk.json")));
    QVERIFY(config);
    m_clock = std::make_unique<ManualClock>(QDateTime(QDate(2026, 12, 3), QTime(10, 0)));
    m_root = std::make_unique<KioskRoot>(*config, m_clock.get());
    const QString why = m_root->start();
    QVERIFY2(why.isEmpty(), qPrintable(why));
    m_vm = m_root->vm();
    m_ui = std::make_unique<QuickDriver>(m_root->window());
    QVERIFY(QTest::qWaitForWindowExposed(m_root->window()));
    CLICK(lang == QLatin1String("en") ? QStringLiteral("langEn") : QStringLiteral("langZh"));
    if (samOut) {
        QTRY_COMPARE(m_ui->text(QStringLiteral("outOfServiceTitle")), t("Out of service", "暂停服务"));
        m_root->devices().addSimulator(m_rig->pcsc.key().hidPort());
        return;
    }
    QTRY_COMPARE(m_ui->text(QStringLiteral("welcomeTitle")), t("Welcome", "欢迎"));
    m_root->devices().addSimulator(m_rig->pcsc.key().hidPort());
    QTRY_VERIFY_WITH_TIMEOUT(m_vm->keyPresent() && !m_vm->busy(), 30000);
}

void TestKioskSam::typeOnPad(const QString& digits)
{
    kiosktest::typeOnPad(*m_ui, digits);
}

void TestKioskSam::operatorScreen()
{
    QVERIFY(m_ui->waitShown(QStringLiteral("welcomeScreen")));
    CLICK(m_lang == QLatin1String("en") ? QStringLiteral("langEn") : QStringLiteral("langZh"));
    kiosktest::openOperatorScreen(*m_ui);
}

void TestKioskSam::shot(const QString& name)
{
    kiosktest::shot(*m_ui, m_root->window(), m_shots, m_lang, name);
}

std::uint32_t TestKioskSam::keyBalance()
{
    const auto s = kiosktest::loadKey(m_rig->pcsc.key(), m_rig->dir.filePath(QStringLiteral("terminal")), 0);
    return s.error.isEmpty() ? s.balance : 0xFFFFFFFFu;
}

void TestKioskSam::languages()
{
    QTest::addColumn<QString>("lang");
    QTest::newRow("en") << QStringLiteral("en");
    QTest::newRow("zh_CN") << QStringLiteral("zh_CN");
}

void TestKioskSam::saleAndWrongPinThroughTheSam_data()
{
    languages();
}

void TestKioskSam::saleAndWrongPinThroughTheSam()
{
    QFETCH(QString, lang);
    startKiosk(lang);
    if (QTest::currentTestFailed()) {
        return;
    }
    const std::uint32_t before = keyBalance();
    auto first = m_sam->status();
    QVERIFY2(first, qPrintable(first ? QString() : first.error().detail));
    QCOMPARE(first->lifeCycle, std::uint8_t(0x01));
    QVERIFY2(first->usedSlots.empty(), "the SAM holds no record before the sale");
    const std::uint32_t tsn = first->nextTsn;

    operatorScreen();
    typeOnPad(QStringLiteral("12.5"));
    CLICK(QStringLiteral("operatorStartSale"));
    QVERIFY(m_ui->waitShown(QStringLiteral("amountScreen")));
    QCOMPARE(m_ui->text(QStringLiteral("amountToPay")), QStringLiteral("¥12.50"));
    CLICK(QStringLiteral("amountPay"));
    QTRY_COMPARE(m_ui->text(QStringLiteral("pinTitle")), t("Enter your PIN", "请输入 PIN"));

    // A wrong PIN, clicked: the key refuses it before the SAM is asked for a MAC1.
    typeOnPad(QStringLiteral("1111"));
    CLICK(QStringLiteral("pinOk"));
    QTRY_VERIFY_WITH_TIMEOUT(m_ui->isShown(QStringLiteral("pinMessage")) && !m_vm->busy(), 30000);
    QCOMPARE(m_ui->text(QStringLiteral("pinMessage")),
        t("Wrong PIN. 2 tries left on your key.", "PIN 错误。密钥还可尝试 2 次。"));
    QCOMPARE(m_vm->pinLength(), 0);
    shot(QStringLiteral("sam-1-wrong-pin"));
    auto afterWrong = m_sam->status();
    QVERIFY(afterWrong);
    QCOMPARE(afterWrong->nextTsn, tsn);
    QVERIFY2(afterWrong->usedSlots.empty(), "a wrong PIN leaves no record on the SAM");

    // The right PIN on the keyboard: MAC1 from the SAM, DEBIT on the key, MAC2 verified by the SAM.
    m_ui->type(QStringLiteral("123456"));
    QCOMPARE(m_ui->text(QStringLiteral("pinDots")), QStringLiteral("●●●●●●"));
    m_ui->key(Qt::Key_Return);
    QTRY_VERIFY_WITH_TIMEOUT(m_ui->isShown(QStringLiteral("receiptScreen")) && !m_vm->busy(), 60000);
    QCOMPARE(m_ui->text(QStringLiteral("receiptTitle")), t("Paid. Thank you!", "支付成功，谢谢！"));
    QCOMPARE(m_ui->text(QStringLiteral("receipt_amount")), QStringLiteral("¥12.50"));
    QVERIFY(m_ui->shows(t("Terminal", "终端")));
    QCOMPARE(m_ui->text(QStringLiteral("receipt_terminal")), kSamTerminal);
    QCOMPARE(m_ui->text(QStringLiteral("receipt_tsn")), QString::number(tsn));
    const QString tac = m_ui->text(QStringLiteral("receipt_tac"));
    QCOMPARE(tac.size(), 8);
    QVERIFY(QFileInfo(m_vm->receiptPdf()).size() > 500);
    shot(QStringLiteral("sam-2-receipt"));
    QCOMPARE(keyBalance(), before - 1250);

    // The SAM: the TSN spent once, the sale kept confirmed (MAC2 verified) with the receipt's TAC for settlement.
    auto afterSale = m_sam->status();
    QVERIFY(afterSale);
    QCOMPARE(afterSale->nextTsn, tsn + 1);
    auto pending = m_sam->pendingSettlement();
    QVERIFY2(pending, qPrintable(pending ? QString() : pending.error().detail));
    QVERIFY2(pending->size() == 1, "the SAM holds the sale confirmed (MAC2 verified), waiting for settlement");
    QCOMPARE(pending->front().tsn, tsn);
    QCOMPARE(QString::fromLatin1(pending->front().tac.toHex().toUpper()), tac);
    QCOMPARE(pending->front().amount.fen(), 1250u);
    QCOMPARE(pending->front().asn, m_rig->key.asn);
    QCOMPARE(QString::fromLatin1(pending->front().terminalId.toHex()), kSamTerminal);

    // Settlement: the bank verifies that TAC with its own key and completes the purchase; the SAM's record goes.
    CLICK(QStringLiteral("receiptDone"));
    operatorScreen();
    QTRY_COMPARE(m_ui->text(QStringLiteral("operatorWaiting")),
        t("Waiting for settlement: 1 · being checked: 0", "待结算：1 · 核实中：0"));
    CLICK(QStringLiteral("operatorSettle"));
    QTRY_VERIFY_WITH_TIMEOUT(m_vm->settlementText() == QLatin1String("uploaded") && !m_vm->busy(), 60000);
    QCOMPARE(m_ui->text(QStringLiteral("settlementStatus")),
        t("Settlement uploaded. The bank has every sale.", "结算已上传，银行已收到全部交易。"));
    QTRY_COMPARE(m_ui->text(QStringLiteral("operatorWaiting")),
        t("Waiting for settlement: 0 · being checked: 0", "待结算：0 · 核实中：0"));
    shot(QStringLiteral("sam-3-settled"));
    const std::string where = QStringLiteral(" FROM purchases WHERE terminal_id = '%1' AND tsn = %2")
                                  .arg(kSamTerminal)
                                  .arg(tsn)
                                  .toStdString();
    QCOMPARE(m_rig->sqlText("SELECT state" + where), QStringLiteral("completed"));
    QCOMPARE(m_rig->sqlInt("SELECT amount" + where), 1250);
    QCOMPARE(m_rig->sqlText("SELECT tac" + where).toUpper(), tac);
    QCOMPARE(m_rig->sqlText("SELECT source" + where), QStringLiteral("settlement"));
    QCOMPARE(m_rig->sqlInt("SELECT count(*) FROM settlement_exceptions"), 0);
    auto cleared = m_sam->status();
    QVERIFY(cleared);
    QVERIFY2(cleared->usedSlots.empty(), "the SAM's record is cleared once the bank acknowledged it");
    QString out;
    QVERIFY2(m_rig->bank->bankctl({QStringLiteral("audit"), QStringLiteral("ledger")}, &out) == 0, qPrintable(out));
}

void TestKioskSam::saleWithPin(const QString& digits)
{
    operatorScreen();
    typeOnPad(digits);
    CLICK(QStringLiteral("operatorStartSale"));
    QVERIFY(m_ui->waitShown(QStringLiteral("amountScreen")));
    CLICK(QStringLiteral("amountPay"));
    QTRY_COMPARE(m_ui->text(QStringLiteral("pinTitle")), t("Enter your PIN", "请输入 PIN"));
    m_ui->type(QStringLiteral("123456"));
    m_ui->key(Qt::Key_Return);
}

void TestKioskSam::saleLeftCheckingBySam(const QString& digits)
{
    auto armed = m_rig->pcsc.sam->control().send(QStringLiteral("unplug-at-ins 72"));
    QVERIFY(armed);
    saleWithPin(digits);
    QTRY_VERIFY_WITH_TIMEOUT(m_ui->isShown(QStringLiteral("checkingScreen")) && !m_vm->busy(), 60000);
}

void TestKioskSam::samBack()
{
    auto r = m_rig->pcsc.sam->control().send(QStringLiteral("replug"));
    QVERIFY2(r, qPrintable(r ? QString() : r.error().detail));
    QTRY_VERIFY_WITH_TIMEOUT(static_cast<bool>(m_sam->status()), 20000);
}

QStringList TestKioskSam::saleRow(qint64 id)
{
    QStringList out;
    {
        auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("test-sales"));
        db.setDatabaseName(QDir(m_kioskDir).filePath(QStringLiteral("data/sales.sqlite")));
        db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
        if (db.open()) {
            QSqlQuery q(db);
            q.prepare(QStringLiteral("SELECT state, tsn, tac, mac2 FROM sales WHERE id = ?"));
            q.addBindValue(id);
            if (q.exec() && q.next()) {
                out << q.value(0).toString() << q.value(1).toString() << q.value(2).toString() << q.value(3).toString();
            }
        }
    }
    QSqlDatabase::removeDatabase(QStringLiteral("test-sales"));
    return out;
}

void TestKioskSam::samPulledMidSale_data()
{
    languages();
}

// The SAM pulled out of its reader mid-sale (issue 12): the simulator takes the card out of vpcd's reader as the
// command arrives, unanswered (`unplug-at-ins`), so PC/SC reports it removed. The kiosk says only what is known.
void TestKioskSam::samPulledMidSale()
{
    QFETCH(QString, lang);
    startKiosk(lang);
    if (QTest::currentTestFailed()) {
        return;
    }
    auto& samSim = *m_rig->pcsc.sam;
    const std::uint32_t before = keyBalance();

    // 1. Pulled as INIT FOR PURCHASE (MAC1, INS 70) arrives: DEBIT was never sent, so nothing was charged, and the
    //    kiosk says the SAM, not the key, is the problem.
    auto armed = samSim.control().send(QStringLiteral("unplug-at-ins 70"));
    QVERIFY2(armed, qPrintable(armed ? QString() : armed.error().detail));
    saleWithPin(QStringLiteral("3"));
    QTRY_VERIFY_WITH_TIMEOUT(m_ui->isShown(QStringLiteral("failedScreen")) && !m_vm->busy(), 60000);
    QCOMPARE(m_ui->text(QStringLiteral("failedText")),
        t("The kiosk's security module (SAM) is not answering. Nothing was charged. Please call staff.",
            "终端的安全模块（SAM）没有响应，未扣款。请联系工作人员。"));
    shot(QStringLiteral("sam-4-pulled-before-mac1"));
    QCOMPARE(keyBalance(), before);
    samBack();
    auto status = m_sam->status();
    QVERIFY(status);
    const std::uint32_t tsn = status->nextTsn;
    const std::size_t heldBefore = status->usedSlots.size();
    CLICK(QStringLiteral("failedDone"));

    // 2. Pulled as VERIFY MAC2 (INS 72) arrives: the key has answered DEBIT (it says it paid) but the SAM could not
    //    check that answer. "Checking", with the SAM named; the sale row keeps the key's TAC and MAC2 and the TSN.
    saleLeftCheckingBySam(QStringLiteral("2"));
    QCOMPARE(m_ui->text(QStringLiteral("checkingTitle")), t("Checking the payment", "正在核实付款"));
    QCOMPARE(m_ui->text(QStringLiteral("checkingText")),
        t("The key answered the payment, but the kiosk's security module (SAM) was removed before it could check that"
          " answer. The sale is kept; it is checked when the SAM is back. You will never be charged twice.",
            "密钥已应答此笔付款，但终端的安全模块（SAM）在核验该应答前被拔出。此笔交易已保存，SAM "
            "插回后即核验。您绝不会被重复扣款。"));
    shot(QStringLiteral("sam-5-pulled-at-mac2"));
    QCOMPARE(keyBalance(), before - 200); // the key did debit, once
    const qint64 saleId = m_vm->currentSale();
    const QStringList kept = saleRow(saleId); // state, TSN, TAC, MAC2: the key's answer is never lost
    QCOMPARE(kept.value(0), QStringLiteral("checking"));
    QCOMPARE(kept.value(1), QString::number(tsn));
    QCOMPARE(kept.value(2).size(), 8);
    QCOMPARE(kept.value(3).size(), 8);

    // Neither Escape nor the idle timeout leaves it; while the SAM is out, the kiosk's retries change nothing.
    m_ui->key(Qt::Key_Escape);
    for (int i = 0; i < 3; ++i) {
        m_clock->advanceSeconds(5);
        m_vm->tick();
        QTRY_VERIFY_WITH_TIMEOUT(!m_vm->busy(), 20000);
    }
    m_clock->advanceSeconds(600);
    m_vm->tick();
    QTRY_VERIFY_WITH_TIMEOUT(!m_vm->busy(), 20000);
    QVERIFY(m_ui->isShown(QStringLiteral("checkingScreen")));
    QTRY_COMPARE(m_vm->checkingCount(), 1); // the operator's "being checked" count, refreshed by the retries

    // 3. The SAM back: the next retry has it verify the kept MAC2; the receipt, charged once.
    samBack();
    m_clock->advanceSeconds(5);
    m_vm->tick();
    QTRY_VERIFY_WITH_TIMEOUT(m_ui->isShown(QStringLiteral("receiptScreen")) && !m_vm->busy(), 60000);
    QCOMPARE(m_ui->text(QStringLiteral("receiptTitle")), t("Paid. Thank you!", "支付成功，谢谢！"));
    QCOMPARE(m_ui->text(QStringLiteral("receipt_amount")), QStringLiteral("¥2.00"));
    QCOMPARE(m_ui->text(QStringLiteral("receipt_tsn")), QString::number(tsn));
    QCOMPARE(m_ui->text(QStringLiteral("receipt_terminal")), kSamTerminal);
    const QString tac = m_ui->text(QStringLiteral("receipt_tac"));
    QCOMPARE(tac, kept.value(2)); // the TAC the key answered while the SAM was out
    QCOMPARE(saleRow(saleId).value(0), QStringLiteral("done"));
    shot(QStringLiteral("sam-6-sam-back"));
    QCOMPARE(keyBalance(), before - 200);
    QTRY_COMPARE(m_vm->checkingCount(), 0);
    auto after = m_sam->status();
    QVERIFY(after);
    QCOMPARE(after->nextTsn, tsn + 1); // one TSN for the sale; none for the one pulled before MAC1
    auto pending = m_sam->pendingSettlement();
    QVERIFY(pending);
    bool confirmed = false;
    for (const auto& p : *pending) {
        if (p.tsn == tsn) {
            confirmed = QString::fromLatin1(p.tac.toHex().toUpper()) == tac && p.amount.fen() == 200u;
        }
    }
    QVERIFY2(confirmed, "the SAM holds the sale confirmed (the kept MAC2 verified) with the receipt's TAC");
    QCOMPARE(pending->size(), heldBefore + 1);
}

void TestKioskSam::startedWithoutSam_data()
{
    languages();
}

// A kiosk started while its SAM is out of the reader (issue 12): full screen and out of service, it sells nothing,
// the operator's screen still works, and every 5 s it opens the SAM again. The SAM back: the welcome screen, the sale
// kept "checking" before the restart is checked by the SAM (its kept MAC2 verified), and a full sale works.
void TestKioskSam::startedWithoutSam()
{
    QFETCH(QString, lang);
    startKiosk(lang);
    if (QTest::currentTestFailed()) {
        return;
    }
    const std::uint32_t before = keyBalance();
    auto status = m_sam->status();
    QVERIFY(status);
    const std::uint32_t tsn = status->nextTsn;

    // 1. A sale left "checking" (the SAM pulled at VERIFY MAC2), then the kiosk stops with the SAM still out.
    saleLeftCheckingBySam(QStringLiteral("2"));
    const qint64 saleId = m_vm->currentSale();
    QCOMPARE(saleRow(saleId).value(0), QStringLiteral("checking"));
    QCOMPARE(keyBalance(), before - 200);
    m_ui.reset();
    m_root.reset();
    m_vm = nullptr;

    // 2. Started without the SAM: out of service, in plain words, full screen.
    startKiosk(lang, true);
    if (QTest::currentTestFailed()) {
        return;
    }
    QCOMPARE(m_root->window()->visibility(), QWindow::FullScreen);
    QCOMPARE(m_ui->text(QStringLiteral("outOfServiceText")),
        t("The kiosk's security module (SAM) is not answering. Nothing can be paid now. Please call staff.",
            "终端的安全模块（SAM）没有响应，现在无法付款。请联系工作人员。"));
    QVERIFY(!m_ui->isShown(QStringLiteral("welcomeScreen")));
    shot(QStringLiteral("sam-7-out-of-service"));

    // A customer cannot start a sale: the keyboard (a PIN, Enter) changes nothing and no sale is recorded.
    m_ui->type(QStringLiteral("123456"));
    m_ui->key(Qt::Key_Return);
    QVERIFY(m_ui->isShown(QStringLiteral("outOfServiceScreen")));
    QVERIFY(!m_vm->keyPresent());

    // The operator's screen works behind the operator PIN; it says why, and neither a sale nor an upload starts.
    kiosktest::openOperatorScreen(*m_ui);
    QCOMPARE(m_ui->text(QStringLiteral("operatorSamOut")),
        t("The security module (SAM) is not answering: no sale and no upload until it is back. The kiosk tries it"
          " every 5 seconds.",
            "安全模块（SAM）没有响应：在其恢复之前不能销售，也不能上传。终端每 5 秒重试一次。"));
    QTRY_COMPARE(m_ui->text(QStringLiteral("operatorWaiting")),
        t("Waiting for settlement: %1 · being checked: 1", "待结算：%1 · 核实中：1").arg(m_vm->unsettledCount()));
    CLICK(QStringLiteral("operatorSettle"));
    QCOMPARE(m_ui->text(QStringLiteral("settlementStatus")),
        t("The security module (SAM) is not answering: the upload waits until it is back.",
            "安全模块（SAM）没有响应：上传将等到其恢复后进行。"));
    shot(QStringLiteral("sam-8-operator-sam-out"));
    typeOnPad(QStringLiteral("1"));
    CLICK(QStringLiteral("operatorStartSale"));
    QVERIFY(m_ui->waitShown(QStringLiteral("outOfServiceScreen")));
    QVERIFY(!m_ui->isShown(QStringLiteral("amountScreen")));
    QVERIFY(!m_ui->isShown(QStringLiteral("saleAmountHeader"))); // no amount kept for later

    // The retries every 5 s change nothing while the SAM is out.
    for (int i = 0; i < 3; ++i) {
        m_clock->advanceSeconds(5);
        m_vm->tick();
        QTRY_VERIFY_WITH_TIMEOUT(!m_vm->busy(), 20000);
    }
    QVERIFY(m_ui->isShown(QStringLiteral("outOfServiceScreen")));
    QCOMPARE(saleRow(saleId).value(0), QStringLiteral("checking"));

    // 3. The SAM back: at the next retry the welcome screen, the kept sale checked (charged once), the key read.
    samBack();
    m_clock->advanceSeconds(5);
    m_vm->tick();
    QTRY_VERIFY_WITH_TIMEOUT(
        m_ui->isShown(QStringLiteral("welcomeScreen")) && m_vm->keyPresent() && !m_vm->busy(), 60000);
    QVERIFY(!m_ui->isShown(QStringLiteral("outOfServiceScreen")));
    CLICK(
        m_lang == QLatin1String("en") ? QStringLiteral("langEn") : QStringLiteral("langZh")); // reset between customers
    QTRY_COMPARE(m_ui->text(QStringLiteral("welcomeTitle")), t("Welcome", "欢迎"));
    QTRY_COMPARE(saleRow(saleId).value(0), QStringLiteral("done"));
    QTRY_COMPARE(m_vm->checkingCount(), 0);
    shot(QStringLiteral("sam-9-back-in-service"));

    // A full sale: the receipt with the SAM's next TSN; the key charged 2.00 + 1.00 in all.
    saleWithPin(QStringLiteral("1"));
    QTRY_VERIFY_WITH_TIMEOUT(m_ui->isShown(QStringLiteral("receiptScreen")) && !m_vm->busy(), 60000);
    QCOMPARE(m_ui->text(QStringLiteral("receiptTitle")), t("Paid. Thank you!", "支付成功，谢谢！"));
    QCOMPARE(m_ui->text(QStringLiteral("receipt_amount")), QStringLiteral("¥1.00"));
    QCOMPARE(m_ui->text(QStringLiteral("receipt_tsn")), QString::number(tsn + 1));
    QCOMPARE(keyBalance(), before - 300);
    auto pending = m_sam->pendingSettlement();
    QVERIFY(pending);
    int confirmed = 0;
    for (const auto& p : *pending) {
        confirmed += p.tsn == tsn || p.tsn == tsn + 1 ? 1 : 0;
    }
    QCOMPARE(confirmed, 2); // both sales confirmed (MAC2 verified) on the SAM, waiting for settlement
}

void TestKioskSam::cleanup()
{
    m_ui.reset();
    m_root.reset();
    m_vm = nullptr;
    if (QTest::currentTestFailed() && m_rig && m_rig->pcsc.sam && m_sam) {
        samBack(); // a case that failed with the SAM pulled leaves it in the reader for the next one
    }
}

void TestKioskSam::cleanupTestCase()
{
    qInfo().noquote() << "kiosk SAM screenshots (en and zh_CN):" << m_shots;
    m_ui.reset();
    m_root.reset();
    m_sam.reset();
    m_rig.reset();
}

int main(int argc, char** argv)
{
    QQuickStyle::setStyle(QStringLiteral("Basic"));
    QGuiApplication app(argc, argv);
    TestKioskSam test;
    return wallet::test::skipAwareExitCode(QTest::qExec(&test, argc, argv));
}

#include "TestKioskSam.moc"
