// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>

#include <vector>

namespace wallet::core {

/**
 * @brief Shared SQLite plumbing for the mirror, the issuer ledger and the PSAM (Qt Sql, QSQLITE): one uniquely
 * named connection per object, WAL + synchronous=FULL + a busy timeout, forward-only migrations on
 * PRAGMA user_version, and SQLite errors turned into clear StorageError values.
 */
class Sqlite
{
public:
    /// Opens `path` on a new connection and checks that it is a readable SQLite database. Returns the connection name.
    /// A new file is created 0600 (owner only), an existing one tightened to it (see ownerOnly()).
    [[nodiscard]] static Result<QString> open(const QString& path, const QString& what);
    /// Creates `path` if missing with mode 0600, or removes the group/other bits of an existing file and of its
    /// -wal/-shm/-journal companions. Files of money and secrets are the owner's only (issue 9 item 19).
    [[nodiscard]] static Result<void> ownerOnly(const QString& path);
    static void close(const QString& connection);
    /// `steps[i]` migrates from version i to i+1, in one transaction each. A newer file is refused untouched.
    [[nodiscard]] static Result<void> migrate(
        QSqlDatabase db, const std::vector<QStringList>& steps, const QString& what);
    /// `connection` (the name open() returned) selects the advice: the mirror may be moved away and rebuilt from the
    /// keys' logs; the issuer ledger and the PSAM store hold money (unsettled purchases, loads, the TSN) and never may.
    [[nodiscard]] static Error error(const QSqlError& e, const QString& what, const QString& connection = {});
    /// Runs one statement (with positional bindings); StorageError on failure.
    [[nodiscard]] static Result<QSqlQuery> exec(
        QSqlDatabase db, const QString& sql, const QVariantList& binds, const QString& what);
};

/// Begins a transaction on construction, rolls back on destruction unless commit() succeeded.
class SqlTransaction
{
public:
    explicit SqlTransaction(QSqlDatabase db);
    ~SqlTransaction();
    SqlTransaction(const SqlTransaction&) = delete;
    SqlTransaction& operator=(const SqlTransaction&) = delete;
    [[nodiscard]] bool begun() const { return m_begun; }
    [[nodiscard]] Result<void> commit(const QString& what);

private:
    QSqlDatabase m_db;
    bool m_begun = false;
    bool m_done = false;
};

} // namespace wallet::core
