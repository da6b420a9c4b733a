// SPDX-License-Identifier: Apache-2.0
// Issue 12, "Online checkout", in the wallet's window: the real QML of the Pay page under Xvfb, driven with mouse
// clicks and key presses, against the real bank host (BankRig: PostgreSQL, SoftHSM2, skey-bank over mutual TLS) and
// the embedded simulated key. The key is issued and loaded beforehand by walletctl (--in-process, the GUI's own key
// image), and registered at the bank. Then:
//   * a merchant ("shop" credential) creates an order; its short code is typed into the Pay page; the wallet shows
//     the merchant, the amount and the reference from the bank's signed order; Confirm → PIN → the receipt with the
//     key's TAC, which the bank holds for the order (paid, the money moved once);
//   * the same code again: "already paid", nothing sent to the key;
//   * an order expired at the bank: refused with the reason before any APDU (no purchase at the bank, the key's
//     balance unchanged);
//   * without bank-client.json the page says how to configure it.
// Screenshots go to $SKEY_SCREENSHOT_DIR when set.
#include "MoneyUi.h"
#include "app/gui/AmountText.h"
#include "app/gui/CompositionRoot.h"
#include "app/gui/WalletSession.h"
#include "bank/support/BankRig.h"
#include "device/EmbeddedSimulator.h"

#include <httplib.h>

#include <QDir>
#include <QFile>
#include <QGuiApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QUuid>
#include <QtQml/qqmlextensionplugin.h>
#include <QtTest>

#include <cstdio>

Q_IMPORT_QML_PLUGIN(SmartKey_WalletPlugin)
Q_IMPORT_QML_PLUGIN(SmartKey_Wallet_UiPlugin)

using wallet::app::AppViewModel;
using wallet::app::CompositionRoot;
using wallet::app::PurchaseViewModel;
using namespace wallet::bank::test;
using namespace moneyui;

class TestCheckoutGui : public QObject
{
    Q_OBJECT

private:
    BankRig m_rig;
    QTemporaryDir m_dir;
    QString m_asn;
    std::unique_ptr<CompositionRoot> m_root;
    QQuickWindow* m_window = nullptr;

    QString walletDir() const { return m_dir.filePath(QStringLiteral("wallet")); }
    /// walletctl's own data folder (its key store has its own passphrase); the key image is the GUI's.
    QString walletctlDir() const { return m_dir.filePath(QStringLiteral("walletctl")); }

    int walletctl(const QStringList& args, const QByteArray& input = {}, QJsonObject* json = nullptr)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("WALLETCTL_PASSPHRASE"), QStringLiteral("test passphrase"));
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(WALLETCTL_PATH),
            QStringList{QStringLiteral("--json"),
                QStringLiteral("--in-process"),
                QStringLiteral("--nvm"),
                QDir(walletDir()).filePath(QStringLiteral("simulated-key/token.nvm")),
                QStringLiteral("--data-dir"),
                walletctlDir()}
                + args);
        p.write(input);
        p.closeWriteChannel();
        if (!p.waitForFinished(120000)) {
            p.kill();
            p.waitForFinished();
            return -1;
        }
        const QByteArray out = p.readAllStandardOutput();
        const QJsonObject result = QJsonDocument::fromJson(out.trimmed().split('\n').last()).object();
        if (json != nullptr) {
            *json = result;
        }
        // The exit code walletctl reports in its JSON: LeakSanitizer reports a leak inside libcrypto (Qt Network's
        // TLS) at its fast exits, intermittently (open issue; see test_bank_walletctl).
        const int code = result.value(QStringLiteral("ok")).toBool()
            ? 0
            : result.value(QStringLiteral("exitCode")).toInt(p.exitCode() == 0 ? -1 : p.exitCode());
        if (code != 0) {
            qWarning("walletctl %s: %s %s",
                qPrintable(args.join(QLatin1Char(' '))),
                out.constData(),
                p.readAllStandardError().constData());
        }
        return code;
    }
    void writeConfig()
    {
        QVERIFY(QFile::setPermissions(
            m_rig.tlsPath(QStringLiteral("client.key")), QFileDevice::ReadOwner | QFileDevice::WriteOwner));
        for (const QString& dir : {walletDir(), walletctlDir()}) {
            QFile config(QDir(dir).filePath(QStringLiteral("bank-client.json")));
            QVERIFY(config.open(QIODevice::WriteOnly | QIODevice::Truncate));
            config.write(
                QJsonDocument(QJsonObject{{QStringLiteral("format"), QStringLiteral("smartkey-bank-client/1")},
                                  {QStringLiteral("url"), QStringLiteral("https://127.0.0.1:%1").arg(m_rig.port())},
                                  {QStringLiteral("caCertificate"), m_rig.tlsPath(QStringLiteral("ca.pem"))},
                                  {QStringLiteral("certificate"), m_rig.tlsPath(QStringLiteral("client.pem"))},
                                  {QStringLiteral("privateKey"), m_rig.tlsPath(QStringLiteral("client.key"))}})
                    .toJson());
        }
    }
    /// The merchant's side of the API (its own TLS client certificate "shop").
    QJsonObject shop(const char* method, const QString& path, const QJsonObject& body = {}, int* status = nullptr)
    {
        httplib::SSLClient c("127.0.0.1",
            m_rig.port(),
            m_rig.tlsPath(QStringLiteral("shop.pem")).toStdString(),
            m_rig.tlsPath(QStringLiteral("shop.key")).toStdString());
        c.set_ca_cert_path(m_rig.tlsPath(QStringLiteral("ca.pem")).toStdString().c_str());
        c.enable_server_certificate_verification(true);
        httplib::Result res = std::string(method) == "POST"
            ? c.Post(path.toStdString().c_str(),
                httplib::Headers{{"Idempotency-Key", QUuid::createUuid().toString(QUuid::WithoutBraces).toStdString()}},
                QJsonDocument(body).toJson(QJsonDocument::Compact).toStdString(),
                "application/json")
            : c.Get(path.toStdString().c_str());
        if (status != nullptr) {
            *status = res ? res->status : -1;
        }
        return res ? QJsonDocument::fromJson(QByteArray::fromStdString(res->body)).object() : QJsonObject{};
    }
    QJsonObject newOrder(qint64 amount, const QString& reference)
    {
        int status = 0;
        QJsonObject o = shop("POST",
            QStringLiteral("/v1/orders"),
            {{QStringLiteral("amount"), amount},
                {QStringLiteral("reference"), reference},
                {QStringLiteral("description"), QStringLiteral("2 x jasmine tea")}},
            &status);
        if (status != 201) {
            qWarning("order: %d %s", status, QJsonDocument(o).toJson().constData());
        }
        return o;
    }
    qint64 sqlInt(const std::string& sql)
    {
        auto r = m_rig.db().exec(sql, {});
        if (!r || r->rows() != 1 || r->isNull(0, 0)) {
            return -1;
        }
        return r->integer(0, 0);
    }
    void screenshot(const QString& name)
    {
        const QString dir = qEnvironmentVariable("SKEY_SCREENSHOT_DIR");
        if (!dir.isEmpty()) {
            QDir().mkpath(dir);
            (void)wallet::app::UiSnapshot::grab(m_window, QDir(dir).filePath(name + QStringLiteral(".png")));
        }
    }
    /// Opens the Pay page from the rail and types `text` into the link field, then clicks "Open the order".
    void openPayPage()
    {
        if (!m_root->app()->unlocked()) {
            // A key that came back (pulled-key case): the key page's Continue, then its PIN again.
            if (QQuickItem* next = visibleItem(m_window, QStringLiteral("keyContinue"))) {
                click(m_window, next);
            }
            QQuickItem* pinPad = nullptr;
            (void)QTest::qWaitFor(
                [&] { return (pinPad = visibleItem(m_window, QStringLiteral("pinPad"))) != nullptr; }, 30000);
            QVERIFY2(pinPad != nullptr, qPrintable(shown(m_window).join(QLatin1Char('|'))));
            typePin(m_window, pinPad, "123456");
            QTRY_VERIFY_WITH_TIMEOUT(m_root->app()->unlocked(), 60000);
        }
        QQuickItem* nav = nullptr;
        QTRY_VERIFY((nav = visibleItem(m_window, QStringLiteral("navPay"))) != nullptr);
        click(m_window, nav);
        QTRY_COMPARE(m_root->app()->page(), AppViewModel::Page::Purchase);
    }
    void typeCode(const QString& text)
    {
        openPayPage();
        QQuickItem* field = nullptr;
        QTRY_VERIFY((field = visibleItem(m_window, QStringLiteral("payLinkInput"))) != nullptr);
        typeInto(m_window, field, text);
        QQuickItem* open = nullptr;
        QTRY_VERIFY((open = visibleItem(m_window, QStringLiteral("payOpenOrder"))) != nullptr);
        QTRY_VERIFY(open->isEnabled());
        click(m_window, open);
    }
    QString resultText() const
    {
        QQuickItem* t = visibleItem(m_window, QStringLiteral("payResultText"));
        return t ? t->property("text").toString() : QString();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY(QDir().mkpath(QDir(walletDir()).filePath(QStringLiteral("simulated-key"))));
        QVERIFY(QDir().mkpath(walletctlDir()));
        const QString up = m_rig.setUp();
        QVERIFY2(up.isEmpty(), qPrintable(up));
        const QString merchant = m_rig.addDemoMerchant();
        QVERIFY2(merchant.isEmpty(), qPrintable(merchant));
        QString out;
        const QString started = m_rig.startServer();
        QVERIFY2(started.isEmpty(), qPrintable(started));
        writeConfig();

        // The key: issued with the demo profile in the GUI's own key image, known to the bank, ¥50.00 loaded.
        QJsonObject issued;
        QCOMPARE(walletctl({QStringLiteral("issue"),
                               qEnvironmentVariable("SKEY_SOURCE_DIR")
                                   + QStringLiteral("/resources/profiles/demo-3des.json")},
                     {},
                     &issued),
            0);
        m_asn = issued.value(QStringLiteral("asn")).toString();
        QCOMPARE(m_asn.size(), 16);
        QCOMPARE(m_rig.bankctl({QStringLiteral("cards"),
                                   QStringLiteral("register"),
                                   QStringLiteral("--asn"),
                                   m_asn,
                                   QStringLiteral("--holder"),
                                   QStringLiteral("Test holder")},
                     &out),
            0);
        QCOMPARE(m_rig.bankctl({QStringLiteral("accounts"),
                                   QStringLiteral("deposit"),
                                   QStringLiteral("--asn"),
                                   m_asn,
                                   QStringLiteral("--amount"),
                                   QStringLiteral("100000"),
                                   QStringLiteral("--reference"),
                                   QStringLiteral("first deposit")},
                     &out),
            0);
        QCOMPARE(walletctl({QStringLiteral("load"), QStringLiteral("50.00"), QStringLiteral("--yes")}, "123456\n"), 0);

        CompositionRoot::Options options;
        options.dataDir = walletDir();
        options.language = QStringLiteral("en");
        options.usb = false;
        m_root = std::make_unique<CompositionRoot>(options);
        QVERIFY(m_root->createWindow());
        m_window = m_root->window();
        QVERIFY(QTest::qWaitForWindowExposed(m_window));
        QTRY_COMPARE_WITH_TIMEOUT(m_root->app()->page(), AppViewModel::Page::Pin, 60000);
        QQuickItem* pad = nullptr;
        QTRY_VERIFY((pad = visibleItem(m_window, QStringLiteral("pinPad"))) != nullptr);
        typePin(m_window, pad, "123456");
        (void)QTest::qWaitFor([&] { return m_root->app()->unlocked(); }, 60000);
        screenshot(QStringLiteral("checkout-unlocked"));
        QVERIFY2(m_root->app()->unlocked(), qPrintable(shown(m_window).join(QLatin1Char('\n'))));
        QTRY_COMPARE_WITH_TIMEOUT(m_root->app()->overview()->balanceFen(), qint64(5000), 30000);
    }

    void payOrderByCode()
    {
        const QJsonObject order = newOrder(1234, QStringLiteral("GUI-0001"));
        const QString orderId = order.value(QStringLiteral("orderId")).toString();
        QVERIFY(!orderId.isEmpty());
        PurchaseViewModel* vm = m_root->app()->purchase();
        typeCode(order.value(QStringLiteral("shortCode")).toString());
        // The bank's signed order, shown before anything is sent to the key.
        QTRY_VERIFY_WITH_TIMEOUT(popupOpen(m_window, QStringLiteral("moneyConfirmDialog")), 30000);
        QTRY_COMPARE(visibleItem(m_window, QStringLiteral("moneyConfirmAmount"))->property("text").toString(),
            QStringLiteral("\u00A512.34"));
        QVERIFY(shows(m_window, QStringLiteral("Demo Tea House")));
        QVERIFY(shows(m_window, QStringLiteral("GUI-0001")));
        QVERIFY(shows(m_window, QStringLiteral("2 x jasmine tea")));
        QVERIFY(!vm->orderExpiry().isEmpty());
        QVERIFY(shows(m_window, vm->orderExpiry()));
        screenshot(QStringLiteral("checkout-confirm"));
        click(m_window, visibleItem(m_window, QStringLiteral("moneyConfirmButton")));
        QTRY_COMPARE_WITH_TIMEOUT(vm->step(), PurchaseViewModel::Step::NeedPin, 30000);
        QQuickItem* pad = nullptr;
        QTRY_VERIFY((pad = visibleItem(m_window, QStringLiteral("payPinPad"))) != nullptr);
        QVERIFY(shows(m_window, QStringLiteral("Enter your PIN to pay \u00A512.34 to Demo Tea House.")));
        typePin(m_window, pad, "123456");
        QTRY_COMPARE_WITH_TIMEOUT(vm->step(), PurchaseViewModel::Step::Done, 60000);
        // The receipt: amount, merchant, reference, TAC, new balance.
        QTRY_VERIFY(shows(m_window, QStringLiteral("Paid \u00A512.34")));
        QVERIFY(shows(m_window, QStringLiteral("Paid to Demo Tea House for order GUI-0001.")));
        const QString tac = visibleItem(m_window, QStringLiteral("payTac"))->property("value").toString();
        QCOMPARE(tac.size(), 8);
        QCOMPARE(visibleItem(m_window, QStringLiteral("payNewBalance"))->property("value").toString(),
            QStringLiteral("\u00A537.66"));
        screenshot(QStringLiteral("checkout-receipt"));
        // The bank: paid with the key's TAC, the money moved once.
        const QJsonObject status = shop("GET", QStringLiteral("/v1/orders/%1/status").arg(orderId));
        QCOMPARE(status.value(QStringLiteral("state")).toString(), QStringLiteral("paid"));
        QCOMPARE(status.value(QStringLiteral("tac")).toString(), tac);
        QCOMPARE(sqlInt("SELECT count(*) FROM purchases WHERE order_id = '" + orderId.toStdString()
                     + "' AND state = 'completed'"),
            1);
        click(m_window, visibleItem(m_window, QStringLiteral("payDone")));
        QTRY_COMPARE(m_root->app()->page(), AppViewModel::Page::Overview);

        // The same code again: already paid, refused before any APDU.
        typeCode(order.value(QStringLiteral("shortCode")).toString().toLower());
        QTRY_COMPARE_WITH_TIMEOUT(vm->step(), PurchaseViewModel::Step::Failed, 30000);
        QCOMPARE(resultText(), QStringLiteral("This order is already paid. Nothing was sent to the key."));
        QCOMPARE(sqlInt("SELECT count(*) FROM purchases WHERE order_id = '" + orderId.toStdString() + "'"), 1);
        click(m_window, visibleItem(m_window, QStringLiteral("payTryAgain")));
    }

    void expiredOrderRefusedBeforeAnyApdu()
    {
        const QJsonObject order = newOrder(200, QStringLiteral("GUI-0002"));
        const QString orderId = order.value(QStringLiteral("orderId")).toString();
        QVERIFY(!orderId.isEmpty());
        QVERIFY(m_rig.db().exec("UPDATE orders SET expires_at = 1 WHERE id = $1", {orderId.toStdString()}).ok());
        PurchaseViewModel* vm = m_root->app()->purchase();
        const qint64 before = m_root->app()->overview()->balanceFen();
        typeCode(order.value(QStringLiteral("paymentLink")).toString());
        QTRY_COMPARE_WITH_TIMEOUT(vm->step(), PurchaseViewModel::Step::Failed, 30000);
        QVERIFY(shows(m_window, QStringLiteral("This order cannot be paid")));
        QVERIFY2(resultText().startsWith(QStringLiteral("This order expired at ")), qPrintable(resultText()));
        QVERIFY(resultText().endsWith(QStringLiteral("Nothing was sent to the key.")));
        QVERIFY(!popupOpen(m_window, QStringLiteral("moneyConfirmDialog")));
        screenshot(QStringLiteral("checkout-expired"));
        QCOMPARE(sqlInt("SELECT count(*) FROM purchases WHERE order_id = '" + orderId.toStdString() + "'"), 0);
        QCOMPARE(m_root->app()->overview()->balanceFen(), before);
        click(m_window, visibleItem(m_window, QStringLiteral("payTryAgain")));
        QTRY_COMPARE(vm->step(), PurchaseViewModel::Step::Enter);
    }

    /// The desktop's smartkey:// handler starts `smartkey-wallet <link>` while this wallet runs on the same data
    /// folder: the second start hands the link over its local socket and exits; this window opens the order.
    void linkFromASecondStart()
    {
        QVERIFY(m_root->listenForLinks());
        const QJsonObject order = newOrder(150, QStringLiteral("GUI-0003"));
        const QString link = order.value(QStringLiteral("paymentLink")).toString();
        QVERIFY(link.startsWith(QStringLiteral("smartkey://pay/")));
        m_root->app()->navigate(AppViewModel::Page::Overview);
        QProcess second;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("ASAN_OPTIONS"), QStringLiteral("detect_leaks=0:abort_on_error=1"));
        second.setProcessEnvironment(env);
        second.start(QStringLiteral(WALLET_APP_PATH),
            {QStringLiteral("--no-usb"), QStringLiteral("--data-dir"), walletDir(), link});
        QVERIFY(second.waitForStarted());
        QTRY_COMPARE_WITH_TIMEOUT(second.state(), QProcess::NotRunning, 60000);
        const QByteArray said = second.readAllStandardError();
        QCOMPARE(second.exitCode(), 0);
        QVERIFY2(said.contains("handed to the wallet already running"), said.constData());
        QTRY_COMPARE(m_root->app()->page(), AppViewModel::Page::Purchase);
        QTRY_VERIFY_WITH_TIMEOUT(popupOpen(m_window, QStringLiteral("moneyConfirmDialog")), 30000);
        QVERIFY(shows(m_window, QStringLiteral("GUI-0003")));
        QCOMPARE(visibleItem(m_window, QStringLiteral("moneyConfirmAmount"))->property("text").toString(),
            QStringLiteral("\u00A51.50"));
        click(m_window, visibleItem(m_window, QStringLiteral("moneyCancelButton")));
        QTRY_COMPARE(m_root->app()->purchase()->step(), PurchaseViewModel::Step::Enter);
        QCOMPARE(sqlInt("SELECT count(*) FROM purchases WHERE order_id = '"
                     + order.value(QStringLiteral("orderId")).toString().toStdString() + "'"),
            0);
    }

    /// The key loses power right after DEBIT's transaction landed and before its answer: the page says "checking"
    /// (never "failed" or "pay again"), the shop sees "checking"; when the key is back, the order's own PSAM settles
    /// it by the key's proof: paid exactly once, the receipt with the bank's TAC.
    void pulledKeyIsCheckingThenPaidOnce()
    {
        QVERIFY(m_root->simulator());
        const auto control = m_root->simulator()->control();
        const QJsonObject order = newOrder(500, QStringLiteral("GUI-0004"));
        const QString orderId = order.value(QStringLiteral("orderId")).toString();
        QVERIFY(!orderId.isEmpty());
        PurchaseViewModel* vm = m_root->app()->purchase();
        const qint64 before = m_root->app()->overview()->balanceFen();
        QVERIFY(before >= 500);
        typeCode(order.value(QStringLiteral("shortCode")).toString());
        QTRY_VERIFY_WITH_TIMEOUT(popupOpen(m_window, QStringLiteral("moneyConfirmDialog")), 30000);
        click(m_window, visibleItem(m_window, QStringLiteral("moneyConfirmButton")));
        QTRY_COMPARE_WITH_TIMEOUT(vm->step(), PurchaseViewModel::Step::NeedPin, 30000);
        // VERIFY writes its try counter and restores it (writes 1, 2), DEBIT writes its MAC try (3) and then its
        // transaction (4): that write lands in full, then the key falls silent.
        const auto armed = control.send(QStringLiteral("power-cut-at %1 full")
                                            .arg(qEnvironmentVariableIntValue("SKEY_CHECKOUT_CUT_AT") > 0
                                                    ? qEnvironmentVariableIntValue("SKEY_CHECKOUT_CUT_AT")
                                                    : 4));
        QVERIFY2(armed.ok(), qPrintable(armed.ok() ? QString() : armed.error().detail));
        QQuickItem* pad = nullptr;
        QTRY_VERIFY((pad = visibleItem(m_window, QStringLiteral("payPinPad"))) != nullptr);
        typePin(m_window, pad, "123456");
        QTRY_COMPARE_WITH_TIMEOUT(vm->step(), PurchaseViewModel::Step::Interrupted, 90000);
        QVERIFY(shows(m_window, QStringLiteral("Checking the payment")));
        QVERIFY2(resultText().contains(QStringLiteral("The order shows \"checking\"")), qPrintable(resultText()));
        QVERIFY(!shows(m_window, QStringLiteral("Try again")));
        QVERIFY(visibleItem(m_window, QStringLiteral("payDone")) == nullptr);
        screenshot(QStringLiteral("checkout-checking"));
        const QJsonObject checking = shop("GET", QStringLiteral("/v1/orders/%1/status").arg(orderId));
        QCOMPARE(checking.value(QStringLiteral("state")).toString(), QStringLiteral("checking"));
        QTRY_VERIFY_WITH_TIMEOUT(m_root->session().presence() != wallet::app::WalletSession::Presence::Present, 30000);

        // Power back: settled by the key's evidence, once.
        const auto replug = control.send(QStringLiteral("replug"));
        QVERIFY2(replug.ok(), qPrintable(replug.ok() ? QString() : replug.error().detail));
        QTRY_VERIFY_WITH_TIMEOUT(
            vm->step() == PurchaseViewModel::Step::Done || vm->step() == PurchaseViewModel::Step::Failed, 90000);
        QVERIFY2(vm->step() == PurchaseViewModel::Step::Done,
            qPrintable(vm->resultTitle() + QLatin1Char(' ') + vm->resultText()));
        QVERIFY(shows(m_window, QStringLiteral("Paid \u00A55.00")));
        const QJsonObject paid = shop("GET", QStringLiteral("/v1/orders/%1/status").arg(orderId));
        QCOMPARE(paid.value(QStringLiteral("state")).toString(), QStringLiteral("paid"));
        QCOMPARE(vm->tac(), paid.value(QStringLiteral("tac")).toString());
        QCOMPARE(vm->newBalanceText(), wallet::app::AmountText::format(before - 500));
        QCOMPARE(sqlInt("SELECT count(*) FROM purchases WHERE order_id = '" + orderId.toStdString()
                     + "' AND state = 'completed'"),
            1);
        QCOMPARE(sqlInt("SELECT count(*) FROM purchases WHERE order_id = '" + orderId.toStdString() + "'"), 1);
        QString out;
        QCOMPARE(m_rig.bankctl({QStringLiteral("audit"), QStringLiteral("ledger")}, &out), 0);
        QTRY_COMPARE_WITH_TIMEOUT(m_root->app()->overview()->balanceFen(), before - 500, 30000);
        click(m_window, visibleItem(m_window, QStringLiteral("payDone")));
    }

    void notALinkIsNamed()
    {
        openPayPage();
        QQuickItem* field = nullptr;
        QTRY_VERIFY((field = visibleItem(m_window, QStringLiteral("payLinkInput"))) != nullptr);
        typeInto(m_window, field, QStringLiteral("smartkey://pay/nonsense"));
        QTRY_VERIFY(shows(m_window, QStringLiteral("This is neither a payment link")));
        QVERIFY(!visibleItem(m_window, QStringLiteral("payOpenOrder"))->isEnabled());
    }

    void withoutBankTheHintSaysHow()
    {
        QVERIFY(QFile::rename(QDir(walletDir()).filePath(QStringLiteral("bank-client.json")),
            QDir(walletDir()).filePath(QStringLiteral("bank-client.json.off"))));
        m_root->app()->purchase()->setDataDir(walletDir()); // looks again
        openPayPage();
        QTRY_VERIFY(visibleItem(m_window, QStringLiteral("payBankHint")) != nullptr);
        QVERIFY(shows(m_window, QStringLiteral("Put a bank-client.json file")));
        QVERIFY(visibleItem(m_window, QStringLiteral("payLinkInput")) == nullptr);
    }

    void cleanupTestCase() { m_root.reset(); }
};

int main(int argc, char** argv)
{
    if (auto missing = BankRig::missingPart()) {
        std::fprintf(stderr, "SKIP: %s not found (scripts/setup-deps.sh installs it)\n", qPrintable(*missing));
        return 77;
    }
    QGuiApplication app(argc, argv);
    TestCheckoutGui t;
    return QTest::qExec(&t, argc, argv);
}

#include "TestCheckoutGui.moc"
