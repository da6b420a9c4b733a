// SPDX-License-Identifier: Apache-2.0
#include "device/SimulatorControl.h"

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

core::Result<QString> SimulatorControl::send(const QString& command, int timeoutMs) const
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return makeError(ErrorCode::Internal, QStringLiteral("socket() failed"));
    }
    struct Closer
    {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(m_port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        return makeError(ErrorCode::NoDevice,
            QStringLiteral("no simulator control port on 127.0.0.1:%1: %2")
                .arg(m_port)
                .arg(QString::fromLocal8Bit(std::strerror(errno))));
    }
    QByteArray line = command.trimmed().toUtf8();
    line.append('\n');
    if (::send(fd, line.constData(), static_cast<size_t>(line.size()), MSG_NOSIGNAL) != line.size()) {
        return makeError(ErrorCode::Disconnected, QStringLiteral("control port closed"));
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    QByteArray answer;
    while (!answer.contains('\n')) {
        const auto left
            = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
                  .count();
        if (left <= 0) {
            return makeError(ErrorCode::Timeout, QStringLiteral("the simulator did not answer '%1'").arg(command));
        }
        pollfd p{fd, POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(left));
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            continue;
        }
        char buf[512];
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            return makeError(ErrorCode::Disconnected, QStringLiteral("control port closed before answering"));
        }
        answer.append(buf, static_cast<int>(n));
    }
    const QString text = QString::fromUtf8(answer.left(answer.indexOf('\n'))).trimmed();
    if (text == QLatin1String("ok") || text.startsWith(QLatin1String("ok "))) {
        return text.mid(3);
    }
    return makeError(ErrorCode::InvalidInput, text.startsWith(QLatin1String("error ")) ? text.mid(6) : text);
}

} // namespace wallet::device
