// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"

#include <QByteArray>

#include <cstdint>
#include <optional>
#include <vector>

namespace wallet::core {

/// One BER-TLV element: tag (1–3 bytes, as an integer), value bytes. Constructed elements keep their value raw:
/// parse it again with Tlv::parse() to descend.
struct TlvElement
{
    std::uint32_t tag = 0;
    QByteArray value;
    [[nodiscard]] bool isConstructed() const;
};

/**
 * @brief A bounds-checked BER-TLV parser (ISO 7816-4 §5.2 / EMV Book 3 Annex B).
 * Every length is checked against the remaining input before anything is read; a malformed input gives an
 * InvalidData error, never a partial list. Lengths up to 3 bytes (0x82 form) are accepted; 00/FF padding between
 * elements is skipped.
 */
class Tlv
{
public:
    [[nodiscard]] static Result<std::vector<TlvElement>> parse(const QByteArray& data);
    /// First element with `tag` at this level, if any.
    [[nodiscard]] static std::optional<QByteArray> find(const std::vector<TlvElement>& elements, std::uint32_t tag);
    /// Encodes one element (primitive tag up to 3 bytes, definite length).
    [[nodiscard]] static QByteArray encode(std::uint32_t tag, const QByteArray& value);
};

} // namespace wallet::core
