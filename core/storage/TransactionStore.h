// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "core/purse/PurseTypes.h"

#include <QSqlDatabase>
#include <QString>
#include <QStringList>

struct sqlite3;

#include <memory>
#include <optional>
#include <vector>

namespace wallet::core {

class WalCheckpointer;

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

/// What a pending (unknown-outcome) money operation ended as.
enum class PendingState : std::uint8_t {
    Checking, ///< CREDIT/DEBIT was sent, the outcome is not known yet: checked at the next open() of that key
    Done, ///< the key proved it (its proof verified, or its log holds the record)
    NotDone, ///< the key proved it never happened (counter never reached N+1, no proof)
    Disputed, ///< the key can no longer tell (proof and record gone, or a proof that does not verify): a person decides
};

/// A load or purchase whose CREDIT/DEBIT was sent without a known outcome (spec §4; issue 9 item 10). Everything
/// needed to resolve it from the key alone: its ATC N, the amount, the terminal, the date/time of the completion.
struct PendingOperation
{
    QString tokenSerial; ///< device serial, hex
    QByteArray asn; ///< 8
    TransactionType type = TransactionType::Purchase;
    std::uint16_t atc = 0; ///< N, the counter before the transaction
    Amount amount;
    Amount balanceBefore; ///< from INITIALIZE (a load's TAC covers balance N + amount)
    QByteArray terminalId; ///< 6
    QByteArray date; ///< 4 BCD, as sent in CREDIT/DEBIT
    QByteArray time; ///< 3 BCD
    std::uint32_t tsn = 0; ///< purchase: the PSAM's TSN
    PendingState state = PendingState::Checking;
    QString reason; ///< why it is unknown, then how it was resolved (no PIN, no key)
    QDateTime created; ///< UTC
    QDateTime resolved; ///< UTC, invalid while checking
};

[[nodiscard]] QString pendingStateName(PendingState state); ///< "checking", "done", "not-done", "disputed"

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
 * * WAL + synchronous=FULL: a sync is durable before sync() returns. Its WAL checkpoint runs afterwards on a
 *   thread of its own (WalCheckpointer), not on the caller's path; wal_autocheckpoint stays as a backstop.
 * * sync() binds its INSERTs through the sqlite3 C API on Qt's handle when that handle is provably from the SQLite
 *   core links (SqliteNative); otherwise through Qt Sql. Same statements, same transaction.
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
    static constexpr int kSchemaVersion = 5;

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
    /// EXPLAIN QUERY PLAN of the two statements a history page of `query` runs (its rows, then its count), one line
    /// per step ("SEARCH txlog USING INDEX …", "SCAN txlog", "USE TEMP B-TREE FOR ORDER BY"): tests and benchmarks.
    [[nodiscard]] Result<QStringList> queryPlan(const HistoryQuery& query) const;
    /// CSV with a header row; amounts as yuan with two decimals; written to a temporary file then renamed.
    [[nodiscard]] Result<qint64> exportCsv(const HistoryQuery& query, const QString& path) const;
    /// The same CSV for rows already chosen by the caller (the wallet's text search: the export holds exactly the
    /// rows its History page shows, issue 17).
    [[nodiscard]] static Result<qint64> exportCsv(const std::vector<StoredTransaction>& rows, const QString& path);
    /// Persists an operation whose outcome is unknown (state Checking); replaces an older row of the same
    /// (token, type, ATC). Durable before it returns.
    [[nodiscard]] Result<void> recordPending(const PendingOperation& operation);
    /// Operations of one token (empty = all), newest first; `onlyChecking` leaves out the resolved ones.
    [[nodiscard]] Result<std::vector<PendingOperation>> pendingOperations(
        const QString& tokenSerial, bool onlyChecking) const;
    /// Records how the key resolved it.
    [[nodiscard]] Result<void> resolvePending(
        const QString& tokenSerial, TransactionType type, std::uint16_t atc, PendingState state, const QString& reason);
    /// PRAGMA quick_check.
    [[nodiscard]] Result<void> check() const;
    [[nodiscard]] QString path() const { return m_path; }
    /// True when sync() runs on the sqlite3 C API (see SqliteNative); false: Qt Sql.
    [[nodiscard]] bool nativeSync() const { return m_native != nullptr; }
    /// Why sync() is on Qt Sql (empty when nativeSync()).
    [[nodiscard]] QString nativeSyncProblem() const { return m_nativeProblem; }
    /// Waits for the checkpoint asked for by the last sync() (tests, benchmarks); returns how many have run.
    int waitForCheckpoint();

private:
    TransactionStore(QString connectionName, QString path);
    [[nodiscard]] Result<void> migrate();
    [[nodiscard]] QSqlDatabase db() const;
    [[nodiscard]] Result<int> insertQt(const QString& tokenSerial, const std::vector<TransactionRecord>& records);
    [[nodiscard]] Result<int> insertNative(const QString& tokenSerial, const std::vector<TransactionRecord>& records);

    QString m_connection;
    QString m_path;
    sqlite3* m_native = nullptr; ///< Qt's connection, owned by Qt Sql
    QString m_nativeProblem;
    std::unique_ptr<WalCheckpointer> m_checkpointer;
};

} // namespace wallet::core
