// SPDX-License-Identifier: Apache-2.0
#include "PinReader.h"

#include <botan/mem_ops.h>

#include <csignal>
#include <cstdio>
#include <iterator>
#include <string_view>
#include <termios.h>
#include <unistd.h>

namespace wallet::app::cli {

namespace {

// The terminal settings to put back if a signal ends the program while echo is off. Written before the handlers are
// installed and only read by them; tcsetattr() is async-signal-safe (POSIX.1-2008 list).
termios g_savedTerminal{};
volatile std::sig_atomic_t g_echoOff = 0;

constexpr int kRestoreSignals[] = {SIGINT, SIGTERM, SIGQUIT, SIGHUP};
struct sigaction g_previous[sizeof kRestoreSignals / sizeof kRestoreSignals[0]];

void restoreAndReraise(int sig)
{
    if (g_echoOff != 0) {
        tcsetattr(STDIN_FILENO, TCSANOW, &g_savedTerminal);
        g_echoOff = 0;
    }
    // The default action (end the process, with the status a shell expects for Ctrl-C).
    struct sigaction dfl
    {
    };
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, nullptr);
    raise(sig);
}

/// Echo off for the lifetime of the object, back on at the end of scope or on one of kRestoreSignals.
class EchoOff
{
public:
    EchoOff()
    {
        if (tcgetattr(STDIN_FILENO, &g_savedTerminal) != 0) {
            return;
        }
        struct sigaction sa
        {
        };
        sa.sa_handler = restoreAndReraise;
        sigemptyset(&sa.sa_mask);
        for (std::size_t i = 0; i < std::size(kRestoreSignals); ++i) {
            sigaction(kRestoreSignals[i], &sa, &g_previous[i]);
        }
        termios silent = g_savedTerminal;
        silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        g_echoOff = 1;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent);
        m_active = true;
    }
    ~EchoOff()
    {
        if (!m_active) {
            return;
        }
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_savedTerminal);
        g_echoOff = 0;
        for (std::size_t i = 0; i < std::size(kRestoreSignals); ++i) {
            sigaction(kRestoreSignals[i], &g_previous[i], nullptr);
        }
    }
    EchoOff(const EchoOff&) = delete;
    EchoOff& operator=(const EchoOff&) = delete;

private:
    bool m_active = false;
};

/// One line from stdin, byte by byte (no read-ahead that could swallow the next line), into `line`; CR dropped.
/// Returns the length, or line.size() + 1 when the line was longer than the buffer (the rest is consumed).
std::size_t readRawLine(Botan::secure_vector<char>& line)
{
    std::size_t n = 0;
    bool tooLong = false;
    for (;;) {
        const int c = std::fgetc(stdin);
        if (c == EOF || c == '\n') {
            break;
        }
        if (c == '\r') {
            continue;
        }
        if (n < line.size()) {
            line[n++] = static_cast<char>(c);
        } else {
            tooLong = true;
        }
    }
    return tooLong ? line.size() + 1 : n;
}

} // namespace

bool stdinIsTerminal()
{
    return isatty(STDIN_FILENO) != 0;
}

QString askLine(const QString& prompt)
{
    std::fputs(prompt.toLocal8Bit().constData(), stderr);
    std::fflush(stderr);
    Botan::secure_vector<char> line(256, 0);
    const std::size_t n = readRawLine(line);
    if (n > line.size()) {
        return {};
    }
    return QString::fromLocal8Bit(line.data(), static_cast<qsizetype>(n)).trimmed();
}

core::Result<core::SecureBytes> readSecretLine(const QString& prompt)
{
    const bool tty = stdinIsTerminal();
    Botan::secure_vector<char> line(64, 0);
    std::size_t n = 0;
    if (tty) {
        std::fputs(prompt.toLocal8Bit().constData(), stderr);
        std::fflush(stderr);
        const EchoOff silent;
        n = readRawLine(line);
    } else {
        n = readRawLine(line);
    }
    if (tty) {
        std::fputs("\n", stderr);
    }
    if (n > line.size()) {
        return core::makeError(core::ErrorCode::InvalidInput, QStringLiteral("a PIN has 4 to 12 digits"));
    }
    if (n == 0) {
        return core::makeError(
            core::ErrorCode::InvalidInput, QStringLiteral("no PIN given (type it, or pipe it on stdin)"));
    }
    return core::SecureBytes(line.begin(), line.begin() + static_cast<std::ptrdiff_t>(n));
}

core::Result<core::Pin> readPin(const QString& prompt)
{
    auto line = readSecretLine(prompt);
    if (!line) {
        return line.error();
    }
    return core::Pin::fromDigits(std::string_view(reinterpret_cast<const char*>(line->data()), line->size()));
}

} // namespace wallet::app::cli
