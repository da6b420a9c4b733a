// SPDX-License-Identifier: Apache-2.0
// Host platform: time base, device serial, reset, and the user-presence button driven by the simulator.
#pragma once

#include "hal/Presence.h"
#include "hal/System.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>

namespace skey::host {

class HostSystem final : public hal::System
{
public:
    explicit HostSystem(const std::array<std::uint8_t, 8>& serial);
    void setSerial(const std::array<std::uint8_t, 8>& serial) { m_serial = serial; }
    std::uint32_t millis() const override;
    void deviceSerial(std::span<std::uint8_t, 8> out) const override;
    /// Records the request; the simulator's loop sees resetRequested() and reboots the token.
    void reset() override { m_resetRequested = true; }
    [[nodiscard]] bool resetRequested() const { return m_resetRequested; }
    void clearReset() { m_resetRequested = false; }

private:
    std::array<std::uint8_t, 8> m_serial;
    std::chrono::steady_clock::time_point m_start;
    bool m_resetRequested = false;
};

/// The button. By default every touch request is answered at once with the configured answer; the simulator
/// installs a waiter that pumps its sockets (KEEPALIVE, CANCEL, the control port) while the user decides.
class HostPresence final : public hal::Presence
{
public:
    using Waiter = std::function<hal::PresenceResult(std::uint32_t timeoutMs)>;
    void setAutoAnswer(hal::PresenceResult answer) { m_autoAnswer = answer; }
    void setWaiter(Waiter waiter) { m_waiter = std::move(waiter); }
    hal::PresenceResult waitForTouch(std::uint32_t timeoutMs) override;
    void wink() override { ++m_winks; }
    [[nodiscard]] unsigned winks() const { return m_winks; }

private:
    hal::PresenceResult m_autoAnswer = hal::PresenceResult::Confirmed;
    Waiter m_waiter;
    unsigned m_winks = 0;
};

} // namespace skey::host
