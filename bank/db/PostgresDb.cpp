// SPDX-License-Identifier: Apache-2.0
#include "bank/db/PostgresDb.h"

#include <libpq-fe.h>

#include <QString>

namespace wallet::bank {

using core::ErrorCode;
using core::makeError;

PostgresDb::PostgresDb(pg_conn* c)
    : m_conn(c)
{ }

PostgresDb::~PostgresDb()
{
    if (m_conn) {
        PQfinish(m_conn);
    }
}

Result<std::unique_ptr<Db>> PostgresDb::open(const std::string& conninfo)
{
    pg_conn* c = PQconnectdb(conninfo.c_str());
    if (!c || PQstatus(c) != CONNECTION_OK) {
        QString why = c ? QString::fromUtf8(PQerrorMessage(c)).trimmed() : QStringLiteral("out of memory");
        if (c) {
            PQfinish(c);
        }
        return makeError(ErrorCode::StorageError, QStringLiteral("PostgreSQL: cannot connect: ") + why);
    }
    std::unique_ptr<PostgresDb> conn(new PostgresDb(c));
    // docs/bank.md §7.3: a stuck peer makes a 503, never an unbounded wait.
    auto s = conn->exec("SET lock_timeout = '2s'; SET statement_timeout = '5s';"
                        " SET idle_in_transaction_session_timeout = '10s'; SET client_min_messages = warning");
    if (!s) {
        return s.error();
    }
    return std::unique_ptr<Db>(std::move(conn));
}

Result<DbResult> PostgresDb::exec(const std::string& sql, const DbParams& params)
{
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) {
        values.push_back(p ? p->c_str() : nullptr);
    }
    pg_result* r = params.empty()
        ? PQexec(m_conn, sql.c_str())
        : PQexecParams(
            m_conn, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0);
    DbResult result(r);
    const auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
        m_sqlState.clear();
        return result;
    }
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    m_sqlState = state ? state : "08000";
    return makeError(ErrorCode::StorageError,
        QStringLiteral("PostgreSQL %1: %2")
            .arg(QString::fromStdString(m_sqlState), QString::fromUtf8(PQerrorMessage(m_conn)).trimmed()));
}

bool PostgresDb::healthy() const
{
    return PQstatus(m_conn) == CONNECTION_OK;
}

} // namespace wallet::bank
