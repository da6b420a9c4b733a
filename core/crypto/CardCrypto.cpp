// SPDX-License-Identifier: Apache-2.0
#include "core/crypto/CardCrypto.h"

#include <botan/block_cipher.h>
#include <botan/hex.h>
#include <botan/mem_ops.h>
#include <botan/system_rng.h>

#include <exception>
#include <memory>

namespace wallet::core {
namespace {

const std::uint8_t* u8(const QByteArray& b)
{
    return reinterpret_cast<const std::uint8_t*>(b.constData());
}

Error cryptoError(const char* what, const std::exception& e)
{
    return makeError(
        ErrorCode::CryptoError, QStringLiteral("%1: %2").arg(QLatin1String(what), QString::fromUtf8(e.what())));
}

/// Encrypts whole blocks in place with `algo` keyed with `key`. Throws (caught by the callers).
QByteArray encryptEcb(const char* algo, const std::uint8_t* key, std::size_t keyLen, const QByteArray& data)
{
    auto cipher = Botan::BlockCipher::create_or_throw(algo);
    cipher->set_key(key, keyLen);
    if (data.size() % static_cast<qsizetype>(cipher->block_size()) != 0) {
        throw std::invalid_argument("data is not a whole number of blocks");
    }
    std::vector<std::uint8_t> buf(u8(data), u8(data) + data.size());
    cipher->encrypt_n(buf.data(), buf.data(), buf.size() / cipher->block_size());
    return toQByteArray(buf);
}

/// 2-key 3DES is Botan's TripleDES with K1 ‖ K2 ‖ K1.
Botan::secure_vector<std::uint8_t> expand3des(const SecureBytes& key16)
{
    if (key16.size() != 16) {
        throw std::invalid_argument("3DES key must be 16 bytes");
    }
    Botan::secure_vector<std::uint8_t> k(key16.begin(), key16.end());
    k.insert(k.end(), key16.begin(), key16.begin() + 8);
    return k;
}

/// Lc ‖ data ‖ 80 00.. up to a whole number of blocks (the layout of the key and PIN cryptograms). data ≤ 255 bytes.
SecureBytes withLengthPadded(const SecureBytes& data, std::size_t blockSize)
{
    SecureBytes plain;
    plain.reserve(data.size() + 1 + blockSize);
    plain.push_back(static_cast<std::uint8_t>(data.size()));
    plain.insert(plain.end(), data.begin(), data.end());
    plain.push_back(0x80);
    while (plain.size() % blockSize != 0) {
        plain.push_back(0x00);
    }
    return plain;
}
} // namespace

SecureBytes secureFromHex(const QString& hex)
{
    QString clean = hex;
    clean.remove(QLatin1Char(' '));
    if (clean.size() % 2 != 0) {
        return {};
    }
    for (const QChar c : clean) {
        if (!c.isDigit() && !(c.toLower() >= QLatin1Char('a') && c.toLower() <= QLatin1Char('f'))) {
            return {};
        }
    }
    const QByteArray latin = clean.toLatin1();
    try {
        return Botan::hex_decode_locked(latin.constData(), static_cast<std::size_t>(latin.size()));
    } catch (const std::exception&) {
        return {};
    }
}

Result<QByteArray> CardCrypto::desEncryptBlock(const SecureBytes& key8, const QByteArray& block)
{
    try {
        if (key8.size() != 8 || block.size() != 8) {
            throw std::invalid_argument("DES needs an 8-byte key and block");
        }
        return encryptEcb("DES", key8.data(), key8.size(), block);
    } catch (const std::exception& e) {
        return cryptoError("DES", e);
    }
}

Result<QByteArray> CardCrypto::tdesEncryptBlock(const SecureBytes& key16, const QByteArray& block)
{
    try {
        if (block.size() % 8 != 0) {
            throw std::invalid_argument("3DES needs whole 8-byte blocks");
        }
        const auto k = expand3des(key16);
        return encryptEcb("TripleDES", k.data(), k.size(), block);
    } catch (const std::exception& e) {
        return cryptoError("3DES", e);
    }
}

Result<QByteArray> CardCrypto::sm4EncryptBlock(const SecureBytes& key16, const QByteArray& block)
{
    try {
        if (key16.size() != 16 || block.size() % 16 != 0) {
            throw std::invalid_argument("SM4 needs a 16-byte key and whole 16-byte blocks");
        }
        return encryptEcb("SM4", key16.data(), key16.size(), block);
    } catch (const std::exception& e) {
        return cryptoError("SM4", e);
    }
}

QByteArray CardCrypto::pad80(const QByteArray& data, int blockSize)
{
    QByteArray out = data;
    out.append(static_cast<char>(0x80));
    while (out.size() % blockSize != 0) {
        out.append('\0');
    }
    return out;
}

Result<QByteArray> CardCrypto::desMac(const SecureBytes& key8, const QByteArray& data, const QByteArray& iv)
{
    try {
        if (key8.size() != 8 || iv.size() != 8) {
            throw std::invalid_argument("DES-MAC needs an 8-byte key and IV");
        }
        auto des = Botan::BlockCipher::create_or_throw("DES");
        des->set_key(key8.data(), key8.size());
        const QByteArray padded = pad80(data, 8);
        std::array<std::uint8_t, 8> state{};
        std::copy(u8(iv), u8(iv) + 8, state.begin());
        for (qsizetype off = 0; off < padded.size(); off += 8) {
            for (int i = 0; i < 8; ++i) {
                state[static_cast<std::size_t>(i)] ^= u8(padded)[off + i];
            }
            des->encrypt(state.data());
        }
        return toQByteArray(state.data(), 4);
    } catch (const std::exception& e) {
        return cryptoError("DES-MAC", e);
    }
}

Result<QByteArray> CardCrypto::retailMac(const SecureBytes& key16, const QByteArray& data, const QByteArray& iv)
{
    try {
        if (key16.size() != 16 || iv.size() != 8) {
            throw std::invalid_argument("retail MAC needs a 16-byte key and an 8-byte IV");
        }
        auto kl = Botan::BlockCipher::create_or_throw("DES");
        kl->set_key(key16.data(), 8);
        auto kr = Botan::BlockCipher::create_or_throw("DES");
        kr->set_key(key16.data() + 8, 8);
        const QByteArray padded = pad80(data, 8);
        std::array<std::uint8_t, 8> state{};
        std::copy(u8(iv), u8(iv) + 8, state.begin());
        for (qsizetype off = 0; off < padded.size(); off += 8) {
            for (int i = 0; i < 8; ++i) {
                state[static_cast<std::size_t>(i)] ^= u8(padded)[off + i];
            }
            kl->encrypt(state.data());
        }
        kr->decrypt(state.data());
        kl->encrypt(state.data());
        return toQByteArray(state.data(), 4);
    } catch (const std::exception& e) {
        return cryptoError("retail MAC", e);
    }
}

Result<QByteArray> CardCrypto::sm4Mac(const SecureBytes& key16, const QByteArray& data, const QByteArray& iv)
{
    try {
        if (key16.size() != 16) {
            throw std::invalid_argument("SM4 MAC needs a 16-byte key");
        }
        if (iv.size() != 16) {
            throw std::invalid_argument("SM4 MAC needs a 16-byte IV");
        }
        auto sm4 = Botan::BlockCipher::create_or_throw("SM4");
        sm4->set_key(key16.data(), key16.size());
        const QByteArray padded = pad80(data, 16);
        std::array<std::uint8_t, 16> state{};
        for (int i = 0; i < 16; ++i) {
            state[static_cast<std::size_t>(i)] = u8(iv)[i];
        }
        for (qsizetype off = 0; off < padded.size(); off += 16) {
            for (int i = 0; i < 16; ++i) {
                state[static_cast<std::size_t>(i)] ^= u8(padded)[off + i];
            }
            sm4->encrypt(state.data());
        }
        return toQByteArray(state.data(), 4);
    } catch (const std::exception& e) {
        return cryptoError("SM4 MAC", e);
    }
}

Result<QByteArray> CardCrypto::transactionMac(Algorithm alg, const SecureBytes& sessionKey, const QByteArray& data)
{
    return alg == Algorithm::Sm4 ? sm4Mac(sessionKey, data) : desMac(sessionKey, data);
}

Result<SecureBytes> CardCrypto::diversify(Algorithm alg, const SecureBytes& masterKey16, const QByteArray& asn8)
{
    if (asn8.size() != 8 || masterKey16.size() != 16) {
        return makeError(
            ErrorCode::CryptoError, QStringLiteral("diversify: needs a 16-byte master key and 8-byte ASN"));
    }
    QByteArray notAsn = asn8;
    for (auto& c : notAsn) {
        c = static_cast<char>(~static_cast<std::uint8_t>(c));
    }
    Result<QByteArray> out = alg == Algorithm::Sm4 ? sm4EncryptBlock(masterKey16, asn8 + notAsn)
                                                   : tdesEncryptBlock(masterKey16, asn8 + notAsn);
    if (!out) {
        return out.error();
    }
    SecureBytes key = toSecure(*out);
    out->fill('\0');
    return key;
}

Result<SecureBytes> CardCrypto::sessionKey(Algorithm alg, const SecureBytes& cardKey, const QByteArray& seed8)
{
    if (seed8.size() != 8) {
        return makeError(ErrorCode::CryptoError, QStringLiteral("session key: the seed has 8 bytes"));
    }
    Result<QByteArray> out = [&]() -> Result<QByteArray> {
        if (alg == Algorithm::Sm4) {
            QByteArray notSeed = seed8;
            for (auto& c : notSeed) {
                c = static_cast<char>(~static_cast<std::uint8_t>(c));
            }
            return sm4EncryptBlock(cardKey, seed8 + notSeed);
        }
        return tdesEncryptBlock(cardKey, seed8);
    }();
    if (!out) {
        return out.error();
    }
    SecureBytes key = toSecure(*out);
    out->fill('\0');
    return key;
}

QByteArray CardCrypto::loadSeed(const QByteArray& rnd4, std::uint16_t onlineAtc)
{
    QByteArray seed = rnd4;
    appendU16(seed, onlineAtc);
    appendU16(seed, 0x8000);
    return seed;
}

QByteArray CardCrypto::purchaseSeed(const QByteArray& rnd4, std::uint16_t offlineAtc, std::uint32_t tsn)
{
    QByteArray seed = rnd4;
    appendU16(seed, offlineAtc);
    appendU16(seed, tsn & 0xFFFF);
    return seed;
}

Result<SecureBytes> CardCrypto::tacKey(Algorithm alg, const SecureBytes& dtk)
{
    if (dtk.size() != 16) {
        return makeError(ErrorCode::CryptoError, QStringLiteral("TAC key: DTK has 16 bytes"));
    }
    if (alg == Algorithm::Sm4) {
        return dtk;
    }
    SecureBytes key(8);
    for (std::size_t i = 0; i < 8; ++i) {
        key[i] = dtk[i] ^ dtk[i + 8];
    }
    return key;
}

Result<QByteArray> CardCrypto::tdesEncryptWithLength(const SecureBytes& key16, const SecureBytes& data)
{
    if (data.size() > 255) {
        return makeError(ErrorCode::CryptoError, QStringLiteral("3DES-ECB: data too long"));
    }
    SecureBytes plain = withLengthPadded(data, 8);
    try {
        const auto k = expand3des(key16);
        auto cipher = Botan::BlockCipher::create_or_throw("TripleDES");
        cipher->set_key(k.data(), k.size());
        cipher->encrypt_n(plain.data(), plain.data(), plain.size() / 8);
        return toQByteArray(plain);
    } catch (const std::exception& e) {
        return cryptoError("3DES-ECB", e);
    }
}

Result<QByteArray> CardCrypto::sm4EncryptWithLength(const SecureBytes& key16, const SecureBytes& data)
{
    if (data.size() > 255) {
        return makeError(ErrorCode::CryptoError, QStringLiteral("SM4-ECB: data too long"));
    }
    SecureBytes plain = withLengthPadded(data, 16);
    try {
        if (key16.size() != 16) {
            throw std::invalid_argument("SM4 needs a 16-byte key");
        }
        auto cipher = Botan::BlockCipher::create_or_throw("SM4");
        cipher->set_key(key16.data(), key16.size());
        cipher->encrypt_n(plain.data(), plain.data(), plain.size() / 16);
        return toQByteArray(plain);
    } catch (const std::exception& e) {
        return cryptoError("SM4-ECB", e);
    }
}

QByteArray CardCrypto::random(int n)
{
    QByteArray out(n, '\0');
    Botan::system_rng().randomize(reinterpret_cast<std::uint8_t*>(out.data()), static_cast<std::size_t>(n));
    return out;
}

bool CardCrypto::macEquals(const QByteArray& a, const QByteArray& b)
{
    if (a.size() != b.size() || a.isEmpty()) {
        return false;
    }
    return Botan::constant_time_compare(u8(a), u8(b), static_cast<std::size_t>(a.size()));
}

} // namespace wallet::core
