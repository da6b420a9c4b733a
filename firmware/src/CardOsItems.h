// SPDX-License-Identifier: Apache-2.0
// Journal item ids and fixed values of the e-purse (private to the CardOs*.cpp files).
#pragma once

#include "Journal.h"

#include <array>
#include <cstdint>

namespace skey::items {

inline constexpr std::uint8_t kRecordBase = 0; ///< 0..99: transaction detail slots (23 bytes)
inline constexpr std::uint8_t kKeyBase = 100; ///< 100..115: key slots (20 bytes)
inline constexpr std::uint8_t kTransportKey = 140;
inline constexpr std::uint8_t kLifeCycle = 141;
inline constexpr std::uint8_t kPin = 142; ///< max tries 1 ‖ PIN 6 (FF-padded)
inline constexpr std::uint8_t kConfig = 143;
inline constexpr std::uint8_t kSfi15 = 144;
inline constexpr std::uint8_t kSfi16 = 145;
inline constexpr std::uint8_t kPurse = 150; ///< balance 4 ‖ online ATC 2 ‖ offline ATC 2 ‖ log head 1 ‖ count 1
inline constexpr std::uint8_t kLoadProof = 151; ///< valid 1 ‖ ATC 2 ‖ MAC 4 ‖ TAC 4
inline constexpr std::uint8_t kPurchaseProof = 152;
inline constexpr std::uint8_t kPinTries = 153;
inline constexpr std::uint8_t kMacFailures = 154;
inline constexpr std::uint8_t kSmFailures = 155; ///< consecutive secure-messaging / EXTERNAL AUTHENTICATE failures

/// Items whose superseded copies the journal wipes (docs/firmware.md "Wiping superseded secrets"): the purse's key
/// slots, KT and PIN; PIV's PIN 116, PUK 118, management key 120 and private keys 121..124 (piv/PivApp.cpp); the
/// PSAM's master keys 136 (psam/PsamApp.cpp).
constexpr ItemSet secretItems()
{
    ItemSet s;
    s.addRange(kKeyBase, kKeyBase + 15).add(kTransportKey).add(kPin);
    s.add(116).add(118).addRange(120, 124).add(136);
    return s;
}
inline constexpr ItemSet kSecretItems = secretItems();

inline constexpr std::size_t kKeyItemSize = 20;
inline constexpr std::size_t kPurseItemSize = 10;
inline constexpr std::size_t kProofItemSize = 11;
inline constexpr std::size_t kConfigItemSize = 44;

inline constexpr std::array<std::uint8_t, 10> kDefaultAid{0xD1, 0x56, 0x00, 0x00, 0x01, 0x45, 0x44, 0x2F, 0x45, 0x50};
inline constexpr std::array<std::uint8_t, 7> kDefaultLabel{'E', '-', 'P', 'U', 'R', 'S', 'E'};
inline constexpr std::array<std::uint8_t, 14> kPseName{
    '1', 'P', 'A', 'Y', '.', 'S', 'Y', 'S', '.', 'D', 'D', 'F', '0', '1'};
inline constexpr std::uint32_t kDefaultMaxBalance = 1000000;
inline constexpr std::uint8_t kDefaultPolicy = 0x03; ///< load and every purchase above the limit (0) need the PIN
inline constexpr std::uint8_t kDefaultCapacity = 10;
inline constexpr std::uint8_t kMaxMacFailures = 3;
inline constexpr std::uint8_t kMaxSmFailures = 15; ///< spec §6a: then the application is blocked permanently
inline constexpr std::uint8_t kMinCapacity = 10;
inline constexpr std::uint8_t kMinAidLength = 5;
inline constexpr std::uint8_t kTypeLoad = 0x02;
inline constexpr std::uint8_t kTypePurchase = 0x06;

} // namespace skey::items
