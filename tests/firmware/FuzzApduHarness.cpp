// SPDX-License-Identifier: Apache-2.0
#include "FuzzApduHarness.h"

#include <cstdio>
#include <cstdlib>

namespace skey::test {

FuzzHarness::FuzzHarness()
    : m_trace(std::getenv("SKEY_FUZZ_TRACE") != nullptr)
    , m_token(host::HostToken::kDefaultSerial, 512, 16) // a small NVM: power-on recovery per input stays cheap
{
    m_blank = m_token.nvm().image();
    Issuer issuer(m_token);
    if (issuer.personalize(standardProfile()) != 0x9000) {
        std::abort();
    }
    Terminal t(m_token);
    (void)t.verify(hex("123456"));
    if (swOf(t.load(500000)) != 0x9000) {
        std::abort();
    }
    m_personalised = m_token.nvm().image();
}

host::HostToken& FuzzHarness::reset(std::uint8_t flags)
{
    m_token.nvm().powerRestore();
    m_token.nvm().setImage((flags & 1) != 0 ? m_blank : m_personalised);
    m_token.powerCycle();
    m_token.rng().seed(1);
    return m_token;
}

void FuzzHarness::run(const std::uint8_t* data, std::size_t size)
{
    if (size == 0) {
        return;
    }
    host::HostToken& t = reset(data[0]);
    std::size_t at = 1;
    int count = 0;
    while (at < size && count < 64) {
        std::size_t len = data[at++];
        if (len == 0xFF) {
            if (at + 2 > size) {
                break;
            }
            len = static_cast<std::size_t>(data[at] << 8 | data[at + 1]);
            at += 2;
        }
        if (len > size - at) {
            len = size - at;
        }
        const std::vector<std::uint8_t> r = t.process(std::span<const std::uint8_t>(data + at, len));
        if (r.size() < 2 || r.size() > kMaxResponseApdu) {
            std::fprintf(stderr, "bad response length %zu\n", r.size());
            std::abort();
        }
        const std::uint16_t sw = swOf(r);
        if (m_trace) {
            std::fprintf(stderr, "%s -> %04X\n", toHex(Bytes(data + at, data + at + len)).c_str(), sw);
        }
        if (sw != 0x9000 && r.size() != 2 && sw != 0x6A81) {
            std::fprintf(stderr, "error status %04X with data\n", sw);
            std::abort();
        }
        at += len;
        ++count;
    }
    // Whatever happened, the token still answers after a power cycle and its state is consistent.
    t.powerCycle();
    const std::vector<std::uint8_t> info = t.process(hex("80CA000100"));
    if (swOf(info) != 0x9000) {
        std::abort();
    }
    std::uint32_t digest = 0;
    if (t.os().journal().digest(digest) != StoreStatus::Ok) {
        std::abort();
    }
}

std::vector<std::uint8_t> FuzzHarness::encode(std::uint8_t flags, const std::vector<Bytes>& apdus)
{
    std::vector<std::uint8_t> out{flags};
    for (const Bytes& a : apdus) {
        if (a.size() >= 0xFF) {
            out.push_back(0xFF);
            out.push_back(static_cast<std::uint8_t>(a.size() >> 8));
            out.push_back(static_cast<std::uint8_t>(a.size()));
        } else {
            out.push_back(static_cast<std::uint8_t>(a.size()));
        }
        out.insert(out.end(), a.begin(), a.end());
    }
    return out;
}

} // namespace skey::test
