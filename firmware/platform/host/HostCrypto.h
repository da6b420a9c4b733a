// SPDX-License-Identifier: Apache-2.0
// Host platform: the crypto engine HAL on Botan (simulator only; a real token uses its hardware engine).
#pragma once

#include "hal/CryptoEngine.h"

namespace skey::host {

class HostCrypto final : public hal::CryptoEngine
{
public:
    bool desEncrypt(std::span<const std::uint8_t, 8> key,
        std::span<const std::uint8_t, 8> in,
        std::span<std::uint8_t, 8> out) override;
    bool desDecrypt(std::span<const std::uint8_t, 8> key,
        std::span<const std::uint8_t, 8> in,
        std::span<std::uint8_t, 8> out) override;
    bool tdesEncrypt(std::span<const std::uint8_t, 16> key,
        std::span<const std::uint8_t, 8> in,
        std::span<std::uint8_t, 8> out) override;
    bool tdesDecrypt(std::span<const std::uint8_t, 16> key,
        std::span<const std::uint8_t, 8> in,
        std::span<std::uint8_t, 8> out) override;
    bool sm4Encrypt(std::span<const std::uint8_t, 16> key,
        std::span<const std::uint8_t, 16> in,
        std::span<std::uint8_t, 16> out) override;
    bool sm4Decrypt(std::span<const std::uint8_t, 16> key,
        std::span<const std::uint8_t, 16> in,
        std::span<std::uint8_t, 16> out) override;
    // Public-key engine on Botan (ECDSA / ECDH over P-256 and P-384, SM2 signatures).
    bool ecPublicKey(hal::EcCurve curve, std::span<const std::uint8_t> priv, std::span<std::uint8_t> pub) override;
    bool ecSign(hal::EcCurve curve,
        std::span<const std::uint8_t> priv,
        std::span<const std::uint8_t> digest,
        std::span<std::uint8_t> sig) override;
    bool ecdh(hal::EcCurve curve,
        std::span<const std::uint8_t> priv,
        std::span<const std::uint8_t> peer,
        std::span<std::uint8_t> shared) override;
};

} // namespace skey::host
