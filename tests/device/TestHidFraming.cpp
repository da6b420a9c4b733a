// SPDX-License-Identifier: Apache-2.0
// The host side of spec/token-hid.md "Packets" and "Rules": HidFraming (encoder) and HidReassembler.
#include "device/HidFraming.h"
#include "device/HidReassembler.h"
#include "support/Packets.h"

#include <QTest>

using namespace wallet::device;
using skey::wire::Cmd;

namespace {
QByteArray pattern(int n)
{
    QByteArray b(n, Qt::Uninitialized);
    for (int i = 0; i < n; ++i) {
        b[i] = static_cast<char>(i * 13 + 1);
    }
    return b;
}
Report toReport(const testsupport::Packet& p)
{
    return p;
}
} // namespace

class TestHidFraming : public QObject
{
    Q_OBJECT
private slots:
    void fragmentLayout_data()
    {
        QTest::addColumn<int>("size");
        QTest::addColumn<int>("packets");
        QTest::newRow("0") << 0 << 1;
        QTest::newRow("57") << 57 << 1;
        QTest::newRow("58") << 58 << 2;
        QTest::newRow("116") << 116 << 2;
        QTest::newRow("117") << 117 << 3;
        QTest::newRow("7609") << 7609 << 129;
        QTest::newRow("7610 too big") << 7610 << 0;
    }
    void fragmentLayout()
    {
        QFETCH(int, size);
        QFETCH(int, packets);
        const QByteArray payload = pattern(size);
        const auto reports = HidFraming::fragment(0x01020304, Cmd::Apdu, payload);
        QCOMPARE(static_cast<int>(reports.size()), packets);
        if (packets == 0) {
            return;
        }
        // Byte for byte against the independent test encoder.
        std::vector<std::uint8_t> bytes(payload.begin(), payload.end());
        const auto expected = testsupport::message(0x01020304, 0x40, bytes);
        QCOMPARE(reports.size(), expected.size());
        for (std::size_t i = 0; i < reports.size(); ++i) {
            QCOMPARE(reports[i], expected[i]);
        }
        QCOMPARE(reports[0][4], std::uint8_t(0xC0));
        QCOMPARE(reports[0][5], std::uint8_t(size >> 8));
        QCOMPARE(reports[0][6], std::uint8_t(size & 0xFF));
        if (packets > 1) {
            QCOMPARE(reports.back()[4], std::uint8_t(packets - 2)); // last SEQ
        }
    }

    void roundTrip_data() { fragmentLayout_data(); }
    void roundTrip()
    {
        QFETCH(int, size);
        QFETCH(int, packets);
        const QByteArray payload = pattern(size);
        HidReassembler r(0x0A0B0C0D);
        if (packets == 0) {
            // Too big to send (fragment() gave nothing): a key that sends it anyway, framed by the independent test
            // encoder, is refused at its first packet and nothing is delivered from the rest.
            std::vector<std::uint8_t> bytes(payload.begin(), payload.end());
            const auto reports = testsupport::message(0x0A0B0C0D, 0x41, bytes);
            QVERIFY(reports.size() > 1);
            QCOMPARE(r.feed(toReport(reports[0])).status, HidReassembler::Status::Malformed);
            // Its continuations (SEQ 0..127; a SEQ of 128 would read as an INIT byte) are ignored.
            for (std::size_t i = 1; i < reports.size() && i <= 128; ++i) {
                QCOMPARE(r.feed(toReport(reports[i])).status, HidReassembler::Status::Ignored);
            }
            QVERIFY(!r.inProgress());
            return;
        }
        HidReassembler::Outcome last;
        int i = 0;
        for (const auto& rep : HidFraming::fragment(0x0A0B0C0D, Cmd::Ping, payload)) {
            last = r.feed(rep);
            ++i;
            QCOMPARE(last.status, i < packets ? HidReassembler::Status::NeedMore : HidReassembler::Status::Complete);
        }
        QCOMPARE(last.cmd, std::uint8_t(0x01));
        QCOMPARE(last.payload, payload);
        QVERIFY(!r.inProgress());
    }

    void otherChannelIgnored()
    {
        HidReassembler r(7);
        QCOMPARE(r.feed(toReport(testsupport::initPacket(8, 0x40, 2, {0x90, 0x00}))).status,
            HidReassembler::Status::Ignored);
        QCOMPARE(r.feed(toReport(testsupport::initPacket(7, 0x40, 2, {0x90, 0x00}))).status,
            HidReassembler::Status::Complete);
    }

    void continuationWithoutMessageIgnored()
    {
        HidReassembler r(7);
        QCOMPARE(r.feed(toReport(testsupport::contPacket(7, 0, {1, 2}))).status, HidReassembler::Status::Ignored);
    }

    void wrongSequence()
    {
        HidReassembler r(7);
        QCOMPARE(r.feed(toReport(testsupport::initPacket(7, 0x40, 200))).status, HidReassembler::Status::NeedMore);
        const auto o = r.feed(toReport(testsupport::contPacket(7, 1)));
        QCOMPARE(o.status, HidReassembler::Status::Malformed);
        QVERIFY(o.problem.contains(QStringLiteral("SEQ")));
        QVERIFY(!r.inProgress());
        QCOMPARE(r.feed(toReport(testsupport::contPacket(7, 2))).status, HidReassembler::Status::Ignored);
    }

    void newInitMidMessage()
    {
        HidReassembler r(7);
        QCOMPARE(r.feed(toReport(testsupport::initPacket(7, 0x40, 200))).status, HidReassembler::Status::NeedMore);
        QCOMPARE(r.feed(toReport(testsupport::initPacket(7, 0x40, 2))).status, HidReassembler::Status::Malformed);
        QVERIFY(!r.inProgress());
    }

    void oversizedLength()
    {
        HidReassembler r(7);
        QCOMPARE(r.feed(toReport(testsupport::initPacket(7, 0x40, 7610))).status, HidReassembler::Status::Malformed);
        QVERIFY(!r.inProgress());
        QCOMPARE(r.feed(toReport(testsupport::contPacket(7, 0))).status, HidReassembler::Status::Ignored);
    }

    void paddingAfterPayloadIgnored()
    {
        HidReassembler r(7);
        auto p = testsupport::initPacket(7, 0x40, 2, {0x90, 0x00});
        std::fill(p.begin() + 9, p.end(), 0xEE); // garbage after BCNT bytes
        const auto o = r.feed(toReport(p));
        QCOMPARE(o.status, HidReassembler::Status::Complete);
        QCOMPARE(o.payload, QByteArray::fromHex("9000"));
    }

    void errorNames()
    {
        QVERIFY(HidFraming::errorName(0x06).contains(QStringLiteral("busy")));
        QVERIFY(HidFraming::errorName(0x0A).contains(QStringLiteral("lock")));
        QVERIFY(HidFraming::errorName(0x55).contains(QStringLiteral("unknown")));
    }
};

QTEST_GUILESS_MAIN(TestHidFraming)
#include "TestHidFraming.moc"
