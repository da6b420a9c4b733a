// SPDX-License-Identifier: Apache-2.0
// Issues 12 and 14 in the real window: paying a merchant whose bank policy requires the cardholder's signature
// (`bankctl merchants policy --cardholder-signature required`), and the revocation badge on the Certificates page.
// The real composition root and QML (offscreen), the embedded simulated key issued with the demo profile, a real bank
// host started by the test (WalletBank.h: PostgreSQL, SoftHSM2, skey-bank over mutual TLS), driven with clicks and
// keys through tests/support/QuickDriver, checked on the texts shown and on the bank's own tables:
//   * without a certificate in slot 9A the order is refused before the confirmation, with the next step; nothing
//     reaches the bank;
//   * Certificates: generate, apply (PIV PIN on the keypad), the badge "Valid";
//   * the order again: the confirmation names what the key signs (merchant, amount, order number); the PIV PIN, then
//     the purse PIN when the key asks; paid, and the bank holds the certificate's serial and the signature;
//   * `bankctl certificates revoke`: the badge "Revoked on …" after a refresh, in English and in Chinese;
//   * a new order: the bank's refusal shown, nothing debited (the key's balance unchanged, the order still open, no
//     purchase at the bank);
//   * a new key pair with the touch policy "always" (the page's switch), its certificate applied for (the request's
//     signature waits for the button, pressed through the simulator's control port); the kept CA certificate removed:
//     the page fetches the bank's and says "Valid" again (issue 14, GET /v1/cardholder-ca/certificate);
//   * a signed order with that key: after the PIV PIN the window shows "Touch your key", the test presses the
//     simulated key's button, the payment completes; and with no touch before the key's time-out (shortened to 8 s
//     with skey-sim --touch-timeout): the signature refused, the screen says so, no authorisation reached the bank
//     (so no DEBIT), the balance and the order unchanged.
#include "WalletBank.h"
#include "app/gui/CertificatesViewModel.h"
#include "app/gui/CompositionRoot.h"
#include "app/gui/PurchaseViewModel.h"
#include "device/EmbeddedSimulator.h"
#include "support/QuickDriver.h"
#include "support/Skip.h"

#include <QDir>
#include <QFile>
#include <QGuiApplication>
#include <QQuickItem>
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

namespace {

const QString kYuan = QString(QChar(0x00A5));

QString dump(const QuickDriver& ui)
{
    return ui.visibleTexts().join(QLatin1Char('\n'));
}

} // namespace

class TestSignedOrder : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void withoutCertificateRefusedBeforeConfirmation();
    void certificateAppliedShowsValid();
    void signedOrderPaid();
    void revokedBadgeInBothLanguages();
    void revokedCertificateRefusedByTheBank();
    void touchKeyAppliedAndCaFetched();
    void touchDuringPaymentSignature();
    void noTouchInTimeNothingDebited();
    void cleanupTestCase();

private:
    /// Types `digits` on the pad `pad` with the keyboard, then Return.
    bool typePin(const QString& pad, const char* digits);
    /// Ctrl+3, the order's code typed into the link field, "Open the order".
    void openOrder(const QString& code);
    /// The key's balance as the bank's acquirer and the wallet last read it (the Pay page's balance row).
    qint64 balanceFen() const { return m_root->app()->purchase()->balanceFen(); }
    QString sql(const std::string& query);
    void chooseLanguage(const QString& lang);
    void showCertificates();
    /// A new order of `amount` fen opened, confirmed and the PIV PIN typed, until the window shows "Touch your key"
    /// while the key waits for its button (the simulator's control port says so). The order's id in `orderId`.
    void signUntilTouch(qint64 amount, const QString& reference, QString* orderId);
    /// The simulated key's button: "touch accept" or "touch refuse" on its control port.
    void pressButton(const QString& command);
    /// After the PIV PIN: the purse PIN when the key asks for it, until the payment is done or failed.
    void finishPayment();
    /// The serial of the bank's certificate for this key that is not revoked.
    QString currentSerial()
    {
        return sql("SELECT serial FROM cardholder_certificates WHERE asn = '" + m_asn.toStdString()
            + "' AND revoked_at IS NULL");
    }

    walletbank::WalletBank m_bank;
    QTemporaryDir m_dir;
    QString m_asn;
    QJsonObject m_order;
    std::unique_ptr<CompositionRoot> m_root;
    std::unique_ptr<QuickDriver> m_ui;
};

QString TestSignedOrder::sql(const std::string& query)
{
    auto r = m_bank.rig().db().exec(query, {});
    if (!r || r->rows() != 1 || r->isNull(0, 0)) {
        return {};
    }
    return QString::fromStdString(r->text(0, 0));
}

bool TestSignedOrder::typePin(const QString& pad, const char* digits)
{
    if (!m_ui->waitShown(pad, {}, 60000)) {
        return false;
    }
    m_ui->shown(pad)->forceActiveFocus();
    m_ui->type(QString::fromLatin1(digits));
    m_ui->key(Qt::Key_Return);
    return true;
}

void TestSignedOrder::openOrder(const QString& code)
{
    QVERIFY(!code.isEmpty());
    m_ui->key(Qt::Key_3, Qt::ControlModifier);
    QVERIFY2(m_ui->waitShown(QStringLiteral("payLinkInput")), qPrintable(dump(*m_ui)));
    QVERIFY2(m_ui->typeInto(QStringLiteral("payLinkInput"), code), qPrintable(m_ui->lastError()));
    QVERIFY2(m_ui->click(QStringLiteral("payOpenOrder")), qPrintable(m_ui->lastError()));
}

void TestSignedOrder::chooseLanguage(const QString& lang)
{
    QVERIFY2(m_ui->click(QStringLiteral("navSettings")), qPrintable(m_ui->lastError()));
    QVERIFY2(m_ui->click(QStringLiteral("language_") + lang), qPrintable(m_ui->lastError()));
    QTRY_COMPARE(m_root->app()->settings()->language(), lang);
}

void TestSignedOrder::showCertificates()
{
    QVERIFY2(m_ui->click(QStringLiteral("navCertificates")), qPrintable(m_ui->lastError()));
    QVERIFY(m_ui->waitShown(QStringLiteral("certificatesHeader")));
    QTRY_VERIFY_WITH_TIMEOUT(m_ui->isShown(QStringLiteral("certSlot9A")), 30000);
    QTRY_VERIFY_WITH_TIMEOUT(!m_root->app()->certificates()->busy(), 30000);
}

void TestSignedOrder::initTestCase()
{
    if (const auto missing = walletbank::WalletBank::missingPart()) {
        SKEY_SKIP(*missing);
    }
    QVERIFY(m_dir.isValid());
    const QString up = m_bank.start();
    QVERIFY2(up.isEmpty(), qPrintable(up));
    QString said;
    QVERIFY2(m_bank.rig().bankctl({QStringLiteral("merchants"),
                                      QStringLiteral("policy"),
                                      QStringLiteral("--credential"),
                                      QStringLiteral("445566778899"),
                                      QStringLiteral("--cardholder-signature"),
                                      QStringLiteral("required")},
                 &said)
            == 0,
        qPrintable(said));
    const QString walletDir = m_dir.filePath(QStringLiteral("wallet"));
    const QString configured = m_bank.configureWallet(walletDir);
    QVERIFY2(configured.isEmpty(), qPrintable(configured));

    CompositionRoot::Options options;
    options.dataDir = walletDir;
    options.language = QStringLiteral("en");
    options.usb = false;
    options.simulatorProfile
        = qEnvironmentVariable("SKEY_SOURCE_DIR") + QStringLiteral("/resources/profiles/demo-3des.json");
    // The key gives up waiting for its button after 8 s (the touch rows below), instead of 30 s.
    options.simulatorTouchTimeoutMs = 8000;
    m_root = std::make_unique<CompositionRoot>(options);
    QVERIFY(m_root->createWindow());
    QQuickWindow* window = m_root->window();
    window->resize(1040, 760);
    QVERIFY(QTest::qWaitForWindowExposed(window));
    window->requestActivate();
    QVERIFY(QTest::qWaitForWindowActive(window));
    m_ui = std::make_unique<QuickDriver>(window);
    QVERIFY2(m_ui->waitShown(QStringLiteral("pinPad"), {}, 60000), qPrintable(dump(*m_ui)));
    QVERIFY(m_root->simulator());
    m_asn = walletbank::asnOfSerial(m_root->simulator()->serialHex());
    const QString registered = m_bank.registerKey(m_asn, 1000000);
    QVERIFY2(registered.isEmpty(), qPrintable(registered));
    QVERIFY(typePin(QStringLiteral("pinPad"), "123456"));
    QTRY_COMPARE_WITH_TIMEOUT(m_root->app()->page(), AppViewModel::Page::Overview, 60000);

    // ¥100.00 on the key, loaded from the bank through the load page.
    LoadViewModel* load = m_root->app()->load();
    m_ui->key(Qt::Key_2, Qt::ControlModifier);
    QVERIFY2(m_ui->typeInto(QStringLiteral("amountInput"), QStringLiteral("100.00"), QStringLiteral("loadPage")),
        qPrintable(m_ui->lastError()));
    QVERIFY2(m_ui->click(QStringLiteral("loadSubmit")), qPrintable(m_ui->lastError()));
    QVERIFY(m_ui->waitShown(QStringLiteral("moneyConfirmButton")));
    QVERIFY2(m_ui->click(QStringLiteral("moneyConfirmButton")), qPrintable(m_ui->lastError()));
    QTRY_VERIFY_WITH_TIMEOUT(
        load->step() == LoadViewModel::Step::NeedPin || load->step() == LoadViewModel::Step::Done, 30000);
    if (load->step() == LoadViewModel::Step::NeedPin) {
        QVERIFY(typePin(QStringLiteral("loadPinPad"), "123456"));
    }
    QTRY_COMPARE_WITH_TIMEOUT(load->step(), LoadViewModel::Step::Done, 30000);
    QVERIFY2(m_ui->click(QStringLiteral("loadDone")), qPrintable(m_ui->lastError()));
    QTRY_COMPARE_WITH_TIMEOUT(balanceFen(), 10000, 30000);

    m_order = m_bank.newOrder(1880, QStringLiteral("T-SIGN-1"));
    QVERIFY(!m_order.isEmpty());
}

void TestSignedOrder::withoutCertificateRefusedBeforeConfirmation()
{
    openOrder(m_order.value(QStringLiteral("shortCode")).toString());
    PurchaseViewModel* vm = m_root->app()->purchase();
    QTRY_COMPARE_WITH_TIMEOUT(vm->step(), PurchaseViewModel::Step::Failed, 30000);
    QVERIFY(!m_ui->isShown(QStringLiteral("moneyConfirmButton")));
    const QString text = m_ui->text(QStringLiteral("payResultText"));
    QVERIFY2(text.contains(QStringLiteral("holds none (slot 9A)")) && text.contains(QStringLiteral("Certificates"))
            && text.contains(QStringLiteral("apply for a certificate")),
        qPrintable(text));
    QCOMPARE(m_ui->text(QStringLiteral("payResultTitle")), QStringLiteral("This order cannot be paid"));
    QCOMPARE(m_bank.purchasesOf(m_order.value(QStringLiteral("orderId")).toString()), 0);
    QCOMPARE(balanceFen(), 10000);
    QVERIFY2(m_ui->click(QStringLiteral("payTryAgain")), qPrintable(m_ui->lastError()));
}

void TestSignedOrder::certificateAppliedShowsValid()
{
    showCertificates();
    QVERIFY2(
        m_ui->click(QStringLiteral("certGenerate"), QStringLiteral("certificatesPage")), qPrintable(m_ui->lastError()));
    QTRY_VERIFY_WITH_TIMEOUT(m_ui->shows(QStringLiteral("A new key pair was made on the key.")), 30000);
    QCOMPARE(m_ui->text(QStringLiteral("certTouch"), QStringLiteral("certSlot9A")), QStringLiteral("Touch: never"));
    QTRY_VERIFY(m_ui->property(QStringLiteral("certApply"), "enabled", QStringLiteral("certificatesPage")).toBool());
    QVERIFY2(
        m_ui->click(QStringLiteral("certApply"), QStringLiteral("certificatesPage")), qPrintable(m_ui->lastError()));
    QVERIFY(typePin(QStringLiteral("certPinPad"), "123456"));
    QTRY_VERIFY_WITH_TIMEOUT(
        m_ui->shows(QStringLiteral("Your bank issued the certificate. It is stored on the key.")), 60000);
    QCOMPARE(m_ui->text(QStringLiteral("certBadgeText"), QStringLiteral("certSlot9A")), QStringLiteral("Valid"));
    QVERIFY2(m_ui->text(QStringLiteral("certStatusDetail"), QStringLiteral("certSlot9A"))
                 .contains(QStringLiteral("signed revocation list")),
        qPrintable(m_ui->text(QStringLiteral("certStatusDetail"), QStringLiteral("certSlot9A"))));
}

void TestSignedOrder::signedOrderPaid()
{
    PurchaseViewModel* vm = m_root->app()->purchase();
    const QString orderId = m_order.value(QStringLiteral("orderId")).toString();
    openOrder(m_order.value(QStringLiteral("shortCode")).toString());
    QVERIFY2(m_ui->waitShown(QStringLiteral("moneyConfirmButton"), {}, 30000), qPrintable(dump(*m_ui)));
    // What the key signs, named in the confirmation before anything is sent.
    const QString shown = dump(*m_ui);
    QVERIFY2(shown.contains(QStringLiteral("Demo Tea House asks your key to sign this payment with its certificate "
                                           "(slot 9A): %1 to Demo Tea House for order T-SIGN-1.")
                                .arg(kYuan + QStringLiteral("18.80"))),
        qPrintable(shown));
    QVERIFY2(shown.contains(QStringLiteral("your key's certificate (slot 9A)")), qPrintable(shown));
    QCOMPARE(m_bank.purchasesOf(orderId), 0);
    QVERIFY2(m_ui->click(QStringLiteral("moneyConfirmButton")), qPrintable(m_ui->lastError()));
    // The slot's PIN policy asks for the PIV PIN.
    QTRY_COMPARE_WITH_TIMEOUT(vm->step(), PurchaseViewModel::Step::NeedPivPin, 30000);
    QVERIFY2(m_ui->text(QStringLiteral("payPinPrompt"))
                 .startsWith(QStringLiteral("Enter the PIN of your key's certificate (PIV PIN) to sign the payment")),
        qPrintable(m_ui->text(QStringLiteral("payPinPrompt"))));
    QCOMPARE(m_bank.purchasesOf(orderId), 0);
    QVERIFY(typePin(QStringLiteral("payPinPad"), "123456"));
    finishPayment();
    QVERIFY2(vm->step() == PurchaseViewModel::Step::Done, qPrintable(dump(*m_ui)));
    QCOMPARE(
        m_ui->text(QStringLiteral("payResultTitle")), QStringLiteral("Paid %1").arg(kYuan + QStringLiteral("18.80")));
    QString tac;
    QCOMPARE(m_bank.orderState(orderId, &tac), QStringLiteral("paid"));
    QVERIFY(!tac.isEmpty());
    // The bank keeps the certificate's serial and the signature with the purchase, as evidence.
    const std::string where = " FROM purchases WHERE order_id = '" + orderId.toStdString() + "'";
    const QString serial = sql("SELECT cardholder_certificate" + where);
    QCOMPARE(serial, sql("SELECT serial FROM cardholder_certificates WHERE asn = '" + m_asn.toStdString() + "'"));
    QVERIFY(serial.size() == 32);
    QVERIFY(sql("SELECT cardholder_signature" + where).size() > 100);
    QVERIFY2(m_ui->click(QStringLiteral("payDone")), qPrintable(m_ui->lastError()));
    QTRY_COMPARE_WITH_TIMEOUT(balanceFen(), 10000 - 1880, 30000);
}

void TestSignedOrder::revokedBadgeInBothLanguages()
{
    const QString serial = sql("SELECT serial FROM cardholder_certificates WHERE asn = '" + m_asn.toStdString() + "'");
    QString said;
    QVERIFY2(m_bank.rig().bankctl({QStringLiteral("certificates"),
                                      QStringLiteral("revoke"),
                                      QStringLiteral("--serial"),
                                      serial,
                                      QStringLiteral("--reason"),
                                      QStringLiteral("keyCompromise")},
                 &said)
            == 0,
        qPrintable(said));
    // Shown again, the page refreshes (the CRL fetched anew).
    m_ui->key(Qt::Key_1, Qt::ControlModifier);
    showCertificates();
    const QString badge = m_ui->text(QStringLiteral("certBadgeText"), QStringLiteral("certSlot9A"));
    const QString today = QLocale().toString(QDate::currentDate(), QLocale::ShortFormat);
    QCOMPARE(badge, QStringLiteral("Revoked on %1").arg(today));
    QVERIFY2(m_ui->text(QStringLiteral("certStatusDetail"), QStringLiteral("certSlot9A"))
                 .contains(QStringLiteral("keyCompromise")),
        qPrintable(m_ui->text(QStringLiteral("certStatusDetail"), QStringLiteral("certSlot9A"))));
    chooseLanguage(QStringLiteral("zh_CN"));
    showCertificates();
    const QString zh = m_ui->text(QStringLiteral("certBadgeText"), QStringLiteral("certSlot9A"));
    QVERIFY2(zh.startsWith(QStringLiteral("已于")) && zh.endsWith(QStringLiteral("吊销")), qPrintable(zh));
    QVERIFY2(
        m_ui->text(QStringLiteral("certStatusDetail"), QStringLiteral("certSlot9A")).contains(QStringLiteral("吊销")),
        qPrintable(m_ui->text(QStringLiteral("certStatusDetail"), QStringLiteral("certSlot9A"))));
    chooseLanguage(QStringLiteral("en"));
    showCertificates();
    QVERIFY(m_ui->text(QStringLiteral("certBadgeText"), QStringLiteral("certSlot9A"))
                .startsWith(QStringLiteral("Revoked on ")));
}

void TestSignedOrder::revokedCertificateRefusedByTheBank()
{
    PurchaseViewModel* vm = m_root->app()->purchase();
    const QJsonObject order = m_bank.newOrder(990, QStringLiteral("T-SIGN-2"));
    QVERIFY(!order.isEmpty());
    const QString orderId = order.value(QStringLiteral("orderId")).toString();
    const qint64 before = balanceFen();
    QCOMPARE(before, 10000 - 1880);
    openOrder(order.value(QStringLiteral("shortCode")).toString());
    QVERIFY2(m_ui->waitShown(QStringLiteral("moneyConfirmButton"), {}, 30000), qPrintable(dump(*m_ui)));
    QVERIFY2(m_ui->click(QStringLiteral("moneyConfirmButton")), qPrintable(m_ui->lastError()));
    QTRY_COMPARE_WITH_TIMEOUT(vm->step(), PurchaseViewModel::Step::NeedPivPin, 30000);
    QVERIFY(typePin(QStringLiteral("payPinPad"), "123456"));
    finishPayment();
    QCOMPARE(vm->step(), PurchaseViewModel::Step::Failed);
    const QString text = m_ui->text(QStringLiteral("payResultText"));
    QVERIFY2(
        text.contains(QStringLiteral("revoked")) && text.contains(QStringLiteral("cardholder-certificate-revoked")),
        qPrintable(dump(*m_ui)));
    QCOMPARE(m_ui->text(QStringLiteral("payResultTitle")), QStringLiteral("The payment did not go through"));
    // Nothing debited: the order open, no purchase at the bank, the key's balance as before (read from the key).
    QCOMPARE(m_bank.orderState(orderId), QStringLiteral("open"));
    QCOMPARE(m_bank.purchasesOf(orderId), 0);
    QVERIFY2(m_ui->click(QStringLiteral("payTryAgain")), qPrintable(m_ui->lastError()));
    m_ui->key(Qt::Key_1, Qt::ControlModifier);
    m_root->app()->overview()->refresh();
    QTRY_VERIFY_WITH_TIMEOUT(!m_root->app()->overview()->busy(), 30000);
    QCOMPARE(balanceFen(), before);
}

void TestSignedOrder::signUntilTouch(qint64 amount, const QString& reference, QString* orderId)
{
    PurchaseViewModel* vm = m_root->app()->purchase();
    const QJsonObject order = m_bank.newOrder(amount, reference);
    QVERIFY(!order.isEmpty());
    *orderId = order.value(QStringLiteral("orderId")).toString();
    openOrder(order.value(QStringLiteral("shortCode")).toString());
    QVERIFY2(m_ui->waitShown(QStringLiteral("moneyConfirmButton"), {}, 30000), qPrintable(dump(*m_ui)));
    QVERIFY2(m_ui->click(QStringLiteral("moneyConfirmButton")), qPrintable(m_ui->lastError()));
    QTRY_COMPARE_WITH_TIMEOUT(vm->step(), PurchaseViewModel::Step::NeedPivPin, 30000);
    QVERIFY(typePin(QStringLiteral("payPinPad"), "123456"));
    QTRY_VERIFY2_WITH_TIMEOUT(m_ui->isShown(QStringLiteral("touchCancelButton")), qPrintable(dump(*m_ui)), 30000);
    QVERIFY(m_ui->shows(QStringLiteral("Touch your key")));
    QVERIFY2(m_ui->shows(QStringLiteral("The key is waiting for you to confirm the payment: touch its button now.")),
        qPrintable(dump(*m_ui)));
    const auto status = m_root->simulator()->control().send(QStringLiteral("status"));
    QVERIFY2(status.ok() && status.value().contains(QStringLiteral("touch=pending")),
        qPrintable(status.ok() ? status.value() : status.error().detail));
}

void TestSignedOrder::pressButton(const QString& command)
{
    const auto said = m_root->simulator()->control().send(command);
    QVERIFY2(said.ok(), qPrintable(said.ok() ? QString() : said.error().detail));
}

void TestSignedOrder::finishPayment()
{
    PurchaseViewModel* vm = m_root->app()->purchase();
    QTRY_VERIFY_WITH_TIMEOUT(vm->step() == PurchaseViewModel::Step::NeedPin
            || vm->step() == PurchaseViewModel::Step::Done || vm->step() == PurchaseViewModel::Step::Failed,
        60000);
    if (vm->step() == PurchaseViewModel::Step::NeedPin) {
        QVERIFY2(m_ui->text(QStringLiteral("payPinPrompt")).startsWith(QStringLiteral("Enter your PIN to pay")),
            qPrintable(m_ui->text(QStringLiteral("payPinPrompt"))));
        QVERIFY(typePin(QStringLiteral("payPinPad"), "123456"));
    }
    QTRY_VERIFY_WITH_TIMEOUT(
        vm->step() == PurchaseViewModel::Step::Done || vm->step() == PurchaseViewModel::Step::Failed, 60000);
}

void TestSignedOrder::touchKeyAppliedAndCaFetched()
{
    // From now on the simulated key's button waits for the test.
    pressButton(QStringLiteral("touch-mode manual"));
    m_ui->key(Qt::Key_1, Qt::ControlModifier);
    showCertificates();
    QVERIFY2(m_ui->click(QStringLiteral("certTouchAlways"), QStringLiteral("certificatesPage")),
        qPrintable(m_ui->lastError()));
    QTRY_VERIFY(m_root->app()->certificates()->touchAlways());
    QVERIFY2(
        m_ui->click(QStringLiteral("certGenerate"), QStringLiteral("certificatesPage")), qPrintable(m_ui->lastError()));
    QVERIFY(m_ui->waitShown(QStringLiteral("certGenerateConfirmYes")));
    QVERIFY2(m_ui->click(QStringLiteral("certGenerateConfirmYes")), qPrintable(m_ui->lastError()));
    QTRY_VERIFY_WITH_TIMEOUT(m_ui->shows(QStringLiteral("A new key pair was made on the key.")), 30000);
    QCOMPARE(m_ui->text(QStringLiteral("certTouch"), QStringLiteral("certSlot9A")),
        QStringLiteral("Touch: always (each signature waits for the key's button)"));
    QTRY_VERIFY(m_ui->property(QStringLiteral("certApply"), "enabled", QStringLiteral("certificatesPage")).toBool());
    QVERIFY2(
        m_ui->click(QStringLiteral("certApply"), QStringLiteral("certificatesPage")), qPrintable(m_ui->lastError()));
    QVERIFY(typePin(QStringLiteral("certPinPad"), "123456"));
    // The request is signed on the key: it waits for the button.
    QTRY_VERIFY2_WITH_TIMEOUT(m_ui->isShown(QStringLiteral("touchCancelButton")), qPrintable(dump(*m_ui)), 30000);
    QVERIFY(m_ui->shows(QStringLiteral("Touch your key")));
    // On the Certificates page the key waits for a signature that is no payment: the prompt names that.
    QVERIFY2(m_ui->shows(QStringLiteral(
                 "The key is waiting for you to allow the use of its private key: touch its button now.")),
        qPrintable(dump(*m_ui)));
    QVERIFY(!m_ui->shows(QStringLiteral("The key is waiting for you to confirm the payment: touch its button now.")));
    pressButton(QStringLiteral("touch accept"));
    QTRY_VERIFY_WITH_TIMEOUT(
        m_ui->shows(QStringLiteral("Your bank issued the certificate. It is stored on the key.")), 60000);
    QTRY_VERIFY(!m_ui->isShown(QStringLiteral("touchCancelButton")));
    QCOMPARE(m_ui->text(QStringLiteral("certBadgeText"), QStringLiteral("certSlot9A")), QStringLiteral("Valid"));
    QCOMPARE(currentSerial().size(), 32);

    // Issue 14: a wallet that kept no cardholder CA certificate (applied for before it kept one) fetches the bank's,
    // keeps it, and the badge says "Valid" again (it said "Unknown" before GET /v1/cardholder-ca/certificate).
    const QString kept = QDir(m_dir.filePath(QStringLiteral("wallet"))).filePath(QStringLiteral("cardholder-ca.pem"));
    QVERIFY(QFile::remove(kept));
    m_ui->key(Qt::Key_1, Qt::ControlModifier);
    showCertificates();
    QCOMPARE(m_ui->text(QStringLiteral("certBadgeText"), QStringLiteral("certSlot9A")), QStringLiteral("Valid"));
    QVERIFY(QFile::exists(kept));
}

void TestSignedOrder::touchDuringPaymentSignature()
{
    PurchaseViewModel* vm = m_root->app()->purchase();
    const qint64 before = balanceFen();
    QString orderId;
    signUntilTouch(660, QStringLiteral("T-TOUCH-1"), &orderId);
    if (QTest::currentTestFailed()) {
        return;
    }
    // Nothing reached the bank while the key waits: the signature comes before the authorisation.
    QCOMPARE(m_bank.purchasesOf(orderId), 0);
    QCOMPARE(vm->step(), PurchaseViewModel::Step::Working);
    pressButton(QStringLiteral("touch accept"));
    finishPayment();
    QVERIFY2(vm->step() == PurchaseViewModel::Step::Done, qPrintable(dump(*m_ui)));
    QVERIFY(!m_ui->isShown(QStringLiteral("touchCancelButton")));
    QCOMPARE(
        m_ui->text(QStringLiteral("payResultTitle")), QStringLiteral("Paid %1").arg(kYuan + QStringLiteral("6.60")));
    QCOMPARE(m_bank.orderState(orderId), QStringLiteral("paid"));
    QCOMPARE(sql("SELECT cardholder_certificate FROM purchases WHERE order_id = '" + orderId.toStdString() + "'"),
        currentSerial());
    QVERIFY2(m_ui->click(QStringLiteral("payDone")), qPrintable(m_ui->lastError()));
    QTRY_COMPARE_WITH_TIMEOUT(balanceFen(), before - 660, 30000);
}

void TestSignedOrder::noTouchInTimeNothingDebited()
{
    PurchaseViewModel* vm = m_root->app()->purchase();
    const qint64 before = balanceFen();
    QString orderId;
    signUntilTouch(770, QStringLiteral("T-TOUCH-2"), &orderId);
    if (QTest::currentTestFailed()) {
        return;
    }
    // Nobody touches the key: it gives up after its time-out and refuses the signature.
    QTRY_COMPARE_WITH_TIMEOUT(vm->step(), PurchaseViewModel::Step::Failed, 60000);
    QTRY_VERIFY(!m_ui->isShown(QStringLiteral("touchCancelButton")));
    const QString text = m_ui->text(QStringLiteral("payResultText"));
    QVERIFY2(text.contains(QStringLiteral("not touched in time")) && text.contains(QStringLiteral("Nothing was paid")),
        qPrintable(dump(*m_ui)));
    QCOMPARE(m_ui->text(QStringLiteral("payResultTitle")), QStringLiteral("The payment did not start"));
    // No authorisation reached the bank, so there was no MAC1 and no DEBIT: no purchase, the order open, the key's
    // balance as before (read from the key).
    QCOMPARE(m_bank.purchasesOf(orderId), 0);
    QCOMPARE(m_bank.orderState(orderId), QStringLiteral("open"));
    QVERIFY2(m_ui->click(QStringLiteral("payTryAgain")), qPrintable(m_ui->lastError()));
    m_ui->key(Qt::Key_1, Qt::ControlModifier);
    m_root->app()->overview()->refresh();
    QTRY_VERIFY_WITH_TIMEOUT(!m_root->app()->overview()->busy(), 30000);
    QCOMPARE(balanceFen(), before);
}

void TestSignedOrder::cleanupTestCase()
{
    m_ui.reset();
    m_root.reset();
}

int main(int argc, char** argv)
{
    QGuiApplication app(argc, argv);
    TestSignedOrder test;
    return wallet::test::skipAwareExitCode(QTest::qExec(&test, argc, argv));
}

#include "TestSignedOrder.moc"
