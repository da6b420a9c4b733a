// SPDX-License-Identifier: Apache-2.0
// The card operating system: the one entry point through which every APDU enters the token.
#pragma once

#include "hal/Platform.h"

#include <cstddef>
#include <cstdint>
#include <span>

namespace skey {

/// Largest command and response APDU the OS accepts (extended APDUs up to the HID message limit).
inline constexpr std::size_t kMaxCommandApdu = 7609;
inline constexpr std::size_t kMaxResponseApdu = 7609;

/**
 * The token's card OS. One instance per token; no heap, no exceptions: all state lives in the object and in NVM.
 * Single-threaded: the platform's main loop calls it.
 */
class CardOs
{
public:
    explicit CardOs(hal::Platform& platform);

    /// Power-on: recovers the storage journal (finishing or discarding a torn commit), loads persistent state and
    /// clears all volatile security state. Must be called before the first process() and after every reset.
    void powerOn();

    /**
     * Processes one command APDU and writes the response (data ‖ SW1 SW2) into `response`, which must hold at least
     * kMaxResponseApdu bytes. Returns the response length (≥ 2). Never fails: every error becomes a status word.
     */
    std::size_t process(std::span<const std::uint8_t> command, std::span<std::uint8_t> response);

private:
    hal::Platform& m_platform;
};

} // namespace skey
