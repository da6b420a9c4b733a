// SPDX-License-Identifier: Apache-2.0
#include "core/storage/TransactionStore.h"

#include "core/storage/Sqlite.h"
#include "core/storage/SqliteNative.h"

#include <QLoggingCategory>
#include <QSaveFile>
#include <QVariant>

#include <algorithm>
#include <cstring>

#if WALLET_MIRROR_SQLITE_C_API
#include <sqlite3.h>
#endif

namespace wallet::core {
namespace {

const QString kWhat = QStringLiteral("history database");

Q_LOGGING_CATEGORY(lcMirror, "wallet.mirror")

/// The WAL's backstop size in pages (4 KiB each: 64 MiB) and its size on disk after a reset. The checkpoint after
/// each sync() runs off the caller's path; this bounds the WAL if that thread cannot keep up (a long reader).
constexpr int kWalAutoCheckpointPages = 16384;
constexpr qint64 kWalSizeLimit = 64LL * 1024 * 1024;

/// Schema steps; index i migrates user_version i → i+1. Never edit a released step: append a new one.
const std::vector<QStringList>& migrations()
{
    static const std::vector<QStringList> steps{
        // 1: one row per token transaction, natural key (token, type, ATC) — spec §2 records, §4 counters.
        {QStringLiteral("CREATE TABLE txlog ("
                        " id INTEGER PRIMARY KEY,"
                        " token_serial TEXT NOT NULL,"
                        " type INTEGER NOT NULL,"
                        " atc INTEGER NOT NULL CHECK (atc BETWEEN 0 AND 65535),"
                        " amount INTEGER NOT NULL CHECK (amount BETWEEN 0 AND 4294967295),"
                        " terminal_id BLOB,"
                        " ts TEXT,"
                        " record BLOB,"
                        " balance_after INTEGER,"
                        " tac BLOB,"
                        " mac2 BLOB,"
                        " tsn INTEGER,"
                        " made_here INTEGER NOT NULL DEFAULT 0,"
                        " UNIQUE (token_serial, type, atc))"),
            QStringLiteral("CREATE TABLE sync_state (token_serial TEXT PRIMARY KEY, last_sync TEXT NOT NULL,"
                           " records_seen INTEGER NOT NULL)")},
        // 2: merchant name for purchases made here; indexes for history pages.
        {QStringLiteral("ALTER TABLE txlog ADD COLUMN merchant TEXT"),
            QStringLiteral("CREATE INDEX txlog_ts ON txlog (ts)"),
            QStringLiteral("CREATE INDEX txlog_token_ts ON txlog (token_serial, ts)")},
        // 3: amount filters of the history page (a range scan instead of a walk in time order).
        {QStringLiteral("CREATE INDEX txlog_amount ON txlog (amount)")},
        // 4: money operations whose outcome is unknown until the key is back (issue 9 item 10).
        {QStringLiteral("CREATE TABLE pending_ops ("
                        " token_serial TEXT NOT NULL,"
                        " asn BLOB NOT NULL,"
                        " type INTEGER NOT NULL,"
                        " atc INTEGER NOT NULL CHECK (atc BETWEEN 0 AND 65535),"
                        " amount INTEGER NOT NULL CHECK (amount BETWEEN 0 AND 4294967295),"
                        " balance_before INTEGER NOT NULL,"
                        " terminal_id BLOB NOT NULL,"
                        " date BLOB NOT NULL,"
                        " time BLOB NOT NULL,"
                        " tsn INTEGER NOT NULL DEFAULT 0,"
                        " state TEXT NOT NULL CHECK (state IN ('checking', 'done', 'not-done', 'disputed')),"
                        " reason TEXT NOT NULL,"
                        " created TEXT NOT NULL,"
                        " resolved TEXT,"
                        " UNIQUE (token_serial, type, atc))")},
        // 5: every query the wallet issues is for one key (token_serial = ?, then type / date range, newest first):
        // txlog_token_ts and the UNIQUE index answer all of them (TransactionStore::queryPlan). The global date and
        // amount indexes served no caller and cost a sync into a large mirror about half its insert time, because a
        // new key's records land all over them (issue 15; figures in docs/core.md). Dropping an index loses no row.
        {QStringLiteral("DROP INDEX IF EXISTS txlog_ts"), QStringLiteral("DROP INDEX IF EXISTS txlog_amount")},
    };
    return steps;
}

QString isoTs(const QDateTime& t)
{
    return t.isValid() ? t.toString(Qt::ISODate) : QString();
}

/// isoTs() of a record's date/time ("yyyy-MM-ddTHH:mm:ss", the text QDateTime::toString(Qt::ISODate) gives for a
/// year 1..9999 without milliseconds, which is all a BCD record holds) written into `out` without building a
/// QString: a third of sync()'s own CPU time for 10,000 records went to toString() and toUtf8(). Returns the length,
/// 0 for an invalid date/time (bound as NULL, as isoTs() gives a null string).
int recordTs(const QDateTime& t, char (&out)[20])
{
    if (!t.isValid()) {
        return 0;
    }
    const QDate d = t.date();
    const QTime c = t.time();
    if (t.timeSpec() != Qt::LocalTime || d.year() < 1 || d.year() > 9999 || c.msec() != 0) {
        // not what TransactionRecord::decode makes (UTC would end in "Z"): Qt's own text, as isoTs()
        const QByteArray s = t.toString(Qt::ISODate).toLatin1();
        const auto n = std::min<qsizetype>(s.size(), sizeof out);
        std::memcpy(out, s.constData(), static_cast<std::size_t>(n));
        return static_cast<int>(n);
    }
    auto put = [&out](int at, int value, int digits) {
        for (int i = digits - 1; i >= 0; --i, value /= 10) {
            out[at + i] = static_cast<char>('0' + value % 10);
        }
    };
    put(0, d.year(), 4);
    out[4] = '-';
    put(5, d.month(), 2);
    out[7] = '-';
    put(8, d.day(), 2);
    out[10] = 'T';
    put(11, c.hour(), 2);
    out[13] = ':';
    put(14, c.minute(), 2);
    out[16] = ':';
    put(17, c.second(), 2);
    return 19;
}

struct Where
{
    QString sql;
    QVariantList binds;
};

Where whereClause(const HistoryQuery& q)
{
    Where w;
    QStringList parts;
    if (!q.tokenSerial.isEmpty()) {
        parts << QStringLiteral("token_serial = ?");
        w.binds << q.tokenSerial;
    }
    if (q.type) {
        parts << QStringLiteral("type = ?");
        w.binds << static_cast<int>(*q.type);
    }
    if (q.from) {
        parts << QStringLiteral("ts >= ?");
        w.binds << q.from->toString(Qt::ISODate);
    }
    if (q.to) {
        parts << QStringLiteral("ts < ?");
        w.binds << q.to->addDays(1).toString(Qt::ISODate);
    }
    if (q.minAmount) {
        parts << QStringLiteral("amount >= ?");
        w.binds << static_cast<qint64>(q.minAmount->fen());
    }
    if (q.maxAmount) {
        parts << QStringLiteral("amount <= ?");
        w.binds << static_cast<qint64>(q.maxAmount->fen());
    }
    if (!parts.isEmpty()) {
        w.sql = QStringLiteral(" WHERE ") + parts.join(QStringLiteral(" AND "));
    }
    return w;
}

const QString kHistoryColumns = QStringLiteral("SELECT token_serial, type, atc, amount, terminal_id, ts, record,"
                                               " balance_after, tac, mac2, tsn, made_here, merchant FROM txlog");
const QString kHistoryOrder = QStringLiteral(" ORDER BY ts DESC, id DESC LIMIT ? OFFSET ?");

/// The two statements a history page runs (its rows, its count): history(), count() and queryPlan() share them.
QString historySql(const Where& w)
{
    return kHistoryColumns + w.sql + kHistoryOrder;
}

QString countSql(const Where& w)
{
    return QStringLiteral("SELECT count(*) FROM txlog") + w.sql;
}

/// One row of historySql()'s columns.
StoredTransaction storedRow(const QSqlQuery& q)
{
    StoredTransaction t;
    t.tokenSerial = q.value(0).toString();
    t.type = static_cast<TransactionType>(q.value(1).toInt());
    t.atc = static_cast<std::uint16_t>(q.value(2).toInt());
    t.amount = Amount(static_cast<std::uint32_t>(q.value(3).toLongLong()));
    t.terminalId = q.value(4).toByteArray();
    t.when = QDateTime::fromString(q.value(5).toString(), Qt::ISODate);
    t.record = q.value(6).toByteArray();
    if (!q.value(7).isNull()) {
        t.balanceAfter = Amount(static_cast<std::uint32_t>(q.value(7).toLongLong()));
    }
    t.tac = q.value(8).toByteArray();
    t.mac2 = q.value(9).toByteArray();
    t.tsn = static_cast<std::uint32_t>(q.value(10).toLongLong());
    t.madeHere = q.value(11).toInt() != 0;
    t.merchant = q.value(12).toString();
    return t;
}

QString csvField(const QString& s)
{
    if (s.contains(QLatin1Char(',')) || s.contains(QLatin1Char('"')) || s.contains(QLatin1Char('\n'))) {
        QString e = s;
        e.replace(QStringLiteral("\""), QStringLiteral("\"\""));
        return QLatin1Char('"') + e + QLatin1Char('"');
    }
    return s;
}

} // namespace

TransactionStore::TransactionStore(QString connectionName, QString path)
    : m_connection(std::move(connectionName))
    , m_path(std::move(path))
{ }

TransactionStore::~TransactionStore()
{
    m_checkpointer.reset(); // joins its thread (and closes its connection) first
    Sqlite::close(m_connection);
}

int TransactionStore::waitForCheckpoint()
{
    if (!m_checkpointer) {
        return 0;
    }
    m_checkpointer->drain();
    return m_checkpointer->completed();
}

QSqlDatabase TransactionStore::db() const
{
    return QSqlDatabase::database(m_connection, false);
}

Result<std::unique_ptr<TransactionStore>> TransactionStore::open(const QString& path)
{
    auto name = Sqlite::open(path, QStringLiteral("mirror"));
    if (!name) {
        Error e = name.error();
        e.detail = kWhat + QStringLiteral(" ") + path + QStringLiteral(": ") + e.detail;
        return e;
    }
    std::unique_ptr<TransactionStore> store(new TransactionStore(*name, path));
    if (auto m = store->migrate(); !m) {
        return m.error();
    }
    // Up to schema 4 a sync into a large mirror updated four indexes, two at scattered places (amount and date order
    // are not insertion order): with SQLite's default 2 MiB page cache, most of those pages were read again within
    // one transaction. 32 MiB, allocated only as used, kept a 10,000-record sync's pages in memory
    // (bench_core_mirror: 241 → 141 ms on a 1,000,000-row mirror). It has no effect on durability. Multi-row INSERTs
    // (128 rows per statement) were measured too and were slower through Qt Sql's binding; sync() stays one prepared
    // INSERT per record.
    if (auto c = Sqlite::exec(store->db(), QStringLiteral("PRAGMA cache_size=-32768"), {}, kWhat); !c) {
        return c.error();
    }
    store->m_native = SqliteNative::handle(store->db(), &store->m_nativeProblem);
    if (store->m_native) {
        store->m_nativeProblem.clear();
        // A 10,000-record sync into a large mirror dirties more than 1,000 pages, so with the default
        // wal_autocheckpoint every such sync ended with a checkpoint on the caller's path (≈45 ms, issue 15). The
        // checkpointer thread does it after sync() returns; the auto-checkpoint stays as a bound on the WAL.
        store->m_checkpointer = std::make_unique<WalCheckpointer>(path);
        for (const QString& pragma : {QStringLiteral("PRAGMA wal_autocheckpoint=%1").arg(kWalAutoCheckpointPages),
                 QStringLiteral("PRAGMA journal_size_limit=%1").arg(kWalSizeLimit)}) {
            if (auto c = Sqlite::exec(store->db(), pragma, {}, kWhat); !c) {
                return c.error();
            }
        }
    } else {
        qCInfo(lcMirror) << "mirror sync through Qt Sql:" << store->m_nativeProblem;
    }
    return store;
}

Result<void> TransactionStore::migrate()
{
    return Sqlite::migrate(db(), migrations(), kWhat + QStringLiteral(" ") + m_path);
}

Result<int> TransactionStore::sync(const QString& tokenSerial, const std::vector<TransactionRecord>& records)
{
    QSqlDatabase d = db();
    SqlTransaction tx(d);
    if (!tx.begun()) {
        return Sqlite::error(d.lastError(), kWhat, d.connectionName());
    }
    auto inserted = m_native ? insertNative(tokenSerial, records) : insertQt(tokenSerial, records);
    if (!inserted) {
        return inserted.error();
    }
    const int added = *inserted;
    auto st = Sqlite::exec(d,
        QStringLiteral("INSERT INTO sync_state (token_serial, last_sync, records_seen) VALUES (?, ?, ?)"
                       " ON CONFLICT (token_serial) DO UPDATE SET last_sync = excluded.last_sync,"
                       " records_seen = excluded.records_seen"),
        {tokenSerial, QDateTime::currentDateTimeUtc().toString(Qt::ISODate), static_cast<qint64>(records.size())},
        kWhat);
    if (!st) {
        return st.error();
    }
    if (auto c = tx.commit(kWhat); !c) {
        return c.error();
    }
    // Durable now (WAL fsynced); copying the WAL back into the database is not the caller's wait.
    if (m_checkpointer) {
        m_checkpointer->request();
    }
    return added;
}

Result<int> TransactionStore::insertQt(const QString& tokenSerial, const std::vector<TransactionRecord>& records)
{
    QSqlDatabase d = db();
    QSqlQuery insert(d);
    QSqlQuery fill(d);
    if (!insert.prepare(QStringLiteral("INSERT INTO txlog (token_serial, type, atc, amount, terminal_id, ts, record)"
                                       " VALUES (?, ?, ?, ?, ?, ?, ?)"
                                       " ON CONFLICT (token_serial, type, atc) DO NOTHING"))
        || !fill.prepare(QStringLiteral("UPDATE txlog SET record = ? WHERE token_serial = ? AND type = ? AND atc = ?"
                                        " AND record IS NULL"))) {
        return Sqlite::error(
            insert.lastError().isValid() ? insert.lastError() : fill.lastError(), kWhat, d.connectionName());
    }
    int added = 0;
    for (const TransactionRecord& r : records) {
        insert.addBindValue(tokenSerial);
        insert.addBindValue(static_cast<int>(r.rawType));
        insert.addBindValue(static_cast<int>(r.atc));
        insert.addBindValue(static_cast<qint64>(r.amount.fen()));
        insert.addBindValue(r.terminalId);
        insert.addBindValue(isoTs(r.when));
        insert.addBindValue(r.raw);
        if (!insert.exec()) {
            return Sqlite::error(insert.lastError(), kWhat + QStringLiteral(" sync"), d.connectionName());
        }
        if (insert.numRowsAffected() > 0) {
            ++added;
        } else {
            // a row made here before the sync: complete it with the token's raw record
            fill.addBindValue(r.raw);
            fill.addBindValue(tokenSerial);
            fill.addBindValue(static_cast<int>(r.rawType));
            fill.addBindValue(static_cast<int>(r.atc));
            if (!fill.exec()) {
                return Sqlite::error(fill.lastError(), kWhat + QStringLiteral(" sync"), d.connectionName());
            }
        }
    }
    return added;
}

Result<int> TransactionStore::insertNative(const QString& tokenSerial, const std::vector<TransactionRecord>& records)
{
#if WALLET_MIRROR_SQLITE_C_API
    // The same two statements as insertQt(), inside the caller's transaction on the same connection. Qt Sql's
    // per-row cost (7 QVariants bound, copied and converted per statement) was ≈40 ms of a 10,000-record sync.
    auto fail = [this](const char* step) -> Error {
        // Through Sqlite::error, so a busy, damaged or read-only file gets the same advice as on Qt Sql.
        const QSqlError e(QStringLiteral("%1 failed").arg(QLatin1String(step)),
            QString::fromUtf8(sqlite3_errmsg(m_native)),
            QSqlError::StatementError,
            QString::number(sqlite3_extended_errcode(m_native)));
        return Sqlite::error(e, kWhat + QStringLiteral(" sync"), m_connection);
    };
    struct Stmt
    {
        sqlite3_stmt* s = nullptr;
        ~Stmt() { sqlite3_finalize(s); }
    };
    Stmt insert;
    Stmt fill;
    if (sqlite3_prepare_v3(m_native,
            "INSERT INTO txlog (token_serial, type, atc, amount, terminal_id, ts, record) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (token_serial, type, atc) DO NOTHING",
            -1,
            SQLITE_PREPARE_PERSISTENT,
            &insert.s,
            nullptr)
            != SQLITE_OK
        || sqlite3_prepare_v3(m_native,
               "UPDATE txlog SET record = ? WHERE token_serial = ? AND type = ? AND atc = ? AND record IS NULL",
               -1,
               SQLITE_PREPARE_PERSISTENT,
               &fill.s,
               nullptr)
            != SQLITE_OK) {
        return fail("prepare");
    }
    const QByteArray token = tokenSerial.toUtf8();
    // Bindings survive sqlite3_reset(): the token is bound once.
    if (sqlite3_bind_text(insert.s, 1, token.constData(), static_cast<int>(token.size()), SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_text(fill.s, 2, token.constData(), static_cast<int>(token.size()), SQLITE_STATIC)
            != SQLITE_OK) {
        return fail("bind");
    }
    // As Qt Sql binds them: a null QByteArray/QString is NULL, an empty one an empty BLOB/text.
    auto blob = [](sqlite3_stmt* s, int i, const QByteArray& b) {
        return b.isNull() ? sqlite3_bind_null(s, i)
                          : sqlite3_bind_blob(s, i, b.constData(), static_cast<int>(b.size()), SQLITE_STATIC);
    };
    int added = 0;
    for (const TransactionRecord& r : records) {
        char ts[20];
        const int tsLength = recordTs(r.when, ts);
        if (sqlite3_bind_int(insert.s, 2, static_cast<int>(r.rawType)) != SQLITE_OK
            || sqlite3_bind_int(insert.s, 3, static_cast<int>(r.atc)) != SQLITE_OK
            || sqlite3_bind_int64(insert.s, 4, static_cast<sqlite3_int64>(r.amount.fen())) != SQLITE_OK
            || blob(insert.s, 5, r.terminalId) != SQLITE_OK
            || (tsLength == 0 ? sqlite3_bind_null(insert.s, 6)
                              : sqlite3_bind_text(insert.s, 6, ts, tsLength, SQLITE_STATIC))
                != SQLITE_OK
            || blob(insert.s, 7, r.raw) != SQLITE_OK) {
            return fail("bind");
        }
        const int rc = sqlite3_step(insert.s);
        sqlite3_reset(insert.s);
        if (rc != SQLITE_DONE) {
            return fail("insert");
        }
        if (sqlite3_changes(m_native) > 0) {
            ++added;
            continue;
        }
        // a row made here before the sync: complete it with the token's raw record
        if (blob(fill.s, 1, r.raw) != SQLITE_OK || sqlite3_bind_int(fill.s, 3, static_cast<int>(r.rawType)) != SQLITE_OK
            || sqlite3_bind_int(fill.s, 4, static_cast<int>(r.atc)) != SQLITE_OK) {
            return fail("bind");
        }
        const int frc = sqlite3_step(fill.s);
        sqlite3_reset(fill.s);
        if (frc != SQLITE_DONE) {
            return fail("complete");
        }
    }
    return added;
#else
    return insertQt(tokenSerial, records);
#endif
}

Result<void> TransactionStore::recordLocal(const StoredTransaction& t)
{
    const QVariant balance = t.balanceAfter ? QVariant(static_cast<qint64>(t.balanceAfter->fen())) : QVariant();
    auto r = Sqlite::exec(db(),
        QStringLiteral(
            "INSERT INTO txlog (token_serial, type, atc, amount, terminal_id, ts, record, balance_after, tac,"
            " mac2, tsn, made_here, merchant) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)"
            " ON CONFLICT (token_serial, type, atc) DO UPDATE SET balance_after = excluded.balance_after,"
            " tac = excluded.tac, mac2 = excluded.mac2, tsn = excluded.tsn, made_here = 1,"
            " merchant = excluded.merchant"),
        {t.tokenSerial,
            static_cast<int>(t.type),
            static_cast<int>(t.atc),
            static_cast<qint64>(t.amount.fen()),
            t.terminalId,
            isoTs(t.when),
            t.record.isEmpty() ? QVariant() : QVariant(t.record),
            balance,
            t.tac,
            t.mac2,
            static_cast<qint64>(t.tsn),
            t.merchant},
        kWhat + QStringLiteral(" record"));
    if (!r) {
        return r.error();
    }
    return {};
}

Result<std::vector<StoredTransaction>> TransactionStore::history(const HistoryQuery& query) const
{
    if (query.limit < 1 || query.limit > 1000 || query.offset < 0) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("history: page size 1..1000, offset ≥ 0"));
    }
    Where w = whereClause(query);
    w.binds << query.limit << query.offset;
    auto q = Sqlite::exec(db(), historySql(w), w.binds, kWhat + QStringLiteral(" query"));
    if (!q) {
        return q.error();
    }
    std::vector<StoredTransaction> out;
    while (q->next()) {
        out.push_back(storedRow(*q));
    }
    return out;
}

Result<qint64> TransactionStore::count(const HistoryQuery& query) const
{
    const Where w = whereClause(query);
    auto q = Sqlite::exec(db(), countSql(w), w.binds, kWhat);
    if (!q) {
        return q.error();
    }
    if (!q->next()) {
        return Sqlite::error(q->lastError(), kWhat, m_connection);
    }
    return q->value(0).toLongLong();
}

Result<QStringList> TransactionStore::queryPlan(const HistoryQuery& query) const
{
    Where w = whereClause(query);
    QStringList out;
    for (const auto& [sql, binds] : {std::pair{historySql(w), w.binds + QVariantList{query.limit, query.offset}},
             std::pair{countSql(w), w.binds}}) {
        auto q
            = Sqlite::exec(db(), QStringLiteral("EXPLAIN QUERY PLAN ") + sql, binds, kWhat + QStringLiteral(" plan"));
        if (!q) {
            return q.error();
        }
        while (q->next()) {
            out << q->value(3).toString(); // id, parent, notused, detail
        }
    }
    return out;
}

namespace {
const char kCsvHeader[] = "token_serial,type,atc,amount,terminal_id,date_time,balance_after,tac,mac2,tsn,merchant\n";

QByteArray csvLine(const StoredTransaction& t)
{
    const QStringList fields{
        t.tokenSerial,
        transactionTypeName(t.type),
        QString::number(t.atc),
        t.amount.toString(),
        QString::fromLatin1(t.terminalId.toHex().toUpper()),
        t.when.toString(Qt::ISODate),
        t.balanceAfter ? t.balanceAfter->toString() : QString(),
        QString::fromLatin1(t.tac.toHex().toUpper()),
        QString::fromLatin1(t.mac2.toHex().toUpper()),
        t.madeHere && t.type != TransactionType::Load ? QString::number(t.tsn) : QString(),
        csvField(t.merchant),
    };
    return fields.join(QLatin1Char(',')).toUtf8() + '\n';
}

Error csvWriteError(const QString& path, const QSaveFile& file)
{
    return makeError(ErrorCode::StorageError, QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
}
} // namespace

Result<qint64> TransactionStore::exportCsv(const HistoryQuery& query, const QString& path) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return csvWriteError(path, file);
    }
    file.write(kCsvHeader);
    // One statement read forward to its end, in the order of the history pages (LIMIT -1: all of them). It used to
    // fetch pages of 1,000 with OFFSET, and SQLite walks every row before an OFFSET again: a key's 100,000 rows
    // cost 100 pages × 50,000 skipped rows on average (bench_core_mirror, "CSV export").
    Where w = whereClause(query);
    w.binds << -1 << 0;
    QSqlQuery q(db());
    q.setForwardOnly(true); // no copy of every row kept for scrolling back
    if (!q.prepare(historySql(w))) {
        file.cancelWriting();
        return Sqlite::error(q.lastError(), kWhat + QStringLiteral(" query"), m_connection);
    }
    for (const QVariant& v : w.binds) {
        q.addBindValue(v);
    }
    if (!q.exec()) {
        file.cancelWriting();
        return Sqlite::error(q.lastError(), kWhat + QStringLiteral(" query"), m_connection);
    }
    qint64 rows = 0;
    while (q.next()) {
        file.write(csvLine(storedRow(q)));
        ++rows;
    }
    if (q.lastError().isValid()) { // a step that failed ends next() like the last row does
        file.cancelWriting();
        return Sqlite::error(q.lastError(), kWhat + QStringLiteral(" query"), m_connection);
    }
    q.finish();
    if (!file.commit()) {
        return csvWriteError(path, file);
    }
    return rows;
}

Result<qint64> TransactionStore::exportCsv(const std::vector<StoredTransaction>& rows, const QString& path)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return csvWriteError(path, file);
    }
    file.write(kCsvHeader);
    for (const StoredTransaction& t : rows) {
        file.write(csvLine(t));
    }
    if (!file.commit()) {
        return csvWriteError(path, file);
    }
    return static_cast<qint64>(rows.size());
}

QString pendingStateName(PendingState state)
{
    switch (state) {
    case PendingState::Checking:
        return QStringLiteral("checking");
    case PendingState::Done:
        return QStringLiteral("done");
    case PendingState::NotDone:
        return QStringLiteral("not-done");
    case PendingState::Disputed:
        return QStringLiteral("disputed");
    }
    return QStringLiteral("checking");
}

namespace {
PendingState pendingStateFromName(const QString& name)
{
    for (const auto s : {PendingState::Done, PendingState::NotDone, PendingState::Disputed}) {
        if (pendingStateName(s) == name) {
            return s;
        }
    }
    return PendingState::Checking;
}
} // namespace

Result<void> TransactionStore::recordPending(const PendingOperation& op)
{
    auto r = Sqlite::exec(db(),
        QStringLiteral("INSERT INTO pending_ops (token_serial, asn, type, atc, amount, balance_before, terminal_id,"
                       " date, time, tsn, state, reason, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'checking', ?,"
                       " ?) ON CONFLICT (token_serial, type, atc) DO UPDATE SET asn = excluded.asn,"
                       " amount = excluded.amount, balance_before = excluded.balance_before,"
                       " terminal_id = excluded.terminal_id, date = excluded.date, time = excluded.time,"
                       " tsn = excluded.tsn, state = 'checking', reason = excluded.reason,"
                       " created = excluded.created, resolved = NULL"),
        {op.tokenSerial,
            op.asn,
            static_cast<int>(op.type),
            static_cast<int>(op.atc),
            static_cast<qint64>(op.amount.fen()),
            static_cast<qint64>(op.balanceBefore.fen()),
            op.terminalId,
            op.date,
            op.time,
            static_cast<qint64>(op.tsn),
            op.reason,
            (op.created.isValid() ? op.created : QDateTime::currentDateTimeUtc()).toString(Qt::ISODate)},
        kWhat + QStringLiteral(" pending operation"));
    if (!r) {
        return r.error();
    }
    return {};
}

Result<std::vector<PendingOperation>> TransactionStore::pendingOperations(
    const QString& tokenSerial, bool onlyChecking) const
{
    QStringList where;
    QVariantList binds;
    if (!tokenSerial.isEmpty()) {
        where << QStringLiteral("token_serial = ?");
        binds << tokenSerial;
    }
    if (onlyChecking) {
        where << QStringLiteral("state = 'checking'");
    }
    auto q = Sqlite::exec(db(),
        QStringLiteral("SELECT token_serial, asn, type, atc, amount, balance_before, terminal_id, date, time, tsn,"
                       " state, reason, created, resolved FROM pending_ops")
            + (where.isEmpty() ? QString() : QStringLiteral(" WHERE ") + where.join(QStringLiteral(" AND ")))
            + QStringLiteral(" ORDER BY created DESC, atc DESC"),
        binds,
        kWhat + QStringLiteral(" pending operations"));
    if (!q) {
        return q.error();
    }
    std::vector<PendingOperation> out;
    while (q->next()) {
        PendingOperation p;
        p.tokenSerial = q->value(0).toString();
        p.asn = q->value(1).toByteArray();
        p.type = static_cast<TransactionType>(q->value(2).toInt());
        p.atc = static_cast<std::uint16_t>(q->value(3).toInt());
        p.amount = Amount(static_cast<std::uint32_t>(q->value(4).toLongLong()));
        p.balanceBefore = Amount(static_cast<std::uint32_t>(q->value(5).toLongLong()));
        p.terminalId = q->value(6).toByteArray();
        p.date = q->value(7).toByteArray();
        p.time = q->value(8).toByteArray();
        p.tsn = static_cast<std::uint32_t>(q->value(9).toLongLong());
        p.state = pendingStateFromName(q->value(10).toString());
        p.reason = q->value(11).toString();
        p.created = QDateTime::fromString(q->value(12).toString(), Qt::ISODate);
        p.resolved = QDateTime::fromString(q->value(13).toString(), Qt::ISODate);
        out.push_back(std::move(p));
    }
    return out;
}

Result<void> TransactionStore::resolvePending(
    const QString& tokenSerial, TransactionType type, std::uint16_t atc, PendingState state, const QString& reason)
{
    auto r = Sqlite::exec(db(),
        QStringLiteral("UPDATE pending_ops SET state = ?, reason = ?, resolved = ? WHERE token_serial = ? AND type = ?"
                       " AND atc = ?"),
        {pendingStateName(state),
            reason,
            state == PendingState::Checking ? QVariant()
                                            : QVariant(QDateTime::currentDateTimeUtc().toString(Qt::ISODate)),
            tokenSerial,
            static_cast<int>(type),
            static_cast<int>(atc)},
        kWhat + QStringLiteral(" pending operation"));
    if (!r) {
        return r.error();
    }
    return {};
}

Result<void> TransactionStore::check() const
{
    auto q = Sqlite::exec(db(), QStringLiteral("PRAGMA quick_check"), {}, kWhat);
    if (!q) {
        return q.error();
    }
    if (!q->next() || q->value(0).toString() != QStringLiteral("ok")) {
        return makeError(
            ErrorCode::StorageError, kWhat + QStringLiteral(" failed its integrity check: ") + q->value(0).toString());
    }
    return {};
}

} // namespace wallet::core
