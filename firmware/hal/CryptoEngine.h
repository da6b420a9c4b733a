// SPDX-License-Identifier: Apache-2.0
// HAL: the block-cipher engine. Required. The firmware builds every MAC, session key and diversification from these
// single-block primitives, so the algorithm logic (spec/pboc-epurse.md §5) lives in firmware code, not in the HAL.
#pragma once

#include <cstdint>
#include <span>

namespace skey::hal {

/**
 * Single-block ciphers. Keys and blocks are caller-owned and only borrowed; the engine keeps no copy of a key after
 * the call returns (on the host: Botan objects are destroyed and their memory wiped). Blocking, not ISR-safe.
 * Returns false only when the engine itself fails (sizes are fixed by the types).
 */
class CryptoEngine
{
public:
    virtual ~CryptoEngine() = default;
    /// Single DES, 8-byte key (parity ignored), one 8-byte block.
    [[nodiscard]] virtual bool desEncrypt(
        std::span<const std::uint8_t, 8> key, std::span<const std::uint8_t, 8> in, std::span<std::uint8_t, 8> out)
        = 0;
    [[nodiscard]] virtual bool desDecrypt(
        std::span<const std::uint8_t, 8> key, std::span<const std::uint8_t, 8> in, std::span<std::uint8_t, 8> out)
        = 0;
    /// Two-key triple DES EDE (K1, K2, K1), 16-byte key, one 8-byte block.
    [[nodiscard]] virtual bool tdesEncrypt(
        std::span<const std::uint8_t, 16> key, std::span<const std::uint8_t, 8> in, std::span<std::uint8_t, 8> out)
        = 0;
    [[nodiscard]] virtual bool tdesDecrypt(
        std::span<const std::uint8_t, 16> key, std::span<const std::uint8_t, 8> in, std::span<std::uint8_t, 8> out)
        = 0;
    /// SM4 (GB/T 32907-2016), 16-byte key, one 16-byte block.
    [[nodiscard]] virtual bool sm4Encrypt(
        std::span<const std::uint8_t, 16> key, std::span<const std::uint8_t, 16> in, std::span<std::uint8_t, 16> out)
        = 0;
    [[nodiscard]] virtual bool sm4Decrypt(
        std::span<const std::uint8_t, 16> key, std::span<const std::uint8_t, 16> in, std::span<std::uint8_t, 16> out)
        = 0;
};

} // namespace skey::hal
