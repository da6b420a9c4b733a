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
    static constexpr std::uint64_t kMaxFen = 0xFFFFFFFFu;

    constexpr Amount() = default;
    constexpr explicit Amount(std::uint32_t fen)
        : m_fen(fen)
    { }
    [[nodiscard]] constexpr std::uint32_t fen() const { return m_fen; }
    [[nodiscard]] constexpr bool isZero() const { return m_fen == 0; }

    /**
     * Parses a yuan amount exactly: "12", "12.3", "12.34" (at most two decimals), optional surrounding spaces.
     * Refuses signs, exponents, thousands separators, more than two decimals and values above kMaxFen, each with a
     * clear message (InvalidInput or AmountOverflow). No floating point is involved.
     */
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
