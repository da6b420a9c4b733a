// SPDX-License-Identifier: Apache-2.0
#include "HostSystem.h"

#include <algorithm>

namespace skey::host {

HostSystem::HostSystem(const std::array<std::uint8_t, 8>& serial)
    : m_serial(serial)
    , m_start(std::chrono::steady_clock::now())
{ }

std::uint32_t HostSystem::millis() const
{
    const auto elapsed = std::chrono::steady_clock::now() - m_start;
    return static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count());
}

void HostSystem::deviceSerial(std::span<std::uint8_t, 8> out) const
{
    std::copy(m_serial.begin(), m_serial.end(), out.begin());
}

hal::PresenceResult HostPresence::waitForTouch(std::uint32_t timeoutMs)
{
    return m_waiter ? m_waiter(timeoutMs) : m_autoAnswer;
}

} // namespace skey::host
