// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/purse/Pin.h"

#include <QString>

namespace wallet::app::cli {

/// Reads a PIN: from the terminal without echo when stdin is a TTY (prompting on stderr), else one line from stdin.
/// Never from the command line. The line buffer is wiped.
[[nodiscard]] core::Result<core::Pin> readPin(const QString& prompt);

} // namespace wallet::app::cli
