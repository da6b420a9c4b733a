// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Error.h"
#include "core/apdu/ResponseApdu.h"

#include <cstdint>

namespace wallet::core {

/**
 * @brief The one table from SW1SW2 to ErrorCode (spec/pboc-epurse.md §3, §4, §7), with the two parametrised
 * families beside it: 63Cx (wrong PIN, x tries left) and 6Cxx (wrong Le, xx = the right one).
 */
class StatusWord
{
public:
    static constexpr std::uint16_t kSuccess = 0x9000;

    [[nodiscard]] static ErrorCode toErrorCode(std::uint16_t sw);
    /// A cardholder-neutral English text for the SW ("wrong PIN", "balance too low"…).
    [[nodiscard]] static QString describe(std::uint16_t sw);
    /// The error for a non-9000 SW, with triesLeft filled in for 63Cx. `context` names the command ("VERIFY").
    [[nodiscard]] static Error toError(std::uint16_t sw, const QString& context);
    /// 63Cx → x, else -1.
    [[nodiscard]] static int triesLeft(std::uint16_t sw);
    /// 6Cxx → xx (256 for 00), else -1.
    [[nodiscard]] static int correctLe(std::uint16_t sw);
};

} // namespace wallet::core
