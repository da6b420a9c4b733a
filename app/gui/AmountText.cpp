// SPDX-License-Identifier: Apache-2.0
#include "app/gui/AmountText.h"

#include <QCoreApplication>

namespace wallet::app {

AmountText::AmountText(QObject* parent)
    : QObject(parent)
{ }

AmountText::Parsed AmountText::parse(const QString& text, std::int64_t maxFen)
{
    Parsed out;
    QString s = text.trimmed();
    // The yuan sign in its half-width and full-width forms, and the ISO code, are allowed in front.
    for (const QString& prefix : {QStringLiteral("CNY"), QStringLiteral("\u00A5"), QStringLiteral("\uFFE5")}) {
        if (s.startsWith(prefix, Qt::CaseInsensitive)) {
            s = s.mid(prefix.size()).trimmed();
            break;
        }
    }
    if (s.isEmpty()) {
        out.problem = Problem::Empty;
        return out;
    }
    if (s.startsWith(QLatin1Char('-')) || s.startsWith(QChar(0x2212))) {
        out.problem = Problem::Negative;
        return out;
    }
    std::int64_t yuan = 0;
    std::int64_t fraction = 0;
    int fractionDigits = 0;
    int integerDigits = 0;
    bool seenPoint = false;
    for (qsizetype i = 0; i < s.size(); ++i) {
        const QChar c = s.at(i);
        // Full-width digits and point (U+FF10.., U+FF0E) come from Chinese input methods: digitValue() maps them.
        if (c == QLatin1Char('.') || c == QChar(0xFF0E) || c == QChar(0x3002)) {
            if (seenPoint) {
                out.problem = Problem::NotANumber;
                return out;
            }
            seenPoint = true;
            continue;
        }
        if (c == QLatin1Char(',') || c == QChar(0xFF0C) || c == QLatin1Char(' ') || c == QChar(0x00A0)) {
            // Group separators only in the integer part.
            if (seenPoint || integerDigits == 0) {
                out.problem = Problem::NotANumber;
                return out;
            }
            continue;
        }
        const int digit = c.digitValue();
        if (digit < 0 || digit > 9) {
            out.problem = Problem::NotANumber;
            return out;
        }
        if (seenPoint) {
            if (++fractionDigits > 2) {
                out.problem = Problem::TooManyDecimals;
                return out;
            }
            fraction = fraction * 10 + digit;
        } else {
            ++integerDigits;
            // 12 integer digits already exceed any purse; stop before the multiplication can overflow.
            if (integerDigits > 12) {
                out.problem = Problem::TooLarge;
                return out;
            }
            yuan = yuan * 10 + digit;
        }
    }
    if (integerDigits == 0 && fractionDigits == 0) {
        out.problem = Problem::NotANumber;
        return out;
    }
    if (fractionDigits == 1) {
        fraction *= 10;
    }
    const std::int64_t fen = yuan * 100 + fraction;
    if (fen == 0) {
        out.problem = Problem::Zero;
        return out;
    }
    if (fen > maxFen || fen > kMaxFen) {
        out.problem = Problem::TooLarge;
        return out;
    }
    out.problem = Problem::None;
    out.fen = fen;
    return out;
}

QString AmountText::format(std::int64_t fen, const QLocale& locale)
{
    const bool negative = fen < 0;
    // Magnitude without overflow even for INT64_MIN.
    const std::uint64_t magnitude = negative ? 0 - static_cast<std::uint64_t>(fen) : static_cast<std::uint64_t>(fen);
    const std::uint64_t yuan = magnitude / 100;
    const auto cents = static_cast<int>(magnitude % 100);
    QString text = locale.toString(static_cast<qulonglong>(yuan));
    text += locale.decimalPoint();
    text += locale.toString(cents / 10) + locale.toString(cents % 10);
    return (negative ? QStringLiteral("-\u00A5") : QStringLiteral("\u00A5")) + text;
}

QString AmountText::formatPlain(std::int64_t fen)
{
    const bool negative = fen < 0;
    const std::uint64_t magnitude = negative ? 0 - static_cast<std::uint64_t>(fen) : static_cast<std::uint64_t>(fen);
    return QStringLiteral("%1%2.%3")
        .arg(negative ? QStringLiteral("-") : QString())
        .arg(magnitude / 100)
        .arg(static_cast<int>(magnitude % 100), 2, 10, QLatin1Char('0'));
}

QString AmountText::problemText(Problem problem, std::int64_t maxFen)
{
    switch (problem) {
    case Problem::None:
        return {};
    case Problem::Empty:
        return QCoreApplication::translate("Money", "Enter an amount.");
    case Problem::NotANumber:
        return QCoreApplication::translate("Money", "Use digits and one decimal point, for example 25.50.");
    case Problem::TooManyDecimals:
        return QCoreApplication::translate("Money", "At most two digits after the decimal point.");
    case Problem::Negative:
        return QCoreApplication::translate("Money", "The amount cannot be negative.");
    case Problem::Zero:
        return QCoreApplication::translate("Money", "The amount must be more than zero.");
    case Problem::TooLarge:
        return QCoreApplication::translate("Money", "The amount can be at most %1.")
            .arg(format(std::min(maxFen, kMaxFen)));
    }
    return {};
}

QString AmountText::validate(const QString& text, qint64 maxFen) const
{
    return problemText(parse(text, maxFen).problem, maxFen);
}

qint64 AmountText::toFen(const QString& text, qint64 maxFen) const
{
    const Parsed p = parse(text, maxFen);
    return p.ok() ? p.fen : -1;
}

} // namespace wallet::app
