// SPDX-License-Identifier: Apache-2.0
// The SQLite mirror: a sync of 10,000 token records (new rows, one durable transaction), its replay (0 changes),
// and a 1,000,000-row mirror (10 tokens × 100,000 rows) filled through sync().
// Then the sync of 10,000 new records into the filled mirror, and where that time goes: the same inserts on a
// second connection (through Qt Sql, so slower than sync()'s C API), timed per phase (BEGIN, the INSERTs, COMMIT =
// WAL append + fsync, the checkpoint) and with each secondary index dropped inside a transaction that is rolled back
// (what the insert path pays per index). Last, the queries the wallet issues on that mirror, each with its plan.
// Usage: bench_core_mirror [rows=1000000]
#include "core/storage/TransactionStore.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QVariant>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <functional>
#include <vector>

using namespace wallet::core;

namespace {

std::vector<TransactionRecord> records(int first, int count)
{
    std::vector<TransactionRecord> out;
    out.reserve(static_cast<std::size_t>(count));
    for (int i = first; i < first + count; ++i) {
        QByteArray raw;
        appendU16(raw, static_cast<std::uint16_t>((i / 2) & 0xFFFF));
        raw.append(QByteArray(3, '\0'));
        appendU32(raw, static_cast<std::uint32_t>(100 + (i % 50000)));
        raw.append(static_cast<char>(i % 2 == 0 ? 0x02 : 0x06));
        raw.append(QByteArray::fromHex("112233445566"));
        raw.append(bcdDate(QDate(2020, 1, 1).addDays(i / 500)));
        raw.append(bcdTime(QTime(0, 0).addSecs((i * 7) % 86400)));
        out.push_back(*TransactionRecord::decode(raw));
    }
    return out;
}

double medianMs(const std::function<void()>& f, int reps)
{
    std::vector<double> v;
    QElapsedTimer t;
    for (int i = 0; i < reps; ++i) {
        t.start();
        f();
        v.push_back(static_cast<double>(t.nsecsElapsed()) / 1e6);
    }
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

double msSince(const QElapsedTimer& t)
{
    return static_cast<double>(t.nsecsElapsed()) / 1e6;
}

/// Process CPU time in ms: on a shared, loaded machine the wall-clock figures include waiting for a core.
double cpuMs()
{
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

bool run(QSqlDatabase& db, const QString& sql)
{
    QSqlQuery q(db);
    return q.exec(sql);
}

double lastInsertCpuMs = 0; ///< of the last insertPhase()

/// The mirror's insert (as TransactionStore::sync binds it) for `records`, on `db`, inside the caller's transaction.
double insertPhase(QSqlDatabase& db, const QString& token, const std::vector<TransactionRecord>& batch)
{
    QElapsedTimer t;
    t.start();
    const double cpu0 = cpuMs();
    QSqlQuery insert(db);
    (void)insert.prepare(
        QStringLiteral("INSERT INTO txlog (token_serial, type, atc, amount, terminal_id, ts, record)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (token_serial, type, atc) DO NOTHING"));
    for (const TransactionRecord& r : batch) {
        insert.addBindValue(token);
        insert.addBindValue(static_cast<int>(r.rawType));
        insert.addBindValue(static_cast<int>(r.atc));
        insert.addBindValue(static_cast<qint64>(r.amount.fen()));
        insert.addBindValue(r.terminalId);
        insert.addBindValue(r.when.toString(Qt::ISODate));
        insert.addBindValue(r.raw);
        (void)insert.exec();
    }
    lastInsertCpuMs = cpuMs() - cpu0;
    return msSince(t);
}

/// Where the time of a 10,000-record sync into `path` goes (see the file comment). Uses new token serials.
void breakdown(const QString& path)
{
    const QString name = QStringLiteral("bench-breakdown");
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path);
        (void)db.open();
        (void)run(db, QStringLiteral("PRAGMA journal_mode=WAL"));
        (void)run(db, QStringLiteral("PRAGMA synchronous=FULL"));
        (void)run(db, QStringLiteral("PRAGMA cache_size=-32768")); // as TransactionStore::open
        const auto batch = records(0, 10000);
        // Durable, with phases: BEGIN / inserts / COMMIT / checkpoint (PASSIVE, what the auto-checkpoint does).
        QElapsedTimer t;
        t.start();
        (void)run(db, QStringLiteral("BEGIN IMMEDIATE"));
        const double begin = msSince(t);
        const double inserts = insertPhase(db, QStringLiteral("PHASE0001"), batch);
        t.start();
        double c0 = cpuMs();
        (void)run(db, QStringLiteral("PRAGMA wal_autocheckpoint=0")); // measured apart just below
        (void)run(db, QStringLiteral("COMMIT"));
        const double commit = msSince(t);
        const double commitCpu = cpuMs() - c0;
        t.start();
        c0 = cpuMs();
        (void)run(db, QStringLiteral("PRAGMA wal_checkpoint(PASSIVE)"));
        const double checkpoint = msSince(t);
        const double checkpointCpu = cpuMs() - c0;
        (void)run(db, QStringLiteral("PRAGMA wal_autocheckpoint=1000"));
        const double insertsCpu = lastInsertCpuMs;
        std::printf(
            "  breakdown: BEGIN %.1f ms, 10,000 INSERTs %.1f ms [%.1f ms cpu], COMMIT (WAL write + fsync) %.1f ms "
            "[%.1f ms cpu], checkpoint %.1f ms [%.1f ms cpu]\n",
            begin,
            inserts,
            insertsCpu,
            commit,
            commitCpu,
            checkpoint,
            checkpointCpu);
        // Index cost: the same inserts with one secondary index dropped, rolled back (nothing written). The indexes
        // are the file's own (schema 5 keeps txlog_token_ts; schema 4 also had txlog_ts and txlog_amount).
        QStringList indexes;
        {
            QSqlQuery q(db);
            (void)q.exec(QStringLiteral(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'txlog' AND sql IS NOT NULL"));
            while (q.next()) {
                indexes << q.value(0).toString();
            }
        }
        (void)run(db, QStringLiteral("BEGIN"));
        const double all = insertPhase(db, QStringLiteral("PHASE0002"), batch);
        (void)run(db, QStringLiteral("ROLLBACK"));
        std::printf("  INSERTs only, rolled back: all indexes %.1f ms [%.1f ms cpu]", all, lastInsertCpuMs);
        for (const QString& index : indexes) {
            (void)run(db, QStringLiteral("BEGIN"));
            (void)run(db, QStringLiteral("DROP INDEX ") + index);
            const double without = insertPhase(db, QStringLiteral("PHASE0002"), batch);
            (void)run(db, QStringLiteral("ROLLBACK"));
            std::printf(", without %s %.1f ms [%.1f ms cpu]", qPrintable(index), without, lastInsertCpuMs);
        }
        (void)run(db, QStringLiteral("BEGIN"));
        for (const QString& index : indexes) {
            (void)run(db, QStringLiteral("DROP INDEX ") + index);
        }
        const double none = insertPhase(db, QStringLiteral("PHASE0002"), batch);
        (void)run(db, QStringLiteral("ROLLBACK"));
        std::printf(", without all %lld secondary %.1f ms [%.1f ms cpu]\n",
            static_cast<long long>(indexes.size()),
            none,
            lastInsertCpuMs);
        // The binding and statement overhead alone: the same loop into an empty in-memory table.
        QSqlDatabase mem = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name + QStringLiteral("-mem"));
        mem.setDatabaseName(QStringLiteral(":memory:"));
        (void)mem.open();
        (void)run(mem,
            QStringLiteral("CREATE TABLE txlog (token_serial TEXT, type INTEGER, atc INTEGER, amount INTEGER,"
                           " terminal_id BLOB, ts TEXT, record BLOB, UNIQUE (token_serial, type, atc))"));
        (void)run(mem, QStringLiteral("BEGIN"));
        const double bound = insertPhase(mem, QStringLiteral("PHASE0003"), batch);
        (void)run(mem, QStringLiteral("COMMIT"));
        std::printf(
            "  same INSERT loop into an empty in-memory table (Qt binding + statement cost): %.1f ms [%.1f ms cpu]\n",
            bound,
            lastInsertCpuMs);
        mem.close();
        db.close();
    }
    QSqlDatabase::removeDatabase(name + QStringLiteral("-mem"));
    QSqlDatabase::removeDatabase(name);
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const int rows = argc > 1 ? std::max(20000, std::atoi(argv[1])) : 1000000;
    QTemporaryDir dir;
    {
        auto store = TransactionStore::open(dir.filePath(QStringLiteral("sync.sqlite"))).value();
        const auto batch = records(0, 10000);
        QElapsedTimer t;
        t.start();
        const double cpu0 = cpuMs();
        const int added = store->sync(QStringLiteral("534B000000000001"), batch).value();
        const double ms = static_cast<double>(t.nsecsElapsed()) / 1e6;
        std::printf("sync of 10,000 new records: %.1f ms (%d added, %.0f records/s; %.1f ms cpu)\n",
            ms,
            added,
            10000.0 / ms * 1000.0,
            cpuMs() - cpu0);
        t.start();
        const int again = store->sync(QStringLiteral("534B000000000001"), batch).value();
        const double ms2 = static_cast<double>(t.nsecsElapsed()) / 1e6;
        std::printf("replay of the same 10,000 records: %.1f ms (%d added)\n", ms2, again);
    }
    auto store = TransactionStore::open(dir.filePath(QStringLiteral("big.sqlite"))).value();
    QElapsedTimer fill;
    fill.start();
    // 65,536 ATC values per type per token: spread 1M rows over tokens like a shop's many customers.
    constexpr int kPerToken = 100000;
    for (int first = 0; first < rows; first += 10000) {
        const QString token = QStringLiteral("TOKEN%1").arg(first / kPerToken, 4, 10, QLatin1Char('0'));
        (void)store->sync(token, records(first % kPerToken, 10000));
    }
    std::printf("filled %d rows in %.1f s\n", rows, static_cast<double>(fill.elapsed()) / 1000.0);
    {
        std::vector<double> v;
        std::vector<double> cpu;
        std::vector<double> ck;
        std::vector<double> ckCpu;
        std::printf("sync path: %s\n",
            store->nativeSync() ? "sqlite3 C API, checkpoint after sync() returns"
                                : qPrintable(QStringLiteral("Qt Sql (") + store->nativeSyncProblem()
                                    + QStringLiteral("), auto-checkpoint inside sync()")));
        for (int rep = 0; rep < 5; ++rep) {
            const auto batch = records(0, 10000);
            QElapsedTimer t;
            t.start();
            const double cpu0 = cpuMs();
            (void)store->sync(QStringLiteral("NEWTOKEN%1").arg(rep), batch);
            v.push_back(msSince(t));
            cpu.push_back(cpuMs() - cpu0);
            // The WAL checkpoint runs after sync() returns (WalCheckpointer): wait for it outside the timed part,
            // so that it neither overlaps the next sync nor counts in its CPU time; its own time is printed.
            t.start();
            const double ckCpu0 = cpuMs();
            (void)store->waitForCheckpoint();
            ck.push_back(msSince(t));
            ckCpu.push_back(cpuMs() - ckCpu0);
        }
        std::sort(ck.begin(), ck.end());
        std::sort(ckCpu.begin(), ckCpu.end());
        std::sort(v.begin(), v.end());
        std::sort(cpu.begin(), cpu.end());
        std::printf("sync of 10,000 new records into the %d-row mirror: median %.1f ms (min %.1f, max %.1f, of 5;"
                    " cpu median %.1f ms)\n",
            rows,
            v[2],
            v[0],
            v[4],
            cpu[2]);
        std::printf("  then waited for its checkpoint (off the caller's path): median %.1f ms (cpu %.1f ms)\n",
            ck[2],
            ckCpu[2]);
    }
    breakdown(dir.filePath(QStringLiteral("big.sqlite")));
    // The queries the wallet issues (GUI history page and its count, its search window, the overview, walletctl
    // history / export): all for the key that is plugged in, so always with token_serial. Each line: median time
    // and the plan of its two statements (rows, count), so a slower plan shows up next to its figure.
    auto page = [&](const char* what, const HistoryQuery& q, int reps) {
        const double rowsMs = medianMs([&] { (void)store->history(q); }, reps);
        const double countMs = medianMs([&] { (void)store->count(q); }, reps);
        const auto plan = store->queryPlan(q);
        std::printf("  %-58s page %7.3f ms, count %7.3f ms  [%s]\n",
            what,
            rowsMs,
            countMs,
            plan ? qPrintable(plan->join(QStringLiteral("; "))) : "no plan");
    };
    std::printf("history queries of the wallet (token TOKEN0003, 100,000 of the %d rows):\n", rows);
    HistoryQuery q;
    q.tokenSerial = QStringLiteral("TOKEN0003");
    q.limit = 20; // HistoryViewModel::kPageSize
    page("history page 1 (newest 20)", q, 50);
    q.offset = 200;
    page("history page 11", q, 50);
    q.offset = 0;
    q.type = TransactionType::Purchase;
    page("purchases, page 1", q, 50);
    q.type.reset();
    q.from = QDate(2020, 3, 1);
    q.to = QDate(2020, 3, 31);
    page("one month, page 1", q, 50);
    q.type = TransactionType::Load;
    page("loads in one month, page 1", q, 50);
    q = {};
    q.tokenSerial = QStringLiteral("TOKEN0003");
    q.limit = 5; // OverviewViewModel::kRecentCount
    page("overview (newest 5)", q, 50);
    q.limit = 1000; // HistoryViewModel::kSearchWindow
    page("text search window (newest 1,000)", q, 10);
    auto exportCsv = [&](const char* what, const HistoryQuery& query, const QString& file) {
        const double cpu0 = cpuMs();
        QElapsedTimer t;
        t.start();
        const auto n = store->exportCsv(query, dir.filePath(file));
        std::printf("  CSV export of %s (%lld rows): %.1f ms (%.1f ms cpu)\n",
            what,
            static_cast<long long>(n ? *n : -1),
            msSince(t),
            cpuMs() - cpu0);
    };
    q = {};
    q.tokenSerial = QStringLiteral("TOKEN0003");
    q.from = QDate(2020, 3, 1);
    q.to = QDate(2020, 3, 31);
    exportCsv("one month of the token", q, QStringLiteral("month.csv"));
    q.from.reset();
    q.to.reset();
    exportCsv("the whole token", q, QStringLiteral("token.csv"));
    std::printf("queries no caller issues (all tokens; amount filter), API only:\n");
    HistoryQuery all;
    all.limit = 50;
    page("all tokens, newest 50", all, 5);
    all.type = TransactionType::Purchase;
    all.from = QDate(2020, 3, 1);
    all.to = QDate(2020, 3, 31);
    page("all tokens, purchases in one month, 50", all, 5);
    all = {};
    all.minAmount = Amount(1000);
    all.maxAmount = Amount(1100);
    all.limit = 50;
    page("all tokens, amount 10.00..11.00, 50", all, 5);
    return 0;
}
