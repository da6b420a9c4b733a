// SPDX-License-Identifier: Apache-2.0
// The session and view models against the real simulated key (skey-sim over loopback UDP) and a real SQLite mirror:
// key I/O happens on the worker thread only, results arrive on the GUI thread, the key page reads what the key says,
// and the history pages, filters, searches and exports the mirror.
#include "app/gui/HistoryViewModel.h"
#include "app/gui/KeyViewModel.h"
#include "app/gui/KeyWorker.h"
#include "app/gui/WalletSession.h"
#include "core/storage/TransactionStore.h"
#include "device/EmbeddedSimulator.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <functional>
#include <mutex>
#include <set>

using namespace wallet;

namespace {
/// Passes every APDU to the real channel and notes the thread it was sent from.
class RecordingChannel final : public core::ApduChannel
{
public:
    explicit RecordingChannel(std::unique_ptr<core::ApduChannel> inner)
        : m_inner(std::move(inner))
    { }
    core::Result<core::ResponseApdu> transmit(const core::CommandApdu& command) override
    {
        {
            std::lock_guard lock(m_mutex);
            m_threads.insert(QThread::currentThread());
            ++m_count;
        }
        return m_inner->transmit(command);
    }
    [[nodiscard]] QString description() const override { return m_inner->description(); }
    std::set<QThread*> threads()
    {
        std::lock_guard lock(m_mutex);
        return m_threads;
    }
    int count()
    {
        std::lock_guard lock(m_mutex);
        return m_count;
    }

private:
    std::unique_ptr<core::ApduChannel> m_inner;
    std::mutex m_mutex;
    std::set<QThread*> m_threads;
    int m_count = 0;
};
} // namespace

class TestWalletSession : public QObject
{
    Q_OBJECT

private slots:
    void workerRunsJobsInOrderOffTheGuiThread();
    void keyPageReadsTheSimulatedKey();
    void noKeyGivesNoDevice();
    void historyPagesFiltersSearchesExports();
};

void TestWalletSession::workerRunsJobsInOrderOffTheGuiThread()
{
    app::KeyWorker worker;
    QVector<int> order;
    QThread* seen = nullptr;
    for (int i = 0; i < 20; ++i) {
        worker.post([&order, &seen, i] {
            seen = QThread::currentThread();
            order.push_back(i);
        });
    }
    worker.drain();
    QCOMPARE(order.size(), 20);
    for (int i = 0; i < 20; ++i) {
        QCOMPARE(order.at(i), i);
    }
    QCOMPARE(seen, worker.thread());
    QVERIFY(seen != QThread::currentThread());
    QCOMPARE(worker.pending(), 0);
}

void TestWalletSession::keyPageReadsTheSimulatedKey()
{
    QTemporaryDir dir;
    device::SimulatorOptions options;
    options.dataDirectory = dir.filePath(QStringLiteral("sim"));
    QDir().mkpath(options.dataDirectory);
    options.serialHex = QStringLiteral("534B00000000BEEF");
    device::EmbeddedSimulator sim(options);
    const auto started = sim.start();
    QVERIFY2(started.ok(), qPrintable(started.ok() ? QString() : started.error().detail));

    app::KeyWorker worker;
    app::WalletSession session(worker, dir.filePath(QStringLiteral("wallet")));
    app::KeyViewModel key(session);
    QCOMPARE(key.state(), app::KeyViewModel::State::Searching);
    session.detach(app::WalletSession::Presence::NoKey);
    QCOMPARE(key.state(), app::KeyViewModel::State::NoKey);
    QVERIFY(!key.message().isEmpty());

    auto recording = std::make_shared<RecordingChannel>(sim.makeChannel());
    QSignalSpy read(&key, &app::KeyViewModel::infoRead);
    session.attach(recording, true, recording->description());
    QCOMPARE(key.state(), app::KeyViewModel::State::Reading);
    QVERIFY(read.wait(20000));
    QCOMPARE(key.state(), app::KeyViewModel::State::Blank);
    QVERIFY(key.simulated());
    QCOMPARE(key.serial(), QStringLiteral("534B00000000BEEF"));
    QVERIFY(QRegularExpression(QStringLiteral("^\\d+\\.\\d+\\.\\d+$")).match(key.firmwareVersion()).hasMatch());
    QCOMPARE(key.statusLine(),
        QStringLiteral("Simulated key — serial 534B00000000BEEF, firmware %1, blank").arg(key.firmwareVersion()));
    QVERIFY(key.canIssueDemo());

    // Every APDU went out on the worker thread, none on this (the GUI) thread.
    QVERIFY(recording->count() > 0);
    const auto threads = recording->threads();
    QCOMPARE(threads.size(), std::size_t(1));
    QCOMPARE(*threads.begin(), worker.thread());

    // The key goes away: the page says so and forgets what it read.
    session.detach(app::WalletSession::Presence::NoPermission, QStringLiteral("install the rule"));
    QCOMPARE(key.state(), app::KeyViewModel::State::NoPermission);
    QCOMPARE(key.fixCommand(), QStringLiteral("install the rule"));
    QVERIFY(key.serial().isEmpty());
}

void TestWalletSession::noKeyGivesNoDevice()
{
    QTemporaryDir dir;
    app::KeyWorker worker;
    app::WalletSession session(worker, dir.path());
    session.detach(app::WalletSession::Presence::NoKey);
    QObject receiver;
    bool called = false;
    core::ErrorCode code = core::ErrorCode::None;
    session.run<int>(
        &receiver,
        [](core::ApduChannel&, app::PurseContext&) -> core::Result<int> { return 1; },
        [&](core::Result<int> r) {
            called = true;
            code = r.ok() ? core::ErrorCode::None : r.error().code;
        });
    QTRY_VERIFY(called);
    QCOMPARE(code, core::ErrorCode::NoDevice);
}

namespace {
/// Waits until the query asked for last (by a setter, a page turn or refresh) has delivered its rows. The view model
/// keeps showing the previous total while a query runs, so comparing a count right away would read the old one.
[[nodiscard]] bool queryDone(const app::HistoryViewModel& history)
{
    const quint64 wanted = history.queryGeneration();
    return QTest::qWaitFor([&] { return history.finishedGeneration() >= wanted && !history.busy(); }, 20000);
}

/// The ATCs of the rows shown, in order (each key record has its own ATC; the local canteen payment has 100).
QList<int> shownAtcs(app::HistoryViewModel& history)
{
    QList<int> out;
    auto* model = history.model();
    for (int row = 0; row < model->rowCount(); ++row) {
        out << model->data(model->index(row), app::TransactionListModel::AtcRole).toInt();
    }
    return out;
}

QString shownKinds(app::HistoryViewModel& history)
{
    QStringList out;
    auto* model = history.model();
    for (int row = 0; row < model->rowCount(); ++row) {
        out << model->data(model->index(row), app::TransactionListModel::KindRole).toString();
    }
    out.removeDuplicates();
    return out.join(QLatin1Char(','));
}

/// ATCs 25, 24, … 1 filtered by `keep` (newest first, as the history shows them).
QList<int> atcsWhere(const std::function<bool(int index)>& keep)
{
    QList<int> out;
    for (int i = 24; i >= 0; --i) {
        if (keep(i)) {
            out << i + 1;
        }
    }
    return out;
}
} // namespace

void TestWalletSession::historyPagesFiltersSearchesExports()
{
    QTemporaryDir dir;
    const QString serial = QStringLiteral("534B000000000001");
    // Key record i (0..24): ATC i+1, a load when i % 3 == 0 (9 loads), else a purchase (16); ¥(i+1).00 on
    // 2026-01-(i+1), except the load i = 6, which is ¥18.80. Plus one local purchase of ¥18.80 at the canteen on
    // 2026-02-01 (ATC 100). Every step below expects a total different from the one before it.
    const auto isLoad = [](int i) { return i % 3 == 0; };
    {
        auto store = core::TransactionStore::open(dir.filePath(QStringLiteral("mirror.sqlite")));
        QVERIFY2(store.ok(), qPrintable(store.ok() ? QString() : store.error().detail));
        std::vector<core::TransactionRecord> records;
        for (int i = 0; i < 25; ++i) {
            core::TransactionRecord r;
            r.atc = static_cast<std::uint16_t>(i + 1);
            r.amount = core::Amount(static_cast<std::uint32_t>(i == 6 ? 1880 : 100 * (i + 1)));
            r.type = isLoad(i) ? core::TransactionType::Load : core::TransactionType::Purchase;
            r.rawType = static_cast<std::uint8_t>(r.type);
            r.terminalId = QByteArray::fromHex("112233445566");
            r.when = QDateTime(QDate(2026, 1, 1).addDays(i), QTime(10, 0));
            records.push_back(r);
        }
        QVERIFY(store.value()->sync(serial, records).ok());
        core::StoredTransaction local;
        local.tokenSerial = serial;
        local.type = core::TransactionType::Purchase;
        local.atc = 100;
        local.amount = core::Amount(1880);
        local.terminalId = QByteArray::fromHex("112233445566");
        local.when = QDateTime(QDate(2026, 2, 1), QTime(12, 0));
        local.merchant = QStringLiteral("Campus Canteen \u00B7 #A-1024");
        local.madeHere = true;
        QVERIFY(store.value()->recordLocal(local).ok());
    }
    app::KeyWorker worker;
    app::WalletSession session(worker, dir.path());
    session.detach(app::WalletSession::Presence::NoKey);
    app::HistoryViewModel history(session, dir.path());
    QAbstractItemModelTester tester(history.model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    history.setTokenSerial(serial);
    QSignalSpy finished(&history, &app::HistoryViewModel::queryFinished);

    history.refresh(); // no key: straight from the mirror
    QVERIFY(queryDone(history));
    QCOMPARE(finished.count(), 1);
    QCOMPARE(finished.at(0).at(0).toULongLong(), history.queryGeneration());
    QVERIFY2(history.errorText().isEmpty(), qPrintable(history.errorText()));
    QCOMPARE(history.totalCount(), 26);
    QCOMPARE(history.pageCount(), 2);
    // Newest first: the canteen payment, then ATC 25 … 7.
    QList<int> all = QList<int>{100} + atcsWhere([](int) { return true; });
    QCOMPARE(shownAtcs(history), all.mid(0, app::HistoryViewModel::kPageSize));
    history.nextPage();
    QVERIFY(queryDone(history));
    QCOMPARE(history.page(), 1);
    QCOMPARE(shownAtcs(history), all.mid(app::HistoryViewModel::kPageSize)); // ATC 6 … 1
    history.nextPage(); // past the end: stays, no query
    QCOMPARE(history.page(), 1);
    QCOMPARE(history.finishedGeneration(), history.queryGeneration());
    history.previousPage();
    QVERIFY(queryDone(history));
    QCOMPARE(shownAtcs(history), all.mid(0, app::HistoryViewModel::kPageSize));

    history.setTypeFilter(1); // loads
    QVERIFY(queryDone(history));
    QCOMPARE(history.totalCount(), 9);
    QCOMPARE(history.page(), 0);
    QCOMPARE(shownKinds(history), QStringLiteral("load"));
    QCOMPARE(shownAtcs(history), atcsWhere(isLoad));
    history.setTypeFilter(2); // payments
    QVERIFY(queryDone(history));
    QCOMPARE(history.totalCount(), 17);
    QCOMPARE(shownKinds(history), QStringLiteral("purchase"));
    QCOMPARE(shownAtcs(history), QList<int>{100} + atcsWhere([&](int i) { return !isLoad(i); }));
    history.setTypeFilter(0);
    history.setFromDate(QStringLiteral("2026-01-10"));
    history.setToDate(QStringLiteral("2026-01-19"));
    QVERIFY(queryDone(history));
    QCOMPARE(history.totalCount(), 10);
    QCOMPARE(shownAtcs(history), atcsWhere([](int i) { return i >= 9 && i <= 18; }));
    const quint64 beforeProblem = history.queryGeneration();
    history.setToDate(QStringLiteral("2026-13-01"));
    QVERIFY(!history.filterProblem().isEmpty());
    QCOMPARE(history.queryGeneration(), beforeProblem); // a bad filter asks nothing
    history.setToDate(QStringLiteral("2026-01-01"));
    QCOMPARE(history.filterProblem(), QStringLiteral("The start date is after the end date."));
    history.setFromDate(QString());
    history.setToDate(QString());
    QVERIFY(queryDone(history));
    QCOMPARE(history.totalCount(), 26);

    history.setSearch(QStringLiteral("canteen"));
    QVERIFY(queryDone(history));
    QCOMPARE(history.totalCount(), 1);
    QCOMPARE(shownAtcs(history), QList<int>{100});
    QCOMPARE(history.model()->data(history.model()->index(0), app::TransactionListModel::DetailTextRole).toString(),
        QStringLiteral("Campus Canteen \u00B7 #A-1024"));
    history.setSearch(QStringLiteral("18.80")); // the canteen payment and the ¥18.80 load
    QVERIFY(queryDone(history));
    QCOMPARE(history.totalCount(), 2);
    QCOMPARE(shownAtcs(history), (QList<int>{100, 7}));
    QCOMPARE(history.model()->data(history.model()->index(1), app::TransactionListModel::KindRole).toString(),
        QStringLiteral("load"));
    QCOMPARE(
        history.model()->data(history.model()->index(1), app::TransactionListModel::AmountFenRole).toLongLong(), 1880);
    history.setSearch(QString());
    QVERIFY(queryDone(history));
    QCOMPARE(history.totalCount(), 26);

    QSignalSpy exported(&history, &app::HistoryViewModel::exported);
    history.setTypeFilter(1);
    QVERIFY(queryDone(history));
    QCOMPARE(history.totalCount(), 9);
    const QString csv = dir.filePath(QStringLiteral("loads.csv"));
    history.exportCsv(csv);
    QTRY_COMPARE(exported.count(), 1);
    QVERIFY(exported.at(0).at(0).toBool());
    QVERIFY(history.exportResult().startsWith(QStringLiteral("9 transaction")));
    QFile f(csv);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray bytes = f.readAll();
    f.close();
    QVERIFY(bytes.startsWith("\xEF\xBB\xBF")); // UTF-8 with a byte order mark (issue 17 item 9)
    const QList<QByteArray> lines = bytes.mid(3).trimmed().split('\n');
    QCOMPARE(lines.size(), 10);
    QVERIFY(lines.at(0).startsWith("token_serial,type,atc,amount,"));
    QList<int> csvAtcs;
    for (const QByteArray& line : lines.mid(1)) {
        const QList<QByteArray> fields = line.split(',');
        QCOMPARE(fields.at(0), serial.toLatin1());
        QCOMPARE(fields.at(1), QByteArray("load"));
        const int atc = fields.at(2).toInt();
        csvAtcs << atc;
        QCOMPARE(fields.at(3), atc == 7 ? QByteArray("18.80") : QByteArray::number(atc) + ".00");
    }
    std::sort(csvAtcs.begin(), csvAtcs.end(), std::greater<>());
    QCOMPARE(csvAtcs, atcsWhere(isLoad));

    history.exportCsv(QStringLiteral("/nonexistent-dir/x.csv"));
    QTRY_COMPARE(exported.count(), 2);
    QVERIFY(!exported.at(1).at(0).toBool());
    QVERIFY(history.exportResult().startsWith(QStringLiteral("The export failed")));
    // An existing file is never replaced unless asked (the page asks the user first).
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write("kept");
    f.close();
    history.exportCsv(csv);
    QTRY_COMPARE(exported.count(), 3);
    QVERIFY(!exported.at(2).at(0).toBool());
    QVERIFY(history.exportResult().contains(QStringLiteral("already exists")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray("kept"));
    f.close();
    history.exportCsv(csv, true);
    QTRY_COMPARE(exported.count(), 4);
    QVERIFY(exported.at(3).at(0).toBool());

    // The export honours the text search too (issue 17): exactly the rows the page lists, in its order. "18.80"
    // over all types is the canteen payment and the load; with the payments filter, the canteen payment alone.
    const auto csvAtcsOf = [](const QString& path) {
        QFile in(path);
        QList<int> atcs;
        if (!in.open(QIODevice::ReadOnly)) {
            return atcs;
        }
        const QList<QByteArray> rows = in.readAll().mid(3).trimmed().split('\n');
        for (const QByteArray& line : rows.mid(1)) {
            atcs << line.split(',').at(2).toInt();
        }
        return atcs;
    };
    history.setTypeFilter(0);
    history.setSearch(QStringLiteral("18.80"));
    QVERIFY(queryDone(history));
    QCOMPARE(shownAtcs(history), (QList<int>{100, 7}));
    const QString searched = dir.filePath(QStringLiteral("searched.csv"));
    history.exportCsv(searched);
    QTRY_COMPARE(exported.count(), 5);
    QVERIFY(exported.at(4).at(0).toBool());
    QVERIFY(history.exportResult().startsWith(QStringLiteral("2 transaction")));
    QCOMPARE(csvAtcsOf(searched), shownAtcs(history));
    history.setTypeFilter(2);
    QVERIFY(queryDone(history));
    QCOMPARE(shownAtcs(history), QList<int>{100});
    history.exportCsv(searched, true);
    QTRY_COMPARE(exported.count(), 6);
    QCOMPARE(csvAtcsOf(searched), QList<int>{100});
    QFile canteen(searched);
    QVERIFY(canteen.open(QIODevice::ReadOnly));
    QVERIFY(canteen.readAll().contains("Campus Canteen \xC2\xB7 #A-1024"));
}

QTEST_GUILESS_MAIN(TestWalletSession)
#include "TestWalletSession.moc"
