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
};

} // namespace skey::host
