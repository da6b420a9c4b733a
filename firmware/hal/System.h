// SPDX-License-Identifier: Apache-2.0
// HAL: time base and system control. Required.
#pragma once

#include <cstdint>
#include <span>

namespace skey::hal {

class System
{
public:
    virtual ~System() = default;
    /// Milliseconds since power-on, monotonic, wrapping at 2^32. Non-blocking, ISR-safe.
    [[nodiscard]] virtual std::uint32_t millis() const = 0;
    /// The 8-byte unique device serial (MCU unique-ID register; on the host: from the simulator profile).
    virtual void deviceSerial(std::span<std::uint8_t, 8> out) const = 0;
    /// Resets the microcontroller (on the host: the simulator reboots the token: volatile state lost, NVM kept).
    /// Does not return on hardware; on the host it returns and the caller must unwind to the main loop.
    virtual void reset() = 0;
};

} // namespace skey::hal
