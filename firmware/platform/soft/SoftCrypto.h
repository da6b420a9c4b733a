// SPDX-License-Identifier: Apache-2.0
// A portable software block-cipher engine (DES, two-key 3DES, SM4) behind the crypto HAL. It runs the card OS where
// no hardware engine or Botan exists: the Cortex-M4 test image on QEMU (tests/target). Table-driven S-boxes, so not
// constant-time against cache/timing observers: a product board uses its hardware engine or a secure element.
#pragma once

#include "hal/CryptoEngine.h"

namespace skey::soft {

class SoftCrypto final : public hal::CryptoEngine
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

} // namespace skey::soft
