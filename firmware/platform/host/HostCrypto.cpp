// SPDX-License-Identifier: Apache-2.0
#include "HostCrypto.h"

#include <botan/block_cipher.h>

#include <exception>
#include <memory>

namespace skey::host {
namespace {

// Botan throws; the HAL returns a flag. No exception leaves this file.
bool run(const char* algo,
    std::span<const std::uint8_t> key,
    std::span<const std::uint8_t> in,
    std::span<std::uint8_t> out,
    bool encrypt) noexcept
{
    try {
        auto cipher = Botan::BlockCipher::create(algo);
        if (!cipher) {
            return false;
        }
        cipher->set_key(key.data(), key.size());
        if (encrypt) {
            cipher->encrypt_n(in.data(), out.data(), 1);
        } else {
            cipher->decrypt_n(in.data(), out.data(), 1);
        }
        cipher->clear(); // wipes the key schedule
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

} // namespace

bool HostCrypto::desEncrypt(
    std::span<const std::uint8_t, 8> key, std::span<const std::uint8_t, 8> in, std::span<std::uint8_t, 8> out)
{
    return run("DES", key, in, out, true);
}
bool HostCrypto::desDecrypt(
    std::span<const std::uint8_t, 8> key, std::span<const std::uint8_t, 8> in, std::span<std::uint8_t, 8> out)
{
    return run("DES", key, in, out, false);
}
bool HostCrypto::tdesEncrypt(
    std::span<const std::uint8_t, 16> key, std::span<const std::uint8_t, 8> in, std::span<std::uint8_t, 8> out)
{
    return run("TripleDES", key, in, out, true);
}
bool HostCrypto::tdesDecrypt(
    std::span<const std::uint8_t, 16> key, std::span<const std::uint8_t, 8> in, std::span<std::uint8_t, 8> out)
{
    return run("TripleDES", key, in, out, false);
}
bool HostCrypto::sm4Encrypt(
    std::span<const std::uint8_t, 16> key, std::span<const std::uint8_t, 16> in, std::span<std::uint8_t, 16> out)
{
    return run("SM4", key, in, out, true);
}
bool HostCrypto::sm4Decrypt(
    std::span<const std::uint8_t, 16> key, std::span<const std::uint8_t, 16> in, std::span<std::uint8_t, 16> out)
{
    return run("SM4", key, in, out, false);
}

} // namespace skey::host
