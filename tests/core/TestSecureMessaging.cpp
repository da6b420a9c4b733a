// SPDX-License-Identifier: Apache-2.0
// MAC-protected command builders against the golden "secure_messaging" and "personalization" rows of
// tests/data/vectors/pboc.json.
#include "core/apdu/SecureMessaging.h"
#include "core/purse/Pin.h"
#include "support/Vectors.h"

#include <QJsonArray>
#include <QTest>

using namespace wallet::core;
using wallet::core::test::hex;

class TestSecureMessaging : public QObject
{
    Q_OBJECT

private slots:
    void commands_data();
    void commands();
    void badChallengeRefused();
};

void TestSecureMessaging::commands_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<QByteArray>("challenge");
    QTest::addColumn<QByteArray>("plaintext");
    QTest::addColumn<QByteArray>("expected");
    const QJsonObject v = test::loadVectors();
    int rows = 0;
    for (const char* section : {"secure_messaging", "personalization"}) {
        for (const auto& row : v.value(QLatin1String(section)).toArray()) {
            const QJsonObject o = row.toObject();
            QString key = o.contains(QStringLiteral("KT")) ? o.value(QStringLiteral("KT")).toString()
                                                           : o.value(QStringLiteral("key")).toString();
            key = key.section(QLatin1Char(' '), -1); // "DAMK 5051…" → the hex
            QTest::addRow("%s", qPrintable(o.value(QStringLiteral("name")).toString()))
                << o.value(QStringLiteral("name")).toString() << hex(key)
                << hex(o.value(QStringLiteral("challenge")).toString())
                << hex(o.value(QStringLiteral("plaintext")).toString()) << hex(o.value(QStringLiteral("c")).toString());
            ++rows;
        }
    }
    QVERIFY2(rows >= 13, "golden vectors not found");
}

void TestSecureMessaging::commands()
{
    QFETCH(QString, name);
    QFETCH(QByteArray, key);
    QFETCH(QByteArray, challenge);
    QFETCH(QByteArray, plaintext);
    QFETCH(QByteArray, expected);
    const SecureBytes k = toSecure(key);
    const auto b = [&](int i) { return static_cast<std::uint8_t>(expected.at(i)); };
    Result<CommandApdu> cmd = makeError(ErrorCode::Internal, QStringLiteral("row not understood"));
    if (name.startsWith(QStringLiteral("EXTERNAL AUTHENTICATE"))) {
        cmd = SecureMessaging::externalAuthenticate(k, challenge, b(3));
    } else if (name.startsWith(QStringLiteral("WRITE KEY"))) {
        QCOMPARE(static_cast<int>(static_cast<std::uint8_t>(plaintext.at(0))), plaintext.size() - 1);
        cmd = SecureMessaging::writeKey(k, challenge, b(3), toSecure(plaintext.mid(1)));
    } else if (name.startsWith(QStringLiteral("PIN UNBLOCK"))) {
        cmd = SecureMessaging::pinUnblock(k, challenge, Pin::fromDigits("123456")->bcd());
    } else if (name.startsWith(QStringLiteral("RELOAD PIN"))) {
        cmd = SecureMessaging::reloadPin(k, challenge, Pin::fromDigits("654321")->bcd());
    } else {
        // Plain data + MAC: data is what lies between Lc and the 4 MAC bytes.
        const QByteArray data = expected.mid(5, expected.size() - 5 - 4);
        cmd = SecureMessaging::withMac(b(0), b(1), b(2), b(3), data, k, challenge);
    }
    CORE_VERIFY_OK(cmd);
    QCOMPARE(cmd->encode().toHex().toUpper(), expected.toHex().toUpper());
}

void TestSecureMessaging::badChallengeRefused()
{
    const SecureBytes k = toSecure(QByteArray(16, 'k'));
    QVERIFY(!SecureMessaging::withMac(0x84, 0x1E, 0, 0, {}, k, QByteArray(5, 'c')).ok());
    QVERIFY(!SecureMessaging::externalAuthenticate(k, QByteArray(4, 'c')).ok());
}

QTEST_GUILESS_MAIN(TestSecureMessaging)
#include "TestSecureMessaging.moc"
