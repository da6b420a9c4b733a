// SPDX-License-Identifier: Apache-2.0
// The real smartkey-wallet executable on a virtual X screen (Xvfb), driven from outside with synthetic X events
// (xdotool: XTEST mouse clicks and key presses, exactly what a person's mouse and keyboard produce): unlock with the
// PIN typed on the keyboard, click "Load money" in the rail, type ¥250.50 and click Load; click "Pay", type the short
// code of a merchant's order (created at the bank by the demo merchant, issue 12) into the link field, click "Open
// the order", Tab to "Pay ¥18.80", Return; close the window. Nothing inside the process is touched. Loads and the
// payment go to a real bank host started by the test (WalletBank.h over tests/bank/support/BankRig: PostgreSQL,
// SoftHSM2, skey-bank), which the wallet finds in its data folder's bank-client.json; the key is issued beforehand
// by walletctl into the wallet's simulated-key image and registered at the bank.
//
// Where to click: the window's layout is fixed (1040×700, the same QML, fonts and screen), so this test opens the
// same window in its own process on the same X screen (a reference copy with its own simulated key), puts each page
// in the state the real app will be in, and reads where the items are (by objectName). A layout change moves both.
//
// When to click: the app runs with the Qt Quick focus log on (QT_LOGGING_RULES=qt.quick.focus.debug=true), which
// prints each item that takes the keyboard focus with its objectName: the PIN pad when the PIN page opens, the amount
// field when the load page opens, the link field on the pay page, the confirmation's body, then its "Pay" button. The
// test waits for those lines. (Should a Qt release word that log differently, the test fails with a timeout saying
// which item it waited for; it cannot pass by accident.) A load or payment is complete when its row is in the app's
// SQLite mirror, the app's own durable record, which this test reads without writing.
//
// The outcome is then checked against the key itself: after the window is closed (WM_DELETE_WINDOW, as a window
// manager sends it, so the app shuts its simulated key down cleanly), walletctl opens the same key image (--in-process
// --nvm) and the same data folder and must report the balance ¥231.70 and, from the key's own log, the load and the
// payment; its CSV export of the mirror must show the order's merchant and reference; the bank must hold the order
// paid, with the key's TAC.
#include "WalletBank.h"
#include "app/gui/CompositionRoot.h"
#include "core/purse/PurseTypes.h"
#include "support/QuickDriver.h"

#include <QDir>
#include <QFile>
#include <QGuiApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QQuickItem>
#include <QQuickStyle>
#include <QScreen>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtQml/qqmlextensionplugin.h>
#include <QtTest>

#include <xcb/xcb.h>

Q_IMPORT_QML_PLUGIN(SmartKey_WalletPlugin)
Q_IMPORT_QML_PLUGIN(SmartKey_Wallet_UiPlugin)

using wallet::app::AppViewModel;
using wallet::app::CompositionRoot;
using Type = wallet::core::TransactionType;

class TestWalletXdotool : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void loadAndPayWithXEvents();
    void cleanupTestCase();

private:
    /// Runs xdotool with `args`; its output, or a failed test.
    QString xdotool(const QStringList& args);
    void clickAt(const QString& item);
    /// Waits until the app's focus log says `name` took the keyboard focus (after the lines already seen).
    [[nodiscard]] bool waitForFocus(const QString& name, int timeoutMs = 60000);
    [[nodiscard]] bool focusSeen(const QString& name);
    /// Clicks `item` until the focus log shows the press reached `focusName` (a button takes the focus when pressed).
    /// A click that comes before the page's layout lands elsewhere and moves no focus; it is then repeated. A click
    /// that reached its button is never repeated.
    [[nodiscard]] bool clickReaching(const QString& item, const QString& focusName);
    /// Rows of the app's mirror of `type` for `fen` (0 while the file or table is not there yet).
    [[nodiscard]] int mirrorRows(wallet::core::TransactionType type, qint64 fen) const;
    void runLoad();
    void runPayment();
    void closeWindow();
    QByteArray walletctl(const QStringList& args, const QString& dataDir = {});

    walletbank::WalletBank m_bank;
    QString m_xdotool;
    QString m_app;
    QString m_walletctl;
    QTemporaryDir m_dir;
    QHash<QString, QPoint> m_at; ///< "page/item" → window coordinates of its centre
    QProcess m_wallet;
    QString m_window;
    QByteArray m_log;
    qsizetype m_logSeen = 0;
};

QString TestWalletXdotool::xdotool(const QStringList& args)
{
    QProcess p;
    p.start(m_xdotool, args);
    if (!p.waitForFinished(30000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        QTest::qFail(
            qPrintable(QStringLiteral("xdotool %1 failed: %2")
                           .arg(args.join(QLatin1Char(' ')), QString::fromLocal8Bit(p.readAllStandardError()))),
            __FILE__,
            __LINE__);
        return {};
    }
    return QString::fromLocal8Bit(p.readAllStandardOutput()).trimmed();
}

void TestWalletXdotool::clickAt(const QString& item)
{
    QVERIFY2(m_at.contains(item), qPrintable(item));
    const QPoint p = m_at.value(item);
    (void)xdotool({QStringLiteral("mousemove"),
        QStringLiteral("--window"),
        m_window,
        QString::number(p.x()),
        QString::number(p.y()),
        QStringLiteral("click"),
        QStringLiteral("1")});
}

bool TestWalletXdotool::focusSeen(const QString& name)
{
    m_log += m_wallet.readAllStandardError();
    // qt.quick.focus prints the new active focus item as QQuick…(0x…, name="…", …).
    const QByteArray needle = "name=\"" + name.toUtf8() + "\"";
    const qsizetype at = m_log.indexOf(needle, m_logSeen);
    if (at < 0) {
        return false;
    }
    m_logSeen = at + needle.size();
    return true;
}

bool TestWalletXdotool::waitForFocus(const QString& name, int timeoutMs)
{
    const bool seen
        = QTest::qWaitFor([&] { return focusSeen(name) || m_wallet.state() != QProcess::Running; }, timeoutMs)
        && m_wallet.state() == QProcess::Running;
    if (!seen) {
        qWarning().noquote() << "waited for" << name << "to take the focus; the app's log ends with:\n"
                             << QString::fromUtf8(m_log.right(3000));
    }
    return seen;
}

bool TestWalletXdotool::clickReaching(const QString& item, const QString& focusName)
{
    for (int attempt = 0; attempt < 10; ++attempt) {
        clickAt(item);
        if (QTest::qWaitFor([&] { return focusSeen(focusName); }, 3000)) {
            return true;
        }
    }
    // What the window showed: a screenshot of the app's X window beside the reference one (initTestCase).
    const QString shot = QDir::temp().filePath(
        QStringLiteral("gui-wallet-xdotool-%1.png").arg(QString(item).replace(QLatin1Char('/'), QLatin1Char('-'))));
    if (QScreen* screen = QGuiApplication::primaryScreen()) {
        (void)screen->grabWindow(static_cast<WId>(m_window.toULongLong())).save(shot);
    }
    qWarning().noquote() << "clicking" << item << "at" << m_at.value(item) << "never reached" << focusName
                         << "; the window is in" << shot << "; the app's log ends with:\n"
                         << QString::fromUtf8(m_log.right(3000));
    return false;
}

int TestWalletXdotool::mirrorRows(wallet::core::TransactionType type, qint64 fen) const
{
    // A private read-only connection: the app keeps writing through its own (WAL), this never writes.
    int n = -1;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("xdotool-mirror"));
        db.setDatabaseName(m_dir.filePath(QStringLiteral("data/mirror.sqlite")));
        db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=5000"));
        if (db.open()) {
            QSqlQuery q(db);
            q.prepare(QStringLiteral("SELECT count(*) FROM txlog WHERE type = ? AND amount = ?"));
            q.addBindValue(static_cast<int>(type));
            q.addBindValue(fen);
            n = q.exec() && q.next() ? q.value(0).toInt() : -1;
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("xdotool-mirror"));
    return n;
}

void TestWalletXdotool::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_xdotool = QStandardPaths::findExecutable(QStringLiteral("xdotool"));
    QVERIFY2(!m_xdotool.isEmpty(), "xdotool is missing: run scripts/setup-deps.sh");
    QVERIFY2(qEnvironmentVariableIsSet("DISPLAY"), "no X display: this test runs under xvfb-run (see CMakeLists.txt)");
    QCOMPARE(QGuiApplication::platformName(), QStringLiteral("xcb"));
    m_app = QStringLiteral(WALLET_APP_PATH);
    m_walletctl = QStringLiteral(WALLETCTL_PATH);
    QVERIFY2(QFile::exists(m_app), qPrintable(m_app));
    QVERIFY2(QFile::exists(m_walletctl), qPrintable(m_walletctl));

    // The bank; the wallet's data folder configured for it; the key issued into the wallet's simulated-key image by
    // walletctl (its own data folder and key store) and registered at the bank with money for the load.
    const QString up = m_bank.start();
    QVERIFY2(up.isEmpty(), qPrintable(up));
    for (const char* dir : {"data", "reference"}) {
        const QString configured = m_bank.configureWallet(m_dir.filePath(QString::fromLatin1(dir)));
        QVERIFY2(configured.isEmpty(), qPrintable(configured));
    }
    QVERIFY(QDir().mkpath(m_dir.filePath(QStringLiteral("data/simulated-key"))));
    QVERIFY(QDir().mkpath(m_dir.filePath(QStringLiteral("walletctl"))));
    const QJsonObject issued = QJsonDocument::fromJson(
        walletctl({QStringLiteral("issue"),
                      qEnvironmentVariable("SKEY_SOURCE_DIR") + QStringLiteral("/resources/profiles/demo-3des.json")},
            m_dir.filePath(QStringLiteral("walletctl")))
            .trimmed()
            .split('\n')
            .last())
                                   .object();
    const QString asn = issued.value(QStringLiteral("asn")).toString();
    QCOMPARE(asn.size(), 16);
    const QString registered = m_bank.registerKey(asn, 1000000);
    QVERIFY2(registered.isEmpty(), qPrintable(registered));

    // The reference copy of the window: same QML, same size, same screen, with its own simulated key so the
    // "simulated key" banner takes the same room. Each page is put in the state the real app will show.
    CompositionRoot::Options options;
    options.dataDir = m_dir.filePath(QStringLiteral("reference"));
    options.language = QStringLiteral("en");
    options.usb = false;
    CompositionRoot reference(options);
    QVERIFY(reference.createWindow());
    QVERIFY(QTest::qWaitForWindowExposed(reference.window()));
    QTRY_VERIFY_WITH_TIMEOUT(reference.app()->key()->simulated(), 30000);
    wallet::test::QuickDriver ui(reference.window());
    AppViewModel* app = reference.app();
    const auto note = [&](const QString& page, const QString& item, const QString& scope = {}) {
        QQuickItem* found = ui.shown(item, scope);
        QVERIFY2(found, qPrintable(QStringLiteral("%1: %2 is not shown").arg(page, item)));
        const QPointF c = found->mapToScene(QPointF(found->width() / 2, found->height() / 2));
        m_at.insert(page + QLatin1Char('/') + item, c.toPoint());
    };
    for (const char* nav : {"navLoad", "navPay"}) {
        note(QStringLiteral("rail"), QString::fromLatin1(nav));
    }
    // The real app has read the key's balance once the PIN is in, so its Load and Pay pages show "Balance on the key"
    // above the amount (issue 17 item 4); the reference shows the same row.
    const auto showBalance = [&](const QString& row) {
        const QList<QQuickItem*> items = ui.all(row);
        QQuickItem* item = items.isEmpty() ? nullptr : items.first();
        QVERIFY2(item, qPrintable(row));
        item->setProperty("balanceText", QStringLiteral("¥0.00"));
        QVERIFY(ui.waitShown(row));
    };
    app->setUnlocked(true);
    app->setPage(AppViewModel::Page::Load);
    QVERIFY(ui.waitShown(QStringLiteral("loadEnterCard")));
    showBalance(QStringLiteral("loadBalance"));
    note(QStringLiteral("load"), QStringLiteral("loadSubmit"));
    (void)reference.window()->grabWindow().save(
        QDir::temp().filePath(QStringLiteral("gui-wallet-xdotool-reference-load.png")));
    app->setPage(AppViewModel::Page::Purchase);
    QVERIFY(ui.waitShown(QStringLiteral("payOrderCard")));
    QVERIFY(ui.waitShown(QStringLiteral("payLinkInput"))); // the wallet's data folder has bank-client.json too
    showBalance(QStringLiteral("payBalance"));
    note(QStringLiteral("pay"), QStringLiteral("payOpenOrder"));
    (void)reference.window()->grabWindow().save(
        QDir::temp().filePath(QStringLiteral("gui-wallet-xdotool-reference-pay.png")));
    app->setUnlocked(false);
}

/// The one place a load is made: clicks Load (the amount is typed), then types the PIN on the keyboard whenever the
/// key's policy asks for it, until the load is in the app's mirror.
void TestWalletXdotool::runLoad()
{
    QVERIFY(clickReaching(QStringLiteral("load/loadSubmit"), QStringLiteral("loadSubmit")));
    // The confirmation of the parsed amount (issue 9 item 13) opens with no default button (issue 17 item 1): the
    // focus is on its body, which ignores Return; Tab reaches the confirm button, then Return on it.
    QVERIFY(waitForFocus(QStringLiteral("moneyConfirmBody")));
    (void)xdotool({QStringLiteral("key"), QStringLiteral("Tab")});
    QVERIFY(waitForFocus(QStringLiteral("moneyConfirmButton")));
    (void)xdotool({QStringLiteral("key"), QStringLiteral("Return")});
    for (int asked = 0; mirrorRows(Type::Load, 25050) <= 0; ++asked) {
        QVERIFY(QTest::qWaitFor(
            [&] { return mirrorRows(Type::Load, 25050) > 0 || focusSeen(QStringLiteral("loadPinPad")); }, 90000));
        if (mirrorRows(Type::Load, 25050) > 0) {
            break;
        }
        QVERIFY2(asked < 3, "the PIN was asked again and again");
        (void)xdotool(
            {QStringLiteral("type"), QStringLiteral("--delay"), QStringLiteral("50"), QStringLiteral("123456")});
        (void)xdotool({QStringLiteral("key"), QStringLiteral("Return")});
        // The bank host answers in its own time, and the pad leaving the focus is logged with its name too: wait for
        // the outcome before taking another mention of the pad for another request of the PIN.
        (void)QTest::qWaitFor([&] { return mirrorRows(Type::Load, 25050) > 0; }, 90000);
    }
}

/// The one place a payment is made: Return on the confirmation's "Pay ¥18.80" button, focused with Tab (a click could
/// come before the card's layout, and a button that already has the focus leaves no log line to prove a press), then
/// the PIN on the keyboard whenever the key's policy asks for it, until the payment is in the app's mirror.
void TestWalletXdotool::runPayment()
{
    (void)xdotool({QStringLiteral("key"), QStringLiteral("Return")});
    for (int asked = 0; mirrorRows(Type::Purchase, 1880) <= 0; ++asked) {
        QVERIFY(QTest::qWaitFor(
            [&] { return mirrorRows(Type::Purchase, 1880) > 0 || focusSeen(QStringLiteral("payPinPad")); }, 90000));
        if (mirrorRows(Type::Purchase, 1880) > 0) {
            break;
        }
        QVERIFY2(asked < 3, "the PIN was asked again and again");
        (void)xdotool(
            {QStringLiteral("type"), QStringLiteral("--delay"), QStringLiteral("50"), QStringLiteral("123456")});
        (void)xdotool({QStringLiteral("key"), QStringLiteral("Return")});
        // The bank host answers in its own time, and the pad leaving the focus is logged with its name too: wait for
        // the outcome before taking another mention of the pad for another request of the PIN.
        (void)QTest::qWaitFor([&] { return mirrorRows(Type::Purchase, 1880) > 0; }, 90000);
    }
}

void TestWalletXdotool::closeWindow()
{
    // What a window manager does when the user closes a window: a WM_DELETE_WINDOW client message.
    auto* x11 = qGuiApp->nativeInterface<QNativeInterface::QX11Application>();
    QVERIFY(x11 && x11->connection());
    xcb_connection_t* c = x11->connection();
    const auto atom = [c](const char* name) {
        xcb_intern_atom_reply_t* r
            = xcb_intern_atom_reply(c, xcb_intern_atom(c, 0, static_cast<uint16_t>(qstrlen(name)), name), nullptr);
        const xcb_atom_t a = r ? r->atom : static_cast<xcb_atom_t>(XCB_ATOM_NONE);
        free(r);
        return a;
    };
    xcb_client_message_event_t event{};
    event.response_type = XCB_CLIENT_MESSAGE;
    event.format = 32;
    event.window = m_window.toUInt();
    event.type = atom("WM_PROTOCOLS");
    event.data.data32[0] = atom("WM_DELETE_WINDOW");
    event.data.data32[1] = XCB_CURRENT_TIME;
    xcb_send_event(c, 0, event.window, XCB_EVENT_MASK_NO_EVENT, reinterpret_cast<const char*>(&event));
    xcb_flush(c);
}

QByteArray TestWalletXdotool::walletctl(const QStringList& args, const QString& dataDir)
{
    QProcess p;
    if (!dataDir.isEmpty()) { // a data folder of walletctl's own: its key store has a passphrase
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("WALLETCTL_PASSPHRASE"), QStringLiteral("test passphrase"));
        p.setProcessEnvironment(env);
    }
    p.start(m_walletctl,
        QStringList{QStringLiteral("--in-process"),
            QStringLiteral("--nvm"),
            m_dir.filePath(QStringLiteral("data/simulated-key/token.nvm")),
            QStringLiteral("--data-dir"),
            dataDir.isEmpty() ? m_dir.filePath(QStringLiteral("data")) : dataDir,
            QStringLiteral("--json")}
            + args);
    p.closeWriteChannel();
    if (!p.waitForFinished(60000) || p.exitCode() != 0) {
        QTest::qFail(
            qPrintable(QStringLiteral("walletctl %1: %2")
                           .arg(args.join(QLatin1Char(' ')), QString::fromLocal8Bit(p.readAllStandardError()))),
            __FILE__,
            __LINE__);
        return {};
    }
    return p.readAllStandardOutput();
}

void TestWalletXdotool::loadAndPayWithXEvents()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("QT_QPA_PLATFORM"));
    env.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("qt.quick.focus.debug=true"));
    m_wallet.setProcessEnvironment(env);
    m_wallet.start(m_app,
        {QStringLiteral("--no-usb"),
            QStringLiteral("--lang"),
            QStringLiteral("en"),
            QStringLiteral("--data-dir"),
            m_dir.filePath(QStringLiteral("data"))});
    QVERIFY(m_wallet.waitForStarted());

    // The window, and the keyboard focus on it (no window manager here to give it).
    m_window = xdotool({QStringLiteral("search"),
        QStringLiteral("--sync"),
        QStringLiteral("--onlyvisible"),
        QStringLiteral("--pid"),
        QString::number(m_wallet.processId()),
        QStringLiteral("--name"),
        QStringLiteral("SmartKey Wallet")});
    QVERIFY(!m_window.isEmpty());
    m_window = m_window.split(QLatin1Char('\n')).first();
    (void)xdotool({QStringLiteral("windowfocus"), QStringLiteral("--sync"), m_window});

    // The key was issued by walletctl: the wallet asks for the PIN, typed on the keyboard into the pad (the
    // pad's keys give no sign of a press from outside; the in-process tour clicks them).
    QVERIFY(waitForFocus(QStringLiteral("pinPad")));
    (void)xdotool({QStringLiteral("type"), QStringLiteral("--delay"), QStringLiteral("50"), QStringLiteral("123456")});
    (void)xdotool({QStringLiteral("key"), QStringLiteral("Return")});

    // Unlocked: the rail's "Load money" opens the load page with the focus in the amount field.
    QVERIFY(waitForFocus(QStringLiteral("overviewLoader"))); // the PIN was accepted: the overview opens
    QVERIFY(clickReaching(QStringLiteral("rail/navLoad"), QStringLiteral("navLoad")));
    QVERIFY(waitForFocus(QStringLiteral("amountInput")));
    (void)xdotool({QStringLiteral("type"), QStringLiteral("--delay"), QStringLiteral("50"), QStringLiteral("250.50")});
    runLoad();
    if (QTest::currentTestFailed()) {
        return;
    }
    QCOMPARE(mirrorRows(Type::Load, 25050), 1);

    // Pay: the merchant's order, by its short code typed into the link field; "Open the order"; then Pay on the
    // confirmation. The page puts the cursor in the link field (issue 17 item 12): typing starts at once.
    const QJsonObject order = m_bank.newOrder(1880, QStringLiteral("XD-1880"));
    const QString orderId = order.value(QStringLiteral("orderId")).toString();
    const QString code = order.value(QStringLiteral("shortCode")).toString();
    QVERIFY(!code.isEmpty());
    QVERIFY(clickReaching(QStringLiteral("rail/navPay"), QStringLiteral("navPay")));
    QVERIFY(waitForFocus(QStringLiteral("payLinkInput")));
    (void)xdotool({QStringLiteral("type"), QStringLiteral("--delay"), QStringLiteral("50"), code});
    QVERIFY(clickReaching(QStringLiteral("pay/payOpenOrder"), QStringLiteral("payOpenOrder")));
    // The confirmation dialog, no button focused (issue 17 item 1): Tab to its Pay button.
    QVERIFY(waitForFocus(QStringLiteral("moneyConfirmBody")));
    (void)xdotool({QStringLiteral("key"), QStringLiteral("Tab")});
    QVERIFY(waitForFocus(QStringLiteral("moneyConfirmButton")));
    runPayment();
    if (QTest::currentTestFailed()) {
        return;
    }
    QCOMPARE(mirrorRows(Type::Purchase, 1880), 1);
    // The bank holds the order paid, once.
    QString tac;
    QTRY_COMPARE_WITH_TIMEOUT(m_bank.orderState(orderId, &tac), QStringLiteral("paid"), 30000);
    QCOMPARE(m_bank.purchasesOf(orderId, QStringLiteral("completed")), 1);

    closeWindow();
    QVERIFY2(m_wallet.waitForFinished(60000), "the wallet did not quit when its window was closed");
    QCOMPARE(m_wallet.exitStatus(), QProcess::NormalExit);
    QCOMPARE(m_wallet.exitCode(), 0);

    // What the key itself says, read by walletctl from the same key image and data folder.
    const QJsonObject balance = QJsonDocument::fromJson(walletctl({QStringLiteral("balance")})).object();
    QCOMPARE(balance.value(QStringLiteral("balanceFen")).toInteger(), 23170);
    const QJsonArray history = QJsonDocument::fromJson(walletctl({QStringLiteral("history")}))
                                   .object()
                                   .value(QStringLiteral("transactions"))
                                   .toArray();
    QCOMPARE(history.size(), 2);
    QCOMPARE(history.at(0).toObject().value(QStringLiteral("type")).toString(), QStringLiteral("purchase"));
    QCOMPARE(history.at(0).toObject().value(QStringLiteral("amount")).toString(), QStringLiteral("18.80"));
    QCOMPARE(history.at(1).toObject().value(QStringLiteral("type")).toString(), QStringLiteral("load"));
    QCOMPARE(history.at(1).toObject().value(QStringLiteral("amount")).toString(), QStringLiteral("250.50"));
    const QString csv = m_dir.filePath(QStringLiteral("export.csv"));
    (void)walletctl({QStringLiteral("export"), csv});
    QFile file(csv);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray exported = file.readAll();
    QVERIFY2(exported.contains("Demo Tea House \xC2\xB7 #XD-1880"), exported.constData());
    QVERIFY2(exported.contains(tac.toLatin1()), exported.constData()); // the key's TAC, the one the bank holds
}

void TestWalletXdotool::cleanupTestCase()
{
    if (m_wallet.state() != QProcess::NotRunning) {
        m_wallet.terminate();
        m_wallet.waitForFinished(10000);
    }
}

int main(int argc, char** argv)
{
    if (auto missing = walletbank::WalletBank::missingPart()) {
        std::fprintf(stderr, "SKIP: %s not found (scripts/setup-deps.sh installs it)\n", qPrintable(*missing));
        return 77;
    }
    QQuickStyle::setStyle(QStringLiteral("Basic"));
    // The same renderer as the app (its default), so nothing but the screen decides the layout.
    QQuickWindow::setGraphicsApi(QSGRendererInterface::Software);
    QGuiApplication app(argc, argv);
    TestWalletXdotool test;
    return QTest::qExec(&test, argc, argv);
}

#include "TestWalletXdotool.moc"
