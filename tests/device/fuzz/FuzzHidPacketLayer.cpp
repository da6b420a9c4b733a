// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the token's HID packet layer (and the card OS behind it) fed arbitrary host reports.
// Input: a sequence of 65-byte records: 1 byte clock advance (x 8 ms) + one 64-byte report. The CID 01010101 in a
// record stands for the channel allocated by a real INIT first, so the fuzzer reaches the assembled-message paths.
#include "support/FirmwareLink.h"
#include "support/Packets.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static testsupport::FirmwareLink* link = [] {
        auto* l = new testsupport::FirmwareLink();
        l->token.rng().seed(7);
        return l;
    }();
    link->layer.reset();
    link->endpoint.in.clear();
    link->endpoint.out.clear();
    link->deliver(testsupport::message(0xFFFFFFFF, 0x06, {1, 2, 3, 4, 5, 6, 7, 8}));
    const auto out = link->takeOutput();
    if (out.size() != 1) {
        std::abort();
    }
    const std::uint32_t cid = (std::uint32_t(out[0][15]) << 24) | (std::uint32_t(out[0][16]) << 16)
        | (std::uint32_t(out[0][17]) << 8) | out[0][18];
    for (std::size_t at = 0; at + 65 <= size; at += 65) {
        link->clock.now += data[at] * 8u;
        testsupport::Packet p{};
        std::copy(data + at + 1, data + at + 65, p.begin());
        if (testsupport::cidOf(p) == 0x01010101) {
            p[0] = static_cast<std::uint8_t>(cid >> 24);
            p[1] = static_cast<std::uint8_t>(cid >> 16);
            p[2] = static_cast<std::uint8_t>(cid >> 8);
            p[3] = static_cast<std::uint8_t>(cid);
        }
        link->deliver({p});
        // Invariants: every answer is a well-formed message (BCNT within the token's one 261-byte message buffer,
        // the APDU bound it announces: docs/transport.md "Bounded APDUs").
        for (const auto& r : link->takeOutput()) {
            if ((r[4] & 0x80) && ((std::size_t(r[5]) << 8) | r[6]) > 261) {
                std::abort();
            }
        }
    }
    return 0;
}
