// SPDX-License-Identifier: Apache-2.0
// The APDU fuzz harness, shared by the libFuzzer target and the corpus generator. Input: flags 1 (bit 0: start from
// a blank token instead of a personalised one with a balance), then APDUs as `len 1 ‖ apdu` (len FF: `FF len 2`).
// The NVM image is restored and the RNG re-seeded before every input, so inputs are reproducible.
// After every input the harness checks real invariants (a violation aborts = a finding), see run().
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
    /// Runs one input; aborts (crash = finding) when an invariant breaks. While the input runs it tracks, from the
    /// token's own 9000 answers only, the committed balance (INITIALIZE amount + CREDIT/DEBIT 9000) and the AID
    /// (PUT DATA 01). Afterwards it cuts power and checks: a fresh Journal mounts the NVM; its purse item holds the
    /// tracked balance; SELECT of the tracked AID answers what the life cycle (GET DATA C3) demands (9000 for
    /// blank/personalised, 6A81 temporarily blocked or terminated, 9303 permanently blocked); a personalised purse
    /// answers GET BALANCE with the tracked balance.
    void run(const std::uint8_t* data, std::size_t size);
    /// Encodes APDUs in the input format.
    static std::vector<std::uint8_t> encode(std::uint8_t flags, const std::vector<Bytes>& apdus);

private:
    bool m_trace = false;
    host::HostToken m_token;
    std::vector<std::uint8_t> m_blank;
    std::vector<std::uint8_t> m_personalised;
    std::uint32_t m_personalisedBalance = 0;
};

} // namespace skey::test
