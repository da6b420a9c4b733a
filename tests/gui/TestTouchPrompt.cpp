// SPDX-License-Identifier: Apache-2.0
// A key that wants its button touched for each payment (policy "purchaseNeedsTouch"), in the real window
// (issue 9 item 20): while the key waits (KEEPALIVE UP_NEEDED) the window shows "Touch your key" with Cancel; Cancel
// sends the HID CANCEL and the key proves nothing was paid; a refused touch is told as such, never as "the balance
// limit would be exceeded" (the generic text of its status word 6985).
#include "MoneyUi.h"
#include "app/gui/CompositionRoot.h"
#include "device/EmbeddedSimulator.h"

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
using wallet::app::PinViewModel;
using wallet::app::PurchaseViewModel;
using namespace moneyui;

class TestTouchPrompt : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cancelOnThePromptPaysNothing();
    void refusedTouchIsToldAsSuch();

private:
    void enterPin(PinViewModel* pin);
    /// Starts a payment of ¥1.00 through the view model (the form is not what is tested here) up to the key's wait.
    void payUntilTheKeyWaits();
    QTemporaryDir m_dir;
    std::unique_ptr<CompositionRoot> m_root;
    QQuickWindow* m_window = nullptr;
};

void TestTouchPrompt::enterPin(PinViewModel* pin)
{
    for (const char c : QByteArrayLiteral("123456")) {
        pin->appendDigit(c - '0');
    }
    pin->submit();
}

void TestTouchPrompt::initTestCase()
{
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

    CompositionRoot::Options options;
    options.dataDir = m_dir.filePath(QStringLiteral("wallet"));
    options.language = QStringLiteral("en");
    options.usb = false;
    options.simulatorProfile = path;
    options.simulatorTouchMode = QStringLiteral("manual"); // the button waits for the test
    m_root = std::make_unique<CompositionRoot>(options);
    QVERIFY(m_root->createWindow());
    m_window = m_root->window();
    QVERIFY(QTest::qWaitForWindowExposed(m_window));
    AppViewModel* app = m_root->app();
    QTRY_COMPARE_WITH_TIMEOUT(app->page(), AppViewModel::Page::Pin, 60000);
    enterPin(app->pin());
    QTRY_VERIFY_WITH_TIMEOUT(app->unlocked(), 30000);
    // Money on the key to pay with.
    app->navigate(AppViewModel::Page::Load);
    app->load()->setAmountText(QStringLiteral("50"));
    app->load()->submit();
    app->load()->confirm();
    QTRY_COMPARE_WITH_TIMEOUT(app->load()->step(), wallet::app::LoadViewModel::Step::NeedPin, 30000);
    enterPin(app->load()->pin());
    QTRY_COMPARE_WITH_TIMEOUT(app->load()->step(), wallet::app::LoadViewModel::Step::Done, 30000);
    QTRY_COMPARE_WITH_TIMEOUT(app->overview()->balanceFen(), qint64(5000), 20000);
    QVERIFY(!popupOpen(m_window, QStringLiteral("touchPrompt"))); // loads need no touch
}

void TestTouchPrompt::payUntilTheKeyWaits()
{
    AppViewModel* app = m_root->app();
    PurchaseViewModel* pay = app->purchase();
    app->navigate(AppViewModel::Page::Purchase);
    pay->reset();
    pay->setMerchant(QStringLiteral("Campus Canteen"));
    pay->setAmountText(QStringLiteral("1.00"));
    pay->review();
    pay->pay();
    QTRY_COMPARE_WITH_TIMEOUT(pay->step(), PurchaseViewModel::Step::NeedPin, 30000);
    enterPin(pay->pin());
    QTRY_COMPARE_WITH_TIMEOUT(pay->step(), PurchaseViewModel::Step::Working, 30000);
}

void TestTouchPrompt::cancelOnThePromptPaysNothing()
{
    payUntilTheKeyWaits();
    QTRY_VERIFY_WITH_TIMEOUT(popupOpen(m_window, QStringLiteral("touchPrompt")), 30000);
    QTRY_VERIFY(shows(m_window, QStringLiteral("Touch your key")));
    QQuickItem* cancel = nullptr;
    QTRY_VERIFY((cancel = visibleItem(m_window, QStringLiteral("touchCancelButton"))) != nullptr);
    click(m_window, cancel);
    PurchaseViewModel* pay = m_root->app()->purchase();
    QTRY_COMPARE_WITH_TIMEOUT(pay->step(), PurchaseViewModel::Step::Failed, 30000);
    QTRY_VERIFY(!popupOpen(m_window, QStringLiteral("touchPrompt")));
    QTRY_VERIFY(shows(m_window, QStringLiteral("Cancelled. Nothing was changed.")));
    m_root->app()->overview()->refresh();
    QTRY_COMPARE_WITH_TIMEOUT(m_root->app()->overview()->balanceFen(), qint64(5000), 20000);
}

void TestTouchPrompt::refusedTouchIsToldAsSuch()
{
    payUntilTheKeyWaits();
    QTRY_VERIFY_WITH_TIMEOUT(popupOpen(m_window, QStringLiteral("touchPrompt")), 30000);
    // The cardholder refuses on the key itself (the simulator's button).
    QVERIFY(m_root->simulator());
    const auto refused = m_root->simulator()->control().send(QStringLiteral("touch refuse"));
    QVERIFY2(refused.ok(), qPrintable(refused.ok() ? QString() : refused.error().detail));
    PurchaseViewModel* pay = m_root->app()->purchase();
    QTRY_COMPARE_WITH_TIMEOUT(pay->step(), PurchaseViewModel::Step::Failed, 30000);
    QTRY_VERIFY(!popupOpen(m_window, QStringLiteral("touchPrompt")));
    QTRY_VERIFY(shows(m_window, QStringLiteral("not confirmed on the key")));
    QVERIFY2(!shows(m_window, QStringLiteral("balance limit")), qPrintable(shown(m_window).join(QLatin1Char('\n'))));
    m_root->app()->overview()->refresh();
    QTRY_COMPARE_WITH_TIMEOUT(m_root->app()->overview()->balanceFen(), qint64(5000), 20000);
}

int main(int argc, char** argv)
{
    QGuiApplication app(argc, argv);
    TestTouchPrompt test;
    return QTest::qExec(&test, argc, argv);
}

#include "TestTouchPrompt.moc"
