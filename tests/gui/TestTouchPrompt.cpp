// SPDX-License-Identifier: Apache-2.0
// A key that wants its button touched for each payment (policy "purchaseNeedsTouch"), in the real window driven with
// the mouse and keyboard (tests/support/QuickDriver), paying merchants' orders at a real bank host started here
// (WalletBank: PostgreSQL, SoftHSM2, skey-bank) (issue 9 item 20, issue 12): while the key waits (KEEPALIVE
// UP_NEEDED) the window shows "Touch your key" with Cancel; Cancel sends the HID CANCEL and the key proves nothing was
// paid, so the order is not paid at the bank; a refused touch is told as such, never as "the balance limit would be
// exceeded" (the generic text of its status word 6985).
#include "WalletBank.h"
#include "app/gui/CompositionRoot.h"
#include "device/EmbeddedSimulator.h"
#include "support/QuickDriver.h"

#include <QFile>
#include <QGuiApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtQml/qqmlextensionplugin.h>
#include <QtTest>

Q_IMPORT_QML_PLUGIN(SmartKey_WalletPlugin)
Q_IMPORT_QML_PLUGIN(SmartKey_Wallet_UiPlugin)

using wallet::app::AppViewModel;
using wallet::app::CompositionRoot;
using wallet::app::LoadViewModel;
using wallet::app::PurchaseViewModel;
using wallet::test::QuickDriver;

#define CLICK(...) QVERIFY2(m_ui->click(__VA_ARGS__), qPrintable(m_ui->lastError()))
#define TYPE_INTO(...) QVERIFY2(m_ui->typeInto(__VA_ARGS__), qPrintable(m_ui->lastError()))
#define SHOWN(...) QVERIFY2(m_ui->waitShown(__VA_ARGS__), qPrintable(m_ui->visibleTexts().join(QLatin1Char('\n'))))

class TestTouchPrompt : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cancelOnThePromptPaysNothing();
    void refusedTouchIsToldAsSuch();
    void cleanupTestCase();

private:
    /// Types the PIN on the keyboard into the shown pad `pad`, then Return.
    void typePin(const QString& pad);
    /// The merchant's order of ¥1.00, opened by its code on the Pay page, confirmed, the PIN typed: up to the key's
    /// wait for its button. Its id in `orderId`.
    void payUntilTheKeyWaits(QString* orderId);
    walletbank::WalletBank m_bank;
    QTemporaryDir m_dir;
    std::unique_ptr<CompositionRoot> m_root;
    std::unique_ptr<QuickDriver> m_ui;
    int m_orders = 0;
};

void TestTouchPrompt::typePin(const QString& pad)
{
    SHOWN(pad, QString(), 60000);
    m_ui->shown(pad)->forceActiveFocus();
    m_ui->type(QStringLiteral("123456"));
    m_ui->key(Qt::Key_Return);
}

void TestTouchPrompt::initTestCase()
{
    QVERIFY(m_dir.isValid());
    const QString up = m_bank.start();
    QVERIFY2(up.isEmpty(), qPrintable(up));
    QFile demo(qEnvironmentVariable("SKEY_SOURCE_DIR") + QStringLiteral("/resources/profiles/demo-3des.json"));
    QVERIFY2(demo.open(QIODevice::ReadOnly), qPrintable(demo.fileName()));
    QJsonObject profile = QJsonDocument::fromJson(demo.readAll()).object();
    QJsonObject policy = profile.value(QStringLiteral("policy")).toObject();
    policy.insert(QStringLiteral("purchaseNeedsTouch"), true);
    profile.insert(QStringLiteral("policy"), policy);
    const QString path = m_dir.filePath(QStringLiteral("touch.json"));
    QFile out(path);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(QJsonDocument(profile).toJson());
    out.close();

    const QString data = m_dir.filePath(QStringLiteral("wallet"));
    const QString configured = m_bank.configureWallet(data);
    QVERIFY2(configured.isEmpty(), qPrintable(configured));
    CompositionRoot::Options options;
    options.dataDir = data;
    options.language = QStringLiteral("en");
    options.usb = false;
    options.simulatorProfile = path;
    options.simulatorTouchMode = QStringLiteral("manual"); // the button waits for the test
    m_root = std::make_unique<CompositionRoot>(options);
    QVERIFY(m_root->createWindow());
    QVERIFY(QTest::qWaitForWindowExposed(m_root->window()));
    m_root->window()->requestActivate();
    QVERIFY(QTest::qWaitForWindowActive(m_root->window()));
    m_ui = std::make_unique<QuickDriver>(m_root->window());
    typePin(QStringLiteral("pinPad"));
    QTRY_VERIFY_WITH_TIMEOUT(m_root->app()->unlocked(), 30000);
    QVERIFY(m_root->simulator());
    const QString registered = m_bank.registerKey(walletbank::asnOfSerial(m_root->simulator()->serialHex()), 100000);
    QVERIFY2(registered.isEmpty(), qPrintable(registered));

    // Money on the key to pay with, loaded on the Load page from the bank: loads need no touch.
    m_ui->key(Qt::Key_2, Qt::ControlModifier);
    TYPE_INTO(QStringLiteral("amountInput"), QStringLiteral("50"), QStringLiteral("loadAmount"));
    CLICK(QStringLiteral("loadSubmit"));
    SHOWN(QStringLiteral("moneyConfirmButton"));
    CLICK(QStringLiteral("moneyConfirmButton"));
    typePin(QStringLiteral("loadPinPad"));
    QTRY_COMPARE_WITH_TIMEOUT(m_root->app()->load()->step(), LoadViewModel::Step::Done, 60000);
    QVERIFY(!m_ui->isShown(QStringLiteral("touchCancelButton")));
    CLICK(QStringLiteral("loadDone"));
    QTRY_COMPARE_WITH_TIMEOUT(m_ui->text(QStringLiteral("balance")), QStringLiteral("\u00A550.00"), 20000);
}

void TestTouchPrompt::payUntilTheKeyWaits(QString* orderId)
{
    const QJsonObject order = m_bank.newOrder(100, QStringLiteral("TOUCH-%1").arg(++m_orders));
    *orderId = order.value(QStringLiteral("orderId")).toString();
    QVERIFY(!orderId->isEmpty());
    m_ui->key(Qt::Key_3, Qt::ControlModifier);
    SHOWN(QStringLiteral("payOrderCard"));
    TYPE_INTO(QStringLiteral("payLinkInput"), order.value(QStringLiteral("shortCode")).toString());
    CLICK(QStringLiteral("payOpenOrder"));
    SHOWN(QStringLiteral("moneyConfirmButton"), QString(), 30000);
    QCOMPARE(m_ui->text(QStringLiteral("moneyConfirmAmount")), QStringLiteral("\u00A51.00"));
    CLICK(QStringLiteral("moneyConfirmButton"));
    typePin(QStringLiteral("payPinPad"));
}

void TestTouchPrompt::cancelOnThePromptPaysNothing()
{
    QString orderId;
    payUntilTheKeyWaits(&orderId);
    if (QTest::currentTestFailed()) {
        return;
    }
    SHOWN(QStringLiteral("touchCancelButton"), QString(), 30000);
    QTRY_VERIFY(m_ui->shows(QStringLiteral("Touch your key")));
    CLICK(QStringLiteral("touchCancelButton"));
    PurchaseViewModel* pay = m_root->app()->purchase();
    QTRY_COMPARE_WITH_TIMEOUT(pay->step(), PurchaseViewModel::Step::Failed, 30000);
    QTRY_VERIFY(!m_ui->isShown(QStringLiteral("touchCancelButton")));
    QTRY_VERIFY(m_ui->shows(QStringLiteral("Cancelled. Nothing was changed.")));
    QVERIFY(!m_ui->shows(QStringLiteral("Checking the payment")));
    // The key proved nothing was paid: the bank holds no completed purchase and the order is not paid.
    QCOMPARE(m_bank.purchasesOf(orderId, QStringLiteral("completed")), 0);
    QTRY_COMPARE_WITH_TIMEOUT(m_bank.orderState(orderId), QStringLiteral("open"), 20000);
    CLICK(QStringLiteral("payDone"));
    m_root->app()->overview()->refresh();
    QTRY_COMPARE_WITH_TIMEOUT(m_ui->text(QStringLiteral("balance")), QStringLiteral("\u00A550.00"), 20000);
}

void TestTouchPrompt::refusedTouchIsToldAsSuch()
{
    QString orderId;
    payUntilTheKeyWaits(&orderId);
    if (QTest::currentTestFailed()) {
        return;
    }
    SHOWN(QStringLiteral("touchCancelButton"), QString(), 30000);
    // The cardholder refuses on the key itself (the simulator's button).
    QVERIFY(m_root->simulator());
    const auto refused = m_root->simulator()->control().send(QStringLiteral("touch refuse"));
    QVERIFY2(refused.ok(), qPrintable(refused.ok() ? QString() : refused.error().detail));
    PurchaseViewModel* pay = m_root->app()->purchase();
    QTRY_COMPARE_WITH_TIMEOUT(pay->step(), PurchaseViewModel::Step::Failed, 30000);
    QTRY_VERIFY(!m_ui->isShown(QStringLiteral("touchCancelButton")));
    QTRY_VERIFY(m_ui->shows(QStringLiteral("not confirmed on the key")));
    QVERIFY2(!m_ui->shows(QStringLiteral("balance limit")), qPrintable(m_ui->visibleTexts().join(QLatin1Char('\n'))));
    QCOMPARE(m_bank.purchasesOf(orderId, QStringLiteral("completed")), 0);
    QTRY_COMPARE_WITH_TIMEOUT(m_bank.orderState(orderId), QStringLiteral("open"), 20000);
    CLICK(QStringLiteral("payDone"));
    m_root->app()->overview()->refresh();
    QTRY_COMPARE_WITH_TIMEOUT(m_ui->text(QStringLiteral("balance")), QStringLiteral("\u00A550.00"), 20000);
}

void TestTouchPrompt::cleanupTestCase()
{
    m_ui.reset();
    m_root.reset();
}

int main(int argc, char** argv)
{
    if (auto missing = walletbank::WalletBank::missingPart()) {
        std::fprintf(stderr, "SKIP: %s not found (scripts/setup-deps.sh installs it)\n", qPrintable(*missing));
        return 77;
    }
    QGuiApplication app(argc, argv);
    TestTouchPrompt test;
    return QTest::qExec(&test, argc, argv);
}

#include "TestTouchPrompt.moc"
