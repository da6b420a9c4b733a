// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "core/purse/PurseTypes.h"

#include <vector>

namespace wallet::core {

/// What the terminal gives the PSAM after INITIALIZE FOR PURCHASE (spec §4, §5.2).
struct PurchaseRequest
{
    QByteArray asn;
    Algorithm algorithm = Algorithm::TripleDes;
    std::uint8_t keyIndex = 1;
    std::uint8_t keyVersion = 0;
    Amount balanceBefore;
    Amount amount;
    std::uint16_t offlineAtc = 0; ///< N
    QByteArray random; ///< 4
    QByteArray date; ///< 4 BCD
    QByteArray time; ///< 3 BCD
};

struct PurchaseAuthorisation
{
    std::uint32_t tsn = 0; ///< the PSAM's terminal transaction serial, persisted before it is used
    QByteArray mac1; ///< 4
    /// Set by an acquirer that chooses them (the bank host, docs/bank.md §12): DEBIT FOR PURCHASE must carry these,
    /// which MAC1 covers, instead of the terminal's clock. Empty: the request's date and time.
    QByteArray date; ///< 4 BCD or empty
    QByteArray time; ///< 3 BCD or empty
};

/// One purchase kept for settlement (what the acquirer receives).
struct SettlementRecord
{
    QByteArray asn;
    Algorithm algorithm = Algorithm::TripleDes;
    std::uint16_t offlineAtc = 0;
    std::uint32_t tsn = 0;
    Amount amount;
    QByteArray terminalId;
    QByteArray date;
    QByteArray time;
    QByteArray tac;
    QByteArray mac2;
};

/// A purchase the PSAM authorised (MAC1 given) but never saw completed: the key may or may not have debited it.
struct UnconfirmedPurchase
{
    std::uint32_t tsn = 0;
    std::uint16_t offlineAtc = 0;
    Amount amount;
};

/**
 * @brief The PSAM (purchase secure access module, spec §4 purchase, §5.2): computes MAC1 with a persistent TSN and
 * its terminal ID, verifies the token's MAC2, keeps each TAC for settlement.
 */
class Psam
{
public:
    virtual ~Psam() = default;
    [[nodiscard]] virtual QByteArray terminalId() const = 0; ///< 6 bytes
    [[nodiscard]] virtual Result<PurchaseAuthorisation> authorisePurchase(const PurchaseRequest& request) = 0;
    /// Verifies MAC2 (constant time) and stores the TAC for settlement. Idempotent per TSN.
    [[nodiscard]] virtual Result<void> confirmPurchase(std::uint32_t tsn, const QByteArray& mac2, const QByteArray& tac)
        = 0;
    /// Authorised but never confirmed purchases of one card (oldest first), for reconciliation at the next contact.
    [[nodiscard]] virtual Result<std::vector<UnconfirmedPurchase>> unconfirmed(const QByteArray& asn) = 0;
    /// The key proved it never made this purchase (its counter did not move): drop it from the open list.
    [[nodiscard]] virtual Result<void> abandon(std::uint32_t tsn) = 0;
    /// Confirmed purchases not yet settled.
    [[nodiscard]] virtual Result<std::vector<SettlementRecord>> pendingSettlement() = 0;
    /// Marks them settled (after a successful export).
    [[nodiscard]] virtual Result<void> markSettled(const std::vector<std::uint32_t>& tsns) = 0;
    /// A confirmed purchase whose TAC the acquirer's check refused: kept (never deleted), left out of settlement,
    /// with the reason, until a person decides. The default refuses (a PSAM without that list).
    [[nodiscard]] virtual Result<void> setAside(std::uint32_t tsn, const QString& reason)
    {
        (void)tsn;
        (void)reason;
        return makeError(ErrorCode::Declined, QStringLiteral("this PSAM cannot set purchases aside"));
    }
};

} // namespace wallet::core
