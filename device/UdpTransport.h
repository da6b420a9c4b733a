// SPDX-License-Identifier: Apache-2.0
// The simulator's HID port: one 64-byte report per UDP datagram on 127.0.0.1 (spec/token-hid.md "The simulator's
// transports"). Loopback only: the constructor takes a port, never a host.
#pragma once

#include "device/Transport.h"

#include <cstdint>

namespace wallet::device {

class UdpTransport final : public Transport
{
public:
    explicit UdpTransport(std::uint16_t port);
    ~UdpTransport() override;
    UdpTransport(const UdpTransport&) = delete;
    UdpTransport& operator=(const UdpTransport&) = delete;

    [[nodiscard]] core::Result<void> open() override;
    void close() override;
    [[nodiscard]] bool isOpen() const override { return m_fd >= 0; }
    [[nodiscard]] core::Result<void> write(const Report& report) override;
    [[nodiscard]] core::Result<std::optional<Report>> read(int timeoutMs) override;
    [[nodiscard]] QString description() const override;
    [[nodiscard]] bool isSimulated() const override { return true; }
    [[nodiscard]] std::uint16_t port() const { return m_port; }

private:
    std::uint16_t m_port;
    int m_fd = -1;
};

} // namespace wallet::device
