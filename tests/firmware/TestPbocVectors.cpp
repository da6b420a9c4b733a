// SPDX-License-Identifier: Apache-2.0
// Reproduces every value of ../shared/spec/vectors/pboc.json (or its copy in tests/data) on the firmware:
// the primitives through the firmware's own MAC/key code (PbocCrypto over HostCrypto), and the flows, secure-messaging
// and personalisation commands as exact command/response bytes on a HostToken personalised with real §6 APDUs.
#include "TokenDriver.h"
#include "support/GoldenVectors.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace skey;
using namespace skey::test;

namespace {

QJsonObject loadVectors()
{
    return skey::vectors::loadGoldenVectorsOrDie();
}

Bytes hexOf(const QJsonValue& v)
{
    return hex(v.toString().toStdString());
}

QByteArray qb(const Bytes& b)
{
    return QByteArray::fromStdString(toHex(b));
}

} // namespace

class TestPbocVectors : public QObject
{
    Q_OBJECT

private slots:
    void primitives_data();
    void primitives();
    void diversification();
    void flows();
    void secureMessaging();
    void personalization();
};

void TestPbocVectors::primitives_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QByteArray>("expected");
    QTest::addColumn<QByteArray>("iv");
    const QJsonArray prims = loadVectors().value("primitives").toArray();
    QVERIFY(prims.size() >= 14);
    int i = 0;
    for (const auto& v : prims) {
        const QJsonObject o = v.toObject();
        QTest::newRow(qPrintable(QString::number(i++) + " " + o.value("name").toString()))
            << o.value("name").toString() << QByteArray::fromHex(o.value("key").toString().toLatin1())
            << QByteArray::fromHex(o.value("data").toString().toLatin1())
            << QByteArray::fromHex(o.value("expected").toString().toLatin1())
            << QByteArray::fromHex(o.value("iv").toString().toLatin1());
    }
}

void TestPbocVectors::primitives()
{
    QFETCH(QString, name);
    QFETCH(QByteArray, key);
    QFETCH(QByteArray, data);
    QFETCH(QByteArray, expected);
    QFETCH(QByteArray, iv);
    host::HostCrypto engine;
    PbocCrypto crypto(engine);
    const Bytes k(key.begin(), key.end());
    const Bytes d(data.begin(), data.end());
    Bytes got;
    if (name.startsWith("session key")) {
        std::array<std::uint8_t, 8> seed{};
        if (name.contains("load")) {
            QCOMPARE(d.size(), std::size_t(6));
            seed = {d[0], d[1], d[2], d[3], d[4], d[5], 0x80, 0x00};
        } else {
            QCOMPARE(d.size(), std::size_t(10)); // rnd ‖ ATC ‖ TSN: SESPK uses TSN[2..3]
            seed = {d[0], d[1], d[2], d[3], d[4], d[5], d[8], d[9]};
        }
        KeyBuffer ses;
        QVERIFY(crypto.sessionKey(kAlg3Des, key16(k), seed, ses));
        got.assign(ses.bytes.begin(), ses.bytes.begin() + static_cast<std::ptrdiff_t>(ses.size));
    } else if (name.startsWith("TAC key")) {
        // The firmware's TAC with DTK must equal the DES-MAC with the vector's folded key, for any data; and the
        // vector's value must be DTK_L XOR DTK_R (computed here, compared with the vector below).
        QCOMPARE(expected.size(), 8);
        const Bytes sample = hex("000003E8000100000003E802112233445566");
        std::array<std::uint8_t, 4> tac{};
        QVERIFY(crypto.tac(kAlg3Des, key16(k), sample, tac));
        std::array<std::uint8_t, 8> mac{};
        std::array<std::uint8_t, 8> folded{};
        std::copy(expected.begin(), expected.end(), folded.begin());
        QVERIFY(crypto.desMac(folded, std::array<std::uint8_t, 8>{}, sample, mac));
        QCOMPARE(qb(Bytes(tac.begin(), tac.end())), qb(Bytes(mac.begin(), mac.begin() + 4)));
        QCOMPARE(k.size(), std::size_t(16));
        got.clear();
        for (std::size_t i = 0; i < 8; ++i) {
            got.push_back(static_cast<std::uint8_t>(k[i] ^ k[8 + i]));
        }
    } else if (name.startsWith("retail MAC")) {
        std::array<std::uint8_t, 8> mac{};
        QVERIFY(crypto.retailMac(key16(k), std::array<std::uint8_t, 8>{}, d, mac));
        got.assign(mac.begin(), mac.begin() + 4);
    } else if (name.startsWith("SM4 block")) {
        Bytes out(16);
        QVERIFY(crypto.ecb(kAlgSm4, true, key16(k), d, out));
        got = out;
        Bytes back(16);
        QVERIFY(crypto.ecb(kAlgSm4, false, key16(k), out, back));
        QCOMPARE(qb(back), qb(d));
    } else if (name.contains("MAC") || !iv.isEmpty()) {
        std::array<std::uint8_t, 8> k8{};
        std::copy(k.begin(), k.end(), k8.begin());
        std::array<std::uint8_t, 8> iv8{};
        std::copy(iv.begin(), iv.end(), iv8.begin());
        std::array<std::uint8_t, 8> mac{};
        QVERIFY(crypto.desMac(k8, iv8, d, mac));
        got.assign(mac.begin(), mac.begin() + 4);
        if (!iv.isEmpty()) {
            // Negative vector: with the conformant IV 0 the firmware must NOT produce this value.
            std::array<std::uint8_t, 8> mac0{};
            QVERIFY(crypto.desMac(k8, std::array<std::uint8_t, 8>{}, d, mac0));
            QVERIFY(qb(Bytes(mac0.begin(), mac0.begin() + 4)) != expected.toHex().toUpper());
        }
    } else {
        QFAIL(qPrintable("unknown primitive " + name));
    }
    QCOMPARE(qb(got), expected.toHex().toUpper());
}

void TestPbocVectors::diversification()
{
    host::HostCrypto engine;
    PbocCrypto crypto(engine);
    const QJsonArray flows = loadVectors().value("flows").toArray();
    int checked = 0;
    for (const auto& v : flows) {
        const QJsonObject f = v.toObject();
        if (!f.contains("issuer_master_keys")) {
            continue;
        }
        const std::uint8_t alg = f.value("name").toString().contains("SM4") ? kAlgSm4 : kAlg3Des;
        const Bytes asn = hexOf(f.value("asn"));
        std::array<std::uint8_t, 8> asn8{};
        std::copy(asn.begin(), asn.end(), asn8.begin());
        const QJsonObject mk = f.value("issuer_master_keys").toObject();
        const QJsonObject ck = f.value("card_keys").toObject();
        for (const auto& [m, c] : {std::pair{"MLK", "DLK"}, std::pair{"MPK", "DPK"}, std::pair{"MTK", "DTK"}}) {
            std::array<std::uint8_t, 16> dk{};
            QVERIFY(crypto.diversify(alg, key16(hexOf(mk.value(m))), asn8, dk));
            QCOMPARE(qb(Bytes(dk.begin(), dk.end())), qb(hexOf(ck.value(c))));
            ++checked;
        }
    }
    QCOMPARE(checked, 6);
}

void TestPbocVectors::flows()
{
    const QJsonArray flows = loadVectors().value("flows").toArray();
    QCOMPARE(flows.size(), 4);
    std::unique_ptr<host::HostToken> token;
    int steps = 0;
    for (const auto& v : flows) {
        const QJsonObject f = v.toObject();
        const std::uint8_t alg = f.value("name").toString().contains("SM4") ? kAlgSm4 : kAlg3Des;
        if (f.contains("card_keys")) {
            // A new token, personalised with the flow's card keys through real §6 APDUs.
            token = std::make_unique<host::HostToken>();
            Issuer issuer(*token);
            Profile p = standardProfile(alg);
            const QJsonObject ck = f.value("card_keys").toObject();
            p.keys[0].key = hexOf(ck.value("DLK"));
            p.keys[1].key = hexOf(ck.value("DPK"));
            p.keys[2].key = hexOf(ck.value("DTK"));
            QCOMPARE(issuer.personalize(p), std::uint16_t(0x9000));
            Terminal t(*token, alg);
            QCOMPARE(swOf(t.select()), std::uint16_t(0x9000));
            QCOMPARE(swOf(t.verify(hex("123456"))), std::uint16_t(0x9000)); // default policy: load needs the PIN
        }
        QVERIFY(token);
        const Bytes random = hexOf(f.value("card_random"));
        for (const auto& s : f.value("steps").toArray()) {
            const QJsonObject step = s.toObject();
            const Bytes c = hexOf(step.value("c"));
            if (c.size() > 1 && c[1] == 0x50) {
                token->rng().force(random);
            }
            const Bytes r = token->process(c);
            QVERIFY2(toHex(r) == toHex(hexOf(step.value("r"))),
                qPrintable(f.value("name").toString() + ": " + step.value("note").toString() + " got "
                    + QString::fromStdString(toHex(r))));
            ++steps;
        }
    }
    QCOMPARE(steps, 20);
}

void TestPbocVectors::secureMessaging()
{
    const QJsonArray sm = loadVectors().value("secure_messaging").toArray();
    QCOMPARE(sm.size(), 8);
    host::HostToken token;
    Issuer issuer(token);
    QCOMPARE(issuer.personalize(standardProfile()), std::uint16_t(0x9000));
    Terminal t(token);
    QCOMPARE(swOf(t.select()), std::uint16_t(0x9000));
    auto vector = [&](const char* name) {
        for (const auto& v : sm) {
            if (v.toObject().value("name").toString() == QLatin1String(name)) {
                return v.toObject();
            }
        }
        qFatal("vector %s missing", name);
        return QJsonObject{};
    };
    auto withChallenge = [&](const QJsonObject& o) {
        const Bytes ch = hexOf(o.value("challenge"));
        token.rng().force(ch);
        const Bytes got = token.process(ch.size() == 8 ? hex("0084000008") : hex("0084000004"));
        if (got != cat({ch, hex("9000")})) {
            return Bytes{};
        }
        return token.process(hexOf(o.value("c")));
    };
    // Temporary block, then unblock.
    QCOMPARE(toHex(withChallenge(vector("APPLICATION BLOCK temporary"))), std::string("9000"));
    Bytes sel = t.select();
    QCOMPARE(swOf(sel), std::uint16_t(0x6A81));
    QVERIFY(sel.size() > 2); // FCI still returned
    QCOMPARE(swOf(token.process(hex("805C000204"))), std::uint16_t(0x6A81));
    QCOMPARE(toHex(withChallenge(vector("APPLICATION UNBLOCK"))), std::string("9000"));
    QCOMPARE(swOf(t.select()), std::uint16_t(0x9000));
    // UPDATE BINARY of SFI 0x15 with DAMK.
    QCOMPARE(toHex(withChallenge(vector("UPDATE BINARY SFI 0x15 offset 0"))), std::string("9000"));
    QCOMPARE(toHex(token.process(hex("00B0950005"))), std::string("00112233449000"));
    // PIN UNBLOCK needs a blocked PIN.
    QCOMPARE(toHex(withChallenge(vector("PIN UNBLOCK, PIN 123456"))), std::string("6985"));
    QCOMPARE(toHex(t.verify(hex("111111"))), std::string("63C2"));
    QCOMPARE(toHex(t.verify(hex("111111"))), std::string("63C1"));
    QCOMPARE(toHex(t.verify(hex("111111"))), std::string("63C0"));
    QCOMPARE(toHex(t.verify(hex("123456"))), std::string("6983"));
    QCOMPARE(toHex(withChallenge(vector("PIN UNBLOCK, PIN 123456"))), std::string("9000"));
    QCOMPARE(toHex(token.process(hex("00200000"))), std::string("63C3"));
    // RELOAD PIN (spec §3, Decision 2026-12): secure messaging with DRPK over a fresh challenge.
    QCOMPARE(toHex(t.verify(hex("111111"))), std::string("63C2"));
    const QJsonObject reload = vector("RELOAD PIN to 654321 (secure messaging with DRPK, spec 2026-12)");
    QCOMPARE(toHex(withChallenge(reload)), std::string("9000"));
    QCOMPARE(toHex(token.process(hex("00200000"))), std::string("63C3"));
    QCOMPARE(toHex(t.verify(hex("123456"))), std::string("63C2"));
    QCOMPARE(toHex(t.verify(hex("654321"))), std::string("9000"));
    QCOMPARE(toHex(token.process(hex("00200000"))), std::string("9000"));
    // A captured RELOAD PIN is worthless: without a challenge 6984, under a fresh challenge 6988; the PIN stays.
    QCOMPARE(toHex(token.process(hexOf(reload.value("c")))), std::string("6984"));
    QCOMPARE(swOf(token.process(hex("0084000004"))), std::uint16_t(0x9000));
    QCOMPARE(toHex(token.process(hexOf(reload.value("c")))), std::string("6988"));
    // The earlier plain form (a MAC over the PIN only) is refused and changes nothing.
    QCOMPARE(toHex(token.process(hex("805E000007123456E609A089"))), std::string("6982"));
    QCOMPARE(toHex(t.verify(hex("654321"))), std::string("9000"));
    // EXTERNAL AUTHENTICATE with EAK.
    QCOMPARE(toHex(withChallenge(vector("EXTERNAL AUTHENTICATE"))), std::string("9000"));
    // Permanent block, then card block.
    QCOMPARE(toHex(withChallenge(vector("APPLICATION BLOCK permanent"))), std::string("9000"));
    QCOMPARE(toHex(t.select()), std::string("9303"));
    QCOMPARE(toHex(withChallenge(vector("APPLICATION UNBLOCK"))), std::string("9303"));
    QCOMPARE(toHex(withChallenge(vector("CARD BLOCK"))), std::string("9000"));
    const Bytes info = token.process(hex("80CA000100"));
    QCOMPARE(swOf(info), std::uint16_t(0x9000));
    QCOMPARE(info[17], std::uint8_t(0x04)); // C3 = TERMINATED
    QCOMPARE(swOf(t.select()), std::uint16_t(0x6A81));
}

void TestPbocVectors::personalization()
{
    const QJsonArray pv = loadVectors().value("personalization").toArray();
    QCOMPARE(pv.size(), 5);
    host::HostToken token;
    Issuer issuer(token);
    Terminal t(token);
    QCOMPARE(swOf(t.select()), std::uint16_t(0x9000));
    const Bytes kt = hex("4B544B544B544B544B544B544B544B54");
    int sent = 0;
    for (const auto& v : pv) {
        const QJsonObject o = v.toObject();
        QCOMPARE(hexOf(o.value("KT")), kt);
        const QString name = o.value("name").toString();
        if (name.startsWith("END")) {
            // The keys the vectors do not cover, through the same KT session (END requires DPK, DTK, DAMK).
            const Profile p = standardProfile();
            for (std::size_t i = 1; i < p.keys.size(); ++i) {
                Bytes plain{19, p.keys[i].index, p.keys[i].version, p.keys[i].alg};
                plain.insert(plain.end(), p.keys[i].key.begin(), p.keys[i].key.end());
                QCOMPARE(toHex(issuer.writeKey(kt, p.keys[i].type, plain)), std::string("9000"));
            }
        }
        if (o.contains("plaintext")) {
            // The vector's ENC is 3DES-ECB(KT, plaintext ‖ 80 00…): check it through the firmware crypto.
            Bytes padded = hexOf(o.value("plaintext"));
            padded.push_back(0x80);
            while (padded.size() % 8) {
                padded.push_back(0);
            }
            Bytes enc(padded.size());
            QVERIFY(issuer.crypto().ecb(kAlg3Des, true, key16(kt), padded, enc));
            const Bytes c = hexOf(o.value("c"));
            QCOMPARE(toHex(Bytes(c.begin() + 5, c.begin() + 5 + static_cast<std::ptrdiff_t>(enc.size()))), toHex(enc));
        }
        const Bytes ch = hexOf(o.value("challenge"));
        token.rng().force(ch);
        QCOMPARE(token.process(hex("0084000008")), cat({ch, hex("9000")}));
        QVERIFY2(toHex(token.process(hexOf(o.value("c")))) == "9000", qPrintable(name));
        ++sent;
    }
    QCOMPARE(sent, 5);
    // Personalised: the DLK, PIN and maximum balance of the vectors are in force; KT is gone.
    QCOMPARE(token.os().lifeCycle(), LifeCycle::Personalized);
    QCOMPARE(toHex(t.verify(hex("123456"))), std::string("9000"));
    QCOMPARE(swOf(t.load(1000000)), std::uint16_t(0x9000));
    QCOMPARE(swOf(t.load(1)), std::uint16_t(0x6985)); // above the maximum balance
    QCOMPARE(toHex(issuer.openPersonalization(kt)), std::string("6300"));
    QCOMPARE(toHex(issuer.writeKey(kt, 0x26, hexOf(pv[1].toObject().value("plaintext")))), std::string("6985"));
}

QTEST_GUILESS_MAIN(TestPbocVectors)
#include "TestPbocVectors.moc"
