// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct pg_result;

namespace wallet::bank {

using core::Result;

/// The two engines of the bank host (docs/bank.md §7.3): PostgreSQL for deployment, SQLite as the embedded default.
enum class DbDialect {
    PostgreSql,
    Sqlite,
};

/// One query's rows as text, whichever engine answered (PostgreSQL's text format; SQLite's values printed the same
/// way: integers in decimal, booleans "t"/"f" through boolean()).
class DbResult
{
public:
    DbResult() = default;
    explicit DbResult(pg_result* r);
    explicit DbResult(std::vector<std::vector<std::optional<std::string>>> rows);
    [[nodiscard]] int rows() const;
    [[nodiscard]] bool isNull(int row, int col) const;
    [[nodiscard]] std::string text(int row, int col) const;
    [[nodiscard]] long long integer(int row, int col) const;
    /// A boolean column or expression: PostgreSQL answers "t"/"f", SQLite 1/0.
    [[nodiscard]] bool boolean(int row, int col) const;

private:
    std::shared_ptr<pg_result> m_pg;
    std::shared_ptr<const std::vector<std::vector<std::optional<std::string>>>> m_table;
};

using DbParams = std::vector<std::optional<std::string>>;

/**
 * @brief A connection to the bank's database, used by one thread at a time (docs/bank.md §7.3). The code of the
 * ledger, issuer, acquirer, issuance and idempotency is written once in PostgreSQL's SQL with `$n` parameters; the
 * SQLite connection translates the few PostgreSQL forms it needs (row locks, casts, `= ANY($n::type[])`,
 * `string_agg`, `greatest`), and the rest is dialect()-specific at its call site. Every statement is parameterised:
 * no value is ever spliced into SQL. A failed statement keeps a PostgreSQL SQLSTATE for the caller's decision, also
 * on SQLite (23505 unique violation, 55P03 lock timeout = SQLITE_BUSY, 25006 read-only, XX001 damaged file).
 */
class Db
{
public:
    virtual ~Db() = default;
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    /// `sqlite:<path>` or a libpq conninfo (BankConfig makes a relative SQLite path absolute in the data folder).
    [[nodiscard]] static Result<std::unique_ptr<Db>> connect(const std::string& conninfo);
    [[nodiscard]] static bool isSqlite(const std::string& conninfo);
    /// The SQLite file a `sqlite:` conninfo names, "" for PostgreSQL.
    [[nodiscard]] static std::string sqlitePath(const std::string& conninfo);
    /**
     * Runs `fn` on a connection of its own, so its writes survive the caller's rollback (an audit of a refusal, a
     * failed password count). On PostgreSQL a second connection, now. On SQLite, where the caller's `BEGIN IMMEDIATE`
     * holds the only write lock, after the caller's transaction on this thread has ended (on the same connection),
     * or now on a second connection when this thread has no transaction open.
     */
    static void runApart(const std::string& conninfo, const std::function<void(Db&)>& fn);

    [[nodiscard]] virtual Result<DbResult> exec(const std::string& sql, const DbParams& params = {}) = 0;
    /// The SQLSTATE of the last failed statement ("" after success).
    [[nodiscard]] const std::string& lastSqlState() const { return m_sqlState; }
    [[nodiscard]] virtual bool healthy() const = 0;
    [[nodiscard]] virtual DbDialect dialect() const = 0;
    [[nodiscard]] bool sqlite() const { return dialect() == DbDialect::Sqlite; }
    /// The statement that opens a writing transaction: "BEGIN" (READ COMMITTED) or "BEGIN IMMEDIATE".
    [[nodiscard]] virtual const char* beginStatement() const = 0;

protected:
    Db() = default;
    std::string m_sqlState;
};

/// BEGIN … COMMIT (BEGIN IMMEDIATE on SQLite); rolls back on destruction unless committed.
class DbTransaction
{
public:
    explicit DbTransaction(Db& c);
    ~DbTransaction();
    DbTransaction(const DbTransaction&) = delete;
    DbTransaction& operator=(const DbTransaction&) = delete;
    [[nodiscard]] const Result<void>& begun() const { return m_begun; }
    [[nodiscard]] Result<void> commit();
    void rollback();

private:
    Db& m_conn;
    Result<void> m_begun;
    bool m_open = false;
};

// The names the code used when PostgreSQL was the only engine; kept so the call sites (and branches written
// against them) compile unchanged.
using PgConnection = Db;
using PgResult = DbResult;
using PgParams = DbParams;
using PgTransaction = DbTransaction;

} // namespace wallet::bank
