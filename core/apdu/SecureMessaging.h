// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "core/apdu/CommandApdu.h"
#include "core/crypto/Bytes.h"
#include "core/crypto/CardCrypto.h"

namespace wallet::core {

/**
 * @brief Builders for the MAC-protected commands of spec §3, §5.3 and §6. Pure functions of their inputs (the
 * challenge is a parameter), so the golden vectors check them byte for byte.
 */
class SecureMessaging
{
public:
    /// `cla ins p1 p2 Lc data MAC4`: retail MAC (alg 3) under `key16` over the header with Lc counting the MAC,
    /// IV = challenge (8 bytes) or challenge ‖ 00000000 (4 bytes).
    [[nodiscard]] static Result<CommandApdu> withMac(std::uint8_t cla,
        std::uint8_t ins,
        std::uint8_t p1,
        std::uint8_t p2,
        const QByteArray& data,
        const SecureBytes& key16,
        const QByteArray& challenge,
        bool sensitive = false);
    /// EXTERNAL AUTHENTICATE `00 82 00 keyId 08 3DES(key, challenge8)`.
    [[nodiscard]] static Result<CommandApdu> externalAuthenticate(
        const SecureBytes& key16, const QByteArray& challenge8, std::uint8_t keyId = 0);
    /// WRITE KEY `84 D4 00 keyType Lc ENC MAC` (spec §6 step 2). `fields` = keyIndex ‖ keyVer ‖ algID ‖ key16, or
    /// tries ‖ PIN for the PIN (type 3A); the length byte is prepended here.
    [[nodiscard]] static Result<CommandApdu> writeKey(
        const SecureBytes& transportKey, const QByteArray& challenge, std::uint8_t keyType, const SecureBytes& fields);
    /// PIN UNBLOCK `84 24 00 00 0C ENC8 MAC4` (spec §3).
    [[nodiscard]] static Result<CommandApdu> pinUnblock(
        const SecureBytes& dpuk, const QByteArray& challenge, const SecureBytes& pinBcd);
    /// RELOAD PIN `84 5E 00 00 0C ENC8 MAC4` (spec §3, Decision 2026-12): exactly like PIN UNBLOCK with DRPK, so the
    /// new PIN is enciphered and the MAC covers a fresh card challenge (no replay).
    [[nodiscard]] static Result<CommandApdu> reloadPin(
        const SecureBytes& drpk, const QByteArray& challenge, const SecureBytes& pinBcd);

    // The same commands for either profile (spec §5.4: the key's algID selects it). SM4: the MAC is SM4-CBC over
    // 16-byte blocks with IV = challenge ‖ 00… (16 bytes), ENC is SM4-ECB.
    [[nodiscard]] static Result<CommandApdu> withMac(Algorithm alg,
        std::uint8_t cla,
        std::uint8_t ins,
        std::uint8_t p1,
        std::uint8_t p2,
        const QByteArray& data,
        const SecureBytes& key16,
        const QByteArray& challenge,
        bool sensitive = false);
    [[nodiscard]] static Result<CommandApdu> pinUnblock(
        Algorithm alg, const SecureBytes& dpuk, const QByteArray& challenge, const SecureBytes& pinBcd);
    [[nodiscard]] static Result<CommandApdu> reloadPin(
        Algorithm alg, const SecureBytes& drpk, const QByteArray& challenge, const SecureBytes& pinBcd);
    /// APPLICATION BLOCK `84 1E 00 P2 04 MAC` with DAMK, P2 00 temporary / 01 permanent (spec §5.3).
    [[nodiscard]] static Result<CommandApdu> applicationBlock(
        Algorithm alg, const SecureBytes& damk, const QByteArray& challenge, bool permanent);
    /// APPLICATION UNBLOCK `84 18 00 00 04 MAC` with DAMK (spec §5.3).
    [[nodiscard]] static Result<CommandApdu> applicationUnblock(
        Algorithm alg, const SecureBytes& damk, const QByteArray& challenge);
};

} // namespace wallet::core
