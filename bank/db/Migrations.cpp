// SPDX-License-Identifier: Apache-2.0
#include "bank/db/Migrations.h"

#include "bank/Util.h"

#include <QString>

#include <array>

namespace wallet::bank {

using core::ErrorCode;
using core::makeError;

namespace {

// One schema, written twice: bank/migrations/NNNN_*.sql for PostgreSQL and bank/migrations/sqlite/NNNN_*.sql for
// SQLite, the same tables, columns, keys and checks in each engine's own DDL (docs/bank.md §7.3).
const std::array kMigrations{
#include "bank/Migrations.inc"
};
const std::array kSqliteMigrations{
#include "bank/SqliteMigrations.inc"
};
static_assert(kMigrations.size() == kSqliteMigrations.size(), "every migration exists for both engines");

const char* migration(const PgConnection& db, std::size_t index)
{
    return db.sqlite() ? kSqliteMigrations[index] : kMigrations[index];
}

Result<int> currentVersion(PgConnection& db)
{
    auto exists = db.exec(db.sqlite()
            ? "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
            : "SELECT to_regclass('schema_migrations') IS NOT NULL");
    if (!exists) {
        return exists.error();
    }
    if (!exists->boolean(0, 0)) {
        return 0;
    }
    auto v = db.exec("SELECT COALESCE(max(version), 0) FROM schema_migrations");
    if (!v) {
        return v.error();
    }
    return static_cast<int>(v->integer(0, 0));
}

} // namespace

int Migrations::latest()
{
    return static_cast<int>(kMigrations.size());
}

Result<int> Migrations::apply(PgConnection& db)
{
    auto current = currentVersion(db);
    if (!current) {
        return current.error();
    }
    if (*current > latest()) {
        return makeError(ErrorCode::StorageError,
            QStringLiteral("the database is at schema version %1, newer than this program (%2): use a newer "
                           "skey-bank/bankctl; nothing was changed")
                .arg(*current)
                .arg(latest()));
    }
    for (int v = *current + 1; v <= latest(); ++v) {
        const std::string sql = migration(db, static_cast<std::size_t>(v - 1));
        // SQLite changes a table's checks by rebuilding it (sqlite.org/lang_altertable.html, "other kinds of table
        // schema changes"): foreign keys off around the transaction, checked before its COMMIT.
        if (db.sqlite()) {
            if (auto r = db.exec("PRAGMA foreign_keys = OFF"); !r) {
                return r.error();
            }
        }
        PgTransaction tx(db);
        if (!tx.begun()) {
            return tx.begun().error();
        }
        if (auto r = db.exec(sql); !r) {
            return r.error();
        }
        if (db.sqlite()) {
            auto fk = db.exec("PRAGMA foreign_key_check");
            if (!fk) {
                return fk.error();
            }
            if (fk->rows() > 0) {
                return makeError(ErrorCode::StorageError,
                    QStringLiteral("schema migration %1 broke a foreign key (table %2): nothing was changed")
                        .arg(v)
                        .arg(QString::fromStdString(fk->text(0, 0))));
            }
        }
        if (auto r = db.exec("INSERT INTO schema_migrations (version, checksum, applied_at) VALUES ($1, $2, $3)",
                {std::to_string(v), sha256Hex(sql), std::to_string(nowMicros())});
            !r) {
            return r.error();
        }
        if (auto c = tx.commit(); !c) {
            return c.error();
        }
        if (db.sqlite()) {
            if (auto r = db.exec("PRAGMA foreign_keys = ON"); !r) {
                return r.error();
            }
        }
    }
    if (auto c = check(db); !c) {
        return c.error();
    }
    return latest();
}

Result<void> Migrations::check(PgConnection& db)
{
    auto current = currentVersion(db);
    if (!current) {
        return current.error();
    }
    if (*current != latest()) {
        return makeError(ErrorCode::StorageError,
            QStringLiteral("the database is at schema version %1, this program needs %2: run `bankctl init`")
                .arg(*current)
                .arg(latest()));
    }
    auto rows = db.exec("SELECT version, checksum FROM schema_migrations ORDER BY version");
    if (!rows) {
        return rows.error();
    }
    for (int i = 0; i < rows->rows(); ++i) {
        const auto v = static_cast<std::size_t>(rows->integer(i, 0));
        if (v < 1 || v > kMigrations.size() || rows->text(i, 1) != sha256Hex(migration(db, v - 1))) {
            return makeError(ErrorCode::StorageError,
                QStringLiteral("schema migration %1 in the database differs from this program's: refusing").arg(v));
        }
    }
    return {};
}

} // namespace wallet::bank
