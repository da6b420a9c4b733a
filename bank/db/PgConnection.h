// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

struct pg_conn;
struct pg_result;

namespace wallet::bank {

using core::Result;

/// One query's rows (text format). Owns the libpq result.
class PgResult
{
public:
    PgResult() = default;
    explicit PgResult(pg_result* r);
    [[nodiscard]] int rows() const;
    [[nodiscard]] bool isNull(int row, int col) const;
    [[nodiscard]] std::string text(int row, int col) const;
    [[nodiscard]] long long integer(int row, int col) const;

private:
    std::shared_ptr<pg_result> m_result;
};

using PgParams = std::vector<std::optional<std::string>>;

/**
 * @brief A PostgreSQL connection (libpq), used by one thread at a time. Every statement is parameterised
 * (PQexecParams): no value is ever spliced into SQL. A failed statement keeps its SQLSTATE for the caller's decision
 * (40001/40P01 retry, 55P03 lock timeout, 23505 unique violation).
 */
class PgConnection
{
public:
    ~PgConnection();
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    /// Connects and sets the session limits of docs/bank.md §7.3 (lock 2 s, statement 5 s, idle in tx 10 s).
    [[nodiscard]] static Result<std::unique_ptr<PgConnection>> connect(const std::string& conninfo);

    [[nodiscard]] Result<PgResult> exec(const std::string& sql, const PgParams& params = {});
    /// The SQLSTATE of the last failed statement ("" after success).
    [[nodiscard]] const std::string& lastSqlState() const { return m_sqlState; }
    [[nodiscard]] bool healthy() const;

private:
    explicit PgConnection(pg_conn* c);
    pg_conn* m_conn = nullptr;
    std::string m_sqlState;
};

/// BEGIN … COMMIT; rolls back on destruction unless committed.
class PgTransaction
{
public:
    explicit PgTransaction(PgConnection& c);
    ~PgTransaction();
    PgTransaction(const PgTransaction&) = delete;
    PgTransaction& operator=(const PgTransaction&) = delete;
    [[nodiscard]] const Result<void>& begun() const { return m_begun; }
    [[nodiscard]] Result<void> commit();
    void rollback();

private:
    PgConnection& m_conn;
    Result<void> m_begun;
    bool m_open = false;
};

} // namespace wallet::bank
