// SPDX-License-Identifier: Apache-2.0
#include "core/keystore/KeyStore.h"

#include <botan/aead.h>
#include <botan/build.h>
#include <botan/pwdhash.h>
#include <botan/system_rng.h>

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <array>
#include <exception>

namespace wallet::core {
namespace {

// The cost a new store is written with (RFC 9106 §4's second recommended option, one lane as this is one thread):
// 64 MiB, 2 passes. KeyStore.h says the same.
constexpr std::size_t kArgonMemoryKiB = 65536; // 64 MiB
constexpr std::size_t kArgonPasses = 2;
constexpr std::size_t kArgonLanes = 1;
// What a file may ask for. The parameters come from the file, before its authentication can be checked, so a
// tampered file must not make the wallet allocate gigabytes or spin for minutes (issue 9 item 19): at most 4 times
// the memory and passes written today, at least an eighth of the memory (below that the store would be weak).
constexpr qint64 kArgonMinMemoryKiB = 8192; // 8 MiB
constexpr qint64 kArgonMaxMemoryKiB = 4 * 65536; // 256 MiB
constexpr qint64 kArgonMaxPasses = 4 * 2;
constexpr qint64 kArgonMaxLanes = 4;
const QString kFormat = QStringLiteral("smartkey-keystore/1");

#if BOTAN_VERSION_MAJOR >= 3
constexpr auto kEncrypt = Botan::Cipher_Dir::Encryption;
constexpr auto kDecrypt = Botan::Cipher_Dir::Decryption;
#else
constexpr auto kEncrypt = Botan::ENCRYPTION;
constexpr auto kDecrypt = Botan::DECRYPTION;
#endif

std::array<const SecureBytes*, 8> slotsOf(const IssuerMasterKeys& k)
{
    return {&k.mlk, &k.mpk, &k.mtk, &k.mamk, &k.mpuk, &k.mrpk, &k.meak, &k.miak};
}

std::array<SecureBytes*, 8> slotsOf(IssuerMasterKeys& k)
{
    return {&k.mlk, &k.mpk, &k.mtk, &k.mamk, &k.mpuk, &k.mrpk, &k.meak, &k.miak};
}

QByteArray associatedData(std::size_t m, std::size_t t, std::size_t p)
{
    return QStringLiteral("%1|Argon2id|%2|%3|%4|ChaCha20Poly1305").arg(kFormat).arg(m).arg(t).arg(p).toLatin1();
}

SecureBytes deriveKey(
    const SecureBytes& passphrase, const QByteArray& salt, std::size_t m, std::size_t t, std::size_t p)
{
    auto family = Botan::PasswordHashFamily::create_or_throw("Argon2id");
    auto hash = family->from_params(m, t, p);
    SecureBytes key(32);
    hash->derive_key(key.data(),
        key.size(),
        reinterpret_cast<const char*>(passphrase.data()),
        passphrase.size(),
        reinterpret_cast<const std::uint8_t*>(salt.constData()),
        static_cast<std::size_t>(salt.size()));
    return key;
}

} // namespace

IssuerMasterKeys KeyStore::demoKeys()
{
    IssuerMasterKeys k;
    k.mlk = secureFromHex(QStringLiteral("00112233445566778899AABBCCDDEEFF"));
    k.mpk = secureFromHex(QStringLiteral("0123456789ABCDEFFEDCBA9876543210"));
    k.mtk = secureFromHex(QStringLiteral("404142434445464748494A4B4C4D4E4F"));
    k.mamk = secureFromHex(QStringLiteral("505152535455565758595A5B5C5D5E5F"));
    k.mpuk = secureFromHex(QStringLiteral("808182838485868788898A8B8C8D8E8F"));
    k.mrpk = secureFromHex(QStringLiteral("3C1D8E2F4A5B6C7D9E0F1A2B3C4D5E6F"));
    k.meak = secureFromHex(QStringLiteral("707172737475767778797A7B7C7D7E7F"));
    k.miak = secureFromHex(QStringLiteral("606162636465666768696A6B6C6D6E6F"));
    return k;
}

Result<void> KeyStore::save(const QString& path, const SecureBytes& passphrase, const IssuerMasterKeys& keys)
{
    if (!keys.complete()) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("key store: incomplete master keys"));
    }
    if (passphrase.empty()) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("key store: empty passphrase"));
    }
    QJsonObject o;
    try {
        QByteArray salt(16, '\0');
        QByteArray nonce(12, '\0');
        Botan::system_rng().randomize(reinterpret_cast<std::uint8_t*>(salt.data()), 16);
        Botan::system_rng().randomize(reinterpret_cast<std::uint8_t*>(nonce.data()), 12);
        const SecureBytes key = deriveKey(passphrase, salt, kArgonMemoryKiB, kArgonPasses, kArgonLanes);
        SecureBytes buffer;
        for (const SecureBytes* k : slotsOf(keys)) {
            buffer.insert(buffer.end(), k->begin(), k->end());
        }
        auto aead = Botan::AEAD_Mode::create_or_throw("ChaCha20Poly1305", kEncrypt);
        aead->set_key(key);
        const QByteArray ad = associatedData(kArgonMemoryKiB, kArgonPasses, kArgonLanes);
        aead->set_associated_data(
            reinterpret_cast<const std::uint8_t*>(ad.constData()), static_cast<std::size_t>(ad.size()));
        aead->start(reinterpret_cast<const std::uint8_t*>(nonce.constData()), static_cast<std::size_t>(nonce.size()));
        aead->finish(buffer);
        o = QJsonObject{{QStringLiteral("format"), kFormat},
            {QStringLiteral("kdf"), QStringLiteral("Argon2id")},
            {QStringLiteral("memoryKiB"), static_cast<qint64>(kArgonMemoryKiB)},
            {QStringLiteral("passes"), static_cast<qint64>(kArgonPasses)},
            {QStringLiteral("lanes"), static_cast<qint64>(kArgonLanes)},
            {QStringLiteral("aead"), QStringLiteral("ChaCha20Poly1305")},
            {QStringLiteral("salt"), QString::fromLatin1(salt.toHex())},
            {QStringLiteral("nonce"), QString::fromLatin1(nonce.toHex())},
            {QStringLiteral("ciphertext"), QString::fromLatin1(toQByteArray(buffer).toHex())}};
    } catch (const std::exception& e) {
        return makeError(ErrorCode::CryptoError, QStringLiteral("key store: %1").arg(QString::fromUtf8(e.what())));
    }
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly)) {
        return makeError(ErrorCode::StorageError, QStringLiteral("key store %1: %2").arg(path, f.errorString()));
    }
    f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    f.write(QJsonDocument(o).toJson());
    if (!f.commit()) {
        return makeError(ErrorCode::StorageError, QStringLiteral("key store %1: %2").arg(path, f.errorString()));
    }
    return {};
}

Result<IssuerMasterKeys> KeyStore::load(const QString& path, const SecureBytes& passphrase)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return makeError(ErrorCode::StorageError, QStringLiteral("key store %1: %2").arg(path, f.errorString()));
    }
    const QJsonObject o = QJsonDocument::fromJson(f.read(1 << 16)).object();
    const auto damaged = [&path](const QString& why) {
        return makeError(ErrorCode::StorageError, QStringLiteral("key store %1 is damaged: %2").arg(path, why));
    };
    if (o.value(QStringLiteral("format")).toString() != kFormat
        || o.value(QStringLiteral("kdf")).toString() != QStringLiteral("Argon2id")
        || o.value(QStringLiteral("aead")).toString() != QStringLiteral("ChaCha20Poly1305")) {
        return damaged(QStringLiteral("unknown format"));
    }
    // Bounded before any use (a negative or fractional JSON number reads as -1 here and is refused too).
    const qint64 mIn = o.value(QStringLiteral("memoryKiB")).toInteger(-1);
    const qint64 tIn = o.value(QStringLiteral("passes")).toInteger(-1);
    const qint64 pIn = o.value(QStringLiteral("lanes")).toInteger(-1);
    if (mIn < kArgonMinMemoryKiB || mIn > kArgonMaxMemoryKiB || tIn < 1 || tIn > kArgonMaxPasses || pIn < 1
        || pIn > kArgonMaxLanes) {
        return damaged(QStringLiteral("KDF parameters out of range (memory %1..%2 KiB, passes 1..%3, lanes 1..%4)")
                           .arg(kArgonMinMemoryKiB)
                           .arg(kArgonMaxMemoryKiB)
                           .arg(kArgonMaxPasses)
                           .arg(kArgonMaxLanes));
    }
    const auto m = static_cast<std::size_t>(mIn);
    const auto t = static_cast<std::size_t>(tIn);
    const auto p = static_cast<std::size_t>(pIn);
    const QByteArray salt = QByteArray::fromHex(o.value(QStringLiteral("salt")).toString().toLatin1());
    const QByteArray nonce = QByteArray::fromHex(o.value(QStringLiteral("nonce")).toString().toLatin1());
    const QByteArray ct = QByteArray::fromHex(o.value(QStringLiteral("ciphertext")).toString().toLatin1());
    if (salt.size() != 16 || nonce.size() != 12 || ct.size() != 8 * 16 + 16) {
        return damaged(QStringLiteral("wrong field sizes"));
    }
    SecureBytes buffer(reinterpret_cast<const std::uint8_t*>(ct.constData()),
        reinterpret_cast<const std::uint8_t*>(ct.constData()) + ct.size());
    try {
        const SecureBytes key = deriveKey(passphrase, salt, m, t, p);
        auto aead = Botan::AEAD_Mode::create_or_throw("ChaCha20Poly1305", kDecrypt);
        aead->set_key(key);
        const QByteArray ad = associatedData(m, t, p);
        aead->set_associated_data(
            reinterpret_cast<const std::uint8_t*>(ad.constData()), static_cast<std::size_t>(ad.size()));
        aead->start(reinterpret_cast<const std::uint8_t*>(nonce.constData()), static_cast<std::size_t>(nonce.size()));
        aead->finish(buffer);
    } catch (const std::exception&) {
        // The AEAD tag: a wrong passphrase (or an altered file). Not a storage fault: nothing to free or repair.
        return makeError(ErrorCode::WrongPassphrase,
            QStringLiteral("key store %1 does not open with this passphrase (or the file was altered); nothing was "
                           "changed — use the passphrase it was created with")
                .arg(path));
    }
    IssuerMasterKeys keys;
    std::size_t at = 0;
    for (SecureBytes* k : slotsOf(keys)) {
        k->assign(
            buffer.begin() + static_cast<std::ptrdiff_t>(at), buffer.begin() + static_cast<std::ptrdiff_t>(at + 16));
        at += 16;
    }
    return keys;
}

Result<KeyStore::Loaded> KeyStore::openOrCreateDemo(const QString& path, const SecureBytes& passphrase)
{
    Loaded loaded;
    if (!QFileInfo::exists(path)) {
        loaded.keys = demoKeys();
        if (auto s = save(path, passphrase, loaded.keys); !s) {
            return s.error();
        }
        loaded.createdDemoKeys = true;
        return loaded;
    }
    auto keys = load(path, passphrase);
    if (!keys) {
        return keys.error();
    }
    loaded.keys = std::move(*keys);
    return loaded;
}

} // namespace wallet::core
