// SPDX-License-Identifier: Apache-2.0
// The card operating system: the one entry point through which every APDU enters the token, the PBOC e-purse
// application (spec/pboc-epurse.md), its life cycle and personalisation. All persistent state goes through the
// storage journal (Journal.h); all status words come from one table (Status.h / StatusWords.cpp).
#pragma once

#include "Apdu.h"
#include "Bytes.h"
#include "Journal.h"
#include "PbocCrypto.h"
#include "Status.h"
#include "hal/Platform.h"
#include "piv/PivApp.h"
#include "psam/PsamApp.h"
#include "skey/HidWire.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace skey {

/// The channel a command arrived on (spec §6a): a HID channel's CID (never 0, never the broadcast CID), or
/// kDirectChannel for the PC/SC (vpcd) link and in-process drivers. The volatile security state belongs to the
/// channel that created it; a command from another channel clears it first.
using ChannelId = std::uint32_t;
inline constexpr ChannelId kDirectChannel = 0;

/// Largest command and response APDU the OS accepts and sends (the bound announced in GET DATA tag C6 and in the HID
/// INIT answer, docs/transport.md "Bounded APDUs"): longer command data is chained (CLA bit 0x10, PIV), longer
/// response data waits for GET RESPONSE (61xx). A longer command answers 6700.
inline constexpr std::size_t kMaxCommandApdu = wire::kMaxApduSize;
inline constexpr std::size_t kMaxResponseApdu = wire::kMaxApduSize;

/// Life-cycle byte (GET DATA tag C3), docs/firmware.md.
enum class LifeCycle : std::uint8_t {
    Blank = 0x00,
    Personalized = 0x01,
    BlockedTemporary = 0x02,
    BlockedPermanent = 0x03,
    Terminated = 0x04,
    Unmanufactured = 0xFF, ///< no transport key in NVM yet (factory step missing)
};

/// Key types of WRITE KEY (spec §6).
enum class KeyType : std::uint8_t {
    Dtk = 0x25,
    Dlk = 0x26,
    Dpk = 0x27,
    Iak = 0x30,
    Damk = 0x36,
    Dpuk = 0x37,
    Drpk = 0x38,
    Eak = 0x39,
    Pin = 0x3A,
};

/// PIN policy bits (PUT DATA tag 04). Bit 3 is a project extension: touch the key to confirm a purchase.
inline constexpr std::uint8_t kPolicyLoadNeedsPin = 0x01;
inline constexpr std::uint8_t kPolicyPurchaseNeedsPin = 0x02;
inline constexpr std::uint8_t kPolicyCardholderFileNeedsPin = 0x04;
inline constexpr std::uint8_t kPolicyPurchaseNeedsTouch = 0x08;
/// Capabilities (GET DATA tag C5, 2 bytes): bit0 3DES profile, bit1 SM4 profile, bit2 secure messaging,
/// bit3 user-presence confirmation, bit4 PIN-free small purchases, bit5 bounded APDUs (tag C6 gives the bound;
/// command chaining and GET RESPONSE for longer data).
inline constexpr std::uint16_t kCapabilities = 0x003F;
/// How long DEBIT waits for a touch when the policy asks for one.
inline constexpr std::uint32_t kTouchTimeoutMs = 30000;

inline constexpr std::size_t kKeySlots = 16;
inline constexpr std::size_t kMaxRecords = 100;
inline constexpr std::size_t kRecordSize = 23;
inline constexpr std::size_t kSfi15Size = 30;
inline constexpr std::size_t kSfi16Size = 55;
inline constexpr std::size_t kPinBytes = 6;

/**
 * The token's card OS. One instance per token; no heap, no exceptions: all state lives in the object and in NVM.
 * Single-threaded: the platform's main loop calls it.
 */
class CardOs
{
public:
    explicit CardOs(hal::Platform& platform);

    /// Power-on: recovers the storage journal (a torn commit is discarded), loads persistent state and clears all
    /// volatile security state. Must be called before the first process() and after every reset.
    void powerOn();

    /**
     * Processes one command APDU and writes the response (data ‖ SW1 SW2) into `response`, which must hold at least
     * kMaxResponseApdu bytes. Returns the response length (≥ 2). Never fails: every error becomes a status word.
     */
    std::size_t process(
        std::span<const std::uint8_t> command, std::span<std::uint8_t> response, ChannelId channel = kDirectChannel);

    /// Factory step: erases the NVM and stores the device's transport key KT; the token is then BLANK.
    /// Returns false when the NVM fails. Never available through an APDU.
    [[nodiscard]] bool factoryInit(std::span<const std::uint8_t, 16> transportKey);
    /// True once a transport key was stored (factoryInit ran on this NVM).
    [[nodiscard]] bool manufactured() const { return m_lifeCycle != LifeCycle::Unmanufactured; }
    [[nodiscard]] LifeCycle lifeCycle() const { return m_lifeCycle; }
    /// Consecutive transaction-MAC failures (diagnostics; three block the application).
    [[nodiscard]] std::uint8_t macFailures() const { return m_macFailures; }
    /// Consecutive secure-messaging MAC / EXTERNAL AUTHENTICATE failures (diagnostics; 15 block it for good).
    [[nodiscard]] std::uint8_t smFailures() const { return m_smFailures; }
    /// True when power-on found the persistent state unusable (journal or a range check): only GET DATA answers.
    [[nodiscard]] bool halted() const { return m_halted; }
    /// The journal (tests and benchmarks read its page use and the state digest).
    [[nodiscard]] Journal& journal() { return m_journal; }

private:
    struct KeySlot
    {
        std::uint8_t type = 0; ///< 0 = empty
        std::uint8_t index = 0;
        std::uint8_t version = 0;
        std::uint8_t alg = 0;
        std::array<std::uint8_t, 16> key{};
    };
    struct Purse
    {
        std::uint32_t balance = 0;
        std::uint16_t onlineAtc = 0;
        std::uint16_t offlineAtc = 0;
        std::uint8_t logHead = 0; ///< slot of the newest record
        std::uint8_t logCount = 0;
    };
    struct Proof
    {
        std::uint8_t valid = 0;
        std::uint16_t atc = 0; ///< the ATC after the transaction (N+1)
        std::array<std::uint8_t, 4> mac{};
        std::array<std::uint8_t, 4> tac{};
    };
    struct Config
    {
        std::uint8_t aidLength = 0;
        std::array<std::uint8_t, 16> aid{};
        std::uint8_t labelLength = 0;
        std::array<std::uint8_t, 16> label{};
        std::uint32_t maxBalance = 0;
        std::uint32_t noPinLimit = 0;
        std::uint8_t policy = 0;
        std::uint8_t capacity = 0;
    };
    enum class Selection : std::uint8_t { None, Pse, Purse, Piv, Psam };
    enum class SessionType : std::uint8_t { None, Load, Purchase };
    struct Session
    {
        SessionType type = SessionType::None;
        std::uint8_t keySlot = 0;
        std::uint32_t amount = 0;
        std::array<std::uint8_t, 6> terminal{};
        std::array<std::uint8_t, 4> random{};
        std::uint16_t atc = 0;
        KeyBuffer sessionKey; ///< load: SESLK (purchase: derived at DEBIT, it needs the TSN)
    };

    using Handler = Status (CardOs::*)(const Apdu&, ResponseWriter&);
    struct Command
    {
        std::uint8_t ins;
        std::uint8_t claClass; ///< 0: CLA 00, 1: CLA 80, 2: CLA 04/84 (secure messaging)
        Handler handler;
    };

    // Dispatcher helpers.
    [[nodiscard]] Status dispatch(const Apdu& apdu, ResponseWriter& out);
    [[nodiscard]] Status gate(bool allowBlank) const;
    [[nodiscard]] static Status expectLe(const Apdu& apdu, std::size_t length);
    void resetVolatile();
    void loadState();
    /// Writes a batch as it is; on failure halts until the next power-on.
    [[nodiscard]] Status writeBatch(const JournalBatch& batch);
    /// The one commit path: adds the counter resets a good MAC earned in this command (settleTries) to the batch.
    [[nodiscard]] Status commit(JournalBatch& batch);
    /// Ends the transaction session (INITIALIZE … CREDIT/DEBIT) and wipes its key and random.
    void endSession();
    /// Range checks of what loadState() read (spec §7: a corrupted image must not divide by zero or write past the
    /// log); false → the token halts with 6581.
    [[nodiscard]] bool stateInRange() const;

    // Persistence helpers (item encoders).
    void addPurse(JournalBatch& b, const Purse& p) const;
    void addProof(JournalBatch& b, std::uint8_t id, const Proof& p) const;
    void addConfig(JournalBatch& b, const Config& c) const;
    void addKey(JournalBatch& b, std::size_t slot, const KeySlot& k) const;
    void addByte(JournalBatch& b, std::uint8_t id, std::uint8_t value) const;
    [[nodiscard]] const KeySlot* findKey(KeyType type, std::uint8_t index) const;
    [[nodiscard]] Status readRecordSlot(std::size_t slot, std::span<std::uint8_t, kRecordSize> out);

    // PIN helpers.
    [[nodiscard]] static bool canonicalPin(std::span<const std::uint8_t> pin, std::span<std::uint8_t, kPinBytes> out);
    [[nodiscard]] Status spendTryAndCompare(std::span<const std::uint8_t, kPinBytes> candidate, Verdict& verdict);
    // MAC try counters (spec §4 and §6a, Decisions 2026-12): the try is spent in NVM BEFORE the comparison. When the
    // spent try reaches the limit, the same commit already blocks the application; a good MAC then restores the
    // life cycle and resets the counter in the command's own commit (or at the end of process()).
    enum class TryCounter : std::uint8_t { TransactionMac, SecureMessaging };
    [[nodiscard]] Status spendTry(TryCounter counter);
    /// The MAC just compared was good: its counter is reset with the next commit (or at the end of process()).
    void tryGood(TryCounter counter);
    /// The MAC just compared was wrong: the spent try stands; RAM follows the block committed by spendTry().
    [[nodiscard]] Status tryFailed(TryCounter counter, Status failure);
    void addTryResets(JournalBatch& b) const;
    [[nodiscard]] const KeySlot* findTacKey(std::uint8_t index) const;
    /// Logs the transaction (ATC N = `atc`) into `next` and commits purse, record, proof and the MAC-failure reset
    /// as one journal entry; RAM follows only on success.
    [[nodiscard]] Status commitTransaction(Purse next,
        std::uint16_t atc,
        std::span<const std::uint8_t, 18> macIn,
        std::uint8_t proofId,
        const Proof& proof);
    /// Stores a new PIN (FF-padded) and resets its tries, in one commit.
    [[nodiscard]] Status storePin(std::span<const std::uint8_t, kPinBytes> pin);

    // Secure messaging: checks the MAC of `CLA INS P1 P2 Lc ‖ data` (the last 4 data bytes), consuming the challenge.
    [[nodiscard]] Status checkSecureMac(const Apdu& apdu, std::uint8_t alg, std::span<const std::uint8_t, 16> key);
    [[nodiscard]] Status adminKey(const std::uint8_t*& key, std::uint8_t& alg) const;
    // adminKey() then checkSecureMac() with it; key receives the admin key (valid while *this lives).
    [[nodiscard]] Status checkAdminMac(const Apdu& apdu, const std::uint8_t*& key);
    [[nodiscard]] Status checkAdminMac(const Apdu& apdu);
    [[nodiscard]] static Status checkMacOnlyShape(const Apdu& apdu);
    [[nodiscard]] Status checkNotBlockedForGood() const;

    // Command handlers (CardOs.cpp: selection, files, GET DATA, challenge, authentication).
    Status cmdSelect(const Apdu& a, ResponseWriter& out);
    Status cmdReadBinary(const Apdu& a, ResponseWriter& out);
    Status cmdReadRecord(const Apdu& a, ResponseWriter& out);
    Status cmdGetData(const Apdu& a, ResponseWriter& out);
    Status cmdGetChallenge(const Apdu& a, ResponseWriter& out);
    Status cmdExternalAuthenticate(const Apdu& a, ResponseWriter& out);
    Status cmdInternalAuthenticate(const Apdu& a, ResponseWriter& out);
    // CardOsPurse.cpp: PIN and transactions.
    Status cmdVerify(const Apdu& a, ResponseWriter& out);
    Status cmdChangePin(const Apdu& a, ResponseWriter& out);
    Status cmdReloadPin(const Apdu& a, ResponseWriter& out);
    /// PIN UNBLOCK and RELOAD PIN share their shape: ENC(len ‖ PIN ‖ 80 00…) ‖ MAC under DPUK or DRPK (spec §3).
    [[nodiscard]] Status decryptPinCryptogram(
        const Apdu& a, const KeySlot& key, std::span<std::uint8_t, kPinBytes> pin);
    Status cmdPinUnblock(const Apdu& a, ResponseWriter& out);
    Status cmdGetBalance(const Apdu& a, ResponseWriter& out);
    Status cmdInitialize(const Apdu& a, ResponseWriter& out);
    Status cmdCredit(const Apdu& a, ResponseWriter& out);
    Status cmdDebit(const Apdu& a, ResponseWriter& out);
    Status cmdGetProve(const Apdu& a, ResponseWriter& out);
    // CardOsAdmin.cpp: life cycle and personalisation.
    Status cmdApplicationBlock(const Apdu& a, ResponseWriter& out);
    Status cmdApplicationUnblock(const Apdu& a, ResponseWriter& out);
    Status cmdCardBlock(const Apdu& a, ResponseWriter& out);
    Status cmdUpdateBinary(const Apdu& a, ResponseWriter& out);
    Status cmdWriteKey(const Apdu& a, ResponseWriter& out);
    Status cmdPutData(const Apdu& a, ResponseWriter& out);
    Status cmdEndPersonalization(const Apdu& a, ResponseWriter& out);

    static const Command kCommands[];

    hal::Platform& m_platform;
    PbocCrypto m_crypto;
    Journal m_journal;
    piv::PivApp m_piv; ///< the PIV application beside the purse (docs/piv.md); shares the journal and the RNG
    psam::PsamApp m_psam; ///< the PSAM application (docs/psam.md); shares the journal, the RNG and the crypto engine

    // Persistent state, cached in RAM; the journal is the truth (reloaded at powerOn()).
    LifeCycle m_lifeCycle = LifeCycle::Unmanufactured;
    std::array<std::uint8_t, 16> m_transportKey{};
    bool m_hasTransportKey = false;
    std::array<KeySlot, kKeySlots> m_keys{};
    bool m_hasPin = false;
    std::uint8_t m_pinMaxTries = 0;
    std::array<std::uint8_t, kPinBytes> m_pin{};
    std::uint8_t m_pinTries = 0;
    std::uint8_t m_macFailures = 0;
    std::uint8_t m_smFailures = 0;
    Config m_config{};
    std::array<std::uint8_t, kSfi15Size> m_sfi15{};
    std::array<std::uint8_t, kSfi16Size> m_sfi16{};
    Purse m_purse{};
    Proof m_loadProof{};
    Proof m_purchaseProof{};

    // Volatile state.
    ChannelId m_channel = kDirectChannel; ///< the channel the volatile security state belongs to (spec §6a)
    struct PendingTry
    {
        bool reset = false; ///< a good MAC: reset the counter (and undo a tentative block) in the next commit
        bool blocked = false; ///< spendTry() committed a tentative block with this try
        LifeCycle before = LifeCycle::Personalized; ///< the life cycle to restore when the MAC was good
    };
    PendingTry m_macTry; ///< transaction MAC (MAC1/MAC2)
    PendingTry m_smTry; ///< secure messaging and EXTERNAL AUTHENTICATE
    bool m_halted = false; ///< NVM failed: only GET DATA answers until the next powerOn()
    Selection m_selection = Selection::None;
    Verdict m_pinVerified = Verdict::Denied;
    Verdict m_personalizationSession = Verdict::Denied;
    Verdict m_externalAuthenticated = Verdict::Denied;
    std::array<std::uint8_t, 8> m_challenge{};
    std::uint8_t m_challengeLength = 0;
    Session m_session;
    std::uint8_t m_triesForStatus = 0; ///< x of a 63Cx answer (61xx for PIV)
};

} // namespace skey
