// SPDX-License-Identifier: Apache-2.0
// The simulator's HID endpoint: one 64-byte report per UDP datagram on 127.0.0.1 (spec/token-hid.md). Like a USB
// HID device, whose IN reports reach every open handle, every IN report goes to every host that talked to the token
// in the last two minutes; hosts filter by CID.
#pragma once

#include "hal/HidEndpoint.h"

#include <netinet/in.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace skey::sim {

class UdpHidEndpoint final : public hal::HidEndpoint
{
public:
    UdpHidEndpoint() = default;
    ~UdpHidEndpoint() override;
    UdpHidEndpoint(const UdpHidEndpoint&) = delete;
    UdpHidEndpoint& operator=(const UdpHidEndpoint&) = delete;

    /// Binds 127.0.0.1:port (0 = any free port). Returns an error text, empty on success; `inUse` is set when the
    /// port is taken.
    [[nodiscard]] std::string bind(std::uint16_t port, bool& inUse);
    [[nodiscard]] int fd() const { return m_fd; }
    [[nodiscard]] std::uint16_t port() const { return m_port; }
    /// Online: plugged in and powered. Offline, incoming reports are discarded and nothing is sent (the host sees a
    /// silent key, like an unplugged one).
    void setOnlinePredicate(std::function<bool()> online) { m_online = std::move(online); }
    /// Drops every queued datagram.
    void drain();

    bool receive(std::span<std::uint8_t, 64> report) override;
    bool send(std::span<const std::uint8_t, 64> report) override;

    [[nodiscard]] std::uint64_t reportsIn() const { return m_in; }
    [[nodiscard]] std::uint64_t reportsOut() const { return m_out; }

private:
    struct Peer
    {
        sockaddr_in addr;
        std::chrono::steady_clock::time_point lastSeen;
    };
    void remember(const sockaddr_in& from);

    int m_fd = -1;
    std::uint16_t m_port = 0;
    std::function<bool()> m_online;
    std::vector<Peer> m_peers;
    std::uint64_t m_in = 0;
    std::uint64_t m_out = 0;
};

} // namespace skey::sim
