// SPDX-License-Identifier: Apache-2.0
// The token side of spec/token-hid.md, rule by rule: the real HidPacketLayer and card OS behind a fake endpoint and
// a clock the test sets.
#include "support/FirmwareLink.h"
#include "support/Packets.h"

#include <QTest>

using namespace testsupport;

namespace {

constexpr std::uint32_t kBroadcast = 0xFFFFFFFF;
constexpr std::uint8_t kPing = 0x01, kLock = 0x04, kInit = 0x06, kWink = 0x08, kCancel = 0x11, kKeepAlive = 0x3B,
                       kError = 0x3F, kApdu = 0x40;
const std::vector<std::uint8_t> kNonce{1, 2, 3, 4, 5, 6, 7, 8};
const std::vector<std::uint8_t> kGetData{0x80, 0xCA, 0x00, 0x01, 0x00};

std::vector<std::uint8_t> bytes(std::size_t n, std::uint8_t seed = 0)
{
    std::vector<std::uint8_t> v(n);
    for (std::size_t i = 0; i < n; ++i) {
        v[i] = static_cast<std::uint8_t>(i * 7 + seed);
    }
    return v;
}

} // namespace

class TestHidPacketLayer : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<FirmwareLink> m_link;

    std::vector<Message> run(const std::vector<Packet>& packets)
    {
        m_link->deliver(packets);
        return decode(m_link->takeOutput());
    }

    std::uint32_t allocate()
    {
        const auto out = run(message(kBroadcast, kInit, kNonce));
        if (out.size() != 1 || out[0].payload.size() != 19) {
            return 0;
        }
        const auto& p = out[0].payload;
        return (std::uint32_t(p[8]) << 24) | (std::uint32_t(p[9]) << 16) | (std::uint32_t(p[10]) << 8) | p[11];
    }

    static void expectError(const std::vector<Message>& out, std::uint32_t cid, std::uint8_t code)
    {
        QCOMPARE(out.size(), std::size_t(1));
        QCOMPARE(out[0].cid, cid);
        QCOMPARE(out[0].cmd, kError);
        QCOMPARE(out[0].payload, std::vector<std::uint8_t>{code});
    }

private slots:
    void init() { m_link = std::make_unique<FirmwareLink>(); }

    void initAllocatesChannel()
    {
        const auto out = run(message(kBroadcast, kInit, kNonce));
        QCOMPARE(out.size(), std::size_t(1));
        QCOMPARE(out[0].cid, kBroadcast); // the answer comes on the broadcast CID
        QCOMPARE(out[0].cmd, kInit);
        QCOMPARE(out[0].payload.size(), std::size_t(19)); // 17 + the APDU bound (docs/transport.md)
        QCOMPARE(std::vector<std::uint8_t>(out[0].payload.begin(), out[0].payload.begin() + 8), kNonce);
        const auto& p = out[0].payload;
        const std::uint32_t cid
            = (std::uint32_t(p[8]) << 24) | (std::uint32_t(p[9]) << 16) | (std::uint32_t(p[10]) << 8) | p[11];
        QVERIFY(cid != 0 && cid != kBroadcast);
        QCOMPARE(p[12], std::uint8_t(2)); // protocol version
        QCOMPARE(p[16], std::uint8_t(0x07)); // WINK | LOCK | bounded APDUs
        QCOMPARE((std::size_t(p[17]) << 8) | p[18], std::size_t(261)); // the bound: a short APDU
        QVERIFY(allocate() != cid); // a second INIT gets another channel
    }

    void initWithWrongNonceLength_data()
    {
        QTest::addColumn<int>("length");
        QTest::newRow("empty") << 0;
        QTest::newRow("7") << 7;
        QTest::newRow("9") << 9;
    }
    void initWithWrongNonceLength()
    {
        QFETCH(int, length);
        expectError(run(message(kBroadcast, kInit, bytes(static_cast<std::size_t>(length)))), kBroadcast, 0x03);
    }

    void initOnAllocatedChannelResyncs()
    {
        const std::uint32_t cid = allocate();
        // A long PING is under way ...
        QVERIFY(run({initPacket(cid, kPing, 200, bytes(57))}).empty()); // (≤ the 261-byte buffer)
        // ... INIT on the same CID drops it and answers on that CID with the same CID.
        const auto out = run(message(cid, kInit, kNonce));
        QCOMPARE(out.size(), std::size_t(1));
        QCOMPARE(out[0].cid, cid);
        QCOMPARE(out[0].cmd, kInit);
        const auto& p = out[0].payload;
        QCOMPARE((std::uint32_t(p[8]) << 24) | (std::uint32_t(p[9]) << 16) | (std::uint32_t(p[10]) << 8) | p[11], cid);
        // The rest of the dropped message is a continuation with no open message: ignored.
        QVERIFY(run({contPacket(cid, 0, bytes(59))}).empty());
    }

    void channelRules_data()
    {
        QTest::addColumn<int>("which");
        QTest::addColumn<int>("code");
        QTest::newRow("non-INIT on broadcast") << 0 << 0x0B;
        QTest::newRow("unallocated CID") << 1 << 0x0B;
        QTest::newRow("CID 0") << 2 << 0x0B;
        QTest::newRow("unknown command") << 3 << 0x01;
        QTest::newRow("KEEPALIVE from host") << 4 << 0x01;
        QTest::newRow("ERROR from host") << 5 << 0x01;
        QTest::newRow("empty APDU") << 6 << 0x03;
        QTest::newRow("LOCK too long") << 7 << 0x02;
        QTest::newRow("LOCK two bytes") << 8 << 0x03;
        QTest::newRow("WINK with data") << 9 << 0x03;
    }
    void channelRules()
    {
        QFETCH(int, which);
        QFETCH(int, code);
        const std::uint32_t cid = allocate();
        std::uint32_t target = cid;
        std::vector<Packet> p;
        switch (which) {
        case 0:
            target = kBroadcast;
            p = message(kBroadcast, kPing, {1});
            break;
        case 1:
            target = cid + 1000;
            p = message(cid + 1000, kPing, {1});
            break;
        case 2:
            target = 0;
            p = message(0, kPing, {1});
            break;
        case 3:
            p = message(cid, 0x22, {});
            break;
        case 4:
            p = message(cid, kKeepAlive, {1});
            break;
        case 5:
            p = message(cid, kError, {1});
            break;
        case 6:
            p = message(cid, kApdu, {});
            break;
        case 7:
            p = message(cid, kLock, {11});
            break;
        case 8:
            p = message(cid, kLock, {1, 1});
            break;
        case 9:
            p = message(cid, kWink, {1});
            break;
        }
        expectError(run(p), target, static_cast<std::uint8_t>(code));
    }

    void pingEchoes_data()
    {
        QTest::addColumn<int>("size");
        for (int n : {0, 1, 57, 58, 116, 117, 261}) {
            QTest::newRow(QByteArray::number(n).constData()) << n;
        }
    }
    void pingEchoes()
    {
        QFETCH(int, size);
        const std::uint32_t cid = allocate();
        const auto payload = bytes(static_cast<std::size_t>(size), 3);
        const auto out = run(message(cid, kPing, payload));
        QCOMPARE(out.size(), std::size_t(1));
        QCOMPARE(out[0].cid, cid);
        QCOMPARE(out[0].cmd, kPing);
        QVERIFY(out[0].complete);
        QCOMPARE(out[0].payload, payload);
    }

    void apduReachesCardOs()
    {
        const std::uint32_t cid = allocate();
        const auto out = run(message(cid, kApdu, kGetData));
        QCOMPARE(out.size(), std::size_t(1));
        QCOMPARE(out[0].cmd, kApdu);
        const auto direct = m_link->token.process(kGetData); // same answer as the card OS gives directly
        QCOMPARE(out[0].payload, direct);
        QCOMPARE(out[0].payload.at(out[0].payload.size() - 2), std::uint8_t(0x90));
        QCOMPARE(m_link->layer.counters().apdus, 1u);
    }

    void apduUpToTheBoundIsCarried()
    {
        const std::uint32_t cid = allocate();
        // An extended case-3 APDU of exactly 261 bytes (the bound) reaches the card OS whole.
        std::vector<std::uint8_t> apdu{0x80, 0xEE, 0x00, 0x00, 0x00, 0x00, 254};
        const auto data = bytes(254);
        apdu.insert(apdu.end(), data.begin(), data.end());
        QCOMPARE(apdu.size(), std::size_t(261));
        const auto out = run(message(cid, kApdu, apdu));
        QCOMPARE(out.size(), std::size_t(1));
        QCOMPARE(out[0].cmd, kApdu);
        QCOMPARE(out[0].payload, m_link->token.process(apdu)); // whatever the OS says, it got the whole APDU
        QCOMPARE(out[0].payload, (std::vector<std::uint8_t>{0x6D, 0x00})); // unknown INS, not 6700: the length was fine
    }

    void apduBeyondTheBoundAnswers6700()
    {
        const std::uint32_t cid = allocate();
        // 262 bytes, and 7000 data bytes (all 128 continuations): received without being stored, answered 6700.
        for (std::size_t n : {std::size_t(255), std::size_t(7000)}) {
            std::vector<std::uint8_t> apdu{
                0x00, 0xDB, 0x3F, 0xFF, 0x00, static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
            const auto data = bytes(n);
            apdu.insert(apdu.end(), data.begin(), data.end());
            const auto out = run(message(cid, kApdu, apdu));
            QCOMPARE(out.size(), std::size_t(1));
            QCOMPARE(out[0].cmd, kApdu);
            QCOMPARE(out[0].payload, (std::vector<std::uint8_t>{0x67, 0x00}));
        }
        // The channel goes on; a PING longer than the buffer is refused with "invalid length".
        QCOMPARE(run(message(cid, kApdu, kGetData)).at(0).payload.back(), std::uint8_t(0x00));
        expectError(run({initPacket(cid, kPing, 262, bytes(57))}), cid, 0x03);
        QVERIFY(run({contPacket(cid, 0, bytes(59))}).empty()); // nothing was opened
    }

    void continuationWithoutMessageIgnored()
    {
        const std::uint32_t cid = allocate();
        QVERIFY(run({contPacket(cid, 0, bytes(59)), contPacket(cid, 5), contPacket(kBroadcast, 0)}).empty());
        QCOMPARE(m_link->layer.counters().errorsSent, 0u);
    }

    void wrongSequenceDropsMessage()
    {
        const std::uint32_t cid = allocate();
        auto packets = message(cid, kPing, bytes(200));
        QVERIFY(run({packets[0], packets[1]}).empty());
        Packet bad = packets[2];
        bad[4] = 5; // expected 1
        expectError(run({bad}), cid, 0x04);
        QVERIFY(run({packets[2], packets[3]}).empty()); // the rest belongs to a dropped message: ignored
        QCOMPARE(run(message(cid, kPing, {9})).size(), std::size_t(1)); // the channel still works
    }

    void newInitPacketMidMessage()
    {
        const std::uint32_t cid = allocate();
        auto packets = message(cid, kPing, bytes(200));
        QVERIFY(run({packets[0]}).empty());
        expectError(run(message(cid, kPing, {1})), cid, 0x04);
        QVERIFY(run({packets[1], packets[2], packets[3]}).empty());
    }

    void oversizedLengthRejectedBeforeBuffering()
    {
        const std::uint32_t cid = allocate();
        expectError(run({initPacket(cid, kApdu, 7610, bytes(57))}), cid, 0x03);
        QVERIFY(run({contPacket(cid, 0, bytes(59))}).empty()); // nothing was opened
        expectError(run({initPacket(cid, kApdu, 0xFFFF)}), cid, 0x03);
    }

    void messageTimeout_data()
    {
        QTest::addColumn<int>("elapsed");
        QTest::addColumn<bool>("timesOut");
        QTest::newRow("499 ms") << 499 << false;
        QTest::newRow("500 ms") << 500 << true;
        QTest::newRow("5 s") << 5000 << true;
    }
    void messageTimeout()
    {
        QFETCH(int, elapsed);
        QFETCH(bool, timesOut);
        const std::uint32_t cid = allocate();
        auto packets = message(cid, kPing, bytes(100));
        QVERIFY(run({packets[0]}).empty());
        m_link->clock.now += static_cast<std::uint32_t>(elapsed);
        const auto out = run({});
        if (timesOut) {
            expectError(out, cid, 0x05);
            QVERIFY(run({packets[1]}).empty()); // dropped
        } else {
            QVERIFY(out.empty());
            const auto done = run({packets[1]});
            QCOMPARE(done.size(), std::size_t(1));
            QCOMPARE(done[0].payload, bytes(100));
        }
    }

    void otherChannelsBusyDuringMessage()
    {
        const std::uint32_t a = allocate();
        const std::uint32_t b = allocate();
        auto packets = message(a, kPing, bytes(150));
        QVERIFY(run({packets[0]}).empty());
        expectError(run(message(b, kPing, {1})), b, 0x06);
        expectError(run(message(kBroadcast, kInit, kNonce)), kBroadcast, 0x06);
        QVERIFY(run({contPacket(b, 0)}).empty()); // B's continuation: B has no open message
        const auto out = run({packets[1], packets[2]});
        QCOMPARE(out.size(), std::size_t(1));
        QCOMPARE(out[0].cid, a);
        QCOMPARE(out[0].payload, bytes(150));
        QCOMPARE(run(message(b, kPing, {1})).size(), std::size_t(1)); // free again
    }

    void twoChannelsInterleavedWholeMessages()
    {
        const std::uint32_t a = allocate();
        const std::uint32_t b = allocate();
        const auto out = run({message(a, kApdu, kGetData)[0], message(b, kPing, {7, 7})[0], message(a, kPing, {1})[0]});
        QCOMPARE(out.size(), std::size_t(3));
        QCOMPARE(out[0].cid, a);
        QCOMPARE(out[0].cmd, kApdu);
        QCOMPARE(out[1].cid, b);
        QCOMPARE(out[1].payload, (std::vector<std::uint8_t>{7, 7}));
        QCOMPARE(out[2].cid, a);
    }

    void lockReservesTheKey()
    {
        const std::uint32_t a = allocate();
        const std::uint32_t b = allocate();
        const auto locked = run(message(a, kLock, {5}));
        QCOMPARE(locked.size(), std::size_t(1));
        QCOMPARE(locked[0].cmd, kLock);
        QVERIFY(locked[0].payload.empty());
        expectError(run(message(b, kPing, {1})), b, 0x0A);
        expectError(run(message(kBroadcast, kInit, kNonce)), kBroadcast, 0x0A);
        QCOMPARE(run(message(a, kPing, {1})).size(), std::size_t(1)); // the holder works
        m_link->clock.now += 4999;
        expectError(run(message(b, kPing, {1})), b, 0x0A);
        m_link->clock.now += 1;
        QCOMPARE(run(message(b, kPing, {1}))[0].cmd, kPing); // expired
        // LOCK 0 releases early.
        QCOMPARE(run(message(a, kLock, {10}))[0].cmd, kLock);
        QCOMPARE(run(message(a, kLock, {0}))[0].cmd, kLock);
        QCOMPARE(run(message(b, kPing, {1}))[0].cmd, kPing);
    }

    void winkBlinks()
    {
        const std::uint32_t cid = allocate();
        const unsigned before = m_link->token.presence().winks();
        const auto out = run(message(cid, kWink, {}));
        QCOMPARE(out.size(), std::size_t(1));
        QCOMPARE(out[0].cmd, kWink);
        QCOMPARE(m_link->token.presence().winks(), before + 1);
    }

    void cancelWithNothingPendingIsSilent()
    {
        const std::uint32_t cid = allocate();
        QVERIFY(run(message(cid, kCancel, {})).empty());
        QCOMPARE(m_link->layer.counters().errorsSent, 0u);
    }

    void serviceWhileIdleAnswersBusyAndNoKeepAlive()
    {
        const std::uint32_t cid = allocate();
        m_link->endpoint.in.push_back(message(cid, kPing, {1})[0]);
        m_link->endpoint.in.push_back(contPacket(cid, 0));
        QVERIFY(!m_link->layer.serviceWhileBusy(skey::wire::KeepAliveStatus::UserPresenceNeeded));
        const auto out = decode(m_link->takeOutput());
        expectError(out, cid, 0x06); // no KEEPALIVE: no HID APDU is running
    }

    void resetForgetsChannels()
    {
        const std::uint32_t cid = allocate();
        QVERIFY(run({initPacket(cid, kPing, 100, bytes(57))}).empty());
        m_link->layer.reset();
        expectError(run(message(cid, kPing, {1})), cid, 0x0B);
        QVERIFY(allocate() != 0);
    }

    void unpluggedHostLosesAnswerWithoutHarm()
    {
        const std::uint32_t cid = allocate();
        m_link->endpoint.unplugged = true;
        QVERIFY(run(message(cid, kApdu, kGetData)).empty());
        m_link->endpoint.unplugged = false;
        QCOMPARE(run(message(cid, kApdu, kGetData))[0].cmd, kApdu);
    }
};

QTEST_GUILESS_MAIN(TestHidPacketLayer)
#include "TestHidPacketLayer.moc"
