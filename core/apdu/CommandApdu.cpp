// SPDX-License-Identifier: Apache-2.0
#include "core/apdu/CommandApdu.h"

#include <QString>

namespace wallet::core {

CommandApdu::CommandApdu(std::uint8_t cla,
    std::uint8_t ins,
    std::uint8_t p1,
    std::uint8_t p2,
    QByteArray data,
    std::optional<int> le,
    bool sensitive)
    : m_cla(cla)
    , m_ins(ins)
    , m_p1(p1)
    , m_p2(p2)
    , m_data(std::move(data))
    , m_le(le)
    , m_sensitive(sensitive)
{ }

QByteArray CommandApdu::encode() const
{
    QByteArray out;
    out.reserve(4 + 3 + m_data.size() + 3);
    out.append(static_cast<char>(m_cla));
    out.append(static_cast<char>(m_ins));
    out.append(static_cast<char>(m_p1));
    out.append(static_cast<char>(m_p2));
    const bool extended = m_data.size() > 255 || (m_le && *m_le > 256);
    if (!m_data.isEmpty()) {
        if (extended) {
            out.append('\0');
            out.append(static_cast<char>((m_data.size() >> 8) & 0xFF));
        }
        out.append(static_cast<char>(m_data.size() & 0xFF));
        out.append(m_data);
    }
    if (m_le) {
        const int le = *m_le;
        if (extended) {
            if (m_data.isEmpty()) {
                out.append('\0');
            }
            out.append(static_cast<char>((le >> 8) & 0xFF)); // 65536 encodes as 0000
            out.append(static_cast<char>(le & 0xFF));
        } else {
            out.append(static_cast<char>(le & 0xFF)); // 256 encodes as 00
        }
    }
    return out;
}

QString CommandApdu::toLogString() const
{
    const QByteArray header = encode().left(4);
    QString s = QString::fromLatin1(header.toHex(' ').toUpper());
    if (!m_data.isEmpty()) {
        s += QStringLiteral(" Lc=%1 ").arg(m_data.size());
        s += m_sensitive ? QStringLiteral("<redacted %1 bytes>").arg(m_data.size())
                         : QString::fromLatin1(m_data.toHex(' ').toUpper());
    }
    if (m_le) {
        s += QStringLiteral(" Le=%1").arg(*m_le);
    }
    return s;
}

} // namespace wallet::core
