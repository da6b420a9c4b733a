// SPDX-License-Identifier: Apache-2.0
// The kiosk as a customer and an operator use it (issue 12, "Kiosk mode"): the real KioskRoot and its QML window
// under Xvfb, driven with mouse clicks and key events (tests/support/QuickDriver), a simulated key (skey-sim child,
// demo profile, loaded with ¥500.00 by a terminal in this process), the software PSAM (config `psam.type: local`),
// and an injected clock (no wall time). Each case runs in English and in Chinese, checks the visible texts and saves
// screenshots `<lang>-<case>-<step>.png` into $SKEY_SCREENSHOT_DIR or a temporary folder it prints:
//   * a full sale (operator sets the amount on the keypad, the customer pays with the PIN) after a wrong PIN;
//   * the idle reset (59 s: still there; 60 s: welcome, everything cleared);
//   * a key pulled mid-sale (power cut inside DEBIT), "checking", then put back: resolved from the key's proof,
//     charged once (the key's balance moved by the amount exactly when a receipt is shown);
//   * the operator exit that needs the operator PIN, and the keyboard escapes refused (Alt+F4, Alt+Tab,
//     Ctrl+Alt+F2) and the window close refused;
//   * five failed sales in a row lock the kiosk 15 s, then 30 s (a second key, whose PIN gets blocked);
//   * a sale left "checking" (power cut inside DEBIT) when the kiosk restarts: the operator sees it "being checked",
//     and when the key is back its proof (ATC, log record, GET TRANSACTION PROVE) shows it paid or not paid;
//   * the layout: every shown named item and text inside the window, no text cut, on each screen, in both
//     languages; full screen and frameless, and back to full screen when something makes the window normal.
//     gui-kiosk-layout runs this case alone on a 1024x768 screen (SKEY_KIOSK_SCREEN=1024x768).
// gui-kiosk-pcsc runs the idle reset, the key pulled mid-sale and the lock with SKEY_KIOSK_PSAM=pcsc: the PSAM is then
// a SAM over PC/SC (KioskSamRig.h) and the key the rig's, instead of the software PSAM and a key of this test's own.
#include "KioskTestKey.h"
#include "KioskUiSteps.h"
#ifdef SKEY_KIOSK_PCSC
#include "KioskSamRig.h"
#endif
#include "app/kiosk/KioskController.h"
#include "app/kiosk/KioskRoot.h"
#include "support/QuickDriver.h"
#include "support/Skip.h"

#include "device/DeviceManager.h"

#include <QFileInfo>
#include <QScreen>

#include <QGuiApplication>
#include <QQuickStyle>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtQml/qqmlextensionplugin.h>
#include <QtTest>
#include <functional>

Q_IMPORT_QML_PLUGIN(SmartKey_KioskPlugin)
Q_IMPORT_QML_PLUGIN(SmartKey_Kiosk_UiPlugin)

using wallet::kiosk::KioskController;
using wallet::kiosk::KioskRoot;
using wallet::kiosk::ManualClock;
using wallet::test::QuickDriver;

#define CLICK(name) KIOSK_CLICK(*m_ui, name)

class TestKioskFlow : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void saleAfterWrongPin_data() { languages(); }
    void saleAfterWrongPin();
    void idleReset_data() { languages(); }
    void idleReset();
    void idleTimeoutIsConfigurable();
    void keyPulledMidSale_data() { languages(); }
    void keyPulledMidSale();
    void operatorExitNeedsPin_data() { languages(); }
    void operatorExitNeedsPin();
    void lockAfterFiveFailedSales();
    void touchAskedByTheKey_data() { languages(); }
    void touchAskedByTheKey();
    void checkingResolvedAfterRestart_data();
    void checkingResolvedAfterRestart();
    void layoutFitsTheScreen_data() { languages(); }
    void layoutFitsTheScreen();
    void cleanup();
    void cleanupTestCase();

private:
    /// One sale with the key's power cut at NVM write `cutAt` ("full"), the key put back; `*paid` says the verdict.
    void keyPulledMidSaleOnce(const QString& lang, int cutAt, bool* paid);
    static void languages()
    {
        QTest::addColumn<QString>("lang");
        QTest::newRow("en") << QStringLiteral("en");
        QTest::newRow("zh_CN") << QStringLiteral("zh_CN");
    }
    /// The kiosk in `lang` with the key `sim` present, on the welcome screen.
    void startKiosk(const QString& lang, wallet::device::EmbeddedSimulator& sim, int idleSeconds = 0);
    /// A new KioskRoot on the same data folder (the kiosk restarted); no key attached yet.
    void restartKiosk();
    void openOperatorScreen();
    /// `seconds` - 1 of the injected clock without a touch: `screen` stays; one more: the welcome screen.
    void idleUntilWelcome(int seconds, const QString& screen);
    /// Every shown named item and every shown text inside the window, and no text wider or taller than its item.
    QStringList clipped() const;
    QString t(const char* en, const char* zh) const
    {
        return m_lang == QLatin1String("en") ? QString::fromUtf8(en) : QString::fromUtf8(zh);
    }
    void shot(const QString& name);
    void operatorSetsAmount(const QString& digits);
    void typeOnPad(const QString& digits);
    std::uint32_t keyBalance(wallet::device::EmbeddedSimulator& sim);

    QTemporaryDir m_dir;
    QString m_shots;
    std::unique_ptr<wallet::device::EmbeddedSimulator> m_key;
#ifdef SKEY_KIOSK_PCSC
    std::unique_ptr<kiosktest::SamRig> m_samRig; ///< SKEY_KIOSK_PSAM=pcsc: the key and the SAM over PC/SC
    wallet::device::EmbeddedSimulator& key()
    {
        return m_samRig ? m_samRig->key() : *m_key;
    }
    QString samReader() const
    {
        return m_samRig ? kiosktest::kSamReader : QString();
    }
#else
    std::unique_ptr<int> m_samRig;
    wallet::device::EmbeddedSimulator& key()
    {
        return *m_key;
    }
    QString samReader() const
    {
        return {};
    }
#endif
    /// A key whose policy asks a touch for each purchase, its button answered by the test (touch-mode manual).
    std::unique_ptr<wallet::device::EmbeddedSimulator> m_touchKey;
    std::unique_ptr<ManualClock> m_clock;
    std::unique_ptr<KioskRoot> m_root;
    std::unique_ptr<QuickDriver> m_ui;
    KioskController* m_vm = nullptr;
    QString m_lang;
    int m_run = 0;
    QString m_kioskDir;
};

void TestKioskFlow::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_shots = qEnvironmentVariable("SKEY_SCREENSHOT_DIR");
    if (m_shots.isEmpty()) {
        m_shots = m_dir.filePath(QStringLiteral("shots"));
    }
    QDir().mkpath(m_shots);
    QString why;
    if (qEnvironmentVariable("SKEY_KIOSK_PSAM") == QLatin1String("pcsc")) {
#ifdef SKEY_KIOSK_PCSC
        // gui-kiosk-pcsc: the same cases with the PSAM as a card (KioskSamRig.h: pcscd + vpcd, the key in reader
        // 00 00, a SAM personalised with the public demo keys and the software PSAM's terminal ID in reader 00 01).
        m_samRig = std::make_unique<kiosktest::SamRig>();
        const QString err = m_samRig->start(QStringLiteral("534B000000005A02"), false);
        if (!m_samRig->skipReason.isEmpty()) {
            SKEY_SKIP(m_samRig->skipReason);
        }
        QVERIFY2(err.isEmpty(), qPrintable(err));
        const QString p = m_samRig->personaliseWithDemoKeys(QByteArray::fromHex("223344556677"), 1);
        QVERIFY2(p.isEmpty(), qPrintable(p));
#else
        SKEY_SKIP(QStringLiteral("built without pcsc-lite (libpcsclite-dev)"));
#endif
    } else {
        m_key = kiosktest::startKey(m_dir.filePath(QStringLiteral("key")), QStringLiteral("534B00000000C001"), &why);
        QVERIFY2(m_key, qPrintable(why));
    }
    const auto loaded = kiosktest::loadKey(key(), m_dir.filePath(QStringLiteral("terminal")), 50000);
    QVERIFY2(loaded.error.isEmpty(), qPrintable(loaded.error));
    QCOMPARE(loaded.balance, 50000u);
}

void TestKioskFlow::startKiosk(const QString& lang, wallet::device::EmbeddedSimulator& sim, int idleSeconds)
{
    m_lang = lang;
    const QString dir = m_dir.filePath(QStringLiteral("kiosk-%1").arg(++m_run));
    m_kioskDir = dir;
    auto config = kiosktest::writeConfig(dir, QStringLiteral("zh_CN"), {}, samReader(), idleSeconds);
    QVERIFY(!config.dataDir.isEmpty());
    m_clock = std::make_unique<ManualClock>(QDateTime(QDate(2026, 12, 2), QTime(10, 0)));
    m_root = std::make_unique<KioskRoot>(config, m_clock.get());
    const QString why = m_root->start();
    QVERIFY2(why.isEmpty(), qPrintable(why));
    m_vm = m_root->vm();
    m_ui = std::make_unique<QuickDriver>(m_root->window());
    QVERIFY(QTest::qWaitForWindowExposed(m_root->window()));
    // The customer picks the language on the welcome screen.
    CLICK(lang == QLatin1String("en") ? QStringLiteral("langEn") : QStringLiteral("langZh"));
    QTRY_COMPARE(m_ui->text(QStringLiteral("welcomeTitle")), t("Welcome", "欢迎"));
    QVERIFY(m_ui->shows(t("Please ask the cashier to start your purchase.", "请让收银员开始您的购买。")));
    m_root->devices().addSimulator(sim.hidPort());
    QTRY_VERIFY_WITH_TIMEOUT(m_vm->keyPresent(), 30000);
}

void TestKioskFlow::shot(const QString& name)
{
    kiosktest::shot(*m_ui, m_root->window(), m_shots, m_lang, name);
}

void TestKioskFlow::typeOnPad(const QString& digits)
{
    kiosktest::typeOnPad(*m_ui, digits);
}

void TestKioskFlow::operatorSetsAmount(const QString& digits)
{
    // Every sale starts in the configured language (zh_CN): the customer's choice is cleared with the sale.
    QVERIFY(m_ui->waitShown(QStringLiteral("welcomeScreen")));
    CLICK(m_lang == QLatin1String("en") ? QStringLiteral("langEn") : QStringLiteral("langZh"));
    CLICK(QStringLiteral("operatorButton"));
    QTRY_COMPARE(m_ui->text(QStringLiteral("pinTitle")), t("Operator PIN", "操作员 PIN"));
    typeOnPad(QStringLiteral("2468"));
    QCOMPARE(m_ui->text(QStringLiteral("pinDots")), QStringLiteral("●●●●")); // digits never shown
    CLICK(QStringLiteral("pinOk"));
    QVERIFY(m_ui->waitShown(QStringLiteral("operatorScreen")));
    typeOnPad(digits);
    CLICK(QStringLiteral("operatorStartSale"));
}

std::uint32_t TestKioskFlow::keyBalance(wallet::device::EmbeddedSimulator& sim)
{
    const auto s = kiosktest::loadKey(sim, m_dir.filePath(QStringLiteral("terminal")), 0);
    return s.error.isEmpty() ? s.balance : 0xFFFFFFFFu;
}

void TestKioskFlow::saleAfterWrongPin()
{
    QFETCH(QString, lang);
    startKiosk(lang, key());
    if (QTest::currentTestFailed()) {
        return;
    }
    const std::uint32_t before = keyBalance(key());
    operatorSetsAmount(QStringLiteral("12.5"));
    if (QTest::currentTestFailed()) {
        return;
    }
    // The key is in: the amount is shown to the customer.
    QVERIFY(m_ui->waitShown(QStringLiteral("amountScreen")));
    QCOMPARE(m_ui->text(QStringLiteral("amountToPay")), QStringLiteral("¥12.50"));
    QVERIFY(m_ui->shows(t("Amount to pay", "应付金额")));
    shot(QStringLiteral("sale-1-amount"));
    CLICK(QStringLiteral("amountPay"));
    QTRY_COMPARE(m_ui->text(QStringLiteral("pinTitle")), t("Enter your PIN", "请输入 PIN"));
    // A wrong PIN clicked on the pad: the key counts it and says how many tries are left.
    typeOnPad(QStringLiteral("1111"));
    CLICK(QStringLiteral("pinOk"));
    QTRY_VERIFY_WITH_TIMEOUT(m_ui->isShown(QStringLiteral("pinMessage")), 30000);
    QCOMPARE(m_ui->text(QStringLiteral("pinMessage")),
        t("Wrong PIN. 2 tries left on your key.", "PIN 错误。密钥还可尝试 2 次。"));
    QCOMPARE(m_vm->pinLength(), 0);
    shot(QStringLiteral("sale-2-wrong-pin"));
    // The right PIN on the keyboard.
    m_ui->type(QStringLiteral("123456"));
    QCOMPARE(m_ui->text(QStringLiteral("pinDots")), QStringLiteral("●●●●●●"));
    m_ui->key(Qt::Key_Return);
    QTRY_VERIFY_WITH_TIMEOUT(m_ui->isShown(QStringLiteral("receiptScreen")), 30000);
    QCOMPARE(m_ui->text(QStringLiteral("receiptTitle")), t("Paid. Thank you!", "支付成功，谢谢！"));
    QCOMPARE(m_ui->text(QStringLiteral("receipt_amount")), QStringLiteral("¥12.50"));
    QCOMPARE(m_ui->text(QStringLiteral("receipt_tac")).size(), 8);
    QVERIFY(m_ui->shows(t("Transaction number", "交易序号")));
    QVERIFY(QFileInfo(m_vm->receiptPdf()).size() > 500);
    QVERIFY(QFile(m_vm->receiptPdf()).open(QIODevice::ReadOnly));
    shot(QStringLiteral("sale-3-receipt"));
    QCOMPARE(keyBalance(key()), before - 1250);
    CLICK(QStringLiteral("receiptDone"));
    QTRY_VERIFY(m_ui->isShown(QStringLiteral("welcomeScreen")));
    QCOMPARE(m_vm->language(), QStringLiteral("zh_CN")); // the next customer starts in the configured language
    // The operator sees the sale in today's totals.
    CLICK(m_lang == QLatin1String("en") ? QStringLiteral("langEn") : QStringLiteral("langZh"));
    CLICK(QStringLiteral("operatorButton"));
    typeOnPad(QStringLiteral("2468"));
    CLICK(QStringLiteral("pinOk"));
    QVERIFY(m_ui->waitShown(QStringLiteral("operatorScreen")));
    QTRY_COMPARE(m_ui->text(QStringLiteral("operatorTotals")), t("Today: 1 sale(s), ¥12.50", "今日：1 笔，¥12.50"));
    shot(QStringLiteral("sale-4-operator"));
}

void TestKioskFlow::idleReset()
{
    QFETCH(QString, lang);
    startKiosk(lang, key());
    if (QTest::currentTestFailed()) {
        return;
    }
    CLICK(QStringLiteral("operatorButton"));
    typeOnPad(QStringLiteral("2468"));
    CLICK(QStringLiteral("pinOk"));
    QVERIFY(m_ui->waitShown(QStringLiteral("operatorScreen")));
    CLICK(QStringLiteral("price0")); // from the price list: Jasmine tea ¥12.50
    CLICK(QStringLiteral("operatorStartSale"));
    QVERIFY(m_ui->waitShown(QStringLiteral("amountScreen")));
    QCOMPARE(m_ui->text(QStringLiteral("amountToPay")), QStringLiteral("¥12.50"));
    CLICK(QStringLiteral("amountPay"));
    QVERIFY(m_ui->waitShown(QStringLiteral("pinPad")));
    typeOnPad(QStringLiteral("12"));
    QCOMPARE(m_vm->pinLength(), 2);
    shot(QStringLiteral("idle-1-pin"));
    // 59 s without a touch: still there; 60 s: back to the welcome screen, the digits, the amount and the language
    // cleared.
    idleUntilWelcome(60, QStringLiteral("pinPad"));
    QCOMPARE(m_vm->pinLength(), 0);
    QVERIFY(!m_vm->saleReady());
    QCOMPARE(m_vm->language(), QStringLiteral("zh_CN")); // the configured language again
    QCOMPARE(m_ui->text(QStringLiteral("welcomeTitle")), QStringLiteral("欢迎"));
    QVERIFY(m_ui->shows(QStringLiteral("请让收银员开始您的购买。")));
    shot(QStringLiteral("idle-2-welcome"));
}

void TestKioskFlow::idleUntilWelcome(int seconds, const QString& screen)
{
    m_clock->advanceSeconds(seconds - 1);
    m_vm->tick();
    QVERIFY2(m_ui->isShown(screen), qPrintable(screen + QStringLiteral(" left one second early")));
    m_clock->advanceSeconds(1);
    m_vm->tick();
    QTRY_VERIFY(m_ui->isShown(QStringLiteral("welcomeScreen")));
}

void TestKioskFlow::idleTimeoutIsConfigurable()
{
    // idleReset runs with no idleSeconds in the configuration (the default, 60 s); here 20 s are configured.
    startKiosk(QStringLiteral("en"), key(), 20);
    if (QTest::currentTestFailed()) {
        return;
    }
    QCOMPARE(m_vm->config().idleSeconds, 20);
    openOperatorScreen();
    typeOnPad(QStringLiteral("7"));
    idleUntilWelcome(20, QStringLiteral("operatorScreen"));
    QVERIFY(!m_vm->saleReady());
    QVERIFY(m_vm->entryText().isEmpty());
    // Outside 5..3600 s the configuration is refused with the reason.
    for (const int bad : {4, 3601}) {
        const QString dir = m_dir.filePath(QStringLiteral("idle-%1").arg(bad));
        (void)kiosktest::writeConfig(dir, QStringLiteral("en"), {}, {}, bad);
        auto refused = wallet::kiosk::KioskConfig::load(QDir(dir).filePath(QStringLiteral("kiosk.json")));
        QVERIFY(!refused);
        QVERIFY2(refused.error().detail.contains(QStringLiteral("idleSeconds must be 5..3600")),
            qPrintable(refused.error().detail));
    }
}

void TestKioskFlow::keyPulledMidSale()
{
    QFETCH(QString, lang);
    // The cut must land right after the purchase record, to show "paid" proven by the key. A sale writes at least
    // four times (VERIFY's try and its restore, DEBIT's MAC try, the record), but a new page's header or a collection
    // may go out with the record, depending on the key's journal layout (its history, and since 2026-12 the pages
    // compacted when a secret was replaced): so the 4th, 5th and 6th write are tried until one leaves it paid. Every
    // attempt must charge once or not at all, as the screen says.
    // A cut changes the layout for the next sale (the power-on scrub compacts a page a cut left torn), so the
    // sequence is walked twice at most.
    bool paid = false;
    for (const int cutAt : {4, 5, 6, 4, 5, 6}) {
        keyPulledMidSaleOnce(lang, cutAt, &paid);
        if (QTest::currentTestFailed() || paid) {
            break;
        }
    }
    QVERIFY2(paid, "no power cut at the 4th to 6th write landed right after the purchase record");
}

void TestKioskFlow::keyPulledMidSaleOnce(const QString& lang, int cutAt, bool* paidOut)
{
    startKiosk(lang, key());
    if (QTest::currentTestFailed()) {
        return;
    }
    const std::uint32_t before = keyBalance(key());
    operatorSetsAmount(QStringLiteral("3"));
    QVERIFY(m_ui->waitShown(QStringLiteral("amountScreen")));
    CLICK(QStringLiteral("amountPay"));
    QVERIFY(m_ui->waitShown(QStringLiteral("pinPad")));
    typeOnPad(QStringLiteral("123456"));
    // The key loses power inside DEBIT FOR PURCHASE (VERIFY writes its try and restores it; DEBIT writes its MAC try,
    // then the purchase): the purchase's write lands, the answer never comes back.
    const auto armed = key().control().send(QStringLiteral("power-cut-at %1 full").arg(cutAt));
    QVERIFY2(armed.ok(), qPrintable(armed.ok() ? QString() : armed.error().detail));
    CLICK(QStringLiteral("pinOk"));
    QTRY_VERIFY_WITH_TIMEOUT(
        m_ui->isShown(QStringLiteral("checkingScreen")) || m_ui->isShown(QStringLiteral("receiptScreen")), 60000);
    if (m_ui->isShown(QStringLiteral("receiptScreen"))) {
        // This sale wrote fewer times than `cutAt`: paid normally, once; the cut is pushed out of reach.
        QCOMPARE(keyBalance(key()), before - 300);
        const auto disarm = key().control().send(QStringLiteral("power-cut-at 1000000000"));
        QVERIFY2(disarm.ok(), qPrintable(disarm.ok() ? QString() : disarm.error().detail));
        qInfo("cut at write %d: beyond this sale's writes, paid normally", cutAt);
        *paidOut = false;
        return;
    }
    QCOMPARE(m_ui->text(QStringLiteral("checkingTitle")), t("Checking the payment", "正在核实付款"));
    QVERIFY(m_ui->text(QStringLiteral("checkingText")).contains(t("never be charged twice", "绝不会被重复扣款")));
    // The kiosk has given up asking the silent key (its recovery attempts are over): the sale stays "checking".
    QTRY_VERIFY_WITH_TIMEOUT(!m_vm->busy(), 90000);
    QVERIFY(m_ui->isShown(QStringLiteral("checkingScreen")));
    shot(QStringLiteral("pulled-1-checking"));
    // Nothing the customer does leaves "checking", nor does the idle timeout.
    m_ui->key(Qt::Key_Escape);
    m_clock->advanceSeconds(600);
    m_vm->tick();
    QVERIFY(m_ui->isShown(QStringLiteral("checkingScreen")));
    // The key is back: the kiosk asks it (ATC, log, GET TRANSACTION PROVE) and shows the verdict.
    m_root->devices().rescan();
    const auto replug = key().control().send(QStringLiteral("replug"));
    QVERIFY2(replug.ok(), qPrintable(replug.ok() ? QString() : replug.error().detail));
    QTRY_VERIFY_WITH_TIMEOUT(
        m_ui->isShown(QStringLiteral("receiptScreen")) || m_ui->isShown(QStringLiteral("failedScreen")), 60000);
    const bool paid = m_ui->isShown(QStringLiteral("receiptScreen"));
    shot(QStringLiteral("pulled-2-resolved"));
    // Charged exactly once, or not at all, as the screen says.
    QCOMPARE(keyBalance(key()), paid ? before - 300 : before);
    if (paid) {
        QCOMPARE(m_ui->text(QStringLiteral("receipt_amount")), QStringLiteral("¥3.00"));
    } else {
        QCOMPARE(m_ui->text(QStringLiteral("failedText")),
            t("The key proved the payment did not happen. Nothing was charged.", "密钥证明此笔付款未发生，未扣款。"));
    }
    qInfo("key pulled mid-sale (cut at write %d), then back: %s", cutAt, paid ? "paid once (receipt)" : "not charged");
    *paidOut = paid;
}

void TestKioskFlow::operatorExitNeedsPin()
{
    QFETCH(QString, lang);
    startKiosk(lang, key());
    if (QTest::currentTestFailed()) {
        return;
    }
    QSignalSpy exits(m_vm, &KioskController::exitRequested);
    // The escapes a program can refuse never reach the window: Alt+F4, Alt+Tab, Alt+Shift+Tab, Ctrl+Alt+F1..F12.
    m_ui->key(Qt::Key_F4, Qt::AltModifier);
    m_ui->key(Qt::Key_Tab, Qt::AltModifier);
    m_ui->key(Qt::Key_Backtab, Qt::AltModifier | Qt::ShiftModifier);
    for (int f = Qt::Key_F1; f <= Qt::Key_F12; ++f) {
        m_ui->key(static_cast<Qt::Key>(f), Qt::ControlModifier | Qt::AltModifier);
    }
    QCOMPARE(m_vm->refusedEscapes(), 15);
    // Keys that are no escape are not swallowed (the filter is no blanket).
    m_ui->key(Qt::Key_F4);
    m_ui->key(Qt::Key_F2, Qt::ControlModifier);
    m_ui->key(Qt::Key_Tab);
    QCOMPARE(m_vm->refusedEscapes(), 15);
    // A window manager's close is refused too.
    m_root->window()->close();
    QVERIFY(m_root->window()->isVisible());
    QVERIFY(m_ui->isShown(QStringLiteral("welcomeScreen")));
    // A wrong operator PIN opens nothing.
    CLICK(QStringLiteral("operatorButton"));
    typeOnPad(QStringLiteral("1357"));
    CLICK(QStringLiteral("pinOk"));
    QTRY_COMPARE(m_ui->text(QStringLiteral("pinMessage")), t("Wrong operator PIN.", "操作员 PIN 错误。"));
    QVERIFY(!m_ui->isShown(QStringLiteral("operatorExit")));
    shot(QStringLiteral("exit-1-wrong-operator-pin"));
    QCOMPARE(exits.count(), 0);
    // The right one: the operator screen, and its exit.
    typeOnPad(QStringLiteral("2468"));
    CLICK(QStringLiteral("pinOk"));
    QVERIFY(m_ui->waitShown(QStringLiteral("operatorScreen")));
    QVERIFY(m_ui->shows(t("Exit kiosk mode", "退出自助模式")));
    shot(QStringLiteral("exit-2-operator"));
    CLICK(QStringLiteral("operatorExit"));
    QCOMPARE(exits.count(), 1);
    QVERIFY(m_vm->exitAllowed());
}

void TestKioskFlow::lockAfterFiveFailedSales()
{
    QString why;
    auto other = kiosktest::startKey(m_dir.filePath(QStringLiteral("key2")), QStringLiteral("534B00000000C002"), &why);
    QVERIFY2(other, qPrintable(why));
    startKiosk(QStringLiteral("en"), *other);
    if (QTest::currentTestFailed()) {
        return;
    }
    auto failOnce = [&](int n) {
        operatorSetsAmount(QStringLiteral("1"));
        QVERIFY(m_ui->waitShown(QStringLiteral("amountScreen")));
        CLICK(QStringLiteral("amountPay"));
        QVERIFY(m_ui->waitShown(QStringLiteral("pinPad")));
        typeOnPad(QStringLiteral("9999"));
        CLICK(QStringLiteral("pinOk"));
        QTRY_VERIFY_WITH_TIMEOUT(!m_vm->busy() && m_vm->screen() != QLatin1String("working"), 30000);
        qInfo("failed sale %d: %s / %s", n, qPrintable(m_vm->screen()), qPrintable(m_vm->message()));
        if (m_vm->screen() != QLatin1String("locked")) {
            // Wrong PIN (the pad again) or PIN blocked (refused): the customer gives up.
            CLICK(m_vm->screen() == QLatin1String("pin") ? QStringLiteral("pinCancel") : QStringLiteral("failedDone"));
            QTRY_VERIFY(m_ui->isShown(QStringLiteral("welcomeScreen")));
        }
    };
    for (int i = 1; i <= 5; ++i) {
        failOnce(i);
        if (QTest::currentTestFailed()) {
            return;
        }
    }
    QTRY_VERIFY(m_ui->isShown(QStringLiteral("lockedScreen")));
    QCOMPARE(m_ui->text(QStringLiteral("lockedText")),
        QStringLiteral("Too many failed payments. The kiosk is locked for 15 seconds."));
    shot(QStringLiteral("lock-1"));
    QVERIFY(!m_ui->isShown(QStringLiteral("operatorButton")));
    m_clock->advanceSeconds(14);
    m_vm->tick();
    QVERIFY(m_ui->isShown(QStringLiteral("lockedScreen")));
    m_clock->advanceSeconds(1);
    m_vm->tick();
    QTRY_VERIFY(m_ui->isShown(QStringLiteral("welcomeScreen")));
    // Five more: the lock doubles.
    for (int i = 6; i <= 10; ++i) {
        failOnce(i);
        if (QTest::currentTestFailed()) {
            return;
        }
    }
    QTRY_VERIFY(m_ui->isShown(QStringLiteral("lockedScreen")));
    QCOMPARE(m_vm->lockSeconds(), 30);
    m_clock->advanceSeconds(30);
    m_vm->tick();
    QTRY_VERIFY(m_ui->isShown(QStringLiteral("welcomeScreen")));
    m_ui.reset();
    m_root.reset();
    other->stop();
}

void TestKioskFlow::touchAskedByTheKey()
{
    QFETCH(QString, lang);
    if (!m_touchKey) {
        // The demo profile with "purchaseNeedsTouch": the key waits for its button after the PIN, before it pays.
        QFile demo(kiosktest::profilePath());
        QVERIFY(demo.open(QIODevice::ReadOnly));
        QJsonObject profile = QJsonDocument::fromJson(demo.readAll()).object();
        QJsonObject policy = profile.value(QStringLiteral("policy")).toObject();
        policy.insert(QStringLiteral("purchaseNeedsTouch"), true);
        profile.insert(QStringLiteral("policy"), policy);
        QFile out(m_dir.filePath(QStringLiteral("touch.json")));
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(QJsonDocument(profile).toJson());
        out.close();
        QString why;
        m_touchKey = kiosktest::startKey(m_dir.filePath(QStringLiteral("touch-key")),
            QStringLiteral("534B00000000C003"),
            &why,
            true,
            out.fileName(),
            QStringLiteral("manual"));
        QVERIFY2(m_touchKey, qPrintable(why));
        const auto loaded = kiosktest::loadKey(*m_touchKey, m_dir.filePath(QStringLiteral("terminal")), 5000);
        QVERIFY2(loaded.error.isEmpty(), qPrintable(loaded.error)); // loads need no touch
    }
    startKiosk(lang, *m_touchKey);
    if (QTest::currentTestFailed()) {
        return;
    }
    const std::uint32_t before = keyBalance(*m_touchKey);
    const auto touchPending = [this] {
        const auto st = m_touchKey->control().send(QStringLiteral("status"));
        return st.ok() && st.value().contains(QStringLiteral("touch=pending"));
    };
    const auto payUntilTheKeyWaits = [&] {
        operatorSetsAmount(QStringLiteral("2"));
        QVERIFY(m_ui->waitShown(QStringLiteral("amountScreen")));
        CLICK(QStringLiteral("amountPay"));
        QVERIFY(m_ui->waitShown(QStringLiteral("pinPad")));
        typeOnPad(QStringLiteral("123456"));
        CLICK(QStringLiteral("pinOk"));
        // The key waits for its button: the customer is told to touch it.
        QTRY_VERIFY_WITH_TIMEOUT(touchPending(), 30000);
        QVERIFY(m_ui->isShown(QStringLiteral("workingScreen")));
        QCOMPARE(m_ui->text(QStringLiteral("workingText")),
            t("Paying… Touch your key when it blinks, and keep it inserted.",
                "正在支付……密钥闪烁时请触摸它，并保持插入。"));
    };
    // Touched: paid.
    payUntilTheKeyWaits();
    if (QTest::currentTestFailed()) {
        return;
    }
    shot(QStringLiteral("touch-1-waiting"));
    QVERIFY(m_touchKey->control().send(QStringLiteral("touch accept")).ok());
    QTRY_VERIFY_WITH_TIMEOUT(m_ui->isShown(QStringLiteral("receiptScreen")), 30000);
    QCOMPARE(m_ui->text(QStringLiteral("receipt_amount")), QStringLiteral("¥2.00"));
    QCOMPARE(keyBalance(*m_touchKey), before - 200);
    CLICK(QStringLiteral("receiptDone"));
    // Refused on the key: not paid, and said so.
    payUntilTheKeyWaits();
    if (QTest::currentTestFailed()) {
        return;
    }
    QVERIFY(m_touchKey->control().send(QStringLiteral("touch refuse")).ok());
    QTRY_VERIFY_WITH_TIMEOUT(m_ui->isShown(QStringLiteral("failedScreen")), 30000);
    QCOMPARE(m_ui->text(QStringLiteral("failedText")),
        t("The key refused the payment. Nothing was charged.", "密钥拒绝了此笔付款，未扣款。"));
    shot(QStringLiteral("touch-2-refused"));
    QCOMPARE(keyBalance(*m_touchKey), before - 200);
    CLICK(QStringLiteral("failedDone"));
    QTRY_VERIFY(m_ui->isShown(QStringLiteral("welcomeScreen")));
}

void TestKioskFlow::restartKiosk()
{
    m_ui.reset();
    m_root.reset();
    auto config = kiosktest::writeConfig(m_kioskDir, QStringLiteral("zh_CN"));
    QVERIFY(!config.dataDir.isEmpty());
    m_root = std::make_unique<KioskRoot>(config, m_clock.get());
    const QString why = m_root->start();
    QVERIFY2(why.isEmpty(), qPrintable(why));
    m_vm = m_root->vm();
    m_ui = std::make_unique<QuickDriver>(m_root->window());
    QVERIFY(QTest::qWaitForWindowExposed(m_root->window()));
    CLICK(m_lang == QLatin1String("en") ? QStringLiteral("langEn") : QStringLiteral("langZh"));
}

void TestKioskFlow::openOperatorScreen()
{
    kiosktest::openOperatorScreen(*m_ui);
}

QStringList TestKioskFlow::clipped() const
{
    m_ui->settle();
    QStringList out;
    QQuickWindow* w = m_root->window();
    const QRectF win(0, 0, w->width(), w->height());
    std::function<void(QQuickItem*)> walk = [&](QQuickItem* item) {
        if (!item->isVisible() || item->opacity() <= 0.01) {
            return;
        }
        const bool isText = item->inherits("QQuickText");
        const QString name = item->objectName().isEmpty()
            ? QStringLiteral("text \"%1\"").arg(item->property("text").toString())
            : item->objectName();
        if ((isText || !item->objectName().isEmpty()) && item->width() > 0 && item->height() > 0) {
            const QRectF box = item->mapRectToScene(QRectF(0, 0, item->width(), item->height()));
            if (!win.contains(box.adjusted(0.5, 0.5, -0.5, -0.5))) {
                out << QStringLiteral("%1 at (%2,%3 %4x%5) leaves the %6x%7 window")
                           .arg(name)
                           .arg(box.x())
                           .arg(box.y())
                           .arg(box.width())
                           .arg(box.height())
                           .arg(win.width())
                           .arg(win.height());
            }
            if (isText) {
                const qreal cw = item->property("contentWidth").toReal();
                const qreal ch = item->property("contentHeight").toReal();
                if (cw > item->width() + 1 || ch > item->height() + 1) {
                    out << QStringLiteral("%1 is cut: text %2x%3 in %4x%5")
                               .arg(name)
                               .arg(cw)
                               .arg(ch)
                               .arg(item->width())
                               .arg(item->height());
                }
            }
        }
        for (QQuickItem* child : item->childItems()) {
            walk(child);
        }
    };
    walk(w->contentItem());
    return out;
}

void TestKioskFlow::checkingResolvedAfterRestart_data()
{
    QTest::addColumn<int>("cutAt");
    // Power cut at the 3rd and the 4th NVM write of the sale: a sale writes at least four times (VERIFY's try and its
    // restore, DEBIT's MAC try, the record), so both cuts land inside it; which outcome they give depends on the
    // key's journal layout: the verdict on screen must agree with the key's balance either way.
    QTest::newRow("cut at write 3") << 3;
    QTest::newRow("cut at write 4") << 4;
}

void TestKioskFlow::checkingResolvedAfterRestart()
{
    QFETCH(int, cutAt);
    startKiosk(QStringLiteral("en"), key());
    if (QTest::currentTestFailed()) {
        return;
    }
    const std::uint32_t before = keyBalance(key());
    operatorSetsAmount(QStringLiteral("3"));
    QVERIFY(m_ui->waitShown(QStringLiteral("amountScreen")));
    CLICK(QStringLiteral("amountPay"));
    QVERIFY(m_ui->waitShown(QStringLiteral("pinPad")));
    typeOnPad(QStringLiteral("123456"));
    const auto armed = key().control().send(QStringLiteral("power-cut-at %1 full").arg(cutAt));
    QVERIFY2(armed.ok(), qPrintable(armed.ok() ? QString() : armed.error().detail));
    CLICK(QStringLiteral("pinOk"));
    QTRY_VERIFY_WITH_TIMEOUT(m_ui->isShown(QStringLiteral("checkingScreen")), 60000);
    QTRY_VERIFY_WITH_TIMEOUT(!m_vm->busy(), 90000);
    // The kiosk stops and starts again while the key is still out: the sale is listed as being checked.
    restartKiosk();
    if (QTest::currentTestFailed()) {
        return;
    }
    openOperatorScreen();
    QTRY_COMPARE(
        m_ui->text(QStringLiteral("operatorWaiting")), QStringLiteral("Waiting for settlement: 0 · being checked: 1"));
    const QString row = m_ui->text(QStringLiteral("checkRow0"));
    QVERIFY2(row.startsWith(QStringLiteral("¥3.00, key **** ")), qPrintable(row));
    QVERIFY2(row.endsWith(QStringLiteral(": being checked: insert this key")), qPrintable(row));
    shot(QStringLiteral("restart-1-being-checked"));
    // The key is back: its proof decides, shown on the operator's screen; charged once or not at all.
    m_root->devices().addSimulator(key().hidPort());
    const auto replug = key().control().send(QStringLiteral("replug"));
    QVERIFY2(replug.ok(), qPrintable(replug.ok() ? QString() : replug.error().detail));
    m_root->devices().rescan();
    QTRY_VERIFY_WITH_TIMEOUT(m_vm->keyPresent(), 60000);
    QTRY_VERIFY_WITH_TIMEOUT(
        !m_ui->text(QStringLiteral("checkRow0")).endsWith(QStringLiteral("insert this key")), 30000);
    const std::uint32_t after = keyBalance(key());
    QVERIFY2(after == before || after == before - 300, "charged once or not at all");
    const bool paid = after == before - 300;
    const QString verdict
        = paid ? QStringLiteral(": paid (proven by the key)") : QStringLiteral(": not paid (proven by the key)");
    QVERIFY2(
        m_ui->text(QStringLiteral("checkRow0")).endsWith(verdict), qPrintable(m_ui->text(QStringLiteral("checkRow0"))));
    qInfo("cut at write %d: %s", cutAt, paid ? "paid" : "not paid");
    QTRY_COMPARE(m_ui->text(QStringLiteral("operatorWaiting")),
        QStringLiteral("Waiting for settlement: %1 · being checked: 0").arg(paid ? 1 : 0));
    shot(paid ? QStringLiteral("restart-2-paid") : QStringLiteral("restart-2-not-paid"));
    const QStringList cut = clipped();
    QVERIFY2(cut.isEmpty(), qPrintable(cut.join(QLatin1Char('\n'))));
    m_ui.reset();
    m_root.reset();
}

void TestKioskFlow::layoutFitsTheScreen()
{
    QFETCH(QString, lang);
    startKiosk(lang, key());
    if (QTest::currentTestFailed()) {
        return;
    }
    QQuickWindow* w = m_root->window();
    const QString wanted = qEnvironmentVariable("SKEY_KIOSK_SCREEN");
    if (!wanted.isEmpty()) {
        QTRY_COMPARE(QStringLiteral("%1x%2").arg(w->width()).arg(w->height()), wanted);
    }
    // (Without a window manager, Xvfb does not resize a full-screen window: its size is checked against
    // SKEY_KIOSK_SCREEN above, in gui-kiosk-layout whose screen is exactly the kiosk's default 1024x768.)
    QCOMPARE(w->visibility(), QWindow::FullScreen);
    QVERIFY(w->flags().testFlag(Qt::FramelessWindowHint));
    auto fits = [&](const QString& step) {
        const QStringList cut = clipped();
        QVERIFY2(cut.isEmpty(), qPrintable(step + QStringLiteral(": ") + cut.join(QStringLiteral("; "))));
        shot(QStringLiteral("layout-%1-%2").arg(step, QStringLiteral("%1x%2").arg(w->width()).arg(w->height())));
    };
    fits(QStringLiteral("1-welcome"));
    // The operator's PIN, refused once (the message shown), then the operator screen with every line it has.
    CLICK(QStringLiteral("operatorButton"));
    typeOnPad(QStringLiteral("1357"));
    CLICK(QStringLiteral("pinOk"));
    QTRY_VERIFY(m_ui->isShown(QStringLiteral("pinMessage")));
    fits(QStringLiteral("2-operator-pin"));
    typeOnPad(QStringLiteral("2468"));
    CLICK(QStringLiteral("pinOk"));
    QVERIFY(m_ui->waitShown(QStringLiteral("operatorScreen")));
    CLICK(QStringLiteral("operatorSettle")); // no bank here: the longest status line
    QTRY_VERIFY(m_ui->isShown(QStringLiteral("settlementStatus")));
    typeOnPad(QStringLiteral("99999.99"));
    for (const QString& needed : {QStringLiteral("operatorEntry"),
             QStringLiteral("price0"),
             QStringLiteral("price1"),
             QStringLiteral("operatorTotals"),
             QStringLiteral("operatorWaiting"),
             QStringLiteral("settlementStatus"),
             QStringLiteral("operatorSettle"),
             QStringLiteral("operatorBack"),
             QStringLiteral("operatorExit"),
             QStringLiteral("operatorStartSale"),
             QStringLiteral("keyPoint"),
             QStringLiteral("keyBack")}) {
        QVERIFY2(m_ui->isShown(needed), qPrintable(needed));
    }
    fits(QStringLiteral("3-operator"));
    // Full-screen locked mode: made normal (or minimised) by someone, the window goes back to full screen.
    w->showNormal();
    QTRY_COMPARE(w->visibility(), QWindow::FullScreen);
    w->showMinimized();
    QTRY_COMPARE(w->visibility(), QWindow::FullScreen);
    // The customer's screens.
    CLICK(QStringLiteral("keyBack"));
    CLICK(QStringLiteral("keyBack"));
    CLICK(QStringLiteral("keyBack"));
    CLICK(QStringLiteral("keyBack"));
    CLICK(QStringLiteral("keyBack"));
    CLICK(QStringLiteral("keyBack"));
    CLICK(QStringLiteral("keyBack"));
    CLICK(QStringLiteral("keyBack"));
    typeOnPad(QStringLiteral("1"));
    CLICK(QStringLiteral("operatorStartSale"));
    QVERIFY(m_ui->waitShown(QStringLiteral("amountScreen")));
    fits(QStringLiteral("4-amount"));
    CLICK(QStringLiteral("amountPay"));
    QVERIFY(m_ui->waitShown(QStringLiteral("pinPad")));
    typeOnPad(QStringLiteral("1111"));
    CLICK(QStringLiteral("pinOk"));
    QTRY_VERIFY_WITH_TIMEOUT(m_ui->isShown(QStringLiteral("pinMessage")), 30000);
    fits(QStringLiteral("5-wrong-pin"));
    typeOnPad(QStringLiteral("123456"));
    CLICK(QStringLiteral("pinOk"));
    QTRY_VERIFY_WITH_TIMEOUT(m_ui->isShown(QStringLiteral("receiptScreen")), 30000);
    for (const QString& needed : {QStringLiteral("receipt_amount"),
             QStringLiteral("receipt_tac"),
             QStringLiteral("receipt_tsn"),
             QStringLiteral("receiptPdfText"),
             QStringLiteral("receiptDone")}) {
        QVERIFY2(m_ui->isShown(needed), qPrintable(needed));
    }
    fits(QStringLiteral("6-receipt"));
    CLICK(QStringLiteral("receiptDone"));
    QTRY_VERIFY(m_ui->isShown(QStringLiteral("welcomeScreen")));
}

void TestKioskFlow::cleanup()
{
    m_ui.reset();
    m_root.reset();
    m_vm = nullptr;
    if ((m_key && m_key->isRunning()) || m_samRig) {
        (void)key().control().send(QStringLiteral("replug"));
    }
}

void TestKioskFlow::cleanupTestCase()
{
    if (m_key) {
        m_key->stop();
    }
    m_samRig.reset();
    if (m_touchKey) {
        m_touchKey->stop();
    }
    qInfo().noquote() << "kiosk screenshots (en and zh_CN):" << m_shots;
}

int main(int argc, char** argv)
{
    QQuickStyle::setStyle(QStringLiteral("Basic"));
    QGuiApplication app(argc, argv);
    TestKioskFlow test;
    return wallet::test::skipAwareExitCode(QTest::qExec(&test, argc, argv));
}

#include "TestKioskFlow.moc"
