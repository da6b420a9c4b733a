// SPDX-License-Identifier: Apache-2.0
// Model-based random test: random sequences of purse operations (loads, purchases, good and bad MACs, PIN tries,
// reselection, proofs, records, unblocking, RELOAD PIN by secure messaging and its replay, interrupted sessions, zero
// amounts, and commands from a second channel) run against the firmware and against a small reference model of the
// purse, with random power cuts at random NVM writes under random TearModels. After a cut the token must be in the
// model's old state, or new state, or the one legal intermediate state of the step (a try spent before its
// comparison: VERIFY, MAC1/MAC2, a secure-messaging MAC), and the run continues from whichever it is. Any other
// difference is a divergence. The model follows spec/pboc-epurse.md with its Decisions 2026-12: the MAC counters are
// spent before the comparison, RELOAD PIN never resets the transaction-MAC counter, 15 secure-messaging failures
// block for good, a session ends on any other command, amounts of 0 are refused, and the volatile state (PIN
// verified, session, challenge) belongs to the channel. The CI run is seeded and small; set SKEY_MODEL_SEQUENCES
// (scripts/model-test-long.sh) for long runs.
// Qt-free, so the same runner also drives the card OS on the emulated Cortex-M4 (tests/target).
#pragma once

#include "TokenDriver.h"

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <optional>
#include <random>
#include <string>

namespace skey::test::model {

using host::HostToken;

inline constexpr std::uint32_t kNoPinLimit = 5000;
inline constexpr std::uint32_t kMaxBalance = 1000000;
inline constexpr std::size_t kCapacity = 10;
inline const Bytes kTerm = hex("112233445566");
inline const Bytes kDrpk = hex("3C1D8E2F4A5B6C7D9E0F1A2B3C4D5E6F");
inline const Bytes kDamk = hex("505152535455565758595A5B5C5D5E5F");
inline constexpr ChannelId kOther = 0x0BADCAFE; // a second program on the key (spec §6a)
inline const char* const kPins[] = {"123456", "654321", "24680F"}; // RELOAD PIN picks one; "24680F" = 5 digits

struct Proof
{
    bool valid = false;
    std::uint16_t atc = 0;
    Bytes mac = Bytes(4, 0);
    Bytes tac = Bytes(4, 0);
    bool operator==(const Proof&) const = default;
};

struct Model
{
    std::uint32_t balance = 0;
    std::uint16_t online = 0;
    std::uint16_t offline = 0;
    std::uint8_t tries = 3;
    std::uint8_t macFailures = 0;
    std::uint8_t smFailures = 0;
    bool blocked = false;
    bool permBlocked = false; ///< 15 secure-messaging failures in a row
    bool verified = false;
    Bytes pin = hex("123456");
    ChannelId channel = kDirectChannel; ///< the channel the volatile state belongs to
    std::deque<Bytes> records; // newest first
    Proof load;
    Proof purchase;
};

inline Bytes be32(std::uint32_t v)
{
    return {static_cast<std::uint8_t>(v >> 24),
        static_cast<std::uint8_t>(v >> 16),
        static_cast<std::uint8_t>(v >> 8),
        static_cast<std::uint8_t>(v)};
}
inline Bytes be16(std::uint16_t v)
{
    return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

class Runner
{
public:
    Runner()
        : m_token(HostToken::kDefaultSerial, 256, 10)
        , m_crypto(m_engine)
    {
        Profile p = standardProfile();
        p.policy = 0x02; // loads PIN-free; purchases above the limit need the PIN
        p.noPinLimit = kNoPinLimit;
        if (Issuer(m_token).personalize(p) != 0x9000) {
            std::abort(); // personalisation failed: nothing to test
        }
        m_fresh = m_token.nvm().image();
        m_dtk = key16(p.keys[2].key);
        m_dpk = key16(p.keys[1].key);
    }

    /// Runs one sequence; returns an empty string or the divergence.
    std::string sequence(std::uint64_t seed, int& cuts)
    {
        std::mt19937_64 rng(seed);
        m_token.nvm().powerRestore();
        m_erases += m_token.nvm().counters().erases;
        m_token.nvm().setImage(m_fresh);
        m_token.nvm().resetCounters();
        m_token.powerCycle();
        m_token.rng().seed(seed);
        m_model = Model{};
        m_log.clear();
        setChannel(kDirectChannel);
        if (rng() % 8 == 0) {
            // Start near the secure-messaging limit, so that the 15th failure (a permanent block) is reached.
            for (int i = 0; i < 14; ++i) {
                if (swOf(Issuer(m_token).sendSecure(hex("04D69500"), hex("00"), Bytes(16, 0))) != 0x6988) {
                    return "preparing SM failures";
                }
            }
            m_model.smFailures = 14;
            m_log += " [sm14]";
        }
        const int length = 1 + static_cast<int>(rng() % 24);
        for (int i = 0; i < length; ++i) {
            const int op = static_cast<int>(rng() % 100);
            const bool cut = rng() % 5 == 0;
            if (cut) {
                m_token.nvm().armPowerCut(1 + rng() % 4, static_cast<host::TearModel>(rng() % host::kTearModelCount));
            }
            // One step in five comes from another program on the key (spec §6a): the volatile state of the
            // channel that made it is cleared first.
            const ChannelId channel = rng() % 5 == 0 ? kOther : kDirectChannel;
            setChannel(channel);
            if (channel != m_model.channel) {
                m_model.verified = false;
                m_model.channel = channel;
                m_log += channel == kOther ? " @B" : " @A";
            }
            const Model before = m_model;
            std::optional<Model> mid;
            std::string err = step(op, rng, mid);
            m_token.nvm().disarmPowerCut();
            if (m_token.nvm().powerLost()) {
                ++cuts;
                m_log += " [cut]";
                m_token.powerCycle();
                setChannel(kDirectChannel);
                m_model.channel = kDirectChannel;
                err.clear(); // the response was lost with the power; the state decides
                Model after = m_model;
                const Model* candidates[] = {&before, &after, mid ? &*mid : nullptr};
                std::vector<const Model*> matches;
                for (const Model* c : candidates) {
                    if (c != nullptr && observe(*c).empty()) {
                        matches.push_back(c);
                    }
                }
                if (matches.empty()) {
                    return "state after a cut is neither old nor new: " + observe(after) + " / " + observe(before)
                        + " ops:" + m_log;
                }
                m_model = *matches.front();
                m_model.channel = kDirectChannel;
                m_model.verified = false;
                // RELOAD PIN: the PIN itself is only seen by VERIFY. When the matching states differ in it, one
                // VERIFY with the first one's PIN tells them apart (and its effect is applied to the model).
                const auto other = std::find_if(
                    matches.begin(), matches.end(), [&](const Model* c) { return c->pin != matches.front()->pin; });
                if (other != matches.end() && m_model.tries > 0) {
                    const Bytes r = Terminal(m_token).verify(m_model.pin);
                    if (swOf(r) == 0x9000) {
                        m_model.tries = 3;
                        m_model.verified = true;
                    } else {
                        m_model = **other;
                        m_model.channel = kDirectChannel;
                        m_model.tries = static_cast<std::uint8_t>(m_model.tries - 1);
                        m_model.verified = false;
                        if (swOf(r) != (0x63C0 | m_model.tries)) {
                            return "PIN after a cut in RELOAD: " + toHex(r) + " ops:" + m_log;
                        }
                    }
                }
            } else if (!err.empty()) {
                return err + " ops:" + m_log;
            }
            m_permanentBlocks += m_model.permBlocked && !before.permBlocked ? 1 : 0;
        }
        setChannel(kDirectChannel);
        m_model.verified = false; // observe() works on the direct channel
        const std::string final = observe(m_model);
        return final.empty() ? std::string{} : final + " ops:" + m_log;
    }

    std::uint64_t erases() const { return m_erases; }
    std::uint64_t permanentBlocks() const { return m_permanentBlocks; }

private:
    Bytes send(const Bytes& c) { return transmit(m_token, c); }

    std::string expectSw(const Bytes& r, std::uint16_t sw, const char* what)
    {
        if (swOf(r) != sw) {
            return std::string(what) + ": SW " + toHex(Bytes(r.end() - 2, r.end())) + " expected " + toHex(be16(sw));
        }
        return {};
    }

    Bytes tac(const Bytes& input)
    {
        std::array<std::uint8_t, 4> t{};
        (void)m_crypto.tac(0x00, m_dtk, input, t);
        return Bytes(t.begin(), t.end());
    }

    /// The transaction-MAC try spent before the comparison (spec §4): the third one blocks in the same commit.
    static void spendMacTry(Model& m)
    {
        m.macFailures = static_cast<std::uint8_t>(m.macFailures + 1);
        if (m.macFailures >= 3) {
            m.blocked = true;
            m.verified = false;
        }
    }
    void macFailure() { spendMacTry(m_model); }
    /// A secure-messaging MAC try spent (spec §6a): the fifteenth blocks the application for good.
    static void spendSmTry(Model& m)
    {
        m.smFailures = static_cast<std::uint8_t>(m.smFailures + 1);
        if (m.smFailures >= 15) {
            m.permBlocked = true;
            m.verified = false;
        }
    }
    /// The status word every purse command gets from a blocked application.
    static std::uint16_t blockedSw(const Model& m) { return m.permBlocked ? 0x9303 : 0x6A81; }
    static bool anyBlock(const Model& m) { return m.blocked || m.permBlocked; }

    void addRecord(std::uint16_t atc, std::uint32_t amount, std::uint8_t type, const Bytes& dateTime)
    {
        m_model.records.push_front(cat({be16(atc), hex("000000"), be32(amount), Bytes{type}, kTerm, dateTime}));
        if (m_model.records.size() > kCapacity) {
            m_model.records.pop_back();
        }
    }

    std::string step(int op, std::mt19937_64& rng, std::optional<Model>& mid)
    {
        Terminal term(m_token);
        Model& m = m_model;
        if (op < 25) { // load
            const std::uint32_t amount = rng() % 20 == 0 ? 0 : static_cast<std::uint32_t>(rng() % 300000);
            const bool bad = rng() % 10 == 0;
            m_log += " L" + std::to_string(amount) + (bad ? "x" : "");
            const Bytes init = term.initLoad(amount);
            if (anyBlock(m)) {
                return expectSw(init, blockedSw(m), "INIT LOAD blocked");
            }
            if (amount == 0) {
                return expectSw(init, 0x6A80, "INIT LOAD amount 0");
            }
            if (static_cast<std::uint64_t>(m.balance) + amount > kMaxBalance) {
                return expectSw(init, 0x6985, "INIT LOAD over max");
            }
            if (auto e = expectSw(init, 0x9000, "INIT LOAD"); !e.empty()) {
                return e;
            }
            if (Bytes(init.begin(), init.begin() + 6) != cat({be32(m.balance), be16(m.online)})) {
                return "INIT LOAD balance/ATC " + toHex(init);
            }
            const Bytes r = term.credit(init, amount, bad);
            mid = m;
            spendMacTry(*mid); // the try spent before the comparison, then the cut
            if (bad) {
                macFailure();
                mid.reset();
                return expectSw(r, 0x9302, "CREDIT bad MAC");
            }
            const Bytes dateTime = hex("20250101120000");
            const std::uint16_t n = m.online;
            m.balance += amount;
            m.online = static_cast<std::uint16_t>(n + 1);
            m.macFailures = 0;
            const Bytes t = tac(cat({be32(m.balance), be16(n), be32(amount), Bytes{0x02}, kTerm, dateTime}));
            m.load = Proof{true, m.online, Bytes(4, 0), t};
            addRecord(n, amount, 0x02, dateTime);
            if (r != cat({t, hex("9000")})) {
                return "CREDIT response " + toHex(r) + " expected TAC " + toHex(t);
            }
            return {};
        }
        if (op < 55) { // purchase
            const std::uint32_t amount
                = rng() % 20 == 0 ? 0 : static_cast<std::uint32_t>(rng() % (m.balance + 2000 + 1));
            const bool bad = rng() % 10 == 0;
            m_log += " P" + std::to_string(amount) + (bad ? "x" : "");
            const Bytes init = term.initPurchase(amount);
            if (anyBlock(m)) {
                return expectSw(init, blockedSw(m), "INIT PURCHASE blocked");
            }
            if (amount == 0) {
                return expectSw(init, 0x6A80, "INIT PURCHASE amount 0");
            }
            if (amount > kNoPinLimit && !m.verified) {
                return expectSw(init, 0x6982, "INIT PURCHASE without PIN");
            }
            if (m.balance < amount) {
                return expectSw(init, 0x9401, "INIT PURCHASE insufficient");
            }
            if (auto e = expectSw(init, 0x9000, "INIT PURCHASE"); !e.empty()) {
                return e;
            }
            if (Bytes(init.begin(), init.begin() + 6) != cat({be32(m.balance), be16(m.offline)})) {
                return "INIT PURCHASE balance/ATC " + toHex(init);
            }
            const std::uint32_t tsn = term.tsn;
            const Bytes r = term.debit(init, amount, bad);
            mid = m;
            spendMacTry(*mid);
            if (bad) {
                macFailure();
                mid.reset();
                return expectSw(r, 0x9302, "DEBIT bad MAC");
            }
            const Bytes dateTime = hex("20250101120500");
            const std::uint16_t n = m.offline;
            m.balance -= amount;
            m.offline = static_cast<std::uint16_t>(n + 1);
            m.macFailures = 0;
            const Bytes t = tac(cat({be32(amount), Bytes{0x06}, kTerm, be32(tsn), dateTime}));
            // MAC2 = MAC(SESPK, amount), SESPK from the card random of INITIALIZE and the TSN.
            const Bytes tsnBytes = be32(tsn);
            std::array<std::uint8_t, 8> seed{
                init[11], init[12], init[13], init[14], init[4], init[5], tsnBytes[2], tsnBytes[3]};
            KeyBuffer ses;
            std::array<std::uint8_t, 4> mac2{};
            (void)m_crypto.sessionKey(0x00, m_dpk, seed, ses);
            (void)m_crypto.transactionMac(0x00, ses, be32(amount), mac2);
            m.purchase = Proof{true, m.offline, Bytes(mac2.begin(), mac2.end()), t};
            addRecord(n, amount, 0x06, dateTime);
            if (r != cat({t, m.purchase.mac, hex("9000")})) {
                return "DEBIT response " + toHex(r) + " expected " + toHex(cat({t, m.purchase.mac}));
            }
            return {};
        }
        if (op < 65) { // VERIFY right or wrong
            const bool right = rng() % 2 == 0;
            m_log += right ? " V+" : " V-";
            const Bytes r = term.verify(right ? m.pin : hex("111111"));
            if (anyBlock(m)) {
                return expectSw(r, blockedSw(m), "VERIFY blocked");
            }
            if (m.tries == 0) {
                return expectSw(r, 0x6983, "VERIFY PIN blocked");
            }
            if (right) {
                mid = m;
                mid->tries = static_cast<std::uint8_t>(m.tries - 1);
                mid->verified = false;
                m.tries = 3;
                m.verified = true;
                return expectSw(r, 0x9000, "VERIFY right");
            }
            m.tries = static_cast<std::uint8_t>(m.tries - 1);
            m.verified = false;
            return expectSw(r, static_cast<std::uint16_t>(0x63C0 | m.tries), "VERIFY wrong");
        }
        if (op < 70) { // reselect
            m_log += " S";
            const Bytes r = term.select();
            m.verified = false;
            return expectSw(r, m.permBlocked ? 0x9303 : m.blocked ? 0x6A81 : 0x9000, "SELECT");
        }
        if (op < 80) { // GET TRANSACTION PROVE
            const bool load = rng() % 2 == 0;
            const Proof& p = load ? m.load : m.purchase;
            const std::uint16_t cur = load ? m.online : m.offline;
            const std::uint16_t atcs[] = {cur,
                static_cast<std::uint16_t>(cur - 1),
                static_cast<std::uint16_t>(cur + 1),
                static_cast<std::uint16_t>(rng())};
            const std::uint16_t atc = atcs[rng() % 4];
            m_log += " G";
            const Bytes r = send(
                cat({hex("805A00"), Bytes{static_cast<std::uint8_t>(load ? 2 : 6)}, hex("02"), be16(atc), hex("08")}));
            if (anyBlock(m)) {
                return expectSw(r, blockedSw(m), "PROVE blocked");
            }
            if (p.valid && (atc == p.atc || atc == static_cast<std::uint16_t>(p.atc - 1))) {
                return r == cat({p.mac, p.tac, hex("9000")}) ? std::string{} : "PROVE " + toHex(r);
            }
            return expectSw(r, 0x9406, "PROVE none");
        }
        if (op < 88) { // READ RECORD
            const std::uint8_t n = static_cast<std::uint8_t>(1 + rng() % (kCapacity + 2));
            m_log += " R";
            const Bytes r = send({0x00, 0xB2, n, 0xC4, 0x17});
            if (anyBlock(m)) {
                return expectSw(r, blockedSw(m), "READ RECORD blocked");
            }
            if (n > m.records.size()) {
                return expectSw(r, 0x6A83, "READ RECORD past the end");
            }
            return r == cat({m.records[n - 1u], hex("9000")}) ? std::string{} : "READ RECORD " + toHex(r);
        }
        if (op < 94) { // GET BALANCE
            m_log += " B";
            const Bytes r = send(hex("805C000204"));
            if (anyBlock(m)) {
                return expectSw(r, blockedSw(m), "BALANCE blocked");
            }
            return r == cat({be32(m.balance), hex("9000")}) ? std::string{} : "BALANCE " + toHex(r);
        }
        if (op < 96) { // APPLICATION UNBLOCK
            m_log += " U";
            const Bytes r = Issuer(m_token).sendSecure(hex("84180000"), {}, kDamk);
            if (m.permBlocked) {
                return expectSw(r, 0x9303, "UNBLOCK permanently blocked");
            }
            if (!m.blocked) {
                return expectSw(r, 0x6985, "UNBLOCK not blocked");
            }
            mid = m;
            spendSmTry(*mid);
            m.blocked = false;
            m.macFailures = 0;
            m.smFailures = 0;
            return expectSw(r, 0x9000, "UNBLOCK");
        }
        if (op < 97) { // a session interrupted by another command (spec §4 Decision 2026-12)
            const bool load = rng() % 2 == 0;
            m_log += load ? " IL" : " IP";
            const Bytes init = load ? term.initLoad(1) : term.initPurchase(1);
            if (swOf(init) != 0x9000) {
                return {}; // blocked, no PIN, over the maximum or empty: the plain steps check those answers
            }
            if (rng() % 2 == 0) {
                setChannel(kOther == m.channel ? kDirectChannel : kOther); // the other program's command
                m.channel = m.channel == kOther ? kDirectChannel : kOther;
                m.verified = false;
            }
            const Bytes between = send(hex("805C000204"));
            if (between != cat({be32(m.balance), hex("9000")})) {
                return "GET BALANCE inside a session " + toHex(between);
            }
            setChannel(m.channel);
            const Bytes r = load ? term.credit(init, 1) : term.debit(init, 1);
            return expectSw(r, 0x6901, "completion after another command");
        }
        if (op < 98) { // the plain RELOAD PIN of before 2026-12: refused, nothing changes
            m_log += " k";
            const Bytes r = send(hex("805E000007123456E609A089"));
            return expectSw(r, anyBlock(m) ? blockedSw(m) : 0x6982, "plain RELOAD PIN");
        }
        // RELOAD PIN by secure messaging with DRPK (resets the PIN tries, never the transaction-MAC counter); one in
        // four is a replay of an old command under a fresh challenge (6988, counted).
        const bool replay = rng() % 4 == 0;
        const Bytes newPin = hex(kPins[rng() % 3]);
        m_log += replay ? " Kx" : " K";
        Issuer issuer(m_token);
        Bytes plain = cat({Bytes{static_cast<std::uint8_t>(newPin.size())}, newPin, hex("80")});
        while (plain.size() % 8 != 0) {
            plain.push_back(0);
        }
        Bytes enc(plain.size());
        (void)m_crypto.ecb(0x00, true, key16(kDrpk), plain, enc);
        Bytes r;
        if (replay) {
            (void)send(hex("0084000004")); // a fresh challenge: the captured command's MAC no longer fits
            r = send(hex("845E00000CF8CE5EA0A66F97486981FAC5"));
        } else {
            r = issuer.sendSecure(hex("845E0000"), enc, kDrpk);
        }
        if (anyBlock(m)) {
            return expectSw(r, blockedSw(m), "RELOAD blocked");
        }
        mid = m;
        spendSmTry(*mid);
        if (replay) {
            spendSmTry(m);
            mid.reset();
            return expectSw(r, 0x6988, "RELOAD PIN replayed");
        }
        m.smFailures = 0;
        m.tries = 3;
        m.pin = newPin;
        m.verified = false;
        return expectSw(r, 0x9000, "RELOAD PIN");
    }

    /// Compares everything the token shows with model `c`: empty string when equal.
    std::string observe(const Model& c)
    {
        const Bytes info = send(hex("80CA000100"));
        if (info.size() < 20 || info[17] != (c.permBlocked ? 0x03 : c.blocked ? 0x02 : 0x01)) {
            return "life cycle " + toHex(info);
        }
        // The failure counters have no APDU to read them; the OS reports them for diagnostics.
        if (m_token.os().macFailures() != c.macFailures) {
            return "MAC failure counter " + std::to_string(m_token.os().macFailures());
        }
        if (m_token.os().smFailures() != c.smFailures) {
            return "SM failure counter " + std::to_string(m_token.os().smFailures());
        }
        if (anyBlock(c)) {
            return {};
        }
        (void)Terminal(m_token).select();
        const Bytes status = send(hex("00200000"));
        if (swOf(status) != (c.tries == 0 ? 0x6983 : 0x63C0 | c.tries)) {
            return "PIN status " + toHex(status);
        }
        if (send(hex("805C000204")) != cat({be32(c.balance), hex("9000")})) {
            return "balance";
        }
        // The ATCs are only shown by INITIALIZE (amount 0 is refused: use 1 where the purse allows it).
        if (c.balance < kMaxBalance) {
            const Bytes il = Terminal(m_token).initLoad(1);
            if (il.size() < 6 || Bytes(il.begin(), il.begin() + 6) != cat({be32(c.balance), be16(c.online)})) {
                return "balance/online ATC " + toHex(il);
            }
        }
        if (c.balance >= 1) {
            const Bytes ip = Terminal(m_token).initPurchase(1);
            if (ip.size() < 6 || Bytes(ip.begin(), ip.begin() + 6) != cat({be32(c.balance), be16(c.offline)})) {
                return "offline ATC " + toHex(ip);
            }
        }
        for (std::uint8_t n = 1; n <= kCapacity + 1; ++n) {
            const Bytes r = send({0x00, 0xB2, n, 0xC4, 0x17});
            const Bytes expected = n <= c.records.size() ? cat({c.records[n - 1u], hex("9000")}) : hex("6A83");
            if (r != expected) {
                return "record " + std::to_string(n) + " " + toHex(r);
            }
        }
        for (const bool load : {true, false}) {
            const Proof& p = load ? c.load : c.purchase;
            const std::uint16_t atc = load ? c.online : c.offline;
            const Bytes r = send(
                cat({hex("805A00"), Bytes{static_cast<std::uint8_t>(load ? 2 : 6)}, hex("02"), be16(atc), hex("08")}));
            const Bytes expected = p.valid && p.atc == atc ? cat({p.mac, p.tac, hex("9000")}) : hex("9406");
            if (r != expected) {
                return std::string("proof ") + (load ? "load " : "purchase ") + toHex(r);
            }
        }
        return {};
    }

    HostToken m_token;
    host::HostCrypto m_engine;
    PbocCrypto m_crypto;
    std::vector<std::uint8_t> m_fresh;
    std::array<std::uint8_t, 16> m_dtk{};
    std::array<std::uint8_t, 16> m_dpk{};
    Model m_model;
    std::string m_log;
    std::uint64_t m_erases = 0;
    std::uint64_t m_permanentBlocks = 0;
};

} // namespace skey::test::model
