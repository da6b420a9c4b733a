// SPDX-License-Identifier: Apache-2.0
// Loads and payments as a person does them in the real window (QML driven with the mouse and keyboard through
// tests/support/QuickDriver), against a real bank host started here (WalletBank: PostgreSQL, SoftHSM2, skey-bank):
//  * issue 9 item 13: "12,50" is refused with the problem named (it once loaded ¥1,250.00 unseen); every load and
//    every payment opens the confirmation dialog with the parsed amount before anything is sent, and Cancel there
//    sends nothing. A payment's amount is the one the bank signed in the merchant's order (issue 12): the dialog
//    shows it parsed and formatted while the key and the bank have seen nothing of the payment;
//  * item 14: the PIN given at unlock does not cover later operations: the key asks again for a load and a payment
//    (its policy), and the wallet locks itself after the idle time (injected: a short one here instead of five
//    minutes).
#include "WalletBank.h"
#include "app/gui/CompositionRoot.h"
#include "device/EmbeddedSimulator.h"
#include "support/QuickDriver.h"

#include <QGuiApplication>
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

class TestMoneyConfirm : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void commaThatIsNotGroupingIsRefused();
    void cancelInTheDialogSendsNothing();
    void loadConfirmedThenPinAskedAgain();
    void paymentShownParsedBeforeAnyApdu();
    void locksWhenIdle();
    void cleanupTestCase();

private:
    static std::unique_ptr<CompositionRoot> makeRoot(const QString& dir, std::chrono::milliseconds idle);
    using IdleLock = wallet::app::IdleLock;
    static bool unlock(CompositionRoot& root, QuickDriver& ui);
    walletbank::WalletBank m_bank;
    QTemporaryDir m_dir;
    std::unique_ptr<CompositionRoot> m_root;
    std::unique_ptr<QuickDriver> m_ui;
};

std::unique_ptr<CompositionRoot> TestMoneyConfirm::makeRoot(const QString& dir, std::chrono::milliseconds idle)
{
    CompositionRoot::Options options;
    options.dataDir = dir;
    options.language = QStringLiteral("en");
    options.usb = false;
    options.simulatorProfile
        = qEnvironmentVariable("SKEY_SOURCE_DIR") + QStringLiteral("/resources/profiles/demo-3des.json");
    options.idleLock = idle;
    auto root = std::make_unique<CompositionRoot>(options);
    if (!root->createWindow()) {
        return nullptr;
    }
    return root;
}

/// The PIN typed on the keyboard into the unlock page's pad, then Return.
bool TestMoneyConfirm::unlock(CompositionRoot& root, QuickDriver& ui)
{
    if (!ui.waitShown(QStringLiteral("pinPad"), QStringLiteral("pinPage"), 60000)) {
        return false;
    }
    ui.shown(QStringLiteral("pinPad"), QStringLiteral("pinPage"))->forceActiveFocus();
    ui.type(QStringLiteral("123456"));
    ui.key(Qt::Key_Return);
    return QTest::qWaitFor([&] { return root.app()->unlocked(); }, 30000);
}

void TestMoneyConfirm::initTestCase()
{
    QVERIFY(m_dir.isValid());
    const QString up = m_bank.start();
    QVERIFY2(up.isEmpty(), qPrintable(up));
    const QString data = m_dir.filePath(QStringLiteral("wallet"));
    const QString configured = m_bank.configureWallet(data);
    QVERIFY2(configured.isEmpty(), qPrintable(configured));
    m_root = makeRoot(data, IdleLock::kDefaultTimeout);
    QVERIFY(m_root);
    QVERIFY(QTest::qWaitForWindowExposed(m_root->window()));
    m_root->window()->requestActivate();
    QVERIFY(QTest::qWaitForWindowActive(m_root->window()));
    m_ui = std::make_unique<QuickDriver>(m_root->window());
    QVERIFY2(unlock(*m_root, *m_ui), qPrintable(m_ui->visibleTexts().join(QLatin1Char('\n'))));
    // The bank knows the key the simulator issued with the demo profile, and its account has money for the loads.
    QVERIFY(m_root->simulator());
    const QString registered = m_bank.registerKey(walletbank::asnOfSerial(m_root->simulator()->serialHex()), 1000000);
    QVERIFY2(registered.isEmpty(), qPrintable(registered));
}

void TestMoneyConfirm::commaThatIsNotGroupingIsRefused()
{
    m_ui->key(Qt::Key_2, Qt::ControlModifier);
    SHOWN(QStringLiteral("loadEnterCard"));
    TYPE_INTO(QStringLiteral("amountInput"), QStringLiteral("12,50"), QStringLiteral("loadAmount"));
    // The problem is named under the field, and Load stays disabled: no dialog, nothing sent.
    QTRY_VERIFY(m_ui->shows(QStringLiteral("A comma only separates thousands")));
    QVERIFY(!m_ui->property(QStringLiteral("loadSubmit"), "enabled").toBool());
    QVERIFY(!m_ui->click(QStringLiteral("loadSubmit")));
    m_ui->key(Qt::Key_Return);
    QCOMPARE(m_root->app()->load()->step(), LoadViewModel::Step::Enter);
    QVERIFY(!m_ui->isShown(QStringLiteral("moneyConfirmAmount")));
    TYPE_INTO(QStringLiteral("amountInput"), QStringLiteral("1,2500"), QStringLiteral("loadAmount"));
    QTRY_VERIFY(m_ui->shows(QStringLiteral("A comma only separates thousands")));
    QVERIFY(!m_ui->property(QStringLiteral("loadSubmit"), "enabled").toBool());
}

void TestMoneyConfirm::cancelInTheDialogSendsNothing()
{
    m_ui->key(Qt::Key_2, Qt::ControlModifier);
    SHOWN(QStringLiteral("loadEnterCard"));
    const qint64 before = m_root->app()->overview()->balanceFen();
    TYPE_INTO(QStringLiteral("amountInput"), QStringLiteral("1,250.00"), QStringLiteral("loadAmount"));
    QTRY_VERIFY(m_ui->property(QStringLiteral("loadSubmit"), "enabled").toBool());
    CLICK(QStringLiteral("loadSubmit"));
    // The parsed amount, with thousands grouping, before anything moved.
    SHOWN(QStringLiteral("moneyConfirmAmount"));
    QCOMPARE(m_ui->text(QStringLiteral("moneyConfirmAmount")), QStringLiteral("\u00A51,250.00"));
    QVERIFY(m_ui->shows(QStringLiteral("Load \u00A51,250.00")));
    QCOMPARE(m_root->app()->load()->step(), LoadViewModel::Step::Confirm);
    CLICK(QStringLiteral("moneyCancelButton"));
    QTRY_VERIFY(!m_ui->isShown(QStringLiteral("moneyConfirmAmount")));
    QCOMPARE(m_root->app()->load()->step(), LoadViewModel::Step::Enter);
    QCOMPARE(m_ui->text(QStringLiteral("amountInput"), QStringLiteral("loadAmount")),
        QStringLiteral("1,250.00")); // the typed amount is kept
    QCOMPARE(m_root->app()->overview()->balanceFen(), before);
}

void TestMoneyConfirm::loadConfirmedThenPinAskedAgain()
{
    m_ui->key(Qt::Key_2, Qt::ControlModifier);
    SHOWN(QStringLiteral("loadEnterCard"));
    LoadViewModel* vm = m_root->app()->load();
    TYPE_INTO(QStringLiteral("amountInput"), QStringLiteral("1,250.00"), QStringLiteral("loadAmount"));
    m_ui->key(Qt::Key_Return); // Enter in the field is the same as the Load button
    SHOWN(QStringLiteral("moneyConfirmButton"));
    QCOMPARE(vm->step(), LoadViewModel::Step::Confirm);
    CLICK(QStringLiteral("moneyConfirmButton"));
    QTRY_VERIFY(!m_ui->isShown(QStringLiteral("moneyConfirmButton")));
    // The wallet was unlocked with the PIN, but the key asks for it again for this load (item 14): the VERIFY at
    // unlock does not carry over, the key's policy decides.
    SHOWN(QStringLiteral("loadPinPad"), QString(), 60000);
    QTRY_VERIFY(m_ui->shows(QStringLiteral("Enter your PIN to load \u00A51,250.00.")));
    m_ui->shown(QStringLiteral("loadPinPad"))->forceActiveFocus();
    m_ui->type(QStringLiteral("123456"));
    m_ui->key(Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(vm->step(), LoadViewModel::Step::Done, 60000);
    QTRY_VERIFY(m_ui->shows(QStringLiteral("Loaded \u00A51,250.00")));
    CLICK(QStringLiteral("loadDone"));
    SHOWN(QStringLiteral("overviewPage"));
    QTRY_COMPARE_WITH_TIMEOUT(m_ui->text(QStringLiteral("balance")), QStringLiteral("\u00A51,250.00"), 20000);
}

void TestMoneyConfirm::paymentShownParsedBeforeAnyApdu()
{
    // The merchant's order for ¥18.80 (1880 fen, integer at the bank); its short code typed into the Pay page.
    const QJsonObject order = m_bank.newOrder(1880, QStringLiteral("MC-1880"));
    const QString orderId = order.value(QStringLiteral("orderId")).toString();
    QVERIFY(!orderId.isEmpty());
    PurchaseViewModel* vm = m_root->app()->purchase();
    m_ui->key(Qt::Key_3, Qt::ControlModifier);
    SHOWN(QStringLiteral("payOrderCard"));
    TYPE_INTO(QStringLiteral("payLinkInput"), order.value(QStringLiteral("shortCode")).toString());
    m_ui->key(Qt::Key_Return); // Enter in the field opens the order
    SHOWN(QStringLiteral("moneyConfirmAmount"), QString(), 30000);
    // The amount parsed from the bank's signed order, formatted, with the merchant and reference beside it, while
    // neither the key nor the bank's acquirer has seen anything of this payment.
    QCOMPARE(m_ui->text(QStringLiteral("moneyConfirmAmount")), QStringLiteral("\u00A518.80"));
    QCOMPARE(m_ui->text(QStringLiteral("moneyConfirmButton")), QStringLiteral("Pay \u00A518.80"));
    QVERIFY(m_ui->shows(walletbank::kMerchant));
    QVERIFY(m_ui->shows(QStringLiteral("MC-1880")));
    QCOMPARE(vm->step(), PurchaseViewModel::Step::Confirm);
    QCOMPARE(m_bank.purchasesOf(orderId), 0);
    QCOMPARE(m_bank.orderState(orderId), QStringLiteral("open"));
    QCOMPARE(m_root->app()->overview()->balanceFen(), qint64(125000));

    // Cancel sends nothing: back to the link, the order still open at the bank.
    CLICK(QStringLiteral("moneyCancelButton"));
    QTRY_COMPARE(vm->step(), PurchaseViewModel::Step::Enter);
    QVERIFY(!m_ui->isShown(QStringLiteral("moneyConfirmAmount")));
    QCOMPARE(m_bank.purchasesOf(orderId), 0);
    QCOMPARE(m_bank.orderState(orderId), QStringLiteral("open"));

    // Opened again and confirmed: the key asks for the PIN (above its PIN-free limit), then the bank has it paid.
    CLICK(QStringLiteral("payOpenOrder"));
    SHOWN(QStringLiteral("moneyConfirmButton"), QString(), 30000);
    QCOMPARE(m_ui->text(QStringLiteral("moneyConfirmAmount")), QStringLiteral("\u00A518.80"));
    CLICK(QStringLiteral("moneyConfirmButton"));
    SHOWN(QStringLiteral("payPinPad"), QString(), 60000);
    QCOMPARE(m_ui->text(QStringLiteral("payPinPrompt")),
        QStringLiteral("Enter your PIN to pay \u00A518.80 to ") + walletbank::kMerchant + QLatin1Char('.'));
    m_ui->shown(QStringLiteral("payPinPad"))->forceActiveFocus();
    m_ui->type(QStringLiteral("123456"));
    m_ui->key(Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(vm->step(), PurchaseViewModel::Step::Done, 60000);
    QTRY_VERIFY(m_ui->shows(QStringLiteral("Paid \u00A518.80")));
    QString tac;
    QCOMPARE(m_bank.orderState(orderId, &tac), QStringLiteral("paid"));
    QCOMPARE(m_ui->text(QStringLiteral("payTac")), tac);
    QCOMPARE(m_bank.purchasesOf(orderId), 1);
    CLICK(QStringLiteral("payDone"));
    SHOWN(QStringLiteral("overviewPage"));
}

void TestMoneyConfirm::locksWhenIdle()
{
    // A second wallet whose idle time is 300 ms (injected), on its own data folder and simulated key.
    QTemporaryDir dir;
    auto root = makeRoot(dir.filePath(QStringLiteral("wallet")), std::chrono::milliseconds(300));
    QVERIFY(root);
    QVERIFY(QTest::qWaitForWindowExposed(root->window()));
    QuickDriver ui(root->window());
    QVERIFY(unlock(*root, ui));
    QCOMPARE(root->app()->page(), AppViewModel::Page::Overview);
    // Nobody touches it: it locks and asks for the PIN again; the purse pages are closed.
    QTRY_VERIFY_WITH_TIMEOUT(!root->app()->unlocked(), 20000);
    QVERIFY(ui.waitShown(QStringLiteral("pinPad"), QStringLiteral("pinPage")));
    QVERIFY(ui.shows(QStringLiteral("PIN")));
    QVERIFY(!ui.property(QStringLiteral("navPay"), "enabled").toBool());
    // And the PIN opens it again.
    QVERIFY(unlock(*root, ui));
}

void TestMoneyConfirm::cleanupTestCase()
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
    TestMoneyConfirm test;
    return QTest::qExec(&test, argc, argv);
}

#include "TestMoneyConfirm.moc"
