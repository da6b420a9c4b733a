// SPDX-License-Identifier: Apache-2.0
#include "UdpHidEndpoint.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

namespace skey::sim {

namespace {
constexpr auto kPeerIdle = std::chrono::seconds(120);
constexpr std::size_t kMaxPeers = 16;
} // namespace

UdpHidEndpoint::~UdpHidEndpoint()
{
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

std::string UdpHidEndpoint::bind(std::uint16_t port, bool& inUse)
{
    inUse = false;
    m_fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (m_fd < 0) {
        return std::string("socket(): ") + std::strerror(errno);
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); // loopback only, always
    if (::bind(m_fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        const int e = errno;
        inUse = e == EADDRINUSE;
        return "UDP 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(e);
    }
    socklen_t len = sizeof addr;
    ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len);
    m_port = ntohs(addr.sin_port);
    return {};
}

void UdpHidEndpoint::drain()
{
    std::uint8_t buf[256];
    while (::recv(m_fd, buf, sizeof buf, MSG_DONTWAIT) >= 0) { }
}

void UdpHidEndpoint::remember(const sockaddr_in& from)
{
    const auto now = std::chrono::steady_clock::now();
    for (auto& p : m_peers) {
        if (p.addr.sin_port == from.sin_port && p.addr.sin_addr.s_addr == from.sin_addr.s_addr) {
            p.lastSeen = now;
            return;
        }
    }
    std::erase_if(m_peers, [now](const Peer& p) { return now - p.lastSeen > kPeerIdle; });
    if (m_peers.size() >= kMaxPeers) {
        m_peers.erase(std::min_element(
            m_peers.begin(), m_peers.end(), [](const Peer& a, const Peer& b) { return a.lastSeen < b.lastSeen; }));
    }
    m_peers.push_back({from, now});
}

bool UdpHidEndpoint::receive(std::span<std::uint8_t, 64> report)
{
    for (;;) {
        std::uint8_t buf[256];
        sockaddr_in from{};
        socklen_t len = sizeof from;
        const ssize_t n = ::recvfrom(m_fd, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0) {
            return false; // EAGAIN: nothing pending
        }
        if (m_online && !m_online()) {
            continue; // unplugged or without power: the report is lost
        }
        if (from.sin_addr.s_addr != htonl(INADDR_LOOPBACK) || n != 64) {
            continue; // not a report from this machine
        }
        remember(from);
        ++m_in;
        std::memcpy(report.data(), buf, 64);
        return true;
    }
}

bool UdpHidEndpoint::send(std::span<const std::uint8_t, 64> report)
{
    if (m_online && !m_online()) {
        return false;
    }
    bool any = false;
    for (const auto& p : m_peers) {
        if (::sendto(m_fd, report.data(), report.size(), 0, reinterpret_cast<const sockaddr*>(&p.addr), sizeof p.addr)
            == static_cast<ssize_t>(report.size())) {
            any = true;
        }
    }
    if (any) {
        ++m_out;
    }
    return any;
}

} // namespace skey::sim
