// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bank/db/PgConnection.h"
#include "bank/issuer/Issuer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace wallet::bank {

/// One purchase about to be posted (its TAC verified).
struct PostedPurchase
{
    std::string asn;
    std::string terminalId; ///< 12 digits: the PSAM's or the online terminal's
    std::int64_t tsn = 0;
    std::int64_t amount = 0; ///< fen, > 0
};

/**
 * @brief Late purchases of a replaced or closed key (docs/branch.md "Late offline purchases"; migration 9).
 *
 * A purchase proven after its card was closed (an offline sale's TAC in a kiosk's settlement batch, an online
 * purchase's late confirmation) is paid to the merchant from the card's float share like any purchase: the kiosk
 * accepted it in good faith and the TAC verifies, so the merchant is never refused. But replacement and closure
 * released what backed it, so the part of it that the card's remaining shadow balance does not cover must first come
 * back into the card's float share (without it the purchase would take the float bucket below 0 and be refused with
 * 503 whenever no other key's money sits in that bucket). beforePosting() brings it, in the transaction that posts
 * the purchase and before its transfer:
 *
 *  1. from the customer's funding account, as far as it holds money: transfer kind `recovery`, natural key
 *     `recovery:<terminal>:<TSN>` (`cards.recovered`);
 *  2. the rest from the bank's own clearing account: the bank advances it (kind `recovery`, natural key
 *     `advance:<terminal>:<TSN>`; `cards.advanced`), and it is the customer's debt: a receivable the bank sees in
 *     `bankctl reports receivables` and in the audit log (`card.late-purchase`), collected at the desk or written off.
 *
 * Never from the new key: its float share is not touched. The natural keys make a repeated posting move nothing
 * twice (a purchase is posted once anyway: UNIQUE (terminal, TSN)). Per card, shadow = loads − purchases − released +
 * recovered + advanced, and a closed card's shadow never goes below 0 (`bankctl audit ledger`).
 *
 * Call it with the cards locked, before the purchases' transfers and before their amounts leave the shadow
 * balances. Cards that are not closed are skipped (one query when none is). The funding and clearing accounts are
 * locked after the accounts the caller locked already (a deadlock with a concurrent load on the same account is
 * possible on PostgreSQL; it aborts one transaction with 503, whose client retries with the same request id).
 */
class LateRecovery
{
public:
    /// What was brought into closed cards' float shares (fen: recovered + advanced), or a database error (503).
    [[nodiscard]] static Result<std::int64_t> beforePosting(
        PgConnection& db, const CallContext& call, const std::vector<PostedPurchase>& purchases);
};

} // namespace wallet::bank
