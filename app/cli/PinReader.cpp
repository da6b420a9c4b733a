// SPDX-License-Identifier: Apache-2.0
#include "PinReader.h"

#include <botan/mem_ops.h>

#include <cstdio>
#include <string_view>
#include <termios.h>
#include <unistd.h>

namespace wallet::app::cli {

core::Result<core::Pin> readPin(const QString& prompt)
{
    const bool tty = isatty(STDIN_FILENO) != 0;
    termios saved{};
    if (tty) {
        std::fputs(prompt.toLocal8Bit().constData(), stderr);
        std::fflush(stderr);
        if (tcgetattr(STDIN_FILENO, &saved) == 0) {
            termios silent = saved;
            silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent);
        }
    }
    Botan::secure_vector<char> line(64, 0);
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
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        std::fputs("\n", stderr);
    }
    if (tooLong) {
        return core::makeError(core::ErrorCode::InvalidInput, QStringLiteral("a PIN has 4 to 12 digits"));
    }
    if (n == 0) {
        return core::makeError(
            core::ErrorCode::InvalidInput, QStringLiteral("no PIN given (type it, or pipe it on stdin)"));
    }
    return core::Pin::fromDigits(std::string_view(line.data(), n));
}

} // namespace wallet::app::cli
