// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <optional>

namespace wallet::core {

/// @brief An ISO 7816-4 response APDU: data ‖ SW1 SW2.
class ResponseApdu
{
public:
    ResponseApdu(QByteArray data, std::uint16_t sw)
        : m_data(std::move(data))
        , m_sw(sw)
    { }
    /// Splits raw bytes; nullopt when fewer than 2 bytes (no status word).
    [[nodiscard]] static std::optional<ResponseApdu> parse(const QByteArray& raw)
    {
        if (raw.size() < 2) {
            return std::nullopt;
        }
        const auto sw = static_cast<std::uint16_t>((static_cast<std::uint8_t>(raw.at(raw.size() - 2)) << 8)
            | static_cast<std::uint8_t>(raw.at(raw.size() - 1)));
        return ResponseApdu(raw.left(raw.size() - 2), sw);
    }

    [[nodiscard]] const QByteArray& data() const { return m_data; }
    [[nodiscard]] std::uint16_t sw() const { return m_sw; }
    [[nodiscard]] bool isSuccess() const { return m_sw == 0x9000; }
    [[nodiscard]] QByteArray encode() const
    {
        QByteArray out = m_data;
        out.append(static_cast<char>(m_sw >> 8));
        out.append(static_cast<char>(m_sw & 0xFF));
        return out;
    }
    [[nodiscard]] QString toLogString() const
    {
        return QString::fromLatin1(m_data.toHex(' ').toUpper())
            + QStringLiteral(" SW=%1").arg(m_sw, 4, 16, QLatin1Char('0')).toUpper();
    }

private:
    QByteArray m_data;
    std::uint16_t m_sw;
};

} // namespace wallet::core
