// SPDX-License-Identifier: Apache-2.0
// HostCrypto on the portable software engine instead of Botan: linked in place of HostCrypto.cpp where Botan does
// not exist (the Cortex-M4 test image, tests/target), so HostToken and the test driver stay the same sources.
#include "HostCrypto.h"
#include "SoftCrypto.h"

namespace skey::host {
namespace {
soft::SoftCrypto g_engine;
}

bool HostCrypto::desEncrypt(
    std::span<const std::uint8_t, 8> key, std::span<const std::uint8_t, 8> in, std::span<std::uint8_t, 8> out)
{
    return g_engine.desEncrypt(key, in, out);
}
bool HostCrypto::desDecrypt(
    std::span<const std::uint8_t, 8> key, std::span<const std::uint8_t, 8> in, std::span<std::uint8_t, 8> out)
{
    return g_engine.desDecrypt(key, in, out);
}
bool HostCrypto::tdesEncrypt(
    std::span<const std::uint8_t, 16> key, std::span<const std::uint8_t, 8> in, std::span<std::uint8_t, 8> out)
{
    return g_engine.tdesEncrypt(key, in, out);
}
bool HostCrypto::tdesDecrypt(
    std::span<const std::uint8_t, 16> key, std::span<const std::uint8_t, 8> in, std::span<std::uint8_t, 8> out)
{
    return g_engine.tdesDecrypt(key, in, out);
}
bool HostCrypto::sm4Encrypt(
    std::span<const std::uint8_t, 16> key, std::span<const std::uint8_t, 16> in, std::span<std::uint8_t, 16> out)
{
    return g_engine.sm4Encrypt(key, in, out);
}
bool HostCrypto::sm4Decrypt(
    std::span<const std::uint8_t, 16> key, std::span<const std::uint8_t, 16> in, std::span<std::uint8_t, 16> out)
{
    return g_engine.sm4Decrypt(key, in, out);
}

// No elliptic-curve engine in the soft build (the QEMU test image): the HAL's own answer, false, so the PIV
// commands that need one refuse (docs/piv.md "Gaps"), exactly as on the Cortex-M4 skeleton.
bool HostCrypto::ecPublicKey(hal::EcCurve curve, std::span<const std::uint8_t> priv, std::span<std::uint8_t> pub)
{
    return hal::CryptoEngine::ecPublicKey(curve, priv, pub);
}
bool HostCrypto::ecSign(hal::EcCurve curve,
    std::span<const std::uint8_t> priv,
    std::span<const std::uint8_t> digest,
    std::span<std::uint8_t> sig)
{
    return hal::CryptoEngine::ecSign(curve, priv, digest, sig);
}
bool HostCrypto::ecdh(hal::EcCurve curve,
    std::span<const std::uint8_t> priv,
    std::span<const std::uint8_t> peer,
    std::span<std::uint8_t> shared)
{
    return hal::CryptoEngine::ecdh(curve, priv, peer, shared);
}

} // namespace skey::host
