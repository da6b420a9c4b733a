// SPDX-License-Identifier: Apache-2.0
// Money text both ways, without floating point: what a cardholder may type, and how amounts are shown.
#include "app/gui/AmountText.h"

#include <QtTest>

using wallet::app::AmountText;
using Problem = wallet::app::AmountText::Problem;

class TestAmountText : public QObject
{
    Q_OBJECT

private slots:
    void parse_data();
    void parse();
    void format_data();
    void format();
    void roundTrip();
    void problemTextsAreSentences();
};

void TestAmountText::parse_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("max");
    QTest::addColumn<int>("problem");
    QTest::addColumn<qint64>("fen");
    const qint64 big = AmountText::kMaxFen;
    // clang-format off
    QTest::newRow("integer")            << QStringLiteral("12")          << big << int(Problem::None) << qint64(1200);
    QTest::newRow("one decimal")        << QStringLiteral("12.5")        << big << int(Problem::None) << qint64(1250);
    QTest::newRow("two decimals")       << QStringLiteral("12.34")       << big << int(Problem::None) << qint64(1234);
    QTest::newRow("leading point")      << QStringLiteral(".5")          << big << int(Problem::None) << qint64(50);
    QTest::newRow("trailing point")     << QStringLiteral("7.")          << big << int(Problem::None) << qint64(700);
    QTest::newRow("grouping")           << QStringLiteral("1,234.56")    << big << int(Problem::None) << qint64(123456);
    QTest::newRow("yuan sign")          << QStringLiteral("\u00A5 8")    << big << int(Problem::None) << qint64(800);
    QTest::newRow("full-width sign")    << QStringLiteral("\uFFE5 9.9")  << big << int(Problem::None) << qint64(990);
    QTest::newRow("full-width digits")  << QStringLiteral("\uFF11\uFF12\uFF0E\uFF15") << big << int(Problem::None) << qint64(1250);
    QTest::newRow("spaces")             << QStringLiteral("  3.00 ")     << big << int(Problem::None) << qint64(300);
    QTest::newRow("one fen")            << QStringLiteral("0.01")        << big << int(Problem::None) << qint64(1);
    QTest::newRow("purse maximum")      << QStringLiteral("42949672.95") << big << int(Problem::None) << qint64(4294967295);
    QTest::newRow("at limit")           << QStringLiteral("10000")       << qint64(1000000) << int(Problem::None) << qint64(1000000);
    QTest::newRow("empty")              << QString()                     << big << int(Problem::Empty) << qint64(0);
    QTest::newRow("only sign")          << QStringLiteral("\u00A5")      << big << int(Problem::Empty) << qint64(0);
    QTest::newRow("three decimals")     << QStringLiteral("1.234")       << big << int(Problem::TooManyDecimals) << qint64(0);
    QTest::newRow("negative")           << QStringLiteral("-5")          << big << int(Problem::Negative) << qint64(0);
    QTest::newRow("zero")               << QStringLiteral("0.00")        << big << int(Problem::Zero) << qint64(0);
    QTest::newRow("letters")            << QStringLiteral("12a")         << big << int(Problem::NotANumber) << qint64(0);
    QTest::newRow("exponent")           << QStringLiteral("1e3")         << big << int(Problem::NotANumber) << qint64(0);
    QTest::newRow("two points")         << QStringLiteral("1.2.3")       << big << int(Problem::NotANumber) << qint64(0);
    QTest::newRow("lone point")         << QStringLiteral(".")           << big << int(Problem::NotANumber) << qint64(0);
    QTest::newRow("grouping in cents")  << QStringLiteral("1.2,3")       << big << int(Problem::Grouping) << qint64(0);
    QTest::newRow("leading comma")      << QStringLiteral(",5")          << big << int(Problem::Grouping) << qint64(0);
    // A comma groups thousands only (issue 9 item 13: "12,50" loaded ¥1,250.00).
    QTest::newRow("decimal comma")      << QStringLiteral("12,50")       << big << int(Problem::Grouping) << qint64(0);
    QTest::newRow("group of four")      << QStringLiteral("1,2500")      << big << int(Problem::Grouping) << qint64(0);
    QTest::newRow("first group of four") << QStringLiteral("1234,567")   << big << int(Problem::Grouping) << qint64(0);
    QTest::newRow("short group, point") << QStringLiteral("1,25.00")     << big << int(Problem::Grouping) << qint64(0);
    QTest::newRow("trailing comma")     << QStringLiteral("1,")          << big << int(Problem::Grouping) << qint64(0);
    QTest::newRow("thousands")          << QStringLiteral("1,250.00")    << big << int(Problem::None) << qint64(125000);
    QTest::newRow("millions")           << QStringLiteral("12,345,678")  << big << int(Problem::None) << qint64(1234567800);
    QTest::newRow("full-width comma")   << QStringLiteral("1\uFF0C250")  << big << int(Problem::None) << qint64(125000);
    QTest::newRow("space inside")       << QStringLiteral("1 250")       << big << int(Problem::NotANumber) << qint64(0);
    QTest::newRow("above purse")        << QStringLiteral("42949672.96") << big << int(Problem::TooLarge) << qint64(0);
    QTest::newRow("above limit")        << QStringLiteral("10000.01")    << qint64(1000000) << int(Problem::TooLarge) << qint64(0);
    QTest::newRow("overflow guard")     << QStringLiteral("99999999999999999999") << big << int(Problem::TooLarge) << qint64(0);
    // clang-format on
}

void TestAmountText::parse()
{
    QFETCH(QString, text);
    QFETCH(qint64, max);
    QFETCH(int, problem);
    QFETCH(qint64, fen);
    const auto parsed = AmountText::parse(text, max);
    QCOMPARE(int(parsed.problem), problem);
    QCOMPARE(qint64(parsed.fen), fen);
    QCOMPARE(parsed.ok(), problem == int(Problem::None));
}

void TestAmountText::format_data()
{
    QTest::addColumn<qint64>("fen");
    QTest::addColumn<QString>("locale");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("plain");
    // clang-format off
    QTest::newRow("zero")      << qint64(0)          << QStringLiteral("en_US") << QStringLiteral("\u00A50.00")          << QStringLiteral("0.00");
    QTest::newRow("one fen")   << qint64(1)          << QStringLiteral("en_US") << QStringLiteral("\u00A50.01")          << QStringLiteral("0.01");
    QTest::newRow("grouping")  << qint64(123456789)  << QStringLiteral("en_US") << QStringLiteral("\u00A51,234,567.89")  << QStringLiteral("1234567.89");
    QTest::newRow("zh_CN")     << qint64(100000000)  << QStringLiteral("zh_CN") << QStringLiteral("\u00A51,000,000.00")  << QStringLiteral("1000000.00");
    QTest::newRow("negative")  << qint64(-1880)      << QStringLiteral("en_US") << QStringLiteral("-\u00A518.80")        << QStringLiteral("-18.80");
    QTest::newRow("max")       << qint64(4294967295) << QStringLiteral("en_US") << QStringLiteral("\u00A542,949,672.95") << QStringLiteral("42949672.95");
    QTest::newRow("de comma")  << qint64(123456)     << QStringLiteral("de_DE") << QStringLiteral("\u00A51.234,56")      << QStringLiteral("1234.56");
    QTest::newRow("int64 min") << std::numeric_limits<qint64>::min() << QStringLiteral("en_US")
                               << QStringLiteral("-\u00A592,233,720,368,547,758.08") << QStringLiteral("-92233720368547758.08");
    // clang-format on
}

void TestAmountText::format()
{
    QFETCH(qint64, fen);
    QFETCH(QString, locale);
    QFETCH(QString, text);
    QFETCH(QString, plain);
    QCOMPARE(AmountText::format(fen, QLocale(locale)), text);
    QCOMPARE(AmountText::formatPlain(fen), plain);
}

void TestAmountText::roundTrip()
{
    // Every fen value in a few ranges survives format → parse exactly (no binary fractions anywhere).
    for (qint64 fen : {qint64(1),
             qint64(9),
             qint64(10),
             qint64(99),
             qint64(100),
             qint64(101),
             qint64(1999),
             qint64(123456),
             qint64(4294967295)}) {
        const auto parsed = AmountText::parse(AmountText::format(fen, QLocale(QStringLiteral("en_US"))));
        QVERIFY2(parsed.ok(), qPrintable(AmountText::format(fen)));
        QCOMPARE(qint64(parsed.fen), fen);
    }
    for (qint64 fen = 0; fen < 2000; ++fen) {
        const auto parsed = AmountText::parse(AmountText::formatPlain(fen));
        QCOMPARE(qint64(parsed.fen), fen);
    }
}

void TestAmountText::problemTextsAreSentences()
{
    AmountText money;
    QCOMPARE(money.validate(QStringLiteral("5"), 1000), QString());
    QCOMPARE(money.toFen(QStringLiteral("5"), 1000), qint64(500));
    QCOMPARE(money.toFen(QStringLiteral("50"), 1000), qint64(-1));
    QCOMPARE(money.validate(QStringLiteral("50"), 1000), QStringLiteral("The amount can be at most \u00A510.00."));
    for (auto p : {Problem::Empty,
             Problem::NotANumber,
             Problem::TooManyDecimals,
             Problem::Negative,
             Problem::Zero,
             Problem::TooLarge,
             Problem::Grouping}) {
        const QString text = AmountText::problemText(p);
        QVERIFY(!text.isEmpty());
        QVERIFY(text.endsWith(QLatin1Char('.')));
    }
}

QTEST_GUILESS_MAIN(TestAmountText)
#include "TestAmountText.moc"
