// SPDX-License-Identifier: Apache-2.0
#include "bank/ledger/Ledger.h"

#include "bank/Util.h"

#include <openssl/evp.h>

#include <QString>

namespace wallet::bank {

using core::ErrorCode;
using core::makeError;

Result<void> Ledger::createSystemAccounts(PgConnection& db)
{
    const std::string now = std::to_string(nowMicros());
    if (auto r = db.exec("INSERT INTO accounts (id, kind, name, min_balance, created_at) VALUES ($1, 'clearing',"
                         " 'Clearing', NULL, $2) ON CONFLICT DO NOTHING",
            {uuidV7(), now});
        !r) {
        return r.error();
    }
    for (int b = 0; b < 64; ++b) {
        if (auto r = db.exec("INSERT INTO accounts (id, kind, bucket, name, min_balance, created_at) VALUES ($1,"
                             " 'purse-float', $2, $3, 0, $4) ON CONFLICT DO NOTHING",
                {uuidV7(), std::to_string(b), "Purse float " + std::to_string(b), now});
            !r) {
            return r.error();
        }
    }
    return {};
}

Result<std::string> Ledger::openAccount(PgConnection& db, const std::string& kind, const std::string& name)
{
    const std::string id = uuidV7();
    const std::optional<std::string> minimum
        = kind == "clearing" ? std::nullopt : std::optional<std::string>(std::string("0"));
    auto r = db.exec("INSERT INTO accounts (id, kind, name, min_balance, created_at) VALUES ($1, $2, $3, $4, $5)",
        {id, kind, name, minimum, std::to_string(nowMicros())});
    if (!r) {
        return r.error();
    }
    return id;
}

Result<std::string> Ledger::clearingAccount(PgConnection& db)
{
    auto r = db.exec("SELECT id FROM accounts WHERE kind = 'clearing'");
    if (!r) {
        return r.error();
    }
    if (r->rows() != 1) {
        return makeError(ErrorCode::InvalidState, QStringLiteral("ledger: no clearing account; run `bankctl init`"));
    }
    return r->text(0, 0);
}

int Ledger::floatBucket(const QByteArray& asn8)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(asn8.constData(), static_cast<std::size_t>(asn8.size()), md, &len, EVP_sha256(), nullptr);
    return md[0] % 64;
}

Result<std::string> Ledger::floatAccount(PgConnection& db, const QByteArray& asn8)
{
    auto r = db.exec(
        "SELECT id FROM accounts WHERE kind = 'purse-float' AND bucket = $1", {std::to_string(floatBucket(asn8))});
    if (!r) {
        return r.error();
    }
    if (r->rows() != 1) {
        return makeError(
            ErrorCode::InvalidState, QStringLiteral("ledger: purse float bucket missing; run `bankctl init`"));
    }
    return r->text(0, 0);
}

Result<std::string> Ledger::transfer(PgConnection& db, const TransferSpec& t)
{
    if (t.amount <= 0 || t.debitAccount == t.creditAccount) {
        return makeError(
            ErrorCode::InvalidInput, QStringLiteral("ledger: a transfer moves a positive amount between two accounts"));
    }
    const std::string id = uuidV7();
    const std::string now = std::to_string(nowMicros());
    // The natural key first: a replay finds it taken before touching any balance.
    auto claim = db.exec("INSERT INTO transfers (id, kind, debit_account_id, credit_account_id, amount, natural_key,"
                         " request_scope, request_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                         " ON CONFLICT (natural_key) DO NOTHING RETURNING id",
        {id,
            t.kind,
            t.debitAccount,
            t.creditAccount,
            std::to_string(t.amount),
            t.naturalKey,
            t.requestScope.empty() ? std::nullopt : std::optional<std::string>(t.requestScope),
            t.requestKey.empty() ? std::nullopt : std::optional<std::string>(t.requestKey),
            now});
    if (!claim) {
        return claim.error();
    }
    if (claim->rows() != 1) {
        return makeError(ErrorCode::InvalidState,
            QStringLiteral("ledger: transfer %1 was posted already; nothing was changed")
                .arg(QString::fromStdString(t.naturalKey)));
    }
    // Both rows locked in ascending id order (§7.3).
    auto rows = db.exec("SELECT id, balance, min_balance, version FROM accounts WHERE id IN ($1, $2) ORDER BY id"
                        " FOR NO KEY UPDATE",
        {t.debitAccount, t.creditAccount});
    if (!rows) {
        return rows.error();
    }
    if (rows->rows() != 2) {
        return makeError(ErrorCode::NotFound, QStringLiteral("ledger: account missing"));
    }
    for (int i = 0; i < 2; ++i) {
        const std::string account = rows->text(i, 0);
        const bool debit = account == t.debitAccount;
        const std::int64_t delta = debit ? -t.amount : t.amount;
        const std::int64_t after = rows->integer(i, 1) + delta;
        if (debit && !rows->isNull(i, 2) && after < rows->integer(i, 2)) {
            return makeError(ErrorCode::InsufficientBalance,
                QStringLiteral("available %1 fen, needed %2 fen").arg(rows->integer(i, 1)).arg(t.amount));
        }
        const std::string seq = std::to_string(rows->integer(i, 3) + 1);
        if (auto u = db.exec(
                "UPDATE accounts SET balance = $2, version = $3 WHERE id = $1", {account, std::to_string(after), seq});
            !u) {
            return u.error();
        }
        if (auto p = db.exec("INSERT INTO postings (transfer_id, account_id, amount, balance_after, seq)"
                             " VALUES ($1, $2, $3, $4, $5)",
                {id, account, std::to_string(delta), std::to_string(after), seq});
            !p) {
            return p.error();
        }
    }
    return id;
}

Result<std::vector<std::string>> Ledger::audit(PgConnection& db)
{
    struct Check
    {
        const char* name;
        const char* sql; ///< returns violating rows; the first column describes them
    };
    static const Check checks[] = {
        {"1 every transfer has exactly two postings, -amount and +amount",
            "SELECT t.id::text FROM transfers t LEFT JOIN postings p ON p.transfer_id = t.id GROUP BY t.id, t.amount"
            " HAVING count(p.*) <> 2 OR COALESCE(sum(p.amount), 1) <> 0 OR min(p.amount) <> -t.amount"
            " OR max(p.amount) <> t.amount"},
        {"2 all postings and all balances sum to zero",
            "SELECT 'postings ' || COALESCE(sum(amount), 0) FROM postings HAVING COALESCE(sum(amount), 0) <> 0"
            " UNION ALL SELECT 'balances ' || COALESCE(sum(balance), 0) FROM accounts"
            " HAVING COALESCE(sum(balance), 0) <> 0"},
        {"3 each balance is its postings, version its last seq, seq without gaps",
            "SELECT a.id::text FROM accounts a LEFT JOIN postings p ON p.account_id = a.id"
            " GROUP BY a.id, a.balance, a.version HAVING a.balance <> COALESCE(sum(p.amount), 0)"
            " OR a.version <> COALESCE(max(p.seq), 0) OR count(p.*) <> a.version"
            " OR a.balance <> COALESCE((SELECT balance_after FROM postings q WHERE q.account_id = a.id"
            " ORDER BY seq DESC LIMIT 1), 0)"},
        {"4 no balance below its minimum",
            "SELECT id::text FROM accounts WHERE min_balance IS NOT NULL AND balance < min_balance"},
        {"5 at most one load per (ASN, online ATC), its transfers match its state",
            "SELECT l.id::text FROM loads l WHERE (l.state = 'cancelled') <> (l.reversal_transfer_id IS NOT NULL)"},
        {"6 shadow balance = completed loads - completed purchases - released (replacement, closure) + recovered and"
         " advanced (late purchases of a closed card)",
            "SELECT c.asn FROM cards c WHERE c.shadow_balance <> COALESCE((SELECT sum(amount) FROM loads l"
            " WHERE l.asn = c.asn AND l.state = 'completed'), 0) - COALESCE((SELECT sum(amount) FROM purchases p"
            " WHERE p.asn = c.asn AND p.state = 'completed'), 0) - c.released + c.recovered + c.advanced"},
        {"6 the float holds the money of completed and open loads less completed purchases and released balances,"
         " plus what late purchases brought back",
            "SELECT 'float ' || COALESCE((SELECT sum(balance) FROM accounts WHERE kind = 'purse-float'), 0)"
            " WHERE COALESCE((SELECT sum(balance) FROM accounts WHERE kind = 'purse-float'), 0)"
            " <> COALESCE((SELECT sum(amount) FROM loads WHERE state IN ('authorised', 'completed')), 0)"
            " - COALESCE((SELECT sum(amount) FROM purchases WHERE state = 'completed'), 0)"
            " - COALESCE((SELECT sum(released) FROM cards), 0)"
            " + COALESCE((SELECT sum(recovered + advanced) FROM cards), 0)"},
        {"6 a card's recovered and advanced are its late purchases' transfers (recovery:/advance:<terminal>:<TSN>)",
            "SELECT c.asn FROM cards c WHERE c.recovered <> COALESCE((SELECT sum(t.amount) FROM purchases p JOIN"
            " transfers t ON t.natural_key = 'recovery:' || p.terminal_id || ':' || p.tsn WHERE p.asn = c.asn), 0)"
            " OR c.advanced <> COALESCE((SELECT sum(t.amount) FROM purchases p JOIN transfers t ON t.natural_key ="
            " 'advance:' || p.terminal_id || ':' || p.tsn WHERE p.asn = c.asn), 0)"},
        {"6 a late purchase's recovery comes from its closed card's funding account, its advance from clearing, both"
         " into the float and together at most the purchase's amount; no card's shadow balance is below 0",
            "SELECT t.id::text FROM transfers t WHERE t.kind = 'recovery' AND NOT EXISTS (SELECT 1 FROM purchases p"
            " JOIN cards c ON c.asn = p.asn JOIN accounts f ON f.id = t.credit_account_id JOIN accounts d ON d.id ="
            " t.debit_account_id WHERE p.state = 'completed' AND c.state = 'closed' AND f.kind = 'purse-float' AND"
            " ((t.natural_key = 'recovery:' || p.terminal_id || ':' || p.tsn AND d.id = c.account_id) OR"
            " (t.natural_key = 'advance:' || p.terminal_id || ':' || p.tsn AND d.kind = 'clearing')) AND p.amount >="
            " (SELECT sum(x.amount) FROM transfers x WHERE x.natural_key IN ('recovery:' || p.terminal_id || ':' ||"
            " p.tsn, 'advance:' || p.terminal_id || ':' || p.tsn)))"
            " UNION ALL SELECT asn FROM cards WHERE shadow_balance < 0"},
        {"6 what replacement and closure released left the float under its card's natural key",
            "SELECT c.asn FROM cards c WHERE c.released <> COALESCE((SELECT sum(t.amount) FROM transfers t WHERE"
            " t.natural_key IN ('replacement:' || c.asn, 'closure:' || c.asn)), 0)"},
        {"5 a purchase's transfer matches its state: online one transfer under purchase:<terminal>:<TSN>, settled"
         " the batch's transfer per float bucket, whose amount is the sum of its purchases",
            "SELECT p.id::text FROM purchases p LEFT JOIN transfers t ON t.id = p.transfer_id"
            " WHERE (p.state = 'completed') <> (t.id IS NOT NULL) OR (p.source = 'online' AND t.id IS NOT NULL AND"
            " (t.kind <> 'purchase' OR t.amount <> p.amount OR t.natural_key <> 'purchase:' || p.terminal_id || ':'"
            " || p.tsn)) OR (p.source = 'settlement' AND t.id IS NOT NULL AND t.kind <> 'settlement')"
            " UNION ALL SELECT t.id::text FROM transfers t WHERE t.kind IN ('purchase', 'settlement') AND t.amount <>"
            " (SELECT COALESCE(sum(p.amount), 0) FROM purchases p WHERE p.transfer_id = t.id)"},
        {"7 every completed purchase has its verified TAC",
            "SELECT id::text FROM purchases WHERE state = 'completed' AND tac IS NULL"},
        {"merchant payable = its completed purchases less refunds",
            "SELECT m.name FROM merchants m JOIN accounts a ON a.id = m.account_id WHERE a.balance <>"
            " COALESCE((SELECT sum(amount) FROM purchases p WHERE p.merchant_id = m.id AND p.state = 'completed'"
            " AND p.refund_transfer_id IS NULL), 0)"},
        {"orders: a paid order has exactly one completed purchase that is not refunded; others none",
            "SELECT o.id::text FROM orders o WHERE (SELECT count(*) FROM purchases p WHERE p.order_id = o.id"
            " AND p.state = 'completed' AND p.refund_transfer_id IS NULL) <> CASE WHEN o.state = 'paid' THEN 1"
            " ELSE 0 END OR (o.state = 'paid' AND NOT EXISTS (SELECT 1 FROM purchases p WHERE p.id = o.purchase_id"
            " AND p.state = 'completed' AND p.refund_transfer_id IS NULL))"},
        {"orders: a checking order has its one authorised attempt",
            "SELECT o.id::text FROM orders o WHERE o.state = 'checking' AND NOT EXISTS (SELECT 1 FROM purchases p"
            " WHERE p.id = o.purchase_id AND p.state = 'authorised')"},
        {"7 every completed load has its proof",
            "SELECT id::text FROM loads WHERE state = 'completed' AND (proven_by IS NULL"
            " OR (proven_by = 'tac' AND tac IS NULL))"},
        {"idempotency: no request left running",
            "SELECT scope || ' ' || key::text FROM idempotency WHERE state <> 'done'"},
    };
    std::vector<std::string> violations;
    for (const auto& c : checks) {
        auto r = db.exec(c.sql);
        if (!r) {
            return r.error();
        }
        for (int i = 0; i < r->rows(); ++i) {
            violations.push_back(std::string(c.name) + ": " + r->text(i, 0));
        }
    }
    return violations;
}

} // namespace wallet::bank
