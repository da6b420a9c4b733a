// SPDX-License-Identifier: Apache-2.0
// Instruction counts per command under callgrind. The card OS runs on the host platform; collection is switched on
// only around the measured command (CALLGRIND_TOGGLE_COLLECT) and, with `--no-crypto`, switched off inside the
// crypto engine, so the count is the card OS's own work (on the token the engine is hardware).
//   valgrind --tool=callgrind --collect-atstart=no skey_bench_commands <command> [--no-crypto]
//   commands: select verify balance init-load credit init-purchase debit prove read-record get-data power-on
#include "HostCrypto.h"
#include "HostNvm.h"
#include "HostRng.h"
#include "HostSystem.h"
#include "TokenDriver.h"

#include <valgrind/callgrind.h>

#include <cstdio>
#include <cstring>
#include <string>

using namespace skey;
using namespace skey::test;

namespace {

bool g_excludeCrypto = false;
bool g_measuring = false;

/// HostCrypto with collection paused while it runs (when measuring without crypto).
class PausingCrypto final : public hal::CryptoEngine
{
public:
    template <typename F>
    bool paused(F&& f)
    {
        const bool pause = g_excludeCrypto && g_measuring;
        if (pause) {
            CALLGRIND_TOGGLE_COLLECT;
        }
        const bool r = f();
        if (pause) {
            CALLGRIND_TOGGLE_COLLECT;
        }
        return r;
    }
    bool desEncrypt(
        std::span<const std::uint8_t, 8> k, std::span<const std::uint8_t, 8> i, std::span<std::uint8_t, 8> o) override
    {
        return paused([&] { return m_inner.desEncrypt(k, i, o); });
    }
    bool desDecrypt(
        std::span<const std::uint8_t, 8> k, std::span<const std::uint8_t, 8> i, std::span<std::uint8_t, 8> o) override
    {
        return paused([&] { return m_inner.desDecrypt(k, i, o); });
    }
    bool tdesEncrypt(
        std::span<const std::uint8_t, 16> k, std::span<const std::uint8_t, 8> i, std::span<std::uint8_t, 8> o) override
    {
        return paused([&] { return m_inner.tdesEncrypt(k, i, o); });
    }
    bool tdesDecrypt(
        std::span<const std::uint8_t, 16> k, std::span<const std::uint8_t, 8> i, std::span<std::uint8_t, 8> o) override
    {
        return paused([&] { return m_inner.tdesDecrypt(k, i, o); });
    }
    bool sm4Encrypt(std::span<const std::uint8_t, 16> k,
        std::span<const std::uint8_t, 16> i,
        std::span<std::uint8_t, 16> o) override
    {
        return paused([&] { return m_inner.sm4Encrypt(k, i, o); });
    }
    bool sm4Decrypt(std::span<const std::uint8_t, 16> k,
        std::span<const std::uint8_t, 16> i,
        std::span<std::uint8_t, 16> o) override
    {
        return paused([&] { return m_inner.sm4Decrypt(k, i, o); });
    }

private:
    host::HostCrypto m_inner;
};

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s <command> [--no-crypto]\n", argv[0]);
        return 2;
    }
    const std::string command = argv[1];
    g_excludeCrypto = argc > 2 && std::strcmp(argv[2], "--no-crypto") == 0;

    // Personalise an image with the test driver, then run the card OS on a platform with the pausing engine.
    host::HostToken factory;
    if (Issuer(factory).personalize(standardProfile()) != 0x9000) {
        return 1;
    }
    host::HostNvm nvm;
    nvm.setImage(factory.nvm().image());
    host::HostRng rng(1);
    PausingCrypto crypto;
    host::HostPresence presence;
    host::HostSystem system(host::HostToken::kDefaultSerial);
    hal::Platform platform{nvm, rng, crypto, presence, system};
    static CardOs os(platform);
    os.powerOn();
    static std::uint8_t response[kMaxResponseApdu];
    auto send = [&](const Bytes& c) {
        const std::size_t n = os.process(c, response);
        return Bytes(response, response + n);
    };
    auto measured = [&](const Bytes& c) {
        g_measuring = true;
        CALLGRIND_TOGGLE_COLLECT;
        const std::size_t n = os.process(c, response);
        CALLGRIND_TOGGLE_COLLECT;
        g_measuring = false;
        return Bytes(response, response + n);
    };
    constexpr int kRounds = 100;
    (void)send(hex("0020000003123456"));
    // Terminal-side MACs with the test driver's crypto (not measured).
    host::HostToken dummy;
    Terminal term(dummy);
    {
        // A balance for the purchases.
        const Bytes init = send(hex("805000020B0100050000112233445566 10"));
        std::vector<Bytes> recorded;
        setRecorder(&recorded);
        (void)term.credit(init, 0x050000);
        setRecorder(nullptr);
        if (swOf(send(recorded.back())) != 0x9000) {
            std::fprintf(stderr, "set-up load failed\n");
            return 1;
        }
    }
    int ok = 0;
    for (int i = 0; i < kRounds; ++i) {
        Bytes r;
        if (command == "select") {
            r = measured(hex("00A404000AD15600000145442F4550"));
        } else if (command == "verify") {
            r = measured(hex("0020000003123456"));
        } else if (command == "balance") {
            r = measured(hex("805C000204"));
        } else if (command == "init-load") {
            r = measured(hex("805000020B0100000001112233445566 10"));
        } else if (command == "credit" || command == "init-purchase" || command == "debit") {
            const bool load = command == "credit";
            const Bytes init = command == "init-purchase"
                ? measured(hex("805001020B0100000001112233445566 0F"))
                : send(load ? hex("805000020B0100000001112233445566 10") : hex("805001020B0100000001112233445566 0F"));
            if (command == "init-purchase") {
                r = init;
            } else {
                // Build the completion with the terminal helper against a throw-away token, then replay it here.
                std::vector<Bytes> recorded;
                setRecorder(&recorded);
                (void)(load ? term.credit(init, 1) : term.debit(init, 1));
                setRecorder(nullptr);
                r = measured(recorded.back());
            }
        } else if (command == "prove") {
            r = measured(hex("805A0002020001 08"));
        } else if (command == "read-record") {
            r = measured(hex("00B201C417"));
        } else if (command == "get-data") {
            r = measured(hex("80CA000100"));
        } else if (command == "power-on") {
            g_measuring = true;
            CALLGRIND_TOGGLE_COLLECT;
            os.powerOn();
            CALLGRIND_TOGGLE_COLLECT;
            g_measuring = false;
            r = send(hex("0020000003123456"));
        } else {
            std::fprintf(stderr, "unknown command %s\n", command.c_str());
            return 2;
        }
        ok += swOf(r) == 0x9000 ? 1 : 0;
    }
    std::printf("%s: %d rounds measured, %d answered 9000%s\n",
        command.c_str(),
        kRounds,
        ok,
        g_excludeCrypto ? " (crypto engine excluded)" : "");
    return ok == kRounds ? 0 : 1;
}
