// SPDX-License-Identifier: Apache-2.0
// HidApduChannel against the real firmware packet layer in-process, and against a scripted key that misbehaves.
#include "PivClient.h"
#include "device/ApduChaining.h"
#include "device/HidApduChannel.h"
#include "device/HidFraming.h"
#include "skey/Version.h"
#include "support/FirmwareLink.h"
#include "support/Packets.h"

#include <QElapsedTimer>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <deque>
#include <functional>

using namespace wallet;
using namespace wallet::device;
using skey::wire::Cmd;

namespace {

/// A key whose answers a test scripts: `responder` sees every report the host writes and returns what the key sends.
class ScriptedTransport final : public Transport
{
public:
    std::function<std::vector<Report>(const Report&)> responder;
    core::Result<void> open() override
    {
        m_open = true;
        return {};
    }
    void close() override { m_open = false; }
    bool isOpen() const override { return m_open; }
    core::Result<void> write(const Report& r) override
    {
        for (const auto& out : responder(r)) {
            m_queue.push_back(out);
        }
        return {};
    }
    core::Result<std::optional<Report>> read(int) override
    {
        if (m_queue.empty()) {
            return std::optional<Report>{};
        }
        auto r = m_queue.front();
        m_queue.pop_front();
        return std::optional<Report>(r);
    }
    QString description() const override { return QStringLiteral("scripted key"); }
    bool isSimulated() const override { return true; }

private:
    std::deque<Report> m_queue;
    bool m_open = false;
};

/// A key whose answers take time: the reply to a write is a list of reports, each released `gapMs` after the
/// previous one was read; read() waits for it (up to its timeout), so time really passes between the reports.
class PacedTransport final : public Transport
{
public:
    std::function<std::vector<Report>(const Report&)> responder;
    std::function<bool(const Report&)> immediate; ///< reports answered at once (INIT)
    int gapMs = 0;
    core::Result<void> open() override
    {
        m_open = true;
        return {};
    }
    void close() override { m_open = false; }
    bool isOpen() const override { return m_open; }
    core::Result<void> write(const Report& r) override
    {
        m_paced = !(immediate && immediate(r));
        for (const auto& out : responder(r)) {
            m_queue.push_back(out);
        }
        m_clock.start();
        return {};
    }
    core::Result<std::optional<Report>> read(int timeoutMs) override
    {
        if (m_queue.empty()) {
            QThread::msleep(static_cast<unsigned long>(std::max(0, timeoutMs)));
            return std::optional<Report>{};
        }
        const qint64 wait = m_paced ? gapMs - m_clock.elapsed() : 0;
        if (wait > timeoutMs) {
            QThread::msleep(static_cast<unsigned long>(std::max(0, timeoutMs)));
            return std::optional<Report>{};
        }
        if (wait > 0) {
            QThread::msleep(static_cast<unsigned long>(wait));
        }
        auto r = m_queue.front();
        m_queue.pop_front();
        m_clock.start(); // the next report comes gapMs after this one
        return std::optional<Report>(r);
    }
    QString description() const override { return QStringLiteral("paced scripted key"); }
    bool isSimulated() const override { return true; }

private:
    std::deque<Report> m_queue;
    QElapsedTimer m_clock;
    bool m_paced = false;
    bool m_open = false;
};

constexpr std::uint32_t kCid = 0x11223344;

/// The INIT answer for the nonce in `request`, with protocol version `version`.
std::vector<Report> initAnswer(const Report& request, std::uint8_t version = 2)
{
    std::vector<std::uint8_t> p(request.begin() + 7, request.begin() + 15);
    p.insert(p.end(), {0x11, 0x22, 0x33, 0x44, version, 0, 1, 0, 3});
    return testsupport::message(0xFFFFFFFF, 0x06, p);
}

bool isInit(const Report& r)
{
    return r[4] == 0x86;
}

HidChannelOptions quick()
{
    HidChannelOptions o;
    o.replyTimeoutMs = 200;
    o.busyRetryMs = 300;
    return o;
}

const QByteArray kGetData = QByteArray::fromHex("80CA000100");

} // namespace

class TestHidApduChannel : public QObject
{
    Q_OBJECT
private slots:
    void connectAndTransmit()
    {
        auto link = std::make_shared<testsupport::FirmwareLink>();
        HidApduChannel channel(std::make_unique<testsupport::FirmwareLinkTransport>(link));
        auto hello = channel.connect();
        QVERIFY2(hello, qPrintable(hello ? QString() : hello.error().detail));
        QCOMPARE(hello->protocolVersion, std::uint8_t(2));
        QCOMPARE(hello->firmwareMajor, skey::kFirmwareMajor);
        QCOMPARE(hello->capabilities, std::uint8_t(0x07)); // WINK | LOCK | bounded APDUs
        QCOMPARE(hello->maxApdu, std::size_t(261));

        const auto sentBefore = channel.reportsSent();
        const auto receivedBefore = channel.reportsReceived();
        auto r = channel.transmit(core::CommandApdu(0x80, 0xCA, 0x00, 0x01, {}, 0));
        QVERIFY(r);
        QCOMPARE(r->sw(), std::uint16_t(0x9000));
        const QByteArray direct = [&] {
            const auto v = link->token.process(std::vector<std::uint8_t>{0x80, 0xCA, 0x00, 0x01, 0x00});
            return QByteArray(reinterpret_cast<const char*>(v.data()), static_cast<int>(v.size()));
        }();
        QCOMPARE(r->encode(), direct);
        // A purse-sized APDU takes one report each way.
        QCOMPARE(channel.reportsSent() - sentBefore, 1u);
        QCOMPARE(channel.reportsReceived() - receivedBefore, 1u);
    }

    void pingSizes_data()
    {
        QTest::addColumn<int>("size");
        for (int n : {0, 57, 58, 261}) {
            QTest::newRow(QByteArray::number(n).constData()) << n;
        }
    }
    void pingSizes()
    {
        QFETCH(int, size);
        auto link = std::make_shared<testsupport::FirmwareLink>();
        HidApduChannel channel(std::make_unique<testsupport::FirmwareLinkTransport>(link));
        QByteArray data(size, 'x');
        for (int i = 0; i < size; ++i) {
            data[i] = static_cast<char>(i);
        }
        auto r = channel.ping(data);
        QVERIFY(r);
        QCOMPARE(r.value(), data);
    }

    // Bounded APDUs (docs/transport.md): the host chains a 2 KiB PUT DATA through the real packet layer and card OS,
    // and reads it back through 61xx / GET RESPONSE, transparently for the caller.
    void chainsLongPivObjectsTransparently()
    {
        auto link = std::make_shared<testsupport::FirmwareLink>();
        HidApduChannel channel(std::make_unique<testsupport::FirmwareLinkTransport>(link));
        const auto tx = [&](const QByteArray& apdu) {
            auto r = channel.transmitRaw(apdu);
            return r ? r.value() : QByteArray();
        };
        const auto swOf = [](const QByteArray& r) { return r.size() < 2 ? 0 : chaining::statusWord(r); };
        QCOMPARE(swOf(tx(QByteArray::fromHex("00A4040005A000000308"))), 0x9000);
        // Management-key authentication (witness flow).
        const QByteArray r1 = tx(QByteArray::fromHex("0087039B047C028000"));
        QCOMPARE(r1.size(), 14);
        skey::test::Bytes witness(r1.begin() + 4, r1.begin() + 12);
        skey::test::PivClient::tdes(skey::test::kPivDefaultMgmtKey, witness, false);
        const QByteArray r2 = tx(QByteArray::fromHex("0087039B167C148008")
            + QByteArray(reinterpret_cast<const char*>(witness.data()), 8)
            + QByteArray::fromHex("81081122334455667788"));
        QCOMPARE(swOf(r2), 0x9000);

        QByteArray content(2048, Qt::Uninitialized);
        for (int i = 0; i < content.size(); ++i) {
            content[i] = static_cast<char>(i * 13 + 5);
        }
        // One extended PUT DATA of 2,066 bytes: far beyond the 261-byte bound, so the channel chains it.
        const QByteArray body = QByteArray::fromHex("5C035FC10553820800") + content;
        QByteArray put = QByteArray::fromHex("00DB3FFF00");
        put.append(static_cast<char>(body.size() >> 8)).append(static_cast<char>(body.size() & 0xFF)).append(body);
        const auto apdusBefore = link->layer.counters().apdus;
        QCOMPARE(swOf(tx(put)), 0x9000);
        QCOMPARE(link->layer.counters().apdus - apdusBefore, 9u); // 2,057 data bytes in links of 255
        // Read back with one extended GET DATA (Le 0000): the key answers 256 bytes and 61xx, the channel collects.
        const auto readBefore = link->layer.counters().apdus;
        const QByteArray got = tx(QByteArray::fromHex("00CB3FFF0000055C035FC1050000"));
        QCOMPARE(swOf(got), 0x9000);
        QCOMPARE(got.left(got.size() - 2), QByteArray::fromHex("53820800") + content);
        QCOMPARE(link->layer.counters().apdus - readBefore, 9u); // GET DATA + 8 GET RESPONSE (2,052 / 256)
        // The key itself answers in parts: 256 bytes and 61 00.
        const auto direct = link->token.process(
            std::vector<std::uint8_t>{0x00, 0xCB, 0x3F, 0xFF, 0x05, 0x5C, 0x03, 0x5F, 0xC1, 0x05, 0x00});
        QCOMPARE(direct.size(), std::size_t(258));
        QCOMPARE(direct[256], std::uint8_t(0x61));
        // A refused link ends the chain and is the answer: PUT DATA without the management key (a new SELECT).
        QCOMPARE(swOf(tx(QByteArray::fromHex("00A4040005A000000308"))), 0x9000);
        const auto refusedBefore = link->layer.counters().apdus;
        QCOMPARE(swOf(tx(put)), 0x6982);
        QCOMPARE(link->layer.counters().apdus - refusedBefore, 1u);
    }

    void oversizedApduWithoutChainingGets6700()
    {
        auto link = std::make_shared<testsupport::FirmwareLink>();
        HidApduChannel channel(std::make_unique<testsupport::FirmwareLinkTransport>(link));
        QVERIFY(channel.connect());
        // Past the channel's chaining (a raw APDU message): 262 bytes and 2,066 bytes, answered 6700 by the key.
        for (int n : {255, 2057}) {
            QByteArray apdu = QByteArray::fromHex("00DB3FFF00");
            apdu.append(static_cast<char>(n >> 8)).append(static_cast<char>(n & 0xFF)).append(QByteArray(n, 'A'));
            auto r = channel.request(Cmd::Apdu, apdu);
            QVERIFY(r);
            QCOMPARE(r.value(), QByteArray::fromHex("6700"));
        }
        // Exactly the bound is carried (CLA 80, unknown INS EE: 6D00 from the card OS, not 6700).
        QByteArray exact = QByteArray::fromHex("80EE00000000FE") + QByteArray(254, 'B');
        QCOMPARE(exact.size(), 261);
        auto r = channel.request(Cmd::Apdu, exact);
        QVERIFY(r);
        QCOMPARE(r.value(), QByteArray::fromHex("6D00"));
    }

    void splitsIntoShortLinks()
    {
        // Case 4 extended, 600 data bytes, Le 0000 -> 255 + 255 + 90, CLA 10 on the first two, Le 00 on the last.
        QByteArray apdu = QByteArray::fromHex("00DB3FFF000258") + QByteArray(600, 'x') + QByteArray::fromHex("0000");
        const auto links = chaining::split(apdu);
        QVERIFY(links);
        QCOMPARE(links->size(), std::size_t(3));
        QCOMPARE(links->at(0).left(5), QByteArray::fromHex("10DB3FFFFF"));
        QCOMPARE(links->at(0).size(), 5 + 255);
        QCOMPARE(links->at(1).left(5), QByteArray::fromHex("10DB3FFFFF"));
        QCOMPARE(links->at(2).left(5), QByteArray::fromHex("00DB3FFF5A"));
        QCOMPARE(links->at(2).size(), 5 + 90 + 1);
        QCOMPARE(links->at(2).back(), char(0));
        // Case 3 short stays one link; a malformed APDU or one already chained is refused.
        QCOMPARE(chaining::split(QByteArray::fromHex("00DB3FFF020102"))->size(), std::size_t(1));
        QVERIFY(!chaining::split(QByteArray::fromHex("00DB3FFF0501")));
        QVERIFY(!chaining::split(QByteArray::fromHex("10DB3FFF020102")));
        // Case 2 extended with Le 0010 keeps Le 10.
        QCOMPARE(chaining::split(QByteArray::fromHex("00CA0000000010"))->at(0), QByteArray::fromHex("00CA000010"));
    }

    void tooLargeRefusedBeforeSending()
    {
        auto link = std::make_shared<testsupport::FirmwareLink>();
        auto transport = std::make_unique<testsupport::FirmwareLinkTransport>(link);
        auto* t = transport.get();
        HidApduChannel channel(std::move(transport));
        auto r = channel.ping(QByteArray(7610, 'x'));
        QVERIFY(!r);
        QCOMPARE(r.error().code, core::ErrorCode::InvalidInput);
        QCOMPARE(t->writes, 0);
    }

    void winkAndLock()
    {
        auto link = std::make_shared<testsupport::FirmwareLink>();
        HidApduChannel a(std::make_unique<testsupport::FirmwareLinkTransport>(link), quick());
        HidApduChannel b(std::make_unique<testsupport::FirmwareLinkTransport>(link), quick());
        QVERIFY(a.wink());
        QCOMPARE(link->token.presence().winks(), 1u);
        QVERIFY(b.connect());
        QVERIFY(a.lock(10));
        auto busy = b.transmitRaw(kGetData);
        QVERIFY(!busy);
        QCOMPARE(busy.error().code, core::ErrorCode::DeviceBusy);
        QVERIFY(a.lock(0));
        QVERIFY(b.transmitRaw(kGetData));
        QCOMPARE(a.lock(11).error().code, core::ErrorCode::InvalidInput);
    }

    void silentKeyTimesOut()
    {
        auto link = std::make_shared<testsupport::FirmwareLink>();
        auto transport = std::make_unique<testsupport::FirmwareLinkTransport>(link);
        auto* t = transport.get();
        HidApduChannel channel(std::move(transport), quick());
        QVERIFY(channel.connect());
        t->silent = true;
        auto r = channel.transmitRaw(kGetData);
        QVERIFY(!r);
        QCOMPARE(r.error().code, core::ErrorCode::Timeout);
        t->silent = false;
        auto again = channel.transmitRaw(kGetData); // resynchronises (INIT on its CID) and works
        QVERIFY2(again, qPrintable(again ? QString() : again.error().detail));
        QCOMPARE(again->right(2), QByteArray::fromHex("9000"));
    }

    void silentKeyNeverConnects()
    {
        auto link = std::make_shared<testsupport::FirmwareLink>();
        auto transport = std::make_unique<testsupport::FirmwareLinkTransport>(link);
        transport->silent = true;
        HidApduChannel channel(std::move(transport), quick());
        auto r = channel.connect();
        QVERIFY(!r);
        QCOMPARE(r.error().code, core::ErrorCode::Timeout);
        QVERIFY(!channel.isConnected());
    }

    void unplugMidOperation()
    {
        auto link = std::make_shared<testsupport::FirmwareLink>();
        auto transport = std::make_unique<testsupport::FirmwareLinkTransport>(link);
        auto* t = transport.get();
        HidApduChannel channel(std::move(transport), quick());
        QVERIFY(channel.connect());
        t->failWritesAfter = 0;
        auto r = channel.transmitRaw(kGetData);
        QVERIFY(!r);
        QCOMPARE(r.error().code, core::ErrorCode::Disconnected);
        QVERIFY(!channel.isConnected());
        t->failWritesAfter = -1;
        QVERIFY(channel.transmitRaw(kGetData)); // replugged: a fresh INIT
    }

    void keyResetForgetsChannel()
    {
        auto link = std::make_shared<testsupport::FirmwareLink>();
        HidApduChannel channel(std::make_unique<testsupport::FirmwareLinkTransport>(link), quick());
        QVERIFY(channel.connect());
        const auto oldCid = channel.hello().cid;
        link->layer.reset(); // the token rebooted: our CID is unknown (InvalidChannel) → re-INIT and retry
        auto r = channel.transmitRaw(kGetData);
        QVERIFY2(r, qPrintable(r ? QString() : r.error().detail));
        QVERIFY(channel.hello().cid != oldCid);
    }

    void staleAndForeignAnswersSkipped()
    {
        ScriptedTransport* t = nullptr;
        auto owned = std::make_unique<ScriptedTransport>();
        t = owned.get();
        t->responder = [](const Report& r) {
            std::vector<Report> out;
            if (isInit(r)) {
                // A stale INIT answer (wrong nonce) and another program's channel first, then ours.
                Report stale = initAnswer(r)[0];
                stale[7] ^= 0xFF;
                out.push_back(stale);
                out.push_back(testsupport::message(0x55555555, 0x40, {0x90, 0x00})[0]);
                for (const auto& a : initAnswer(r)) {
                    out.push_back(a);
                }
            } else {
                out.push_back(testsupport::message(0x99999999, 0x40, {0x6A, 0x82})[0]);
                out.push_back(testsupport::message(kCid, 0x40, {0x01, 0x90, 0x00})[0]);
            }
            return out;
        };
        HidApduChannel channel(std::move(owned), quick());
        auto r = channel.transmitRaw(kGetData);
        QVERIFY(r);
        QCOMPARE(r.value(), QByteArray::fromHex("019000"));
        QCOMPARE(channel.hello().cid, kCid);
    }

    void misbehavingKey_data()
    {
        QTest::addColumn<int>("which");
        QTest::addColumn<int>("code");
        QTest::newRow("wrong protocol version") << 0 << int(core::ErrorCode::ProtocolError);
        QTest::newRow("wrong SEQ in answer") << 1 << int(core::ErrorCode::ProtocolError);
        QTest::newRow("ERROR invalid command") << 2 << int(core::ErrorCode::ProtocolError);
        QTest::newRow("always busy") << 3 << int(core::ErrorCode::DeviceBusy);
        QTest::newRow("answer to another command") << 4 << int(core::ErrorCode::ProtocolError);
        QTest::newRow("answer without SW") << 5 << int(core::ErrorCode::ProtocolError);
        QTest::newRow("truncated: init packet only") << 6 << int(core::ErrorCode::Timeout);
        QTest::newRow("only KEEPALIVE then silence") << 7 << int(core::ErrorCode::Timeout);
        QTest::newRow("reserved CID allocated") << 8 << int(core::ErrorCode::ProtocolError);
    }
    void misbehavingKey()
    {
        QFETCH(int, which);
        QFETCH(int, code);
        auto owned = std::make_unique<ScriptedTransport>();
        owned->responder = [which](const Report& r) -> std::vector<Report> {
            if (isInit(r)) {
                if (which == 8) {
                    auto a = initAnswer(r);
                    a[0][15] = a[0][16] = a[0][17] = a[0][18] = 0xFF;
                    return a;
                }
                return initAnswer(r, which == 0 ? 1 : 2);
            }
            switch (which) {
            case 1: {
                auto m = testsupport::message(kCid, 0x40, std::vector<std::uint8_t>(100, 1));
                m[1][4] = 3;
                return m;
            }
            case 2:
                return testsupport::message(kCid, 0x3F, {0x01});
            case 3:
                return testsupport::message(kCid, 0x3F, {0x06});
            case 4:
                return testsupport::message(kCid, 0x01, {0x90, 0x00});
            case 5:
                return testsupport::message(kCid, 0x40, {0x90});
            case 6:
                return {testsupport::message(kCid, 0x40, std::vector<std::uint8_t>(100, 1))[0]};
            case 7:
                return testsupport::message(kCid, 0x3B, {0x01});
            default:
                return {};
            }
        };
        HidApduChannel channel(std::move(owned), quick());
        auto r = channel.transmitRaw(kGetData);
        QVERIFY(!r);
        QCOMPARE(int(r.error().code), code);
        QVERIFY(!r.error().detail.isEmpty());
    }

    void keepAliveExtendsTheWait_data()
    {
        QTest::addColumn<int>("keepAlives");
        QTest::addColumn<bool>("answered");
        // The reply timeout is 400 ms and each report comes 150 ms after the previous one: six KEEPALIVEs stretch
        // the wait to 1,050 ms before the answer; the same answer after 1,050 ms of silence is a timeout.
        QTest::newRow("six keep-alives, then the answer") << 6 << true;
        QTest::newRow("silence as long, then the answer") << 0 << false;
    }
    void keepAliveExtendsTheWait()
    {
        QFETCH(int, keepAlives);
        QFETCH(bool, answered);
        auto owned = std::make_unique<PacedTransport>();
        owned->gapMs = 150;
        owned->immediate = [](const Report& r) { return isInit(r); };
        owned->responder = [keepAlives](const Report& r) -> std::vector<Report> {
            if (isInit(r)) {
                return initAnswer(r);
            }
            std::vector<Report> out;
            for (int i = 0; i < keepAlives; ++i) {
                out.push_back(testsupport::message(kCid, 0x3B, {0x02})[0]);
            }
            out.push_back(testsupport::message(kCid, 0x40, {0x90, 0x00})[0]);
            return out;
        };
        if (keepAlives == 0) {
            owned->gapMs = 150 * 7; // the whole time in one silence
        }
        HidChannelOptions options = quick();
        options.replyTimeoutMs = 400;
        HidApduChannel channel(std::move(owned), options);
        QVERIFY(channel.connect());
        int seen = 0;
        channel.setKeepAliveHandler([&](skey::wire::KeepAliveStatus s) {
            QCOMPARE(s, skey::wire::KeepAliveStatus::UserPresenceNeeded);
            ++seen;
        });
        auto r = channel.transmitRaw(kGetData);
        QCOMPARE(seen, keepAlives);
        if (answered) {
            QVERIFY2(r, qPrintable(r ? QString() : r.error().detail));
            QCOMPARE(r->toHex(), QByteArray("9000"));
        } else {
            QVERIFY(!r);
            QCOMPARE(r.error().code, core::ErrorCode::Timeout);
        }
    }
};

QTEST_GUILESS_MAIN(TestHidApduChannel)
#include "TestHidApduChannel.moc"
