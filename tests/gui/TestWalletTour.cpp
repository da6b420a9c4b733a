// SPDX-License-Identifier: Apache-2.0
// End to end, under Xvfb: the wallet exactly as the executable builds it (CompositionRoot, the real QML window, the
// embedded skey-sim simulated key over loopback UDP, the demo issuer host, the PSAM, the SQLite mirror), driven
// through its view models the way the pages drive them. Issues the simulated key, unlocks it with the PIN, loads
// money, pays a merchant, then takes a screenshot of every page in English and Simplified Chinese and checks the
// texts each page shows. The screenshots go to $SKEY_SCREENSHOT_DIR or a temporary folder, printed at the end.
#include "app/gui/AmountText.h"
#include "app/gui/CompositionRoot.h"
#include "app/gui/UiSnapshot.h"
#include "device/EmbeddedSimulator.h"

#include <QDir>
#include <QGuiApplication>
#include <QQuickStyle>
#include <QTemporaryDir>
#include <QtQml/qqmlextensionplugin.h>
#include <QtTest>

#include <vector>

Q_IMPORT_QML_PLUGIN(SmartKey_WalletPlugin)
Q_IMPORT_QML_PLUGIN(SmartKey_Wallet_UiPlugin)

using wallet::app::AppViewModel;
using wallet::app::CompositionRoot;
using wallet::app::KeyViewModel;
using wallet::app::LoadViewModel;
using wallet::app::PurchaseViewModel;
using wallet::app::UiSnapshot;

class TestWalletTour : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void issueAndUnlock();
    void loadMoney();
    void payMerchant();
    void historyShowsBoth();
    void screenshotsOfEveryPage_data();
    void screenshotsOfEveryPage();
    void powerCutDuringLoadIsCheckedWhenTheKeyIsBack();
    void cleanupTestCase();

private:
    void typePin(wallet::app::PinViewModel* pin, const char* digits);
    [[nodiscard]] QStringList texts() const { return UiSnapshot::visibleTexts(m_root->window()); }
    [[nodiscard]] bool shows(const QString& text) const;
    void settle();

    QTemporaryDir m_data;
    QString m_shotDir;
    std::unique_ptr<CompositionRoot> m_root;
    std::unique_ptr<QTemporaryDir> m_shotTemp;
};

bool TestWalletTour::shows(const QString& text) const
{
    for (const QString& t : texts()) {
        if (t.contains(text)) {
            return true;
        }
    }
    return false;
}

void TestWalletTour::settle()
{
    for (int i = 0; i < 5; ++i) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QTest::qWait(20);
    }
}

void TestWalletTour::typePin(wallet::app::PinViewModel* pin, const char* digits)
{
    pin->clear();
    for (const char* d = digits; *d; ++d) {
        pin->appendDigit(*d - '0');
    }
    QCOMPARE(pin->length(), static_cast<int>(qstrlen(digits)));
    QVERIFY(pin->canSubmit());
    pin->submit();
    QCOMPARE(pin->length(), 0); // the view model wiped its copy on submit
}

void TestWalletTour::initTestCase()
{
    QVERIFY(m_data.isValid());
    m_shotDir = qEnvironmentVariable("SKEY_SCREENSHOT_DIR");
    if (m_shotDir.isEmpty()) {
        m_shotTemp = std::make_unique<QTemporaryDir>(QDir::temp().filePath(QStringLiteral("wallet-shots-XXXXXX")));
        m_shotTemp->setAutoRemove(false); // kept for people to look at
        m_shotDir = m_shotTemp->path();
    }
    QDir().mkpath(m_shotDir);

    CompositionRoot::Options options;
    options.dataDir = m_data.filePath(QStringLiteral("data"));
    options.language = QStringLiteral("en");
    options.usb = false;
    m_root = std::make_unique<CompositionRoot>(options);
    QVERIFY(m_root->createWindow());
    QVERIFY(QTest::qWaitForWindowExposed(m_root->window()));
    // The embedded simulated key starts blank.
    KeyViewModel* key = m_root->app()->key();
    QTRY_COMPARE_WITH_TIMEOUT(key->state(), KeyViewModel::State::Blank, 30000);
    QVERIFY(key->simulated());
    QVERIFY(key->canIssueDemo());
    QVERIFY(shows(QStringLiteral("SIMULATED KEY")));
}

void TestWalletTour::issueAndUnlock()
{
    AppViewModel* app = m_root->app();
    KeyViewModel* key = app->key();
    // Purse pages are locked until the PIN was entered.
    app->navigate(AppViewModel::Page::Load);
    QCOMPARE(app->page(), AppViewModel::Page::Key);

    key->issueDemo();
    QTRY_COMPARE_WITH_TIMEOUT(app->page(), AppViewModel::Page::Pin, 60000);
    QCOMPARE(key->state(), KeyViewModel::State::Ready);
    QVERIFY(key->statusLine().endsWith(QStringLiteral("issued")));
    QTRY_COMPARE_WITH_TIMEOUT(app->pin()->triesLeft(), 3, 10000);

    // A wrong PIN costs a try and says so.
    typePin(app->pin(), "999999");
    QTRY_VERIFY_WITH_TIMEOUT(!app->pin()->busy(), 20000);
    QCOMPARE(app->pin()->triesLeft(), 2);
    QVERIFY(app->pin()->errorText().contains(QStringLiteral("Wrong PIN")));
    settle();
    QVERIFY(shows(QStringLiteral("2 tries left")));
    QVERIFY(!app->unlocked());

    typePin(app->pin(), "123456");
    QTRY_VERIFY_WITH_TIMEOUT(app->unlocked(), 20000);
    QCOMPARE(app->page(), AppViewModel::Page::Overview);
    QTRY_VERIFY_WITH_TIMEOUT(app->overview()->hasBalance(), 20000);
    QCOMPARE(app->overview()->balanceFen(), 0);
    QCOMPARE(app->overview()->holderName(), QStringLiteral("DEMO HOLDER"));
    // The simulated key's own serial (random for a new key since issue 9 item 18).
    QVERIFY(m_root->simulator());
    QVERIFY(app->overview()->maskedSerial().endsWith(m_root->simulator()->serialHex().right(4)));
    QVERIFY(app->overview()->maskedSerial().contains(QChar(0x2022)));
    settle();
    QVERIFY(shows(QStringLiteral("¥0.00")));
    QVERIFY(shows(QStringLiteral("DEMO HOLDER")));
}

void TestWalletTour::loadMoney()
{
    AppViewModel* app = m_root->app();
    LoadViewModel* load = app->load();
    app->navigate(AppViewModel::Page::Load);
    QCOMPARE(app->page(), AppViewModel::Page::Load);

    // Invalid amounts are refused before anything reaches the key.
    load->setAmountText(QStringLiteral("12.345"));
    QVERIFY(!load->canSubmit());
    QCOMPARE(load->amountProblem(), QStringLiteral("At most two digits after the decimal point."));
    settle();

    load->setAmountText(QStringLiteral("250.50"));
    QVERIFY(load->canSubmit());
    load->submit();
    QCOMPARE(load->step(), LoadViewModel::Step::Confirm); // the parsed amount is confirmed first (issue 9)
    load->confirm();
    QCOMPARE(load->step(), LoadViewModel::Step::Working);
    // The demo profile wants the PIN for loads; the key still holds it from the unlock unless it was reselected,
    // so the PIN step appears only when the key asks.
    QTRY_VERIFY_WITH_TIMEOUT(load->step() != LoadViewModel::Step::Working, 30000);
    if (load->step() == LoadViewModel::Step::NeedPin) {
        settle();
        QVERIFY(shows(QStringLiteral("Enter your PIN to load")));
        typePin(load->pin(), "123456");
        QTRY_VERIFY_WITH_TIMEOUT(load->step() != LoadViewModel::Step::Working, 30000);
    }
    QVERIFY2(load->step() == LoadViewModel::Step::Done, qPrintable(load->resultText()));
    QCOMPARE(load->resultTitle(), QStringLiteral("Loaded ¥250.50"));
    QCOMPARE(load->newBalanceText(), QStringLiteral("¥250.50"));
    QCOMPARE(load->tac().size(), 8);
    settle();
    QVERIFY(shows(QStringLiteral("Loaded ¥250.50")));
    QVERIFY(shows(load->tac()));
    QTRY_COMPARE_WITH_TIMEOUT(app->overview()->balanceFen(), 25050, 20000);
}

void TestWalletTour::payMerchant()
{
    AppViewModel* app = m_root->app();
    PurchaseViewModel* pay = app->purchase();
    app->navigate(AppViewModel::Page::Purchase);
    QCOMPARE(app->page(), AppViewModel::Page::Purchase);

    pay->setAmountText(QStringLiteral("18.8"));
    QVERIFY(!pay->canConfirm()); // no merchant yet
    QCOMPARE(pay->formProblem(), QStringLiteral("Enter the merchant's name."));
    pay->setMerchant(QStringLiteral("Campus Canteen"));
    pay->setOrder(QStringLiteral("A-1024"));
    QVERIFY(pay->canConfirm());
    pay->review();
    QCOMPARE(pay->step(), PurchaseViewModel::Step::Confirm);
    settle();
    QVERIFY(shows(QStringLiteral("Pay ¥18.80")));
    pay->pay();
    QTRY_VERIFY_WITH_TIMEOUT(pay->step() != PurchaseViewModel::Step::Working, 30000);
    if (pay->step() == PurchaseViewModel::Step::NeedPin) {
        typePin(pay->pin(), "123456");
        QTRY_VERIFY_WITH_TIMEOUT(pay->step() != PurchaseViewModel::Step::Working, 30000);
    }
    QVERIFY2(pay->step() == PurchaseViewModel::Step::Done, qPrintable(pay->resultText()));
    QCOMPARE(pay->resultTitle(), QStringLiteral("Paid ¥18.80"));
    QCOMPARE(pay->newBalanceText(), QStringLiteral("¥231.70"));
    settle();
    QVERIFY(shows(QStringLiteral("Paid ¥18.80")));
    QTRY_COMPARE_WITH_TIMEOUT(app->overview()->balanceFen(), 23170, 20000);
}

void TestWalletTour::historyShowsBoth()
{
    AppViewModel* app = m_root->app();
    app->navigate(AppViewModel::Page::History);
    QTRY_COMPARE_WITH_TIMEOUT(app->history()->totalCount(), 2, 20000);
    QTRY_VERIFY_WITH_TIMEOUT(!app->history()->busy(), 20000);
    auto* model = app->history()->model();
    QCOMPARE(model->rowCount(), 2);
    // Newest first: the payment, then the load.
    QCOMPARE(model->data(model->index(0), wallet::app::TransactionListModel::KindRole).toString(),
        QStringLiteral("purchase"));
    QCOMPARE(
        model->data(model->index(1), wallet::app::TransactionListModel::KindRole).toString(), QStringLiteral("load"));
    settle();
    QVERIFY(shows(QStringLiteral("Campus Canteen")));

    app->history()->setTypeFilter(1);
    QTRY_COMPARE_WITH_TIMEOUT(app->history()->totalCount(), 1, 20000);
    app->history()->setTypeFilter(0);
    app->history()->setSearch(QStringLiteral("canteen"));
    QTRY_COMPARE_WITH_TIMEOUT(app->history()->totalCount(), 1, 20000);
    app->history()->setSearch(QString());
    QTRY_COMPARE_WITH_TIMEOUT(app->history()->totalCount(), 2, 20000);

    const QString csv = m_data.filePath(QStringLiteral("export.csv"));
    QSignalSpy exported(app->history(), &wallet::app::HistoryViewModel::exported);
    app->history()->exportCsv(csv);
    QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, 20000);
    QCOMPARE(exported.at(0).at(0).toBool(), true);
    QFile file(csv);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = file.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), 3); // header + 2 rows
    QVERIFY(lines.at(1).contains("18.80") || lines.at(2).contains("18.80"));
}

void TestWalletTour::screenshotsOfEveryPage_data()
{
    QTest::addColumn<QString>("lang");
    QTest::addColumn<int>("page");
    QTest::addColumn<QString>("name");
    QTest::addColumn<QStringList>("expected");
    const struct
    {
        AppViewModel::Page page;
        const char* name;
        std::vector<const char*> en;
        std::vector<const char*> zh;
    } pages[] = {
        {AppViewModel::Page::Key, "key", {"My key", "issued"}, {"我的密钥", "已发行"}},
        {AppViewModel::Page::Overview,
            "overview",
            {"¥231.70", "DEMO HOLDER", "Recent transactions"},
            {"¥231.70", "DEMO HOLDER", "最近交易"}},
        {AppViewModel::Page::Load,
            "load",
            {"Load money", "Up to ¥10,000.00 per load."},
            {"圈存充值", "每次最多 ¥10,000.00。"}},
        {AppViewModel::Page::Purchase,
            "pay",
            {"Pay a merchant from the purse on your key.", "Merchant"},
            {"用密钥中的钱包向商户付款。", "商户"}},
        {AppViewModel::Page::History,
            "history",
            {"Campus Canteen · #A-1024", "Export CSV"},
            {"Campus Canteen · #A-1024", "导出 CSV", "消费"}},
        {AppViewModel::Page::Settings, "settings", {"Language", "Appearance"}, {"语言", "外观"}},
        {AppViewModel::Page::About, "about", {"About and diagnostics", "Export log"}, {"关于与诊断", "导出日志"}},
    };
    const auto list = [](const std::vector<const char*>& texts) {
        QStringList out;
        for (const char* t : texts) {
            out << QString::fromUtf8(t);
        }
        return out;
    };
    for (const char* lang : {"en", "zh_CN"}) {
        for (const auto& p : pages) {
            QTest::addRow("%s-%s", lang, p.name)
                << QString::fromLatin1(lang) << static_cast<int>(p.page) << QString::fromLatin1(p.name)
                << list(qstrcmp(lang, "en") == 0 ? p.en : p.zh);
        }
    }
}

void TestWalletTour::screenshotsOfEveryPage()
{
    QFETCH(QString, lang);
    QFETCH(int, page);
    QFETCH(QString, name);
    QFETCH(QStringList, expected);
    AppViewModel* app = m_root->app();
    app->settings()->setLanguage(lang);
    // The forms, not the results of the flows above.
    app->load()->reset();
    app->purchase()->reset();
    app->navigate(static_cast<AppViewModel::Page>(page));
    QCOMPARE(static_cast<int>(app->page()), page);
    if (app->page() == AppViewModel::Page::History) {
        QTRY_VERIFY_WITH_TIMEOUT(!app->history()->busy() && app->history()->totalCount() == 2, 20000);
    }
    if (app->page() == AppViewModel::Page::Overview) {
        QTRY_VERIFY_WITH_TIMEOUT(!app->overview()->busy(), 20000);
    }
    settle();
    const QStringList shown = texts();
    for (const QString& want : expected) {
        bool found = false;
        for (const QString& t : shown) {
            found = found || t.contains(want);
        }
        QVERIFY2(found,
            qPrintable(QStringLiteral("page %1 (%2) does not show \"%3\"; it shows:\n%4")
                           .arg(name, lang, want, shown.join(QLatin1Char('\n')))));
    }
    const QString file = QDir(m_shotDir).filePath(QStringLiteral("%1-%2.png").arg(lang, name));
    QVERIFY(UiSnapshot::grab(m_root->window(), file));
}

void TestWalletTour::powerCutDuringLoadIsCheckedWhenTheKeyIsBack()
{
    AppViewModel* app = m_root->app();
    app->settings()->setLanguage(QStringLiteral("en"));
    LoadViewModel* load = app->load();
    load->reset();
    app->navigate(AppViewModel::Page::Load);
    QTRY_VERIFY_WITH_TIMEOUT(app->overview()->hasBalance() && !app->overview()->busy(), 20000);
    const qint64 before = app->overview()->balanceFen();
    QVERIFY(m_root->simulator());
    const auto control = m_root->simulator()->control();

    // The key loses power during the load, after the first NVM write has fully landed: the key falls silent.
    const auto armed = control.send(QStringLiteral("power-cut-at 1 full"));
    QVERIFY2(armed.ok(), qPrintable(armed.ok() ? QString() : armed.error().detail));
    load->setAmountText(QStringLiteral("10.00"));
    load->submit();
    load->confirm();
    QTRY_VERIFY_WITH_TIMEOUT(load->step() != LoadViewModel::Step::Working, 90000);
    if (load->step() == LoadViewModel::Step::NeedPin) {
        typePin(load->pin(), "123456");
        QTRY_VERIFY_WITH_TIMEOUT(load->step() != LoadViewModel::Step::Working, 90000);
    }
    QCOMPARE(load->step(), LoadViewModel::Step::Interrupted);
    settle();
    QVERIFY(shows(QStringLiteral("The key was removed during the load")));
    // The device layer notices the silent key; the purse pages lock, the load page keeps its message.
    QTRY_VERIFY_WITH_TIMEOUT(m_root->session().presence() != wallet::app::WalletSession::Presence::Present, 30000);
    QVERIFY(!app->unlocked());
    QCOMPARE(app->page(), AppViewModel::Page::Load);

    // Power comes back: the wallet checks the balance against the one before the load and says what happened.
    const auto replug = control.send(QStringLiteral("replug"));
    QVERIFY2(replug.ok(), qPrintable(replug.ok() ? QString() : replug.error().detail));
    QTRY_VERIFY_WITH_TIMEOUT(
        load->step() == LoadViewModel::Step::Done || load->step() == LoadViewModel::Step::Failed, 60000);
    const QString after = load->newBalanceText();
    if (load->step() == LoadViewModel::Step::Done) {
        QCOMPARE(after, wallet::app::AmountText::format(before + 1000));
    } else {
        QCOMPARE(after, wallet::app::AmountText::format(before));
    }
    settle();
    QVERIFY(shows(load->resultText()));
    qInfo().noquote() << "interrupted load:" << load->resultTitle() << "-" << load->resultText();
}

void TestWalletTour::cleanupTestCase()
{
    if (m_root) {
        m_root->app()->settings()->setLanguage(QStringLiteral("en"));
    }
    m_root.reset();
    qInfo().noquote() << "screenshots of every page in both languages:" << m_shotDir;
}

int main(int argc, char** argv)
{
    QQuickStyle::setStyle(QStringLiteral("Basic"));
    QGuiApplication::setApplicationName(QStringLiteral("smartkey-wallet-tour"));
    QGuiApplication::setApplicationVersion(QStringLiteral("0.1.0"));
    QGuiApplication app(argc, argv);
    TestWalletTour test;
    return QTest::qExec(&test, argc, argv);
}

#include "TestWalletTour.moc"
