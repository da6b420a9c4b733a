// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "core/apdu/CommandApdu.h"
#include "core/purse/Pin.h"
#include "core/purse/PurseTypes.h"

#include <functional>
#include <optional>
#include <vector>

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
    /// The date and time that went into MAC2 when the host chose them (the bank host does, docs/bank.md §12: the key
    /// has no clock and the terminal's is the cardholder's); empty when the host used the request's.
    QByteArray date; ///< 4 BCD or empty
    QByteArray time; ///< 3 BCD or empty
};

/// Sends one command to the key that is present and returns its data (status word 9000) or the error of its status
/// word. PurseService hands one to the issuer host when the host needs the key's own evidence (a probe, §9.1).
using KeyCommand = std::function<Result<QByteArray>(const CommandApdu&)>;

/// A load the issuer authorised (and debited) that no confirmation or cancel has closed yet, or one a person must
/// decide ("disputed"). What the terminal needs to ask the key about it (spec §4: ATC, log record, proof).
struct PendingLoad
{
    QByteArray asn; ///< 8
    std::uint16_t onlineAtc = 0; ///< N
    Amount amount;
    std::optional<Amount> balanceBefore; ///< the key's balance at INITIALIZE (the TAC covers N's balance + amount)
    QByteArray terminalId; ///< 6
    QByteArray date; ///< 4 BCD
    QByteArray time; ///< 3 BCD
    bool disputed = false;
    QString note; ///< why it is disputed
};

/// Card maintenance that needs an issuer key (spec §3, §5.3): DPUK, DRPK and DAMK are diversified from the issuer's
/// master keys, so only the issuer host can build these commands.
enum class CardMaintenance : std::uint8_t {
    PinUnblock, ///< `84 24` with DPUK: ENC(PIN) + MAC; the PIN must be the stored one
    PinReload, ///< `84 5E 00 00` with DRPK: ENC(new PIN) + MAC over a fresh challenge (spec §3, Decision 2026-12)
    BlockApplication, ///< `84 1E 00 00` with DAMK (temporary)
    BlockApplicationPermanently, ///< `84 1E 00 01` with DAMK (irreversible)
    UnblockApplication, ///< `84 18 00 00` with DAMK
};

struct MaintenanceRequest
{
    QByteArray asn; ///< 8
    CardMaintenance operation = CardMaintenance::PinUnblock;
    QByteArray challenge; ///< 4 or 8 from GET CHALLENGE (every operation: each command needs a fresh one)
    const Pin* pin = nullptr; ///< PinUnblock: the cardholder's PIN; PinReload: the new PIN; else null
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
    /**
     * As cancelLoad(), for a host that takes no terminal's word for it (the bank host, docs/bank.md §9.1): it asks
     * the key itself, through `key`, for fresh evidence that its online ATC is still `onlineAtc` (a probe: an
     * INITIALIZE FOR LOAD with a terminal ID the host chose). PurseService always calls this one. The default
     * trusts the caller and calls cancelLoad().
     */
    [[nodiscard]] virtual Result<void> cancelLoadOnKey(
        const QByteArray& asn, std::uint16_t onlineAtc, const KeyCommand& key)
    {
        (void)key;
        return cancelLoad(asn, onlineAtc);
    }
    /**
     * The terminal ID this host knows the terminal by (the bank host: the CN of the terminal's certificate, which
     * it compares with the ID in INITIALIZE FOR LOAD), or nullopt when the terminal chooses (its PSAM's ID).
     */
    [[nodiscard]] virtual std::optional<QByteArray> terminalId() const { return std::nullopt; }
    /**
     * Loads of this card still authorised (debited, neither confirmed nor cancelled), and the disputed ones, oldest
     * first. PurseService::open() resolves the authorised ones with the key (issue 9 item 12). The default: none
     * (a host that resolves them itself).
     */
    [[nodiscard]] virtual Result<std::vector<PendingLoad>> pendingLoads(const QByteArray& asn)
    {
        (void)asn;
        return std::vector<PendingLoad>{};
    }
    /**
     * The key can no longer tell whether this load was credited (its proof and record are gone, or its proof does
     * not verify): the debit stays and the load is marked disputed with `reason` until a person decides. Never a
     * refund and never a completion.
     */
    [[nodiscard]] virtual Result<void> disputeLoad(
        const QByteArray& asn, std::uint16_t onlineAtc, const QString& reason)
    {
        (void)asn;
        (void)onlineAtc;
        (void)reason;
        return makeError(ErrorCode::Declined, QStringLiteral("this issuer host keeps no dispute list"));
    }
    /**
     * The ready C-APDU of a maintenance command for this card (keys diversified with the ASN, the profile the issuer
     * recorded for the card). PINs stay in wiped buffers; the command is marked sensitive when it carries one.
     * The default declines: an issuer host that does not offer card maintenance.
     */
    [[nodiscard]] virtual Result<CommandApdu> maintenanceCommand(const MaintenanceRequest& request)
    {
        (void)request;
        return makeError(ErrorCode::Declined, QStringLiteral("this issuer host does not offer card maintenance"));
    }
};

} // namespace wallet::core
