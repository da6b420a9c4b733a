// SPDX-License-Identifier: Apache-2.0
#include "core/apdu/Tlv.h"

namespace wallet::core {

bool TlvElement::isConstructed() const
{
    std::uint32_t first = tag;
    while (first > 0xFF) {
        first >>= 8;
    }
    return (first & 0x20) != 0;
}

Result<std::vector<TlvElement>> Tlv::parse(const QByteArray& data)
{
    std::vector<TlvElement> out;
    const auto size = static_cast<std::size_t>(data.size());
    const auto byteAt
        = [&data](std::size_t i) { return static_cast<std::uint8_t>(data.at(static_cast<qsizetype>(i))); };
    std::size_t pos = 0;
    while (pos < size) {
        std::uint8_t b = byteAt(pos);
        if (b == 0x00 || b == 0xFF) { // padding between elements
            ++pos;
            continue;
        }
        std::uint32_t tag = b;
        ++pos;
        if ((b & 0x1F) == 0x1F) { // multi-byte tag
            int extra = 0;
            for (;;) {
                if (pos >= size) {
                    return makeError(ErrorCode::InvalidData, QStringLiteral("TLV: truncated tag"));
                }
                if (++extra > 2) {
                    return makeError(ErrorCode::InvalidData, QStringLiteral("TLV: tag longer than 3 bytes"));
                }
                const std::uint8_t t = byteAt(pos++);
                tag = (tag << 8) | t;
                if ((t & 0x80) == 0) {
                    break;
                }
            }
        }
        if (pos >= size) {
            return makeError(ErrorCode::InvalidData, QStringLiteral("TLV: missing length"));
        }
        std::size_t length = byteAt(pos++);
        if (length == 0x81 || length == 0x82) {
            const std::size_t n = length & 0x7F;
            if (pos + n > size) {
                return makeError(ErrorCode::InvalidData, QStringLiteral("TLV: truncated length"));
            }
            length = 0;
            for (std::size_t i = 0; i < n; ++i) {
                length = (length << 8) | byteAt(pos++);
            }
        } else if (length > 0x80) {
            return makeError(ErrorCode::InvalidData, QStringLiteral("TLV: unsupported length form"));
        } else if (length == 0x80) {
            return makeError(ErrorCode::InvalidData, QStringLiteral("TLV: indefinite length"));
        }
        if (length > size - pos) {
            return makeError(ErrorCode::InvalidData,
                QStringLiteral("TLV: tag %1 claims %2 bytes, %3 left").arg(tag, 0, 16).arg(length).arg(size - pos));
        }
        out.push_back(TlvElement{tag, data.mid(static_cast<qsizetype>(pos), static_cast<qsizetype>(length))});
        pos += length;
    }
    return out;
}

std::optional<QByteArray> Tlv::find(const std::vector<TlvElement>& elements, std::uint32_t tag)
{
    for (const auto& e : elements) {
        if (e.tag == tag) {
            return e.value;
        }
    }
    return std::nullopt;
}

QByteArray Tlv::encode(std::uint32_t tag, const QByteArray& value)
{
    QByteArray out;
    if (tag > 0xFFFF) {
        out.append(static_cast<char>((tag >> 16) & 0xFF));
    }
    if (tag > 0xFF) {
        out.append(static_cast<char>((tag >> 8) & 0xFF));
    }
    out.append(static_cast<char>(tag & 0xFF));
    const auto len = value.size();
    if (len < 0x80) {
        out.append(static_cast<char>(len));
    } else if (len <= 0xFF) {
        out.append(static_cast<char>(0x81));
        out.append(static_cast<char>(len));
    } else {
        out.append(static_cast<char>(0x82));
        out.append(static_cast<char>((len >> 8) & 0xFF));
        out.append(static_cast<char>(len & 0xFF));
    }
    out.append(value);
    return out;
}

} // namespace wallet::core
