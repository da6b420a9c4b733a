// SPDX-License-Identifier: Apache-2.0
// Writes the seed corpus of the APDU fuzzer (tests/firmware/corpus): real APDUs of every command, recorded while the
// test driver runs each flow on the harness's token (same image, same RNG seed, so the MACs are valid on replay).
// Usage: skey_fuzz_corpus_gen <dir>
#include "FuzzApduHarness.h"
#include "PivClient.h"
#include "PsamClient.h"

#include <cstdio>
#include <fstream>
#include <functional>
#include <string>

using namespace skey::test;

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
        return 2;
    }
    FuzzHarness harness;
    const Bytes damk = hex("505152535455565758595A5B5C5D5E5F");
    const Bytes kt = hex("4B544B544B544B544B544B544B544B54");
    struct Seed
    {
        const char* name;
        std::uint8_t flags;
        std::function<void(skey::host::HostToken&)> flow;
    };
    const Seed seeds[] = {
        {"purse",
            0,
            [](auto& t) {
                Terminal term(t);
                (void)term.select();
                (void)term.verify(hex("123456"));
                (void)term.load(1000);
                (void)term.purchase(100);
                (void)transmit(t, hex("805C000204"));
                (void)transmit(t, hex("805A0006020002 08"));
                (void)transmit(t, hex("805A0002020002 08"));
                (void)transmit(t, hex("00B201C417"));
                (void)transmit(t, hex("00B202C417"));
            }},
        {"purchase-bad-mac",
            0,
            [](auto& t) {
                Terminal term(t);
                (void)term.verify(hex("123456"));
                (void)term.purchase(5, true);
                (void)term.purchase(5, true);
                (void)term.purchase(5, true);
            }},
        {"files",
            0,
            [](auto& t) {
                (void)transmit(t, hex("00A404000E315041592E5359532E4444463031 00"));
                (void)transmit(t, hex("00B2010C00"));
                (void)transmit(t, hex("00A404000AD15600000145442F4550 00"));
                (void)transmit(t, hex("00B0950000"));
                (void)transmit(t, hex("00B0960037"));
                (void)transmit(t, hex("80CA000100"));
            }},
        {"pin",
            0,
            [](auto& t) {
                (void)transmit(t, hex("00200000"));
                (void)transmit(t, hex("0020000003999999"));
                (void)transmit(t, hex("805E010007123456FF654321"));
                (void)transmit(t, hex("0020000003654321"));
                (void)transmit(t, hex("805E000007123456E609A089"));
            }},
        {"admin",
            0,
            [&](auto& t) {
                Issuer i(t);
                (void)i.sendSecure(hex("04D69600"), hex("0100E5BCA0E4B889"), damk);
                (void)i.sendSecure(hex("841E0000"), {}, damk);
                (void)i.sendSecure(hex("84180000"), {}, damk);
                (void)transmit(t, hex("0088000008 0102030405060708 08"));
                (void)transmit(t, hex("0084000008"));
                (void)transmit(t, hex("00820000080000000000000000"));
                (void)i.sendSecure(hex("841E0001"), {}, damk);
                (void)i.sendSecure(hex("84160000"), {}, damk);
            }},
        {"pin-unblock",
            0,
            [](auto& t) {
                for (int k = 0; k < 3; ++k) {
                    (void)transmit(t, hex("0020000003999999"));
                }
                Issuer i(t);
                Bytes enc(8);
                (void)i.crypto().ecb(
                    0x00, true, key16(hex("808182838485868788898A8B8C8D8E8F")), hex("0312345680000000"), enc);
                (void)i.sendSecure(hex("84240000"), enc, hex("808182838485868788898A8B8C8D8E8F"));
            }},
        {"personalise",
            1,
            [&](auto& t) {
                Profile p = standardProfile();
                p.policy = 0x0B;
                p.noPinLimit = 2000;
                p.capacity = 12;
                (void)Issuer(t).personalize(p, kt);
                (void)transmit(t, hex("80CA000100"));
            }},
        {"extended", 0, [](auto& t) { (void)transmit(t, hex("00A4040000000AD15600000145442F4550 0000")); }},
        {"piv",
            0,
            [](auto& t) {
                // PIV (docs/piv.md): select, management-key authentication, generate, chained PUT DATA, GET DATA
                // with GET RESPONSE, PIN, sign, ECDH, PUK reset.
                (void)transmit(t, hex("00A4040005A000000308"));
                const Bytes r1 = transmit(t, hex("0087039B047C028000"));
                Bytes w(r1.begin() + 4, r1.begin() + 12);
                PivClient::tdes(kPivDefaultMgmtKey, w, false);
                (void)transmit(t, cat({hex("0087039B167C148008"), w, hex("81081122334455667788")}));
                (void)transmit(t, hex("0047009A05AC03800111 00"));
                Bytes obj = cat({hex("5C035FC105 5382012C"), Bytes(300, 0x30)});
                (void)transmit(t, cat({hex("10DB3FFFC8"), Bytes(obj.begin(), obj.begin() + 200)}));
                (void)transmit(t,
                    cat({Bytes{0x00, 0xDB, 0x3F, 0xFF, static_cast<std::uint8_t>(obj.size() - 200)},
                        Bytes(obj.begin() + 200, obj.end())}));
                (void)transmit(t, hex("00CB3FFF055C035FC105 00"));
                (void)transmit(t, hex("00C0000000"));
                (void)transmit(t, hex("00CB3FFF035C017E 00"));
                (void)transmit(t, hex("0020008008 313233343536FFFF"));
                (void)transmit(t, cat({hex("0087119A267C2482008120"), Bytes(32, 0xAB), hex("00")}));
                (void)transmit(t, hex("00FD000000"));
                (void)transmit(t, hex("002C008010 3132333435363738 363534333231FFFF"));
            }},
        {"psam",
            1,
            [](auto& t) {
                // The PSAM (docs/psam.md) on a blank token: personalisation with KT, INIT FOR PURCHASE, a wrong and
                // a malformed MAC2, GET STATUS, READ RECORD, ABANDONED, back to the purse.
                PsamClient p(t);
                (void)p.personalize(hex("0123456789ABCDEFFEDCBA9876543210"), hex("112233445566"), 7);
                (void)p.init(PsamClient::initApdu(
                    hex("5E6F7A8B"), 0, 100, hex("20250101"), hex("120500"), 1, 1, 0x00, hex("0102030405060708")));
                (void)p.mac2(7, hex("00000000"), hex("11111111"));
                (void)transmit(t, hex("8072000008 00000007 00000000"));
                (void)p.status();
                (void)p.readRecord(1);
                (void)p.recordState(0x02, 7);
                (void)transmit(t, hex("00A404000AD15600000145442F4550"));
            }},
    };
    int written = 0;
    for (const Seed& s : seeds) {
        std::vector<Bytes> recorded;
        skey::host::HostToken& t = harness.reset(s.flags);
        setRecorder(&recorded);
        s.flow(t);
        setRecorder(nullptr);
        const std::vector<std::uint8_t> input = FuzzHarness::encode(s.flags, recorded);
        std::ofstream out(std::string(argv[1]) + "/" + s.name + ".bin", std::ios::binary);
        out.write(reinterpret_cast<const char*>(input.data()), static_cast<std::streamsize>(input.size()));
        harness.run(input.data(), input.size()); // the recorded input replays cleanly
        ++written;
    }
    std::printf("wrote %d corpus entries to %s\n", written, argv[1]);
    return 0;
}
