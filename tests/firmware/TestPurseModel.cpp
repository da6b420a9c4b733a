// SPDX-License-Identifier: Apache-2.0
// Model-based random test: random sequences of purse operations (loads, purchases, good and bad MACs, PIN tries,
// reselection, proofs, records, unblocking) run against the firmware and against a small reference model of the
// purse, with random power cuts at random NVM writes under random TearModels. After a cut the token must be in the
// model's old state, or new state (or the one legal intermediate state of a correct VERIFY), and the run continues
// from whichever it is. Any other difference is a divergence. The CI run is seeded and small; set
// SKEY_MODEL_SEQUENCES (scripts/model-test-long.sh) for long runs.
#include "TokenDriver.h"

#include <QtTest>

#include <deque>
#include <optional>
#include <random>

using namespace skey;
using namespace skey::test;
using host::HostToken;

namespace {

constexpr std::uint32_t kNoPinLimit = 5000;
constexpr std::uint32_t kMaxBalance = 1000000;
constexpr std::size_t kCapacity = 10;
const Bytes kTerm = hex("112233445566");

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
    bool blocked = false;
    bool verified = false;
    std::deque<Bytes> records; // newest first
    Proof load;
    Proof purchase;
};

Bytes be32(std::uint32_t v)
{
    return {static_cast<std::uint8_t>(v >> 24),
        static_cast<std::uint8_t>(v >> 16),
        static_cast<std::uint8_t>(v >> 8),
        static_cast<std::uint8_t>(v)};
}
Bytes be16(std::uint16_t v)
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
            qFatal("personalisation failed");
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
        const int length = 1 + static_cast<int>(rng() % 24);
        for (int i = 0; i < length; ++i) {
            const int op = static_cast<int>(rng() % 100);
            const bool cut = rng() % 5 == 0;
            if (cut) {
                m_token.nvm().armPowerCut(1 + rng() % 4, static_cast<host::TearModel>(rng() % 3));
            }
            const Model before = m_model;
            std::optional<Model> mid;
            std::string err = step(op, rng, mid);
            m_token.nvm().disarmPowerCut();
            if (m_token.nvm().powerLost()) {
                ++cuts;
                m_log += " [cut]";
                m_token.powerCycle();
                err.clear(); // the response was lost with the power; the state decides
                Model after = m_model;
                const Model* candidates[] = {&before, &after, mid ? &*mid : nullptr};
                bool matched = false;
                for (const Model* c : candidates) {
                    if (c != nullptr && observe(*c).empty()) {
                        m_model = *c;
                        matched = true;
                        break;
                    }
                }
                if (!matched) {
                    return "state after a cut is neither old nor new: " + observe(after) + " / " + observe(before)
                        + " ops:" + m_log;
                }
                m_model.verified = false;
            } else if (!err.empty()) {
                return err + " ops:" + m_log;
            }
        }
        const std::string final = observe(m_model);
        return final.empty() ? std::string{} : final + " ops:" + m_log;
    }

    std::uint64_t erases() const { return m_erases; }

private:
    Bytes send(const Bytes& c) { return m_token.process(c); }

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

    void macFailure()
    {
        if (++m_model.macFailures >= 3) {
            m_model.blocked = true;
            m_model.verified = false;
        }
    }

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
            const std::uint32_t amount = static_cast<std::uint32_t>(rng() % 300000);
            const bool bad = rng() % 10 == 0;
            m_log += " L" + std::to_string(amount) + (bad ? "x" : "");
            const Bytes init = term.initLoad(amount);
            if (m.blocked) {
                return expectSw(init, 0x6A81, "INIT LOAD blocked");
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
            if (bad) {
                macFailure();
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
            const std::uint32_t amount = static_cast<std::uint32_t>(rng() % (m.balance + 2000 + 1));
            const bool bad = rng() % 10 == 0;
            m_log += " P" + std::to_string(amount) + (bad ? "x" : "");
            const Bytes init = term.initPurchase(amount);
            if (m.blocked) {
                return expectSw(init, 0x6A81, "INIT PURCHASE blocked");
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
            if (bad) {
                macFailure();
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
            const Bytes r = term.verify(right ? hex("123456") : hex("654321"));
            if (m.blocked) {
                return expectSw(r, 0x6A81, "VERIFY blocked");
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
            return expectSw(r, m.blocked ? 0x6A81 : 0x9000, "SELECT");
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
            if (m.blocked) {
                return expectSw(r, 0x6A81, "PROVE blocked");
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
            if (m.blocked) {
                return expectSw(r, 0x6A81, "READ RECORD blocked");
            }
            if (n > m.records.size()) {
                return expectSw(r, 0x6A83, "READ RECORD past the end");
            }
            return r == cat({m.records[n - 1u], hex("9000")}) ? std::string{} : "READ RECORD " + toHex(r);
        }
        if (op < 94) { // GET BALANCE
            m_log += " B";
            const Bytes r = send(hex("805C000204"));
            if (m.blocked) {
                return expectSw(r, 0x6A81, "BALANCE blocked");
            }
            return r == cat({be32(m.balance), hex("9000")}) ? std::string{} : "BALANCE " + toHex(r);
        }
        if (op < 97) { // APPLICATION UNBLOCK
            m_log += " U";
            const Bytes r = Issuer(m_token).sendSecure(hex("84180000"), {}, hex("505152535455565758595A5B5C5D5E5F"));
            if (!m.blocked) {
                return expectSw(r, 0x6985, "UNBLOCK not blocked");
            }
            m.blocked = false;
            m.macFailures = 0;
            return expectSw(r, 0x9000, "UNBLOCK");
        }
        // RELOAD PIN (resets the try counter; the issuer's MAC is the vector's).
        m_log += " K";
        const Bytes r = send(hex("805E000007123456E609A089"));
        if (m.blocked) {
            return expectSw(r, 0x6A81, "RELOAD blocked");
        }
        m.tries = 3;
        m.macFailures = 0;
        return expectSw(r, 0x9000, "RELOAD PIN");
    }

    /// Compares everything the token shows with model `c`: empty string when equal.
    std::string observe(const Model& c)
    {
        const Bytes info = send(hex("80CA000100"));
        if (info.size() < 20 || info[17] != (c.blocked ? 0x02 : 0x01)) {
            return "life cycle " + toHex(info);
        }
        // The failure counter has no APDU to read it; the OS reports it for diagnostics.
        if (m_token.os().macFailures() != c.macFailures) {
            return "MAC failure counter " + std::to_string(m_token.os().macFailures());
        }
        if (c.blocked) {
            return {};
        }
        (void)Terminal(m_token).select();
        const Bytes status = send(hex("00200000"));
        if (swOf(status) != (c.tries == 0 ? 0x6983 : 0x63C0 | c.tries)) {
            return "PIN status " + toHex(status);
        }
        const Bytes il = Terminal(m_token).initLoad(0);
        if (Bytes(il.begin(), il.begin() + 6) != cat({be32(c.balance), be16(c.online)})) {
            return "balance/online ATC " + toHex(il);
        }
        const Bytes ip = Terminal(m_token).initPurchase(0);
        if (Bytes(ip.begin(), ip.begin() + 6) != cat({be32(c.balance), be16(c.offline)})) {
            return "offline ATC " + toHex(ip);
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
};

} // namespace

class TestPurseModel : public QObject
{
    Q_OBJECT

private slots:
    void randomSequencesWithPowerCuts();
};

void TestPurseModel::randomSequencesWithPowerCuts()
{
    const std::uint64_t count = qEnvironmentVariableIsSet("SKEY_MODEL_SEQUENCES")
        ? qEnvironmentVariable("SKEY_MODEL_SEQUENCES").toULongLong()
        : 4000;
    const std::uint64_t base = qEnvironmentVariableIsSet("SKEY_MODEL_SEED")
        ? qEnvironmentVariable("SKEY_MODEL_SEED").toULongLong()
        : 20251125;
    Runner runner;
    int cuts = 0;
    std::uint64_t divergences = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
        const std::string err = runner.sequence(base + i, cuts);
        if (!err.empty()) {
            ++divergences;
            qWarning("sequence seed %llu diverges: %s", static_cast<unsigned long long>(base + i), err.c_str());
            if (divergences > 5) {
                break;
            }
        }
        if (count >= 100000 && (i + 1) % 100000 == 0) {
            qInfo("%llu sequences, %d power cuts, %llu divergences",
                static_cast<unsigned long long>(i + 1),
                cuts,
                static_cast<unsigned long long>(divergences));
        }
    }
    qInfo("model test: %llu sequences (seed %llu), %d power cuts, %llu page erases (garbage collection), "
          "%llu divergences",
        static_cast<unsigned long long>(count),
        static_cast<unsigned long long>(base),
        cuts,
        static_cast<unsigned long long>(runner.erases()),
        static_cast<unsigned long long>(divergences));
    QVERIFY(runner.erases() > 0);
    QCOMPARE(divergences, std::uint64_t(0));
    QVERIFY(cuts > 0);
}

QTEST_GUILESS_MAIN(TestPurseModel)
#include "TestPurseModel.moc"
