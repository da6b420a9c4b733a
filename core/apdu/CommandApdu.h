// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QByteArray>

#include <cstdint>
#include <optional>

namespace wallet::core {

/**
 * @brief An ISO 7816-4 command APDU (cases 1–4, short or extended encoding).
 * `sensitive` marks commands whose data carries a PIN or key material: their data is redacted in every dump.
 */
class CommandApdu
{
public:
    CommandApdu(std::uint8_t cla,
        std::uint8_t ins,
        std::uint8_t p1,
        std::uint8_t p2,
        QByteArray data = {},
        std::optional<int> le = std::nullopt,
        bool sensitive = false);

    [[nodiscard]] std::uint8_t cla() const { return m_cla; }
    [[nodiscard]] std::uint8_t ins() const { return m_ins; }
    [[nodiscard]] std::uint8_t p1() const { return m_p1; }
    [[nodiscard]] std::uint8_t p2() const { return m_p2; }
    [[nodiscard]] const QByteArray& data() const { return m_data; }
    /// Expected response length: nullopt = no Le; 0 with short encoding means "up to 256".
    [[nodiscard]] std::optional<int> le() const { return m_le; }
    [[nodiscard]] bool isSensitive() const { return m_sensitive; }

    /// The wire bytes. Short encoding when data ≤ 255 and Le ≤ 256, else extended.
    [[nodiscard]] QByteArray encode() const;
    /// Hex dump for debug logs, with the data of sensitive commands replaced by "<redacted n bytes>".
    [[nodiscard]] QString toLogString() const;

private:
    std::uint8_t m_cla, m_ins, m_p1, m_p2;
    QByteArray m_data;
    std::optional<int> m_le;
    bool m_sensitive;
};

} // namespace wallet::core
