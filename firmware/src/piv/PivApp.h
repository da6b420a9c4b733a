// SPDX-License-Identifier: Apache-2.0
// The PIV card application (NIST SP 800-73-4 Part 2, the subset OpenSC's PIV driver and yubico-piv-tool use) beside
// the e-purse. It shares nothing with the purse but the RNG, the crypto engine and the storage journal: its own
// items (PIN, PUK, management key, four key slots, object directories) and a pool of 120-byte object chunks.
// docs/piv.md is the reference: commands, status words, storage layout, decisions and gaps.
#pragma once

#include "Apdu.h"
#include "Bytes.h"
#include "Journal.h"
#include "Status.h"
#include "hal/Platform.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace skey::piv {

/// PIV AID (SP 800-73-4 Part 1 §2.2): A0 00 00 03 08 00 00 10 00 01 00. SELECT accepts any right-truncation of at
/// least the 5-byte RID (clients select `A0 00 00 03 08`).
inline constexpr std::array<std::uint8_t, 11> kAid{0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00};
inline constexpr std::size_t kMaxObjectBytes = 2048; ///< content of one data object (the value of tag 53)
inline constexpr std::size_t kChunkBytes = kMaxItemSize; ///< one journal item of object data
inline constexpr std::size_t kObjectCount = 10;
inline constexpr std::size_t kKeySlotCount = 4; ///< 9A, 9C, 9D, 9E
inline constexpr std::uint8_t kPinTriesDefault = 3;
inline constexpr std::uint8_t kPukTriesDefault = 3;

/// True when `aid` selects PIV (a prefix of kAid of 5..11 bytes).
[[nodiscard]] bool isPivAid(std::span<const std::uint8_t> aid);

class PivApp
{
public:
    PivApp(hal::Platform& platform, Journal& journal);

    /// Power-on: volatile state cleared (nothing to load: PIV reads its items from the journal when it needs them).
    void powerOn();
    /// Clears the volatile security state (PIN verified, management-key authentication, pending challenge, chained
    /// data, pending response). Called on SELECT and when another channel speaks (spec §6a).
    void resetVolatile();
    /// SELECT by the PIV AID: answers the application property template (SP 800-73-4 Part 2 §3.1.1).
    Status select(ResponseWriter& out);
    /**
     * One command while PIV is selected (SELECT itself excepted). Handles ISO 7816-4 command chaining (CLA bit
     * 0x10) and GET RESPONSE (61xx) around the commands. `swExtra` receives x of 63Cx or xx of 61xx.
     */
    Status process(const Apdu& apdu, ResponseWriter& out, std::uint8_t& swExtra);

private:
    struct KeySlot
    {
        std::uint8_t alg = 0; ///< 0: empty; 0x11 P-256, 0x14 P-384, 0x54 SM2
        std::uint8_t pinPolicy = 0; ///< 1 never, 2 once, 3 always
        std::uint8_t touchPolicy = 0;
        Wiped<48> priv;
    };
    enum class AuthStep : std::uint8_t { None, WitnessSent, ChallengeSent };

    Status dispatch(const Apdu& a, ResponseWriter& out, std::uint8_t& swExtra);
    Status cmdGetData(const Apdu& a, ResponseWriter& out, std::uint8_t& swExtra);
    Status cmdPutData(const Apdu& a);
    Status cmdVerify(const Apdu& a, std::uint8_t& swExtra);
    Status cmdChangeReference(const Apdu& a, std::uint8_t& swExtra);
    Status cmdResetRetry(const Apdu& a, std::uint8_t& swExtra);
    Status cmdGenerate(const Apdu& a, ResponseWriter& out);
    Status cmdGeneralAuthenticate(const Apdu& a, ResponseWriter& out);
    Status managementAuth(const Apdu& a, ResponseWriter& out);
    Status keyOperation(const Apdu& a, ResponseWriter& out);
    Status cmdSetManagementKey(const Apdu& a);
    Status cmdDeleteKey(const Apdu& a);
    Status cmdGetVersion(const Apdu& a, ResponseWriter& out);
    Status cmdGetSerial(const Apdu& a, ResponseWriter& out);
    Status cmdGetMetadata(const Apdu& a, ResponseWriter& out);
    Status cmdGetChallenge(const Apdu& a, ResponseWriter& out);

    // PIN and PUK (key references 80 and 81).
    /// The stored reference data (8 bytes, FF-padded) and its tries left / maximum (defaults when never set).
    Status loadReference(std::uint8_t ref, std::span<std::uint8_t, 8> value, std::uint8_t& tries, std::uint8_t& max);
    /// Spends one try in NVM, then compares in constant time; when the value was right, restores the tries and
    /// commits `onSuccess` (may be null) in the same entry.
    Status spendAndCompare(std::uint8_t ref,
        std::span<const std::uint8_t> candidate,
        std::uint8_t& swExtra,
        const JournalBatch* onSuccess);
    [[nodiscard]] static bool wellFormed(std::uint8_t ref, std::span<const std::uint8_t> value);

    // Management key (reference 9B, 3-key TDES).
    Status loadManagementKey(std::span<std::uint8_t, 24> key);
    Status tdes3(std::span<const std::uint8_t, 24> key,
        std::span<const std::uint8_t, 8> in,
        std::span<std::uint8_t, 8> out,
        bool encrypt);

    // Keys.
    [[nodiscard]] static int slotIndex(std::uint8_t keyRef);
    Status loadKey(std::size_t slot, KeySlot& k);

    // Objects: a directory item per object (`length 2 ‖ CRC-32 4 ‖ chunk ids`, or `00` when deleted) and chunks.
    [[nodiscard]] static int objectIndex(std::span<const std::uint8_t> tag);
    /// The object's length (0: absent), from its directory.
    Status readObject(std::size_t index, std::size_t& length);
    /// Writes the content atomically: chunks to free pool ids first (invisible), then the directory in one commit;
    /// `extra` items (a key) join that final commit. Unreferenced chunks are tombstoned afterwards.
    Status writeObject(std::size_t index, std::span<const std::uint8_t> content, const JournalBatch* extra);
    Status usedChunks(std::array<bool, 256>& used);
    Status tombstoneUnused();
    Status commit(const JournalBatch& b);

    hal::Platform& m_platform;
    Journal& m_journal;

    // Volatile state.
    Verdict m_pinVerified = Verdict::Denied;
    Verdict m_pinJustVerified = Verdict::Denied; ///< VERIFY was the previous command ("PIN always" keys, slot 9C)
    Verdict m_mgmtAuthenticated = Verdict::Denied;
    AuthStep m_authStep = AuthStep::None;
    std::array<std::uint8_t, 8> m_authNonce{}; ///< the witness or the card challenge of the pending authentication
    // Chaining (ISO 7816-4 §5.1.1.1) and GET RESPONSE, without a RAM copy of the object (RAM budget, issue 15): a
    // chained PUT DATA streams its content into pool chunks as the links arrive (only a partial chunk waits in
    // RAM); a long GET DATA answer is read again from NVM for every GET RESPONSE.
    enum class Io : std::uint8_t { None, ChainIn, PendingOut };
    Io m_io = Io::None;
    std::uint8_t m_chainIns = 0;
    std::uint8_t m_chainP1 = 0;
    std::uint8_t m_chainP2 = 0;
    // PendingOut: bytes m_ioOffset.. of the encoding `53 L content` of object m_outObject (m_ioLength bytes).
    std::uint8_t m_outObject = 0;
    std::size_t m_ioLength = 0;
    std::size_t m_ioOffset = 0;
    // ChainIn (PUT DATA): the header `5C 03 tag 53 L` is collected first (in m_carry), then the content.
    struct ChainedPut
    {
        bool headerDone = false;
        std::uint8_t object = 0;
        std::size_t total = 0; ///< content bytes announced by tag 53
        std::size_t received = 0; ///< content bytes taken so far (written or in m_carry)
        std::uint32_t crc = 0xFFFFFFFFu;
        std::size_t chunks = 0; ///< chunks written
        std::array<std::uint8_t, kMaxObjectBytes / kChunkBytes + 1> ids{};
        std::size_t carryLength = 0;
        std::array<std::uint8_t, kChunkBytes> carry{}; ///< the partial chunk (or the header being collected)
    };
    ChainedPut m_put;
    std::size_t m_responseLimit = 256; ///< response data bytes in this answer (Le, at most 256)

    /// One link of a chained PUT DATA (`last`: CLA bit 0x10 clear). Writes the chunks it completes.
    Status chainedPutData(const Apdu& link, bool last);
    Status chainedPutHeader();
    /// Ends chaining and a pending answer; wipes the partial chunk.
    void dropIo();
    /// Writes bytes `from`.. (at most `count`) of object `index`'s encoding `53 L content`; `encoded` = its size.
    Status readObjectWindow(
        std::size_t index, std::size_t from, std::size_t count, ResponseWriter& out, std::size_t& encoded);
};

} // namespace skey::piv
