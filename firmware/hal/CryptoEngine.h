// SPDX-License-Identifier: Apache-2.0
// HAL: the block-cipher engine. Required. The firmware builds every MAC, session key and diversification from these
// single-block primitives, so the algorithm logic (spec/pboc-epurse.md §5) lives in firmware code, not in the HAL.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace skey::hal {

/// Elliptic curves of the public-key engine (the PIV application, docs/piv.md).
enum class EcCurve : std::uint8_t {
    P256, ///< NIST P-256 (secp256r1): 32-byte scalars and coordinates
    P384, ///< NIST P-384 (secp384r1): 48 bytes
    Sm2, ///< SM2 (GB/T 32918, curve sm2p256v1): 32 bytes
};

/// Bytes of one scalar / coordinate of `curve`.
[[nodiscard]] constexpr std::size_t ecFieldBytes(EcCurve curve)
{
    return curve == EcCurve::P384 ? 48u : 32u;
}

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

    // --- Public-key engine (PIV). Not pure: an engine without elliptic-curve support (the Cortex-M4 skeleton today)
    // answers false, and the PIV commands that need it then answer 6A80 / 6F00 (docs/piv.md "Gaps").
    // Private keys are caller-owned big-endian scalars of ecFieldBytes(curve) bytes; the engine keeps no copy.

    /// Computes the uncompressed public point `04 ‖ X ‖ Y` (1 + 2n bytes into `pub`) of the private scalar `priv`.
    /// False when `priv` is not in [1, order-1] (the caller draws again from the RNG) or the engine failed.
    [[nodiscard]] virtual bool ecPublicKey(
        EcCurve curve, std::span<const std::uint8_t> priv, std::span<std::uint8_t> pub)
    {
        (void)curve, (void)priv, (void)pub;
        return false;
    }
    /// Signs a host-computed digest: ECDSA (P-256, P-384; the digest is used as given, truncated to the order's
    /// bit length, FIPS 186-4 §6.4) or SM2 (the digest is e = SM3(Z ‖ M), GB/T 32918.2 §6.1 step A2 onwards).
    /// Writes r ‖ s (2n bytes) into `sig`. The per-signature nonce comes from the engine (its TRNG, or RFC 6979).
    [[nodiscard]] virtual bool ecSign(EcCurve curve,
        std::span<const std::uint8_t> priv,
        std::span<const std::uint8_t> digest,
        std::span<std::uint8_t> sig)
    {
        (void)curve, (void)priv, (void)digest, (void)sig;
        return false;
    }
    /// ECDH (SP 800-56A §5.7.1.2): the X coordinate (n bytes into `shared`) of priv × peer, where `peer` is an
    /// uncompressed point `04 ‖ X ‖ Y`. False when the point is not on the curve.
    [[nodiscard]] virtual bool ecdh(EcCurve curve,
        std::span<const std::uint8_t> priv,
        std::span<const std::uint8_t> peer,
        std::span<std::uint8_t> shared)
    {
        (void)curve, (void)priv, (void)peer, (void)shared;
        return false;
    }
};

} // namespace skey::hal
