// SPDX-License-Identifier: Apache-2.0
// Issuer policy and project extensions: PIN-free small purchases, PIN-protected SFI 0x16, touch confirmation of a
// purchase (policy bit 3) with each presence answer, the cyclic transaction log, the maximum balance, VERIFY status,
// PSE selection and the FCI.
#include "TokenDriver.h"

#include <QtTest>

using namespace skey;
using namespace skey::test;
using host::HostToken;

class TestPolicy : public QObject
{
    Q_OBJECT

private slots:
    void pinFreeSmallPurchases();
    void cardholderFileNeedsPin();
    void touchConfirmation_data();
    void touchConfirmation();
    void cyclicLogAndLimits();
    void selectionAndFci();
    void sm4SecureMessaging();
};

void TestPolicy::pinFreeSmallPurchases()
{
    HostToken t;
    Profile p = standardProfile();
    p.policy = 0x03;
    p.noPinLimit = 2000;
    QCOMPARE(Issuer(t).personalize(p), std::uint16_t(0x9000));
    Terminal term(t);
    QCOMPARE(swOf(term.load(10000)), std::uint16_t(0x6982)); // load needs the PIN
    QCOMPARE(swOf(term.verify(hex("123456"))), std::uint16_t(0x9000));
    QCOMPARE(swOf(term.load(10000)), std::uint16_t(0x9000));
    QCOMPARE(swOf(term.select()), std::uint16_t(0x9000)); // reselect: PIN state lost
    QCOMPARE(toHex(t.process(hex("00200000"))), std::string("63C3"));
    QCOMPARE(swOf(term.purchase(2000)), std::uint16_t(0x9000)); // at the limit: PIN-free
    QCOMPARE(swOf(term.purchase(2001)), std::uint16_t(0x6982)); // above: PIN needed
    QCOMPARE(swOf(term.verify(hex("123456"))), std::uint16_t(0x9000));
    QCOMPARE(toHex(t.process(hex("00200000"))), std::string("9000"));
    QCOMPARE(swOf(term.purchase(2001)), std::uint16_t(0x9000));
    QCOMPARE(term.balance(), std::uint32_t(10000 - 2000 - 2001));
}

void TestPolicy::cardholderFileNeedsPin()
{
    HostToken t;
    Profile p = standardProfile();
    p.policy = 0x07;
    p.sfi16 = Bytes(55, 0x41);
    QCOMPARE(Issuer(t).personalize(p), std::uint16_t(0x9000));
    QCOMPARE(toHex(t.process(hex("00B0960000"))), std::string("6982"));
    QCOMPARE(toHex(t.process(hex("00B0950000"))).size(), std::size_t(64)); // 0x15 stays free
    QCOMPARE(swOf(Terminal(t).verify(hex("123456"))), std::uint16_t(0x9000));
    QCOMPARE(t.process(hex("00B0960000")), cat({Bytes(55, 0x41), hex("9000")}));
}

void TestPolicy::touchConfirmation_data()
{
    QTest::addColumn<int>("answer");
    QTest::addColumn<int>("sw");
    QTest::newRow("confirmed") << int(hal::PresenceResult::Confirmed) << 0x9000;
    QTest::newRow("refused") << int(hal::PresenceResult::Refused) << 0x6985;
    QTest::newRow("timeout") << int(hal::PresenceResult::Timeout) << 0x6985;
    QTest::newRow("cancelled") << int(hal::PresenceResult::Cancelled) << 0x6F00;
}

void TestPolicy::touchConfirmation()
{
    QFETCH(int, answer);
    QFETCH(int, sw);
    HostToken t;
    Profile p = standardProfile();
    p.policy = 0x08; // only the touch: no PIN
    QCOMPARE(Issuer(t).personalize(p), std::uint16_t(0x9000));
    Terminal term(t);
    int asked = 0;
    t.presence().setAutoAnswer(hal::PresenceResult::Confirmed);
    QCOMPARE(swOf(term.load(5000)), std::uint16_t(0x9000)); // loads need no touch
    t.presence().setWaiter([&](std::uint32_t timeoutMs) {
        ++asked;
        return timeoutMs > 0 ? static_cast<hal::PresenceResult>(answer) : hal::PresenceResult::Timeout;
    });
    // A bad MAC1 is refused before the cardholder is asked.
    QCOMPARE(swOf(term.purchase(100, true)), std::uint16_t(0x9302));
    QCOMPARE(asked, 0);
    QCOMPARE(t.os().macFailures(), std::uint8_t(1));
    const Bytes r = term.purchase(100);
    QCOMPARE(asked, 1);
    QCOMPARE(swOf(r), std::uint16_t(sw));
    if (sw == 0x9000) {
        QCOMPARE(term.balance(), std::uint32_t(4900));
    } else {
        QCOMPARE(r.size(), std::size_t(2));
        // No purse state change before the touch; the good MAC1 (checked before asking) reset the failure counter
        // (spec §4: a good MAC1/MAC2 resets it), in NVM after the try it spent.
        QCOMPARE(t.os().macFailures(), std::uint8_t(0));
        QCOMPARE(term.balance(), std::uint32_t(5000));
        const Bytes init = term.initPurchase(1);
        QCOMPARE(toHex(Bytes(init.begin() + 4, init.begin() + 6)), std::string("0000")); // offline ATC unchanged
        (void)term.select();
        QCOMPARE(toHex(t.process(hex("805A0006020001 08"))), std::string("9406"));
        // The session is over: DEBIT again without INITIALIZE.
        QCOMPARE(swOf(t.process(hex("805401000F000000012025010112000000000000 08"))), std::uint16_t(0x6901));
    }
}

void TestPolicy::cyclicLogAndLimits()
{
    HostToken t;
    Profile p = standardProfile();
    p.policy = 0;
    p.capacity = 12;
    p.maxBalance = 50000;
    QCOMPARE(Issuer(t).personalize(p), std::uint16_t(0x9000));
    Terminal term(t);
    QCOMPARE(swOf(term.load(50000)), std::uint16_t(0x9000));
    QCOMPARE(swOf(term.load(1)), std::uint16_t(0x6985)); // maximum balance
    QCOMPARE(swOf(term.initLoad(0xFFFFFFFFu)), std::uint16_t(0x6985)); // overflow
    for (std::uint32_t i = 1; i <= 20; ++i) {
        QCOMPARE(swOf(term.purchase(i)), std::uint16_t(0x9000));
    }
    QCOMPARE(term.balance(), std::uint32_t(50000 - 210));
    // 21 transactions, capacity 12: records 1..12 are purchases 20..9 (newest first), 13 is past the end.
    for (std::uint8_t n = 1; n <= 12; ++n) {
        const Bytes r = t.process(Bytes{0x00, 0xB2, n, 0xC4, 0x17});
        QCOMPARE(swOf(r), std::uint16_t(0x9000));
        QCOMPARE(int(r[0] << 8 | r[1]), 20 - n); // ATC field = N of that purchase
        QCOMPARE(int(r[8]), 21 - n); // amount (low byte)
        QCOMPARE(r[9], std::uint8_t(0x06));
    }
    QCOMPARE(toHex(t.process(hex("00B20DC417"))), std::string("6A83"));
    QCOMPARE(swOf(term.purchase(50000)), std::uint16_t(0x9401));
}

void TestPolicy::selectionAndFci()
{
    HostToken t;
    // BLANK token: the default AID answers with an all-zero SFI 0x15 in the FCI.
    const Bytes blank = t.process(hex("00A404000AD15600000145442F4550 00"));
    QCOMPARE(toHex(blank),
        toHex(cat({hex("6F33 840AD15600000145442F4550 A525 9F080102 9F0C1E"), Bytes(30, 0), hex("9000")})));
    Profile p = standardProfile();
    QCOMPARE(Issuer(t).personalize(p), std::uint16_t(0x9000));
    const Bytes fci = t.process(hex("00A404000AD15600000145442F4550 00"));
    QCOMPARE(toHex(fci), toHex(cat({hex("6F33 840AD15600000145442F4550 A525 9F080102 9F0C1E"), p.sfi15, hex("9000")})));
    QCOMPARE(toHex(t.process(hex("00A404000E315041592E5359532E4444463031 00"))),
        std::string("6F15840E315041592E5359532E4444463031A5038801019000"));
    QCOMPARE(
        toHex(t.process(hex("00B2010C00"))), std::string("701761154F0AD15600000145442F45505007452D50555253459000"));
    QCOMPARE(toHex(t.process(hex("805C000204"))), std::string("6985")); // PSE selected
    QCOMPARE(swOf(Terminal(t).select()), std::uint16_t(0x9000));
    QCOMPARE(toHex(t.process(hex("805C000204"))), std::string("000000009000"));
    // Extended-length SELECT is accepted too.
    QCOMPARE(t.process(hex("00A4040000000AD15600000145442F4550 0000")), fci);
}

void TestPolicy::sm4SecureMessaging()
{
    // A token whose DAMK is an SM4 key: UPDATE BINARY and APPLICATION BLOCK use the SM4 MAC.
    HostToken t;
    Profile p = standardProfile(0x04);
    p.keys[3] = {0x36, 1, 1, 0x04, hex("505152535455565758595A5B5C5D5E5F")};
    QCOMPARE(Issuer(t).personalize(p), std::uint16_t(0x9000));
    Issuer i(t);
    const Bytes damk = hex("505152535455565758595A5B5C5D5E5F");
    QCOMPARE(toHex(i.sendSecure(hex("04D69500"), hex("AABB"), damk, 0x04)), std::string("9000"));
    QCOMPARE(toHex(t.process(hex("00B0950002"))), std::string("AABB9000"));
    QCOMPARE(toHex(i.sendSecure(hex("04D69500"), hex("CCDD"), damk, 0x00)), std::string("6988")); // 3DES MAC: wrong
    QCOMPARE(toHex(i.sendSecure(hex("841E0000"), {}, damk, 0x04)), std::string("9000"));
    QCOMPARE(swOf(Terminal(t).select()), std::uint16_t(0x6A81));
}

QTEST_GUILESS_MAIN(TestPolicy)
#include "TestPolicy.moc"
