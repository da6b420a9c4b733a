// SPDX-License-Identifier: Apache-2.0
// The port between the terminal domain (core/) and the way to the key (device/). core/ knows nothing about HID.
#pragma once

#include "core/Result.h"
#include "core/apdu/CommandApdu.h"
#include "core/apdu/ResponseApdu.h"

namespace wallet::core {

/**
 * @brief One logical connection to one key: exchanges one APDU at a time.
 * Implementations: device::HidApduChannel (over hidapi or the simulator's UDP port), and in tests an in-process
 * token. transmit() blocks the calling (worker) thread until the answer, a timeout or a disconnect.
 */
class ApduChannel
{
public:
    virtual ~ApduChannel() = default;
    [[nodiscard]] virtual Result<ResponseApdu> transmit(const CommandApdu& command) = 0;
    /// A short description for diagnostics ("Simulated key 127.0.0.1:21700", "USB 1209:0001 /dev/hidraw3").
    [[nodiscard]] virtual QString description() const = 0;
};

} // namespace wallet::core
