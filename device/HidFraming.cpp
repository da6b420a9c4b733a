// SPDX-License-Identifier: Apache-2.0
#include "device/HidFraming.h"

#include <algorithm>

namespace wallet::device {

using namespace skey::wire;

std::vector<Report> HidFraming::fragment(std::uint32_t cid, Cmd cmd, const QByteArray& payload)
{
    std::vector<Report> out;
    const auto size = static_cast<std::size_t>(payload.size());
    if (size > kMaxMessageSize) {
        return out;
    }
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(payload.constData());
    Report r{};
    r[0] = static_cast<std::uint8_t>(cid >> 24);
    r[1] = static_cast<std::uint8_t>(cid >> 16);
    r[2] = static_cast<std::uint8_t>(cid >> 8);
    r[3] = static_cast<std::uint8_t>(cid);
    r[4] = static_cast<std::uint8_t>(static_cast<std::uint8_t>(cmd) | kInitBit);
    r[5] = static_cast<std::uint8_t>(size >> 8);
    r[6] = static_cast<std::uint8_t>(size);
    std::size_t sent = std::min(size, kInitDataSize);
    std::copy(bytes, bytes + sent, r.begin() + kInitHeaderSize);
    out.push_back(r);
    for (std::uint8_t seq = 0; sent < size; ++seq) {
        Report c{};
        std::copy(r.begin(), r.begin() + kCidSize, c.begin());
        c[4] = seq;
        const std::size_t take = std::min(kContDataSize, size - sent);
        std::copy(bytes + sent, bytes + sent + take, c.begin() + kContHeaderSize);
        sent += take;
        out.push_back(c);
    }
    return out;
}

std::uint32_t HidFraming::cidOf(const Report& report)
{
    return (static_cast<std::uint32_t>(report[0]) << 24) | (static_cast<std::uint32_t>(report[1]) << 16)
        | (static_cast<std::uint32_t>(report[2]) << 8) | static_cast<std::uint32_t>(report[3]);
}

QString HidFraming::errorName(std::uint8_t code)
{
    switch (static_cast<ErrorCode>(code)) {
    case ErrorCode::InvalidCommand:
        return QStringLiteral("invalid command");
    case ErrorCode::InvalidParameter:
        return QStringLiteral("invalid parameter");
    case ErrorCode::InvalidLength:
        return QStringLiteral("invalid length");
    case ErrorCode::InvalidSequence:
        return QStringLiteral("invalid sequence");
    case ErrorCode::MessageTimeout:
        return QStringLiteral("message timeout");
    case ErrorCode::ChannelBusy:
        return QStringLiteral("channel busy");
    case ErrorCode::LockRequired:
        return QStringLiteral("lock required (another program has locked the key)");
    case ErrorCode::InvalidChannel:
        return QStringLiteral("invalid channel");
    case ErrorCode::Other:
        return QStringLiteral("other error");
    }
    return QStringLiteral("unknown error 0x%1").arg(code, 2, 16, QLatin1Char('0'));
}

} // namespace wallet::device
