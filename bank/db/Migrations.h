// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bank/db/PgConnection.h"

namespace wallet::bank {

/**
 * @brief The numbered schema migrations (bank/migrations/NNNN_*.sql, docs/bank.md §7.3). Each is applied in one
 * transaction with its `schema_migrations` row (version, SHA-256 checksum). A database newer than this code, or
 * one whose applied migration differs from the file, is refused and left untouched.
 */
class Migrations
{
public:
    [[nodiscard]] static int latest();
    /// Applies what is missing; returns the schema version now.
    [[nodiscard]] static Result<int> apply(PgConnection& db);
    /// Checks that the database is exactly at latest() (the server refuses to start otherwise).
    [[nodiscard]] static Result<void> check(PgConnection& db);
};

} // namespace wallet::bank
