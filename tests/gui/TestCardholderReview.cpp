// SPDX-License-Identifier: Apache-2.0
// Issue 17, "the wallet as a cardholder meets it": each finding of the first-use review, driven in the real window
// (the real QML of the composition root, against the embedded simulated key issued with the demo profile) with mouse
// clicks and key events, checked on what is visible, at the window size where the problem showed. Loads and payments
// go to a real bank host started by the test (WalletBank.h over tests/bank/support/BankRig); a payment is a
// merchant's order created there (issue 12), opened on the Pay page from its code or link.
//  * item 1: a double Enter in the amount field opens the confirmation but never pays (no default button);
//  * item 2: one try left is announced as the last; the third wrong PIN shows the blocked state, without a keypad
//    and without "0 tries left";
//  * item 4: the balance on Load and Pay; an order above it is refused before the confirmation, naming both amounts,
//    with nothing sent to the key.
#include "WalletBank.h"
#include "app/gui/CompositionRoot.h"
#include "app/gui/UiSnapshot.h"
#include "device/EmbeddedSimulator.h"
#include "support/LsanScope.h"
#include "support/QuickDriver.h"

#include <QDesktopServices>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QGuiApplication>
#include <QInputMethodEvent>
#include <QQuickItem>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtQml/qqmlextensionplugin.h>
#include <QtTest>

#include <optional>

Q_IMPORT_QML_PLUGIN(SmartKey_WalletPlugin)
Q_IMPORT_QML_PLUGIN(SmartKey_Wallet_UiPlugin)

using wallet::app::AppViewModel;
using wallet::app::CompositionRoot;
using wallet::app::LoadViewModel;
using wallet::app::PurchaseViewModel;
using wallet::test::QuickDriver;

namespace {

const QString kYuan = QStringLiteral("\u00A5");

// Item 14: every QML warning at run time (binding loops, type and reference errors, anything a .qml file reports)
// is collected here by the message handler and fails the test function it happened in.
QStringList g_qmlWarnings;
QtMessageHandler g_previousHandler = nullptr;

void collectQmlWarnings(QtMsgType type, const QMessageLogContext& context, const QString& message)
{
    const bool fromQml = (context.file && QByteArray(context.file).endsWith(".qml"))
        || QByteArray(context.category ? context.category : "").startsWith("qml")
        || message.contains(QStringLiteral(".qml:")) || message.contains(QStringLiteral("Binding loop"));
    if (type != QtDebugMsg && type != QtInfoMsg && fromQml) {
        g_qmlWarnings << message;
    }
    if (g_previousHandler) {
        g_previousHandler(type, context, message);
    }
}

std::unique_ptr<CompositionRoot> makeRoot(const QString& dir, const QString& language = QStringLiteral("en"))
{
    CompositionRoot::Options options;
    options.dataDir = dir;
    options.language = language;
    options.usb = false;
    options.simulatorProfile
        = qEnvironmentVariable("SKEY_SOURCE_DIR") + QStringLiteral("/resources/profiles/demo-3des.json");
    auto root = std::make_unique<CompositionRoot>(options);
    if (!root->createWindow()) {
        return nullptr;
    }
    return root;
}

/// Waits for the PIN page of `root` and types `digits` on the keyboard, then Enter.
bool typePinOnPage(QuickDriver& ui, const QString& pad, const char* digits)
{
    if (!ui.waitShown(pad, {}, 60000)) {
        return false;
    }
    QQuickItem* item = ui.shown(pad);
    item->forceActiveFocus();
    ui.type(QString::fromLatin1(digits));
    ui.key(Qt::Key_Return);
    return true;
}

QString dump(const QuickDriver& ui)
{
    return ui.visibleTexts().join(QLatin1Char('\n'));
}

void collect(QQuickItem* item, const QString& name, QList<QQuickItem*>& out)
{
    for (QQuickItem* child : item->childItems()) {
        if (child->objectName() == name && child->isVisible()) {
            out << child;
        }
        collect(child, name, out);
    }
}

bool shownInScene(const QQuickItem* item)
{
    for (const QQuickItem* i = item; i; i = i->parentItem()) {
        if (!i->isVisible() || i->opacity() <= 0.01) {
            return false;
        }
    }
    return true;
}

void collectTexts(QQuickItem* item, QList<QQuickItem*>& out)
{
    for (QQuickItem* child : item->childItems()) {
        if (!child->isVisible() || child->opacity() <= 0.01) {
            continue;
        }
        if (child->inherits("QQuickText") && !child->property("text").toString().trimmed().isEmpty()) {
            out << child;
        }
        collectTexts(child, out);
    }
}

/// Where a text item's glyphs are, in scene coordinates (its box when it wraps, else its content, placed by its
/// horizontal alignment), then cut to what its clipping ancestors let through. Empty when scrolled out of sight.
QRectF paintedRect(const QQuickItem* text, QRectF* unclipped = nullptr)
{
    const qreal w = text->width();
    const qreal cw = text->property("contentWidth").toReal();
    const qreal ch = text->property("contentHeight").toReal();
    const int align = text->property("horizontalAlignment").toInt();
    // A Text's padding is inside its width (a control's label leaves room for its indicator that way).
    const qreal left = text->property("leftPadding").toReal();
    const qreal right = text->property("rightPadding").toReal();
    const qreal avail = w - left - right;
    qreal x = left;
    const qreal painted = text->property("wrapMode").toInt() != 0 ? std::min(cw, avail) : cw;
    if (align == Qt::AlignHCenter) {
        x = left + (avail - painted) / 2;
    } else if (align == Qt::AlignRight) {
        x = w - right - painted;
    }
    QRectF r = text->mapRectToScene(QRectF(x, 0, painted, std::min(ch, std::max<qreal>(text->height(), ch))));
    if (unclipped) {
        *unclipped = r;
    }
    for (const QQuickItem* p = text->parentItem(); p; p = p->parentItem()) {
        if (p->clip()) {
            r = r.intersected(p->mapRectToScene(QRectF(0, 0, p->width(), p->height())));
        }
    }
    return r;
}

bool isAncestor(const QQuickItem* a, const QQuickItem* b)
{
    for (const QQuickItem* p = b->parentItem(); p; p = p->parentItem()) {
        if (p == a) {
            return true;
        }
    }
    return false;
}

/// What a cardholder would see as broken in the window as it is now: a text cut by eliding, a text running out of
/// its box, out of the window or out of a clipping view sideways, a text under the simulated-key banner, two texts
/// on top of each other.
QStringList layoutProblems(QQuickWindow* window)
{
    QList<QQuickItem*> texts;
    collectTexts(window->contentItem(), texts);
    QStringList problems;
    const QRectF win(0, 0, window->width(), window->height());
    QQuickItem* banner = nullptr;
    {
        QList<QQuickItem*> b;
        collect(window->contentItem(), QStringLiteral("simulatedBanner"), b);
        banner = b.isEmpty() || !shownInScene(b.first()) ? nullptr : b.first();
    }
    const QRectF bannerRect
        = banner ? banner->mapRectToScene(QRectF(0, 0, banner->width(), banner->height())) : QRectF();
    QList<QPair<QQuickItem*, QRectF>> seen;
    for (QQuickItem* t : texts) {
        if (!shownInScene(t)) {
            continue;
        }
        const QString text = t->property("text").toString();
        QRectF whole;
        const QRectF r = paintedRect(t, &whole);
        if (r.isEmpty()) {
            continue; // scrolled out of sight
        }
        if (t->property("truncated").toBool()) {
            problems << QStringLiteral("cut (elided): \"%1\"").arg(text);
        }
        if (r.left() < whole.left() - 0.5 || r.right() < whole.right() - 0.5) {
            problems << QStringLiteral("cut sideways by a clipping view: \"%1\"").arg(text);
        }
        if (r.left() < win.left() - 0.5 || r.right() > win.right() + 0.5) {
            problems << QStringLiteral("outside the window sideways: \"%1\"").arg(text);
        }
        if (t->property("wrapMode").toInt() == 0 && t->property("elide").toInt() == Qt::ElideNone
            && t->property("contentWidth").toReal() > t->width() + 1) {
            problems << QStringLiteral("runs out of its box (%1 > %2 px): \"%3\"")
                            .arg(t->property("contentWidth").toReal())
                            .arg(t->width())
                            .arg(text);
        }
        if (t->property("contentHeight").toReal() > t->height() + 1) {
            problems << QStringLiteral("taller than its box (%1 > %2 px): \"%3\"")
                            .arg(t->property("contentHeight").toReal())
                            .arg(t->height())
                            .arg(text);
        }
        // A check box's, switch's or radio button's indicator drawn over its own label (the style centres the
        // indicator when the control's `text` is empty and the label is a custom contentItem).
        for (QQuickItem* p = t->parentItem(); p; p = p->parentItem()) {
            auto* indicator = p->property("indicator").value<QQuickItem*>();
            if (indicator == nullptr) {
                continue;
            }
            if (indicator->isVisible() && !isAncestor(indicator, t)) {
                const QRectF ir = indicator->mapRectToScene(QRectF(0, 0, indicator->width(), indicator->height()));
                const QRectF both = r.intersected(ir);
                if (both.width() > 1 && both.height() > 1) {
                    problems << QStringLiteral("its control's indicator covers \"%1\"").arg(text);
                }
            }
            break;
        }
        if (banner && !isAncestor(banner, t) && r.intersects(bannerRect)) {
            problems << QStringLiteral("over the simulated-key banner: \"%1\"").arg(text);
        }
        for (const auto& [other, otherRect] : seen) {
            const QRectF both = r.intersected(otherRect);
            if (!isAncestor(other, t) && !isAncestor(t, other) && both.width() > 1 && both.height() > 1) {
                problems << QStringLiteral("\"%1\" overlaps \"%2\"").arg(text, other->property("text").toString());
            }
        }
        seen.append({t, r});
    }
    return problems;
}

/// Item 11: visible texts in zh_CN with English words left in them. Names, data and technical terms that stay as
/// they are in Chinese are allowed: PIN, CSV, TAC, Qt, SmartKey, USB, UDP, the language's own name "English", the
/// demo cardholder, the bank's demo merchant, shortcuts, the example payment code.
QStringList untranslated(const QStringList& texts)
{
    static const QStringList allowed{QStringLiteral("PIN"),
        QStringLiteral("CSV"),
        QStringLiteral("TAC"),
        QStringLiteral("Qt"),
        QStringLiteral("SmartKey"),
        QStringLiteral("USB"),
        QStringLiteral("UDP"),
        QStringLiteral("English"),
        QStringLiteral("DEMO"),
        QStringLiteral("HOLDER"),
        QStringLiteral("Demo"),
        QStringLiteral("Tea"),
        QStringLiteral("House"),
        QStringLiteral("4XPA"),
        QStringLiteral("Ctrl"),
        QStringLiteral("csv"),
        QStringLiteral("smartkey"),
        QStringLiteral("transactions"),
        QStringLiteral("AM"),
        QStringLiteral("PM"),
        QStringLiteral("wallet")};
    // Runs of letters and digits; serials, TACs and other hex (0-9, A-F only) are data, not words.
    static const QRegularExpression word(QStringLiteral("[0-9A-Za-z]+"));
    static const QRegularExpression hex(QStringLiteral("^[0-9A-F]+$"));
    static const QRegularExpression letters(QStringLiteral("[A-Za-z]{3,}"));
    // File names and paths (bank-client.json, docs/core.md, the data folder) are data, not words.
    static const QRegularExpression path(QStringLiteral("[0-9A-Za-z_~-]*[./][0-9A-Za-z_./~-]+"));
    QStringList out;
    for (const QString& shown : texts) {
        const QString text = QString(shown).remove(path);
        auto it = word.globalMatch(text);
        while (it.hasNext()) {
            const QString w = it.next().captured();
            if (hex.match(w).hasMatch() || !letters.match(w).hasMatch()) {
                continue;
            }
            if (!allowed.contains(w)) {
                out << QStringLiteral("\"%1\" in \"%2\"").arg(w, text);
                break;
            }
        }
    }
    return out;
}

/// The visible items called `name` under `root`.
QList<QQuickItem*> visibleNamed(QQuickItem* root, const QString& name)
{
    QList<QQuickItem*> out;
    if (root) {
        collect(root, name, out);
    }
    return out;
}

} // namespace

class TestCardholderReview : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void pinBoxShowsTheDigitsTyped();
    void doubleEnterOnLoadDoesNotLoad();
    void quickAmountChipShownSelected();
    void doubleEnterOnPayDoesNotPay();
    void balanceShownAndOrderAboveItRefused();
    void lastTryWarnedThenBlocked();
    void nothingCutAtAnySize();
    void resultCardWhole();
    void exportAsksWhereAndNeverOverwritesSilently();
    void changePinFromTheKeyPage();
    void keyboard();
    void ctrlQQuits();

public slots:
    /// QDesktopServices' handler for file: URLs in this test ("Open folder" lands here instead of a file manager).
    void openedUrl(const QUrl& url) { m_opened << url; }

private:
    QList<QUrl> m_opened;
    /// The file dialog of the history page, answered as the desktop's dialog answers: a file chosen, accepted.
    void answerFileDialog(const QUrl& file);
    /// Resizes the window and lets the layout follow.
    void resize(int w, int h);
    /// Clicks the language chip on the settings page.
    void chooseLanguage(const QString& lang);
    /// Layout problems of what is shown now, plus a screenshot `<name>.png` in the screenshot folder.
    QStringList checkAndShoot(const QString& name);
    QString m_shotDir;
    std::unique_ptr<QTemporaryDir> m_shotTemp;
    /// The load or payment dialog is open; confirms it as a person does: Tab to the button, then a click on it.
    void confirmDeliberately();
    /// Opens the Pay page (Ctrl+3) and types `code` into the link field, then clicks "Open the order".
    void openOrder(const QString& code);
    walletbank::WalletBank m_bank;
    QTemporaryDir m_dir;
    std::unique_ptr<CompositionRoot> m_root;
    std::unique_ptr<QuickDriver> m_ui;
};

void TestCardholderReview::initTestCase()
{
    QVERIFY(m_dir.isValid());
    // The bank, with a second merchant whose name is Chinese (the CSV export's UTF-8, item 9).
    const QString up = m_bank.start({{QStringLiteral("校园食堂"),
        QStringLiteral("445566778800"),
        QStringLiteral("112233445577"),
        QStringLiteral("canteen")}});
    QVERIFY2(up.isEmpty(), qPrintable(up));
    const QString configured = m_bank.configureWallet(m_dir.filePath(QStringLiteral("wallet")));
    QVERIFY2(configured.isEmpty(), qPrintable(configured));
    m_root = makeRoot(m_dir.filePath(QStringLiteral("wallet")));
    QVERIFY(m_root);
    QQuickWindow* window = m_root->window();
    window->resize(1040, 700);
    QVERIFY(QTest::qWaitForWindowExposed(window));
    window->requestActivate();
    QVERIFY(QTest::qWaitForWindowActive(window));
    m_ui = std::make_unique<QuickDriver>(window);
    QVERIFY2(m_ui->waitShown(QStringLiteral("pinPad"), {}, 60000), qPrintable(dump(*m_ui)));
    QVERIFY(m_root->simulator());
    const QString registered = m_bank.registerKey(walletbank::asnOfSerial(m_root->simulator()->serialHex()), 1000000);
    QVERIFY2(registered.isEmpty(), qPrintable(registered));
    m_shotDir = qEnvironmentVariable("SKEY_SCREENSHOT_DIR");
    if (m_shotDir.isEmpty()) {
        m_shotTemp = std::make_unique<QTemporaryDir>(QDir::temp().filePath(QStringLiteral("wallet-review-XXXXXX")));
        m_shotTemp->setAutoRemove(false); // kept for people to look at
        m_shotDir = m_shotTemp->path();
    }
    QDir().mkpath(m_shotDir);
}

void TestCardholderReview::init()
{
    // Every function starts at the default size (a failed one may have left the window small).
    if (m_root && m_root->window()->isVisible() && m_root->window()->size() != QSize(1040, 700)) {
        resize(1040, 700);
    }
    // The active window again (another wallet's window was, in lastTryWarnedThenBlocked): shortcuts go to it.
    if (m_root && m_root->window()->isVisible() && QGuiApplication::focusWindow() != m_root->window()) {
        m_root->window()->requestActivate();
        QVERIFY(QTest::qWaitForWindowActive(m_root->window()));
    }
}

void TestCardholderReview::cleanup()
{
    const QStringList seen = std::exchange(g_qmlWarnings, {});
    QVERIFY2(seen.isEmpty(), qPrintable(QStringLiteral("QML warnings:\n") + seen.join(QLatin1Char('\n'))));
}

void TestCardholderReview::resize(int w, int h)
{
    m_root->window()->resize(w, h);
    QTRY_COMPARE(m_root->window()->size(), QSize(w, h));
    m_ui->settle();
}

void TestCardholderReview::chooseLanguage(const QString& lang)
{
    QVERIFY2(m_ui->click(QStringLiteral("navSettings")), qPrintable(m_ui->lastError()));
    QVERIFY2(m_ui->click(QStringLiteral("language_") + lang), qPrintable(m_ui->lastError()));
    QTRY_COMPARE(m_root->app()->settings()->language(), lang);
}

QStringList TestCardholderReview::checkAndShoot(const QString& name)
{
    m_ui->settle();
    (void)wallet::app::UiSnapshot::grab(m_root->window(), QDir(m_shotDir).filePath(name + QStringLiteral(".png")));
    return layoutProblems(m_root->window());
}

void TestCardholderReview::nothingCutAtAnySize()
{
    // Items 5 and 6: every page, in both languages, at the default size, at 800×600 and at the new minimum
    // 640×480: no text cut, outside the window or its view, under the banner or over another text. The history
    // (a load and a payment in it by now) shows every amount whole.
    QCOMPARE(m_root->window()->minimumSize(), QSize(640, 480));
    struct Page
    {
        const char* nav;
        const char* name;
    };
    const Page pages[] = {{"navOverview", "overview"},
        {"navLoad", "load"},
        {"navPay", "pay"},
        {"navHistory", "history"},
        {"navKey", "key"},
        {"navCertificates", "certificates"},
        {"navSettings", "settings"},
        {"navAbout", "about"}};
    const QSize sizes[] = {{1040, 700}, {800, 600}, {640, 480}};
    QStringList problems;
    for (const QString& lang : {QStringLiteral("en"), QStringLiteral("zh_CN")}) {
        chooseLanguage(lang);
        for (const QSize& size : sizes) {
            resize(size.width(), size.height());
            for (const Page& page : pages) {
                QVERIFY2(m_ui->click(QString::fromLatin1(page.nav)), qPrintable(m_ui->lastError()));
                if (QByteArray(page.name) == "history") {
                    QTRY_VERIFY_WITH_TIMEOUT(!m_ui->textsOf(QStringLiteral("rowAmount")).isEmpty(), 20000);
                    const QStringList amounts = m_ui->textsOf(QStringLiteral("rowAmount"));
                    QVERIFY2(amounts.contains(QStringLiteral("+") + kYuan + QStringLiteral("1,300.00")),
                        qPrintable(amounts.join(QLatin1Char(' '))));
                }
                const QString shot = QStringLiteral("%1-%2-%3x%4")
                                         .arg(lang, QString::fromLatin1(page.name))
                                         .arg(size.width())
                                         .arg(size.height());
                for (const QString& p : checkAndShoot(shot)) {
                    problems << shot + QStringLiteral(": ") + p;
                }
                if (lang == QStringLiteral("zh_CN")) {
                    for (const QString& p : untranslated(m_ui->visibleTexts())) {
                        problems << shot + QStringLiteral(": English left: ") + p;
                    }
                }
            }
        }
    }
    chooseLanguage(QStringLiteral("en"));
    resize(1040, 700);
    qInfo().noquote() << "screenshots:" << m_shotDir;
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
}

void TestCardholderReview::resultCardWhole()
{
    // Item 6: a payment's result card at each size, in both languages: "Transaction code (TAC)" whole, the ✓ beside
    // the title and not over it.
    const QJsonObject order = m_bank.newOrder(2340, QStringLiteral("R-2340"));
    openOrder(order.value(QStringLiteral("shortCode")).toString());
    QVERIFY(m_ui->waitShown(QStringLiteral("moneyConfirmButton"), {}, 30000));
    QVERIFY(m_ui->click(QStringLiteral("moneyConfirmButton")));
    PurchaseViewModel* vm = m_root->app()->purchase();
    QTRY_VERIFY_WITH_TIMEOUT(
        vm->step() == PurchaseViewModel::Step::NeedPin || vm->step() == PurchaseViewModel::Step::Done, 30000);
    if (vm->step() == PurchaseViewModel::Step::NeedPin) {
        QVERIFY(typePinOnPage(*m_ui, QStringLiteral("payPinPad"), "123456"));
    }
    QTRY_COMPARE_WITH_TIMEOUT(vm->step(), PurchaseViewModel::Step::Done, 60000);
    QStringList problems;
    const QSize sizes[] = {{1040, 700}, {800, 600}, {640, 480}};
    for (const QString& lang : {QStringLiteral("en"), QStringLiteral("zh_CN")}) {
        chooseLanguage(lang);
        m_ui->key(Qt::Key_3, Qt::ControlModifier);
        QVERIFY(m_ui->waitShown(QStringLiteral("payResultCard")));
        for (const QSize& size : sizes) {
            resize(size.width(), size.height());
            QQuickItem* icon = m_ui->shown(QStringLiteral("resultIcon"), QStringLiteral("payResultCard"));
            QQuickItem* title = m_ui->shown(QStringLiteral("payResultTitle"));
            QVERIFY(icon && title);
            const QRectF iconRect = icon->mapRectToScene(QRectF(0, 0, icon->width(), icon->height()));
            QVERIFY2(!iconRect.intersects(paintedRect(title)), "the icon is over the result's title");
            if (lang == QStringLiteral("en")) {
                QVERIFY2(m_ui->shows(QStringLiteral("Transaction code (TAC)")), qPrintable(dump(*m_ui)));
            }
            const QString shot = QStringLiteral("%1-pay-result-%2x%3").arg(lang).arg(size.width()).arg(size.height());
            for (const QString& p : checkAndShoot(shot)) {
                problems << shot + QStringLiteral(": ") + p;
            }
            if (lang == QStringLiteral("zh_CN")) { // the result was made in English: it follows the switch (item 11)
                for (const QString& p : untranslated(m_ui->visibleTexts())) {
                    problems << shot + QStringLiteral(": English left: ") + p;
                }
            }
        }
    }
    chooseLanguage(QStringLiteral("en"));
    resize(1040, 700);
    m_ui->key(Qt::Key_3, Qt::ControlModifier);
    QVERIFY(m_ui->click(QStringLiteral("payDone")));
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
}

void TestCardholderReview::pinBoxShowsTheDigitsTyped()
{
    // Item 7, at 1040×700: nothing typed is "Type your PIN", not four empty circles; then one dot per digit, six for
    // the demo PIN; the keypad's three columns are equally wide ("Clear" and "⌫" as wide as "1").
    QQuickItem* pad = m_ui->shown(QStringLiteral("pinPad"));
    QVERIFY(pad);
    QVERIFY(m_ui->isShown(QStringLiteral("pinDotsHint"), QStringLiteral("pinPad")));
    QCOMPARE(visibleNamed(pad, QStringLiteral("pinDot")).size(), 0);
    pad->forceActiveFocus();
    for (int typed = 1; typed <= 6; ++typed) {
        m_ui->key(static_cast<Qt::Key>(Qt::Key_0 + typed));
        QCOMPARE(visibleNamed(pad, QStringLiteral("pinDot")).size(), typed);
        QVERIFY(!m_ui->isShown(QStringLiteral("pinDotsHint"), QStringLiteral("pinPad")));
    }
    const qreal one = m_ui->shown(QStringLiteral("pad1"), QStringLiteral("pinPad"))->width();
    for (const char* key : {"pad2", "pad3", "padClear", "pad0", "padBackspace"}) {
        QCOMPARE(m_ui->shown(QString::fromLatin1(key), QStringLiteral("pinPad"))->width(), one);
    }
    QVERIFY(one > 40);
    m_ui->key(Qt::Key_Escape);
    QCOMPARE(visibleNamed(pad, QStringLiteral("pinDot")).size(), 0);
    QVERIFY2(typePinOnPage(*m_ui, QStringLiteral("pinPad"), "123456"), qPrintable(dump(*m_ui)));
    QTRY_VERIFY_WITH_TIMEOUT(m_root->app()->unlocked(), 30000);
}

void TestCardholderReview::quickAmountChipShownSelected()
{
    // Item 7: the quick amount in the field is the chip shown selected (filled), the others outlined.
    m_ui->key(Qt::Key_2, Qt::ControlModifier);
    QVERIFY2(m_ui->click(QStringLiteral("loadQuick200")), qPrintable(m_ui->lastError()));
    QCOMPARE(m_ui->text(QStringLiteral("amountInput"), QStringLiteral("loadPage")), QStringLiteral("200"));
    QCOMPARE(m_ui->property(QStringLiteral("loadQuick200"), "secondary").toBool(), false);
    for (const char* other : {"loadQuick50", "loadQuick100", "loadQuick500"}) {
        QCOMPARE(m_ui->property(QString::fromLatin1(other), "secondary").toBool(), true);
    }
    QVERIFY(m_ui->click(QStringLiteral("loadQuick50")));
    QCOMPARE(m_ui->property(QStringLiteral("loadQuick50"), "secondary").toBool(), false);
    QCOMPARE(m_ui->property(QStringLiteral("loadQuick200"), "secondary").toBool(), true);
    // Typed by hand, "50.00" is the same amount: still that chip.
    QVERIFY(m_ui->typeInto(QStringLiteral("amountInput"), QStringLiteral("50.00"), QStringLiteral("loadPage")));
    QCOMPARE(m_ui->property(QStringLiteral("loadQuick50"), "secondary").toBool(), false);
    QVERIFY(m_ui->typeInto(QStringLiteral("amountInput"), QStringLiteral("51"), QStringLiteral("loadPage")));
    QCOMPARE(m_ui->property(QStringLiteral("loadQuick50"), "secondary").toBool(), true);
    QVERIFY(m_ui->typeInto(QStringLiteral("amountInput"), QString(), QStringLiteral("loadPage")));
}

void TestCardholderReview::confirmDeliberately()
{
    QVERIFY(m_ui->waitShown(QStringLiteral("moneyConfirmButton")));
    m_ui->key(Qt::Key_Tab);
    QVERIFY(m_ui->shown(QStringLiteral("moneyConfirmButton"))->hasActiveFocus());
    QVERIFY2(m_ui->click(QStringLiteral("moneyConfirmButton")), qPrintable(m_ui->lastError()));
}

void TestCardholderReview::openOrder(const QString& code)
{
    QVERIFY(!code.isEmpty());
    m_ui->key(Qt::Key_3, Qt::ControlModifier);
    QVERIFY2(m_ui->waitShown(QStringLiteral("payLinkInput")), qPrintable(dump(*m_ui)));
    QVERIFY2(m_ui->typeInto(QStringLiteral("payLinkInput"), code), qPrintable(m_ui->lastError()));
    QVERIFY2(m_ui->click(QStringLiteral("payOpenOrder")), qPrintable(m_ui->lastError()));
}

void TestCardholderReview::doubleEnterOnLoadDoesNotLoad()
{
    LoadViewModel* vm = m_root->app()->load();
    m_ui->key(Qt::Key_2, Qt::ControlModifier);
    QVERIFY2(m_ui->typeInto(QStringLiteral("amountInput"), QStringLiteral("1,300"), QStringLiteral("loadPage")),
        qPrintable(m_ui->lastError()));
    // Enter, and a second Enter right behind it (no event processing in between: it may arrive before the dialog).
    QTest::keyClick(m_root->window(), Qt::Key_Return);
    QTest::keyClick(m_root->window(), Qt::Key_Return);
    m_ui->settle();
    QTest::keyClick(m_root->window(), Qt::Key_Enter);
    m_ui->settle();
    QVERIFY2(m_ui->waitShown(QStringLiteral("moneyConfirmAmount")), qPrintable(dump(*m_ui)));
    QCOMPARE(m_ui->text(QStringLiteral("moneyConfirmAmount")), kYuan + QStringLiteral("1,300.00"));
    // Still the review: nothing sent, and no button holds the focus.
    QCOMPARE(vm->step(), LoadViewModel::Step::Confirm);
    QVERIFY(!m_ui->shown(QStringLiteral("moneyConfirmButton"))->hasActiveFocus());
    QVERIFY(m_ui->shown(QStringLiteral("moneyConfirmBody"))->hasActiveFocus());
    confirmDeliberately();
    QTRY_VERIFY_WITH_TIMEOUT(
        vm->step() == LoadViewModel::Step::NeedPin || vm->step() == LoadViewModel::Step::Done, 30000);
    if (vm->step() == LoadViewModel::Step::NeedPin) {
        QVERIFY(typePinOnPage(*m_ui, QStringLiteral("loadPinPad"), "123456"));
    }
    QTRY_COMPARE_WITH_TIMEOUT(vm->step(), LoadViewModel::Step::Done, 30000);
    // Item 12: Enter closes the result card (its Done has the focus).
    QVERIFY(m_ui->waitShown(QStringLiteral("loadDone")));
    m_ui->key(Qt::Key_Return);
    QTRY_COMPARE(m_root->app()->page(), AppViewModel::Page::Overview);
    QCOMPARE(vm->step(), LoadViewModel::Step::Enter);
    QTRY_COMPARE_WITH_TIMEOUT(m_root->app()->overview()->balanceFen(), qint64(130000), 20000);
}

void TestCardholderReview::doubleEnterOnPayDoesNotPay()
{
    // The order's code, then Enter and a second Enter right behind it (0 ms later: what paid before issue 17). The
    // first opens the order (fetched from the bank); neither may pay it.
    const QJsonObject order = m_bank.newOrder(1880, QStringLiteral("R-1880"));
    const QString orderId = order.value(QStringLiteral("orderId")).toString();
    QVERIFY(!orderId.isEmpty());
    PurchaseViewModel* vm = m_root->app()->purchase();
    QVERIFY2(m_ui->click(QStringLiteral("navPay")), qPrintable(m_ui->lastError()));
    QVERIFY2(m_ui->typeInto(QStringLiteral("payLinkInput"), order.value(QStringLiteral("shortCode")).toString()),
        qPrintable(m_ui->lastError()));
    QTest::keyClick(m_root->window(), Qt::Key_Return);
    QTest::keyClick(m_root->window(), Qt::Key_Return);
    m_ui->settle();
    QVERIFY2(m_ui->waitShown(QStringLiteral("moneyConfirmAmount"), {}, 30000), qPrintable(dump(*m_ui)));
    QCOMPARE(m_ui->text(QStringLiteral("moneyConfirmAmount")), kYuan + QStringLiteral("18.80"));
    // More Enters while the confirmation is on screen change nothing either.
    for (int i = 0; i < 3; ++i) {
        m_ui->key(Qt::Key_Return);
    }
    QCOMPARE(vm->step(), PurchaseViewModel::Step::Confirm);
    QVERIFY(!m_ui->shown(QStringLiteral("moneyConfirmButton"))->hasActiveFocus());
    QCOMPARE(m_root->app()->overview()->balanceFen(), qint64(130000));
    QCOMPARE(m_bank.purchasesOf(orderId), 0);
    // Cancel: back to the link field with the code, nothing paid.
    QVERIFY(m_ui->click(QStringLiteral("moneyCancelButton")));
    QTRY_COMPARE(vm->step(), PurchaseViewModel::Step::Enter);
    QVERIFY(!m_ui->isShown(QStringLiteral("moneyConfirmAmount")));
    QCOMPARE(m_bank.orderState(orderId), QStringLiteral("open"));
}

void TestCardholderReview::balanceShownAndOrderAboveItRefused()
{
    const QString balance = kYuan + QStringLiteral("1,300.00");
    // Pay: the balance above the link field.
    QVERIFY(m_ui->click(QStringLiteral("navPay")));
    QTRY_COMPARE(m_ui->property(QStringLiteral("payBalance"), "value").toString(), balance);
    QVERIFY(m_ui->shows(QStringLiteral("Balance on the key")));
    // An order of ¥5,000.00: refused before the confirmation, with both amounts; nothing reaches the key or the bank's
    // acquirer.
    const QJsonObject order = m_bank.newOrder(500000, QStringLiteral("R-500000"));
    const QString orderId = order.value(QStringLiteral("orderId")).toString();
    openOrder(order.value(QStringLiteral("shortCode")).toString());
    QTRY_COMPARE_WITH_TIMEOUT(m_root->app()->purchase()->step(), PurchaseViewModel::Step::Failed, 30000);
    QCOMPARE(m_ui->text(QStringLiteral("payResultTitle")), QStringLiteral("This order cannot be paid"));
    QCOMPARE(m_ui->text(QStringLiteral("payResultText")),
        kYuan + QStringLiteral("5,000.00 is more than the balance on the key (") + balance
            + QStringLiteral("). Load money first, then open the order again. Nothing was sent to the key."));
    QVERIFY(!m_ui->isShown(QStringLiteral("moneyConfirmAmount")));
    QCOMPARE(m_bank.purchasesOf(orderId), 0);
    QCOMPARE(m_root->app()->overview()->balanceFen(), qint64(130000));
    // Try again: the link field, with the code still in it.
    QVERIFY(m_ui->click(QStringLiteral("payTryAgain")));
    QTRY_COMPARE(m_root->app()->purchase()->step(), PurchaseViewModel::Step::Enter);
    QCOMPARE(m_ui->text(QStringLiteral("payLinkInput")), order.value(QStringLiteral("shortCode")).toString());
    QVERIFY2(m_ui->typeInto(QStringLiteral("payLinkInput"), QString()), qPrintable(m_ui->lastError()));
    // Load shows the balance too.
    m_ui->key(Qt::Key_2, Qt::ControlModifier);
    QTRY_COMPARE(m_ui->property(QStringLiteral("loadBalance"), "value").toString(), balance);
}

void TestCardholderReview::lastTryWarnedThenBlocked()
{
    // A key of its own: this one ends blocked.
    QTemporaryDir dir;
    auto root = makeRoot(dir.filePath(QStringLiteral("wallet")));
    QVERIFY(root);
    root->window()->resize(800, 600);
    QVERIFY(QTest::qWaitForWindowExposed(root->window()));
    root->window()->requestActivate();
    QVERIFY(QTest::qWaitForWindowActive(root->window()));
    QuickDriver ui(root->window());
    QVERIFY(ui.waitShown(QStringLiteral("pinPad"), {}, 60000));
    QTRY_VERIFY(ui.shows(QStringLiteral("3 tries left")));
    QVERIFY(!ui.shows(QStringLiteral("Last try")));
    // Two wrong PINs: one clicked on the pad, one typed.
    for (const char* key : {"pad9", "pad9", "pad9", "pad9"}) {
        QVERIFY2(ui.click(QString::fromLatin1(key), QStringLiteral("pinPad")), qPrintable(ui.lastError()));
    }
    ui.key(Qt::Key_Return);
    QTRY_VERIFY_WITH_TIMEOUT(ui.shows(QStringLiteral("Wrong PIN. 2 tries left.")), 20000);
    QVERIFY(typePinOnPage(ui, QStringLiteral("pinPad"), "9999"));
    QTRY_VERIFY_WITH_TIMEOUT(!root->app()->pin()->busy() && root->app()->pin()->triesLeft() == 1, 20000);
    // One try left: said as the last one, with what happens next.
    QTRY_VERIFY(ui.shows(QStringLiteral("Wrong PIN. 1 try left.")));
    QCOMPARE(ui.text(QStringLiteral("pinTries")),
        QStringLiteral("Last try: if this PIN is wrong too, the key locks and only a branch of your bank can unblock "
                       "it (take the key and your ID)."));
    QVERIFY(ui.isShown(QStringLiteral("pinPad")));
    // The third wrong PIN, typed: blocked at once, no keypad, no "0 tries left", the way to a branch.
    QVERIFY(typePinOnPage(ui, QStringLiteral("pinPad"), "9999"));
    QTRY_VERIFY_WITH_TIMEOUT(!ui.isShown(QStringLiteral("pinPad")), 20000);
    QVERIFY2(ui.shows(QStringLiteral("The PIN is blocked")), qPrintable(dump(ui)));
    QVERIFY(ui.shows(QStringLiteral("branch of your bank")));
    QVERIFY2(!ui.shows(QStringLiteral("tries left")) && !ui.shows(QStringLiteral("try left")), qPrintable(dump(ui)));
    QVERIFY(!ui.shows(QStringLiteral("Enter your PIN")));
    QVERIFY(!ui.isShown(QStringLiteral("padSubmit")));
    // At 640×480 the blocked card stays under the banner, whole.
    root->window()->resize(640, 480);
    QTRY_COMPARE(root->window()->size(), QSize(640, 480));
    // The banner's text wraps again only after the next polish: wait for the layout, then judge it.
    QStringList problems;
    QTRY_VERIFY2_WITH_TIMEOUT(
        (problems = layoutProblems(root->window())).isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))), 5000);
}

void TestCardholderReview::answerFileDialog(const QUrl& file)
{
    const wallet::test::QtFileDialogLeakScope qtDialog;
    QObject* dialog = m_root->window()->findChild<QObject*>(QStringLiteral("historyExportDialog"));
    QVERIFY(dialog);
    QTRY_VERIFY(dialog->property("visible").toBool());
    dialog->setProperty("selectedFile", file);
    QVERIFY(QMetaObject::invokeMethod(dialog, "accept"));
    m_ui->settle();
}

void TestCardholderReview::exportAsksWhereAndNeverOverwritesSilently()
{
    // Item 9: a payment to 校园食堂 (typed through the input method, as Chinese is typed), then Export: the file
    // dialog starts in Documents with a proposed name; the file is UTF-8 with a byte order mark; the result says
    // where it went and "Open folder" opens that folder; a second export to the same file asks first, and Cancel
    // leaves the file as it was.
    const QString documents = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    QVERIFY2(documents.startsWith(qEnvironmentVariable("HOME")) && QFileInfo(documents).isDir(), qPrintable(documents));
    // The canteen's order; its payment link pasted into the field (an input method commit, as a paste arrives).
    const QJsonObject order
        = m_bank.newOrder(850, QStringLiteral("C-850"), QStringLiteral("午餐"), QStringLiteral("canteen"));
    m_ui->key(Qt::Key_3, Qt::ControlModifier);
    QVERIFY2(m_ui->typeInto(QStringLiteral("payLinkInput"), QString()), qPrintable(m_ui->lastError()));
    QInputMethodEvent ime;
    ime.setCommitString(order.value(QStringLiteral("paymentLink")).toString());
    QGuiApplication::sendEvent(m_root->window()->focusObject(), &ime);
    QTRY_COMPARE(m_root->app()->purchase()->link(), order.value(QStringLiteral("paymentLink")).toString());
    QVERIFY(m_ui->click(QStringLiteral("payOpenOrder")));
    QVERIFY(m_ui->waitShown(QStringLiteral("moneyConfirmButton"), {}, 30000));
    QVERIFY(m_ui->shows(QStringLiteral("校园食堂")));
    QVERIFY(m_ui->waitShown(QStringLiteral("moneyConfirmButton")));
    QVERIFY(m_ui->click(QStringLiteral("moneyConfirmButton")));
    PurchaseViewModel* vm = m_root->app()->purchase();
    QTRY_VERIFY_WITH_TIMEOUT(
        vm->step() == PurchaseViewModel::Step::NeedPin || vm->step() == PurchaseViewModel::Step::Done, 30000);
    if (vm->step() == PurchaseViewModel::Step::NeedPin) {
        QVERIFY(typePinOnPage(*m_ui, QStringLiteral("payPinPad"), "123456"));
    }
    QTRY_COMPARE_WITH_TIMEOUT(vm->step(), PurchaseViewModel::Step::Done, 60000);
    // Item 12: Escape closes the result card.
    QVERIFY(m_ui->waitShown(QStringLiteral("payDone")));
    m_ui->key(Qt::Key_Escape);
    QTRY_COMPARE(vm->step(), PurchaseViewModel::Step::Enter);

    m_ui->key(Qt::Key_4, Qt::ControlModifier);
    QTRY_VERIFY_WITH_TIMEOUT(!m_ui->textsOf(QStringLiteral("rowAmount")).isEmpty(), 20000);
    std::optional<wallet::test::QtFileDialogLeakScope> qtDialog(std::in_place);
    QVERIFY2(m_ui->click(QStringLiteral("historyExport")), qPrintable(m_ui->lastError()));
    QObject* dialog = m_root->window()->findChild<QObject*>(QStringLiteral("historyExportDialog"));
    QVERIFY(dialog);
    QTRY_VERIFY(dialog->property("visible").toBool());
    QCOMPARE(dialog->property("currentFolder").toUrl(), QUrl::fromLocalFile(documents));
    const QString target = QDir(documents).filePath(QStringLiteral("smartkey-transactions.csv"));
    QCOMPARE(dialog->property("selectedFile").toUrl(), QUrl::fromLocalFile(target));
    answerFileDialog(QUrl::fromLocalFile(target));
    qtDialog.reset();
    QTRY_VERIFY_WITH_TIMEOUT(
        m_ui->text(QStringLiteral("historyExportResult")).contains(QStringLiteral("exported")), 20000);
    QVERIFY2(m_ui->text(QStringLiteral("historyExportResult")).contains(QDir::toNativeSeparators(target)),
        qPrintable(m_ui->text(QStringLiteral("historyExportResult"))));
    QFile file(target);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray bytes = file.readAll();
    file.close();
    QVERIFY2(bytes.startsWith("\xEF\xBB\xBFtoken_serial,"), bytes.left(40).toHex().constData());
    QVERIFY(QString::fromUtf8(bytes).contains(QStringLiteral(",校园食堂")));
    // Open folder: the folder the file is in.
    QDesktopServices::setUrlHandler(QStringLiteral("file"), this, "openedUrl");
    QVERIFY2(m_ui->click(QStringLiteral("historyOpenFolder")), qPrintable(m_ui->lastError()));
    QTRY_COMPARE(m_opened.size(), 1);
    QCOMPARE(m_opened.first(), QUrl::fromLocalFile(documents));
    QDesktopServices::unsetUrlHandler(QStringLiteral("file"));

    // The same file again: asked first. Cancel keeps what is there (a marker written meanwhile).
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write("marker");
    file.close();
    {
        const wallet::test::QtFileDialogLeakScope qtDialogAgain;
        QVERIFY(m_ui->click(QStringLiteral("historyExport")));
        answerFileDialog(QUrl::fromLocalFile(target));
    }
    QVERIFY2(m_ui->waitShown(QStringLiteral("historyReplaceText"), {}, 5000), qPrintable(dump(*m_ui)));
    QVERIFY(m_ui->text(QStringLiteral("historyReplaceText")).contains(QStringLiteral("already exists")));
    QVERIFY(m_ui->click(QStringLiteral("historyReplaceCancel")));
    QTRY_VERIFY(!m_ui->isShown(QStringLiteral("historyReplaceText")));
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), QByteArray("marker"));
    file.close();
    // And Replace replaces it.
    {
        const wallet::test::QtFileDialogLeakScope qtDialogAgain;
        QVERIFY(m_ui->click(QStringLiteral("historyExport")));
        answerFileDialog(QUrl::fromLocalFile(target));
    }
    QVERIFY(m_ui->waitShown(QStringLiteral("historyReplace"), {}, 5000));
    QVERIFY(m_ui->click(QStringLiteral("historyReplace")));
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            QFile f(target);
            return f.open(QIODevice::ReadOnly) && f.readAll().startsWith("\xEF\xBB\xBFtoken_serial,");
        }(),
        20000);
}

void TestCardholderReview::changePinFromTheKeyPage()
{
    // Item 3: on "My key", Change PIN: the current PIN (tries shown), the new one twice (the key's rules shown); a
    // wrong current PIN comes back with the key's count, two different new PINs are refused, and then the new PIN is
    // the one the key asks for.
    wallet::app::ChangePinViewModel* cp = m_root->app()->changePin();
    m_ui->key(Qt::Key_5, Qt::ControlModifier);
    QVERIFY2(m_ui->click(QStringLiteral("changePinStart")), qPrintable(m_ui->lastError()));
    QVERIFY(m_ui->waitShown(QStringLiteral("changePinPad")));
    QCOMPARE(m_ui->text(QStringLiteral("changePinPrompt")), QStringLiteral("Enter your current PIN."));
    QTRY_COMPARE(m_ui->text(QStringLiteral("changePinTries")), QStringLiteral("3 tries left"));
    const auto enter = [&](const char* digits) {
        QQuickItem* pad = m_ui->shown(QStringLiteral("changePinPad"));
        QVERIFY(pad);
        pad->forceActiveFocus();
        m_ui->type(QString::fromLatin1(digits));
        m_ui->key(Qt::Key_Return);
    };
    enter("9999");
    QTRY_COMPARE(m_ui->text(QStringLiteral("changePinPrompt")), QStringLiteral("Choose a new PIN."));
    QCOMPARE(m_ui->text(QStringLiteral("changePinRules")), QStringLiteral("The key accepts 4 to 12 digits."));
    enter("111111");
    QTRY_COMPARE(m_ui->text(QStringLiteral("changePinPrompt")), QStringLiteral("Enter the new PIN again."));
    enter("111111");
    // The key refused the current PIN: back to it, with the count.
    QTRY_COMPARE_WITH_TIMEOUT(cp->step(), wallet::app::ChangePinViewModel::Step::Current, 20000);
    QTRY_VERIFY(m_ui->shows(QStringLiteral("Wrong PIN. 2 tries left.")));
    QCOMPARE(m_ui->text(QStringLiteral("changePinTries")), QStringLiteral("2 tries left"));
    enter("123456");
    QTRY_COMPARE(m_ui->text(QStringLiteral("changePinPrompt")), QStringLiteral("Choose a new PIN."));
    enter("654321");
    QTRY_COMPARE(m_ui->text(QStringLiteral("changePinPrompt")), QStringLiteral("Enter the new PIN again."));
    enter("654322");
    QTRY_COMPARE(m_ui->text(QStringLiteral("changePinPrompt")), QStringLiteral("Choose a new PIN."));
    QVERIFY(m_ui->shows(QStringLiteral("The two new PINs were not the same.")));
    enter("654321");
    QTRY_COMPARE(m_ui->text(QStringLiteral("changePinPrompt")), QStringLiteral("Enter the new PIN again."));
    enter("654321");
    QTRY_COMPARE_WITH_TIMEOUT(cp->step(), wallet::app::ChangePinViewModel::Step::Done, 20000);
    QCOMPARE(m_ui->text(QStringLiteral("changePinResult")),
        QStringLiteral("Your PIN was changed. Use the new PIN from now on."));
    QVERIFY(!m_ui->isShown(QStringLiteral("changePinPad")));
    // The key now wants the new PIN: a load asks for it, the old one is refused, the new one accepted.
    m_ui->key(Qt::Key_2, Qt::ControlModifier);
    QVERIFY(m_ui->typeInto(QStringLiteral("amountInput"), QStringLiteral("1"), QStringLiteral("loadPage")));
    QVERIFY(m_ui->click(QStringLiteral("loadSubmit")));
    QVERIFY(m_ui->waitShown(QStringLiteral("moneyConfirmButton")));
    QVERIFY(m_ui->click(QStringLiteral("moneyConfirmButton")));
    LoadViewModel* load = m_root->app()->load();
    QTRY_COMPARE_WITH_TIMEOUT(load->step(), LoadViewModel::Step::NeedPin, 30000);
    QVERIFY(typePinOnPage(*m_ui, QStringLiteral("loadPinPad"), "123456"));
    QTRY_VERIFY_WITH_TIMEOUT(m_ui->shows(QStringLiteral("Wrong PIN.")), 20000);
    QVERIFY(typePinOnPage(*m_ui, QStringLiteral("loadPinPad"), "654321"));
    QTRY_COMPARE_WITH_TIMEOUT(load->step(), LoadViewModel::Step::Done, 30000);
    QVERIFY(m_ui->click(QStringLiteral("loadDone")));
}

void TestCardholderReview::keyboard()
{
    // Item 12 at 1040×700: Ctrl+3 puts the cursor in the payment link field, also when the page was open before with
    // the focus elsewhere; the rail shows each page's shortcut; a filled button focused with Tab shows a ring
    // outside its fill, in the focus colour.
    m_ui->key(Qt::Key_1, Qt::ControlModifier);
    m_ui->key(Qt::Key_3, Qt::ControlModifier);
    QTRY_VERIFY(m_ui->shown(QStringLiteral("payLinkInput"))->hasActiveFocus());
    m_ui->type(QStringLiteral("K7QM"));
    QCOMPARE(m_ui->text(QStringLiteral("payLinkInput")), QStringLiteral("K7QM"));
    m_ui->key(Qt::Key_Tab); // the focus leaves the field
    QTRY_VERIFY(!m_ui->shown(QStringLiteral("payLinkInput"))->hasActiveFocus());
    m_ui->key(Qt::Key_1, Qt::ControlModifier);
    m_ui->key(Qt::Key_3, Qt::ControlModifier);
    QTRY_VERIFY(m_ui->shown(QStringLiteral("payLinkInput"))->hasActiveFocus());
    QVERIFY2(m_ui->typeInto(QStringLiteral("payLinkInput"), QString()), qPrintable(m_ui->lastError()));

    // The shortcut in the rail's tooltip (shown on hover and on keyboard focus): Tab to "Pay" in the rail.
    QQuickItem* pay = nullptr;
    for (int i = 0; i < 40 && !(pay = m_ui->shown(QStringLiteral("navPay")))->hasActiveFocus(); ++i) {
        m_ui->key(Qt::Key_Tab);
    }
    QVERIFY2(pay->hasActiveFocus(), "Tab never reached Pay in the rail");
    QTRY_VERIFY_WITH_TIMEOUT(m_ui->shows(QStringLiteral("Pay  (Ctrl+3)")), 5000);

    // Tab to the overview's filled "Load money" button: its ring is drawn outside the fill.
    m_ui->key(Qt::Key_1, Qt::ControlModifier);
    QQuickItem* button = nullptr;
    QVERIFY(m_ui->waitShown(QStringLiteral("overviewLoad")));
    for (int i = 0; i < 30 && !(button = m_ui->shown(QStringLiteral("overviewLoad")))->hasActiveFocus(); ++i) {
        m_ui->key(Qt::Key_Tab);
    }
    QVERIFY2(button->hasActiveFocus(), "Tab never reached the overview's Load money button");
    QQuickItem* ring = m_ui->shown(QStringLiteral("focusRing"), QStringLiteral("overviewLoad"));
    QVERIFY2(ring, "no focus ring shown on the focused filled button");
    const QRectF ringRect = ring->mapRectToScene(QRectF(0, 0, ring->width(), ring->height()));
    const QRectF fill = button->mapRectToScene(QRectF(0, 0, button->width(), button->height()));
    QVERIFY(ringRect.contains(fill) && ringRect != fill);
    QObject* border = ring->property("border").value<QObject*>();
    QVERIFY(border);
    QCOMPARE(border->property("color").value<QColor>(), QColor(QStringLiteral("#1a6fd1"))); // Theme.focus, light
    m_ui->key(Qt::Key_Tab);
    QVERIFY(!m_ui->isShown(QStringLiteral("focusRing"), QStringLiteral("overviewLoad")));
}

void TestCardholderReview::ctrlQQuits()
{
    QVERIFY(m_root->window()->isVisible());
    m_ui->key(Qt::Key_Q, Qt::ControlModifier);
    QTRY_VERIFY(!m_root->window()->isVisible());
}

int main(int argc, char** argv)
{
    if (auto missing = walletbank::WalletBank::missingPart()) {
        std::fprintf(stderr, "SKIP: %s not found (scripts/setup-deps.sh installs it)\n", qPrintable(*missing));
        return 77;
    }
    // A home of its own: the export's Documents folder is $HOME/Documents (no user-dirs file in $XDG_CONFIG_HOME).
    QTemporaryDir home;
    qputenv("HOME", home.path().toUtf8());
    qputenv("XDG_CONFIG_HOME", (home.path() + QStringLiteral("/.config")).toUtf8());
    QDir(home.path()).mkpath(QStringLiteral("Documents")); // as on a desktop: the export offers it
    g_previousHandler = qInstallMessageHandler(collectQmlWarnings);
    QGuiApplication app(argc, argv);
    TestCardholderReview test;
    return QTest::qExec(&test, argc, argv);
}

#include "TestCardholderReview.moc"
