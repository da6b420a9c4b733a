// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "core/channel/ApduChannel.h"

#include <QByteArray>
#include <QString>

#include <cstdint>

namespace wallet::core {

/// Life cycle byte of GET DATA tag C3 (spec §6). **Decision** (docs/core.md): 00 blank, 01 personalised,
/// 02 blocked (temporary), 03 blocked (permanent), 04 terminated; anything else is reported as Unknown.
enum class LifeCycle : std::uint8_t {
    Blank = 0x00,
    Personalized = 0x01,
    BlockedTemporary = 0x02,
    BlockedPermanent = 0x03,
    Terminated = 0x04,
    Unknown = 0xFF,
};

[[nodiscard]] QString lifeCycleName(LifeCycle lifeCycle); ///< "blank", "personalised", …

/// What GET DATA `80 CA 00 01 00` says about the key (spec §6): serial, firmware, life cycle, protocol, capabilities.
struct DeviceInfo
{
    QByteArray serial; ///< 8 bytes
    std::uint8_t firmwareMajor = 0;
    std::uint8_t firmwareMinor = 0;
    std::uint8_t firmwareBuild = 0;
    LifeCycle lifeCycle = LifeCycle::Unknown;
    std::uint8_t lifeCycleRaw = 0xFF;
    std::uint8_t hidProtocol = 0;
    std::uint16_t capabilities = 0;

    [[nodiscard]] QString serialHex() const { return QString::fromLatin1(serial.toHex().toUpper()); }
    [[nodiscard]] QString firmwareVersion() const; ///< "x.y.z"

    /// Decodes the TLV answer. Each of C1..C5 must be present with its exact length; unknown tags are ignored.
    [[nodiscard]] static Result<DeviceInfo> decode(const QByteArray& tlv);
};

/// The GET DATA command for device info.
[[nodiscard]] CommandApdu getDeviceInfoCommand();
/// Sends GET DATA and decodes the answer.
[[nodiscard]] Result<DeviceInfo> readDeviceInfo(ApduChannel& channel);

} // namespace wallet::core
