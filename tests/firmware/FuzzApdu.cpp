// SPDX-License-Identifier: Apache-2.0
// libFuzzer target over the card OS entry point (CardOs::process through HostToken); see FuzzApduHarness.h.
#include "FuzzApduHarness.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static skey::test::FuzzHarness harness;
    harness.run(data, size);
    return 0;
}
