// SPDX-License-Identifier: Apache-2.0
// The SQLite mirror: idempotent sync, local rows completed by the sync, queries (type, dates, amounts, paging),
// CSV export, schema versioning (a newer schema is refused untouched), corrupt and locked files, no secrets stored,
// and SIGKILL of a child process in the middle of a large sync, every round (seeded; the seed is printed).
#include "core/issuer/LocalIssuerHost.h"
#include "core/keystore/KeyStore.h"
#include "core/psam/LocalPsam.h"
#include "core/storage/Sqlite.h"
#include "core/storage/SqliteNative.h"
#include "core/storage/TransactionStore.h"
#include "support/Skip.h"
#include "support/Vectors.h"

#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <csignal>

using namespace wallet::core;

std::vector<TransactionRecord> tokenLog(int n); // MirrorSyncHelper.cpp (same generator as the helper)

class TestTransactionStore : public QObject
{
    Q_OBJECT

private slots:
    void replayChangesNothing();
    void localRowsAreCompletedBySync();
    void largeSyncCompletesLocalRows();
    void nativeSyncOnThisBuild();
    void checkpointRunsAfterSync();
    void queries();
    void csvExport();
    void newerSchemaRefusedUntouched();
    void olderSchemaMigratesForward();
    void schema4MirrorMigratesKeepingEveryRow();
    void walletQueriesUseAnIndex();
    void storedDateTimeIsQtIsoText();
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

void TestTransactionStore::largeSyncCompletesLocalRows()
{
    // A large sync that meets rows already there (made here, or synced before) must still add the new ones, complete
    // the local ones (early and late in the batch) and count only the added; a duplicate record in the batch is one
    // row. (Guards the insert path whenever it is batched differently.)
    QTemporaryDir dir;
    auto store = TransactionStore::open(dir.filePath(QStringLiteral("m.sqlite")));
    CORE_VERIFY_OK(store);
    const auto log = tokenLog(300);
    for (const std::size_t i : {std::size_t(3), std::size_t(290)}) {
        StoredTransaction t;
        t.tokenSerial = QStringLiteral("AA");
        t.type = log[i].type;
        t.atc = log[i].atc;
        t.amount = log[i].amount;
        t.when = log[i].when;
        t.tac = QByteArray::fromHex("01020304");
        t.madeHere = true;
        CORE_VERIFY_OK((*store)->recordLocal(t));
    }
    QCOMPARE(*(*store)->sync(QStringLiteral("AA"), std::vector<TransactionRecord>(log.begin(), log.begin() + 100)), 99);
    auto batch = log;
    batch.push_back(log[150]); // the same record twice in one sync
    QCOMPARE(*(*store)->sync(QStringLiteral("AA"), batch), 199);
    QCOMPARE(*(*store)->count(HistoryQuery{}), qint64(300));
    HistoryQuery all;
    all.limit = 1000;
    auto rows = (*store)->history(all);
    CORE_VERIFY_OK(rows);
    QSet<QByteArray> raws;
    for (const StoredTransaction& r : *rows) {
        QVERIFY2(
            !r.record.isEmpty(), qPrintable(QStringLiteral("row %1/%2 was not completed").arg(r.atc).arg(int(r.type))));
        raws.insert(r.record);
    }
    QCOMPARE(raws.size(), 300);
    QCOMPARE(*(*store)->sync(QStringLiteral("AA"), batch), 0);
}

void TestTransactionStore::nativeSyncOnThisBuild()
{
    // Built with the C API (core/CMakeLists.txt found the plugin linking libsqlite3), the runtime check must accept
    // Qt's handle: otherwise sync() silently falls back to Qt Sql and issue 15's figures are not what ships.
    if (!SqliteNative::compiledIn()) {
        SKEY_SKIP(QStringLiteral("core built without the sqlite3 C API (WALLET_MIRROR_SQLITE_C_API)"));
    }
    QTemporaryDir dir;
    auto store = TransactionStore::open(dir.filePath(QStringLiteral("m.sqlite")));
    CORE_VERIFY_OK(store);
    QVERIFY2((*store)->nativeSync(), qPrintable((*store)->nativeSyncProblem()));
    // A connection that is not open is refused with a reason, never dereferenced.
    QString why;
    QVERIFY(SqliteNative::handle(QSqlDatabase(), &why) == nullptr);
    QVERIFY(!why.isEmpty());
}

void TestTransactionStore::checkpointRunsAfterSync()
{
    // The WAL is copied into the database file after sync() returns, by the checkpointer thread: once it has run,
    // the main file holds the rows (the WAL alone would leave it at its schema-only size), and a fresh connection
    // reads them back byte for byte.
    if (!SqliteNative::compiledIn()) {
        SKEY_SKIP(QStringLiteral("core built without the sqlite3 C API (WALLET_MIRROR_SQLITE_C_API)"));
    }
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("m.sqlite"));
    auto store = TransactionStore::open(path);
    CORE_VERIFY_OK(store);
    const qint64 emptySize = QFileInfo(path).size();
    const auto log = tokenLog(3000);
    QCOMPARE(*(*store)->sync(QStringLiteral("AA"), log), 3000);
    QVERIFY((*store)->waitForCheckpoint() >= 1);
    const qint64 size = QFileInfo(path).size();
    QVERIFY2(size > emptySize + 3000 * 23, qPrintable(QStringLiteral("main file %1 bytes").arg(size)));
    store->reset();
    auto again = TransactionStore::open(path);
    CORE_VERIFY_OK(again);
    HistoryQuery all;
    all.limit = 1000;
    QSet<QByteArray> raws;
    for (;; all.offset += all.limit) {
        auto page = (*again)->history(all);
        CORE_VERIFY_OK(page);
        for (const auto& r : *page) {
            raws.insert(r.record);
        }
        if (static_cast<int>(page->size()) < all.limit) {
            break;
        }
    }
    QCOMPARE(raws.size(), 3000);
    for (const auto& r : log) {
        QVERIFY(raws.contains(r.raw));
    }
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
    // Every row of the file, field by field, against what was stored: 2,500 synced records (three export pages) and
    // one purchase made here whose merchant needs CSV quoting.
    QTemporaryDir dir;
    auto store = TransactionStore::open(dir.filePath(QStringLiteral("m.sqlite")));
    CORE_VERIFY_OK(store);
    const auto log = tokenLog(2500);
    QCOMPARE(*(*store)->sync(QStringLiteral("AA"), log), 2500);
    StoredTransaction local;
    local.tokenSerial = QStringLiteral("BB");
    local.type = TransactionType::Purchase;
    local.atc = 7;
    local.amount = Amount(1880);
    local.terminalId = QByteArray::fromHex("010203040506");
    local.when = QDateTime(QDate(2026, 3, 14), QTime(10, 30, 5));
    local.balanceAfter = Amount(8120);
    local.tac = QByteArray::fromHex("A1B2C3D4");
    local.mac2 = QByteArray::fromHex("0F0E0D0C");
    local.tsn = 42;
    local.merchant = QStringLiteral("Canteen, \"North\" gate");
    CORE_VERIFY_OK((*store)->recordLocal(local));

    QSet<QByteArray> expected;
    for (int i = 0; i < 2500; ++i) {
        const int fen = 100 + i;
        const QDateTime when(QDate(2026, 1, 1).addDays(i / 10), QTime(0, 0).addSecs(i % 86400));
        expected.insert(QStringLiteral("AA,%1,%2,%3.%4,112233445566,%5,,,,,")
                            .arg(i % 2 == 0 ? QStringLiteral("load") : QStringLiteral("purchase"))
                            .arg(i / 2)
                            .arg(fen / 100)
                            .arg(fen % 100, 2, 10, QLatin1Char('0'))
                            .arg(when.toString(Qt::ISODate))
                            .toUtf8());
    }
    expected.insert("BB,purchase,7,18.80,010203040506,2026-03-14T10:30:05,81.20,A1B2C3D4,0F0E0D0C,42,"
                    "\"Canteen, \"\"North\"\" gate\"");

    const QString path = dir.filePath(QStringLiteral("out.csv"));
    auto n = (*store)->exportCsv(HistoryQuery{}, path);
    CORE_VERIFY_OK(n);
    QCOMPARE(*n, qint64(2501));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QList<QByteArray> lines = f.readAll().split('\n');
    QCOMPARE(lines.size(), 2503); // header + rows + the empty piece after the last newline
    QCOMPARE(lines.takeLast(), QByteArray());
    QCOMPARE(lines.takeFirst(),
        QByteArray("token_serial,type,atc,amount,terminal_id,date_time,balance_after,tac,mac2,tsn,merchant"));
    QSet<QByteArray> got;
    for (const QByteArray& line : lines) {
        QVERIFY2(expected.contains(line), line.constData());
        got.insert(line);
    }
    QCOMPARE(got.size(), lines.size()); // no row twice
    QCOMPARE(got, expected); // and none missing

    // A filter exports only its rows.
    HistoryQuery onlyBb;
    onlyBb.tokenSerial = QStringLiteral("BB");
    QCOMPARE(*(*store)->exportCsv(onlyBb, path), qint64(1));
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

namespace {
/// Runs `use` on a connection of its own to `path` (beside the store, or to write an old file), then removes it.
template <typename Use>
void onOwnConnection(const QString& path, Use&& use)
{
    const QString name = QStringLiteral("direct");
    {
        auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path);
        if (db.open()) {
            QSqlQuery q(db);
            use(q);
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
}

/// Every row of every table (txlog in id order, sync_state, pending_ops), each as one line: what a migration must keep.
QStringList dumpRows(const QString& path)
{
    QStringList out;
    onOwnConnection(path, [&out](QSqlQuery& q) {
        for (const QString& sql : {QStringLiteral("SELECT * FROM txlog ORDER BY id"),
                 QStringLiteral("SELECT * FROM sync_state ORDER BY token_serial"),
                 QStringLiteral("SELECT * FROM pending_ops ORDER BY token_serial, type, atc")}) {
            if (!q.exec(sql)) {
                out << QStringLiteral("failed: ") + sql;
                continue;
            }
            while (q.next()) {
                QStringList fields;
                for (int i = 0; i < q.record().count(); ++i) {
                    const QVariant v = q.value(i);
                    fields << (v.isNull()                         ? QStringLiteral("NULL")
                            : v.typeId() == QMetaType::QByteArray ? QString::fromLatin1(v.toByteArray().toHex())
                                                                  : v.toString());
                }
                out << fields.join(QLatin1Char('|'));
            }
        }
    });
    return out;
}

QStringList indexesOf(const QString& path)
{
    QStringList out;
    onOwnConnection(path, [&out](QSqlQuery& q) {
        if (q.exec(QStringLiteral(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'txlog' ORDER BY name"))) {
            while (q.next()) {
                out << q.value(0).toString();
            }
        }
    });
    return out;
}
} // namespace

void TestTransactionStore::schema4MirrorMigratesKeepingEveryRow()
{
    // A mirror as schema 4 left it (written by the store of that release: the statements of steps 1-4, byte for
    // byte, user_version 4), holding synced rows of two keys, a purchase made here and a pending operation. Schema 5
    // drops the two indexes no query used; every row must survive, and the file must keep working.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("m.sqlite"));
    const QStringList schema4{
        QStringLiteral("CREATE TABLE txlog ( id INTEGER PRIMARY KEY, token_serial TEXT NOT NULL, type INTEGER NOT NULL,"
                       " atc INTEGER NOT NULL CHECK (atc BETWEEN 0 AND 65535), amount INTEGER NOT NULL CHECK (amount"
                       " BETWEEN 0 AND 4294967295), terminal_id BLOB, ts TEXT, record BLOB, balance_after INTEGER,"
                       " tac BLOB, mac2 BLOB, tsn INTEGER, made_here INTEGER NOT NULL DEFAULT 0,"
                       " UNIQUE (token_serial, type, atc))"),
        QStringLiteral("CREATE TABLE sync_state (token_serial TEXT PRIMARY KEY, last_sync TEXT NOT NULL,"
                       " records_seen INTEGER NOT NULL)"),
        QStringLiteral("ALTER TABLE txlog ADD COLUMN merchant TEXT"),
        QStringLiteral("CREATE INDEX txlog_ts ON txlog (ts)"),
        QStringLiteral("CREATE INDEX txlog_token_ts ON txlog (token_serial, ts)"),
        QStringLiteral("CREATE INDEX txlog_amount ON txlog (amount)"),
        QStringLiteral(
            "CREATE TABLE pending_ops ( token_serial TEXT NOT NULL, asn BLOB NOT NULL, type INTEGER NOT NULL,"
            " atc INTEGER NOT NULL CHECK (atc BETWEEN 0 AND 65535), amount INTEGER NOT NULL CHECK (amount"
            " BETWEEN 0 AND 4294967295), balance_before INTEGER NOT NULL, terminal_id BLOB NOT NULL,"
            " date BLOB NOT NULL, time BLOB NOT NULL, tsn INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL"
            " CHECK (state IN ('checking', 'done', 'not-done', 'disputed')), reason TEXT NOT NULL,"
            " created TEXT NOT NULL, resolved TEXT, UNIQUE (token_serial, type, atc))"),
        QStringLiteral("PRAGMA user_version=4"),
        QStringLiteral("BEGIN"),
        QStringLiteral("INSERT INTO txlog (token_serial, type, atc, amount, terminal_id, ts, balance_after, tac, mac2,"
                       " tsn, made_here, merchant) VALUES ('CC', 6, 9, 1880, x'010203040506', '2026-03-14T10:30:05',"
                       " 8120, x'A1B2C3D4', x'0F0E0D0C', 42, 1, 'Canteen')"),
        QStringLiteral("INSERT INTO sync_state VALUES ('AA', '2026-03-01T00:00:00Z', 1500)"),
        QStringLiteral(
            "INSERT INTO pending_ops (token_serial, asn, type, atc, amount, balance_before, terminal_id,"
            " date, time, tsn, state, reason, created) VALUES ('CC', x'0102030405060708', 6, 10, 500, 7620,"
            " x'010203040506', x'20260314', x'103100', 43, 'checking', 'no answer', '2026-03-14T10:31:00Z')"),
    };
    onOwnConnection(path, [&schema4](QSqlQuery& q) {
        for (const QString& sql : schema4) {
            QVERIFY2(q.exec(sql), qPrintable(q.lastError().text()));
        }
        // synced rows of two keys, as schema 4's sync() bound them (ts as Qt's ISO text)
        QVERIFY(q.prepare(QStringLiteral("INSERT INTO txlog (token_serial, type, atc, amount, terminal_id, ts, record)"
                                         " VALUES (?, ?, ?, ?, ?, ?, ?)")));
        for (const QString& token : {QStringLiteral("AA"), QStringLiteral("BB")}) {
            for (const TransactionRecord& r : tokenLog(1500)) {
                q.addBindValue(token);
                q.addBindValue(static_cast<int>(r.rawType));
                q.addBindValue(static_cast<int>(r.atc));
                q.addBindValue(static_cast<qint64>(r.amount.fen()));
                q.addBindValue(r.terminalId);
                q.addBindValue(r.when.toString(Qt::ISODate));
                q.addBindValue(r.raw);
                QVERIFY(q.exec());
            }
        }
        QVERIFY(q.exec(QStringLiteral("COMMIT")));
    });
    const QStringList before = dumpRows(path);
    QCOMPARE(before.size(), 3000 + 1 + 1 + 1);
    QCOMPARE(indexesOf(path),
        QStringList({QStringLiteral("sqlite_autoindex_txlog_1"),
            QStringLiteral("txlog_amount"),
            QStringLiteral("txlog_token_ts"),
            QStringLiteral("txlog_ts")}));
    {
        auto store = TransactionStore::open(path);
        CORE_VERIFY_OK(store);
        CORE_VERIFY_OK((*store)->check());
    }
    QCOMPARE(
        indexesOf(path), QStringList({QStringLiteral("sqlite_autoindex_txlog_1"), QStringLiteral("txlog_token_ts")}));
    const QStringList after = dumpRows(path);
    QCOMPARE(after.size(), before.size());
    QCOMPARE(after, before); // every row, every field
    auto store = TransactionStore::open(path); // and again: a migrated file opens as it is
    CORE_VERIFY_OK(store);
    QCOMPARE(*(*store)->sync(QStringLiteral("AA"), tokenLog(1500)), 0);
    QCOMPARE(*(*store)->sync(QStringLiteral("AA"), tokenLog(1502)), 2);
    HistoryQuery q;
    q.tokenSerial = QStringLiteral("CC");
    auto cc = (*store)->history(q);
    CORE_VERIFY_OK(cc);
    QCOMPARE(cc->size(), std::size_t{1});
    QCOMPARE(cc->at(0).merchant, QStringLiteral("Canteen"));
    QCOMPARE(cc->at(0).tsn, 42u);
    auto pending = (*store)->pendingOperations(QStringLiteral("CC"), true);
    CORE_VERIFY_OK(pending);
    QCOMPARE(pending->size(), std::size_t{1});
    QCOMPARE(pending->at(0).atc, std::uint16_t{10});
    q.tokenSerial = QStringLiteral("AA");
    QCOMPARE(*(*store)->count(q), qint64(1502));
}

void TestTransactionStore::walletQueriesUseAnIndex()
{
    // Schema 5 keeps only the indexes the wallet's queries use. Every query shape it issues (one key; its type and
    // date filters; pages deep in the list) must be an index search in the order of the page: no scan of the table,
    // no sort of its rows. With a scan, a history page on a 1,000,000-row mirror takes hundreds of ms.
    QTemporaryDir dir;
    auto store = TransactionStore::open(dir.filePath(QStringLiteral("m.sqlite")));
    CORE_VERIFY_OK(store);
    QCOMPARE(*(*store)->sync(QStringLiteral("AA"), tokenLog(300)), 300);
    QCOMPARE(*(*store)->sync(QStringLiteral("BB"), tokenLog(300)), 300);
    std::vector<HistoryQuery> shapes;
    HistoryQuery q;
    q.tokenSerial = QStringLiteral("AA");
    q.limit = 20;
    shapes.push_back(q); // history page 1, overview
    q.offset = 200;
    shapes.push_back(q); // a later page
    q.offset = 0;
    q.type = TransactionType::Purchase;
    shapes.push_back(q);
    q.from = QDate(2026, 1, 3);
    q.to = QDate(2026, 1, 9);
    shapes.push_back(q);
    q.type.reset();
    shapes.push_back(q);
    q.to.reset();
    shapes.push_back(q);
    q.from.reset();
    q.to = QDate(2026, 1, 9);
    q.limit = 1000; // the search window and the CSV export's pages
    shapes.push_back(q);
    for (const HistoryQuery& shape : shapes) {
        auto plan = (*store)->queryPlan(shape);
        CORE_VERIFY_OK(plan);
        QVERIFY(plan->size() >= 2);
        const QString text = plan->join(QStringLiteral("; "));
        for (const QString& line : *plan) {
            QVERIFY2(line.startsWith(QStringLiteral("SEARCH txlog USING ")), qPrintable(text));
            QVERIFY2(line.contains(QStringLiteral("token_serial=?")), qPrintable(text));
        }
        QVERIFY2(!text.contains(QStringLiteral("TEMP B-TREE")), qPrintable(text));
    }
}

void TestTransactionStore::storedDateTimeIsQtIsoText()
{
    // sync() writes ts without QDateTime::toString (issue 15): the text must be exactly what Qt gives (history pages
    // sort and filter by it, older rows hold Qt's text), and an invalid date must stay NULL.
    const QList<QByteArray> dates{QByteArray::fromHex("20260314103005"),
        QByteArray::fromHex("09990101000000"),
        QByteArray::fromHex("00010101235959"),
        QByteArray::fromHex("99991231235959"),
        QByteArray::fromHex("20240229120000"),
        QByteArray::fromHex("20261340000000"),
        QByteArray::fromHex("20260101246000"),
        QByteArray::fromHex("00000000000000")};
    std::vector<TransactionRecord> log;
    for (int i = 0; i < dates.size(); ++i) {
        QByteArray raw;
        appendU16(raw, static_cast<std::uint16_t>(i));
        raw.append(QByteArray(3, '\0'));
        appendU32(raw, 100);
        raw.append(static_cast<char>(0x06));
        raw.append(QByteArray::fromHex("112233445566"));
        raw.append(dates[i]);
        auto r = TransactionRecord::decode(raw);
        CORE_VERIFY_OK(r);
        log.push_back(*r);
    }
    QVERIFY(log[0].when.isValid() && !log.back().when.isValid()); // both kinds are exercised
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("m.sqlite"));
    auto store = TransactionStore::open(path);
    CORE_VERIFY_OK(store);
    QCOMPARE(*(*store)->sync(QStringLiteral("AA"), log), static_cast<int>(log.size()));
    QStringList expected;
    for (const TransactionRecord& r : log) {
        expected << (r.when.isValid() ? r.when.toString(Qt::ISODate) : QStringLiteral("NULL"));
    }
    QStringList stored;
    onOwnConnection(path, [&stored](QSqlQuery& q) {
        if (q.exec(QStringLiteral("SELECT ts FROM txlog WHERE token_serial = 'AA' ORDER BY atc"))) {
            while (q.next()) {
                stored << (q.value(0).isNull() ? QStringLiteral("NULL") : q.value(0).toString());
            }
        }
    });
    QCOMPARE(stored, expected); // ATC i is log[i]
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
    // Every round a child process syncs a fresh token's 6,000-record backlog (200 per transaction) into the same
    // mirror file and is SIGKILLed while inserting: after a random number of its commits (0..5) plus 0..15 ms, long
    // before it could finish (asserted). Afterwards every row it reported committed is there, byte for byte, the rest
    // of that token is absent or whole batches, no other token's rows changed, and a sync completes it.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("m.sqlite"));
    const QString helper = QCoreApplication::applicationDirPath() + QStringLiteral("/test_core_mirror_sync_helper");
    QVERIFY2(QFile::exists(helper), qPrintable(helper));
    constexpr int kRecords = 6000; // 30 commits: since schema 5 the first 10 could all land within the kill's delay
    constexpr int kBatch = 200;
    constexpr int kKills = 40;
    const auto log = tokenLog(kRecords);
    quint32 seed = static_cast<quint32>(qEnvironmentVariableIntValue("SKEY_TEST_SEED"));
    if (seed == 0) {
        seed = QRandomGenerator::system()->generate() | 1u;
    }
    qInfo("sigkillDuringSync seed %u (rerun with SKEY_TEST_SEED=%u)", seed, seed);
    QRandomGenerator rng(seed);
    int killedAfterCommits = 0;
    qint64 rowsBefore = 0; // of earlier rounds' tokens, all complete
    for (int round = 0; round < kKills; ++round) {
        const QString serial = QStringLiteral("R%1").arg(round, 2, 10, QLatin1Char('0'));
        QProcess child;
        child.start(helper, {path, QString::number(kRecords), serial, QString::number(kBatch)});
        QVERIFY(child.waitForStarted(5000));
        QByteArray out;
        while (!out.contains("ready\n") && child.state() == QProcess::Running) {
            child.waitForReadyRead(10000);
            out += child.readAllStandardOutput();
        }
        QVERIFY2(out.contains("ready\n"), out + child.readAllStandardError());
        const int commits = static_cast<int>(rng.bounded(6));
        while (out.count("synced") < commits && child.state() == QProcess::Running) {
            child.waitForReadyRead(2000);
            out += child.readAllStandardOutput();
        }
        QThread::usleep(rng.bounded(15000));
        ::kill(static_cast<pid_t>(child.processId()), SIGKILL);
        QVERIFY(child.waitForFinished(5000));
        QCOMPARE(child.exitStatus(), QProcess::CrashExit);
        out += child.readAllStandardOutput(); // lines written before the kill: those commits happened
        QVERIFY2(!out.contains("done"), "the helper finished its backlog before the kill: make it larger");
        int reported = 0;
        for (const QByteArray& line : out.split('\n')) {
            if (line.startsWith("synced ")) {
                reported = std::max(reported, line.mid(7).toInt());
            }
        }
        killedAfterCommits += reported > 0 ? 1 : 0;

        auto store = TransactionStore::open(path);
        CORE_VERIFY_OK(store);
        CORE_VERIFY_OK((*store)->check());
        HistoryQuery mine;
        mine.tokenSerial = serial;
        mine.limit = 1000; // the largest page
        QSet<QByteArray> raws;
        int present = 0;
        for (;; mine.offset += mine.limit) {
            auto page = (*store)->history(mine);
            CORE_VERIFY_OK(page);
            for (const auto& r : *page) {
                raws.insert(r.record);
            }
            present += static_cast<int>(page->size());
            if (static_cast<int>(page->size()) < mine.limit) {
                break;
            }
        }
        QVERIFY2(present >= reported,
            qPrintable(QStringLiteral("round %1: the child reported %2 rows synced, %3 survived")
                           .arg(round)
                           .arg(reported)
                           .arg(present)));
        QVERIFY2(present < kRecords, "the kill landed after the last insert");
        QCOMPARE(present % kBatch, 0); // a transaction is all or nothing
        QCOMPARE(raws.size(), present); // no duplicate
        for (int i = 0; i < present; ++i) {
            QVERIFY2(raws.contains(log[static_cast<std::size_t>(i)].raw), qPrintable(QString::number(i)));
        }
        QCOMPARE(*(*store)->count(HistoryQuery{}), rowsBefore + present); // earlier tokens untouched
        // A sync completes the token to the log.
        auto added = (*store)->sync(serial, log);
        CORE_VERIFY_OK(added);
        QCOMPARE(present + *added, kRecords);
        rowsBefore += kRecords;
        QCOMPARE(*(*store)->count(HistoryQuery{}), rowsBefore);
        store->reset();
    }
    qInfo("SIGKILLed the syncing helper %d times mid-backlog (%d after at least one commit); seed %u",
        kKills,
        killedAfterCommits,
        seed);
}

SKEY_TEST_MAIN(TestTransactionStore)
#include "TestTransactionStore.moc"
