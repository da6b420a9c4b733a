// SPDX-License-Identifier: Apache-2.0
// The PSAM card application (docs/psam.md) on a HostToken, through real APDUs: the published purchase flows of
// ../shared/spec/vectors/pboc.json run between a purse token and a PSAM token (MAC1, DEBIT, MAC2, TAC byte for
// byte), settlement records, capacity, TSN end, and the negative APDUs (each refusal leaves the NVM image unchanged
// unless it must spend a try).
#include "PsamClient.h"
#include "TokenDriver.h"
#include "support/GoldenVectors.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QtTest>

using namespace skey;
using namespace skey::test;

namespace {

const Bytes kMpk = hex("0123456789ABCDEFFEDCBA9876543210");
const Bytes kTid = hex("112233445566");
const Bytes kAsn = hex("0102030405060708");

Bytes hexOf(const QJsonValue& v)
{
    return hex(v.toString().toStdString());
}

QByteArray qb(const Bytes& b)
{
    return QByteArray::fromStdString(toHex(b));
}

Bytes dataOf(const Bytes& r)
{
    return Bytes(r.begin(), r.end() - 2);
}

/// A personalised PSAM token (MPK of the vectors, terminal 112233445566, TSN `tsn`), PSAM selected.
std::unique_ptr<host::HostToken> makePsam(std::uint32_t tsn = 1)
{
    auto t = std::make_unique<host::HostToken>();
    PsamClient p(*t);
    if (p.personalize(kMpk, kTid, tsn) != 0x9000) {
        qFatal("PSAM personalisation failed");
    }
    return t;
}

Bytes anInit(std::uint32_t amount = 100, std::uint8_t keyIndex = 1, std::uint8_t alg = 0x00)
{
    return PsamClient::initApdu(hex("5E6F7A8B"), 0, amount, hex("20250101"), hex("120500"), keyIndex, 1, alg, kAsn);
}

} // namespace

class TestPsam : public QObject
{
    Q_OBJECT

private slots:
    void selectAndStatus();
    void publishedPurchaseFlows();
    void settlementRecords();
    void capacityAndTsnEnd();
    void wrongMac2DoesNotAdvanceTsn();
    void negativeApdus_data();
    void negativeApdus();
    void keysAreNeverReadable();
    void personalizationRefusals();
    void wrongPersonalizationMacsEndThePsam();
};

void TestPsam::selectAndStatus()
{
    host::HostToken t;
    PsamClient p(t);
    QCOMPARE(qb(p.select()), qb(hex("6F1084 09 D1560000015053414D A503C30100 9000")));
    QCOMPARE(swOf(p.init(anInit())), std::uint16_t(0x6985)); // not personalised
    QCOMPARE(p.personalize(kMpk, kTid, 7), std::uint16_t(0x9000));
    QCOMPARE(qb(p.status()), qb(hex("01 112233445566 00000007 21 0000000000 9000")));
    // The purse is still there beside it, and selecting it leaves the PSAM.
    QCOMPARE(swOf(transmit(t, hex("00A404000AD15600000145442F4550"))), std::uint16_t(0x9000));
    QCOMPARE(swOf(transmit(t, hex("80F2000011"))), std::uint16_t(0x6D00));
}

void TestPsam::publishedPurchaseFlows()
{
    const QJsonArray flows = skey::vectors::loadGoldenVectorsOrDie().value("flows").toArray();
    int purchases = 0;
    for (int i = 0; i + 1 < flows.size(); ++i) {
        const QJsonObject load = flows[i].toObject();
        const QJsonObject purchase = flows[i + 1].toObject();
        if (!load.contains("card_keys") || purchase.contains("card_keys")) {
            continue;
        }
        const std::uint8_t alg = load.value("name").toString().contains("SM4") ? kAlgSm4 : kAlg3Des;
        // The purse: personalised with the flow's card keys, loaded by the load flow's own steps.
        host::HostToken purse;
        Profile prof = standardProfile(alg);
        const QJsonObject ck = load.value("card_keys").toObject();
        prof.keys[0].key = hexOf(ck.value("DLK"));
        prof.keys[1].key = hexOf(ck.value("DPK"));
        prof.keys[2].key = hexOf(ck.value("DTK"));
        QCOMPARE(Issuer(purse).personalize(prof), std::uint16_t(0x9000));
        Terminal term(purse, alg);
        QCOMPARE(swOf(term.select()), std::uint16_t(0x9000));
        QCOMPARE(swOf(term.verify(hex("123456"))), std::uint16_t(0x9000));
        for (const auto& s : load.value("steps").toArray()) {
            const Bytes c = hexOf(s.toObject().value("c"));
            if (c[1] == 0x50) {
                purse.rng().force(hexOf(load.value("card_random")));
            }
            QCOMPARE(qb(purse.process(c)), qb(hexOf(s.toObject().value("r"))));
        }
        // The PSAM: the flow's MPK, the vectors' terminal and TSN.
        const Bytes mpk = hexOf(load.value("issuer_master_keys").toObject().value("MPK"));
        const std::uint32_t tsn = std::stoul(purchase.value("tsn").toString().toStdString(), nullptr, 16);
        host::HostToken sam;
        PsamClient psam(sam);
        QCOMPARE(psam.personalize(mpk, kTid, tsn), std::uint16_t(0x9000));

        const QJsonArray steps = purchase.value("steps").toArray();
        const Bytes initCmd = hexOf(steps[0].toObject().value("c"));
        purse.rng().force(hexOf(purchase.value("card_random")));
        const Bytes initResp = purse.process(initCmd);
        QCOMPARE(qb(initResp), qb(hexOf(steps[0].toObject().value("r"))));
        // balance 4 ‖ offline ATC 2 ‖ overdraw 3 ‖ keyVer 1 ‖ algID 1 ‖ rnd 4
        const Bytes rnd(initResp.begin() + 11, initResp.begin() + 15);
        const std::uint16_t atc = static_cast<std::uint16_t>((initResp[4] << 8) | initResp[5]);
        const Bytes samResp = psam.init(PsamClient::initApdu(
            rnd, atc, 100, hex("20250101"), hex("120500"), initCmd[5], initResp[9], initResp[10], kAsn));
        QCOMPARE(swOf(samResp), std::uint16_t(0x9000));
        // DEBIT built from the PSAM's TSN ‖ MAC1 is the published command, byte for byte.
        const Bytes debit = cat({hex("805401000F"),
            Bytes(samResp.begin(), samResp.begin() + 4),
            hex("20250101120500"),
            Bytes(samResp.begin() + 4, samResp.begin() + 8),
            hex("08")});
        QCOMPARE(qb(debit), qb(hexOf(steps[1].toObject().value("c"))));
        const Bytes debitResp = purse.process(debit);
        QCOMPARE(qb(debitResp), qb(hexOf(steps[1].toObject().value("r"))));
        const Bytes tac(debitResp.begin(), debitResp.begin() + 4);
        const Bytes mac2(debitResp.begin() + 4, debitResp.begin() + 8);
        QCOMPARE(qb(psam.mac2(tsn, mac2, tac)), qb(hex("9000")));
        QCOMPARE(qb(psam.mac2(tsn, mac2, tac)), qb(hex("9000"))); // idempotent
        QCOMPARE(psam.nextTsn(), tsn + 1);
        // The record kept for settlement: confirmed (02; bit 7 = SM4), TSN, ASN, key, ATC, amount, random, date,
        // time, TAC, MAC2.
        const Bytes rec = psam.readRecord(1);
        QCOMPARE(qb(rec),
            qb(cat({Bytes{static_cast<std::uint8_t>(alg == kAlgSm4 ? 0x82 : 0x02)},
                PsamClient::u32(tsn),
                kAsn,
                hex("0101 0000 00000064"),
                rnd,
                hex("20250101 120500"),
                tac,
                mac2,
                hex("9000")})));
        ++purchases;
    }
    QCOMPARE(purchases, 2); // 3DES and SM4
}

void TestPsam::settlementRecords()
{
    auto t = makePsam(100);
    PsamClient p(*t);
    // Three purchases: authorised only, confirmed, confirmed then set aside.
    std::vector<Bytes> mac1s;
    for (std::uint32_t amount : {100u, 200u, 300u}) {
        const Bytes r = p.init(anInit(amount));
        QCOMPARE(swOf(r), std::uint16_t(0x9000));
        mac1s.push_back(dataOf(r));
    }
    QCOMPARE(p.recordCount(), 3);
    QCOMPARE(swOf(p.recordState(0x01, 100)), std::uint16_t(0x6985)); // not confirmed: cannot be settled
    QCOMPARE(swOf(p.recordState(0x03, 100)), std::uint16_t(0x6985)); // nor set aside
    QCOMPARE(swOf(p.recordState(0x02, 100)), std::uint16_t(0x9000)); // abandoned: cleared
    QCOMPARE(swOf(p.recordState(0x02, 100)), std::uint16_t(0x6A83));
    QCOMPARE(swOf(p.readRecord(1)), std::uint16_t(0x6A83));
    QCOMPARE(p.recordCount(), 2);
    // MAC2 of TSN 101 and 102 (computed the card's way: SESPK from DPK = diversify(MPK, ASN)).
    host::HostCrypto engine;
    PbocCrypto crypto(engine);
    auto mac2Of = [&](std::uint32_t tsn, std::uint32_t amount) {
        std::array<std::uint8_t, 8> asn{};
        std::copy(kAsn.begin(), kAsn.end(), asn.begin());
        std::array<std::uint8_t, 16> dpk{};
        (void)crypto.diversify(0x00, key16(kMpk), asn, dpk);
        const Bytes seed = cat({hex("5E6F7A8B 0000"), Bytes{std::uint8_t(tsn >> 8), std::uint8_t(tsn)}});
        KeyBuffer ses;
        (void)crypto.sessionKey(0x00, dpk, std::span<const std::uint8_t, 8>(seed.data(), 8), ses);
        std::array<std::uint8_t, 4> mac{};
        (void)crypto.transactionMac(0x00, ses, PsamClient::u32(amount), mac);
        return Bytes(mac.begin(), mac.end());
    };
    QCOMPARE(swOf(p.mac2(101, mac2Of(101, 200), hex("AAAAAAAA"))), std::uint16_t(0x9000));
    QCOMPARE(swOf(p.mac2(102, mac2Of(102, 300), hex("BBBBBBBB"))), std::uint16_t(0x9000));
    QCOMPARE(swOf(p.recordState(0x02, 101)), std::uint16_t(0x6985)); // confirmed: never abandoned
    QCOMPARE(swOf(p.recordState(0x03, 102)), std::uint16_t(0x9000));
    QCOMPARE(swOf(p.mac2(102, mac2Of(102, 300), hex("BBBBBBBB"))), std::uint16_t(0x6985)); // set aside
    QCOMPARE(dataOf(p.readRecord(3))[0], std::uint8_t(0x03));
    const Bytes rec2 = p.readRecord(2);
    QCOMPARE(qb(Bytes(rec2.begin() + 32, rec2.begin() + 36)), qb(hex("AAAAAAAA")));
    // Acknowledged upload: cleared; a second acknowledgement finds nothing.
    QCOMPARE(swOf(p.recordState(0x01, 101)), std::uint16_t(0x9000));
    QCOMPARE(swOf(p.recordState(0x01, 101)), std::uint16_t(0x6A83));
    QCOMPARE(swOf(p.mac2(101, mac2Of(101, 200), hex("AAAAAAAA"))), std::uint16_t(0x6A83));
    QCOMPARE(p.recordCount(), 1);
    // Everything survives a power cycle; the TSN never goes back.
    t->powerCycle();
    QCOMPARE(swOf(p.select()), std::uint16_t(0x9000));
    QCOMPARE(p.recordCount(), 1);
    QCOMPARE(p.nextTsn(), 103u);
}

void TestPsam::capacityAndTsnEnd()
{
    auto t = makePsam(1);
    PsamClient p(*t);
    for (int i = 0; i < 33; ++i) {
        QCOMPARE(swOf(p.init(anInit())), std::uint16_t(0x9000));
    }
    const auto before = t->nvm().image();
    QCOMPARE(swOf(p.init(anInit())), std::uint16_t(0x6A84)); // full: settle first
    QVERIFY(t->nvm().image() == before);
    QCOMPARE(swOf(p.recordState(0x02, 17)), std::uint16_t(0x9000));
    const Bytes again = p.init(anInit());
    QCOMPARE(qb(Bytes(again.begin(), again.begin() + 4)), qb(PsamClient::u32(34)));
    QCOMPARE(p.nextTsn(), 35u);
    QCOMPARE(swOf(p.init(anInit())), std::uint16_t(0x6A84));

    // The last TSN: FFFFFFFE is given, FFFFFFFF never.
    host::HostToken u;
    PsamClient q(u);
    QCOMPARE(q.personalize(kMpk, kTid, 0xFFFFFFFE), std::uint16_t(0x9000));
    const Bytes last = q.init(anInit());
    QCOMPARE(qb(Bytes(last.begin(), last.begin() + 4)), qb(hex("FFFFFFFE")));
    QCOMPARE(q.nextTsn(), 0xFFFFFFFFu);
    const auto img = u.nvm().image();
    QCOMPARE(swOf(q.init(anInit())), std::uint16_t(0x9402));
    QVERIFY(u.nvm().image() == img);
}

void TestPsam::wrongMac2DoesNotAdvanceTsn()
{
    auto t = makePsam(7);
    PsamClient p(*t);
    QCOMPARE(swOf(p.init(anInit())), std::uint16_t(0x9000));
    QCOMPARE(p.nextTsn(), 8u); // the TSN is spent by MAC1 (never given twice), not by MAC2
    for (int i = 1; i <= 3; ++i) {
        QCOMPARE(swOf(p.mac2(7, hex("00000000"), hex("11111111"))), std::uint16_t(0x9302));
        QCOMPARE(p.nextTsn(), 8u);
        const Bytes rec = dataOf(p.readRecord(1));
        QCOMPARE(int(rec[0] & 0x03), 1); // still authorised, no TAC kept
        QCOMPARE(int((rec[0] >> 4) & 0x03), i); // the try is counted in NVM
        QCOMPARE(qb(Bytes(rec.begin() + 32, rec.end())), qb(hex("0000000000000000")));
    }
    // Three wrong MAC2s: this purchase can only be abandoned now (the right MAC2 of the vectors' flow is 2F30E55C
    // with the card keys of the vectors; here it would be this record's, but no value is accepted any more).
    QCOMPARE(swOf(p.mac2(7, hex("2F30E55C"), hex("C147F2A6"))), std::uint16_t(0x6983));
    QCOMPARE(swOf(p.recordState(0x02, 7)), std::uint16_t(0x9000));
    QCOMPARE(p.nextTsn(), 8u);
}

void TestPsam::negativeApdus_data()
{
    QTest::addColumn<QByteArray>("apdu");
    QTest::addColumn<int>("sw");
    const auto row = [](const char* name, const Bytes& apdu, int sw) { QTest::newRow(name) << qb(apdu) << sw; };
    const Bytes init = anInit();
    row("INIT Lc 1C", cat({hex("807000001C"), Bytes(init.begin() + 5, init.end() - 2), hex("08")}), 0x6700);
    row("INIT Lc 1E", cat({hex("807000001E"), Bytes(init.begin() + 5, init.end() - 1), hex("00 08")}), 0x6700);
    row("INIT no Le", Bytes(init.begin(), init.end() - 1), 0x6700);
    row("INIT Le 04", cat({Bytes(init.begin(), init.end() - 1), hex("04")}), 0x6700);
    row("INIT P1 01", cat({hex("80700100"), Bytes(init.begin() + 4, init.end())}), 0x6A86);
    row("INIT P2 01", cat({hex("80700001"), Bytes(init.begin() + 4, init.end())}), 0x6A86);
    row("INIT CLA 00", cat({hex("00700000"), Bytes(init.begin() + 4, init.end())}), 0x6E00);
    row("INIT unknown key index", anInit(100, 2), 0x9403);
    row("INIT unknown key version",
        PsamClient::initApdu(hex("5E6F7A8B"), 0, 100, hex("20250101"), hex("120500"), 1, 2, 0x00, kAsn),
        0x9403);
    row("INIT algID 01", anInit(100, 1, 0x01), 0x6A80);
    row("INIT amount 0", anInit(0), 0x6A80);
    row("INIT type 02 (load)",
        PsamClient::initApdu(hex("5E6F7A8B"), 0, 100, hex("20250101"), hex("120500"), 1, 1, 0x00, kAsn, 0x02),
        0x6A80);
    row("MAC2 unknown TSN", hex("807200000C 00000063 11111111 22222222"), 0x6A83);
    row("MAC2 Lc 08", hex("8072000008 00000001 11111111"), 0x6700);
    row("MAC2 with Le", hex("807200000C 00000001 11111111 22222222 00"), 0x6700);
    row("MAC2 P1 01", hex("807201000C 00000001 11111111 22222222"), 0x6A86);
    row("READ RECORD 0", hex("80B2000028"), 0x6A86);
    row("READ RECORD 34", hex("80B2220028"), 0x6A86);
    row("READ RECORD free", hex("80B2010028"), 0x6A83);
    row("READ RECORD Le 10", hex("80B2010010"), 0x6700);
    row("STATUS Le 10", hex("80F2000010"), 0x6700);
    row("STATUS P2 01", hex("80F2000111"), 0x6A86);
    row("RECORD STATE P1 04", hex("80F4040004 00000001"), 0x6A86);
    row("RECORD STATE Lc 3", hex("80F4010003 000001"), 0x6700);
    row("RECORD STATE unknown", hex("80F4010004 00000001"), 0x6A83);
    row("WRITE KEY after END", hex("84D400271C 00000000000000000000000000000000000000000000000000000000"), 0x6985);
    row("PUT DATA after END", hex("84DA00010A 112233445566 00000000"), 0x6985);
    row("END after END", hex("84EA000004 00000000"), 0x6985);
    row("GET CHALLENGE 5", hex("0084000005"), 0x6700);
    row("purse GET BALANCE", hex("805C000204"), 0x6D00);
    row("unknown CLA", hex("A0F2000011"), 0x6E00);
}

void TestPsam::negativeApdus()
{
    QFETCH(QByteArray, apdu);
    QFETCH(int, sw);
    auto t = makePsam(1);
    const auto before = t->nvm().image();
    const Bytes r = transmit(*t, hex(apdu.toStdString()));
    QCOMPARE(QString::number(swOf(r), 16), QString::number(sw, 16));
    QCOMPARE(r.size(), std::size_t(2)); // an error carries no data
    QVERIFY2(t->nvm().image() == before, "a refused command changed the NVM");
    QCOMPARE(PsamClient(*t).nextTsn(), 1u);
}

void TestPsam::keysAreNeverReadable()
{
    auto t = makePsam(1);
    PsamClient p(*t);
    QCOMPARE(swOf(p.init(anInit())), std::uint16_t(0x9000));
    // Every read-like command, in every P1/P2 the commands take, and the device GET DATA: no answer holds the key
    // or a half of it.
    std::vector<Bytes> answers;
    for (int p1 = 0; p1 < 256; p1 += 1) {
        answers.push_back(transmit(*t, cat({hex("80B2"), Bytes{std::uint8_t(p1)}, hex("0000")})));
        answers.push_back(transmit(*t, cat({hex("80F2"), Bytes{std::uint8_t(p1)}, hex("0000")})));
        answers.push_back(transmit(*t, cat({hex("00B0"), Bytes{std::uint8_t(p1)}, hex("0000")})));
        answers.push_back(transmit(*t, cat({hex("00CA"), Bytes{std::uint8_t(p1)}, hex("0000")})));
        answers.push_back(transmit(*t, cat({hex("80CA00"), Bytes{std::uint8_t(p1)}, hex("00")})));
        answers.push_back(transmit(*t, cat({hex("00B2"), Bytes{std::uint8_t(p1)}, hex("0400")})));
    }
    answers.push_back(p.select());
    const std::string key = toHex(kMpk);
    for (const Bytes& a : answers) {
        const std::string h = toHex(a);
        QVERIFY(h.find(key.substr(0, 16)) == std::string::npos);
        QVERIFY(h.find(key.substr(16, 16)) == std::string::npos);
    }
}

void TestPsam::personalizationRefusals()
{
    host::HostToken t;
    PsamClient p(t);
    QCOMPARE(swOf(p.select()), std::uint16_t(0x9000));
    // No challenge → 6984; a wrong MAC → 6988 and the try is counted (it changes the NVM: spent before comparison).
    QCOMPARE(swOf(transmit(t, hex("84EA000004 00000000"))), std::uint16_t(0x6984));
    const auto before = t.nvm().image();
    QCOMPARE(swOf(Issuer(t).sendSecure(hex("84EA0000"), {}, hex("00000000000000000000000000000000"))),
        std::uint16_t(0x6988));
    QVERIFY(t.nvm().image() != before);
    // END without a key or terminal ID: 6985, still BLANK.
    QCOMPARE(swOf(p.end()), std::uint16_t(0x6985));
    QCOMPARE(swOf(p.writeKey(1, 1, 0x00, kMpk)), std::uint16_t(0x9000));
    QCOMPARE(swOf(p.end()), std::uint16_t(0x6985));
    // Bad plaintext (algID 07) → 6A80; wrong P2 (DLK type) → 6A86; a fifth key → 6A84.
    QCOMPARE(swOf(p.writeKey(2, 1, 0x07, kMpk)), std::uint16_t(0x6A80));
    QCOMPARE(swOf(Issuer(t).writeKey(PsamClient::kt(), 0x26, cat({hex("13010100"), kMpk}))), std::uint16_t(0x6A86));
    for (std::uint8_t i = 2; i <= 4; ++i) {
        QCOMPARE(swOf(p.writeKey(i, 1, 0x00, kMpk)), std::uint16_t(0x9000));
    }
    QCOMPARE(swOf(p.writeKey(5, 1, 0x00, kMpk)), std::uint16_t(0x6A84));
    QCOMPARE(swOf(p.writeKey(4, 1, 0x00, kMpk)), std::uint16_t(0x9000)); // replaces its own slot
    QCOMPARE(swOf(p.putTsn(0xFFFFFFFF)), std::uint16_t(0x6A80));
    QCOMPARE(swOf(p.putTerminalId(kTid)), std::uint16_t(0x9000));
    QCOMPARE(swOf(p.end()), std::uint16_t(0x9000));
    QCOMPARE(swOf(p.putTsn(5)), std::uint16_t(0x6985)); // personalised: never again
    // A PSAM is personalised with the card's KT only while the purse is BLANK: after the purse's END
    // PERSONALIZATION the KT is gone and the PSAM cannot be personalised.
    host::HostToken u;
    QCOMPARE(Issuer(u).personalize(standardProfile()), std::uint16_t(0x9000));
    PsamClient q(u);
    QCOMPARE(swOf(q.select()), std::uint16_t(0x9000));
    QCOMPARE(swOf(q.writeKey(1, 1, 0x00, kMpk)), std::uint16_t(0x6985));
}

void TestPsam::wrongPersonalizationMacsEndThePsam()
{
    host::HostToken t;
    PsamClient p(t);
    QCOMPARE(swOf(p.select()), std::uint16_t(0x9000));
    const Bytes wrong = hex("00000000000000000000000000000000");
    for (int i = 1; i < 15; ++i) {
        QCOMPARE(swOf(Issuer(t).sendSecure(hex("84DA0001"), kTid, wrong)), std::uint16_t(0x6988));
    }
    // A good MAC resets the count (spec §6a: 15 wrong in a row)...
    QCOMPARE(swOf(p.putTerminalId(kTid)), std::uint16_t(0x9000));
    for (int i = 1; i < 15; ++i) {
        QCOMPARE(swOf(Issuer(t).sendSecure(hex("84DA0001"), kTid, wrong)), std::uint16_t(0x6988));
    }
    // ... the fifteenth in a row ends the PSAM for good, across power cycles; the purse beside it is untouched.
    QCOMPARE(swOf(Issuer(t).sendSecure(hex("84DA0001"), kTid, wrong)), std::uint16_t(0x6988));
    QCOMPARE(swOf(p.writeKey(1, 1, 0x00, kMpk)), std::uint16_t(0x9303));
    t.powerCycle();
    QCOMPARE(qb(p.select()), qb(hex("6F1084 09 D1560000015053414D A503C30103 9000")));
    QCOMPARE(swOf(p.init(anInit())), std::uint16_t(0x9303));
    QCOMPARE(swOf(p.end()), std::uint16_t(0x9303));
    QCOMPARE(swOf(transmit(t, hex("00A404000AD15600000145442F4550"))), std::uint16_t(0x9000));
}

QTEST_GUILESS_MAIN(TestPsam)
#include "TestPsam.moc"
