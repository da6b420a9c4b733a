// SPDX-License-Identifier: Apache-2.0
#include "PbocCrypto.h"

#include "Bytes.h"

namespace skey {
namespace {

/// Byte `i` of `data ‖ 80 ‖ 00…` (ISO/IEC 9797-1 padding method 2), without building the padded copy.
std::uint8_t padded(std::span<const std::uint8_t> data, std::size_t i)
{
    return i < data.size() ? data[i] : (i == data.size() ? 0x80 : 0x00);
}

std::size_t paddedLength(std::size_t n, std::size_t block)
{
    return (n / block + 1) * block;
}

/// CBC-MAC of `data ‖ 80 ‖ 00…` chained from `iv`: `step(last, x, h)` enciphers the chained block x into h.
template <std::size_t N, typename Step>
bool cbcMac(
    std::span<const std::uint8_t, N> iv, std::span<const std::uint8_t> data, std::span<std::uint8_t, N> out, Step step)
{
    std::array<std::uint8_t, N> h{};
    copyBytes(h.data(), iv.data(), N);
    const std::size_t total = paddedLength(data.size(), N);
    bool ok = true;
    for (std::size_t b = 0; b < total && ok; b += N) {
        std::array<std::uint8_t, N> x{};
        for (std::size_t i = 0; i < N; ++i) {
            x[i] = static_cast<std::uint8_t>(h[i] ^ padded(data, b + i));
        }
        ok = step(b + N >= total, x, h);
    }
    copyBytes(out.data(), h.data(), N);
    secureZero(h);
    return ok;
}

} // namespace

void KeyBuffer::wipe()
{
    secureZero(bytes);
    size = 0;
}

KeyBuffer::~KeyBuffer()
{
    wipe();
}

bool PbocCrypto::desMac(std::span<const std::uint8_t, 8> key,
    std::span<const std::uint8_t, 8> iv,
    std::span<const std::uint8_t> data,
    std::span<std::uint8_t, 8> out)
{
    return cbcMac(iv, data, out, [&](bool, const std::array<std::uint8_t, 8>& x, std::array<std::uint8_t, 8>& h) {
        return m_engine.desEncrypt(key, x, h);
    });
}

bool PbocCrypto::retailMac(std::span<const std::uint8_t, 16> key,
    std::span<const std::uint8_t, 8> iv,
    std::span<const std::uint8_t> data,
    std::span<std::uint8_t, 8> out)
{
    const std::span<const std::uint8_t, 8> kl = key.first<8>();
    return cbcMac(iv, data, out, [&](bool last, const std::array<std::uint8_t, 8>& x, std::array<std::uint8_t, 8>& h) {
        // Every block with K_L; the last one with the full 3DES key (DES(K_L, DES⁻¹(K_R, DES(K_L, x))) = 3DES).
        return last ? m_engine.tdesEncrypt(key, x, h) : m_engine.desEncrypt(kl, x, h);
    });
}

bool PbocCrypto::sm4Mac(std::span<const std::uint8_t, 16> key,
    std::span<const std::uint8_t, 16> iv,
    std::span<const std::uint8_t> data,
    std::span<std::uint8_t, 16> out)
{
    return cbcMac(iv, data, out, [&](bool, const std::array<std::uint8_t, 16>& x, std::array<std::uint8_t, 16>& h) {
        return m_engine.sm4Encrypt(key, x, h);
    });
}

bool PbocCrypto::sessionKey(
    std::uint8_t alg, std::span<const std::uint8_t, 16> cardKey, std::span<const std::uint8_t, 8> seed, KeyBuffer& out)
{
    out.wipe();
    if (alg == kAlg3Des) {
        std::span<std::uint8_t, 8> dst(out.bytes.data(), 8);
        if (!m_engine.tdesEncrypt(cardKey, seed, dst)) {
            return false;
        }
        out.size = 8;
        return true;
    }
    if (alg == kAlgSm4) {
        std::array<std::uint8_t, 16> in{};
        for (std::size_t i = 0; i < 8; ++i) {
            in[i] = seed[i];
            in[8 + i] = static_cast<std::uint8_t>(~seed[i]);
        }
        if (!m_engine.sm4Encrypt(cardKey, in, out.bytes)) {
            return false;
        }
        out.size = 16;
        return true;
    }
    return false;
}

bool PbocCrypto::transactionMac(
    std::uint8_t alg, const KeyBuffer& sessionKey, std::span<const std::uint8_t> data, std::span<std::uint8_t, 4> out)
{
    if (alg == kAlg3Des && sessionKey.size == 8) {
        const std::array<std::uint8_t, 8> iv{};
        std::array<std::uint8_t, 8> mac{};
        const bool ok = desMac(std::span<const std::uint8_t, 8>(sessionKey.bytes.data(), 8), iv, data, mac);
        copyBytes(out.data(), mac.data(), 4);
        return ok;
    }
    if (alg == kAlgSm4 && sessionKey.size == 16) {
        const std::array<std::uint8_t, 16> iv{};
        std::array<std::uint8_t, 16> mac{};
        const bool ok = sm4Mac(std::span<const std::uint8_t, 16>(sessionKey.bytes.data(), 16), iv, data, mac);
        copyBytes(out.data(), mac.data(), 4);
        return ok;
    }
    return false;
}

bool PbocCrypto::tac(std::uint8_t alg,
    std::span<const std::uint8_t, 16> dtk,
    std::span<const std::uint8_t> data,
    std::span<std::uint8_t, 4> out)
{
    KeyBuffer k;
    if (alg == kAlg3Des) {
        for (std::size_t i = 0; i < 8; ++i) {
            k.bytes[i] = static_cast<std::uint8_t>(dtk[i] ^ dtk[8 + i]);
        }
        k.size = 8;
    } else {
        copyBytes(k.bytes.data(), dtk.data(), 16);
        k.size = 16;
    }
    return transactionMac(alg, k, data, out);
}

bool PbocCrypto::secureMessagingMac(std::uint8_t alg,
    std::span<const std::uint8_t, 16> key,
    std::span<const std::uint8_t> challenge,
    std::span<const std::uint8_t> data,
    std::span<std::uint8_t, 4> out)
{
    if (alg == kAlg3Des) {
        std::array<std::uint8_t, 8> iv{};
        for (std::size_t i = 0; i < challenge.size() && i < 8; ++i) {
            iv[i] = challenge[i];
        }
        std::array<std::uint8_t, 8> mac{};
        const bool ok = retailMac(key, iv, data, mac);
        copyBytes(out.data(), mac.data(), 4);
        return ok;
    }
    if (alg == kAlgSm4) {
        std::array<std::uint8_t, 16> iv{};
        for (std::size_t i = 0; i < challenge.size() && i < 16; ++i) {
            iv[i] = challenge[i];
        }
        std::array<std::uint8_t, 16> mac{};
        const bool ok = sm4Mac(key, iv, data, mac);
        copyBytes(out.data(), mac.data(), 4);
        return ok;
    }
    return false;
}

bool PbocCrypto::ecb(std::uint8_t alg,
    bool encrypt,
    std::span<const std::uint8_t, 16> key,
    std::span<const std::uint8_t> in,
    std::span<std::uint8_t> out)
{
    const std::size_t bs = blockSize(alg);
    if ((alg != kAlg3Des && alg != kAlgSm4) || in.size() % bs != 0 || out.size() < in.size()) {
        return false;
    }
    for (std::size_t b = 0; b < in.size(); b += bs) {
        bool ok = false;
        if (alg == kAlg3Des) {
            const std::span<const std::uint8_t, 8> i8(in.data() + b, 8);
            const std::span<std::uint8_t, 8> o8(out.data() + b, 8);
            ok = encrypt ? m_engine.tdesEncrypt(key, i8, o8) : m_engine.tdesDecrypt(key, i8, o8);
        } else {
            const std::span<const std::uint8_t, 16> i16(in.data() + b, 16);
            const std::span<std::uint8_t, 16> o16(out.data() + b, 16);
            ok = encrypt ? m_engine.sm4Encrypt(key, i16, o16) : m_engine.sm4Decrypt(key, i16, o16);
        }
        if (!ok) {
            return false;
        }
    }
    return true;
}

bool PbocCrypto::diversify(std::uint8_t alg,
    std::span<const std::uint8_t, 16> masterKey,
    std::span<const std::uint8_t, 8> asn,
    std::span<std::uint8_t, 16> out)
{
    std::array<std::uint8_t, 16> in{};
    for (std::size_t i = 0; i < 8; ++i) {
        in[i] = asn[i];
        in[8 + i] = static_cast<std::uint8_t>(~asn[i]);
    }
    if (alg == kAlgSm4) {
        return m_engine.sm4Encrypt(masterKey, in, out);
    }
    return m_engine.tdesEncrypt(masterKey, std::span<const std::uint8_t, 8>(in.data(), 8), out.first<8>())
        && m_engine.tdesEncrypt(masterKey, std::span<const std::uint8_t, 8>(in.data() + 8, 8), out.last<8>());
}

} // namespace skey
