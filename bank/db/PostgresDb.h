// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bank/db/Db.h"

struct pg_conn;

namespace wallet::bank {

/**
 * @brief PostgreSQL through libpq (PQexecParams, text format). READ COMMITTED with ordered row locks and the session
 * limits of docs/bank.md §7.3 (lock 2 s, statement 5 s, idle in transaction 10 s).
 */
class PostgresDb final : public Db
{
public:
    ~PostgresDb() override;
    [[nodiscard]] static Result<std::unique_ptr<Db>> open(const std::string& conninfo);

    [[nodiscard]] Result<DbResult> exec(const std::string& sql, const DbParams& params = {}) override;
    [[nodiscard]] bool healthy() const override;
    [[nodiscard]] DbDialect dialect() const override { return DbDialect::PostgreSql; }
    [[nodiscard]] const char* beginStatement() const override { return "BEGIN"; }

private:
    explicit PostgresDb(pg_conn* c);
    pg_conn* m_conn = nullptr;
};

} // namespace wallet::bank
