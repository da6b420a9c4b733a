// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"

#include <botan/secmem.h>

#include <cstdint>
#include <string_view>

namespace wallet::core {

/**
 * @brief A cardholder PIN: 4–12 decimal digits, held BCD-packed in a wiped buffer (spec §3: odd count padded with F,
 * 12345 → 12 34 5F). Never logged, never stored; copies are secure_vectors too.
 */
class Pin
{
public:
    /// Validates and packs. The input buffer is the caller's to wipe.
    [[nodiscard]] static Result<Pin> fromDigits(std::string_view digits);
    [[nodiscard]] const Botan::secure_vector<std::uint8_t>& bcd() const { return m_bcd; }
    [[nodiscard]] std::size_t digitCount() const { return m_digits; }

private:
    Botan::secure_vector<std::uint8_t> m_bcd;
    std::size_t m_digits = 0;
};

} // namespace wallet::core
