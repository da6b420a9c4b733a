// SPDX-License-Identifier: Apache-2.0
// HAL: the USB HID interrupt endpoints (64-byte reports, see include/skey/HidWire.h). Required.
#pragma once

#include <cstdint>
#include <span>

namespace skey::hal {

/**
 * One HID interface with an interrupt IN and an interrupt OUT endpoint. Reports are exactly 64 bytes, without a
 * report ID. Buffers are caller-owned and borrowed for the call.
 */
class HidEndpoint
{
public:
    virtual ~HidEndpoint() = default;
    /// Non-blocking: copies the next OUT report (host → token) into `report` and returns true, or returns false when
    /// none is pending. Called from the main loop, never from an ISR.
    [[nodiscard]] virtual bool receive(std::span<std::uint8_t, 64> report) = 0;
    /// Queues an IN report (token → host). Blocks until the endpoint accepted it (one USB frame, 1 ms) or the host
    /// went away; returns false in the latter case.
    [[nodiscard]] virtual bool send(std::span<const std::uint8_t, 64> report) = 0;
};

} // namespace skey::hal
