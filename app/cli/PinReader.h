// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/crypto/Bytes.h"
#include "core/purse/Pin.h"

#include <QString>

namespace wallet::app::cli {

/// Reads a PIN: from the terminal without echo when stdin is a TTY (prompting on stderr), else one line from stdin.
/// Never from the command line. The line buffer is wiped. While echo is off, SIGINT, SIGTERM, SIGQUIT and SIGHUP
/// first restore the terminal's settings and then end the program as they would have (Ctrl-C never leaves the
/// shell without echo).
[[nodiscard]] core::Result<core::Pin> readPin(const QString& prompt);
/// The same reader for a PIN that is not a purse PIN (the PIV PIN: 6 to 8 characters), unpacked.
[[nodiscard]] core::Result<core::SecureBytes> readSecretLine(const QString& prompt);

/// True when stdin is a terminal (a person can be asked).
[[nodiscard]] bool stdinIsTerminal();

/// Asks on the terminal (prompt on stderr) and reads one line from stdin with the same unbuffered reader as
/// readPin(), so a PIN typed after it is not swallowed. Returns the line, trimmed.
[[nodiscard]] QString askLine(const QString& prompt);

} // namespace wallet::app::cli
