// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <botan/secmem.h>

#include <QByteArray>

#include <cstdint>
#include <vector>

namespace wallet::core {

/// Key material and PINs: wiped on destruction (Botan's locked, zeroising allocator).
using SecureBytes = Botan::secure_vector<std::uint8_t>;

inline QByteArray toQByteArray(const std::uint8_t* p, std::size_t n)
{
    return QByteArray(reinterpret_cast<const char*>(p), static_cast<qsizetype>(n));
}
template <typename V>
QByteArray toQByteArray(const V& v)
{
    return toQByteArray(v.data(), v.size());
}
/// Copies public bytes (never use this for secrets held in a QByteArray: it is not wiped).
inline std::vector<std::uint8_t> toBytes(const QByteArray& b)
{
    return std::vector<std::uint8_t>(reinterpret_cast<const std::uint8_t*>(b.constData()),
        reinterpret_cast<const std::uint8_t*>(b.constData()) + b.size());
}
inline SecureBytes toSecure(const QByteArray& b)
{
    return SecureBytes(reinterpret_cast<const std::uint8_t*>(b.constData()),
        reinterpret_cast<const std::uint8_t*>(b.constData()) + b.size());
}
/**
 * Zeroes a QByteArray that held a PIN or key bytes, then empties it. The bytes are wiped where they lie, without
 * detaching: every QByteArray sharing them (implicit sharing, e.g. the copy inside a CommandApdu) holds the same
 * secret, and detaching would first make one more copy. Never for QByteArray::fromRawData() over read-only memory.
 */
inline void wipe(QByteArray& bytes)
{
    if (!bytes.isEmpty()) {
        Botan::secure_scrub_memory(const_cast<char*>(bytes.constData()), static_cast<std::size_t>(bytes.size()));
    }
    bytes.clear();
}

/// Hex (any case, spaces ignored) into a secure buffer; empty on bad input.
SecureBytes secureFromHex(const QString& hex);

/// Big-endian writers used by every byte layout of spec §4.
inline void appendU16(QByteArray& out, std::uint32_t v)
{
    out.append(static_cast<char>((v >> 8) & 0xFF));
    out.append(static_cast<char>(v & 0xFF));
}
inline void appendU32(QByteArray& out, std::uint32_t v)
{
    out.append(static_cast<char>((v >> 24) & 0xFF));
    out.append(static_cast<char>((v >> 16) & 0xFF));
    out.append(static_cast<char>((v >> 8) & 0xFF));
    out.append(static_cast<char>(v & 0xFF));
}
inline std::uint32_t readU16(const QByteArray& b, int at)
{
    return (static_cast<std::uint32_t>(static_cast<std::uint8_t>(b.at(at))) << 8)
        | static_cast<std::uint8_t>(b.at(at + 1));
}
inline std::uint32_t readU32(const QByteArray& b, int at)
{
    return (readU16(b, at) << 16) | readU16(b, at + 2);
}

} // namespace wallet::core
