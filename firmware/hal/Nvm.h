// SPDX-License-Identifier: Apache-2.0
// HAL: non-volatile memory organised in erasable pages (flash or EEPROM emulation). Required.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace skey::hal {

/// Result of an NVM operation. PowerLost is only ever seen by tests and the simulator: on a real token the CPU
/// stops, so firmware code must treat it as "stop now and touch nothing else".
enum class NvmStatus : std::uint8_t { Ok, Fault, PowerLost };

/**
 * Page-organised NVM. Erased bytes read 0xFF; a program operation can only clear bits (AND into the cell), as NOR
 * flash does, so software must erase before it rewrites. Addresses are byte offsets from the start of the area the
 * firmware owns. Every call blocks until the operation completed (typical: program 8 µs/word, erase 20 ms/page).
 * Buffers are owned by the caller and only borrowed for the duration of the call. Not ISR-safe.
 *
 * Each program() and erase() is one "NVM write" for the power-cut model of the host platform: the N-th write may
 * do nothing, part of its bytes, or all of them, and then every later call returns PowerLost until reboot.
 */
class Nvm
{
public:
    virtual ~Nvm() = default;
    /// Size of one erasable page in bytes (a power of two).
    [[nodiscard]] virtual std::size_t pageSize() const = 0;
    /// Number of pages the firmware owns.
    [[nodiscard]] virtual std::size_t pageCount() const = 0;
    /// Reads `out.size()` bytes at `address`. Ok, Fault (out of range) or PowerLost.
    [[nodiscard]] virtual NvmStatus read(std::size_t address, std::span<std::uint8_t> out) = 0;
    /// Programs `data` at `address` (may cross no page boundary). Bits only go 1 → 0.
    [[nodiscard]] virtual NvmStatus program(std::size_t address, std::span<const std::uint8_t> data) = 0;
    /// Erases page `page` to 0xFF.
    [[nodiscard]] virtual NvmStatus erase(std::size_t page) = 0;
};

} // namespace skey::hal
