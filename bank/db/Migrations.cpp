// SPDX-License-Identifier: Apache-2.0
#include "bank/db/Migrations.h"

#include "bank/Util.h"

#include <QString>

#include <array>

namespace wallet::bank {

using core::ErrorCode;
using core::makeError;

namespace {

const std::array kMigrations{
#include "bank/Migrations.inc"
};

Result<int> currentVersion(PgConnection& db)
{
    auto exists = db.exec("SELECT to_regclass('schema_migrations') IS NOT NULL");
    if (!exists) {
        return exists.error();
    }
    if (exists->text(0, 0) != "t") {
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
        const std::string sql = kMigrations[static_cast<std::size_t>(v - 1)];
        PgTransaction tx(db);
        if (!tx.begun()) {
            return tx.begun().error();
        }
        if (auto r = db.exec(sql); !r) {
            return r.error();
        }
        if (auto r = db.exec("INSERT INTO schema_migrations (version, checksum, applied_at) VALUES ($1, $2, $3)",
                {std::to_string(v), sha256Hex(sql), std::to_string(nowMicros())});
            !r) {
            return r.error();
        }
        if (auto c = tx.commit(); !c) {
            return c.error();
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
        if (v < 1 || v > kMigrations.size() || rows->text(i, 1) != sha256Hex(kMigrations[v - 1])) {
            return makeError(ErrorCode::StorageError,
                QStringLiteral("schema migration %1 in the database differs from this program's: refusing").arg(v));
        }
    }
    return {};
}

} // namespace wallet::bank
