// SPDX-License-Identifier: Apache-2.0
// The default wallet loads from its own local bank host (issue 11, docs/bank.md §5 "Embedded default"): a fresh data
// folder with no bank-client.json, the real window (QML driven with the mouse and keyboard through
// tests/support/QuickDriver), the embedded simulated key starting blank. "Issue with the demo profile" clicked on the
// key page has the wallet's own local bank issue it through its issuance API (docs/bank.md §12 "Self-service demo
// issuance"): the bank's issuance registry holds the key's serial as a completed job, and the bank's card row is bound
// to it. The banner says that the key is simulated and that loads go to a local bank host; a load of ¥12.50 typed and
// confirmed as a person does is one load transfer in <data>/bank/ledger.sqlite, taken from the key's DEMO funding
// account there, and its TAC verified by the bank; the bank child ends with the window.
#include "app/gui/CompositionRoot.h"
#include "device/EmbeddedSimulator.h"
#include "support/QuickDriver.h"

#include <QFile>
#include <QGuiApplication>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtQml/qqmlextensionplugin.h>
#include <QtTest>

#include <csignal>

Q_IMPORT_QML_PLUGIN(SmartKey_WalletPlugin)
Q_IMPORT_QML_PLUGIN(SmartKey_Wallet_UiPlugin)

using wallet::app::CompositionRoot;
using wallet::app::LoadViewModel;
using wallet::test::QuickDriver;

#define CLICK(...) QVERIFY2(m_ui->click(__VA_ARGS__), qPrintable(m_ui->lastError()))
#define TYPE_INTO(...) QVERIFY2(m_ui->typeInto(__VA_ARGS__), qPrintable(m_ui->lastError()))
#define SHOWN(...) QVERIFY2(m_ui->waitShown(__VA_ARGS__), qPrintable(m_ui->visibleTexts().join(QLatin1Char('\n'))))

class TestWalletLocalBankGui : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void bannerSaysLocalBankHost();
    void loadGoesThroughTheLocalBank();
    void bankEndsWithTheWindow();

private:
    [[nodiscard]] QString bankDir() const { return m_dir.filePath(QStringLiteral("wallet/bank")); }
    qint64 sqlInt(const QString& sql) const
    {
        qint64 v = -1;
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("ledger"));
            db.setDatabaseName(bankDir() + QStringLiteral("/ledger.sqlite"));
            if (db.open()) {
                QSqlQuery q(db);
                if (q.exec(sql) && q.next()) {
                    v = q.value(0).toLongLong();
                }
            }
        }
        QSqlDatabase::removeDatabase(QStringLiteral("ledger"));
        return v;
    }
    QTemporaryDir m_dir;
    std::unique_ptr<CompositionRoot> m_root;
    std::unique_ptr<QuickDriver> m_ui;
};

void TestWalletLocalBankGui::initTestCase()
{
    QVERIFY(m_dir.isValid());
    const QString data = m_dir.filePath(QStringLiteral("wallet"));
    QVERIFY(!QFile::exists(data + QStringLiteral("/bank-client.json")));
    CompositionRoot::Options options;
    options.dataDir = data;
    options.language = QStringLiteral("en");
    options.usb = false;
    m_root = std::make_unique<CompositionRoot>(options);
    QVERIFY(m_root->createWindow());
    QVERIFY(QTest::qWaitForWindowExposed(m_root->window()));
    m_root->window()->requestActivate();
    QVERIFY(QTest::qWaitForWindowActive(m_root->window()));
    m_ui = std::make_unique<QuickDriver>(m_root->window());
    // The simulated key starts blank; the wallet asks its own local bank to issue it.
    SHOWN(QStringLiteral("keyIssueDemo"), QStringLiteral("keyPage"), 60000);
    QVERIFY(m_ui->text(QStringLiteral("keyStatusLine")).endsWith(QStringLiteral("blank")));
    CLICK(QStringLiteral("keyIssueDemo"), QStringLiteral("keyPage"));
    SHOWN(QStringLiteral("pinPad"), QStringLiteral("pinPage"), 180000);
    // Issued by the bank: the serial's completed job in its issuance registry (self-service, no staff), the card
    // row written by that job's completion and bound to the serial, with a DEMO funding account.
    QCOMPARE(sqlInt(QStringLiteral("SELECT count(*) FROM issuance_jobs j JOIN cards c ON c.asn = j.asn AND "
                                   "c.device_serial = j.device_serial WHERE j.state = 'completed' AND j.staff_id IS "
                                   "NULL")),
        1);
    QCOMPARE(sqlInt(QStringLiteral("SELECT a.balance FROM accounts a JOIN cards c ON c.account_id = a.id WHERE "
                                   "a.name LIKE 'DEMO%'")),
        10000000);
    m_ui->shown(QStringLiteral("pinPad"), QStringLiteral("pinPage"))->forceActiveFocus();
    m_ui->type(QStringLiteral("123456"));
    m_ui->key(Qt::Key_Return);
    QTRY_VERIFY_WITH_TIMEOUT(m_root->app()->unlocked(), 30000);
}

void TestWalletLocalBankGui::bannerSaysLocalBankHost()
{
    SHOWN(QStringLiteral("simulatedBannerText"));
    const QString banner = m_ui->text(QStringLiteral("simulatedBannerText"));
    QVERIFY2(banner.contains(QStringLiteral("SIMULATED KEY")), qPrintable(banner));
    QVERIFY2(banner.contains(QStringLiteral("LOCAL BANK HOST")), qPrintable(banner));
    QVERIFY(m_ui->shows(QStringLiteral("LOCAL BANK HOST on this computer")));
}

void TestWalletLocalBankGui::loadGoesThroughTheLocalBank()
{
    m_ui->key(Qt::Key_2, Qt::ControlModifier);
    SHOWN(QStringLiteral("loadEnterCard"));
    LoadViewModel* vm = m_root->app()->load();
    TYPE_INTO(QStringLiteral("amountInput"), QStringLiteral("12.50"), QStringLiteral("loadAmount"));
    m_ui->key(Qt::Key_Return);
    SHOWN(QStringLiteral("moneyConfirmButton"));
    CLICK(QStringLiteral("moneyConfirmButton"));
    SHOWN(QStringLiteral("loadPinPad"), QString(), 120000);
    m_ui->shown(QStringLiteral("loadPinPad"))->forceActiveFocus();
    m_ui->type(QStringLiteral("123456"));
    m_ui->key(Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(vm->step(), LoadViewModel::Step::Done, 120000);
    QTRY_VERIFY(m_ui->shows(QStringLiteral("Loaded \u00A512.50")));
    CLICK(QStringLiteral("loadDone"));
    SHOWN(QStringLiteral("overviewPage"));
    QTRY_COMPARE_WITH_TIMEOUT(m_ui->text(QStringLiteral("balance")), QStringLiteral("\u00A512.50"), 20000);
    // The wallet's own bank moved it, from the key's DEMO funding account there.
    QCOMPARE(sqlInt(QStringLiteral("SELECT count(*) FROM transfers WHERE kind = 'load'")), 1);
    QCOMPARE(sqlInt(QStringLiteral("SELECT count(*) FROM loads WHERE state = 'completed' AND proven_by = 'tac'")), 1);
    QCOMPARE(sqlInt(QStringLiteral("SELECT a.balance FROM accounts a JOIN cards c ON c.account_id = a.id "
                                   "WHERE a.name LIKE 'DEMO%' AND c.shadow_balance = 1250")),
        10000000 - 1250);
}

void TestWalletLocalBankGui::bankEndsWithTheWindow()
{
    QFile f(bankDir() + QStringLiteral("/skey-bank.port"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const qint64 pid = f.readAll().trimmed().split(' ').value(0).toLongLong();
    f.close();
    QVERIFY(pid > 0);
    QCOMPARE(::kill(static_cast<pid_t>(pid), 0), 0);
    m_ui.reset();
    m_root.reset();
    QTRY_VERIFY_WITH_TIMEOUT(::kill(static_cast<pid_t>(pid), 0) != 0, 10000);
    QVERIFY(!QFile::exists(bankDir() + QStringLiteral("/skey-bank.port")));
}

int main(int argc, char** argv)
{
    if (qEnvironmentVariable("SKEY_BANK_PATH").isEmpty()
        || !QFile::exists(QStringLiteral("/usr/lib/softhsm/libsofthsm2.so"))) {
        std::fprintf(stderr, "SKIP: skey-bank or SoftHSM2 not found (scripts/setup-deps.sh installs it)\n");
        return 77;
    }
    QGuiApplication app(argc, argv);
    TestWalletLocalBankGui test;
    return QTest::qExec(&test, argc, argv);
}

#include "TestWalletLocalBankGui.moc"
