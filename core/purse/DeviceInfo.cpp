// SPDX-License-Identifier: Apache-2.0
#include "core/purse/DeviceInfo.h"

#include "core/apdu/Exchange.h"
#include "core/apdu/Tlv.h"

namespace wallet::core {

QString lifeCycleName(LifeCycle lifeCycle)
{
    switch (lifeCycle) {
    case LifeCycle::Blank:
        return QStringLiteral("blank");
    case LifeCycle::Personalized:
        return QStringLiteral("personalised");
    case LifeCycle::BlockedTemporary:
        return QStringLiteral("blocked");
    case LifeCycle::BlockedPermanent:
        return QStringLiteral("permanently blocked");
    case LifeCycle::Terminated:
        return QStringLiteral("terminated");
    case LifeCycle::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

QString DeviceInfo::firmwareVersion() const
{
    return QStringLiteral("%1.%2.%3").arg(firmwareMajor).arg(firmwareMinor).arg(firmwareBuild);
}

Result<DeviceInfo> DeviceInfo::decode(const QByteArray& tlv)
{
    auto parsed = Tlv::parse(tlv);
    if (!parsed) {
        return parsed.error();
    }
    const auto field = [&](std::uint32_t tag, int length) -> Result<QByteArray> {
        const auto v = Tlv::find(*parsed, tag);
        if (!v) {
            return makeError(ErrorCode::ProtocolError, QStringLiteral("device info: tag %1 missing").arg(tag, 0, 16));
        }
        if (v->size() != length) {
            return makeError(ErrorCode::ProtocolError,
                QStringLiteral("device info: tag %1 has %2 bytes, expected %3")
                    .arg(tag, 0, 16)
                    .arg(v->size())
                    .arg(length));
        }
        return *v;
    };
    auto serial = field(0xC1, 8);
    auto fw = field(0xC2, 3);
    auto lc = field(0xC3, 1);
    auto proto = field(0xC4, 1);
    auto caps = field(0xC5, 2);
    for (const Result<QByteArray>* r : {&serial, &fw, &lc, &proto, &caps}) {
        if (!*r) {
            return r->error();
        }
    }
    const auto u8 = [](const QByteArray& b, int i) { return static_cast<std::uint8_t>(b.at(i)); };
    DeviceInfo info;
    info.serial = *serial;
    info.firmwareMajor = u8(*fw, 0);
    info.firmwareMinor = u8(*fw, 1);
    info.firmwareBuild = u8(*fw, 2);
    info.lifeCycleRaw = u8(*lc, 0);
    info.lifeCycle = info.lifeCycleRaw <= 0x04 ? static_cast<LifeCycle>(info.lifeCycleRaw) : LifeCycle::Unknown;
    info.hidProtocol = u8(*proto, 0);
    info.capabilities = static_cast<std::uint16_t>((u8(*caps, 0) << 8) | u8(*caps, 1));
    return info;
}

CommandApdu getDeviceInfoCommand()
{
    return CommandApdu(0x80, 0xCA, 0x00, 0x01, {}, 0);
}

Result<DeviceInfo> readDeviceInfo(ApduChannel& channel)
{
    auto data = exchange(channel, getDeviceInfoCommand(), QStringLiteral("GET DATA"));
    if (!data) {
        return data.error();
    }
    return DeviceInfo::decode(*data);
}

} // namespace wallet::core
