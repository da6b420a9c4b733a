// SPDX-License-Identifier: Apache-2.0
// Client of the simulator's control port (loopback TCP, one command per line, answers "ok ..." / "error ...").
// Commands: touch accept|refuse, touch-mode manual|accept|refuse, power-cut now, power-cut-at N
// [nothing|partial|full], unplug, replug, reset, status. See docs/transport.md.
#pragma once

#include "core/Result.h"

#include <QString>

#include <cstdint>

namespace wallet::device {

class SimulatorControl
{
public:
    explicit SimulatorControl(std::uint16_t port)
        : m_port(port)
    { }
    /// Sends one command line and returns the answer text after "ok " (an "error ..." answer becomes an Error with
    /// code InvalidInput; an unreachable port NoDevice). Blocking, thread-safe (one connection per command).
    [[nodiscard]] core::Result<QString> send(const QString& command, int timeoutMs = 3000) const;
    [[nodiscard]] std::uint16_t port() const { return m_port; }

private:
    std::uint16_t m_port;
};

} // namespace wallet::device
