// SPDX-License-Identifier: Apache-2.0
// The PIV application (docs/piv.md) through real APDUs on HostToken: SELECT and its property template, PIN/PUK with
// NVM retry counters, management-key authentication, key generation, ECDSA and ECDH checked with Botan on the host
// side, data objects up to 2 KiB through command chaining and GET RESPONSE, the negative matrix (NVM byte-identical
// after every refusal), tearing at every NVM write of GENERATE and PUT DATA, and the purse untouched beside it.
#include "PivClient.h"

#include <botan/auto_rng.h>
#include <botan/ec_group.h>
#include <botan/ecdh.h>
#include <botan/ecdsa.h>
#include <botan/hash.h>
#include <botan/pubkey.h>

#include <QtTest>

#include <algorithm>
#include <array>
#include <functional>

using namespace skey;
using namespace skey::test;
using host::HostToken;
using host::TearModel;

namespace {

const Bytes kTagCert9A = hex("5FC105");
const Bytes kTagCert9C = hex("5FC10A");
const Bytes kTagCert9D = hex("5FC10B");
const Bytes kTagCert9E = hex("5FC101");
const Bytes kTagChuid = hex("5FC102");
const Bytes kTagCcc = hex("5FC107");

Bytes pattern(std::size_t n, std::uint8_t seed)
{
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) {
        b[i] = static_cast<std::uint8_t>(seed + i * 7 + (i >> 8));
    }
    return b;
}

Bytes dataOf(const Bytes& r)
{
    return Bytes(r.begin(), r.end() - 2);
}

Bytes sha256(const Bytes& m)
{
    auto h = Botan::HashFunction::create_or_throw("SHA-256");
    const auto d = h->process(m);
    return Bytes(d.begin(), d.end());
}

/// Verifies a DER ECDSA signature over `digest` with the public point returned by GENERATE.
bool verifyEcdsa(const char* group, const Bytes& point, const Bytes& digest, const Bytes& der)
{
    const Botan::EC_Group g(group);
    const Botan::ECDSA_PublicKey pub(g, g.OS2ECP(point.data(), point.size()));
    Botan::PK_Verifier v(pub, "Raw", Botan::DER_SEQUENCE);
    return v.verify_message(digest.data(), digest.size(), der.data(), der.size());
}

/// The whole PIV state as the application shows it (every object through GET DATA) plus its raw items (PIN, PUK,
/// tries, management key, key slots): old or new after a power cut, never a mix.
Bytes pivState(HostToken& t)
{
    PivClient c(t);
    Bytes state = c.select();
    for (const Bytes& tag : {kTagChuid, kTagCcc, kTagCert9A, kTagCert9C, kTagCert9D, kTagCert9E}) {
        const Bytes r = c.getData(tag);
        state.insert(state.end(), r.begin(), r.end());
    }
    for (std::uint8_t id = 116; id <= 124; ++id) {
        std::array<std::uint8_t, kMaxItemSize> buf{};
        std::size_t n = 0;
        if (t.os().journal().read(id, buf, n) != StoreStatus::Ok) {
            qFatal("journal read failed");
        }
        state.push_back(id);
        state.push_back(static_cast<std::uint8_t>(n));
        state.insert(state.end(), buf.begin(), buf.begin() + static_cast<long>(n));
    }
    return state;
}

void restore(HostToken& t, const std::vector<std::uint8_t>& image)
{
    t.nvm().powerRestore();
    t.nvm().setImage(image);
    t.nvm().resetCounters();
    t.powerCycle();
    t.rng().seed(7);
}

} // namespace

class TestPiv : public QObject
{
    Q_OBJECT

private slots:
    void selectAnswersPropertyTemplate();
    void pinRetriesLiveInNvm();
    void pukResetsPinAndChangeReference();
    void managementKeyAuthentication();
    void generateSignEcdh_data();
    void generateSignEcdh();
    void slotPinPolicies();
    void objectsUpTo2KiBThroughChaining();
    void generateRemovesTheSlotCertificateAtomically();
    void supersededPrivateKeysLeaveTheFlash();
    void deleteKeyRemovesKeyAndCertificate();
    void touchPolicy_data();
    void touchPolicy();
    void tryIsSpentBeforeTheComparison();
    void negativeMatrixLeavesNvmUnchanged();
    void tearingGenerateAndPutData();
    void purseAndPivShareNothing();
    void yubicoVersionAndSerial();
};

void TestPiv::selectAnswersPropertyTemplate()
{
    HostToken t;
    PivClient c(t);
    const Bytes r = c.select();
    QCOMPARE(swOf(r), 0x9000);
    // 61 L { 4F 06 PIX, 79 07 { 4F 05 RID }, 50 label, AC { algorithms } }
    QCOMPARE(r[0], 0x61);
    QCOMPARE(Bytes(r.begin() + 2, r.begin() + 10), hex("4F06000010000100"));
    QCOMPARE(Bytes(r.begin() + 10, r.begin() + 19), hex("79074F05A000000308"));
    QCOMPARE(static_cast<std::size_t>(r[1]), r.size() - 4);
    // The full AID selects too; a wrong RID does not (and leaves PIV selected).
    QCOMPARE(swOf(c.send(hex("00A404000BA0000003080000100001 0000"))), 0x9000);
    QCOMPARE(swOf(c.send(hex("00A4040005A000000309"))), 0x6A82);
    QCOMPARE(swOf(c.getData(hex("7E"))), 0x9000);
    QCOMPARE(dataOf(c.getData(hex("7E"))), hex("7E124F0BA0000003080000100001005F2F024000"));
}

void TestPiv::pinRetriesLiveInNvm()
{
    HostToken t;
    PivClient c(t);
    c.select();
    QCOMPARE(swOf(c.send(hex("0020008000"))), 0x63C3); // status query: not verified, 3 tries
    QCOMPARE(swOf(c.verifyPin("654321")), 0x63C2);
    // The counter is in NVM: a power cycle does not give the try back.
    t.powerCycle();
    c.select();
    QCOMPARE(swOf(c.send(hex("0020008000"))), 0x63C2);
    QCOMPARE(swOf(c.verifyPin("123456")), 0x9000);
    QCOMPARE(swOf(c.send(hex("0020008000"))), 0x9000);
    // 002000FF with P2 00 is a bad reference; the reset form is P1 FF, P2 80.
    QCOMPARE(swOf(c.send(hex("002000FF00"))), 0x6A86);
    QCOMPARE(swOf(c.send(hex("00 20 FF 80"))), 0x9000);
    QCOMPARE(swOf(c.send(hex("0020008000"))), 0x63C3); // tries were restored by the good PIN
    // Three wrong PINs block it; then even the right one is refused.
    QCOMPARE(swOf(c.verifyPin("000000")), 0x63C2);
    QCOMPARE(swOf(c.verifyPin("000000")), 0x63C1);
    QCOMPARE(swOf(c.verifyPin("000000")), 0x6983);
    QCOMPARE(swOf(c.verifyPin("123456")), 0x6983);
    // A malformed PIN (not digits, too short) spends nothing.
    QCOMPARE(swOf(c.send(cat({hex("0020008008"), hex("31323334FFFFFFFF")}))), 0x6A80);
}

void TestPiv::pukResetsPinAndChangeReference()
{
    HostToken t;
    PivClient c(t);
    c.select();
    for (int i = 0; i < 3; ++i) {
        (void)c.verifyPin("000000");
    }
    QCOMPARE(swOf(c.verifyPin("123456")), 0x6983);
    // RESET RETRY COUNTER: wrong PUK spends a PUK try.
    QCOMPARE(
        swOf(c.send(cat({hex("002C008010"), PivClient::padded("87654321"), PivClient::padded("222222")}))), 0x63C2);
    QCOMPARE(
        swOf(c.send(cat({hex("002C008010"), PivClient::padded("12345678"), PivClient::padded("222222")}))), 0x9000);
    QCOMPARE(swOf(c.send(hex("0020008000"))), 0x63C3);
    QCOMPARE(swOf(c.verifyPin("222222")), 0x9000);
    // CHANGE REFERENCE DATA of the PIN and of the PUK.
    QCOMPARE(
        swOf(c.send(cat({hex("0024008010"), PivClient::padded("999999"), PivClient::padded("33333333")}))), 0x63C2);
    QCOMPARE(
        swOf(c.send(cat({hex("0024008010"), PivClient::padded("222222"), PivClient::padded("33333333")}))), 0x9000);
    QCOMPARE(swOf(c.verifyPin("222222")), 0x63C2);
    QCOMPARE(swOf(c.verifyPin("33333333")), 0x9000);
    QCOMPARE(
        swOf(c.send(cat({hex("0024008110"), PivClient::padded("12345678"), PivClient::padded("ABCDEFGH")}))), 0x9000);
    // Block the PUK: three wrong ones, then RESET RETRY is refused even with the right one.
    for (int i = 0; i < 3; ++i) {
        (void)c.send(cat({hex("002C008010"), PivClient::padded("00000000"), PivClient::padded("444444")}));
    }
    QCOMPARE(
        swOf(c.send(cat({hex("002C008010"), PivClient::padded("ABCDEFGH"), PivClient::padded("444444")}))), 0x6983);
}

void TestPiv::managementKeyAuthentication()
{
    HostToken t;
    PivClient c(t);
    c.select();
    // Without it: GENERATE and PUT DATA are refused.
    QVERIFY(c.generate(0x9A, 0x11).empty());
    QCOMPARE(c.lastSw, 0x6982);
    QCOMPARE(swOf(c.putData(kTagChuid, hex("3019D4"))), 0x6982);
    // A wrong witness (the host does not hold the key) fails; so does a wrong key.
    QCOMPARE(c.authenticate(kPivDefaultMgmtKey, true), 0x6982);
    QCOMPARE(c.authenticate(hex("000000000000000000000000000000000000000000000000")), 0x6982);
    // Step 2 without step 1.
    QCOMPARE(
        swOf(c.send(cat({hex("0087039B167C148008"), hex("0000000000000000"), hex("81080000000000000000")}))), 0x6985);
    QCOMPARE(c.authenticate(), 0x9000);
    QCOMPARE(swOf(c.putData(kTagChuid, hex("3019D4"))), 0x9000);
    // One-way challenge-response (OpenSC's form) works as well.
    HostToken t2;
    PivClient c2(t2);
    c2.select();
    const Bytes r = c2.send(hex("0087039B047C028100"));
    QCOMPARE(swOf(r), 0x9000);
    Bytes challenge(r.begin() + 4, r.begin() + 12);
    PivClient::tdes(kPivDefaultMgmtKey, challenge, true);
    QCOMPARE(swOf(c2.send(cat({hex("0087039B0C7C0A8208"), challenge}))), 0x9000);
    QVERIFY(!c2.generate(0x9E, 0x11).empty());
    // A new management key (Yubico SET MANAGEMENT KEY): the old one stops working after a power cycle.
    const Bytes bankKey = hex("A1A2A3A4A5A6A7A8B1B2B3B4B5B6B7B8C1C2C3C4C5C6C7C8");
    QCOMPARE(swOf(c2.send(cat({hex("00FFFFFF1B039B18"), bankKey}))), 0x9000);
    t2.powerCycle();
    c2.select();
    QCOMPARE(c2.authenticate(), 0x6982);
    QCOMPARE(c2.authenticate(bankKey), 0x9000);
    // Authentication belongs to the channel (spec §6a) and ends with SELECT.
    c2.select();
    QVERIFY(c2.generate(0x9A, 0x11).empty());
    QCOMPARE(c2.lastSw, 0x6982);
}

void TestPiv::generateSignEcdh_data()
{
    QTest::addColumn<int>("alg");
    QTest::addColumn<QString>("group");
    QTest::addColumn<int>("slot");
    QTest::newRow("P-256 in 9A") << 0x11 << "secp256r1" << 0x9A;
    QTest::newRow("P-384 in 9D") << 0x14 << "secp384r1" << 0x9D;
    QTest::newRow("P-256 in 9E") << 0x11 << "secp256r1" << 0x9E;
}

void TestPiv::generateSignEcdh()
{
    QFETCH(int, alg);
    QFETCH(QString, group);
    QFETCH(int, slot);
    HostToken t;
    PivClient c(t);
    c.select();
    QCOMPARE(c.authenticate(), 0x9000);
    const Bytes point = c.generate(static_cast<std::uint8_t>(slot), static_cast<std::uint8_t>(alg));
    QCOMPARE(c.lastSw, 0x9000);
    const std::size_t n = alg == 0x11 ? 32 : 48;
    QCOMPARE(point.size(), 1 + 2 * n);
    QCOMPARE(point[0], 0x04);
    QCOMPARE(swOf(c.verifyPin("123456")), 0x9000);
    const Bytes digest = alg == 0x11 ? sha256(hex("48656C6C6F")) : pattern(48, 3);
    const Bytes der = c.sign(static_cast<std::uint8_t>(slot), static_cast<std::uint8_t>(alg), digest);
    QCOMPARE(c.lastSw, 0x9000);
    QVERIFY(verifyEcdsa(group.toLatin1().constData(), point, digest, der));
    Bytes other = digest;
    other[0] ^= 1;
    QVERIFY(!verifyEcdsa(group.toLatin1().constData(), point, other, der));
    // The algorithm in P1 must be the key's.
    QVERIFY(c.sign(static_cast<std::uint8_t>(slot), alg == 0x11 ? 0x14 : 0x11, digest).empty());
    QCOMPARE(c.lastSw, 0x6A86);
    // ECDH: the card's X(d·Q) equals the host's X(q·D).
    Botan::AutoSeeded_RNG rng;
    const Botan::EC_Group g(group.toStdString());
    const Botan::ECDH_PrivateKey host(rng, g);
    const std::vector<std::uint8_t> hostPoint = host.public_value();
    const Bytes inner = cat({hex("8200 85"),
        Bytes{static_cast<std::uint8_t>(hostPoint.size())},
        Bytes(hostPoint.begin(), hostPoint.end())});
    const Bytes data = cat({Bytes{0x7C, static_cast<std::uint8_t>(inner.size())}, inner});
    const Bytes r = c.send(cat({Bytes{0x00,
                                    0x87,
                                    static_cast<std::uint8_t>(alg),
                                    static_cast<std::uint8_t>(slot),
                                    static_cast<std::uint8_t>(data.size())},
        data,
        hex("00")}));
    QCOMPARE(swOf(r), 0x9000);
    Botan::PK_Key_Agreement ka(host, rng, "Raw");
    const auto z = ka.derive_key(0, point.data(), point.size()).bits_of();
    QCOMPARE(Bytes(r.begin() + 4, r.end() - 2), Bytes(z.begin(), z.end()));
    // A point off the curve is refused.
    Bytes bad = data;
    bad[bad.size() - 1] ^= 1;
    QCOMPARE(swOf(c.send(cat({Bytes{0x00,
                                  0x87,
                                  static_cast<std::uint8_t>(alg),
                                  static_cast<std::uint8_t>(slot),
                                  static_cast<std::uint8_t>(bad.size())},
                 bad,
                 hex("00")}))),
        0x6A80);
}

void TestPiv::slotPinPolicies()
{
    HostToken t;
    PivClient c(t);
    c.select();
    QCOMPARE(c.authenticate(), 0x9000);
    const Bytes p9a = c.generate(0x9A, 0x11);
    const Bytes p9c = c.generate(0x9C, 0x11);
    const Bytes p9e = c.generate(0x9E, 0x11);
    QVERIFY(!p9a.empty() && !p9c.empty() && !p9e.empty());
    const Bytes digest = sha256(hex("00"));
    // 9E (card authentication): no PIN.
    QVERIFY(verifyEcdsa("secp256r1", p9e, digest, c.sign(0x9E, 0x11, digest)));
    // 9A: PIN once per session.
    QVERIFY(c.sign(0x9A, 0x11, digest).empty());
    QCOMPARE(c.lastSw, 0x6982);
    QCOMPARE(swOf(c.verifyPin("123456")), 0x9000);
    QVERIFY(!c.sign(0x9A, 0x11, digest).empty());
    QVERIFY(!c.sign(0x9A, 0x11, digest).empty());
    // 9C (digital signature): the PIN right before every signature.
    QVERIFY(c.sign(0x9C, 0x11, digest).empty());
    QCOMPARE(c.lastSw, 0x6982);
    QCOMPARE(swOf(c.verifyPin("123456")), 0x9000);
    QVERIFY(verifyEcdsa("secp256r1", p9c, digest, c.sign(0x9C, 0x11, digest)));
    QVERIFY(c.sign(0x9C, 0x11, digest).empty());
    QCOMPARE(swOf(c.verifyPin("123456")), 0x9000);
    (void)c.getData(hex("7E"));
    QVERIFY(c.sign(0x9C, 0x11, digest).empty()); // another command in between
    // An empty slot.
    QVERIFY(c.sign(0x9D, 0x11, digest).empty());
    QCOMPARE(c.lastSw, 0x6A88);
    // The PIN state belongs to the channel (spec §6a): a command on another channel ends it.
    QCOMPARE(swOf(c.verifyPin("123456")), 0x9000);
    (void)t.process(hex("80CA000100"), 7);
    QVERIFY(c.sign(0x9A, 0x11, digest).empty());
    QCOMPARE(c.lastSw, 0x6982);
}

void TestPiv::objectsUpTo2KiBThroughChaining()
{
    HostToken t;
    PivClient c(t);
    c.select();
    QCOMPARE(c.authenticate(), 0x9000);
    QCOMPARE(swOf(c.getData(kTagCert9A)), 0x6A82); // empty
    // Four certificates of 2 KiB each, plus CHUID and CCC: all fit the chunk pool together.
    const Bytes tags[] = {kTagCert9A, kTagCert9C, kTagCert9D, kTagCert9E};
    for (std::size_t i = 0; i < 4; ++i) {
        QCOMPARE(swOf(c.putData(tags[i], pattern(2048, static_cast<std::uint8_t>(i)))), 0x9000);
    }
    QCOMPARE(swOf(c.putData(kTagChuid, pattern(59, 9))), 0x9000);
    QCOMPARE(swOf(c.putData(kTagCcc, pattern(42, 10))), 0x9000);
    // Read back in 256-byte parts (61xx + GET RESPONSE), after a power cycle; an extended Le 0000 gets 256 bytes
    // and 61xx too (no answer exceeds the announced APDU bound, docs/transport.md).
    t.powerCycle();
    c.select();
    for (std::size_t i = 0; i < 4; ++i) {
        const Bytes r = c.getData(tags[i]);
        QCOMPARE(swOf(r), 0x9000);
        QCOMPARE(dataOf(r), cat({hex("53820800"), pattern(2048, static_cast<std::uint8_t>(i))}));
    }
    const Bytes first = c.getData(kTagCert9C, true);
    QCOMPARE(swOf(first), 0x6100); // 1,796 more: 61 00 ("256 or more")
    QCOMPARE(first.size(), 256u + 2u);
    const Bytes whole = c.collect(first);
    QCOMPARE(swOf(whole), 0x9000);
    QCOMPARE(dataOf(whole), cat({hex("53820800"), pattern(2048, 1)}));
    // A shorter Le gets that many, then the rest in parts.
    const Bytes shortLe = c.send(cat({hex("00CB3FFF055C035FC10A"), hex("10")}));
    QCOMPARE(swOf(shortLe), 0x6100);
    QCOMPARE(shortLe.size(), 16u + 2u);
    QCOMPARE(dataOf(c.collect(shortLe)), cat({hex("53820800"), pattern(2048, 1)})); // 16 bytes, then the rest
    // The last part says how many bytes are left (61xx, xx < 256).
    const Bytes part = c.send(cat({hex("00CB3FFF055C035FC10A"), hex("00")}));
    Bytes r = part;
    for (int i = 0; i < 7; ++i) {
        r = c.send(hex("00C0000000"));
    }
    QCOMPARE(swOf(r), 0x6104); // 2,052 = 8 × 256 + 4
    QCOMPARE(c.send(hex("00C0000000")).size(), 4u + 2u);
    QCOMPARE(dataOf(c.getData(kTagChuid)), cat({hex("533B"), pattern(59, 9)}));
    // Rewriting one (the old copy stays until the new one is complete), and replacing with a smaller one.
    QCOMPARE(c.authenticate(), 0x9000);
    for (int round = 0; round < 6; ++round) {
        const Bytes content = pattern(round % 2 == 0 ? 2048 : 700, static_cast<std::uint8_t>(40 + round));
        QCOMPARE(swOf(c.putData(kTagCert9D, content)), 0x9000);
        QCOMPARE(dataOf(c.getData(kTagCert9D)).size(), content.size() + 4);
    }
    // Delete (53 00).
    QCOMPARE(swOf(c.putData(kTagCert9E, {})), 0x9000);
    QCOMPARE(swOf(c.getData(kTagCert9E)), 0x6A82);
    // A chain interrupted by another command is dropped.
    QCOMPARE(swOf(c.send(cat({hex("10DB3FFF05"), hex("5C035FC105")}))), 0x9000);
    (void)c.getData(hex("7E"));
    QCOMPARE(swOf(c.send(cat({hex("00DB3FFF04"), hex("53020102")}))), 0x6A80);
    // GET RESPONSE without a pending answer.
    QCOMPARE(swOf(c.send(hex("00C0000000"))), 0x6985);
}

void TestPiv::generateRemovesTheSlotCertificateAtomically()
{
    HostToken t;
    PivClient c(t);
    c.select();
    QCOMPARE(c.authenticate(), 0x9000);
    QVERIFY(!c.generate(0x9A, 0x11).empty());
    QCOMPARE(swOf(c.putData(kTagCert9A, pattern(800, 1))), 0x9000);
    QCOMPARE(swOf(c.putData(kTagCert9C, pattern(800, 2))), 0x9000);
    QVERIFY(!c.generate(0x9A, 0x11).empty());
    QCOMPARE(swOf(c.getData(kTagCert9A)), 0x6A82); // the old certificate went with the old key
    QCOMPARE(swOf(c.getData(kTagCert9C)), 0x9000); // another slot's is untouched
}

namespace {
/// The private scalar of a key slot item (121..124: alg ‖ PIN policy ‖ touch policy ‖ scalar), read from the journal.
Bytes privateScalar(HostToken& t, std::uint8_t item)
{
    std::array<std::uint8_t, kMaxItemSize> buf{};
    std::size_t n = 0;
    if (t.os().journal().read(item, buf, n) != StoreStatus::Ok || n < 3 + 32) {
        return {};
    }
    return Bytes(buf.begin() + 3, buf.begin() + static_cast<long>(n));
}
bool imageHolds(HostToken& t, const Bytes& needle)
{
    const std::vector<std::uint8_t>& image = t.nvm().image();
    return std::search(image.begin(), image.end(), needle.begin(), needle.end()) != image.end();
}
} // namespace

void TestPiv::supersededPrivateKeysLeaveTheFlash()
{
    // docs/firmware.md "Wiping superseded secrets": PIV's private keys (items 121..124) are secret items, so a key
    // replaced by GENERATE or removed by DELETE KEY is in no byte of the raw NVM once the command has returned, and
    // after a power cycle (the journal's compact-and-erase of the page that held the old copy).
    HostToken t;
    PivClient c(t);
    c.select();
    QCOMPARE(c.authenticate(), 0x9000);
    QVERIFY(!c.generate(0x9A, 0x11).empty());
    const Bytes first = privateScalar(t, 121);
    QCOMPARE(first.size(), std::size_t(32));
    QVERIFY(imageHolds(t, first));
    QVERIFY(!c.generate(0x9A, 0x11).empty());
    const Bytes second = privateScalar(t, 121);
    QCOMPARE(second.size(), std::size_t(32));
    QVERIFY(second != first);
    QVERIFY2(!imageHolds(t, first), "the replaced private key is still in the NVM image");
    QVERIFY(imageHolds(t, second));
    QCOMPARE(swOf(c.send(hex("00F6FF9A"))), 0x9000);
    QVERIFY2(!imageHolds(t, second), "the deleted private key is still in the NVM image");
    t.powerCycle();
    QVERIFY(!imageHolds(t, first) && !imageHolds(t, second));
}

void TestPiv::deleteKeyRemovesKeyAndCertificate()
{
    // Yubico's MOVE KEY with destination FF (INS F6 P1 FF P2 slot): the key and its certificate in one commit.
    HostToken t;
    PivClient c(t);
    c.select();
    QCOMPARE(c.authenticate(), 0x9000);
    QVERIFY(!c.generate(0x9A, 0x11).empty());
    QVERIFY(!c.generate(0x9C, 0x11).empty());
    QCOMPARE(swOf(c.putData(kTagCert9A, pattern(700, 1))), 0x9000);
    QCOMPARE(swOf(c.putData(kTagCert9C, pattern(700, 2))), 0x9000);
    // Refusals write nothing: no management key, a wrong P1, a slot that is no key slot, data present.
    c.select();
    const std::vector<std::uint8_t> before = t.nvm().image();
    QCOMPARE(swOf(c.send(hex("00F6FF9A"))), 0x6982);
    QCOMPARE(c.authenticate(), 0x9000);
    QCOMPARE(swOf(c.send(hex("00F69C9A"))), 0x6A86);
    QCOMPARE(swOf(c.send(hex("00F6FF9B"))), 0x6A86);
    QCOMPARE(swOf(c.send(hex("00F6FF9A0100"))), 0x6700);
    QVERIFY(t.nvm().image() == before);
    QCOMPARE(swOf(c.send(hex("00F6FF9A"))), 0x9000);
    QCOMPARE(swOf(c.getData(kTagCert9A)), 0x6A82); // the certificate went with the key
    QCOMPARE(swOf(c.send(hex("00F7009A00"))), 0x6A88); // no key metadata
    QVERIFY(c.sign(0x9A, 0x11, Bytes(32, 0x55)).empty()); // nothing signs
    QCOMPARE(int(c.lastSw), 0x6A88);
    QCOMPARE(swOf(c.send(hex("00F6FF9A"))), 0x6A88); // nothing left to delete
    QCOMPARE(swOf(c.getData(kTagCert9C)), 0x9000); // another slot's key and certificate stay
    QCOMPARE(swOf(c.send(hex("00F7009C00"))), 0x9000);
    // Across a power cycle too, and the slot takes a new key.
    t.powerCycle();
    PivClient again(t);
    again.select();
    QCOMPARE(swOf(again.send(hex("00F7009A00"))), 0x6A88);
    QCOMPARE(again.authenticate(), 0x9000);
    QVERIFY(!again.generate(0x9A, 0x11).empty());
}

void TestPiv::touchPolicy_data()
{
    QTest::addColumn<int>("touch"); // GENERATE tag AB
    QTest::addColumn<int>("answer"); // what the presence HAL answers
    QTest::addColumn<int>("sw");
    QTest::addColumn<int>("asked");
    QTest::newRow("never: no touch asked") << 1 << int(hal::PresenceResult::Refused) << 0x9000 << 0;
    QTest::newRow("always, confirmed") << 2 << int(hal::PresenceResult::Confirmed) << 0x9000 << 1;
    QTest::newRow("always, refused") << 2 << int(hal::PresenceResult::Refused) << 0x6985 << 1;
    QTest::newRow("always, timeout") << 2 << int(hal::PresenceResult::Timeout) << 0x6985 << 1;
    QTest::newRow("always, host CANCEL") << 2 << int(hal::PresenceResult::Cancelled) << 0x6F00 << 1;
    QTest::newRow("cached = always, confirmed") << 3 << int(hal::PresenceResult::Confirmed) << 0x9000 << 1;
    QTest::newRow("cached = always, refused") << 3 << int(hal::PresenceResult::Refused) << 0x6985 << 1;
}

void TestPiv::touchPolicy()
{
    QFETCH(int, touch);
    QFETCH(int, answer);
    QFETCH(int, sw);
    QFETCH(int, asked);
    HostToken t;
    PivClient c(t);
    c.select();
    QCOMPARE(c.authenticate(), 0x9000);
    // 9E: PIN policy "never", so only the touch stands between the host and the key.
    const Bytes gen
        = c.send(cat({hex("0047009E08AC06800111AB01"), Bytes{static_cast<std::uint8_t>(touch)}, hex("00")}));
    QCOMPARE(swOf(gen), 0x9000);
    const Bytes meta = c.send(hex("00F7009E00"));
    QCOMPARE(swOf(meta), 0x9000);
    QCOMPARE(int(meta[6]), touch); // 02 02 PIN policy ‖ touch policy
    int calls = 0;
    t.presence().setWaiter([&](std::uint32_t timeoutMs) {
        ++calls;
        return timeoutMs > 0 ? static_cast<hal::PresenceResult>(answer) : hal::PresenceResult::Timeout;
    });
    // A malformed signature request never asks the cardholder.
    QVERIFY(c.sign(0x9E, 0x11, Bytes(65, 0x11)).empty());
    QCOMPARE(int(c.lastSw), 0x6700);
    QCOMPARE(calls, 0);
    const std::vector<std::uint8_t> before = t.nvm().image();
    const Bytes digest = sha256(hex("6F72646572"));
    const Bytes der = c.sign(0x9E, 0x11, digest);
    QCOMPARE(int(c.lastSw), sw);
    QCOMPARE(calls, asked);
    QVERIFY(t.nvm().image() == before); // a touch, confirmed or not, writes nothing
    if (sw == 0x9000) {
        QVERIFY(!der.empty());
    }
    // ECDH is a private-key operation too.
    calls = 0;
    const Botan::EC_Group g("secp256r1");
    const Bytes peer = [&] {
        const auto p = g.get_base_point() * 7;
        const auto v = p.encode(Botan::PointGFp::UNCOMPRESSED);
        return Bytes(v.begin(), v.end());
    }();
    const Bytes inner = cat({hex("8200 85"), Bytes{static_cast<std::uint8_t>(peer.size())}, peer});
    const Bytes ecdh = c.send(cat({hex("0087119E"),
        Bytes{static_cast<std::uint8_t>(inner.size() + 2), 0x7C, static_cast<std::uint8_t>(inner.size())},
        inner,
        hex("00")}));
    QCOMPARE(swOf(ecdh), sw);
    QCOMPARE(calls, asked);
    // An unknown touch policy is refused by GENERATE.
    QCOMPARE(swOf(c.send(hex("0047009E08AC06800111AB0400"))), 0x6A80);
}

void TestPiv::tryIsSpentBeforeTheComparison()
{
    // Power cut right after the first NVM write of VERIFY / RESET RETRY COUNTER: the right value and a wrong one
    // leave the same state (one try spent), so cutting the power during the comparison never gives a free guess.
    struct Case
    {
        const char* name;
        Bytes right;
        Bytes wrong;
    };
    const Case cases[] = {
        {"VERIFY",
            cat({hex("0020008008"), PivClient::padded("123456")}),
            cat({hex("0020008008"), PivClient::padded("123457")})},
        {"RESET RETRY",
            cat({hex("002C008010"), PivClient::padded("12345678"), PivClient::padded("111111")}),
            cat({hex("002C008010"), PivClient::padded("12345679"), PivClient::padded("111111")})},
        {"CHANGE REFERENCE (PUK)",
            cat({hex("0024008110"), PivClient::padded("12345678"), PivClient::padded("87654321")}),
            cat({hex("0024008110"), PivClient::padded("02345678"), PivClient::padded("87654321")})},
    };
    for (const Case& k : cases) {
        Bytes states[2];
        for (int i = 0; i < 2; ++i) {
            HostToken t;
            PivClient c(t);
            c.select();
            t.nvm().armPowerCut(1, TearModel::FullyWritten);
            QVERIFY2(swOf(c.send(i == 0 ? k.right : k.wrong)) == 0x6581, k.name);
            t.powerCycle();
            states[i] = pivState(t);
        }
        QVERIFY2(states[0] == states[1], k.name);
    }
}

void TestPiv::negativeMatrixLeavesNvmUnchanged()
{
    struct Row
    {
        const char* name;
        std::function<void(PivClient&)> prelude;
        Bytes command;
        std::uint16_t sw;
    };
    const Bytes cert2049 = cat({hex("5C035FC105 53820801"), pattern(2049, 0)});
    const std::vector<Row> rows = {
        {"GENERATE without management key", nullptr, hex("0047009A05AC03800111 00"), 0x6982},
        {"PUT DATA without management key", nullptr, hex("00DB3FFF085C035FC10253013000"), 0x6982},
        {"SET MANAGEMENT KEY without it",
            nullptr,
            cat({hex("00FFFFFF1B039B18"), hex("A1A2A3A4A5A6A7A8B1B2B3B4B5B6B7B8C1C2C3C4C5C6C7C8")}),
            0x6982},
        {"GENERATE RSA", [](PivClient& c) { (void)c.authenticate(); }, hex("0047009A05AC03800107 00"), 0x6A80},
        {"GENERATE unknown slot", [](PivClient& c) { (void)c.authenticate(); }, hex("0047009B05AC03800111 00"), 0x6A86},
        {"PUT DATA unknown object",
            [](PivClient& c) { (void)c.authenticate(); },
            hex("00DB3FFF085C035FC1FF53013000"),
            0x6A82},
        {"PUT DATA malformed", [](PivClient& c) { (void)c.authenticate(); }, hex("00DB3FFF065C035FC10253"), 0x6A80},
        {"PUT DATA beyond the APDU bound (extended, not chained)",
            [](PivClient& c) { (void)c.authenticate(); },
            cat({hex("00DB3FFF00080A"), cert2049}),
            0x6700},
        {"chained PUT DATA announcing 2049 bytes (first link)",
            [](PivClient& c) { (void)c.authenticate(); },
            cat({hex("10DB3FFFFF"), Bytes(cert2049.begin(), cert2049.begin() + 255)}),
            0x6A84},
        {"chained GET DATA (only PUT DATA chains)", nullptr, hex("10CB3FFF055C035FC105"), 0x6884},
        {"chained PUT DATA longer than announced",
            [](PivClient& c) {
                (void)c.authenticate();
                (void)c.send(hex("10DB3FFF0A5C035FC10553820002AA"));
            },
            hex("00DB3FFF02BBCC"),
            0x6A80},
        {"sign with empty slot",
            [](PivClient& c) { (void)c.verifyPin("123456"); },
            hex("0087119A267C24820081200000000000000000000000000000000000000000000000000000000000000000 00"),
            0x6A88},
        {"VERIFY malformed PIN", nullptr, hex("002000800831323334FFFFFFFF"), 0x6A80},
        {"VERIFY PUK reference", nullptr, cat({hex("0020008108"), PivClient::padded("12345678")}), 0x6A88},
        {"VERIFY blocked PIN",
            [](PivClient& c) {
                for (int i = 0; i < 3; ++i) {
                    (void)c.verifyPin("000000");
                }
            },
            cat({hex("0020008008"), PivClient::padded("123456")}),
            0x6983},
        {"RESET RETRY blocked PUK",
            [](PivClient& c) {
                for (int i = 0; i < 3; ++i) {
                    (void)c.send(cat({hex("002C008010"), PivClient::padded("00000000"), PivClient::padded("111111")}));
                }
            },
            cat({hex("002C008010"), PivClient::padded("12345678"), PivClient::padded("111111")}),
            0x6983},
        {"RESET RETRY malformed new PIN",
            nullptr,
            cat({hex("002C008010"), PivClient::padded("12345678"), PivClient::padded("12")}),
            0x6A80},
        {"CHANGE REFERENCE wrong length", nullptr, hex("002400800831323334353636FFFF"), 0x6700},
        {"GET DATA printed info without PIN", nullptr, hex("00CB3FFF055C035FC10900"), 0x6982},
        {"GET DATA unknown", nullptr, hex("00CB3FFF055C035FC1EE00"), 0x6A82},
        {"wrong CLA", nullptr, hex("80CB3FFF055C035FC10200"), 0x6E00},
        {"unknown INS", nullptr, hex("00E2000000"), 0x6D00},
        {"management auth step 2 alone",
            nullptr,
            cat({hex("0087039B167C148008"), hex("0000000000000000"), hex("81080000000000000000")}),
            0x6985},
        {"GENERAL AUTHENTICATE malformed", nullptr, hex("0087119A027C00"), 0x6A80},
    };
    for (const Row& row : rows) {
        HostToken t;
        PivClient c(t);
        c.select();
        if (row.prelude) {
            row.prelude(c);
        }
        const std::vector<std::uint8_t> before = t.nvm().image();
        const Bytes r = c.send(row.command);
        QVERIFY2(swOf(r) == row.sw,
            qPrintable(QStringLiteral("%1: %2").arg(QString::fromLatin1(row.name), QString::fromStdString(toHex(r)))));
        QVERIFY2(r.size() == 2, row.name); // errors carry no data
        QVERIFY2(t.nvm().image() == before, row.name);
    }
    // A wrong PIN must change the NVM (the try is spent before the comparison).
    HostToken t;
    PivClient c(t);
    c.select();
    const std::vector<std::uint8_t> before = t.nvm().image();
    QCOMPARE(swOf(c.verifyPin("000000")), 0x63C2);
    QVERIFY(t.nvm().image() != before);
}

void TestPiv::tearingGenerateAndPutData()
{
    struct Scenario
    {
        const char* name;
        std::function<Bytes(PivClient&)> command; // after SELECT and management-key authentication
        std::function<Bytes(PivClient&)> intermediate = nullptr; // reaches the legal "try spent" state
    };
    const std::vector<Scenario> scenarios = {
        {"GENERATE P-256 9A (replacing key and certificate)",
            [](PivClient& c) { return c.send(hex("0047009A05AC03800111 00")); }},
        {"GENERATE P-384 9D", [](PivClient& c) { return c.send(hex("0047009D05AC03800114 00")); }},
        {"PUT DATA 2 KiB certificate 9A (replacing one)",
            [](PivClient& c) { return c.putData(kTagCert9A, pattern(2048, 77)); }},
        {"PUT DATA 300-byte certificate 9C (new)", [](PivClient& c) { return c.putData(kTagCert9C, pattern(300, 5)); }},
        {"PUT DATA delete certificate 9A", [](PivClient& c) { return c.putData(kTagCert9A, {}); }},
        {"DELETE KEY 9A (key and certificate)", [](PivClient& c) { return c.send(hex("00F6FF9A")); }},
        {"VERIFY right PIN",
            [](PivClient& c) { return c.verifyPin("123456"); },
            [](PivClient& c) { return c.verifyPin("000000"); }},
        {"CHANGE REFERENCE DATA (PIN)",
            [](PivClient& c) {
                return c.send(cat({hex("0024008010"), PivClient::padded("123456"), PivClient::padded("24681357")}));
            },
            [](PivClient& c) {
                return c.send(cat({hex("0024008010"), PivClient::padded("999999"), PivClient::padded("24681357")}));
            }},
        {"RESET RETRY COUNTER",
            [](PivClient& c) {
                return c.send(cat({hex("002C008010"), PivClient::padded("12345678"), PivClient::padded("765432")}));
            },
            [](PivClient& c) {
                return c.send(cat({hex("002C008010"), PivClient::padded("00000000"), PivClient::padded("765432")}));
            }},
    };
    // Start: a token with a key and a 1,500-byte certificate in 9A, on a small NVM so garbage collection runs.
    HostToken t(HostToken::kDefaultSerial, 512, 48);
    {
        PivClient c(t);
        c.select();
        QCOMPARE(c.authenticate(), 0x9000);
        QVERIFY(!c.generate(0x9A, 0x11).empty());
        QCOMPARE(swOf(c.putData(kTagCert9A, pattern(1500, 1))), 0x9000);
        (void)c.verifyPin("111111"); // one PIN try spent, so a good PIN restores it
    }
    const std::vector<std::uint8_t> pre = t.nvm().image();
    int cutPoints = 0;
    for (const Scenario& s : scenarios) {
        auto run = [&](PivClient& c) {
            if (c.authenticate() != 0x9000) {
                qFatal("management key authentication failed");
            }
            return s.command(c);
        };
        restore(t, pre);
        const Bytes oldState = pivState(t);
        restore(t, pre);
        PivClient clean(t);
        clean.select();
        const Bytes cleanResponse = run(clean);
        QVERIFY2(swOf(cleanResponse) == 0x9000, s.name);
        const Bytes newState = pivState(t);
        QVERIFY2(oldState != newState, s.name);
        Bytes spentState = oldState;
        if (s.intermediate) {
            restore(t, pre);
            PivClient spend(t);
            spend.select();
            (void)spend.authenticate();
            (void)s.intermediate(spend);
            spentState = pivState(t);
        }
        int cuts = 0;
        for (const TearModel model : {TearModel::NothingWritten, TearModel::PartlyWritten, TearModel::FullyWritten}) {
            for (std::uint64_t k = 1;; ++k) {
                restore(t, pre);
                PivClient c(t);
                c.select();
                t.nvm().armPowerCut(k, model);
                const Bytes r = run(c);
                if (!t.nvm().powerLost()) {
                    t.nvm().disarmPowerCut();
                    QVERIFY2(r == cleanResponse, s.name);
                    break;
                }
                QVERIFY2(swOf(r) == 0x6581, s.name);
                t.powerCycle();
                const Bytes state = pivState(t);
                QVERIFY2(state == oldState || state == newState || state == spentState,
                    qPrintable(QStringLiteral("%1: mixed state after a cut at write %2, model %3")
                                   .arg(QString::fromLatin1(s.name))
                                   .arg(k)
                                   .arg(int(model))));
                // The token still works after recovery: the next write succeeds.
                PivClient after(t);
                after.select();
                QVERIFY2(after.authenticate() == 0x9000, s.name);
                QVERIFY2(swOf(after.putData(kTagChuid, pattern(30, 3))) == 0x9000, s.name);
                ++cuts;
                QVERIFY(k < 400);
            }
        }
        QVERIFY2(cuts > 0, s.name);
        cutPoints += cuts;
    }
    qInfo("PIV tearing: %d scenarios, %d power-cut points", int(scenarios.size()), cutPoints);
}

void TestPiv::purseAndPivShareNothing()
{
    HostToken t;
    Issuer issuer(t);
    QCOMPARE(issuer.personalize(standardProfile()), 0x9000);
    (void)issuer.send(hex("00A404000AD15600000145442F4550"));
    const Bytes balance = issuer.send(hex("805C000204"));
    QCOMPARE(swOf(balance), 0x9000);
    PivClient c(t);
    c.select();
    QCOMPARE(c.authenticate(), 0x9000);
    QVERIFY(!c.generate(0x9A, 0x11).empty());
    QCOMPARE(swOf(c.putData(kTagCert9A, pattern(2048, 4))), 0x9000);
    // Purse commands do not reach the purse while PIV is selected (GET BALANCE is not a PIV command)...
    QCOMPARE(swOf(c.send(hex("805C000204"))), 0x6E00);
    // ...the device GET DATA answers in both, and the purse is as it was when selected again.
    QCOMPARE(swOf(c.send(hex("80CA000100"))), 0x9000);
    QCOMPARE(swOf(issuer.send(hex("00A404000AD15600000145442F4550"))), 0x9000);
    QCOMPARE(issuer.send(hex("805C000204")), balance);
    // The purse PIN (123456 by the profile) and the PIV PIN are different counters.
    QCOMPARE(swOf(issuer.send(hex("0020000003 654321"))), 0x63C2);
    c.select();
    QCOMPARE(swOf(c.send(hex("0020008000"))), 0x63C3);
}

void TestPiv::yubicoVersionAndSerial()
{
    HostToken t;
    PivClient c(t);
    c.select();
    QCOMPARE(c.send(hex("00FD000000")), hex("0502079000"));
    // GET CHALLENGE from the token's RNG (the module's C_GenerateRandom): two answers differ.
    const Bytes r1 = c.send(hex("0084000020"));
    const Bytes r2 = c.send(hex("0084000020"));
    QCOMPARE(r1.size(), 34u);
    QCOMPARE(swOf(r1), 0x9000);
    QVERIFY(r1 != r2);
    QCOMPARE(c.send(hex("00F8000000")), hex("000000019000")); // low 32 bits of the serial 534B000000000001
    // GET METADATA of a key slot: algorithm, policies, origin, and the public point (recomputed on the key).
    QCOMPARE(swOf(c.send(hex("00F7009A00"))), 0x6A88);
    QCOMPARE(c.authenticate(), 0x9000);
    const Bytes point = c.generate(0x9C, 0x11);
    const Bytes meta = c.send(hex("00F7009C00"));
    QCOMPARE(swOf(meta), 0x9000);
    QCOMPARE(Bytes(meta.begin(), meta.begin() + 14), hex("010111 02020301 030101 04438641"));
    QCOMPARE(Bytes(meta.begin() + 14, meta.end() - 2), point);
}

QTEST_GUILESS_MAIN(TestPiv)
#include "TestPiv.moc"
