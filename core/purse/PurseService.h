// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "core/channel/ApduChannel.h"
#include "core/issuer/IssuerHost.h"
#include "core/psam/Psam.h"
#include "core/purse/Clock.h"
#include "core/purse/Pin.h"
#include "core/purse/PurseTypes.h"
#include "core/storage/TransactionStore.h"

#include <QStringList>

#include <functional>
#include <optional>
#include <vector>

namespace wallet::core {

/// Terminal-side policy for PurseService.
struct PursePolicy
{
    QByteArray aid = QByteArray::fromHex("D15600000145442F4550"); ///< default purse AID (spec §1)
    QStringList allowedIssuerIds; ///< hex issuer IDs accepted by checkValidity(); empty = any
    std::uint8_t loadKeyIndex = 1;
    std::uint8_t purchaseKeyIndex = 1;
    int recoveryAttempts = 3; ///< reconnect attempts after a lost response before giving up
    QString merchantName = QStringLiteral("SmartKey Wallet terminal"); ///< stored with purchases in the mirror
};

/**
 * @brief The cardholder's purse flows over one ApduChannel (spec §1–§4): select, read, validity, PIN, balance,
 * load (via IssuerHost), purchase (via Psam), history, and recovery after a lost response.
 *
 * Synchronous and thread-agnostic: every call blocks on the channel; run it on the device worker thread. One
 * PurseService per connected key; not for concurrent use. A TransactionStore, when given, must live on the same
 * thread (Qt Sql connections are per thread).
 *
 * Money safety (spec §4): load() and purchase() never double-credit or double-charge. Once CREDIT or DEBIT has been
 * sent there are three outcomes only: done (a result whose TAC/MAC2 verified), not done (an error; the key refused
 * before writing, or proved it: no proof for counter N and the counter unchanged), or ErrorCode::OutcomeUnknown
 * (key gone, 6581, no proof, or the issuer/PSAM could not record the key's answer): the operation is persisted in
 * the mirror's pending list, the issuer authorisation / PSAM record stays open, and open() of that key resolves it
 * with GET TRANSACTION PROVE, the ATC and the SFI 0x18 log — never by comparing balances.
 */
class PurseService
{
public:
    PurseService(ApduChannel& channel,
        IssuerHost& issuer,
        Psam& psam,
        const Clock& clock,
        TransactionStore* mirror = nullptr,
        PursePolicy policy = {});

    /// GET DATA, SELECT (PSE first, falling back to the AID), READ BINARY SFI 0x15 (and 0x16 when free).
    [[nodiscard]] Result<CardInfo> open();
    /// The last open() result (empty CardInfo before).
    [[nodiscard]] const CardInfo& card() const { return m_card; }
    /// Life cycle, dates against the clock, issuer allow-list, blocked states.
    [[nodiscard]] Validity checkValidity() const;

    [[nodiscard]] Result<PinStatus> pinStatus();
    /// WrongPin carries triesLeft; PinBlocked when blocked.
    [[nodiscard]] Result<void> verifyPin(const Pin& pin);
    [[nodiscard]] Result<void> changePin(const Pin& oldPin, const Pin& newPin);

    // Card maintenance through an issuer host (it holds the master keys of DPUK, DRPK, DAMK). Each reselects the
    // purse, takes a fresh GET CHALLENGE when the command needs one, asks `issuer` for the command and sends it.
    /// PIN UNBLOCK (spec §3): `pin` must be the card's PIN; resets the tries. ConditionsNotSatisfied (6985) when the
    /// PIN is not blocked; InvalidData (6A80) when `pin` is not the card's PIN.
    [[nodiscard]] Result<void> unblockPin(IssuerHost& issuer, const Pin& pin);
    /// RELOAD PIN (spec §3): sets `newPin` and resets the tries, blocked or not.
    [[nodiscard]] Result<void> reloadPin(IssuerHost& issuer, const Pin& newPin);
    /// APPLICATION BLOCK (spec §5.3): temporary (purse commands answer 6A81 until unblockApplication()) or
    /// permanent (9303 from then on, irreversible).
    [[nodiscard]] Result<void> blockApplication(IssuerHost& issuer, bool permanent);
    /// APPLICATION UNBLOCK (spec §5.3) of a temporarily blocked purse (also clears the MAC-failure block).
    [[nodiscard]] Result<void> unblockApplication(IssuerHost& issuer);

    [[nodiscard]] Result<Amount> balance();
    /// `pin` (optional) is verified first and again after a reselect during recovery.
    [[nodiscard]] Result<LoadResult> load(Amount amount, const Pin* pin = nullptr);
    [[nodiscard]] Result<PurchaseResult> purchase(Amount amount, const Pin* pin = nullptr);
    /// All records of SFI 0x18, newest first.
    [[nodiscard]] Result<std::vector<TransactionRecord>> history();
    /// history() into the mirror (idempotent). Returns the number of new rows.
    [[nodiscard]] Result<int> syncMirror();
    /**
     * Resolves, with this key, (1) the terminal's pending operations of unknown outcome (mirror), (2) the loads the
     * issuer still holds authorised for the card, (3) the purchases the PSAM authorised but never saw confirmed.
     * For each: GET TRANSACTION PROVE for counter N — a proof the issuer (TAC) or PSAM (MAC2) verifies → done;
     * otherwise the SFI 0x18 log: the record of N present but unprovable → disputed; N never written → not done
     * (the issuer gives the funds back, the PSAM abandons the TSN). Called by open(); returns how many were
     * settled; OutcomeUnknown when some could not be decided yet (asked again at the next open()). Never moves
     * money on the key.
     */
    [[nodiscard]] Result<int> reconcile();

private:
    /// The answer of INITIALIZE FOR LOAD / FOR PURCHASE.
    struct Init
    {
        Amount balance;
        std::uint16_t atc = 0;
        std::uint8_t keyVersion = 0;
        Algorithm algorithm = Algorithm::TripleDes;
        QByteArray random;
        QByteArray mac1; ///< load only
    };
    /// What the §4 recovery found during the transaction.
    struct Outcome
    {
        enum class Kind : std::uint8_t { Done, NotDone, Unknown } kind = Kind::Unknown;
        QByteArray proof; ///< Done: MAC ‖ TAC of GET TRANSACTION PROVE (not verified yet)
        std::optional<Init> fresh; ///< NotDone: a fresh session to run it again (none when INITIALIZE was refused)
        Error refusal; ///< NotDone without `fresh`: why it cannot be run again
        QString why; ///< Unknown: what is missing
    };
    /// What the key says about a transaction at counter N, after the fact (no PIN, no INITIALIZE).
    struct Evidence
    {
        enum class Kind : std::uint8_t { Done, NotDone, Disputed, Unknown } kind = Kind::Unknown;
        Evidence() = default;
        Evidence(Kind k, QString w, QByteArray p = {})
            : kind(k)
            , why(std::move(w))
            , proof(std::move(p))
        { }
        QString why;
        QByteArray proof; ///< Done: MAC ‖ TAC (verified)
    };
    /// Opens the purse if not done yet and checks it may transact (ApplicationBlocked / InvalidState if not).
    [[nodiscard]] Result<void> readyToTransact();
    [[nodiscard]] Result<Init> start(TransactionType type, Amount amount, const QByteArray& terminalId, const Pin* pin);
    [[nodiscard]] Result<QByteArray> proveOnce(TransactionType type, std::uint16_t atc);
    [[nodiscard]] Result<Init> initialize(TransactionType type, Amount amount, const QByteArray& terminalId);
    [[nodiscard]] Outcome probe(
        TransactionType type, const Init& before, Amount amount, const QByteArray& terminalId, const Pin* pin);
    [[nodiscard]] static Evidence fromLog(const std::vector<TransactionRecord>& log,
        TransactionType type,
        std::uint16_t atc,
        Amount amount,
        const QByteArray& terminalId,
        const QByteArray& date,
        const QByteArray& time,
        const QString& proofProblem);
    /// Transport errors only as errors (the key went away); everything else is Evidence.
    [[nodiscard]] Result<Evidence> askKey(TransactionType type,
        std::uint16_t atc,
        Amount amount,
        const QByteArray& terminalId,
        const QByteArray& date,
        const QByteArray& time,
        const std::function<Result<void>(const QByteArray&)>& verifyProof,
        std::optional<std::vector<TransactionRecord>>& log);
    [[nodiscard]] Result<Evidence> resolveLoad(std::uint16_t atc,
        Amount amount,
        std::optional<Amount> balanceBefore,
        const QByteArray& terminalId,
        const QByteArray& date,
        const QByteArray& time,
        std::optional<std::vector<TransactionRecord>>& log);
    [[nodiscard]] Result<Evidence> resolvePurchase(std::uint32_t tsn,
        std::uint16_t atc,
        Amount amount,
        const QByteArray& date,
        const QByteArray& time,
        std::optional<std::vector<TransactionRecord>>& log);
    /// Persists `op` as being checked and returns the OutcomeUnknown error that says so.
    [[nodiscard]] Error unknownOutcome(PendingOperation op, const QString& why);
    [[nodiscard]] PendingOperation pendingOf(TransactionType type,
        const Init& init,
        Amount amount,
        const QByteArray& terminalId,
        const QByteArray& date,
        const QByteArray& time,
        std::uint32_t tsn) const;
    void recordLoad(const LoadResult& result);
    void recordPurchase(const PurchaseResult& result);
    [[nodiscard]] Result<void> select();
    [[nodiscard]] Result<void> reconnect(const Pin* pin);
    [[nodiscard]] Result<QByteArray> readBinary(std::uint8_t sfi, int length);
    [[nodiscard]] Result<void> maintain(IssuerHost& issuer, CardMaintenance operation, const Pin* pin);
    /// The key, for an issuer host that asks it for evidence itself (IssuerHost::cancelLoadOnKey).
    [[nodiscard]] KeyCommand keyCommand();

    ApduChannel& m_channel;
    IssuerHost& m_issuer;
    Psam& m_psam;
    const Clock& m_clock;
    TransactionStore* m_mirror;
    PursePolicy m_policy;
    CardInfo m_card;
    QByteArray m_fciApplicationData;
};

} // namespace wallet::core
