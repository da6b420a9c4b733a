// SPDX-License-Identifier: Apache-2.0
// The QEMU test image's runtime: ARM semihosting (output, exit code), newlib hooks (write, exit, sbrk), an
// instruction counter on SysTick (QEMU -icount shift=0 runs one instruction per virtual nanosecond), and stack
// painting for the high-water mark.
#pragma once

#include <cstddef>
#include <cstdint>

namespace skey::target {

/// Writes a NUL-terminated text to the host's stdout (semihosting SYS_WRITE0).
void print(const char* text);
/// Ends QEMU: status 0 = passed (ADP_Stopped_ApplicationExit), anything else = failed.
[[noreturn]] void exitQemu(int status);

/// Starts SysTick from the CPU clock (free-running, 24 bits, reloaded and counted in the interrupt).
void startCounter();
/// Virtual nanoseconds since startCounter() (= guest instructions under -icount shift=0).
std::uint64_t instructionsNow();

/// Fills the stack below the current stack pointer (leaving `keep` bytes) with a pattern.
void paintStack(std::size_t keep = 256);
/// The deepest stack use since paintStack(), in bytes below the stack pointer at the time of painting.
std::size_t stackUsedSincePaint();

} // namespace skey::target
