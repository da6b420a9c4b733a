// SPDX-License-Identifier: Apache-2.0
// The token side of "Hardening" (spec/pboc-epurse.md Decisions 2026-12), one test per defect, each of which failed
// on the firmware before the fix: RELOAD PIN by secure messaging (§3), the MAC-failure counter spent before the
// comparison (§4), the volatile state owned by its channel (§6a), a session ended by any other command (§4), zero
// amounts (§4), counted secure-messaging and EXTERNAL AUTHENTICATE failures (§6a), secrets wiped (§7), range checks
// at power-on, and a poisoned journal batch that is never committed.
#include "CardOsItems.h"
#include "Journal.h"
#include "TokenDriver.h"

#include <QtTest>

#include <algorithm>

using namespace skey;
using namespace skey::test;
using host::HostToken;
using host::TearModel;

namespace {

const Bytes kDamk = hex("505152535455565758595A5B5C5D5E5F");
const Bytes kDrpk = hex("3C1D8E2F4A5B6C7D9E0F1A2B3C4D5E6F");
const Bytes kKt = hex("4B544B544B544B544B544B544B544B54");
constexpr ChannelId kA = 0x11111111;
constexpr ChannelId kB = 0x22222222;

std::uint32_t digestOf(HostToken& t)
{
    std::uint32_t d = 0;
    if (t.os().journal().digest(d) != StoreStatus::Ok) {
        qFatal("digest failed");
    }
    return d;
}

/// RELOAD PIN `84 5E 00 00 0C ENC MAC` with DRPK for `pinBcd` (spec §3), sent through Issuer::sendSecure.
Bytes reloadPin(HostToken& t, const Bytes& pinBcd, const Bytes& key = kDrpk)
{
    Issuer issuer(t);
    Bytes plain = cat({Bytes{static_cast<std::uint8_t>(pinBcd.size())}, pinBcd, hex("80")});
    while (plain.size() % 8 != 0) {
        plain.push_back(0);
    }
    Bytes enc(plain.size());
    if (!issuer.crypto().ecb(kAlg3Des, true, key16(key), plain, enc)) {
        qFatal("ecb failed");
    }
    return issuer.sendSecure(hex("845E0000"), enc, key);
}

/// True when `needle` occurs in the bytes of object `o` (a RAM scan for secrets that should have been wiped).
template <typename T>
bool memoryHolds(const T& o, const Bytes& needle)
{
    const auto* p = reinterpret_cast<const std::uint8_t*>(&o);
    const auto* end = p + sizeof(T);
    return std::search(p, end, needle.begin(), needle.end()) != end;
}

void personalize(HostToken& t, int policy = -1)
{
    Profile p = standardProfile();
    p.policy = policy;
    if (Issuer(t).personalize(p) != 0x9000) {
        qFatal("personalisation failed");
    }
}

} // namespace

class TestHardening : public QObject
{
    Q_OBJECT

private slots:
    void reloadPinNeedsSecureMessaging();
    void reloadPinNeverResetsTheMacCounter();
    void macTrySpentBeforeTheComparison_data();
    void macTrySpentBeforeTheComparison();
    void volatileStateBelongsToItsChannel();
    void sessionEndsOnAnyOtherCommand_data();
    void sessionEndsOnAnyOtherCommand();
    void zeroAmountsRefused();
    void secureMessagingFailuresAreCounted();
    void externalAuthenticateRules();
    void sessionKeyWipedOnEveryExit();
    void rangeChecksAtPowerOn_data();
    void rangeChecksAtPowerOn();
    void poisonedBatchIsNeverCommitted();
};

void TestHardening::reloadPinNeedsSecureMessaging()
{
    HostToken t;
    personalize(t);
    Terminal term(t);
    QCOMPARE(swOf(term.select()), std::uint16_t(0x9000));
    // The old plain form: refused, and the PIN stays.
    const std::uint32_t before = digestOf(t);
    QCOMPARE(toHex(t.process(hex("805E000007654321E609A089"))), std::string("6982"));
    QCOMPARE(digestOf(t), before);
    // The new form with a fresh challenge works; replaying the captured command does not.
    const Bytes good = reloadPin(t, hex("654321"));
    QCOMPARE(toHex(good), std::string("9000"));
    QCOMPARE(swOf(term.verify(hex("654321"))), std::uint16_t(0x9000));
    // A reload with another key (a forged MAC) is 6988 and sets nothing.
    QCOMPARE(toHex(reloadPin(t, hex("111111"), kDamk)), std::string("6988"));
    QCOMPARE(swOf(term.verify(hex("111111"))), std::uint16_t(0x63C2));
    QCOMPARE(swOf(term.verify(hex("654321"))), std::uint16_t(0x9000));
    // A blank token has no DRPK to check with.
    HostToken blank;
    QCOMPARE(swOf(Terminal(blank).select()), std::uint16_t(0x9000));
    QCOMPARE(swOf(reloadPin(blank, hex("654321"))), std::uint16_t(0x6985));
}

void TestHardening::reloadPinNeverResetsTheMacCounter()
{
    HostToken t;
    personalize(t);
    Terminal term(t);
    QCOMPARE(swOf(term.verify(hex("123456"))), std::uint16_t(0x9000));
    QCOMPARE(swOf(term.load(10000)), std::uint16_t(0x9000));
    QCOMPARE(swOf(term.purchase(10, true)), std::uint16_t(0x9302));
    QCOMPARE(swOf(term.purchase(10, true)), std::uint16_t(0x9302));
    QCOMPARE(t.os().macFailures(), std::uint8_t(2));
    QCOMPARE(toHex(reloadPin(t, hex("123456"))), std::string("9000"));
    QCOMPARE(t.os().macFailures(), std::uint8_t(2)); // a stolen token's attacker gains no MAC guesses
    QCOMPARE(swOf(term.verify(hex("123456"))), std::uint16_t(0x9000));
    QCOMPARE(swOf(term.purchase(10, true)), std::uint16_t(0x9302));
    QCOMPARE(t.os().lifeCycle(), LifeCycle::BlockedTemporary);
}

void TestHardening::macTrySpentBeforeTheComparison_data()
{
    QTest::addColumn<bool>("load");
    QTest::newRow("CREDIT (MAC2)") << true;
    QTest::newRow("DEBIT (MAC1)") << false;
}

void TestHardening::macTrySpentBeforeTheComparison()
{
    // The token must commit the same thing first whether the MAC is good or not: the spent try. So a cut at the
    // first NVM write, fully written, leaves the same state for a good and a bad MAC, with the counter at 1. (If the
    // counter were written after the comparison, a good MAC's first write would be the transaction, and a cut during
    // a bad MAC's check would give a free guess.)
    QFETCH(bool, load);
    HostToken t;
    personalize(t, 0x00);
    {
        Terminal term(t);
        QCOMPARE(swOf(term.load(5000)), std::uint16_t(0x9000));
    }
    const auto ready = t.nvm().image();
    std::uint32_t digests[2] = {};
    for (const bool bad : {false, true}) {
        t.nvm().setImage(ready);
        t.powerCycle();
        t.rng().seed(5);
        Terminal term(t);
        const Bytes init = load ? term.initLoad(100) : term.initPurchase(100);
        QCOMPARE(swOf(init), std::uint16_t(0x9000));
        t.nvm().armPowerCut(1, TearModel::FullyWritten);
        const Bytes r = load ? term.credit(init, 100, bad) : term.debit(init, 100, bad);
        QVERIFY(t.nvm().powerLost());
        QCOMPARE(swOf(r), std::uint16_t(0x6581));
        t.nvm().powerRestore();
        t.powerCycle();
        QCOMPARE(t.os().macFailures(), std::uint8_t(1));
        QCOMPARE(Terminal(t).balance(), std::uint32_t(5000));
        digests[bad ? 1 : 0] = digestOf(t);
    }
    QCOMPARE(digests[0], digests[1]);
}

void TestHardening::volatileStateBelongsToItsChannel()
{
    HostToken t;
    personalize(t);
    auto on = [&](ChannelId c, const std::string& apdu) { return toHex(t.process(hex(apdu), c)); };
    // Channel A verifies the PIN; channel B cannot spend on it.
    QCOMPARE(on(kA, "00A404000AD15600000145442F4550").substr(0, 2), std::string("6F"));
    QCOMPARE(on(kA, "0020000003123456"), std::string("9000"));
    QCOMPARE(on(kA, "00200000"), std::string("9000"));
    QCOMPARE(on(kB, "805000020B0100000064112233445566 10"), std::string("6982")); // load needs the PIN
    // B's command cleared A's state: A must verify again.
    QCOMPARE(on(kA, "00200000"), std::string("63C3"));
    // A challenge belongs to its channel too.
    QCOMPARE(swOf(t.process(hex("0084000004"), kA)), std::uint16_t(0x9000));
    QCOMPARE(on(kB, "841E00000400000000"), std::string("6984"));
    // A session of A cannot be completed by B (and A's completion after B's command finds no session).
    QCOMPARE(on(kA, "0020000003123456"), std::string("9000"));
    QCOMPARE(swOf(t.process(hex("805000020B0100000064112233445566 10"), kA)), std::uint16_t(0x9000));
    QCOMPARE(on(kB, "805200000B202501011200000000000004"), std::string("6901"));
    QCOMPARE(on(kA, "805200000B202501011200000000000004"), std::string("6901"));
    // The selection is not volatile security state: B still talks to the purse.
    QCOMPARE(on(kB, "805C000204"), std::string("000000009000"));
    // A personalisation session of one channel is closed by another channel's command.
    HostToken blank;
    QCOMPARE(swOf(blank.process(hex("0084000008"), kA)), std::uint16_t(0x9000));
    Issuer issuer(blank);
    QCOMPARE(swOf(issuer.openPersonalization(kKt)), std::uint16_t(0x9000)); // on the direct channel
    QCOMPARE(swOf(blank.process(hex("80CA000100"), kB)), std::uint16_t(0x9000));
    QCOMPARE(swOf(issuer.sendSecure(hex("84DA0002"), hex("000F4240"), kKt)), std::uint16_t(0x6982));
}

void TestHardening::sessionEndsOnAnyOtherCommand_data()
{
    QTest::addColumn<bool>("load");
    QTest::addColumn<QString>("between");
    for (const bool load : {true, false}) {
        const char* kind = load ? "load" : "purchase";
        QTest::newRow(qPrintable(QString("%1, GET BALANCE").arg(kind))) << load << "805C000204";
        QTest::newRow(qPrintable(QString("%1, VERIFY").arg(kind))) << load << "0020000003123456";
        QTest::newRow(qPrintable(QString("%1, VERIFY status").arg(kind))) << load << "00200000";
        QTest::newRow(qPrintable(QString("%1, READ RECORD").arg(kind))) << load << "00B201C417";
        QTest::newRow(qPrintable(QString("%1, READ BINARY").arg(kind))) << load << "00B0950000";
        QTest::newRow(qPrintable(QString("%1, SELECT").arg(kind))) << load << "00A404000AD15600000145442F4550";
        QTest::newRow(qPrintable(QString("%1, GET DATA").arg(kind))) << load << "80CA000100";
        QTest::newRow(qPrintable(QString("%1, GET CHALLENGE").arg(kind))) << load << "0084000004";
        QTest::newRow(qPrintable(QString("%1, unknown INS").arg(kind))) << load << "80FF000000";
        QTest::newRow(qPrintable(QString("%1, garbage").arg(kind))) << load << "80";
    }
}

void TestHardening::sessionEndsOnAnyOtherCommand()
{
    QFETCH(bool, load);
    QFETCH(QString, between);
    HostToken t;
    personalize(t, 0x00);
    Terminal term(t);
    QCOMPARE(swOf(term.load(5000)), std::uint16_t(0x9000));
    const Bytes init = load ? term.initLoad(100) : term.initPurchase(100);
    QCOMPARE(swOf(init), std::uint16_t(0x9000));
    (void)t.process(hex(between.toStdString()));
    const std::uint32_t before = digestOf(t);
    const Bytes r = load ? term.credit(init, 100) : term.debit(init, 100);
    QCOMPARE(toHex(r), std::string("6901"));
    QCOMPARE(digestOf(t), before);
    QCOMPARE(term.balance(), std::uint32_t(5000));
}

void TestHardening::zeroAmountsRefused()
{
    HostToken t;
    personalize(t, 0x00);
    Terminal term(t);
    QCOMPARE(swOf(term.load(500)), std::uint16_t(0x9000));
    const std::uint32_t before = digestOf(t);
    QCOMPARE(toHex(term.initLoad(0)), std::string("6A80"));
    QCOMPARE(toHex(term.initPurchase(0)), std::string("6A80"));
    QCOMPARE(digestOf(t), before);
}

void TestHardening::secureMessagingFailuresAreCounted()
{
    HostToken t;
    personalize(t);
    Issuer issuer(t);
    const Bytes wrong = hex("00000000000000000000000000000000");
    // 14 wrong MACs, a power cycle (the count is in NVM), then a good one resets the count.
    for (int i = 0; i < 14; ++i) {
        QCOMPARE(swOf(issuer.sendSecure(hex("04D69500"), hex("00"), wrong)), std::uint16_t(0x6988));
    }
    QCOMPARE(t.os().smFailures(), std::uint8_t(14));
    t.powerCycle();
    QCOMPARE(t.os().smFailures(), std::uint8_t(14));
    QCOMPARE(swOf(issuer.sendSecure(hex("04D69500"), hex("00"), kDamk)), std::uint16_t(0x9000));
    QCOMPARE(t.os().smFailures(), std::uint8_t(0));
    // 15 in a row block the application for good.
    for (int i = 0; i < 15; ++i) {
        QCOMPARE(swOf(issuer.sendSecure(hex("04D69500"), hex("00"), wrong)), std::uint16_t(0x6988));
    }
    QCOMPARE(t.os().lifeCycle(), LifeCycle::BlockedPermanent);
    QCOMPARE(toHex(Terminal(t).select()), std::string("9303"));
    t.powerCycle();
    QCOMPARE(toHex(Terminal(t).select()), std::string("9303"));
    QCOMPARE(swOf(issuer.sendSecure(hex("84180000"), {}, kDamk)), std::uint16_t(0x9303));
}

void TestHardening::externalAuthenticateRules()
{
    HostToken t;
    QCOMPARE(swOf(Terminal(t).select()), std::uint16_t(0x9000));
    Issuer issuer(t);
    // A 4-byte challenge is not enough.
    QCOMPARE(swOf(t.process(hex("0084000004"))), std::uint16_t(0x9000));
    QCOMPARE(toHex(t.process(hex("00820000080000000000000000"))), std::string("6984"));
    // A wrong cryptogram is counted and closes an open personalisation session.
    QCOMPARE(swOf(issuer.openPersonalization(kKt)), std::uint16_t(0x9000));
    QCOMPARE(swOf(t.process(hex("0084000008"))), std::uint16_t(0x9000));
    QCOMPARE(toHex(t.process(hex("00820000080000000000000000"))), std::string("6300"));
    QCOMPARE(t.os().smFailures(), std::uint8_t(1));
    QCOMPARE(swOf(issuer.sendSecure(hex("84DA0002"), hex("000F4240"), kKt)), std::uint16_t(0x6982));
    // A good one resets the count.
    QCOMPARE(swOf(issuer.openPersonalization(kKt)), std::uint16_t(0x9000));
    QCOMPARE(t.os().smFailures(), std::uint8_t(0));
    // 15 wrong KT cryptograms in a row end the blank token for good.
    for (int i = 0; i < 15; ++i) {
        QCOMPARE(swOf(t.process(hex("0084000008"))), std::uint16_t(0x9000));
        QCOMPARE(toHex(t.process(hex("00820000080000000000000000"))), std::string("6300"));
    }
    QCOMPARE(t.os().lifeCycle(), LifeCycle::BlockedPermanent);
    QCOMPARE(swOf(issuer.openPersonalization(kKt)), std::uint16_t(0x9303));
}

void TestHardening::sessionKeyWipedOnEveryExit()
{
    // The load session key SESLK = 3DES(DLK, rnd ‖ ATC ‖ 8000) with the card random forced: compute it here and look
    // for it in the card OS's RAM after each way a session can end.
    HostToken t;
    personalize(t, 0x00);
    Terminal term(t);
    const Bytes random = hex("0A0B0C0D");
    auto sessionKey = [&](std::uint16_t atc) {
        Bytes seed = cat({random, Bytes{static_cast<std::uint8_t>(atc >> 8), static_cast<std::uint8_t>(atc)}});
        seed.push_back(0x80);
        seed.push_back(0x00);
        Bytes out(8);
        if (!term.crypto.ecb(kAlg3Des, true, key16(term.dlk), seed, out)) {
            qFatal("ecb failed");
        }
        return out;
    };
    struct Ending
    {
        const char* name;
        std::function<void(const Bytes& init)> end;
    };
    const Ending endings[] = {
        {"completed", [&](const Bytes& init) { QCOMPARE(swOf(term.credit(init, 10)), std::uint16_t(0x9000)); }},
        {"bad MAC2", [&](const Bytes& init) { QCOMPARE(swOf(term.credit(init, 10, true)), std::uint16_t(0x9302)); }},
        {"another command", [&](const Bytes&) { QCOMPARE(swOf(t.process(hex("805C000204"))), std::uint16_t(0x9000)); }},
        {"another channel", [&](const Bytes&) { (void)t.process(hex("80CA000100"), kB); }},
        {"malformed CREDIT", [&](const Bytes&) { (void)t.process(hex("805200000A20250101120000000000")); }},
    };
    for (const Ending& e : endings) {
        std::uint16_t atc = 0;
        {
            const Bytes probe = term.initLoad(10);
            atc = static_cast<std::uint16_t>(probe[4] << 8 | probe[5]);
        }
        t.rng().force(random);
        const Bytes init = term.initLoad(10);
        QCOMPARE(swOf(init), std::uint16_t(0x9000));
        const Bytes key = sessionKey(atc);
        QVERIFY2(memoryHolds(t.os(), key), "the test must find the live session key");
        e.end(init);
        QVERIFY2(!memoryHolds(t.os(), key), e.name);
    }
}

void TestHardening::rangeChecksAtPowerOn_data()
{
    QTest::addColumn<int>("item");
    QTest::addColumn<int>("offset");
    QTest::addColumn<int>("value");
    // Config item: aidLength 1 ‖ aid 16 ‖ labelLength 1 ‖ label 16 ‖ maxBalance 4 ‖ noPinLimit 4 ‖ policy 1 ‖
    // capacity 1. Purse item: balance 4 ‖ online 2 ‖ offline 2 ‖ log head 1 ‖ count 1.
    QTest::newRow("record capacity 0") << int(items::kConfig) << 43 << 0;
    QTest::newRow("record capacity 101") << int(items::kConfig) << 43 << 101;
    QTest::newRow("record capacity 255") << int(items::kConfig) << 43 << 255;
    QTest::newRow("AID length 0") << int(items::kConfig) << 0 << 0;
    QTest::newRow("AID length 17") << int(items::kConfig) << 0 << 17;
    QTest::newRow("label length 200") << int(items::kConfig) << 17 << 200;
    QTest::newRow("policy bit 7") << int(items::kConfig) << 42 << 0x83;
    QTest::newRow("log head past capacity") << int(items::kPurse) << 8 << 10;
    QTest::newRow("log head 255") << int(items::kPurse) << 8 << 255;
    QTest::newRow("log count past capacity") << int(items::kPurse) << 9 << 11;
}

void TestHardening::rangeChecksAtPowerOn()
{
    QFETCH(int, item);
    QFETCH(int, offset);
    QFETCH(int, value);
    HostToken t;
    personalize(t, 0x00);
    {
        Terminal term(t);
        QCOMPARE(swOf(term.load(900)), std::uint16_t(0x9000));
        QCOMPARE(swOf(term.purchase(100)), std::uint16_t(0x9000));
    }
    // Rewrite one item through the journal, as a corrupted (or maliciously written) image would hold it.
    Journal& j = t.os().journal();
    std::array<std::uint8_t, kMaxItemSize> buf{};
    std::size_t n = 0;
    QVERIFY(j.read(static_cast<std::uint8_t>(item), buf, n) == StoreStatus::Ok);
    QVERIFY(n > static_cast<std::size_t>(offset));
    buf[static_cast<std::size_t>(offset)] = static_cast<std::uint8_t>(value);
    JournalBatch b;
    QVERIFY(b.add(static_cast<std::uint8_t>(item), std::span<const std::uint8_t>(buf.data(), n)));
    QVERIFY(j.commit(b) == StoreStatus::Ok);
    t.powerCycle();
    QVERIFY(t.os().halted());
    Terminal term(t);
    // The purse refuses to run (6581); nothing divides by zero or writes past the log; GET DATA still answers.
    QCOMPARE(toHex(term.select()), std::string("6581"));
    QCOMPARE(toHex(t.process(hex("805C000204"))), std::string("6581"));
    QCOMPARE(toHex(t.process(hex("00B201C417"))), std::string("6581"));
    QCOMPARE(toHex(term.initPurchase(1)), std::string("6581"));
    QCOMPARE(swOf(t.process(hex("80CA000100"))), std::uint16_t(0x9000));
}

void TestHardening::poisonedBatchIsNeverCommitted()
{
    HostToken t;
    personalize(t);
    const auto image = t.nvm().image();
    JournalBatch b;
    const std::uint8_t one = 1;
    QVERIFY(b.add(items::kMacFailures, std::span<const std::uint8_t>(&one, 1)));
    std::array<std::uint8_t, kMaxItemSize + 1> tooBig{};
    QVERIFY(!b.add(items::kSfi16, tooBig)); // one item too large: the whole batch is poisoned
    QVERIFY(b.failed());
    QVERIFY(t.os().journal().commit(b) == StoreStatus::Fault);
    QVERIFY(t.nvm().image() == image);
    // A full batch poisons it too.
    JournalBatch full;
    const std::array<std::uint8_t, kMaxItemSize> chunk{};
    bool added = true;
    for (std::uint8_t id = 0; added; ++id) {
        added = full.add(id, chunk);
    }
    QVERIFY(full.failed());
    QVERIFY(t.os().journal().commit(full) == StoreStatus::Fault);
    QVERIFY(t.nvm().image() == image);
}

QTEST_GUILESS_MAIN(TestHardening)
#include "TestHardening.moc"
