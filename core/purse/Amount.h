// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"

#include <QString>

#include <compare>
#include <cstdint>

namespace wallet::core {

/**
 * @brief Money: an integer number of fen (0.01 CNY). Never floating point (spec conventions).
 * The card holds amounts and balances as 4-byte unsigned integers, so an Amount is 0..4,294,967,295 fen.
 */
class Amount
{
public:
    /// Why a text is not an amount (None: it is one). The GUI turns these into translated sentences; parse() into
    /// English error details for walletctl.
    enum class Problem : std::uint8_t { None, Empty, NotANumber, Grouping, TooManyDecimals, Negative, TooLarge };

    /// What scan() found: the problem, or the amount in fen (0 is a valid amount here; callers refuse it).
    struct Scan
    {
        Problem problem = Problem::Empty;
        std::uint32_t fen = 0;
        [[nodiscard]] bool ok() const { return problem == Problem::None; }
    };

    static constexpr std::uint64_t kMaxFen = 0xFFFFFFFFu;

    constexpr Amount() = default;
    constexpr explicit Amount(std::uint32_t fen)
        : m_fen(fen)
    { }
    [[nodiscard]] constexpr std::uint32_t fen() const { return m_fen; }
    [[nodiscard]] constexpr bool isZero() const { return m_fen == 0; }

    /**
     * The one amount parser of the wallet (GUI and walletctl), exact and without floating point. Accepts a yuan
     * amount "12", "12.3", "12.34", ".5" (at most two decimals), surrounding spaces, an optional yuan sign in front
     * ("¥", "￥", "CNY"), the full-width digits, point and comma of a Chinese input method, and commas that group
     * the integer part in thousands: the first group 1 to 3 digits, every later group exactly 3 ("1,250.00",
     * "12,345,678"). Any other comma is refused: "12,50" is not ¥1,250.00 (the comma would be a decimal comma in
     * many locales), nor is "1,2500" (Decisions: docs/core.md "Amounts"). Refuses signs, exponents, spaces inside,
     * more than two decimals and values above kMaxFen.
     */
    [[nodiscard]] static Scan scan(const QString& text);
    /// scan() with an English error for each problem (InvalidInput, or AmountOverflow for TooLarge) naming it.
    [[nodiscard]] static Result<Amount> parse(const QString& text);
    /// "12.34" (always two decimals, no currency sign).
    [[nodiscard]] QString toString() const;
    /// "¥12.34".
    [[nodiscard]] QString toDisplayString() const;

    friend constexpr auto operator<=>(Amount, Amount) = default;

private:
    std::uint32_t m_fen = 0;
};

} // namespace wallet::core
