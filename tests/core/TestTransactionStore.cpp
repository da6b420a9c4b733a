// SPDX-License-Identifier: Apache-2.0
// The SQLite mirror: idempotent sync, local rows completed by the sync, queries (type, dates, amounts, paging),
// CSV export, schema versioning (a newer schema is refused untouched), corrupt and locked files, no secrets stored,
// and SIGKILL of a syncing child process at many random points.
#include "core/issuer/LocalIssuerHost.h"
#include "core/keystore/KeyStore.h"
#include "core/psam/LocalPsam.h"
#include "core/storage/Sqlite.h"
#include "core/storage/TransactionStore.h"
#include "support/Vectors.h"

#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>

using namespace wallet::core;

std::vector<TransactionRecord> tokenLog(int n); // MirrorSyncHelper.cpp (same generator as the helper)

class TestTransactionStore : public QObject
{
    Q_OBJECT

private slots:
    void replayChangesNothing();
    void localRowsAreCompletedBySync();
    void queries();
    void csvExport();
    void newerSchemaRefusedUntouched();
    void olderSchemaMigratesForward();
    void corruptFileIsAClearError();
    void damagedFileAdviceFitsTheFile();
    void lockedFileIsAClearError();
    void noSecretColumns();
    void sigkillDuringSync();
};

void TestTransactionStore::replayChangesNothing()
{
    QTemporaryDir dir;
    auto store = TransactionStore::open(dir.filePath(QStringLiteral("m.sqlite")));
    CORE_VERIFY_OK(store);
    const auto log = tokenLog(40);
    auto first = (*store)->sync(QStringLiteral("AA"), log);
    CORE_VERIFY_OK(first);
    QCOMPARE(*first, 40);
    for (int i = 0; i < 3; ++i) {
        auto again = (*store)->sync(QStringLiteral("AA"), log);
        CORE_VERIFY_OK(again);
        QCOMPARE(*again, 0);
    }
    QCOMPARE(*(*store)->count(HistoryQuery{}), qint64(40));
    // The same records from another token are other rows.
    QCOMPARE(*(*store)->sync(QStringLiteral("BB"), log), 40);
    HistoryQuery q;
    q.tokenSerial = QStringLiteral("AA");
    QCOMPARE(*(*store)->count(q), qint64(40));
    // A cyclic log that moved on: only the new record is added.
    auto longer = tokenLog(41);
    QCOMPARE(*(*store)->sync(QStringLiteral("AA"), std::vector<TransactionRecord>(longer.end() - 10, longer.end())), 1);
}

void TestTransactionStore::localRowsAreCompletedBySync()
{
    QTemporaryDir dir;
    auto store = TransactionStore::open(dir.filePath(QStringLiteral("m.sqlite")));
    CORE_VERIFY_OK(store);
    const auto log = tokenLog(2);
    StoredTransaction t;
    t.tokenSerial = QStringLiteral("AA");
    t.type = log[1].type;
    t.atc = log[1].atc;
    t.amount = log[1].amount;
    t.terminalId = log[1].terminalId;
    t.when = log[1].when;
    t.tac = QByteArray::fromHex("01020304");
    t.mac2 = QByteArray::fromHex("05060708");
    t.tsn = 9;
    t.balanceAfter = Amount(777);
    t.merchant = QStringLiteral("Café, \"Zhang\"");
    CORE_VERIFY_OK((*store)->recordLocal(t));
    CORE_VERIFY_OK((*store)->recordLocal(t)); // idempotent
    QCOMPARE(*(*store)->sync(QStringLiteral("AA"), log), 1);
    auto rows = (*store)->history(HistoryQuery{});
    CORE_VERIFY_OK(rows);
    QCOMPARE(rows->size(), std::size_t(2));
    const auto& local = rows->at(0).atc == t.atc && rows->at(0).type == t.type ? rows->at(0) : rows->at(1);
    QVERIFY(local.madeHere);
    QCOMPARE(local.record, log[1].raw);
    QCOMPARE(local.tac, t.tac);
    QCOMPARE(local.tsn, 9u);
    QCOMPARE(local.balanceAfter->fen(), 777u);
}

void TestTransactionStore::queries()
{
    QTemporaryDir dir;
    auto store = TransactionStore::open(dir.filePath(QStringLiteral("m.sqlite")));
    CORE_VERIFY_OK(store);
    const auto log = tokenLog(100); // dates 2026-01-01 .. 2026-01-10, 10 per day; even = load
    QCOMPARE(*(*store)->sync(QStringLiteral("AA"), log), 100);
    HistoryQuery q;
    q.type = TransactionType::Load;
    QCOMPARE(*(*store)->count(q), qint64(50));
    q = {};
    q.from = QDate(2026, 1, 3);
    q.to = QDate(2026, 1, 4);
    QCOMPARE(*(*store)->count(q), qint64(20));
    q = {};
    q.minAmount = Amount(150);
    q.maxAmount = Amount(159);
    QCOMPARE(*(*store)->count(q), qint64(10));
    // Paging: newest first, pages do not overlap and cover everything.
    q = {};
    q.limit = 30;
    QSet<QString> seen;
    QDateTime previous = QDateTime(QDate(2100, 1, 1), QTime(0, 0));
    for (q.offset = 0; q.offset < 120; q.offset += 30) {
        auto page = (*store)->history(q);
        CORE_VERIFY_OK(page);
        QVERIFY(page->size() <= 30u);
        for (const auto& t : *page) {
            QVERIFY(t.when <= previous);
            previous = t.when;
            seen.insert(QStringLiteral("%1-%2").arg(static_cast<int>(t.type)).arg(t.atc));
        }
    }
    QCOMPARE(seen.size(), 100);
    q.limit = 0;
    QVERIFY(!(*store)->history(q).ok());
}

void TestTransactionStore::csvExport()
{
    QTemporaryDir dir;
    auto store = TransactionStore::open(dir.filePath(QStringLiteral("m.sqlite")));
    CORE_VERIFY_OK(store);
    QCOMPARE(*(*store)->sync(QStringLiteral("AA"), tokenLog(2500)), 2500);
    const QString path = dir.filePath(QStringLiteral("out.csv"));
    auto n = (*store)->exportCsv(HistoryQuery{}, path);
    CORE_VERIFY_OK(n);
    QCOMPARE(*n, qint64(2500));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = f.readAll().split('\n');
    QCOMPARE(lines.size(), 2502); // header + rows + trailing empty
    QVERIFY(lines.at(0).startsWith("token_serial,type,atc,amount"));
    QVERIFY(lines.at(1).contains(",purchase,") || lines.at(1).contains(",load,"));
    QVERIFY(!(*store)->exportCsv(HistoryQuery{}, dir.filePath(QStringLiteral("no/such/dir/x.csv"))).ok());
}

void TestTransactionStore::newerSchemaRefusedUntouched()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("m.sqlite"));
    {
        auto store = TransactionStore::open(path);
        CORE_VERIFY_OK(store);
        QCOMPARE(*(*store)->sync(QStringLiteral("AA"), tokenLog(5)), 5);
    }
    {
        auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("bump"));
        db.setDatabaseName(path);
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.exec(QStringLiteral("PRAGMA user_version=%1").arg(TransactionStore::kSchemaVersion + 1)));
        q = QSqlQuery();
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("bump"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray before = f.readAll();
    f.close();
    auto refused = TransactionStore::open(path);
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error().code, ErrorCode::StorageError);
    QVERIFY(refused.error().detail.contains(QStringLiteral("newer version")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), before);
}

void TestTransactionStore::olderSchemaMigratesForward()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("m.sqlite"));
    {
        // A version-1 file as the first release wrote it, with one row.
        auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("v1"));
        db.setDatabaseName(path);
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.exec(QStringLiteral(
            "CREATE TABLE txlog (id INTEGER PRIMARY KEY, token_serial TEXT NOT NULL, type INTEGER NOT NULL,"
            " atc INTEGER NOT NULL, amount INTEGER NOT NULL, terminal_id BLOB, ts TEXT, record BLOB,"
            " balance_after INTEGER, tac BLOB, mac2 BLOB, tsn INTEGER, made_here INTEGER NOT NULL DEFAULT 0,"
            " UNIQUE (token_serial, type, atc))")));
        QVERIFY(q.exec(QStringLiteral("CREATE TABLE sync_state (token_serial TEXT PRIMARY KEY, last_sync TEXT NOT NULL,"
                                      " records_seen INTEGER NOT NULL)")));
        QVERIFY(q.exec(QStringLiteral(
            "INSERT INTO txlog (token_serial, type, atc, amount, ts) VALUES ('AA', 6, 0, 5, '2026-01-01T00:00:00')")));
        QVERIFY(q.exec(QStringLiteral("PRAGMA user_version=1")));
        q = QSqlQuery();
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("v1"));
    auto store = TransactionStore::open(path);
    CORE_VERIFY_OK(store);
    QCOMPARE(*(*store)->count(HistoryQuery{}), qint64(1));
    StoredTransaction t;
    t.tokenSerial = QStringLiteral("AA");
    t.type = TransactionType::Purchase;
    t.atc = 0;
    t.amount = Amount(5);
    t.merchant = QStringLiteral("after migration"); // column added by step 2
    CORE_VERIFY_OK((*store)->recordLocal(t));
    QCOMPARE((*store)->history(HistoryQuery{})->at(0).merchant, QStringLiteral("after migration"));
}

void TestTransactionStore::damagedFileAdviceFitsTheFile()
{
    // Issue 9 item 17: "move it away" is right for the mirror (rebuilt from the keys' logs) and wrong for the PSAM
    // and the issuer ledger (unsettled purchases, loads and the TSN would be lost).
    QTemporaryDir dir;
    const auto garbage = [&](const char* name) {
        const QString path = dir.filePath(QLatin1String(name));
        QFile g(path);
        if (g.open(QIODevice::WriteOnly)) {
            g.write(QByteArray(8192, 'x'));
        }
        return path;
    };
    auto mirror = TransactionStore::open(garbage("mirror.sqlite"));
    QVERIFY(!mirror.ok());
    QVERIFY2(mirror.error().detail.contains(QStringLiteral("move it away")), qPrintable(mirror.error().detail));
    auto psam = LocalPsam::open(garbage("psam.sqlite"), QByteArray::fromHex("112233445566"), KeyStore::demoKeys().mpk);
    auto ledger = LocalIssuerHost::open(garbage("ledger.sqlite"), KeyStore::demoKeys());
    QVERIFY(!psam.ok());
    QVERIFY(!ledger.ok());
    for (const Error& e : {psam.error(), ledger.error()}) {
        QCOMPARE(e.code, ErrorCode::StorageError);
        QVERIFY2(!e.detail.contains(QStringLiteral("move it away")), qPrintable(e.detail));
        QVERIFY2(e.detail.contains(QStringLiteral("Do not delete, move or replace it")), qPrintable(e.detail));
    }
}

void TestTransactionStore::corruptFileIsAClearError()
{
    QTemporaryDir dir;
    const QString garbage = dir.filePath(QStringLiteral("garbage.sqlite"));
    QFile g(garbage);
    QVERIFY(g.open(QIODevice::WriteOnly));
    g.write(QByteArray(8192, 'x'));
    g.close();
    auto r = TransactionStore::open(garbage);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, ErrorCode::StorageError);
    QVERIFY2(r.error().detail.contains(QStringLiteral("damaged")), qPrintable(r.error().detail));

    // A real database whose pages were overwritten in the middle.
    const QString path = dir.filePath(QStringLiteral("m.sqlite"));
    {
        auto store = TransactionStore::open(path);
        CORE_VERIFY_OK(store);
        QCOMPARE(*(*store)->sync(QStringLiteral("AA"), tokenLog(3000)), 3000);
    }
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadWrite));
    QVERIFY(f.size() > 3 * 4096);
    f.seek(4096);
    f.write(QByteArray(2 * 4096, '\xA5'));
    f.close();
    auto damaged = TransactionStore::open(path);
    if (damaged) {
        // The header page survived: opening works, but the check or a query reports the damage clearly.
        auto check = (*damaged)->check();
        auto rows = (*damaged)->history(HistoryQuery{});
        QVERIFY(!check.ok() || !rows.ok());
        const Error e = !check.ok() ? check.error() : rows.error();
        QCOMPARE(e.code, ErrorCode::StorageError);
    } else {
        QCOMPARE(damaged.error().code, ErrorCode::StorageError);
    }
}

void TestTransactionStore::lockedFileIsAClearError()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("m.sqlite"));
    auto store = TransactionStore::open(path);
    CORE_VERIFY_OK(store);
    // Another process holds an exclusive lock (here: another connection in EXCLUSIVE locking mode mid-write).
    auto other = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("locker"));
    other.setDatabaseName(path);
    other.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=0"));
    QVERIFY(other.open());
    {
        QSqlQuery q(other);
        QVERIFY(q.exec(QStringLiteral("BEGIN EXCLUSIVE")));
        QVERIFY(q.exec(QStringLiteral("INSERT INTO sync_state VALUES ('X', 'now', 1)")));
    }
    auto r = (*store)->sync(QStringLiteral("AA"), tokenLog(3)); // waits the busy timeout, then a clear error
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, ErrorCode::StorageError);
    QVERIFY2(r.error().detail.contains(QStringLiteral("another program")), qPrintable(r.error().detail));
    {
        QSqlQuery q(other);
        QVERIFY(q.exec(QStringLiteral("ROLLBACK")));
    }
    other.close();
    other = QSqlDatabase();
    QSqlDatabase::removeDatabase(QStringLiteral("locker"));
    QCOMPARE(*(*store)->sync(QStringLiteral("AA"), tokenLog(3)), 3); // nothing half-written before
}

void TestTransactionStore::noSecretColumns()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("m.sqlite"));
    auto store = TransactionStore::open(path);
    CORE_VERIFY_OK(store);
    auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("schema"));
    db.setDatabaseName(path);
    QVERIFY(db.open());
    {
        QSqlQuery q(db);
        QVERIFY(q.exec(QStringLiteral("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL")));
        while (q.next()) {
            const QString sql = q.value(0).toString().toLower();
            QVERIFY2(!sql.contains(QStringLiteral("pin")) && !sql.contains(QStringLiteral("key "))
                    && !sql.contains(QStringLiteral("secret")),
                qPrintable(sql));
        }
    }
    db.close();
    db = QSqlDatabase();
    QSqlDatabase::removeDatabase(QStringLiteral("schema"));
}

void TestTransactionStore::sigkillDuringSync()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("m.sqlite"));
    const QString helper = QCoreApplication::applicationDirPath() + QStringLiteral("/test_core_mirror_sync_helper");
    QVERIFY2(QFile::exists(helper), qPrintable(helper));
    constexpr int kRecords = 300;
    const auto log = tokenLog(kRecords);
    auto* rng = QRandomGenerator::global();
    constexpr int kKills = 40;
    int killedMidWrite = 0;
    for (int round = 0; round < kKills; ++round) {
        QProcess child;
        child.start(helper, {path, QString::number(kRecords), QStringLiteral("AA")});
        QVERIFY(child.waitForStarted(5000));
        QVERIFY(child.waitForReadyRead(10000)); // "ready"
        // Let it commit a random number of batches (0..5), then run a random 0..15 ms more, then SIGKILL.
        const int commits = static_cast<int>(rng->bounded(6));
        QByteArray outSoFar;
        while (outSoFar.count("synced") < commits && child.state() == QProcess::Running) {
            child.waitForReadyRead(2000);
            outSoFar += child.readAllStandardOutput();
        }
        QThread::usleep(rng->bounded(15000));
        outSoFar += child.readAllStandardOutput();
        ::kill(static_cast<pid_t>(child.processId()), SIGKILL);
        QVERIFY(child.waitForFinished(5000));
        killedMidWrite += outSoFar.count("synced") > 0 ? 1 : 0;

        // Restart: the mirror opens, passes its check, has no duplicate, and a sync completes it to the log.
        auto store = TransactionStore::open(path);
        CORE_VERIFY_OK(store);
        CORE_VERIFY_OK((*store)->check());
        const auto before = (*store)->count(HistoryQuery{});
        CORE_VERIFY_OK(before);
        QVERIFY(*before <= kRecords);
        auto added = (*store)->sync(QStringLiteral("AA"), log);
        CORE_VERIFY_OK(added);
        QCOMPARE(*before + *added, qint64(kRecords));
        QCOMPARE(*(*store)->count(HistoryQuery{}), qint64(kRecords));
        // Every token record is there exactly once, byte for byte.
        HistoryQuery all;
        all.limit = 1000;
        auto rows = (*store)->history(all);
        CORE_VERIFY_OK(rows);
        QSet<QByteArray> raws;
        for (const auto& r : *rows) {
            raws.insert(r.record);
        }
        QCOMPARE(raws.size(), kRecords);
        for (const auto& r : log) {
            QVERIFY(raws.contains(r.raw));
        }
        store->reset();
        if (round % 2 == 1) { // half of the rounds start again from an empty mirror
            QFile::remove(path);
            QFile::remove(path + QStringLiteral("-wal"));
            QFile::remove(path + QStringLiteral("-shm"));
        }
    }
    qInfo("SIGKILLed the syncing helper %d times (%d after at least one commit)", kKills, killedMidWrite);
}

QTEST_GUILESS_MAIN(TestTransactionStore)
#include "TestTransactionStore.moc"
