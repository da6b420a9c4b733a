// SPDX-License-Identifier: Apache-2.0
// The host side of the token's PIV application (docs/piv.md): one client for the wallet, walletctl and the PKCS#11
// module (pkcs11/PivToken wraps it). Speaks over any core::ApduChannel; long answers (61xx) are collected with GET
// RESPONSE, long commands go as one extended APDU. PINs and the management key are never logged (the commands that
// carry them are marked sensitive).
#pragma once

#include "core/Result.h"
#include "core/apdu/ResponseApdu.h"
#include "core/channel/ApduChannel.h"
#include "core/crypto/Bytes.h"

#include <QByteArray>
#include <QString>

#include <array>
#include <cstdint>
#include <optional>

namespace wallet::core::piv {

/// PIV key slots in PKCS#11 order (CKA_ID = index + 1, as OpenSC numbers them).
inline constexpr std::array<std::uint8_t, 4> kSlots = {0x9A, 0x9C, 0x9D, 0x9E};
/// Algorithm ids of GENERATE / GENERAL AUTHENTICATE (73-4 Part 1 Table 5; 0x54: SM2, CanoKey's vendor value).
inline constexpr std::uint8_t kAlgP256 = 0x11;
inline constexpr std::uint8_t kAlgP384 = 0x14;
inline constexpr std::uint8_t kAlgSm2 = 0x54;
/// PIN policy values of GENERATE's tag AA (Yubico's encoding, docs/piv.md "Security").
enum class PinPolicy : std::uint8_t { Default = 0, Never = 1, Once = 2, Always = 3 };
/// Touch policy values of GENERATE's tag AB (Yubico's encoding, docs/piv.md "Security"). The token treats Cached as
/// Always: it has no clock for Yubico's 15-second cache.
enum class TouchPolicy : std::uint8_t { Default = 0, Never = 1, Always = 2, Cached = 3 };
/// "never", "always", "cached" (text of walletctl and the wallet); nullopt for anything else.
[[nodiscard]] std::optional<TouchPolicy> parseTouchPolicy(const QString& text);
/// What a key's touch policy (GET METADATA's byte) means on this token, in words: "never", "always", "cached
/// (asks every time: the token has no clock)"; 0 (not reported) is "never" (the default).
[[nodiscard]] QString touchPolicyText(std::uint8_t policy);
/// Development default management key (docs/piv.md "Development defaults").
inline constexpr char kDefaultManagementKeyHex[] = "010203040506070801020304050607080102030405060708";

/// The data-object tag of a slot's certificate (73-4 Part 1 Table 3), or nullopt for an unknown slot.
[[nodiscard]] std::optional<std::uint32_t> certificateTag(std::uint8_t slot);
/// "9A" etc. parsed from text ("9a", "9A", "0x9a"); nullopt when it is not one of kSlots.
[[nodiscard]] std::optional<std::uint8_t> parseSlot(const QString& text);
/// The slot's default PIN policy (9A/9D once, 9C always, 9E never).
[[nodiscard]] PinPolicy defaultPinPolicy(std::uint8_t slot);
/// Curve name (Botan's) of an algorithm id: "secp256r1", "secp384r1", "sm2p256v1"; empty when unknown.
[[nodiscard]] const char* curveName(std::uint8_t alg);

struct KeyMetadata
{
    std::uint8_t alg = 0;
    PinPolicy pinPolicy = PinPolicy::Default;
    std::uint8_t touchPolicy = 0;
    QByteArray point; ///< uncompressed 04 ‖ X ‖ Y
};

class PivClient
{
public:
    explicit PivClient(ApduChannel& channel);

    // ---- raw layer: the SW as the key gave it (the PKCS#11 module maps SWs itself) ----
    /// Sends one APDU and follows 61xx with GET RESPONSE. A transport failure is the only error.
    [[nodiscard]] Result<ResponseApdu> transmit(const CommandApdu& command);
    [[nodiscard]] Result<ResponseApdu> selectRaw();
    /// VERIFY of the PIV PIN (reference 80); an empty PIN asks for the status (9000 or 63Cx).
    [[nodiscard]] Result<ResponseApdu> verifyRaw(const SecureBytes& pin);
    [[nodiscard]] Result<ResponseApdu> logoutRaw();
    [[nodiscard]] Result<ResponseApdu> changeReferenceRaw(
        std::uint8_t reference, const SecureBytes& oldValue, const SecureBytes& newValue);
    [[nodiscard]] Result<ResponseApdu> resetRetryRaw(const SecureBytes& puk, const SecureBytes& newPin);
    /// GENERAL AUTHENTICATE; on 9000 the data is the inner 82 value (DER signature or ECDH X).
    [[nodiscard]] Result<ResponseApdu> signRaw(std::uint8_t slot, std::uint8_t alg, const QByteArray& hash);
    [[nodiscard]] Result<ResponseApdu> ecdhRaw(std::uint8_t slot, std::uint8_t alg, const QByteArray& point);

    // ---- checked layer: any SW but 9000 becomes the Error of the one SW table ----
    [[nodiscard]] Result<void> select();
    [[nodiscard]] Result<void> verifyPin(const SecureBytes& pin);
    /// Tries left when the PIN is not verified (63Cx), 0 when blocked; nullopt when it is verified now.
    [[nodiscard]] Result<std::optional<int>> pinStatus();
    /// Mutual authentication with the 24-byte three-key TDES management key (reference 9B).
    [[nodiscard]] Result<void> authenticate(const SecureBytes& managementKey);
    /// GENERATE ASYMMETRIC KEY PAIR: the uncompressed public point. Needs the management key.
    /// `touchPolicy` other than Default goes as tag AB (never / always / cached).
    [[nodiscard]] Result<QByteArray> generate(std::uint8_t slot,
        std::uint8_t alg,
        PinPolicy pinPolicy = PinPolicy::Default,
        TouchPolicy touchPolicy = TouchPolicy::Default);
    /// DER ECDSA (or SM2) signature of a host-computed hash.
    [[nodiscard]] Result<QByteArray> sign(std::uint8_t slot, std::uint8_t alg, const QByteArray& hash);
    /// The slot's key (GET METADATA), or nullopt when the slot holds none.
    [[nodiscard]] Result<std::optional<KeyMetadata>> keyMetadata(std::uint8_t slot);
    /// The DER certificate of a slot (tag 70 of its object), or nullopt when the object is empty.
    [[nodiscard]] Result<std::optional<QByteArray>> readCertificate(std::uint8_t slot);
    /// PUT DATA of the slot's certificate object { 70 der, 71 00, FE }. Needs the management key.
    [[nodiscard]] Result<void> writeCertificate(std::uint8_t slot, const QByteArray& der);
    /// PUT DATA `53 00`: the slot's certificate object is deleted. Needs the management key.
    [[nodiscard]] Result<void> deleteCertificate(std::uint8_t slot);
    /// Yubico MOVE KEY to FF (`00 F6 FF slot`): the slot's key pair and its certificate are deleted in one commit.
    /// Needs the management key; a slot without a key answers 6A88 (NotFound).
    [[nodiscard]] Result<void> deleteKey(std::uint8_t slot);
    [[nodiscard]] Result<QByteArray> random(int n);
    [[nodiscard]] Result<std::uint32_t> serial();

private:
    ApduChannel& m_channel;
};

} // namespace wallet::core::piv
