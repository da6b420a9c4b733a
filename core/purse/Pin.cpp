// SPDX-License-Identifier: Apache-2.0
#include "core/purse/Pin.h"

namespace wallet::core {

Result<Pin> Pin::fromDigits(std::string_view digits)
{
    if (digits.size() < 4 || digits.size() > 12) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("a PIN has 4 to 12 digits"));
    }
    for (const char c : digits) {
        if (c < '0' || c > '9') {
            return makeError(ErrorCode::InvalidInput, QStringLiteral("a PIN has digits only"));
        }
    }
    Pin pin;
    pin.m_digits = digits.size();
    pin.m_bcd.resize((digits.size() + 1) / 2, 0xFF);
    for (std::size_t i = 0; i < digits.size(); ++i) {
        const auto nibble = static_cast<std::uint8_t>(digits[i] - '0');
        auto& byte = pin.m_bcd[i / 2];
        byte = (i % 2 == 0) ? static_cast<std::uint8_t>((nibble << 4) | 0x0F)
                            : static_cast<std::uint8_t>((byte & 0xF0) | nibble);
    }
    return pin;
}

} // namespace wallet::core
