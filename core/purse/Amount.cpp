// SPDX-License-Identifier: Apache-2.0
#include "core/purse/Amount.h"

namespace wallet::core {

Result<Amount> Amount::parse(const QString& input)
{
    const QString text = input.trimmed();
    if (text.isEmpty()) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("amount is empty"));
    }
    std::uint64_t yuan = 0;
    std::uint64_t fraction = 0;
    int decimals = -1; // -1: no point seen
    int intDigits = 0;
    for (const QChar c : text) {
        if (c == QLatin1Char('.')) {
            if (decimals >= 0) {
                return makeError(ErrorCode::InvalidInput,
                    QStringLiteral("amount \"%1\" has more than one decimal point").arg(input));
            }
            decimals = 0;
            continue;
        }
        if (c < QLatin1Char('0') || c > QLatin1Char('9')) {
            if (c == QLatin1Char('-')) {
                return makeError(ErrorCode::InvalidInput, QStringLiteral("amount \"%1\" is negative").arg(input));
            }
            return makeError(ErrorCode::InvalidInput,
                QStringLiteral("amount \"%1\" contains '%2': use digits and one '.', e.g. 12.34")
                    .arg(input, QString(c)));
        }
        const auto digit = static_cast<std::uint64_t>(c.unicode() - u'0');
        if (decimals >= 0) {
            if (++decimals > 2) {
                return makeError(ErrorCode::InvalidInput,
                    QStringLiteral("amount \"%1\" has more than two decimals (1 fen is 0.01)").arg(input));
            }
            fraction = fraction * 10 + digit;
        } else {
            ++intDigits;
            yuan = yuan * 10 + digit;
            if (yuan > kMaxFen / 100 + 1) {
                return makeError(ErrorCode::AmountOverflow, QStringLiteral("amount \"%1\" is too large").arg(input));
            }
        }
    }
    if (intDigits == 0 && decimals <= 0) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("amount \"%1\" has no digits").arg(input));
    }
    if (decimals == 1) {
        fraction *= 10;
    }
    const std::uint64_t fen = yuan * 100 + fraction;
    if (fen > kMaxFen) {
        return makeError(ErrorCode::AmountOverflow,
            QStringLiteral("amount \"%1\" is above the largest a key can hold (42949672.95)").arg(input));
    }
    return Amount(static_cast<std::uint32_t>(fen));
}

QString Amount::toString() const
{
    return QStringLiteral("%1.%2").arg(m_fen / 100).arg(m_fen % 100, 2, 10, QLatin1Char('0'));
}

QString Amount::toDisplayString() const
{
    return QStringLiteral("\u00A5") + toString();
}

} // namespace wallet::core
