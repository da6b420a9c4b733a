// SPDX-License-Identifier: Apache-2.0
// PIN entry state: digits only, 4..12, backspace/clear, submit hands the digits over once and keeps no copy.
#include "app/gui/PinViewModel.h"

#include <QSignalSpy>
#include <QtTest>

using wallet::app::PinViewModel;

class TestPinViewModel : public QObject
{
    Q_OBJECT

private slots:
    void lengthLimits();
    void rejectsNonDigits();
    void backspaceAndClear();
    void submitHandsOverAndWipes();
    void blockedRefusesInput();
    void triesLeftText_data();
    void triesLeftText();
};

void TestPinViewModel::lengthLimits()
{
    PinViewModel pin;
    QSignalSpy length(&pin, &PinViewModel::lengthChanged);
    for (int i = 0; i < 3; ++i) {
        pin.appendDigit(i);
    }
    QCOMPARE(pin.length(), 3);
    QVERIFY(!pin.canSubmit());
    pin.appendDigit(3);
    QVERIFY(pin.canSubmit());
    for (int i = 0; i < 20; ++i) {
        pin.appendDigit(9);
    }
    QCOMPARE(pin.length(), PinViewModel::kMaxDigits);
    QCOMPARE(length.count(), PinViewModel::kMaxDigits);
}

void TestPinViewModel::rejectsNonDigits()
{
    PinViewModel pin;
    pin.appendDigit(-1);
    pin.appendDigit(10);
    pin.appendDigit(42);
    QCOMPARE(pin.length(), 0);
}

void TestPinViewModel::backspaceAndClear()
{
    PinViewModel pin;
    for (int d : {1, 2, 3, 4, 5}) {
        pin.appendDigit(d);
    }
    pin.backspace();
    QCOMPARE(pin.length(), 4);
    pin.clear();
    QCOMPARE(pin.length(), 0);
    pin.backspace(); // nothing to remove: no crash, no signal
    QCOMPARE(pin.length(), 0);
}

void TestPinViewModel::submitHandsOverAndWipes()
{
    PinViewModel pin;
    std::string received;
    int calls = 0;
    pin.setSubmitHandler([&](Botan::secure_vector<char> digits) {
        received.assign(digits.begin(), digits.end());
        ++calls;
    });
    for (int d : {0, 4, 2, 7, 1}) {
        pin.appendDigit(d);
    }
    pin.submit();
    QCOMPARE(calls, 1);
    QCOMPARE(received, std::string("04271"));
    QCOMPARE(pin.length(), 0);
    QVERIFY(pin.busy());
    pin.submit(); // busy and empty: nothing is submitted twice
    QCOMPARE(calls, 1);
    pin.setBusy(false);
    pin.setTriesLeft(2);
    pin.setErrorText(QStringLiteral("Wrong PIN."));
    QCOMPARE(pin.triesLeft(), 2);
    QCOMPARE(pin.errorText(), QStringLiteral("Wrong PIN."));
    pin.reset();
    QCOMPARE(pin.triesLeft(), -1);
    QVERIFY(pin.errorText().isEmpty());
}

void TestPinViewModel::blockedRefusesInput()
{
    PinViewModel pin;
    int calls = 0;
    pin.setSubmitHandler([&](Botan::secure_vector<char>) { ++calls; });
    for (int d : {1, 2, 3, 4}) {
        pin.appendDigit(d);
    }
    pin.setBlocked(true);
    QVERIFY(!pin.canSubmit());
    pin.submit();
    QCOMPARE(calls, 0);
    pin.appendDigit(5);
    QCOMPARE(pin.length(), 4);
    QCOMPARE(pin.triesLeftText(), QStringLiteral("The PIN is blocked."));
}

void TestPinViewModel::triesLeftText_data()
{
    QTest::addColumn<int>("tries");
    QTest::addColumn<QString>("text");
    QTest::newRow("unknown") << -1 << QString();
    QTest::newRow("one: the lockout announced") << 1
                                                << QStringLiteral("Last try: if this PIN is wrong too, the key locks "
                                                                  "and only a branch of your bank can unblock it "
                                                                  "(take the key and your ID).");
    QTest::newRow("two") << 2 << QStringLiteral("2 tries left");
    QTest::newRow("none: blocked") << 0 << QStringLiteral("The PIN is blocked.");
    QTest::newRow("three") << 3 << QStringLiteral("3 tries left");
}

void TestPinViewModel::triesLeftText()
{
    QFETCH(int, tries);
    QFETCH(QString, text);
    // The English plural forms come from the compiled wallet_en translation.
    QTranslator translator;
    QVERIFY(translator.load(QStringLiteral(":/i18n/wallet_en.qm")));
    QCoreApplication::installTranslator(&translator);
    PinViewModel pin;
    pin.setTriesLeft(tries);
    QCOMPARE(pin.triesLeftText(), text);
    QCoreApplication::removeTranslator(&translator);
}

QTEST_GUILESS_MAIN(TestPinViewModel)
#include "TestPinViewModel.moc"
