// SPDX-License-Identifier: Apache-2.0
#include "HostCrypto.h"

#include <botan/auto_rng.h>
#include <botan/bigint.h>
#include <botan/block_cipher.h>
#include <botan/ec_group.h>
#include <botan/ecdh.h>
#include <botan/ecdsa.h>
#include <botan/pubkey.h>
#include <botan/sm2.h>

#include <algorithm>
#include <exception>
#include <memory>
#include <vector>

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

const char* groupName(hal::EcCurve curve)
{
    switch (curve) {
    case hal::EcCurve::P256:
        return "secp256r1";
    case hal::EcCurve::P384:
        return "secp384r1";
    case hal::EcCurve::Sm2:
        return "sm2p256v1";
    }
    return "secp256r1";
}

/// The scalar as a Botan integer when it is a valid private key of the group (1 ≤ x < order), else 0.
Botan::BigInt scalar(const Botan::EC_Group& group, hal::EcCurve curve, std::span<const std::uint8_t> priv)
{
    if (priv.size() != hal::ecFieldBytes(curve)) {
        return Botan::BigInt(0);
    }
    Botan::BigInt x(priv.data(), priv.size());
    if (x.is_zero() || x >= group.get_order()) {
        return Botan::BigInt(0);
    }
    return x;
}

bool copyOut(const std::vector<std::uint8_t>& v, std::span<std::uint8_t> out)
{
    if (v.size() != out.size()) {
        return false;
    }
    std::copy(v.begin(), v.end(), out.begin());
    return true;
}

} // namespace

bool HostCrypto::ecPublicKey(hal::EcCurve curve, std::span<const std::uint8_t> priv, std::span<std::uint8_t> pub)
{
    try {
        const Botan::EC_Group group(groupName(curve));
        const Botan::BigInt x = scalar(group, curve, priv);
        if (x.is_zero() || pub.size() != 1 + 2 * hal::ecFieldBytes(curve)) {
            return false;
        }
        Botan::AutoSeeded_RNG rng;
        const Botan::ECDSA_PrivateKey key(rng, group, x);
        return copyOut(key.public_key_bits(), pub);
    } catch (const std::exception&) {
        return false;
    }
}

bool HostCrypto::ecSign(hal::EcCurve curve,
    std::span<const std::uint8_t> priv,
    std::span<const std::uint8_t> digest,
    std::span<std::uint8_t> sig)
{
    try {
        const Botan::EC_Group group(groupName(curve));
        const Botan::BigInt x = scalar(group, curve, priv);
        if (x.is_zero() || sig.size() != 2 * hal::ecFieldBytes(curve) || digest.empty()) {
            return false;
        }
        Botan::AutoSeeded_RNG rng;
        std::vector<std::uint8_t> s;
        if (curve == hal::EcCurve::Sm2) {
            // ",Raw": no user id, no hash: the host already computed e = SM3(Z ‖ M) (GM/T 0016 SKF style).
            const Botan::SM2_PrivateKey key(rng, group, x);
            Botan::PK_Signer signer(key, rng, ",Raw");
            s = signer.sign_message(digest.data(), digest.size(), rng);
        } else {
            const Botan::ECDSA_PrivateKey key(rng, group, x);
            Botan::PK_Signer signer(key, rng, "Raw"); // the digest as given; r ‖ s (IEEE 1363)
            s = signer.sign_message(digest.data(), digest.size(), rng);
        }
        return copyOut(s, sig);
    } catch (const std::exception&) {
        return false;
    }
}

bool HostCrypto::ecdh(hal::EcCurve curve,
    std::span<const std::uint8_t> priv,
    std::span<const std::uint8_t> peer,
    std::span<std::uint8_t> shared)
{
    try {
        const Botan::EC_Group group(groupName(curve));
        const Botan::BigInt x = scalar(group, curve, priv);
        if (x.is_zero() || shared.size() != hal::ecFieldBytes(curve) || peer.size() != 1 + 2 * hal::ecFieldBytes(curve)
            || peer[0] != 0x04) {
            return false;
        }
        // OS2ECP checks that the point is on the curve (throws otherwise).
        const Botan::PointGFp point = group.OS2ECP(peer.data(), peer.size());
        if (point.is_zero() || !point.on_the_curve()) {
            return false;
        }
        Botan::AutoSeeded_RNG rng;
        const Botan::ECDH_PrivateKey key(rng, group, x);
        Botan::PK_Key_Agreement ka(key, rng, "Raw");
        const Botan::SymmetricKey z = ka.derive_key(0, peer.data(), peer.size());
        const Botan::secure_vector<std::uint8_t> bits = z.bits_of();
        if (bits.size() != shared.size()) {
            return false;
        }
        std::copy(bits.begin(), bits.end(), shared.begin());
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

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
