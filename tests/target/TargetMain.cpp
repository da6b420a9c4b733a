// SPDX-License-Identifier: Apache-2.0
// The test image for the emulated Cortex-M4 (QEMU netduinoplus2). It runs, on the target's core and with the same
// sources as the host tests: the published vectors (primitives, the four flows byte for byte, the personalisation
// commands), the storage journal with power cuts at every write on a RAM-backed flash model (HostNvm) under every
// tear model, and model-test sequences (tests/firmware/PurseModelRunner.h). It prints the emulated instruction counts
// of VERIFY, CREDIT and DEBIT and their stack high-water marks, and ends QEMU with 0 only when everything passed.
#include "PbocVectorsData.h"
#include "PurseModelRunner.h"
#include "TargetRuntime.h"
#include "TokenDriver.h"

#include "Bytes.h"
#include "Journal.h"
#include "McuPlatform.h"

#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>

using namespace skey;
using namespace skey::test;
using skey::target::print;

namespace {

int g_failures = 0;

void fail(const std::string& what)
{
    ++g_failures;
    print(("FAIL: " + what + "\n").c_str());
}

void check(bool ok, const std::string& what)
{
    if (!ok) {
        fail(what);
    }
}

void report(const std::string& line)
{
    print((line + "\n").c_str());
}

bool startsWith(const std::string& s, const char* prefix)
{
    return s.rfind(prefix, 0) == 0;
}

/// The published primitives through the firmware's PbocCrypto (as tests/firmware/TestPbocVectors.cpp does).
void primitives()
{
    host::HostCrypto engine;
    PbocCrypto crypto(engine);
    int done = 0;
    for (const auto& v : target::kPrimitives) {
        const std::string name = v.name;
        const Bytes k = hex(v.key);
        const Bytes d = hex(v.data);
        const Bytes expected = hex(v.expected);
        Bytes got;
        if (startsWith(name, "session key")) {
            std::array<std::uint8_t, 8> seed{};
            if (name.find("load") != std::string::npos && d.size() == 6) {
                seed = {d[0], d[1], d[2], d[3], d[4], d[5], 0x80, 0x00};
            } else if (d.size() == 10) {
                seed = {d[0], d[1], d[2], d[3], d[4], d[5], d[8], d[9]};
            }
            KeyBuffer ses;
            check(crypto.sessionKey(kAlg3Des, key16(k), seed, ses), name);
            got.assign(ses.bytes.begin(), ses.bytes.begin() + static_cast<std::ptrdiff_t>(ses.size));
        } else if (startsWith(name, "TAC key")) {
            for (std::size_t i = 0; i < 8 && k.size() == 16; ++i) {
                got.push_back(static_cast<std::uint8_t>(k[i] ^ k[8 + i]));
            }
        } else if (startsWith(name, "retail MAC")) {
            std::array<std::uint8_t, 8> mac{};
            check(crypto.retailMac(key16(k), std::array<std::uint8_t, 8>{}, d, mac), name);
            got.assign(mac.begin(), mac.begin() + 4);
        } else if (startsWith(name, "SM4 block")) {
            Bytes out(16);
            check(crypto.ecb(kAlgSm4, true, key16(k), d, out), name);
            got = out;
        } else if (name.find("MAC") != std::string::npos || *v.iv != '\0') {
            std::array<std::uint8_t, 8> k8{};
            std::copy(k.begin(), k.begin() + 8, k8.begin());
            std::array<std::uint8_t, 8> iv8{};
            const Bytes iv = hex(v.iv);
            std::copy(iv.begin(), iv.end(), iv8.begin());
            std::array<std::uint8_t, 8> mac{};
            check(crypto.desMac(k8, iv8, d, mac), name);
            got.assign(mac.begin(), mac.begin() + 4);
        } else {
            fail("unknown primitive " + name);
            continue;
        }
        check(got == expected, "primitive " + name + ": got " + toHex(got) + " expected " + toHex(expected));
        ++done;
    }
    report("vectors: " + std::to_string(done) + " primitives");
}

struct Cost
{
    std::uint64_t instructions = 0;
    std::size_t stack = 0;
};

/// One command on the token, measured: emulated instructions and the stack below the caller's frame.
Bytes measured(host::HostToken& token, const Bytes& c, Cost& cost)
{
    target::paintStack();
    const std::uint64_t start = target::instructionsNow();
    Bytes r = token.process(c);
    cost.instructions = target::instructionsNow() - start;
    cost.stack = target::stackUsedSincePaint();
    return r;
}

void printCost(const char* what, const Cost& c)
{
    report(std::string("cost: ") + what + " " + std::to_string(static_cast<unsigned long>(c.instructions))
        + " instructions, stack " + std::to_string(c.stack) + " B");
}

/// The four flows, every step's response byte for byte, on tokens personalised with real §6 APDUs.
void flows()
{
    std::unique_ptr<host::HostToken> token;
    int steps = 0;
    for (const auto& f : target::kFlows) {
        const std::string name = f.name;
        const std::uint8_t alg = name.find("SM4") != std::string::npos ? kAlgSm4 : kAlg3Des;
        if (*f.dlk != '\0') {
            token.reset();
            token = std::make_unique<host::HostToken>();
            Issuer issuer(*token);
            Profile p = standardProfile(alg);
            p.keys[0].key = hex(f.dlk);
            p.keys[1].key = hex(f.dpk);
            p.keys[2].key = hex(f.dtk);
            check(issuer.personalize(p) == 0x9000, name + ": personalisation");
            Terminal t(*token, alg);
            check(swOf(t.select()) == 0x9000, name + ": SELECT");
            Cost verify;
            const Bytes r = measured(*token, hex("0020000003123456"), verify);
            check(toHex(r) == "9000", name + ": VERIFY " + toHex(r));
            if (steps == 0) {
                printCost("VERIFY (3DES flow)", verify);
            }
        }
        if (!token) {
            fail(name + ": no token");
            continue;
        }
        for (std::size_t i = 0; i < f.stepCount; ++i) {
            const Bytes c = hex(f.steps[i].c);
            if (c.size() > 1 && c[1] == 0x50) {
                token->rng().force(hex(f.cardRandom));
            }
            Cost cost;
            const Bytes r = measured(*token, c, cost);
            check(toHex(r) == toHex(hex(f.steps[i].r)),
                name + ": step " + std::to_string(i) + " got " + toHex(r) + " expected " + f.steps[i].r);
            if (c.size() > 1 && (c[1] == 0x52 || c[1] == 0x54)) {
                printCost(
                    (std::string(c[1] == 0x52 ? "CREDIT" : "DEBIT") + (alg == kAlgSm4 ? " (SM4)" : " (3DES)")).c_str(),
                    cost);
            }
            ++steps;
        }
    }
    check(steps == 20, "flows: " + std::to_string(steps) + " steps, expected 20");
    report("vectors: 4 flows, " + std::to_string(steps) + " steps");
}

/// The personalisation vectors: EXTERNAL AUTHENTICATE with KT, WRITE KEY, PUT DATA, END PERSONALIZATION.
void personalization()
{
    host::HostToken token;
    Issuer issuer(token);
    Terminal t(token);
    check(swOf(t.select()) == 0x9000, "perso: SELECT");
    const Bytes kt = hex("4B544B544B544B544B544B544B544B54");
    int sent = 0;
    for (const auto& v : target::kPersonalization) {
        const std::string name = v.name;
        check(hex(v.kt) == kt, name + ": KT");
        if (startsWith(name, "END")) {
            const Profile p = standardProfile();
            for (std::size_t i = 1; i < p.keys.size(); ++i) {
                Bytes plain{19, p.keys[i].index, p.keys[i].version, p.keys[i].alg};
                plain.insert(plain.end(), p.keys[i].key.begin(), p.keys[i].key.end());
                check(toHex(issuer.writeKey(kt, p.keys[i].type, plain)) == "9000", name + ": WRITE KEY");
            }
        }
        const Bytes ch = hex(v.challenge);
        token.rng().force(ch);
        check(token.process(hex("0084000008")) == cat({ch, hex("9000")}), name + ": GET CHALLENGE");
        const Bytes r = token.process(hex(v.c));
        check(toHex(r) == "9000", name + ": " + toHex(r));
        ++sent;
    }
    check(token.os().lifeCycle() == LifeCycle::Personalized, "perso: life cycle");
    check(toHex(t.verify(hex("123456"))) == "9000", "perso: VERIFY");
    check(swOf(t.load(1000000)) == 0x9000, "perso: load to the maximum");
    check(swOf(t.load(1)) == 0x6985, "perso: above the maximum");
    report("vectors: " + std::to_string(sent) + " personalisation commands");
}

using Value = std::vector<std::uint8_t>;
using State = std::map<std::uint8_t, Value>;

State readAll(Journal& j)
{
    State s;
    for (std::size_t id = 0; id < kItemCount; ++id) {
        std::array<std::uint8_t, kMaxItemSize> buf{};
        std::size_t n = 0;
        if (j.read(static_cast<std::uint8_t>(id), buf, n) != StoreStatus::Ok) {
            fail("journal read");
        }
        if (n != 0) {
            s[static_cast<std::uint8_t>(id)] = Value(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
        }
    }
    return s;
}

/// Random commits on a RAM-backed flash model; every commit whose number is a multiple of `cutEvery` is cut at one
/// of its writes, cycling through the writes and the tear models. After each cut the remounted state must be the
/// old or the new one.
void journal(std::size_t pageSize, std::size_t pageCount, int steps)
{
    host::HostNvm nvm(pageSize, pageCount);
    Journal j(nvm);
    check(j.mount() == StoreStatus::Ok, "journal: first mount");
    std::mt19937 rng(1234);
    State model;
    int cuts = 0;
    constexpr int kModels = host::kTearModelCount;
    for (int step = 0; step < steps; ++step) {
        JournalBatch b;
        State next = model;
        const int items = 1 + static_cast<int>(rng() % 4);
        for (int i = 0; i < items; ++i) {
            const auto id = static_cast<std::uint8_t>(rng() % 24);
            Value v(1 + rng() % 40);
            for (auto& x : v) {
                x = static_cast<std::uint8_t>(rng());
            }
            check(b.add(id, v), "journal: add");
            next[id] = v;
        }
        const bool cut = step % 4 == 3;
        if (cut) {
            check(j.mount() == StoreStatus::Ok, "journal: remount before a cut");
            // The writes this commit makes, counted on a copy.
            host::HostNvm scratch(pageSize, pageCount);
            scratch.setImage(nvm.image());
            Journal sj(scratch);
            (void)sj.mount();
            (void)sj.commit(b);
            const std::uint64_t writes = scratch.counters().programs + scratch.counters().erases;
            nvm.armPowerCut(
                1 + static_cast<std::uint64_t>(step / 4) % writes, static_cast<host::TearModel>((step / 4) % kModels));
        }
        const StoreStatus s = j.commit(b);
        nvm.disarmPowerCut();
        if (nvm.powerLost()) {
            ++cuts;
            nvm.powerRestore();
            check(j.mount() == StoreStatus::Ok, "journal: mount after a cut");
            const State after = readAll(j);
            check(after == model || after == next, "journal: mixed state after a cut at step " + std::to_string(step));
            model = after;
        } else {
            check(!cut, "journal: an armed cut did not fire");
            check(s == StoreStatus::Ok, "journal: commit");
            model = next;
            check(readAll(j) == model, "journal: read back");
        }
    }
    report("journal " + std::to_string(pageCount) + " x " + std::to_string(pageSize) + ": " + std::to_string(steps)
        + " commits, " + std::to_string(cuts) + " power cuts, "
        + std::to_string(static_cast<unsigned long>(nvm.counters().erases)) + " erases");
}

void modelSequences(int count)
{
    model::Runner runner;
    int cuts = 0;
    int divergences = 0;
    constexpr std::uint64_t kSeed = 20251125;
    for (int i = 0; i < count; ++i) {
        const std::string err = runner.sequence(kSeed + static_cast<std::uint64_t>(i), cuts);
        if (!err.empty()) {
            ++divergences;
            fail("model sequence " + std::to_string(i) + " diverges: " + err);
            if (divergences > 3) {
                break;
            }
        }
    }
    check(cuts > 0, "model: no power cut");
    check(runner.erases() > 0, "model: no garbage collection");
    report("model: " + std::to_string(count) + " sequences (seed 20251125), " + std::to_string(cuts) + " power cuts, "
        + std::to_string(static_cast<unsigned long>(runner.erases())) + " erases, " + std::to_string(divergences)
        + " divergences");
}

/// The M4 platform's flash-ECC NMI logic on register images in RAM (QEMU models no flash ECC), and McuNvm::read on
/// QEMU's flash (no ECC error: Ok).
void eccNmi()
{
    mcu::FlashRegs regs{};
    constexpr std::uint32_t kEccd = 1u << 31;
    regs.ECCR = kEccd | (mcu::McuNvm::kBase - 0x08000000u + 0x128u);
    mcu::g_nvmEccFault = false;
    check(mcu::onFlashEccNmi(regs), "ECC NMI in the journal area not handled");
    check(mcu::g_nvmEccFault, "ECC NMI did not flag the read");
    check(regs.ECCR == kEccd, "ECC NMI did not clear ECCD");
    mcu::g_nvmEccFault = false;
    regs.ECCR = kEccd | 0x100u; // in the code
    check(!mcu::onFlashEccNmi(regs) && !mcu::g_nvmEccFault, "ECC NMI in the code taken for a journal read");
    regs.ECCR = 0;
    check(!mcu::onFlashEccNmi(regs), "an NMI without ECCD taken for an ECC error");
    mcu::McuNvm nvm;
    std::array<std::uint8_t, 16> buf{};
    check(nvm.read(0, buf) == hal::NvmStatus::Ok, "McuNvm::read without an ECC error");
    report("ECC NMI: journal area flagged, code area and other NMIs refused");
}

/// The production steps' decisions: the OTP factory record (valid, damaged, consumed) and the RDP upgrade table.
void productionSteps()
{
    std::array<std::uint8_t, mcu::kFactoryRecordSize> record{};
    record.fill(0xFF);
    const Bytes head = cat({Bytes{'S', 'K', 'K', 'T', '0', '0', '0', '1'}, hex("00112233445566778899AABBCCDDEEFF")});
    std::copy(head.begin(), head.end(), record.begin());
    putBe32(record.data() + 24, crc32(std::span<const std::uint8_t>(record.data(), 24)));
    std::array<std::uint8_t, 16> kt{};
    check(mcu::parseFactoryRecord(record, kt) && Bytes(kt.begin(), kt.end()) == hex("00112233445566778899AABBCCDDEEFF"),
        "factory record: a valid record");
    auto damaged = record;
    damaged[12] ^= 0x01;
    check(!mcu::parseFactoryRecord(damaged, kt), "factory record: a damaged KT accepted");
    auto consumed = record;
    std::fill(consumed.begin() + 32, consumed.end(), 0);
    check(!mcu::parseFactoryRecord(consumed, kt), "factory record: a consumed record accepted");
    std::array<std::uint8_t, mcu::kFactoryRecordSize> blank{};
    blank.fill(0xFF);
    check(!mcu::parseFactoryRecord(blank, kt), "factory record: an empty OTP accepted");
    using mcu::ReadoutProtection;
    std::uint32_t optr = 0;
    check(mcu::rdpUpgrade(0xFFEFF8AAu, ReadoutProtection::Level2, optr) && optr == 0xFFEFF8CCu, "RDP 0 -> 2");
    check(mcu::rdpUpgrade(0xFFEFF8AAu, ReadoutProtection::Level1, optr) && optr == 0xFFEFF8BBu, "RDP 0 -> 1");
    check(mcu::rdpUpgrade(0xFFEFF8BBu, ReadoutProtection::Level2, optr) && optr == 0xFFEFF8CCu, "RDP 1 -> 2");
    check(!mcu::rdpUpgrade(0xFFEFF8BBu, ReadoutProtection::Level1, optr), "RDP 1 kept at level 1");
    check(!mcu::rdpUpgrade(0xFFEFF812u, ReadoutProtection::Level1, optr), "RDP 1 (any byte) kept");
    check(!mcu::rdpUpgrade(0xFFEFF8CCu, ReadoutProtection::Level1, optr), "RDP 2 never lowered");
    check(!mcu::rdpUpgrade(0xFFEFF8CCu, ReadoutProtection::Level2, optr), "RDP 2 kept");
    report("production: factory record and RDP decisions");
}

} // namespace

int main()
{
    target::startCounter();
    report("skey target tests on an emulated Cortex-M4 (QEMU netduinoplus2, semihosting)");
    // The counter's own check: a loop of a known length (2 instructions per turn).
    const std::uint64_t t0 = target::instructionsNow();
    std::uint32_t n = 100000;
    __asm__ volatile("1: subs %0, %0, #1\n bne 1b" : "+r"(n));
    const std::uint64_t loop = target::instructionsNow() - t0;
    report("counter: 200000 instructions measured as " + std::to_string(static_cast<unsigned long>(loop)));
    check(loop >= 199000 && loop <= 201000, "instruction counter");

    eccNmi();
    productionSteps();
    primitives();
    flows();
    personalization();
    journal(256, 8, 1200);
    journal(2048, 6, 600);
    modelSequences(SKEY_TARGET_MODEL_SEQUENCES);
    if (g_failures != 0) {
        report("FAIL: " + std::to_string(g_failures) + " failed checks");
        target::exitQemu(1);
    }
    report("TARGET TESTS PASSED");
    target::exitQemu(0);
}
