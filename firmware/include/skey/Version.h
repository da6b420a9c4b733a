// SPDX-License-Identifier: Apache-2.0
// Firmware version, reported by GET DATA tag C2, by HID INIT and by PIV GET VERSION. The numbers are CMake's
// project(VERSION x.y.z), passed by firmware/CMakeLists.txt on skey_protocol: one version everywhere
// (docs/packaging.md).
#pragma once

#include <cstdint>

namespace skey {
inline constexpr std::uint8_t kFirmwareMajor = SKEY_VERSION_MAJOR;
inline constexpr std::uint8_t kFirmwareMinor = SKEY_VERSION_MINOR;
inline constexpr std::uint8_t kFirmwareBuild = SKEY_VERSION_PATCH;
} // namespace skey
