// SPDX-License-Identifier: Apache-2.0
// Amount parsing (exact, no floating point), PIN packing, TLV bounds, the status-word table, GET DATA decoding,
// issuance-profile validation and the encrypted key store.
#include "core/apdu/StatusWord.h"
#include "core/apdu/Tlv.h"
#include "core/issuance/IssuanceProfile.h"
#include "core/keystore/KeyStore.h"
#include "core/purse/Amount.h"
#include "core/purse/DeviceInfo.h"
#include "core/purse/Pin.h"
#include "support/Vectors.h"

#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace wallet::core;

class TestCodecs : public QObject
{
    Q_OBJECT

private slots:
    void amountParse_data();
    void amountParse();
    void amountFormat();
    void pinPacking_data();
    void pinPacking();
    void tlvMalformed_data();
    void tlvMalformed();
    void tlvNested();
    void statusWords_data();
    void statusWords();
    void deviceInfo();
    void profileValidation_data();
    void profileValidation();
    void keyStore();
};

void TestCodecs::amountParse_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("fen"); // -1 = InvalidInput, -2 = AmountOverflow
    QTest::newRow("12.34") << QStringLiteral("12.34") << qint64(1234);
    QTest::newRow("12.3") << QStringLiteral("12.3") << qint64(1230);
    QTest::newRow("12") << QStringLiteral("12") << qint64(1200);
    QTest::newRow("12.") << QStringLiteral("12.") << qint64(1200);
    QTest::newRow(".5") << QStringLiteral(".5") << qint64(50);
    QTest::newRow("0.01") << QStringLiteral("0.01") << qint64(1);
    QTest::newRow("0") << QStringLiteral("0") << qint64(0);
    QTest::newRow("spaces") << QStringLiteral("  7.07 ") << qint64(707);
    QTest::newRow("0.1+0.2 style") << QStringLiteral("0.30") << qint64(30);
    QTest::newRow("max") << QStringLiteral("42949672.95") << qint64(4294967295);
    QTest::newRow("max+1") << QStringLiteral("42949672.96") << qint64(-2);
    QTest::newRow("huge") << QStringLiteral("99999999999999999999999") << qint64(-2);
    QTest::newRow("3 decimals") << QStringLiteral("1.234") << qint64(-1);
    QTest::newRow("negative") << QStringLiteral("-1.00") << qint64(-1);
    QTest::newRow("plus") << QStringLiteral("+1") << qint64(-1);
    QTest::newRow("exponent") << QStringLiteral("1e3") << qint64(-1);
    QTest::newRow("thousands comma") << QStringLiteral("1,000") << qint64(100000);
    QTest::newRow("grouped") << QStringLiteral("1,250.00") << qint64(125000);
    QTest::newRow("decimal comma") << QStringLiteral("12,50") << qint64(-1);
    QTest::newRow("group of four") << QStringLiteral("1,2500") << qint64(-1);
    QTest::newRow("two points") << QStringLiteral("1.2.3") << qint64(-1);
    QTest::newRow("empty") << QString() << qint64(-1);
    QTest::newRow("dot") << QStringLiteral(".") << qint64(-1);
    QTest::newRow("yen sign") << QStringLiteral("\u00A51") << qint64(100);
    QTest::newRow("fullwidth digit") << QStringLiteral("\uFF11") << qint64(100);
    QTest::newRow("other script digit") << QStringLiteral("\u0661") << qint64(-1);
    QTest::newRow("nan") << QStringLiteral("nan") << qint64(-1);
}

void TestCodecs::amountParse()
{
    QFETCH(QString, text);
    QFETCH(qint64, fen);
    const auto r = Amount::parse(text);
    if (fen >= 0) {
        CORE_VERIFY_OK(r);
        QCOMPARE(static_cast<qint64>(r->fen()), fen);
    } else {
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, fen == -1 ? ErrorCode::InvalidInput : ErrorCode::AmountOverflow);
        QVERIFY(!r.error().detail.isEmpty());
        if (text.contains(QLatin1Char(','))) {
            QVERIFY2(r.error().detail.contains(QStringLiteral("comma")), qPrintable(r.error().detail));
        }
    }
}

void TestCodecs::amountFormat()
{
    QCOMPARE(Amount(0).toString(), QStringLiteral("0.00"));
    QCOMPARE(Amount(5).toString(), QStringLiteral("0.05"));
    QCOMPARE(Amount(1234).toString(), QStringLiteral("12.34"));
    QCOMPARE(Amount(4294967295u).toString(), QStringLiteral("42949672.95"));
    for (std::uint32_t fen : {0u, 1u, 99u, 100u, 123456u, 4294967295u}) {
        QCOMPARE(Amount::parse(Amount(fen).toString())->fen(), fen);
    }
}

void TestCodecs::pinPacking_data()
{
    QTest::addColumn<QString>("digits");
    QTest::addColumn<QByteArray>("bcd");
    QTest::newRow("4") << QStringLiteral("1234") << QByteArray::fromHex("1234");
    QTest::newRow("5 (spec example)") << QStringLiteral("12345") << QByteArray::fromHex("12345F");
    QTest::newRow("6") << QStringLiteral("123456") << QByteArray::fromHex("123456");
    QTest::newRow("12") << QStringLiteral("000000000009") << QByteArray::fromHex("000000000009");
    QTest::newRow("3 too short") << QStringLiteral("123") << QByteArray();
    QTest::newRow("13 too long") << QStringLiteral("1234567890123") << QByteArray();
    QTest::newRow("letter") << QStringLiteral("12a4") << QByteArray();
}

void TestCodecs::pinPacking()
{
    QFETCH(QString, digits);
    QFETCH(QByteArray, bcd);
    const QByteArray d = digits.toLatin1();
    auto pin = Pin::fromDigits(std::string_view(d.constData(), static_cast<std::size_t>(d.size())));
    if (bcd.isEmpty()) {
        QVERIFY(!pin.ok());
        QCOMPARE(pin.error().code, ErrorCode::InvalidInput);
        QVERIFY(!pin.error().detail.contains(digits)); // never echo a PIN
    } else {
        CORE_VERIFY_OK(pin);
        QCOMPARE(toQByteArray(pin->bcd()), bcd);
    }
}

void TestCodecs::tlvMalformed_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::newRow("length past end") << QByteArray::fromHex("C10801020304");
    QTest::newRow("no length") << QByteArray::fromHex("C1");
    QTest::newRow("truncated 81") << QByteArray::fromHex("C181");
    QTest::newRow("82 past end") << QByteArray::fromHex("C182FFFF00");
    QTest::newRow("indefinite") << QByteArray::fromHex("C180");
    QTest::newRow("83 form") << QByteArray::fromHex("C183000001AA");
    QTest::newRow("tag never ends") << QByteArray::fromHex("9F8181");
    QTest::newRow("second element bad") << QByteArray::fromHex("C101AAC205");
}

void TestCodecs::tlvMalformed()
{
    QFETCH(QByteArray, data);
    auto r = Tlv::parse(data);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, ErrorCode::InvalidData);
}

void TestCodecs::tlvNested()
{
    const QByteArray inner = Tlv::encode(0x9F0C, QByteArray(30, '\x11')) + Tlv::encode(0x9F08, QByteArray(1, '\x02'));
    const QByteArray fci
        = Tlv::encode(0x6F, Tlv::encode(0x84, QByteArray::fromHex("D15600000145442F4550")) + Tlv::encode(0xA5, inner));
    auto top = Tlv::parse(fci);
    CORE_VERIFY_OK(top);
    QVERIFY(top->at(0).isConstructed());
    auto l2 = Tlv::parse(top->at(0).value);
    CORE_VERIFY_OK(l2);
    QCOMPARE(*Tlv::find(*l2, 0x84), QByteArray::fromHex("D15600000145442F4550"));
    auto l3 = Tlv::parse(*Tlv::find(*l2, 0xA5));
    CORE_VERIFY_OK(l3);
    QCOMPARE(Tlv::find(*l3, 0x9F0C)->size(), 30);
    const QByteArray big = Tlv::encode(0x70, QByteArray(300, 'x'));
    QCOMPARE(big.left(4), QByteArray::fromHex("7082012C"));
    QCOMPARE(Tlv::parse(big)->at(0).value.size(), 300);
}

void TestCodecs::statusWords_data()
{
    QTest::addColumn<int>("sw");
    QTest::addColumn<int>("code");
    QTest::addColumn<int>("tries");
    QTest::newRow("9000") << 0x9000 << int(ErrorCode::None) << -1;
    QTest::newRow("63C2") << 0x63C2 << int(ErrorCode::WrongPin) << 2;
    QTest::newRow("63C0") << 0x63C0 << int(ErrorCode::WrongPin) << 0;
    QTest::newRow("6983") << 0x6983 << int(ErrorCode::PinBlocked) << -1;
    QTest::newRow("6982") << 0x6982 << int(ErrorCode::PinRequired) << -1;
    QTest::newRow("6985") << 0x6985 << int(ErrorCode::ConditionsNotSatisfied) << -1;
    QTest::newRow("9302") << 0x9302 << int(ErrorCode::BadMac) << -1;
    QTest::newRow("6988") << 0x6988 << int(ErrorCode::BadMac) << -1;
    QTest::newRow("9401") << 0x9401 << int(ErrorCode::InsufficientBalance) << -1;
    QTest::newRow("9402") << 0x9402 << int(ErrorCode::AtcExhausted) << -1;
    QTest::newRow("9403") << 0x9403 << int(ErrorCode::UnknownKeyIndex) << -1;
    QTest::newRow("9406") << 0x9406 << int(ErrorCode::NoProof) << -1;
    QTest::newRow("6A81") << 0x6A81 << int(ErrorCode::ApplicationBlocked) << -1;
    QTest::newRow("9303") << 0x9303 << int(ErrorCode::ApplicationTerminated) << -1;
    QTest::newRow("6A82") << 0x6A82 << int(ErrorCode::NotFound) << -1;
    QTest::newRow("6A83") << 0x6A83 << int(ErrorCode::NotFound) << -1;
    QTest::newRow("6C10") << 0x6C10 << int(ErrorCode::WrongLength) << -1;
    QTest::newRow("6700") << 0x6700 << int(ErrorCode::WrongLength) << -1;
    QTest::newRow("6581") << 0x6581 << int(ErrorCode::MemoryFailure) << -1;
    QTest::newRow("6901") << 0x6901 << int(ErrorCode::CommandNotAllowed) << -1;
    QTest::newRow("6984") << 0x6984 << int(ErrorCode::NoChallenge) << -1;
    QTest::newRow("1234 unknown") << 0x1234 << int(ErrorCode::CardError) << -1;
}

void TestCodecs::statusWords()
{
    QFETCH(int, sw);
    QFETCH(int, code);
    QFETCH(int, tries);
    const auto w = static_cast<std::uint16_t>(sw);
    QCOMPARE(int(StatusWord::toErrorCode(w)), code);
    QCOMPARE(StatusWord::triesLeft(w), tries);
    const Error e = StatusWord::toError(w, QStringLiteral("CMD"));
    QCOMPARE(e.statusWord, w);
    QCOMPARE(e.triesLeft, tries);
    QVERIFY(e.detail.startsWith(QStringLiteral("CMD: ")));
    QCOMPARE(StatusWord::correctLe(0x6C00), 256);
    QCOMPARE(StatusWord::correctLe(0x6C17), 0x17);
}

void TestCodecs::deviceInfo()
{
    const QByteArray good = QByteArray::fromHex("C108534B000000000001C203000100C30101C40102C5020003");
    auto info = DeviceInfo::decode(good);
    CORE_VERIFY_OK(info);
    QCOMPARE(info->serialHex(), QStringLiteral("534B000000000001"));
    QCOMPARE(info->firmwareVersion(), QStringLiteral("0.1.0"));
    QCOMPARE(info->lifeCycle, LifeCycle::Personalized);
    QCOMPARE(info->hidProtocol, std::uint8_t(2));
    QCOMPARE(info->capabilities, std::uint16_t(3));
    QVERIFY(!DeviceInfo::decode(QByteArray::fromHex("C107534B0000000000C203000100C30101C40102C5020003")).ok());
    QVERIFY(!DeviceInfo::decode(QByteArray::fromHex("C108534B000000000001C203000100C40102C5020003")).ok());
    QVERIFY(!DeviceInfo::decode(good.left(good.size() - 1)).ok());
    QCOMPARE(DeviceInfo::decode(QByteArray::fromHex("C108534B000000000001C203000100C30177C40102C5020003"))->lifeCycle,
        LifeCycle::Unknown);
}

void TestCodecs::profileValidation_data()
{
    QTest::addColumn<QString>("path"); // a dotted path into the demo profile
    QTest::addColumn<QJsonValue>("value");
    QTest::addColumn<QString>("complaint"); // empty = valid
    QTest::newRow("demo as is") << QString() << QJsonValue() << QString();
    QTest::newRow("typo key") << QStringLiteral("recordCapcity") << QJsonValue(10) << QStringLiteral("unknown key");
    QTest::newRow("format") << QStringLiteral("format") << QJsonValue(QStringLiteral("x")) << QStringLiteral("format");
    QTest::newRow("algorithm") << QStringLiteral("algorithm") << QJsonValue(QStringLiteral("AES"))
                               << QStringLiteral("algorithm");
    QTest::newRow("short KT") << QStringLiteral("transportKey") << QJsonValue(QStringLiteral("4B54"))
                              << QStringLiteral("transportKey");
    QTest::newRow("bad aid") << QStringLiteral("aid") << QJsonValue(QStringLiteral("D156")) << QStringLiteral("aid");
    QTest::newRow("long label") << QStringLiteral("label") << QJsonValue(QStringLiteral("ABCDEFGHIJKLMNOPQ"))
                                << QStringLiteral("label");
    QTest::newRow("capacity 9") << QStringLiteral("recordCapacity") << QJsonValue(9)
                                << QStringLiteral("recordCapacity");
    QTest::newRow("capacity 101") << QStringLiteral("recordCapacity") << QJsonValue(101)
                                  << QStringLiteral("recordCapacity");
    QTest::newRow("pin 3 digits") << QStringLiteral("pin.initial") << QJsonValue(QStringLiteral("123"))
                                  << QStringLiteral("pin.initial");
    QTest::newRow("pin tries 0") << QStringLiteral("pin.tries") << QJsonValue(0) << QStringLiteral("pin.tries");
    QTest::newRow("float amount") << QStringLiteral("limits.maxBalance") << QJsonValue(100.5)
                                  << QStringLiteral("maxBalance");
    QTest::newRow("3-decimal amount") << QStringLiteral("limits.noPinLimit") << QJsonValue(QStringLiteral("1.001"))
                                      << QStringLiteral("noPinLimit");
    QTest::newRow("expiry before start") << QStringLiteral("application.expiryDate")
                                         << QJsonValue(QStringLiteral("2020-01-01")) << QStringLiteral("expiryDate");
    QTest::newRow("bad date") << QStringLiteral("application.startDate") << QJsonValue(QStringLiteral("2025-13-01"))
                              << QStringLiteral("startDate");
    QTest::newRow("bad serial") << QStringLiteral("application.applicationSerial") << QJsonValue(QStringLiteral("0102"))
                                << QStringLiteral("applicationSerial");
    QTest::newRow("bad master key") << QStringLiteral("masterKeys.MLK") << QJsonValue(QStringLiteral("zz"))
                                    << QStringLiteral("MLK");
    QTest::newRow("garbled appType") << QStringLiteral("application.appType") << QJsonValue(QStringLiteral("x"))
                                     << QStringLiteral("appType");
    QTest::newRow("appVersion 256") << QStringLiteral("application.appVersion") << QJsonValue(256)
                                    << QStringLiteral("appVersion");
    QTest::newRow("fractional staff") << QStringLiteral("cardholder.staff") << QJsonValue(1.5)
                                      << QStringLiteral("staff");
    QTest::newRow("garbled idType") << QStringLiteral("cardholder.idType") << QJsonValue(QStringLiteral("01"))
                                    << QStringLiteral("idType");
    QTest::newRow("long name") << QStringLiteral("cardholder.name")
                               << QJsonValue(QStringLiteral("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) << QStringLiteral("name");
}

void TestCodecs::profileValidation()
{
    QFETCH(QString, path);
    QFETCH(QJsonValue, value);
    QFETCH(QString, complaint);
    QFile f(qEnvironmentVariable("SKEY_SOURCE_DIR", QStringLiteral(WALLET_SOURCE_DIR))
        + QStringLiteral("/resources/profiles/demo-3des.json"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QJsonObject root = QJsonDocument::fromJson(f.readAll()).object();
    if (!path.isEmpty()) {
        const QStringList parts = path.split(QLatin1Char('.'));
        if (parts.size() == 1) {
            root.insert(parts[0], value);
        } else {
            QJsonObject sub = root.value(parts[0]).toObject();
            sub.insert(parts[1], value);
            root.insert(parts[0], sub);
        }
    }
    auto p = IssuanceProfile::fromJson(root);
    if (complaint.isEmpty()) {
        CORE_VERIFY_OK(p);
        QCOMPARE(p->recordCapacity, std::uint8_t(10));
        QCOMPARE(p->maxBalance.fen(), 1000000u);
        QCOMPARE(p->policyFlags(), std::uint8_t(0x03));
        QVERIFY(p->masterKeys && p->masterKeys->complete());
    } else {
        QVERIFY(!p.ok());
        QCOMPARE(p.error().code, ErrorCode::InvalidInput);
        QVERIFY2(p.error().detail.contains(complaint), qPrintable(p.error().detail));
    }
}

void TestCodecs::keyStore()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("keys.json"));
    const SecureBytes pass = toSecure(QByteArrayLiteral("correct horse"));
    auto created = KeyStore::openOrCreateDemo(path, pass);
    CORE_VERIFY_OK(created);
    QVERIFY(created->createdDemoKeys);
    auto again = KeyStore::openOrCreateDemo(path, pass);
    CORE_VERIFY_OK(again);
    QVERIFY(!again->createdDemoKeys);
    QCOMPARE(again->keys.mlk, KeyStore::demoKeys().mlk);
    QCOMPARE(again->keys.miak, KeyStore::demoKeys().miak);
    // The file holds no key in clear.
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray text = f.readAll();
    f.close();
    QVERIFY(!text.toUpper().contains("00112233445566778899AABBCCDDEEFF"));
    QVERIFY(text.contains("Argon2id"));
    // Wrong passphrase and a flipped ciphertext byte both fail authentication.
    auto wrong = KeyStore::load(path, toSecure(QByteArrayLiteral("wrong horse")));
    QVERIFY(!wrong.ok());
    // A wrong passphrase is its own error (issue 9 item 17), never a storage fault ("check free disk space").
    QCOMPARE(wrong.error().code, ErrorCode::WrongPassphrase);
    QVERIFY(wrong.error().detail.contains(QStringLiteral("passphrase")));
    QVERIFY(!wrong.error().detail.contains(QStringLiteral("disk")));
    QByteArray tampered = text;
    const int at = tampered.indexOf("\"ciphertext\": \"") + 20;
    tampered[at] = tampered[at] == '0' ? '1' : '0';
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(tampered);
    f.close();
    QVERIFY(!KeyStore::load(path, pass).ok());
}

QTEST_GUILESS_MAIN(TestCodecs)
#include "TestCodecs.moc"
