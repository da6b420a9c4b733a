// SPDX-License-Identifier: Apache-2.0
// The crypto facade against the golden primitives of tests/data/vectors/pboc.json (sources cited in the file).
#include "core/crypto/CardCrypto.h"
#include "support/Vectors.h"

#include <QJsonArray>
#include <QTest>

using namespace wallet::core;
using wallet::core::test::hex;

class TestCardCrypto : public QObject
{
    Q_OBJECT

private slots:
    void primitives_data();
    void primitives();
    void keyDerivationFromFlows_data();
    void keyDerivationFromFlows();
    void badKeysAreErrorsNotExceptions();
    void macEqualsIsStrict();
};

void TestCardCrypto::primitives_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QByteArray>("expected");
    QTest::addColumn<QByteArray>("iv");
    const QJsonArray rows = test::loadVectors().value(QStringLiteral("primitives")).toArray();
    QVERIFY2(rows.size() >= 14, "golden vectors not found");
    int i = 0;
    for (const auto& v : rows) {
        const QJsonObject o = v.toObject();
        const QString name = o.value(QStringLiteral("name")).toString();
        QTest::addRow("%d %s", i++, qPrintable(name))
            << name << hex(o.value(QStringLiteral("key")).toString()) << hex(o.value(QStringLiteral("data")).toString())
            << hex(o.value(QStringLiteral("expected")).toString()) << hex(o.value(QStringLiteral("iv")).toString());
    }
}

void TestCardCrypto::primitives()
{
    QFETCH(QString, name);
    QFETCH(QByteArray, key);
    QFETCH(QByteArray, data);
    QFETCH(QByteArray, expected);
    QFETCH(QByteArray, iv);
    const SecureBytes k = toSecure(key);
    Result<QByteArray> got = makeError(ErrorCode::Internal, QStringLiteral("row not understood: ") + name);
    if (name.startsWith(QStringLiteral("session key load"))) {
        // data = rnd ‖ onlineATC; the seed appends 8000 (spec §5.2)
        auto sk = CardCrypto::sessionKey(
            Algorithm::TripleDes, k, CardCrypto::loadSeed(data.left(4), static_cast<std::uint16_t>(readU16(data, 4))));
        got = sk ? Result<QByteArray>(toQByteArray(*sk)) : Result<QByteArray>(sk.error());
    } else if (name.startsWith(QStringLiteral("session key purchase"))) {
        // data = rnd ‖ offlineATC ‖ TSN; the seed takes TSN[2..3]
        auto sk = CardCrypto::sessionKey(Algorithm::TripleDes,
            k,
            CardCrypto::purchaseSeed(data.left(4), static_cast<std::uint16_t>(readU16(data, 4)), readU32(data, 6)));
        got = sk ? Result<QByteArray>(toQByteArray(*sk)) : Result<QByteArray>(sk.error());
    } else if (name.startsWith(QStringLiteral("TAC key"))) {
        auto tk = CardCrypto::tacKey(Algorithm::TripleDes, k);
        got = tk ? Result<QByteArray>(toQByteArray(*tk)) : Result<QByteArray>(tk.error());
    } else if (name.startsWith(QStringLiteral("retail MAC"))) {
        got = CardCrypto::retailMac(k, data, QByteArray(8, '\0'));
    } else if (name.startsWith(QStringLiteral("SM4 block"))) {
        got = CardCrypto::sm4EncryptBlock(k, data);
    } else if (name.startsWith(QStringLiteral("negative"))) {
        // The non-conformant IV gives the published value; the conformant MAC (IV 0) must differ from it.
        auto withIv = CardCrypto::desMac(k, data, iv);
        QVERIFY(withIv.ok());
        QCOMPARE(withIv->toHex().toUpper(), expected.toHex().toUpper());
        auto conformant = CardCrypto::desMac(k, data);
        QVERIFY(conformant.ok());
        QVERIFY(*conformant != expected);
        return;
    } else if (name.contains(QStringLiteral("(DES-MAC)"))) {
        got = CardCrypto::desMac(k, data);
    }
    CORE_VERIFY_OK(got);
    QCOMPARE(got->toHex().toUpper(), expected.toHex().toUpper());
}

void TestCardCrypto::keyDerivationFromFlows_data()
{
    QTest::addColumn<int>("alg");
    QTest::addColumn<QByteArray>("master");
    QTest::addColumn<QByteArray>("asn");
    QTest::addColumn<QByteArray>("cardKey");
    for (const auto& v : test::loadVectors().value(QStringLiteral("flows")).toArray()) {
        const QJsonObject f = v.toObject();
        if (!f.contains(QStringLiteral("issuer_master_keys"))) {
            continue;
        }
        const int alg = f.value(QStringLiteral("name")).toString().contains(QStringLiteral("SM4")) ? 4 : 0;
        const QJsonObject mk = f.value(QStringLiteral("issuer_master_keys")).toObject();
        const QJsonObject ck = f.value(QStringLiteral("card_keys")).toObject();
        for (const auto& [m, c] : {std::pair{"MLK", "DLK"}, std::pair{"MPK", "DPK"}, std::pair{"MTK", "DTK"}}) {
            QTest::addRow("%s %s", qPrintable(f.value(QStringLiteral("name")).toString()), c)
                << alg << hex(mk.value(QLatin1String(m)).toString()) << hex(f.value(QStringLiteral("asn")).toString())
                << hex(ck.value(QLatin1String(c)).toString());
        }
    }
}

void TestCardCrypto::keyDerivationFromFlows()
{
    QFETCH(int, alg);
    QFETCH(QByteArray, master);
    QFETCH(QByteArray, asn);
    QFETCH(QByteArray, cardKey);
    auto dk = CardCrypto::diversify(static_cast<Algorithm>(alg), toSecure(master), asn);
    QVERIFY(dk.ok());
    QCOMPARE(toQByteArray(*dk).toHex().toUpper(), cardKey.toHex().toUpper());
}

void TestCardCrypto::badKeysAreErrorsNotExceptions()
{
    const auto r1 = CardCrypto::desMac(toSecure(QByteArray(7, 'k')), QByteArrayLiteral("x"));
    QVERIFY(!r1.ok());
    QCOMPARE(r1.error().code, ErrorCode::CryptoError);
    QVERIFY(!CardCrypto::tdesEncryptBlock(toSecure(QByteArray(16, 'k')), QByteArray(7, 'd')).ok());
    QVERIFY(!CardCrypto::sm4EncryptBlock(toSecure(QByteArray(8, 'k')), QByteArray(16, 'd')).ok());
    QVERIFY(!CardCrypto::diversify(Algorithm::TripleDes, toSecure(QByteArray(16, 'k')), QByteArray(7, 'a')).ok());
    QVERIFY(!CardCrypto::sessionKey(Algorithm::Sm4, toSecure(QByteArray(16, 'k')), QByteArray(4, 's')).ok());
}

void TestCardCrypto::macEqualsIsStrict()
{
    QVERIFY(CardCrypto::macEquals(hex(QStringLiteral("01020304")), hex(QStringLiteral("01020304"))));
    QVERIFY(!CardCrypto::macEquals(hex(QStringLiteral("01020304")), hex(QStringLiteral("01020305"))));
    QVERIFY(!CardCrypto::macEquals(hex(QStringLiteral("01020304")), hex(QStringLiteral("010203"))));
    QVERIFY(!CardCrypto::macEquals({}, {}));
}

QTEST_GUILESS_MAIN(TestCardCrypto)
#include "TestCardCrypto.moc"
