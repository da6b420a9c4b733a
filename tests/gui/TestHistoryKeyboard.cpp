// SPDX-License-Identifier: Apache-2.0
// Issue 17 items 10 and 12 in the real wallet window (the real QML of the composition root, against the embedded
// simulated key issued with the demo profile), driven with key events only where the item is about the keyboard:
//  * item 12, keyboard: the PIN, two loads (amount, Enter, the review, Tab to its button, Enter, the key's PIN, the
//    result card closed once with Enter and once with Escape) and the history page's controls, with nothing but key
//    events; every Tab stop of the history page and of the rail shows a focus indicator in the theme's focus colour;
//  * item 10, the history's search and date filters agree with what is shown: "1,250" finds "+¥1,250.00" (as do
//    "1250" and "¥1,250.00"), dates typed the way the list shows them (en and zh_CN), applied as they are typed like
//    the search, a date the list would not show explained under the filters. The rows come from the SQLite mirror.
//  * items 9 and 10 together: a search typed with key events, then Export reached with Tab and pressed with Space
//    (the file dialog answered with a file in the test's own folder, as TestCardholderReview does): the CSV holds
//    exactly the rows the page shows, no more.
#include "app/gui/CompositionRoot.h"
#include "app/gui/HistoryViewModel.h"
#include "app/gui/UiSnapshot.h"
#include "support/LsanScope.h"
#include "support/QuickDriver.h"

#include <QDir>
#include <QFileInfo>
#include <QGuiApplication>
#include <QLocale>
#include <QQmlContext>
#include <QQmlEngine>
#include <QQmlExpression>
#include <QQuickItem>
#include <QTemporaryDir>
#include <QtQml/qqmlextensionplugin.h>
#include <QtTest>

Q_IMPORT_QML_PLUGIN(SmartKey_WalletPlugin)
Q_IMPORT_QML_PLUGIN(SmartKey_Wallet_UiPlugin)

using wallet::app::CompositionRoot;
using wallet::app::HistoryViewModel;
using wallet::app::LoadViewModel;
using wallet::test::QuickDriver;

namespace {

const QString kYuan = QStringLiteral("\u00A5");

QString dump(const QuickDriver& ui)
{
    return ui.visibleTexts().join(QLatin1Char('\n'));
}

/// Every visible Rectangle at or under `item` (its background included) that draws a border of `colors`, 2 px or
/// more: how the wallet shows keyboard focus (text fields' borders, the buttons' `focusRing`, the rail's ring).
bool showsFocusRing(QQuickItem* item, const QList<QColor>& colors)
{
    QList<QQuickItem*> todo{item};
    if (auto* background = item->property("background").value<QQuickItem*>()) {
        todo << background;
    }
    while (!todo.isEmpty()) {
        QQuickItem* i = todo.takeFirst();
        if (!i->isVisible() || i->opacity() <= 0.01) {
            continue;
        }
        if (i->inherits("QQuickRectangle")) {
            QObject* border = i->property("border").value<QObject*>();
            if (border && border->property("width").toReal() >= 2
                && colors.contains(border->property("color").value<QColor>())) {
                return true;
            }
        }
        todo << i->childItems();
    }
    return false;
}

} // namespace

class TestHistoryKeyboard : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void keyboardOnlyLoads();
    void historyTabStopsShowFocus();
    void searchFindsAmountsAsShown();
    void exportAfterSearchHoldsTheRowsShown();
    void datesAsShownApplyAsTyped_data();
    void datesAsShownApplyAsTyped();

private:
    /// Types on the keyboard into the focused item and waits until the history shows the answer to that filter.
    void waitHistory();
    void chooseLanguage(const QString& lang);
    /// Focuses a field of the history page with Tab only, then replaces its text by typing.
    void tabToAndType(const QString& name, const QString& text);
    [[nodiscard]] QList<QColor> focusColors() const;
    /// Export pressed on the keyboard, the file dialog answered with `path`; returns the amount column of the CSV.
    [[nodiscard]] QStringList exportedAmounts(const QString& path);
    [[nodiscard]] QStringList amounts() const { return m_ui->textsOf(QStringLiteral("rowAmount")); }

    QTemporaryDir m_dir;
    std::unique_ptr<CompositionRoot> m_root;
    std::unique_ptr<QuickDriver> m_ui;
};

void TestHistoryKeyboard::initTestCase()
{
    QVERIFY(m_dir.isValid());
    CompositionRoot::Options options;
    options.dataDir = m_dir.filePath(QStringLiteral("wallet"));
    options.language = QStringLiteral("en");
    options.usb = false;
    options.simulatorProfile
        = qEnvironmentVariable("SKEY_SOURCE_DIR") + QStringLiteral("/resources/profiles/demo-3des.json");
    m_root = std::make_unique<CompositionRoot>(options);
    QVERIFY(m_root->createWindow());
    QQuickWindow* window = m_root->window();
    window->resize(1040, 700);
    QVERIFY(QTest::qWaitForWindowExposed(window));
    window->requestActivate();
    QVERIFY(QTest::qWaitForWindowActive(window));
    m_ui = std::make_unique<QuickDriver>(window);
    QVERIFY2(m_ui->waitShown(QStringLiteral("pinPad"), {}, 60000), qPrintable(dump(*m_ui)));
}

QList<QColor> TestHistoryKeyboard::focusColors() const
{
    // Read as the window's own QML reads them (Main.qml imports the Theme singleton).
    QList<QColor> out;
    QQmlContext* context = qmlContext(m_root->window());
    for (const char* name : {"Theme.focus", "Theme.sidebarFocus"}) {
        QQmlExpression expression(context, m_root->window(), QString::fromLatin1(name));
        out << expression.evaluate().value<QColor>();
    }
    return out;
}

void TestHistoryKeyboard::keyboardOnlyLoads()
{
    // The PIN page has the keypad's focus: the PIN is typed, Return unlocks.
    QQuickItem* pad = m_ui->shown(QStringLiteral("pinPad"));
    QVERIFY(pad);
    QTRY_VERIFY2(pad->hasActiveFocus(), "the PIN page opened without the keypad's keyboard focus");
    m_ui->type(QStringLiteral("123456"));
    m_ui->key(Qt::Key_Return);
    QVERIFY2(m_ui->waitShown(QStringLiteral("overviewPage")), qPrintable(dump(*m_ui)));

    LoadViewModel* load = m_root->app()->load();
    struct Case
    {
        const char* typed;
        const char* shown;
        Qt::Key close; // how the result card is closed: item 12, "Enter or Esc closes it"
    };
    for (const Case& c : {Case{"1,250", "1,250.00", Qt::Key_Return}, Case{"23.40", "23.40", Qt::Key_Escape}}) {
        m_ui->key(Qt::Key_2, Qt::ControlModifier); // Load
        QVERIFY2(m_ui->waitShown(QStringLiteral("loadPage")), qPrintable(dump(*m_ui)));
        QQuickItem* amount = m_ui->shown(QStringLiteral("amountInput"), QStringLiteral("loadPage"));
        QVERIFY(amount);
        QTRY_VERIFY2(amount->hasActiveFocus(), "Ctrl+2 did not put the cursor in the amount");
        m_ui->key(Qt::Key_A, Qt::ControlModifier);
        m_ui->type(QString::fromLatin1(c.typed));
        m_ui->key(Qt::Key_Return);
        QVERIFY2(m_ui->waitShown(QStringLiteral("moneyConfirmAmount")), qPrintable(dump(*m_ui)));
        QCOMPARE(m_ui->text(QStringLiteral("moneyConfirmAmount")), kYuan + QString::fromLatin1(c.shown));
        // No default button: Tab reaches it, its ring shows, Return presses it.
        QQuickItem* confirm = m_ui->shown(QStringLiteral("moneyConfirmButton"));
        QVERIFY(confirm);
        for (int i = 0; i < 6 && !confirm->hasActiveFocus(); ++i) {
            m_ui->key(Qt::Key_Tab);
        }
        QVERIFY2(confirm->hasActiveFocus(), "Tab never reached the confirmation's button");
        const QList<QColor> colors = focusColors();
        QVERIFY2(colors.size() == 2 && colors.first().isValid(), "the theme's focus colours could not be read");
        QVERIFY2(showsFocusRing(confirm, colors),
            qPrintable(QStringLiteral("the focused confirmation button shows no ring in %1 (visualFocus %2)")
                           .arg(colors.first().name())
                           .arg(confirm->property("visualFocus").toBool())));
        m_ui->key(Qt::Key_Return);
        // The demo key asks for its PIN for every load: typed on the keyboard, the keypad has the focus.
        QTRY_VERIFY_WITH_TIMEOUT(
            load->step() == LoadViewModel::Step::NeedPin || load->step() == LoadViewModel::Step::Done, 30000);
        if (load->step() == LoadViewModel::Step::NeedPin) {
            QQuickItem* loadPad = nullptr;
            QTRY_VERIFY((loadPad = m_ui->shown(QStringLiteral("loadPinPad"))) != nullptr);
            QTRY_VERIFY2(loadPad->hasActiveFocus(), "the load's PIN keypad did not take the keyboard focus");
            m_ui->type(QStringLiteral("123456"));
            m_ui->key(Qt::Key_Return);
        }
        QTRY_COMPARE_WITH_TIMEOUT(load->step(), LoadViewModel::Step::Done, 30000);
        QVERIFY2(m_ui->waitShown(QStringLiteral("loadDone")), qPrintable(dump(*m_ui)));
        QQuickItem* done = m_ui->shown(QStringLiteral("loadDone"));
        QTRY_VERIFY2(done->hasActiveFocus(), "the result card's Done did not take the focus");
        m_ui->key(c.close);
        QTRY_COMPARE(load->step(), LoadViewModel::Step::Enter);
        QVERIFY(!m_ui->isShown(QStringLiteral("loadResultCard")));
    }
}

void TestHistoryKeyboard::historyTabStopsShowFocus()
{
    // Item 12: every control of the history page, and the rail, is reached with Tab and shows that it has the focus.
    m_ui->key(Qt::Key_4, Qt::ControlModifier);
    QVERIFY2(m_ui->waitShown(QStringLiteral("historyPage")), qPrintable(dump(*m_ui)));
    QTRY_COMPARE_WITH_TIMEOUT(amounts().size(), 2, 20000);
    const QList<QColor> colors = focusColors();
    QVERIFY2(colors.size() == 2 && colors.first().isValid(), "the theme's focus colours could not be read");
    QStringList reached;
    QStringList unringed;
    QQuickItem* first = nullptr;
    for (int i = 0; i < 60; ++i) {
        m_ui->key(Qt::Key_Tab);
        QQuickItem* focused = m_root->window()->activeFocusItem();
        QVERIFY(focused);
        // The named control that holds the focus (a field's inner text box belongs to the field).
        QQuickItem* named = focused;
        while (named && named->objectName().isEmpty()) {
            named = named->parentItem();
        }
        const QString name = named ? named->objectName() : QStringLiteral("<unnamed>");
        if (first == focused) {
            break; // round once
        }
        if (!first) {
            first = focused;
        }
        reached << name;
        if (!showsFocusRing(named ? named : focused, colors)) {
            unringed << name;
        }
    }
    for (const char* want : {"historyRefresh",
             "historyFilter0",
             "historyFilter1",
             "historyFilter2",
             "historyFrom",
             "historyTo",
             "historySearch",
             "historyList",
             "historyExport",
             "navOverview",
             "navHistory"}) {
        QVERIFY2(reached.contains(QString::fromLatin1(want)),
            qPrintable(QStringLiteral("Tab never reaches %1; it reaches: %2")
                           .arg(QString::fromLatin1(want), reached.join(QLatin1Char(' ')))));
    }
    QVERIFY2(unringed.isEmpty(),
        qPrintable(QStringLiteral("focused without a visible focus indicator: ") + unringed.join(QLatin1Char(' '))));

    // A filter chosen with the keyboard: Tab to "Loads", Space.
    HistoryViewModel* history = m_root->app()->history();
    QQuickItem* loads = m_ui->shown(QStringLiteral("historyFilter1"));
    for (int i = 0; i < 60 && !loads->hasActiveFocus(); ++i) {
        m_ui->key(Qt::Key_Tab);
    }
    QVERIFY(loads->hasActiveFocus());
    m_ui->key(Qt::Key_Space);
    QTRY_COMPARE(history->typeFilter(), 1);
    waitHistory();
    QCOMPARE(amounts().size(), 2); // both rows are loads
    m_ui->key(Qt::Key_Backtab);
    m_ui->key(Qt::Key_Space); // "All" again
    QTRY_COMPARE(history->typeFilter(), 0);
    waitHistory();
}

void TestHistoryKeyboard::waitHistory()
{
    HistoryViewModel* history = m_root->app()->history();
    QTRY_VERIFY_WITH_TIMEOUT(history->finishedGeneration() == history->queryGeneration() && !history->busy(), 20000);
    m_ui->settle();
}

void TestHistoryKeyboard::tabToAndType(const QString& name, const QString& text)
{
    QQuickItem* field = m_ui->shown(name);
    QVERIFY2(field, qPrintable(name + QStringLiteral(" is not shown:\n") + dump(*m_ui)));
    for (int i = 0; i < 60 && !field->hasActiveFocus(); ++i) {
        m_ui->key(Qt::Key_Tab);
    }
    QVERIFY2(field->hasActiveFocus(), qPrintable(QStringLiteral("Tab never reached ") + name));
    m_ui->key(Qt::Key_A, Qt::ControlModifier);
    if (text.isEmpty()) {
        m_ui->key(Qt::Key_Backspace);
    } else {
        // Typed as a person types it: also the characters QTest cannot send as Latin-1 keys (¥).
        for (const QChar ch : text) {
            if (ch.unicode() < 0x80) {
                m_ui->type(QString(ch));
            } else {
                QTest::sendKeyEvent(QTest::Click, m_root->window(), Qt::Key_unknown, QString(ch), Qt::NoModifier);
                m_ui->settle();
            }
        }
    }
    waitHistory();
}

void TestHistoryKeyboard::searchFindsAmountsAsShown()
{
    // Item 10: the search matches amounts the way the list shows them, with or without the grouping comma.
    m_ui->key(Qt::Key_4, Qt::ControlModifier);
    QVERIFY(m_ui->waitShown(QStringLiteral("historySearch")));
    const QStringList all = amounts();
    QVERIFY2(
        all.contains(QStringLiteral("+") + kYuan + QStringLiteral("1,250.00")), qPrintable(all.join(QLatin1Char(' '))));
    struct Row
    {
        QString typed;
        QStringList shown;
    };
    const QList<Row> rows = {
        {QStringLiteral("1,250"), {QStringLiteral("+") + kYuan + QStringLiteral("1,250.00")}},
        {QStringLiteral("1250"), {QStringLiteral("+") + kYuan + QStringLiteral("1,250.00")}},
        {QStringLiteral("+") + kYuan + QStringLiteral("1,250.00"),
            {QStringLiteral("+") + kYuan + QStringLiteral("1,250.00")}},
        {QStringLiteral("23.4"), {QStringLiteral("+") + kYuan + QStringLiteral("23.40")}},
        {QStringLiteral("9,999"), {}},
    };
    for (const Row& r : rows) {
        tabToAndType(QStringLiteral("historySearch"), r.typed);
        QCOMPARE(m_ui->text(QStringLiteral("historySearch")), r.typed);
        QVERIFY2(amounts() == r.shown,
            qPrintable(QStringLiteral("search \"%1\" shows [%2], expected [%3]")
                           .arg(r.typed, amounts().join(QLatin1Char(' ')), r.shown.join(QLatin1Char(' ')))));
        QCOMPARE(m_ui->isShown(QStringLiteral("historyEmpty")), r.shown.isEmpty());
    }
    tabToAndType(QStringLiteral("historySearch"), QString());
    QCOMPARE(amounts().size(), 2);
}

QStringList TestHistoryKeyboard::exportedAmounts(const QString& path)
{
    QQuickItem* exportButton = m_ui->shown(QStringLiteral("historyExport"));
    if (!exportButton) {
        qWarning("Export is not shown:\n%s", qPrintable(dump(*m_ui)));
        return {QStringLiteral("<no Export button>")};
    }
    for (int i = 0; i < 60 && !exportButton->hasActiveFocus(); ++i) {
        m_ui->key(Qt::Key_Tab);
    }
    if (!exportButton->hasActiveFocus()) {
        return {QStringLiteral("<Tab never reached Export>")};
    }
    HistoryViewModel* history = m_root->app()->history();
    const QString before = history->exportResult();
    {
        const wallet::test::QtFileDialogLeakScope qtDialog;
        // The test's file, given before the dialog opens (Qt 6.4's dialog takes it when shown), then Space on Export.
        QObject* dialog = m_root->window()->findChild<QObject*>(QStringLiteral("historyExportDialog"));
        if (!dialog) {
            return {QStringLiteral("<no file dialog>")};
        }
        dialog->setProperty("currentFolder", QUrl::fromLocalFile(QFileInfo(path).absolutePath()));
        dialog->setProperty("selectedFile", QUrl::fromLocalFile(path));
        m_ui->key(Qt::Key_Space);
        if (!QTest::qWaitFor([&] { return dialog->property("visible").toBool(); }, 5000)) {
            return {QStringLiteral("<Space on Export opened no file dialog>")};
        }
        if (dialog->property("selectedFile").toUrl() != QUrl::fromLocalFile(path)) {
            return {QStringLiteral("<the dialog proposes %1>").arg(dialog->property("selectedFile").toString())};
        }
        QMetaObject::invokeMethod(dialog, "accept");
        m_ui->settle();
    }
    // The result line the page shows says where the file went.
    if (!QTest::qWaitFor(
            [&] {
                return m_ui->text(QStringLiteral("historyExportResult")).contains(QDir::toNativeSeparators(path))
                    && history->exportResult() != before;
            },
            20000)) {
        return {QStringLiteral("<no export result: %1>").arg(m_ui->text(QStringLiteral("historyExportResult")))};
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return {QStringLiteral("<cannot read %1>").arg(path)};
    }
    QString text = QString::fromUtf8(file.readAll());
    if (text.startsWith(QChar(0xFEFF))) {
        text.remove(0, 1);
    }
    QStringList lines = text.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    if (lines.isEmpty() || !lines.first().startsWith(QStringLiteral("token_serial,type,atc,amount,"))) {
        return {QStringLiteral("<not the CSV header: %1>").arg(lines.value(0))};
    }
    lines.removeFirst();
    QStringList out;
    for (const QString& line : lines) {
        out << line.section(QLatin1Char(','), 3, 3); // the amount column (yuan, no grouping)
    }
    return out;
}

void TestHistoryKeyboard::exportAfterSearchHoldsTheRowsShown()
{
    // What the page shows, reduced to the CSV's amount form: "+¥1,250.00" → "1250.00".
    auto asCsv = [](const QStringList& shown) {
        QStringList out;
        for (QString a : shown) {
            a.remove(QLatin1Char('+')).remove(QChar(0x2212)).remove(QLatin1Char('-')).remove(kYuan);
            out << a.remove(QLatin1Char(','));
        }
        return out;
    };
    m_ui->key(Qt::Key_4, Qt::ControlModifier);
    QVERIFY(m_ui->waitShown(QStringLiteral("historySearch")));
    tabToAndType(QStringLiteral("historySearch"), QStringLiteral("1,250"));
    const QStringList shown = amounts();
    QCOMPARE(shown, QStringList{QStringLiteral("+") + kYuan + QStringLiteral("1,250.00")});
    const QStringList searched = exportedAmounts(m_dir.filePath(QStringLiteral("after-search.csv")));
    QVERIFY2(searched == asCsv(shown),
        qPrintable(QStringLiteral("search \"1,250\" shows [%1], the CSV holds [%2]")
                       .arg(shown.join(QLatin1Char(' ')), searched.join(QLatin1Char(' ')))));
    // Without the search the page and the file hold both loads: the export follows the page, not a fixed answer.
    tabToAndType(QStringLiteral("historySearch"), QString());
    QCOMPARE(amounts().size(), 2);
    const QStringList all = exportedAmounts(m_dir.filePath(QStringLiteral("all.csv")));
    QVERIFY2(all == asCsv(amounts()),
        qPrintable(QStringLiteral("the page shows [%1], the CSV holds [%2]")
                       .arg(amounts().join(QLatin1Char(' ')), all.join(QLatin1Char(' ')))));
}

void TestHistoryKeyboard::datesAsShownApplyAsTyped_data()
{
    QTest::addColumn<QString>("lang");
    QTest::newRow("en") << QStringLiteral("en");
    QTest::newRow("zh_CN") << QStringLiteral("zh_CN");
}

void TestHistoryKeyboard::chooseLanguage(const QString& lang)
{
    QVERIFY2(m_ui->click(QStringLiteral("navSettings")), qPrintable(m_ui->lastError()));
    QVERIFY2(m_ui->click(QStringLiteral("language_") + lang), qPrintable(m_ui->lastError()));
    QTRY_COMPARE(m_root->app()->settings()->language(), lang);
}

void TestHistoryKeyboard::datesAsShownApplyAsTyped()
{
    // Item 10: a date is typed as the rows show it in the current language; the filter applies while typing, as the
    // search does (no button), and a date the list would not show is explained.
    QFETCH(QString, lang);
    chooseLanguage(lang);
    m_ui->key(Qt::Key_4, Qt::ControlModifier);
    QVERIFY(m_ui->waitShown(QStringLiteral("historyFrom")));
    tabToAndType(QStringLiteral("historySearch"), QString()); // whatever an earlier function left there
    const QStringList dates = m_ui->textsOf(QStringLiteral("rowDate"));
    QVERIFY2(dates.size() == 2, qPrintable(dump(*m_ui)));
    // The date part of what the row shows ("12/3/26 6:45 AM" → "12/3/26"; "2026/12/3 06:45" → "2026/12/3").
    const QString today = dates.first().section(QLatin1Char(' '), 0, 0);
    const QLocale locale(lang);
    QCOMPARE(today, locale.toString(QDate::currentDate(), QLocale::ShortFormat));
    const QString tomorrow = locale.toString(QDate::currentDate().addDays(1), QLocale::ShortFormat);
    const QString yesterday = locale.toString(QDate::currentDate().addDays(-1), QLocale::ShortFormat);
    // The hint under the empty field shows the format.
    QVERIFY2(m_ui->property(QStringLiteral("historyFrom"), "placeholderText")
                 .toString()
                 .contains(locale.toString(QDate(2026, 1, 31), QLocale::ShortFormat)),
        qPrintable(m_ui->property(QStringLiteral("historyFrom"), "placeholderText").toString()));

    tabToAndType(QStringLiteral("historyFrom"), today);
    QCOMPARE(amounts().size(), 2);
    tabToAndType(QStringLiteral("historyFrom"), tomorrow);
    QVERIFY2(amounts().isEmpty(), qPrintable(amounts().join(QLatin1Char(' '))));
    QVERIFY(m_ui->isShown(QStringLiteral("historyEmpty")));
    tabToAndType(QStringLiteral("historyFrom"), QString());
    QCOMPARE(amounts().size(), 2);
    tabToAndType(QStringLiteral("historyTo"), yesterday);
    QVERIFY(amounts().isEmpty());
    tabToAndType(QStringLiteral("historyTo"), today);
    QCOMPARE(amounts().size(), 2);
    // With the search: both filters at once, as shown.
    tabToAndType(QStringLiteral("historySearch"), QStringLiteral("1,250"));
    QCOMPARE(amounts(), QStringList{QStringLiteral("+") + kYuan + QStringLiteral("1,250.00")});
    tabToAndType(QStringLiteral("historySearch"), QString());
    tabToAndType(QStringLiteral("historyTo"), QString());
    // Not a date as the list writes dates: said under the filters, the rows stay as they were.
    tabToAndType(QStringLiteral("historyFrom"), QStringLiteral("45.99.x"));
    QTRY_VERIFY(m_ui->isShown(QStringLiteral("historyProblem")));
    QVERIFY2(m_ui->text(QStringLiteral("historyProblem"))
                 .contains(locale.toString(QDate(2026, 1, 31), QLocale::ShortFormat)),
        qPrintable(m_ui->text(QStringLiteral("historyProblem"))));
    QCOMPARE(amounts().size(), 2);
    tabToAndType(QStringLiteral("historyFrom"), QString());
    QVERIFY(!m_ui->isShown(QStringLiteral("historyProblem")));
}

int main(int argc, char** argv)
{
    QGuiApplication app(argc, argv);
    TestHistoryKeyboard test;
    return QTest::qExec(&test, argc, argv);
}

#include "TestHistoryKeyboard.moc"
