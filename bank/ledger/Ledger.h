// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bank/db/PgConnection.h"

#include <QByteArray>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace wallet::bank {

/// One two-legged transfer (docs/bank.md §7.1): debit one account, credit another, by a positive amount.
struct TransferSpec
{
    std::string kind; ///< deposit, load, load-adjust, load-reversal, …
    std::string debitAccount;
    std::string creditAccount;
    std::int64_t amount = 0; ///< fen, > 0
    std::string naturalKey; ///< 'load:<asn>:<atc>:<attempt>', … (UNIQUE: a replay cannot move money twice)
    std::string requestScope;
    std::string requestKey;
};

/**
 * @brief The double-entry ledger in PostgreSQL (docs/bank.md §7). Every call runs inside the caller's transaction:
 * the caller commits the money movement together with its domain rows and its idempotency record.
 *
 * transfer() claims the natural key first (INSERT … ON CONFLICT DO NOTHING), then locks both accounts with
 * SELECT … FOR UPDATE in ascending id order (no deadlock between our own transactions, §7.3), checks the debited
 * account's minimum under that lock, and writes both balances and both postings (−amount, +amount, running balance,
 * per-account sequence). Errors: ErrorCode::InsufficientBalance when the debit would go below the minimum,
 * ErrorCode::InvalidState when the natural key is taken.
 */
class Ledger
{
public:
    /// The clearing account and the 64 purse-float buckets; idempotent.
    [[nodiscard]] static Result<void> createSystemAccounts(PgConnection& db);
    /// A new account; customer-funding, merchant-payable and purse-float have minimum 0, clearing none.
    [[nodiscard]] static Result<std::string> openAccount(
        PgConnection& db, const std::string& kind, const std::string& name);
    [[nodiscard]] static Result<std::string> clearingAccount(PgConnection& db);
    /// The float bucket of a key: first byte of SHA-256(ASN) mod 64 (§7.1), so loads spread over 64 rows.
    [[nodiscard]] static int floatBucket(const QByteArray& asn8);
    [[nodiscard]] static Result<std::string> floatAccount(PgConnection& db, const QByteArray& asn8);
    [[nodiscard]] static Result<std::string> transfer(PgConnection& db, const TransferSpec& t);
    /**
     * The invariants of §7.2 that this slice can check (1–7 for loads and purchases, plus merchants' payables and
     * orders paid at most once), as SQL. Returns one line per violation; empty when the ledger is sound.
     */
    [[nodiscard]] static Result<std::vector<std::string>> audit(PgConnection& db);
};

} // namespace wallet::bank
