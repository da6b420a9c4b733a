// SPDX-License-Identifier: Apache-2.0
// Firmware version, reported by GET DATA tag C2 and by HID INIT.
#pragma once

#include <cstdint>

namespace skey {
inline constexpr std::uint8_t kFirmwareMajor = 0;
inline constexpr std::uint8_t kFirmwareMinor = 1;
inline constexpr std::uint8_t kFirmwareBuild = 0;
} // namespace skey
