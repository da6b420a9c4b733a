// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "core/purse/PurseTypes.h"

#include <QSqlDatabase>
#include <QString>

#include <memory>
#include <optional>
#include <vector>

namespace wallet::core {

/// One row of the mirror: a token transaction, keyed by (token serial, type, ATC).
struct StoredTransaction
{
    QString tokenSerial; ///< device serial, hex
    TransactionType type = TransactionType::Purchase;
    std::uint16_t atc = 0;
    Amount amount;
    QByteArray terminalId;
    QDateTime when;
    QByteArray record; ///< the 23 raw bytes of SFI 0x18 (empty if made here and not yet synced)
    // Filled for transactions made by this terminal:
    std::optional<Amount> balanceAfter;
    QByteArray tac;
    QByteArray mac2;
    std::uint32_t tsn = 0;
    QString merchant;
    bool madeHere = false;
};

struct HistoryQuery
{
    QString tokenSerial; ///< empty = all tokens
    std::optional<TransactionType> type;
    std::optional<QDate> from; ///< inclusive
    std::optional<QDate> to; ///< inclusive
    std::optional<Amount> minAmount;
    std::optional<Amount> maxAmount;
    int limit = 50; ///< page size (1..1000)
    int offset = 0;
};

/**
 * @brief The wallet's SQLite mirror of the token transaction logs (Qt Sql, QSQLITE). History only: the balance
 * shown is always the token's. Never holds a PIN or key.
 *
 * * Schema versioned with PRAGMA user_version and migrated forward in one transaction; a file with a newer
 *   version is refused (StorageError), never modified.
 * * WAL + synchronous=FULL: a sync is durable before sync() returns.
 * * sync() is one transaction of INSERT … ON CONFLICT DO NOTHING on UNIQUE(token_serial, type, atc): replaying
 *   it changes nothing; a crash mid-sync leaves the previous state.
 * * A corrupt, unreadable or locked file gives a clear StorageError; callers keep using the token without it.
 *
 * Thread affinity: a store is used on the thread that opened it (Qt Sql rule). Each instance has its own
 * connection name, so several stores (and processes) may open the same file.
 */
class TransactionStore
{
public:
    static constexpr int kSchemaVersion = 3;

    ~TransactionStore();
    TransactionStore(const TransactionStore&) = delete;
    TransactionStore& operator=(const TransactionStore&) = delete;

    [[nodiscard]] static Result<std::unique_ptr<TransactionStore>> open(const QString& path);

    /// Inserts the token's records not yet mirrored; returns how many were new.
    [[nodiscard]] Result<int> sync(const QString& tokenSerial, const std::vector<TransactionRecord>& records);
    /// Adds (or completes) a transaction made here with its TAC/MAC2/TSN/terminal/merchant data.
    [[nodiscard]] Result<void> recordLocal(const StoredTransaction& transaction);
    [[nodiscard]] Result<std::vector<StoredTransaction>> history(const HistoryQuery& query) const;
    [[nodiscard]] Result<qint64> count(const HistoryQuery& query) const;
    /// CSV with a header row; amounts as yuan with two decimals; written to a temporary file then renamed.
    [[nodiscard]] Result<qint64> exportCsv(const HistoryQuery& query, const QString& path) const;
    /// PRAGMA quick_check.
    [[nodiscard]] Result<void> check() const;
    [[nodiscard]] QString path() const { return m_path; }

private:
    TransactionStore(QString connectionName, QString path);
    [[nodiscard]] Result<void> migrate();
    [[nodiscard]] QSqlDatabase db() const;

    QString m_connection;
    QString m_path;
};

} // namespace wallet::core
