// SPDX-License-Identifier: Apache-2.0
// HAL: the user-presence button (touch sensor) and the status LED. Optional: a token without a button reports
// Confirmed at once when the issuer policy does not ask for touch.
#pragma once

#include <cstdint>

namespace skey::hal {

enum class PresenceResult : std::uint8_t { Confirmed, Refused, Timeout, Cancelled };

/**
 * Blocking wait for the user's touch. While waiting, the implementation keeps the host link alive (the platform's
 * main loop sends HID KEEPALIVE "user presence needed" every ≤ 100 ms and honours CANCEL, which returns Cancelled).
 * `timeoutMs` is the longest wait in milliseconds.
 */
class Presence
{
public:
    virtual ~Presence() = default;
    [[nodiscard]] virtual PresenceResult waitForTouch(std::uint32_t timeoutMs) = 0;
    /// Blinks the LED for about two seconds (HID WINK). Non-blocking.
    virtual void wink() = 0;
};

} // namespace skey::hal
