// SPDX-License-Identifier: Apache-2.0
// spec/pboc-epurse.md §6a through the real HID packet layer: two host programs, each with its own CID (INIT), share
// one token. The PIN one of them verified, its INITIALIZE session and its challenge are cleared by the other's
// command, so a program that never saw the PIN can never spend on another program's VERIFY. Reports are built byte by
// byte (support/Packets.h), independently of the production framing.
#include "TokenDriver.h"
#include "support/FirmwareLink.h"
#include "support/Packets.h"

#include <QtTest>

using namespace testsupport;
using skey::test::hex;
using skey::test::toHex;
using Bytes = std::vector<std::uint8_t>;

namespace {

constexpr std::uint8_t kInit = 0x06;
constexpr std::uint8_t kApdu = 0x40;

/// INIT on the broadcast channel; returns the allocated CID.
std::uint32_t allocate(FirmwareLink& link, std::uint8_t salt)
{
    const Bytes nonce{1, 2, 3, 4, 5, 6, 7, salt};
    link.deliver({initPacket(0xFFFFFFFF, kInit, 8, nonce)});
    const auto out = link.takeOutput();
    if (out.size() != 1) {
        qFatal("INIT: %zu reports", out.size());
    }
    const Packet& p = out.front();
    return (std::uint32_t(p[15]) << 24) | (std::uint32_t(p[16]) << 16) | (std::uint32_t(p[17]) << 8) | p[18];
}

/// One APDU on `cid`; returns the response APDU (data ‖ SW1 SW2).
Bytes apdu(FirmwareLink& link, std::uint32_t cid, const std::string& command)
{
    const Bytes c = hex(command);
    std::vector<Report> reports;
    for (const Packet& p : message(cid, kApdu, c)) {
        reports.push_back(p);
    }
    link.deliver(reports);
    const auto out = link.takeOutput();
    Bytes r;
    std::size_t length = 0;
    for (const Report& p : out) {
        if (cidOf(p) != cid) {
            continue;
        }
        if ((p[4] & 0x80) != 0) {
            if (p[4] != (kApdu | 0x80)) {
                qFatal("unexpected HID command %02X", p[4]);
            }
            length = (std::size_t(p[5]) << 8) | p[6];
            r.assign(p.begin() + 7, p.begin() + 7 + static_cast<std::ptrdiff_t>(std::min<std::size_t>(length, 57)));
        } else {
            const std::size_t take = std::min<std::size_t>(59, length - r.size());
            r.insert(r.end(), p.begin() + 5, p.begin() + 5 + static_cast<std::ptrdiff_t>(take));
        }
    }
    if (r.size() != length || r.size() < 2) {
        qFatal("incomplete response on %08X", cid);
    }
    return r;
}

std::string sw(const Bytes& r)
{
    return toHex(Bytes(r.end() - 2, r.end()));
}

} // namespace

class TestHidChannels : public QObject
{
    Q_OBJECT

private slots:
    void pinStateBelongsToItsChannel();
    void sessionAndChallengeBelongToTheirChannel();
    void pinBytesDoNotLingerInTheLayer();
};

void TestHidChannels::pinStateBelongsToItsChannel()
{
    FirmwareLink link;
    QCOMPARE(skey::test::Issuer(link.token).personalize(skey::test::standardProfile()), std::uint16_t(0x9000));
    const std::uint32_t wallet = allocate(link, 1);
    const std::uint32_t other = allocate(link, 2);
    QVERIFY(wallet != other);
    QCOMPARE(sw(apdu(link, wallet, "0020000003123456")), std::string("9000"));
    QCOMPARE(sw(apdu(link, wallet, "00200000")), std::string("9000"));
    // The other program's INITIALIZE FOR LOAD (needs the PIN under the default policy) is refused...
    QCOMPARE(sw(apdu(link, other, "805000020B0100000064112233445566 10")), std::string("6982"));
    // ...and its command cleared the wallet's PIN state as well.
    QCOMPARE(sw(apdu(link, wallet, "00200000")), std::string("63C3"));
    // Commands on the same channel keep it.
    QCOMPARE(sw(apdu(link, wallet, "0020000003123456")), std::string("9000"));
    QCOMPARE(sw(apdu(link, wallet, "805C000204")), std::string("9000"));
    QCOMPARE(sw(apdu(link, wallet, "00200000")), std::string("9000"));
}

void TestHidChannels::sessionAndChallengeBelongToTheirChannel()
{
    FirmwareLink link;
    QCOMPARE(skey::test::Issuer(link.token).personalize(skey::test::standardProfile()), std::uint16_t(0x9000));
    const std::uint32_t a = allocate(link, 1);
    const std::uint32_t b = allocate(link, 2);
    QCOMPARE(sw(apdu(link, a, "0020000003123456")), std::string("9000"));
    QCOMPARE(sw(apdu(link, a, "805000020B0100000064112233445566 10")), std::string("9000"));
    // B cannot complete (or disturb into completing) A's session.
    QCOMPARE(toHex(apdu(link, b, "805200000B202501011200000000000004")), std::string("6901"));
    QCOMPARE(toHex(apdu(link, a, "805200000B202501011200000000000004")), std::string("6901"));
    // A challenge of A is not B's.
    QCOMPARE(sw(apdu(link, a, "0084000004")), std::string("9000"));
    QCOMPARE(toHex(apdu(link, b, "841E00000400000000")), std::string("6984"));
}

void TestHidChannels::pinBytesDoNotLingerInTheLayer()
{
    // A long APDU is reassembled in the layer's message buffer: after it is processed, its bytes are wiped. The
    // marker is unusual enough not to occur by chance.
    FirmwareLink link;
    const std::uint32_t cid = allocate(link, 1);
    const std::string marker = "9753186420F1E2D3C4B5";
    std::string longCommand = "80CA0001"
                              "0000C8"; // GET DATA with 200 bytes of (ignored, refused) data
    for (int i = 0; i < 20; ++i) {
        longCommand += marker;
    }
    (void)apdu(link, cid, longCommand);
    const auto* p = reinterpret_cast<const std::uint8_t*>(&link.layer);
    const Bytes needle = hex(marker);
    QVERIFY(std::search(p, p + sizeof(link.layer), needle.begin(), needle.end()) == p + sizeof(link.layer));
}

QTEST_GUILESS_MAIN(TestHidChannels)
#include "TestHidChannels.moc"
