// SPDX-License-Identifier: Apache-2.0
#include "bank/db/Db.h"

#include "bank/db/PostgresDb.h"
#include "bank/db/SqliteDb.h"

#include <libpq-fe.h>

namespace wallet::bank {

DbResult::DbResult(pg_result* r)
    : m_pg(r, PQclear)
{ }

DbResult::DbResult(std::vector<std::vector<std::optional<std::string>>> rows)
    : m_table(std::make_shared<const std::vector<std::vector<std::optional<std::string>>>>(std::move(rows)))
{ }

int DbResult::rows() const
{
    if (m_table) {
        return static_cast<int>(m_table->size());
    }
    return m_pg ? PQntuples(m_pg.get()) : 0;
}

bool DbResult::isNull(int row, int col) const
{
    if (m_table) {
        return !(*m_table)[static_cast<std::size_t>(row)][static_cast<std::size_t>(col)].has_value();
    }
    return PQgetisnull(m_pg.get(), row, col) != 0;
}

std::string DbResult::text(int row, int col) const
{
    if (m_table) {
        return (*m_table)[static_cast<std::size_t>(row)][static_cast<std::size_t>(col)].value_or(std::string());
    }
    return std::string(PQgetvalue(m_pg.get(), row, col), static_cast<std::size_t>(PQgetlength(m_pg.get(), row, col)));
}

long long DbResult::integer(int row, int col) const
{
    return std::stoll(text(row, col));
}

bool DbResult::boolean(int row, int col) const
{
    const std::string v = text(row, col);
    return v == "t" || v == "1" || v == "true";
}

bool Db::isSqlite(const std::string& conninfo)
{
    return conninfo.rfind("sqlite:", 0) == 0;
}

std::string Db::sqlitePath(const std::string& conninfo)
{
    return isSqlite(conninfo) ? conninfo.substr(7) : std::string();
}

Result<std::unique_ptr<Db>> Db::connect(const std::string& conninfo)
{
    if (isSqlite(conninfo)) {
        return SqliteDb::open(sqlitePath(conninfo), false); // `bankctl init` creates the file
    }
    return PostgresDb::open(conninfo);
}

void Db::runApart(const std::string& conninfo, const std::function<void(Db&)>& fn)
{
    if (isSqlite(conninfo)) {
        if (SqliteDb* open = SqliteDb::openTransactionOnThisThread(sqlitePath(conninfo))) {
            open->afterTransaction(fn);
            return;
        }
    }
    if (auto c = connect(conninfo); c) {
        fn(**c);
    }
}

DbTransaction::DbTransaction(Db& c)
    : m_conn(c)
{
    auto r = m_conn.exec(m_conn.beginStatement());
    if (!r) {
        m_begun = r.error();
    } else {
        m_open = true;
    }
}

DbTransaction::~DbTransaction()
{
    rollback();
}

Result<void> DbTransaction::commit()
{
    m_open = false;
    auto r = m_conn.exec("COMMIT");
    if (!r) {
        if (m_conn.sqlite()) {
            (void)m_conn.exec("ROLLBACK"); // a failed COMMIT on SQLite may leave the transaction open
        }
        return r.error();
    }
    return {};
}

void DbTransaction::rollback()
{
    if (m_open) {
        m_open = false;
        (void)m_conn.exec("ROLLBACK");
    }
}

} // namespace wallet::bank
