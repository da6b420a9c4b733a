// SPDX-License-Identifier: Apache-2.0
#include "FuzzApduHarness.h"

#include "Apdu.h"
#include "CardOsItems.h"
#include "Journal.h"
#include "psam/PsamApp.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace skey::test {
namespace {

[[noreturn]] void violated(const char* what, unsigned long expected, unsigned long got)
{
    std::fprintf(stderr, "fuzz invariant violated: %s (expected %lX, got %lX)\n", what, expected, got);
    std::abort();
}

std::uint32_t be32(const std::uint8_t* p)
{
    return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16
        | static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}

/// What the token said it committed, learnt only from commands it answered 9000.
struct Tracked
{
    std::uint32_t balance = 0;
    int pendingType = -1; ///< P1 of the last INITIALIZE answered 9000 (00 load, 01 purchase), -1 none
    std::uint32_t pendingAmount = 0;
    Bytes aid = hex("D15600000145442F4550");
    bool psamSelected = false; ///< the PSAM's PUT DATA 01 sets its terminal ID, not the purse AID (docs/psam.md)

    void observe(std::span<const std::uint8_t> command, std::uint16_t sw)
    {
        Apdu a;
        if (sw != 0x9000 || !parseApdu(command, a)) {
            return;
        }
        if (a.cla == 0x00 && a.ins == 0xA4) {
            psamSelected = psam::isPsamAid(a.data);
            return;
        }
        if (psamSelected) {
            return;
        }
        if (a.ins == 0x50 && a.data.size() == 11) { // INITIALIZE: keyIndex 1 ‖ amount 4 ‖ terminal 6 (spec §4)
            pendingType = a.p1;
            pendingAmount = be32(a.data.data() + 1);
        } else if (a.ins == 0x52 || a.ins == 0x54) { // CREDIT FOR LOAD / DEBIT FOR PURCHASE answered 9000
            const int want = a.ins == 0x52 ? 0x00 : 0x01;
            if (pendingType != want) {
                violated("a CREDIT/DEBIT succeeded without its INITIALIZE",
                    static_cast<unsigned long>(want),
                    static_cast<unsigned long>(pendingType));
            }
            balance = a.ins == 0x52 ? balance + pendingAmount : balance - pendingAmount;
            pendingType = -1;
        } else if (a.ins == 0xDA && a.p2 == 0x01 && a.data.size() > 4) { // PUT DATA 01: the AID (before the MAC)
            aid.assign(a.data.begin(), a.data.end() - 4);
        }
    }
};

} // namespace

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
    m_personalisedBalance = Terminal(m_token).balance();
    if (m_personalisedBalance != 500000) {
        std::abort();
    }
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
    Tracked tracked;
    tracked.balance = (data[0] & 1) != 0 ? 0 : m_personalisedBalance;
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
        tracked.observe(std::span<const std::uint8_t>(data + at, len), sw);
        if (m_trace) {
            std::fprintf(stderr, "%s -> %04X\n", toHex(Bytes(data + at, data + at + len)).c_str(), sw);
        }
        // 61xx (PIV: more data waits for GET RESPONSE) carries data like 9000; every other error carries none.
        if (sw != 0x9000 && r.size() != 2 && sw != 0x6A81 && (sw >> 8) != 0x61) {
            std::fprintf(stderr, "error status %04X with data\n", sw);
            std::abort();
        }
        at += len;
        ++count;
    }
    // Power cut and back: the journal mounts on its own, holds the balance the token last committed, and the
    // purse answers SELECT as its life cycle demands.
    t.powerCycle();
    auto journal = std::make_unique<Journal>(t.nvm());
    if (const StoreStatus s = journal->mount(); s != StoreStatus::Ok) {
        violated("the journal mounts after a power cycle", 0, static_cast<unsigned long>(s));
    }
    std::array<std::uint8_t, kMaxItemSize> item{};
    std::size_t length = 0;
    if (journal->read(items::kPurse, item, length) != StoreStatus::Ok) {
        violated("the purse item reads", 0, 1);
    }
    const std::uint32_t stored = length == 0 ? 0 : (length >= 4 ? be32(item.data()) : 0xFFFFFFFFu);
    if (stored != tracked.balance) {
        violated("the stored balance equals the last committed one", tracked.balance, stored);
    }
    std::uint32_t digest = 0;
    if (journal->digest(digest) != StoreStatus::Ok) {
        violated("the journal digest is computable", 0, 1);
    }
    const std::vector<std::uint8_t> info = t.process(hex("80CA000100"));
    // C1 08 serial ‖ C2 03 version ‖ C3 01 life cycle ‖ … (spec §6)
    if (swOf(info) != 0x9000 || info.size() < 20 || info[15] != 0xC3) {
        violated("GET DATA answers with the life cycle", 0x9000, swOf(info));
    }
    const auto lifeCycle = static_cast<LifeCycle>(info[17]);
    std::uint16_t wantSelect = 0x9000;
    switch (lifeCycle) {
    case LifeCycle::Blank:
    case LifeCycle::Personalized:
        break;
    case LifeCycle::BlockedTemporary:
    case LifeCycle::Terminated:
        wantSelect = 0x6A81;
        break;
    case LifeCycle::BlockedPermanent:
        wantSelect = 0x9303;
        break;
    default:
        violated("a known life cycle", 0, static_cast<unsigned long>(lifeCycle));
    }
    Bytes select = hex("00A40400");
    select.push_back(static_cast<std::uint8_t>(tracked.aid.size()));
    select.insert(select.end(), tracked.aid.begin(), tracked.aid.end());
    select.push_back(0x00);
    const std::uint16_t selectSw = swOf(t.process(select));
    if (selectSw != wantSelect) {
        violated("SELECT of the purse answers as its life cycle demands", wantSelect, selectSw);
    }
    if (lifeCycle == LifeCycle::Personalized) {
        const std::vector<std::uint8_t> balance = t.process(hex("805C000204"));
        if (swOf(balance) != 0x9000 || balance.size() != 6) {
            violated("GET BALANCE answers", 0x9000, swOf(balance));
        }
        if (be32(balance.data()) != tracked.balance) {
            violated("GET BALANCE equals the last committed balance", tracked.balance, be32(balance.data()));
        }
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
