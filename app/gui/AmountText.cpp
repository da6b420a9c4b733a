// SPDX-License-Identifier: Apache-2.0
#include "app/gui/AmountText.h"

#include "core/purse/Amount.h"

#include <QCoreApplication>

namespace wallet::app {

AmountText::AmountText(QObject* parent)
    : QObject(parent)
{ }

AmountText::Parsed AmountText::parse(const QString& text, std::int64_t maxFen)
{
    // The one parser is core's (walletctl uses it too); here only the wallet's own bounds are added: above zero and
    // at most maxFen.
    using CoreProblem = core::Amount::Problem;
    Parsed out;
    const core::Amount::Scan scan = core::Amount::scan(text);
    switch (scan.problem) {
    case CoreProblem::None:
        break;
    case CoreProblem::Empty:
        out.problem = Problem::Empty;
        return out;
    case CoreProblem::NotANumber:
        out.problem = Problem::NotANumber;
        return out;
    case CoreProblem::Grouping:
        out.problem = Problem::Grouping;
        return out;
    case CoreProblem::TooManyDecimals:
        out.problem = Problem::TooManyDecimals;
        return out;
    case CoreProblem::Negative:
        out.problem = Problem::Negative;
        return out;
    case CoreProblem::TooLarge:
        out.problem = Problem::TooLarge;
        return out;
    }
    const std::int64_t fen = scan.fen;
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
    case Problem::Grouping:
        return QCoreApplication::translate(
            "Money", "A comma only separates thousands, as in 1,250.00. For fen use a point, as in 12.50.");
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
