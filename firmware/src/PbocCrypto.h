// SPDX-License-Identifier: Apache-2.0
// The PBOC e-purse cryptography (spec/pboc-epurse.md §5) built from the single-block HAL primitives: session keys,
// transaction MACs (ISO/IEC 9797-1 algorithm 1), the secure-messaging retail MAC (algorithm 3), SM4-CBC MACs,
// ECB encryption with padding method 2, and key diversification. Both profiles: 3DES (algID 00) and SM4 (algID 04).
#pragma once

#include "hal/CryptoEngine.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace skey {

inline constexpr std::uint8_t kAlg3Des = 0x00;
inline constexpr std::uint8_t kAlgSm4 = 0x04;

/// A key of 8 (single DES session key) or 16 bytes; wiped on destruction.
struct KeyBuffer
{
    std::array<std::uint8_t, 16> bytes{};
    std::size_t size = 0;
    [[nodiscard]] std::span<const std::uint8_t> view() const { return {bytes.data(), size}; }
    void wipe();
    ~KeyBuffer();
};

class PbocCrypto
{
public:
    explicit PbocCrypto(hal::CryptoEngine& engine)
        : m_engine(engine)
    { }

    /// ISO/IEC 9797-1 MAC algorithm 1 with single DES, padding method 2, IV as given. Full 8-byte result.
    [[nodiscard]] bool desMac(std::span<const std::uint8_t, 8> key,
        std::span<const std::uint8_t, 8> iv,
        std::span<const std::uint8_t> data,
        std::span<std::uint8_t, 8> out);
    /// ISO/IEC 9797-1 MAC algorithm 3 ("retail MAC"), 16-byte 3DES key, padding method 2.
    [[nodiscard]] bool retailMac(std::span<const std::uint8_t, 16> key,
        std::span<const std::uint8_t, 8> iv,
        std::span<const std::uint8_t> data,
        std::span<std::uint8_t, 8> out);
    /// SM4-CBC MAC, padding method 2 to 16 bytes. Full 16-byte result.
    [[nodiscard]] bool sm4Mac(std::span<const std::uint8_t, 16> key,
        std::span<const std::uint8_t, 16> iv,
        std::span<const std::uint8_t> data,
        std::span<std::uint8_t, 16> out);

    /// Session key from a 16-byte card key and the 8-byte seed (§5.2/§5.4): 3DES → 8 bytes, SM4 → 16 bytes.
    [[nodiscard]] bool sessionKey(std::uint8_t alg,
        std::span<const std::uint8_t, 16> cardKey,
        std::span<const std::uint8_t, 8> seed,
        KeyBuffer& out);
    /// Transaction MAC (MAC1, MAC2) with a session key, IV 0: left 4 bytes.
    [[nodiscard]] bool transactionMac(std::uint8_t alg,
        const KeyBuffer& sessionKey,
        std::span<const std::uint8_t> data,
        std::span<std::uint8_t, 4> out);
    /// TAC with DTK: 3DES folds DTK_L XOR DTK_R and uses DES-MAC; SM4 uses DTK directly.
    [[nodiscard]] bool tac(std::uint8_t alg,
        std::span<const std::uint8_t, 16> dtk,
        std::span<const std::uint8_t> data,
        std::span<std::uint8_t, 4> out);
    /// Secure-messaging MAC (§5.3): IV = challenge padded with zeros to the block size; left 4 bytes.
    [[nodiscard]] bool secureMessagingMac(std::uint8_t alg,
        std::span<const std::uint8_t, 16> key,
        std::span<const std::uint8_t> challenge,
        std::span<const std::uint8_t> data,
        std::span<std::uint8_t, 4> out);
    /// ECB over whole blocks (8 bytes for 3DES, 16 for SM4); in.size() must be a multiple of the block size.
    [[nodiscard]] bool ecb(std::uint8_t alg,
        bool encrypt,
        std::span<const std::uint8_t, 16> key,
        std::span<const std::uint8_t> in,
        std::span<std::uint8_t> out);
    /// Card key diversification: 3DES: DK = 3DES(MK, ASN) ‖ 3DES(MK, NOT ASN); SM4: DK = SM4(MK, ASN ‖ NOT ASN).
    [[nodiscard]] bool diversify(std::uint8_t alg,
        std::span<const std::uint8_t, 16> masterKey,
        std::span<const std::uint8_t, 8> asn,
        std::span<std::uint8_t, 16> out);

    [[nodiscard]] static std::size_t blockSize(std::uint8_t alg) { return alg == kAlgSm4 ? 16 : 8; }

private:
    hal::CryptoEngine& m_engine;
};

} // namespace skey
