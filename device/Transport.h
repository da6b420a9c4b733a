// SPDX-License-Identifier: Apache-2.0
// The report pipe to one key: 64-byte HID reports in and out (spec/token-hid.md). Implementations: HidapiTransport
// (USB, hidapi hidraw) and UdpTransport (the simulator over loopback UDP). The framing above it (HidApduChannel) is
// the same byte for byte for both.
#pragma once

#include "core/Result.h"
#include "skey/HidWire.h"

#include <QString>

#include <array>
#include <cstdint>
#include <optional>

namespace wallet::device {

using Report = std::array<std::uint8_t, skey::wire::kReportSize>;

/**
 * @brief One open handle to one key. Not thread-safe: one thread at a time uses an instance (the channel that owns
 * it). Errors: NoDevice (gone / not reachable), PermissionDenied (hidraw EACCES), DeviceBusy (opened exclusively
 * elsewhere), Disconnected (I/O failed after open: treat the key as gone, re-enumerate).
 */
class Transport
{
public:
    virtual ~Transport() = default;
    [[nodiscard]] virtual core::Result<void> open() = 0;
    virtual void close() = 0;
    [[nodiscard]] virtual bool isOpen() const = 0;
    /// Writes one 64-byte report (hidapi prepends the report-ID byte 00 itself).
    [[nodiscard]] virtual core::Result<void> write(const Report& report) = 0;
    /// Waits up to `timeoutMs` for one report; nullopt when none arrived in time.
    [[nodiscard]] virtual core::Result<std::optional<Report>> read(int timeoutMs) = 0;
    /// "USB 1209:0001 /dev/hidraw3" or "Simulated key 127.0.0.1:21700".
    [[nodiscard]] virtual QString description() const = 0;
    /// True for the simulator (the UI shows the INSECURE banner).
    [[nodiscard]] virtual bool isSimulated() const = 0;
};

} // namespace wallet::device
