// SPDX-License-Identifier: Apache-2.0
// The PSAM (purchase secure access module) as a card application beside the e-purse (docs/psam.md): it holds the
// purchase master keys, the terminal ID and the terminal transaction serial (TSN), computes purchase MAC1 for a card
// (spec §5.2: DPK diversified from the master key and the card's ASN, SESPK from the card random, the offline ATC and
// TSN[2..3]), verifies the card's MAC2 and keeps each confirmed purchase (TAC, MAC2) for settlement until the
// terminal acknowledges its upload. Like PIV it shares nothing with the purse but the RNG, the crypto engine and the
// storage journal; its personalisation is authenticated with the card's transport key KT (while the purse is BLANK).
#pragma once

#include "Apdu.h"
#include "Bytes.h"
#include "Journal.h"
#include "PbocCrypto.h"
#include "Status.h"
#include "hal/Platform.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace skey::psam {

/// The PSAM AID: the purse's RID-like prefix D1 56 00 00 01 followed by ASCII "PSAM".
inline constexpr std::array<std::uint8_t, 9> kAid{0xD1, 0x56, 0x00, 0x00, 0x01, 0x50, 0x53, 0x41, 0x4D};
inline constexpr std::size_t kKeySlots = 4; ///< purchase master keys, each (index, version, algID)
inline constexpr std::size_t kKeySlotBytes = 19; ///< index 1 ‖ version 1 ‖ algID 1 ‖ key 16 (index 0 = empty)
inline constexpr std::size_t kRecordBytes = 40; ///< one purchase (docs/psam.md "Records")
inline constexpr std::size_t kRecordsPerItem = 3; ///< 3 × 40 = one 120-byte journal item
inline constexpr std::size_t kRecordItems = 11;
inline constexpr std::size_t kCapacity = kRecordsPerItem * kRecordItems; ///< 33 purchases kept
inline constexpr std::size_t kStateBytes = 12; ///< life cycle 1 ‖ terminal ID 6 ‖ next TSN 4 ‖ SM failures 1
inline constexpr std::uint8_t kMaxMac2Failures = 3; ///< per purchase record
inline constexpr std::uint8_t kMaxSmFailures = 15; ///< personalisation MACs (spec §6a), then blocked for good

/// Life cycle of the PSAM application (GET STATUS byte 0).
inline constexpr std::uint8_t kBlank = 0x00;
inline constexpr std::uint8_t kPersonalized = 0x01;
inline constexpr std::uint8_t kBlockedForGood = 0x03;

/// Record state (low two bits of a record's first byte).
inline constexpr std::uint8_t kFree = 0;
inline constexpr std::uint8_t kAuthorised = 1; ///< MAC1 given, MAC2 not verified yet
inline constexpr std::uint8_t kConfirmed = 2; ///< MAC2 verified, TAC kept: waits for settlement
inline constexpr std::uint8_t kSetAside = 3; ///< confirmed, but the acquirer's TAC check refused it: kept aside

[[nodiscard]] bool isPsamAid(std::span<const std::uint8_t> aid);

class PsamApp
{
public:
    /// `transportKey`/`hasTransportKey` are the card OS's KT (valid while the purse is BLANK).
    PsamApp(hal::Platform& platform,
        Journal& journal,
        PbocCrypto& crypto,
        const std::array<std::uint8_t, 16>& transportKey,
        const bool& hasTransportKey);

    /// Clears the volatile state (the challenge). Called on SELECT, power-on and when another channel speaks.
    void resetVolatile();
    /// SELECT by the PSAM AID: FCI `6F 10 84 09 <AID> A5 03 C3 01 <life cycle>`.
    Status select(ResponseWriter& out);
    /// One command while the PSAM is selected (SELECT and the device GET DATA excepted).
    Status process(const Apdu& apdu, ResponseWriter& out);

private:
    struct State
    {
        std::uint8_t lifeCycle = kBlank;
        std::array<std::uint8_t, 6> terminalId{};
        std::uint32_t nextTsn = 1;
        std::uint8_t smFailures = 0;
    };

    Status dispatch(const Apdu& a, ResponseWriter& out);
    Status cmdGetChallenge(const Apdu& a, ResponseWriter& out);
    Status cmdWriteKey(const Apdu& a);
    Status cmdPutData(const Apdu& a);
    Status cmdEndPersonalization(const Apdu& a);
    Status cmdInitPurchase(const Apdu& a, ResponseWriter& out);
    Status cmdVerifyMac2(const Apdu& a);
    Status cmdReadRecord(const Apdu& a, ResponseWriter& out);
    Status cmdGetStatus(const Apdu& a, ResponseWriter& out);
    Status cmdRecordState(const Apdu& a);

    /// Personalisation gate + the secure-messaging MAC with KT over `CLA INS P1 P2 Lc ‖ data`: the try is spent
    /// in NVM before the comparison (spec §6a) and reset by a good MAC in `onSuccess`'s commit.
    Status checkPersonalizationMac(const Apdu& a, State& st);

    Status loadState(State& st);
    void addState(JournalBatch& b, const State& st) const;
    Status loadKeys(std::span<std::uint8_t, kKeySlots * kKeySlotBytes> keys);
    Status loadRecordItem(std::size_t item, std::span<std::uint8_t, kRecordsPerItem * kRecordBytes> out);
    /// Finds the slot (0..kCapacity-1) of the record with TSN `tsn`; kCapacity when none.
    Status findRecord(std::uint32_t tsn, std::size_t& slot);
    Status commit(const JournalBatch& b);
    /// The purchase session key of a record (diversify, then SESPK from random ‖ ATC ‖ TSN[2..3]).
    Status sessionKeyOf(std::span<const std::uint8_t, kRecordBytes> record, KeyBuffer& sespk);

    hal::Platform& m_platform;
    Journal& m_journal;
    PbocCrypto& m_crypto;
    const std::array<std::uint8_t, 16>& m_transportKey;
    const bool& m_hasTransportKey;

    // Volatile state: a GET CHALLENGE challenge for one personalisation command.
    std::array<std::uint8_t, 8> m_challenge{};
    std::uint8_t m_challengeLength = 0;
};

} // namespace skey::psam
