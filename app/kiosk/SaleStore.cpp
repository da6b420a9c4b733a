// SPDX-License-Identifier: Apache-2.0
#include "app/kiosk/SaleStore.h"

#include "core/storage/Sqlite.h"

#include <QSqlQuery>
#include <QUuid>
#include <QVariant>

namespace wallet::kiosk {

using core::Result;
using core::Sqlite;
using core::SqlTransaction;

namespace {

const QString kWhat = QStringLiteral("the kiosk's sales file");

std::vector<QStringList> migrations()
{
    return {
        {QStringLiteral("CREATE TABLE sales (id INTEGER PRIMARY KEY AUTOINCREMENT, serial TEXT NOT NULL,"
                        " asn TEXT NOT NULL, amount INTEGER NOT NULL CHECK (amount > 0), state TEXT NOT NULL,"
                        " tsn INTEGER NOT NULL DEFAULT 0, offline_atc INTEGER NOT NULL DEFAULT 0,"
                        " terminal_id TEXT NOT NULL DEFAULT '', card_date TEXT NOT NULL DEFAULT '',"
                        " card_time TEXT NOT NULL DEFAULT '', tac TEXT NOT NULL DEFAULT '',"
                        " mac2 TEXT NOT NULL DEFAULT '', algorithm INTEGER NOT NULL DEFAULT 0,"
                        " batch_id TEXT, settled INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL,"
                        " day TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '')"),
            // A TSN is paid at most once: a second Done row for the same PSAM TSN is refused by the database itself.
            QStringLiteral("CREATE UNIQUE INDEX sales_done_tsn ON sales (terminal_id, tsn) WHERE state = 'done'"),
            QStringLiteral("CREATE INDEX sales_state ON sales (state, batch_id)"),
            QStringLiteral("CREATE TABLE batches (batch_id TEXT PRIMARY KEY, terminal_id TEXT NOT NULL,"
                           " created_at TEXT NOT NULL, uploaded_at TEXT, result TEXT)"),
            QStringLiteral("CREATE TABLE hotlist (asn TEXT PRIMARY KEY)"),
            QStringLiteral("CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)")},
        // 2: a sale that was ever "checking" (outcome unknown after DEBIT) stays listed for the operator with its
        // verdict: done (proven paid), not done (proven not paid) or still being checked.
        {QStringLiteral("ALTER TABLE sales ADD COLUMN checked INTEGER NOT NULL DEFAULT 0")}};
}

QString hex(const QByteArray& b)
{
    return QString::fromLatin1(b.toHex().toUpper());
}

QByteArray unhex(const QVariant& v)
{
    return QByteArray::fromHex(v.toString().toLatin1());
}

const char* kSelect = "SELECT id, serial, asn, amount, state, tsn, offline_atc, terminal_id, card_date, card_time, tac,"
                      " mac2, algorithm, COALESCE(batch_id, ''), settled, created_at, detail, checked FROM sales";

Sale readSale(const QSqlQuery& q)
{
    Sale s;
    s.id = q.value(0).toLongLong();
    s.serial = q.value(1).toString();
    s.asn = unhex(q.value(2));
    s.amount = core::Amount(static_cast<std::uint32_t>(q.value(3).toLongLong()));
    const QString st = q.value(4).toString();
    s.state = st == QLatin1String("done") ? SaleState::Done
        : st == QLatin1String("not-done") ? SaleState::NotDone
        : st == QLatin1String("checking") ? SaleState::Checking
                                          : SaleState::Started;
    s.tsn = static_cast<std::uint32_t>(q.value(5).toLongLong());
    s.offlineAtc = static_cast<std::uint16_t>(q.value(6).toInt());
    s.terminalId = unhex(q.value(7));
    s.date = unhex(q.value(8));
    s.time = unhex(q.value(9));
    s.tac = unhex(q.value(10));
    s.mac2 = unhex(q.value(11));
    s.algorithm = static_cast<core::Algorithm>(q.value(12).toInt());
    s.batchId = q.value(13).toString();
    s.settled = q.value(14).toInt() != 0;
    s.created = QDateTime::fromString(q.value(15).toString(), Qt::ISODate);
    s.detail = q.value(16).toString();
    s.checked = q.value(17).toInt() != 0;
    return s;
}

} // namespace

QString saleStateName(SaleState s)
{
    switch (s) {
    case SaleState::Started:
        return QStringLiteral("started");
    case SaleState::Checking:
        return QStringLiteral("checking");
    case SaleState::Done:
        return QStringLiteral("done");
    case SaleState::NotDone:
        return QStringLiteral("not-done");
    }
    return QStringLiteral("started");
}

SaleStore::SaleStore(QString connection)
    : m_connection(std::move(connection))
{ }

SaleStore::~SaleStore()
{
    Sqlite::close(m_connection);
}

QSqlDatabase SaleStore::db() const
{
    return QSqlDatabase::database(m_connection, false);
}

Result<std::unique_ptr<SaleStore>> SaleStore::open(const QString& path)
{
    auto name = Sqlite::open(path, QStringLiteral("kiosk sales"));
    if (!name) {
        return name.error();
    }
    std::unique_ptr<SaleStore> store(new SaleStore(*name));
    if (auto m = Sqlite::migrate(store->db(), migrations(), kWhat + QStringLiteral(" ") + path); !m) {
        return m.error();
    }
    return store;
}

Result<qint64> SaleStore::begin(const QString& serial, const QByteArray& asn, core::Amount amount, const QDateTime& now)
{
    auto q = Sqlite::exec(db(),
        QStringLiteral(
            "INSERT INTO sales (serial, asn, amount, state, created_at, day) VALUES (?, ?, ?, 'started', ?, ?)"),
        {serial,
            hex(asn),
            static_cast<qint64>(amount.fen()),
            now.toUTC().toString(Qt::ISODate),
            now.date().toString(Qt::ISODate)},
        kWhat);
    if (!q) {
        return q.error();
    }
    return q->lastInsertId().toLongLong();
}

Result<void> SaleStore::complete(qint64 id, const core::SettlementRecord& r)
{
    auto q = Sqlite::exec(db(),
        QStringLiteral(
            "UPDATE sales SET state = 'done', tsn = ?, offline_atc = ?, terminal_id = ?, card_date = ?,"
            " card_time = ?, tac = ?, mac2 = ?, algorithm = ?, detail = '' WHERE id = ? AND state != 'done'"),
        {static_cast<qint64>(r.tsn),
            r.offlineAtc,
            hex(r.terminalId),
            hex(r.date),
            hex(r.time),
            hex(r.tac),
            hex(r.mac2),
            static_cast<int>(r.algorithm),
            id},
        kWhat);
    if (!q) {
        return q.error();
    }
    return {};
}

Result<void> SaleStore::markChecking(qint64 id, std::uint32_t tsn, const QString& detail)
{
    auto q = Sqlite::exec(db(),
        QStringLiteral("UPDATE sales SET state = 'checking', checked = 1, tsn = CASE WHEN ? = 0 THEN tsn ELSE ? END,"
                       " detail = ? WHERE id = ? AND state IN ('started', 'checking')"),
        {static_cast<qint64>(tsn), static_cast<qint64>(tsn), detail, id},
        kWhat);
    if (!q) {
        return q.error();
    }
    return {};
}

Result<void> SaleStore::keepUnchecked(qint64 id, const core::SettlementRecord& r, const QString& detail)
{
    auto q = Sqlite::exec(db(),
        QStringLiteral("UPDATE sales SET state = 'checking', checked = 1, tsn = ?, terminal_id = ?, tac = ?, mac2 = ?,"
                       " detail = ? WHERE id = ? AND state IN ('started', 'checking')"),
        {static_cast<qint64>(r.tsn), hex(r.terminalId), hex(r.tac), hex(r.mac2), detail, id},
        kWhat);
    if (!q) {
        return q.error();
    }
    return {};
}

Result<void> SaleStore::markNotDone(qint64 id, const QString& detail)
{
    auto q = Sqlite::exec(db(),
        QStringLiteral(
            "UPDATE sales SET state = 'not-done', detail = ? WHERE id = ? AND state IN ('started', 'checking')"),
        {detail, id},
        kWhat);
    if (!q) {
        return q.error();
    }
    return {};
}

Result<std::optional<Sale>> SaleStore::sale(qint64 id) const
{
    auto q = Sqlite::exec(db(), QLatin1String(kSelect) + QStringLiteral(" WHERE id = ?"), {id}, kWhat);
    if (!q) {
        return q.error();
    }
    if (!q->next()) {
        return std::optional<Sale>{};
    }
    return std::optional<Sale>{readSale(*q)};
}

Result<std::vector<Sale>> SaleStore::openSales() const
{
    auto q = Sqlite::exec(db(),
        QLatin1String(kSelect) + QStringLiteral(" WHERE state IN ('started', 'checking') ORDER BY id"),
        {},
        kWhat);
    if (!q) {
        return q.error();
    }
    std::vector<Sale> out;
    while (q->next()) {
        out.push_back(readSale(*q));
    }
    return out;
}

Result<int> SaleStore::flagOpenAsChecked()
{
    auto q = Sqlite::exec(db(),
        QStringLiteral("UPDATE sales SET checked = 1 WHERE state IN ('started', 'checking') AND checked = 0"),
        {},
        kWhat);
    if (!q) {
        return q.error();
    }
    return q->numRowsAffected();
}

Result<std::vector<Sale>> SaleStore::checkedSales(int limit) const
{
    auto q = Sqlite::exec(db(),
        QLatin1String(kSelect)
            + QStringLiteral(" WHERE checked = 1 OR state IN ('started', 'checking') ORDER BY id DESC LIMIT ?"),
        {limit},
        kWhat);
    if (!q) {
        return q.error();
    }
    std::vector<Sale> out;
    while (q->next()) {
        out.push_back(readSale(*q));
    }
    return out;
}

Result<std::vector<std::uint32_t>> SaleStore::doneTsns() const
{
    auto q = Sqlite::exec(db(), QStringLiteral("SELECT tsn FROM sales WHERE state = 'done'"), {}, kWhat);
    if (!q) {
        return q.error();
    }
    std::vector<std::uint32_t> out;
    while (q->next()) {
        out.push_back(static_cast<std::uint32_t>(q->value(0).toLongLong()));
    }
    return out;
}

Result<std::optional<SettlementBatch>> SaleStore::nextBatch(
    const QByteArray& terminalId, int maxRecords, const QDateTime& now)
{
    SqlTransaction tx(db());
    if (!tx.begun()) {
        return core::makeError(core::ErrorCode::StorageError, QStringLiteral("cannot begin a transaction"));
    }
    QString batchId;
    auto open = Sqlite::exec(db(),
        QStringLiteral("SELECT batch_id FROM batches WHERE uploaded_at IS NULL ORDER BY created_at, batch_id LIMIT 1"),
        {},
        kWhat);
    if (!open) {
        return open.error();
    }
    if (open->next()) {
        batchId = open->value(0).toString();
    } else {
        auto count = Sqlite::exec(db(),
            QStringLiteral("SELECT count(*) FROM sales WHERE state = 'done' AND batch_id IS NULL AND terminal_id = ?"),
            {hex(terminalId)},
            kWhat);
        if (!count) {
            return count.error();
        }
        if (!count->next() || count->value(0).toLongLong() == 0) {
            return std::optional<SettlementBatch>{};
        }
        batchId = QUuid::createUuid().toString(QUuid::WithoutBraces);
        if (auto b = Sqlite::exec(db(),
                QStringLiteral("INSERT INTO batches (batch_id, terminal_id, created_at) VALUES (?, ?, ?)"),
                {batchId, hex(terminalId), now.toUTC().toString(Qt::ISODateWithMs)},
                kWhat);
            !b) {
            return b.error();
        }
        if (auto u = Sqlite::exec(db(),
                QStringLiteral("UPDATE sales SET batch_id = ? WHERE id IN (SELECT id FROM sales WHERE state = 'done'"
                               " AND batch_id IS NULL AND terminal_id = ? ORDER BY id LIMIT ?)"),
                {batchId, hex(terminalId), maxRecords},
                kWhat);
            !u) {
            return u.error();
        }
    }
    // Only the settlement fields (a whole Sale per row, its timestamps parsed, cost seconds for 10,000).
    auto rows = Sqlite::exec(db(),
        QStringLiteral("SELECT asn, algorithm, offline_atc, tsn, amount, terminal_id, card_date, card_time, tac, mac2"
                       " FROM sales WHERE batch_id = ? ORDER BY id"),
        {batchId},
        kWhat);
    if (!rows) {
        return rows.error();
    }
    SettlementBatch batch;
    batch.batchId = batchId;
    batch.terminalId = terminalId;
    while (rows->next()) {
        core::SettlementRecord r;
        r.asn = unhex(rows->value(0));
        r.algorithm = static_cast<core::Algorithm>(rows->value(1).toInt());
        r.offlineAtc = static_cast<std::uint16_t>(rows->value(2).toInt());
        r.tsn = static_cast<std::uint32_t>(rows->value(3).toLongLong());
        r.amount = core::Amount(static_cast<std::uint32_t>(rows->value(4).toLongLong()));
        r.terminalId = unhex(rows->value(5));
        r.date = unhex(rows->value(6));
        r.time = unhex(rows->value(7));
        r.tac = unhex(rows->value(8));
        r.mac2 = unhex(rows->value(9));
        batch.records.push_back(std::move(r));
    }
    if (auto c = tx.commit(kWhat); !c) {
        return c.error();
    }
    return std::optional<SettlementBatch>{std::move(batch)};
}

Result<void> SaleStore::markUploaded(const QString& batchId, const QByteArray& result)
{
    SqlTransaction tx(db());
    if (auto b = Sqlite::exec(db(),
            QStringLiteral("UPDATE batches SET uploaded_at = datetime('now'), result = ? WHERE batch_id = ?"),
            {QString::fromUtf8(result), batchId},
            kWhat);
        !b) {
        return b.error();
    }
    if (auto s
        = Sqlite::exec(db(), QStringLiteral("UPDATE sales SET settled = 1 WHERE batch_id = ?"), {batchId}, kWhat);
        !s) {
        return s.error();
    }
    return tx.commit(kWhat);
}

Result<SaleStore::Totals> SaleStore::totals(const QDate& day) const
{
    Totals t;
    auto q = Sqlite::exec(db(),
        QStringLiteral("SELECT count(*), COALESCE(sum(amount), 0) FROM sales WHERE state = 'done' AND day = ?"),
        {day.toString(Qt::ISODate)},
        kWhat);
    if (!q) {
        return q.error();
    }
    if (q->next()) {
        t.sales = q->value(0).toInt();
        t.amount = core::Amount(static_cast<std::uint32_t>(q->value(1).toLongLong()));
    }
    auto c = Sqlite::exec(db(),
        QStringLiteral("SELECT sum(state IN ('started', 'checking')), sum(state = 'done' AND settled = 0) FROM sales"),
        {},
        kWhat);
    if (!c) {
        return c.error();
    }
    if (c->next()) {
        t.checking = c->value(0).toInt();
        t.unsettled = c->value(1).toInt();
    }
    return t;
}

Result<std::pair<qint64, int>> SaleStore::settleBackoff() const
{
    auto q = Sqlite::exec(
        db(), QStringLiteral("SELECT key, value FROM meta WHERE key IN ('settle_next', 'settle_backoff')"), {}, kWhat);
    if (!q) {
        return q.error();
    }
    std::pair<qint64, int> out{0, 0};
    while (q->next()) {
        if (q->value(0).toString() == QLatin1String("settle_next")) {
            out.first = q->value(1).toLongLong();
        } else {
            out.second = q->value(1).toInt();
        }
    }
    return out;
}

Result<void> SaleStore::setSettleBackoff(qint64 nextAttemptSecs, int backoffSecs)
{
    SqlTransaction tx(db());
    for (const auto& [key, value] : {std::pair<QString, qint64>{QStringLiteral("settle_next"), nextAttemptSecs},
             std::pair<QString, qint64>{QStringLiteral("settle_backoff"), backoffSecs}}) {
        if (auto r = Sqlite::exec(db(),
                QStringLiteral("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
                               "excluded.value"),
                {key, value},
                kWhat);
            !r) {
            return r.error();
        }
    }
    return tx.commit(kWhat);
}

Result<qint64> SaleStore::hotlistVersion() const
{
    auto q = Sqlite::exec(db(), QStringLiteral("SELECT value FROM meta WHERE key = 'hotlist_version'"), {}, kWhat);
    if (!q) {
        return q.error();
    }
    return q->next() ? q->value(0).toLongLong() : qint64{-1};
}

Result<void> SaleStore::applyHotlist(
    qint64 version, bool complete, const QList<QByteArray>& added, const QList<QByteArray>& removed)
{
    SqlTransaction tx(db());
    if (complete) {
        if (auto d = Sqlite::exec(db(), QStringLiteral("DELETE FROM hotlist"), {}, kWhat); !d) {
            return d.error();
        }
    }
    for (const QByteArray& a : added) {
        if (auto i
            = Sqlite::exec(db(), QStringLiteral("INSERT OR IGNORE INTO hotlist (asn) VALUES (?)"), {hex(a)}, kWhat);
            !i) {
            return i.error();
        }
    }
    for (const QByteArray& r : removed) {
        if (auto d = Sqlite::exec(db(), QStringLiteral("DELETE FROM hotlist WHERE asn = ?"), {hex(r)}, kWhat); !d) {
            return d.error();
        }
    }
    if (auto m = Sqlite::exec(db(),
            QStringLiteral("INSERT INTO meta (key, value) VALUES ('hotlist_version', ?) ON CONFLICT (key) DO UPDATE"
                           " SET value = excluded.value"),
            {version},
            kWhat);
        !m) {
        return m.error();
    }
    return tx.commit(kWhat);
}

Result<bool> SaleStore::isHotlisted(const QByteArray& asn) const
{
    auto q = Sqlite::exec(db(), QStringLiteral("SELECT 1 FROM hotlist WHERE asn = ?"), {hex(asn)}, kWhat);
    if (!q) {
        return q.error();
    }
    return q->next();
}

} // namespace wallet::kiosk
