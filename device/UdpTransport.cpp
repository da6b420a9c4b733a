// SPDX-License-Identifier: Apache-2.0
#include "device/UdpTransport.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

namespace wallet::device {

using core::ErrorCode;
using core::makeError;

UdpTransport::UdpTransport(std::uint16_t port)
    : m_port(port)
{ }

UdpTransport::~UdpTransport()
{
    close();
}

core::Result<void> UdpTransport::open()
{
    if (m_fd >= 0) {
        return {};
    }
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return makeError(
            ErrorCode::Internal, QStringLiteral("socket(): %1").arg(QString::fromLocal8Bit(std::strerror(errno))));
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(m_port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // A connected UDP socket: only the simulator's datagrams arrive, and "port unreachable" surfaces as
    // ECONNREFUSED, which tells "no simulator running" apart from a silent one.
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        const int e = errno;
        ::close(fd);
        return makeError(ErrorCode::NoDevice,
            QStringLiteral("cannot reach the simulator on 127.0.0.1:%1: %2")
                .arg(m_port)
                .arg(QString::fromLocal8Bit(std::strerror(e))));
    }
    m_fd = fd;
    return {};
}

void UdpTransport::close()
{
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
}

core::Result<void> UdpTransport::write(const Report& report)
{
    if (m_fd < 0) {
        return makeError(ErrorCode::Disconnected, QStringLiteral("transport not open"));
    }
    const ssize_t n = ::send(m_fd, report.data(), report.size(), MSG_NOSIGNAL);
    if (n != static_cast<ssize_t>(report.size())) {
        const int e = errno;
        return makeError(e == ECONNREFUSED ? ErrorCode::NoDevice : ErrorCode::Disconnected,
            QStringLiteral("simulator on 127.0.0.1:%1: %2").arg(m_port).arg(QString::fromLocal8Bit(std::strerror(e))));
    }
    return {};
}

core::Result<std::optional<Report>> UdpTransport::read(int timeoutMs)
{
    if (m_fd < 0) {
        return makeError(ErrorCode::Disconnected, QStringLiteral("transport not open"));
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(0, timeoutMs));
    for (;;) {
        const auto left
            = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
                  .count();
        pollfd p{m_fd, POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, left)));
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return std::optional<Report>{};
        }
        std::array<std::uint8_t, 128> buf{};
        const ssize_t n = ::recv(m_fd, buf.data(), buf.size(), 0);
        if (n < 0) {
            const int e = errno;
            if (e == EINTR || e == EAGAIN) {
                continue;
            }
            if (e == ECONNREFUSED) {
                // An earlier datagram hit a closed port: the simulator is gone (or not started).
                return makeError(ErrorCode::NoDevice, QStringLiteral("no simulator on 127.0.0.1:%1").arg(m_port));
            }
            return makeError(ErrorCode::Disconnected, QString::fromLocal8Bit(std::strerror(e)));
        }
        if (n != static_cast<ssize_t>(skey::wire::kReportSize)) {
            continue; // not a report: ignored
        }
        Report report{};
        std::memcpy(report.data(), buf.data(), report.size());
        return std::optional<Report>(report);
    }
}

QString UdpTransport::description() const
{
    return QStringLiteral("Simulated key 127.0.0.1:%1").arg(m_port);
}

} // namespace wallet::device
