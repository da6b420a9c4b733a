// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QLocale>
#include <QObject>
#include <QString>
#include <QtQml/qqmlregistration.h>

#include <cstdint>

namespace wallet::app {

/**
 * @brief Money as text, both ways, without floating point: amounts are integer fen (0.01 CNY).
 * parse() is core::Amount::scan() (the one parser, shared with walletctl: "12", "12.5", "1,234.56", "¥ 8",
 * full-width digits from a Chinese input method; "12,50" refused) plus the wallet's bounds (above zero, at most
 * maxFen), and format() writes the locale's grouping and decimal point with the yuan sign. QML uses the singleton
 * `Money` for display and validation; it never does arithmetic on money.
 */
class AmountText : public QObject
{
    Q_OBJECT
    QML_NAMED_ELEMENT(Money)
    QML_SINGLETON

public:
    /// The largest amount a purse field can hold (4-byte binary, spec §4).
    static constexpr std::int64_t kMaxFen = 0xFFFFFFFFLL;

    enum class Problem : std::uint8_t { None, Empty, NotANumber, TooManyDecimals, Negative, Zero, TooLarge, Grouping };
    Q_ENUM(Problem)

    struct Parsed
    {
        Problem problem = Problem::Empty;
        std::int64_t fen = 0;
        [[nodiscard]] bool ok() const { return problem == Problem::None; }
    };

    explicit AmountText(QObject* parent = nullptr);

    /// Parses `text` into fen. `maxFen` bounds the result (TooLarge above it); zero is refused.
    [[nodiscard]] static Parsed parse(const QString& text, std::int64_t maxFen = kMaxFen);
    /// "¥1,234.56" (negative: "-¥1,234.56") in `locale`'s digits, grouping and decimal point.
    [[nodiscard]] static QString format(std::int64_t fen, const QLocale& locale = QLocale());
    /// The same without the currency sign, for input fields: "1234.56".
    [[nodiscard]] static QString formatPlain(std::int64_t fen);
    /// A translated sentence for a parse problem ("Enter an amount", "At most two digits after the point", …).
    [[nodiscard]] static QString problemText(Problem problem, std::int64_t maxFen = kMaxFen);

    /// For QML: the formatted amount in the current default locale.
    Q_INVOKABLE [[nodiscard]] QString display(qint64 fen) const { return format(fen); }
    /// For QML: the empty string when `text` is a valid amount up to `maxFen`, else the problem in words.
    Q_INVOKABLE [[nodiscard]] QString validate(const QString& text, qint64 maxFen) const;
    /// For QML: the amount in fen, or -1 when `text` is not valid.
    Q_INVOKABLE [[nodiscard]] qint64 toFen(const QString& text, qint64 maxFen) const;
};

} // namespace wallet::app
