// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the host's reassembly of the token's reports (what a malicious or broken key could send).
// Input: consecutive 64-byte reports; the channel under test is 01010101.
#include "device/HidReassembler.h"

#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    wallet::device::HidReassembler r(0x01010101);
    for (std::size_t at = 0; at + 64 <= size; at += 64) {
        wallet::device::Report rep{};
        std::memcpy(rep.data(), data + at, 64);
        const auto o = r.feed(rep);
        if (o.status == wallet::device::HidReassembler::Status::Complete && o.payload.size() > 7609) {
            std::abort();
        }
        if (o.status == wallet::device::HidReassembler::Status::Malformed && r.inProgress()) {
            std::abort(); // a malformed message must be dropped
        }
    }
    return 0;
}
