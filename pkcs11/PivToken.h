// SPDX-License-Identifier: Apache-2.0
// The host side of the token's PIV application (docs/piv.md) over the project's own HID transport (a USB key through
// hidapi, or the simulator's UDP port): the commands the PKCS#11 module needs. Errors are values (no exceptions).
#pragma once

#include <QByteArray>

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

namespace wallet::device {
class HidApduChannel;
}
namespace wallet::core::piv {
class PivClient;
struct KeyMetadata;
} // namespace wallet::core::piv

namespace wallet::pkcs11 {

struct PivAnswer
{
    bool transportOk = false; ///< false: the key could not be reached
    QByteArray data;
    std::uint16_t sw = 0;
    [[nodiscard]] bool ok() const { return transportOk && sw == 0x9000; }
};

/// PIV key slots in PKCS#11 order; CKA_ID is the index + 1 (as OpenSC's PIV emulation numbers them).
inline constexpr std::uint8_t kPivSlots[4] = {0x9A, 0x9C, 0x9D, 0x9E};

/// The module's view of the key: core/piv/PivClient (shared with the wallet and walletctl) over its own HID channel,
/// with the answers in the shape the PKCS#11 entry points map to CKR values.
class PivToken
{
public:
    /// Opens the key: $SKEY_PKCS11_UDP_PORT (the simulator's HID port on 127.0.0.1), else the first USB key.
    static std::unique_ptr<PivToken> open();
    ~PivToken();

    PivAnswer select();
    /// VERIFY of the PIV PIN (reference 80); an empty PIN asks for the status.
    PivAnswer verify(const QByteArray& pin);
    PivAnswer logout();
    PivAnswer changePin(std::uint8_t reference, const QByteArray& oldValue, const QByteArray& newValue);
    PivAnswer resetRetry(const QByteArray& puk, const QByteArray& newPin);
    /// The DER certificate of a slot (the 70 tag of the object), or nothing.
    std::optional<QByteArray> certificate(std::uint8_t slot);
    /// Mutual authentication with the 24-byte management key.
    bool authenticate(const QByteArray& managementKey);
    /// GENERATE ASYMMETRIC KEY PAIR: the uncompressed point. Policies 0 = the slot's default (Yubico's values).
    std::optional<QByteArray> generate(
        std::uint8_t slot, std::uint8_t alg, std::uint8_t pinPolicy = 0, std::uint8_t touchPolicy = 0);
    /// DELETE KEY (Yubico MOVE KEY to FF): the slot's key pair and certificate; after authenticate().
    PivAnswer deleteKey(std::uint8_t slot);
    /// PUT DATA `53 00` of the slot's certificate object; after authenticate().
    PivAnswer deleteCertificate(std::uint8_t slot);
    /// GENERAL AUTHENTICATE: DER ECDSA signature of a host-computed hash.
    PivAnswer sign(std::uint8_t slot, std::uint8_t alg, const QByteArray& hash);
    PivAnswer ecdh(std::uint8_t slot, std::uint8_t alg, const QByteArray& point);
    /// Yubico GET METADATA of a key slot (algorithm, PIN and touch policy, public point), when the slot holds a key.
    std::optional<core::piv::KeyMetadata> keyMetadata(std::uint8_t slot);
    /// GET CHALLENGE: `n` (1..256) bytes from the token's RNG.
    std::optional<QByteArray> random(int n);
    /// Yubico GET SERIAL (4 bytes).
    std::optional<std::uint32_t> serial();

private:
    explicit PivToken(std::unique_ptr<device::HidApduChannel> channel);
    std::unique_ptr<device::HidApduChannel> m_channel;
    std::unique_ptr<core::piv::PivClient> m_client;
};

} // namespace wallet::pkcs11
