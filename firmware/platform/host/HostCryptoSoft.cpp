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

} // namespace skey::host
