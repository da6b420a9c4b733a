// SPDX-License-Identifier: Apache-2.0
#include "core/purse/Amount.h"

namespace wallet::core {

namespace {

/// 0..9 for an ASCII or full-width digit (U+FF10..U+FF19), else -1. Other scripts' digits are refused on purpose:
/// an amount is typed by the cardholder and shown back, and only these two forms come from the input methods used.
int digitOf(QChar c)
{
    if (c >= QLatin1Char('0') && c <= QLatin1Char('9')) {
        return c.unicode() - u'0';
    }
    if (c.unicode() >= 0xFF10 && c.unicode() <= 0xFF19) {
        return c.unicode() - 0xFF10;
    }
    return -1;
}

bool isPoint(QChar c)
{
    // ASCII point, full-width point, ideographic full stop (what a Chinese keyboard gives for ".").
    return c == QLatin1Char('.') || c.unicode() == 0xFF0E || c.unicode() == 0x3002;
}

bool isComma(QChar c)
{
    return c == QLatin1Char(',') || c.unicode() == 0xFF0C;
}

} // namespace

Amount::Scan Amount::scan(const QString& input)
{
    Scan out;
    QString text = input.trimmed();
    for (const QString& sign : {QStringLiteral("CNY"), QStringLiteral("\u00A5"), QStringLiteral("\uFFE5")}) {
        if (text.startsWith(sign, Qt::CaseInsensitive)) {
            text = text.mid(sign.size()).trimmed();
            break;
        }
    }
    if (text.isEmpty()) {
        out.problem = Problem::Empty;
        return out;
    }
    if (text.front() == QLatin1Char('-') || text.front().unicode() == 0x2212) {
        out.problem = Problem::Negative;
        return out;
    }
    std::uint64_t yuan = 0;
    std::uint64_t fraction = 0;
    int decimals = -1; // -1: no point seen
    int intDigits = 0;
    int groupDigits = 0; // digits since the last comma (or the start)
    int commas = 0;
    for (const QChar c : text) {
        if (isPoint(c)) {
            if (decimals >= 0) {
                out.problem = Problem::NotANumber;
                return out;
            }
            if (commas > 0 && groupDigits != 3) {
                out.problem = Problem::Grouping; // "1,25.00"
                return out;
            }
            decimals = 0;
            continue;
        }
        if (isComma(c)) {
            // A thousands separator: only in the integer part, after a first group of 1..3 digits, and then only
            // after groups of exactly three.
            if (decimals >= 0 || intDigits == 0 || (commas == 0 ? groupDigits > 3 : groupDigits != 3)) {
                out.problem = Problem::Grouping;
                return out;
            }
            ++commas;
            groupDigits = 0;
            continue;
        }
        const int digit = digitOf(c);
        if (digit < 0) {
            out.problem = Problem::NotANumber;
            return out;
        }
        if (decimals >= 0) {
            if (++decimals > 2) {
                out.problem = Problem::TooManyDecimals;
                return out;
            }
            fraction = fraction * 10 + static_cast<std::uint64_t>(digit);
        } else {
            ++intDigits;
            ++groupDigits;
            yuan = yuan * 10 + static_cast<std::uint64_t>(digit);
            if (yuan > kMaxFen / 100 + 1) {
                out.problem = Problem::TooLarge; // stop long before the multiplication could overflow
                return out;
            }
        }
    }
    if (commas > 0 && decimals < 0 && groupDigits != 3) {
        out.problem = Problem::Grouping; // "12,50", "1,2500", "1,"
        return out;
    }
    if (intDigits == 0 && decimals <= 0) {
        out.problem = Problem::NotANumber;
        return out;
    }
    if (decimals == 1) {
        fraction *= 10;
    }
    const std::uint64_t fen = yuan * 100 + fraction;
    if (fen > kMaxFen) {
        out.problem = Problem::TooLarge;
        return out;
    }
    out.problem = Problem::None;
    out.fen = static_cast<std::uint32_t>(fen);
    return out;
}

Result<Amount> Amount::parse(const QString& input)
{
    const Scan s = scan(input);
    switch (s.problem) {
    case Problem::None:
        return Amount(s.fen);
    case Problem::Empty:
        return makeError(ErrorCode::InvalidInput, QStringLiteral("amount is empty"));
    case Problem::Negative:
        return makeError(ErrorCode::InvalidInput, QStringLiteral("amount \"%1\" is negative").arg(input));
    case Problem::Grouping:
        return makeError(ErrorCode::InvalidInput,
            QStringLiteral("amount \"%1\": a comma may only separate thousands (groups of three digits, as in "
                           "1,250.00); for fen use a point, as in 12.50")
                .arg(input));
    case Problem::TooManyDecimals:
        return makeError(ErrorCode::InvalidInput,
            QStringLiteral("amount \"%1\" has more than two decimals (1 fen is 0.01)").arg(input));
    case Problem::TooLarge:
        return makeError(ErrorCode::AmountOverflow,
            QStringLiteral("amount \"%1\" is above the largest a key can hold (42949672.95)").arg(input));
    case Problem::NotANumber:
        break;
    }
    return makeError(ErrorCode::InvalidInput,
        QStringLiteral("amount \"%1\" is not a number: use digits and one '.', e.g. 12.34").arg(input));
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
