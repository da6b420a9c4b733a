// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "core/purse/PurseTypes.h"

namespace wallet::core {

/// What the terminal sends the issuer after INITIALIZE FOR LOAD (spec §4, §5.2).
struct LoadRequest
{
    QByteArray asn; ///< 8, from SFI 0x15
    Algorithm algorithm = Algorithm::TripleDes;
    std::uint8_t keyIndex = 1;
    std::uint8_t keyVersion = 0;
    Amount balanceBefore;
    Amount amount;
    std::uint16_t onlineAtc = 0; ///< N
    QByteArray random; ///< 4
    QByteArray mac1; ///< 4
    QByteArray terminalId; ///< 6
    QByteArray date; ///< 4 BCD, the terminal's, goes into MAC2
    QByteArray time; ///< 3 BCD
};

struct LoadAuthorisation
{
    QByteArray mac2; ///< 4
};

/**
 * @brief The issuer host's load authorisation (spec §4 load, §5.2). It derives the card's DLK/DTK from its master
 * keys and the ASN, verifies MAC1, debits the funding account exactly once per (ASN, online ATC), returns MAC2,
 * and verifies the TAC when the terminal confirms. Declines carry ErrorCode::Declined and a reason.
 *
 * Idempotence: authoriseLoad() for an (ASN, ATC) already authorised and not completed replaces the authorisation
 * (a new card random gives a new MAC2) without debiting again; for a completed one it declines.
 */
class IssuerHost
{
public:
    virtual ~IssuerHost() = default;
    [[nodiscard]] virtual Result<LoadAuthorisation> authoriseLoad(const LoadRequest& request) = 0;
    /// The token credited the load: verifies the TAC over balanceAfter ‖ N ‖ amount ‖ 02 ‖ terminal ‖ date ‖ time.
    [[nodiscard]] virtual Result<void> confirmLoad(
        const QByteArray& asn, std::uint16_t onlineAtc, Amount balanceAfter, const QByteArray& tac)
        = 0;
    /// The token did not credit the load (recovery saw it unchanged and gave up): the debit is reversed.
    [[nodiscard]] virtual Result<void> cancelLoad(const QByteArray& asn, std::uint16_t onlineAtc) = 0;
};

} // namespace wallet::core
