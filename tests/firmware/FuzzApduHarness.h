// SPDX-License-Identifier: Apache-2.0
// The APDU fuzz harness, shared by the libFuzzer target and the corpus generator. Input: flags 1 (bit 0: start from
// a blank token instead of a personalised one with a balance), then APDUs as `len 1 ‖ apdu` (len FF: `FF len 2`).
// The NVM image is restored and the RNG re-seeded before every input, so inputs are reproducible.
#pragma once

#include "TokenDriver.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace skey::test {

class FuzzHarness
{
public:
    FuzzHarness();
    /// Prepares the token for an input with `flags`; returns it.
    host::HostToken& reset(std::uint8_t flags);
    /// Runs one input; aborts (crash = finding) when an invariant breaks.
    void run(const std::uint8_t* data, std::size_t size);
    /// Encodes APDUs in the input format.
    static std::vector<std::uint8_t> encode(std::uint8_t flags, const std::vector<Bytes>& apdus);

private:
    bool m_trace = false;
    host::HostToken m_token;
    std::vector<std::uint8_t> m_blank;
    std::vector<std::uint8_t> m_personalised;
};

} // namespace skey::test
