// SPDX-License-Identifier: Apache-2.0
// skey-sim: the SmartKey token simulator. One token per process. See --help and docs/transport.md.
#include "Simulator.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

using namespace skey::sim;

const char* kHelp = R"(skey-sim - the SmartKey token simulator (one token per process)

  SIMULATED KEY - INSECURE, FOR DEVELOPMENT ONLY. Keys, PINs and balances of this token are
  kept in a plain file and in process memory. Never use it for real money.

Usage: skey-sim [options]

Token:
  --nvm FILE            keep the token's NVM image in FILE (created if missing), so its state survives
                        restarts; without it the token lives in memory only
  --serial HEX          the 8-byte device serial, 16 hex digits (stored in the --nvm file). Default: the serial
                        stored in the --nvm file; for a new key a random one ("SK" + 6 random bytes), so that
                        two keys never share a serial (an image from before stored serials keeps 534B000000000001)
  --kt-stdin            read the 16-byte transport key a blank token is manufactured with from the first line
                        of standard input (32 hex digits; a key never goes on the command line). Default:
                        KT = 3DES(MK, serial) || 3DES(MK, NOT serial) with the development manufacturer key
                        MK = "SKEY-DEV-MFR-KEY" (docs/firmware.md). Simulator tests that issue with the spec's
                        development KT send 4B544B544B544B544B544B544B544B54.
                        The simulator holds a token only: issuing it is the terminal's job (walletctl issue,
                        the bank host, or the wallet's embedded simulator with a profile).
  --seed N              seed the token's random generator (deterministic runs); default: from the OS
  --touch MODE          how the touch button answers: manual (wait for the control port, default),
                        accept (touch at once), refuse (refuse at once)
  --touch-timeout MS    longest wait for a touch in manual mode (default 30000)

Ports (all bind or connect to 127.0.0.1 only):
  --hid-port N          UDP port for the HID reports, one 64-byte report per datagram (default 21700;
                        0 = any free port)
  --control-port N      TCP port of the control line protocol (default 21701; 0 = any free port)
  --pcsc                also attach to pcscd as a card in the vsmartcard virtual reader (vpcd)
  --vpcd-port N         vpcd's port (default 35963)

Other:
  --verbose             log more to stderr
  --help                this text

On start the simulator prints one machine-readable line on stdout:
  SKEY-SIM READY hid=<port> control=<port> pcsc=<on|off> serial=<hex>

Control port: one command per line, answered by one line "ok ..." or "error ...":
  touch accept|refuse          answer the pending touch request
  touch-mode manual|accept|refuse
  power-cut now                cut power now: the token stops answering until replug/reset
  power-cut-at N [nothing|partial|full]
                               cut power at the N-th NVM write from now; that write does nothing,
                               part of its bytes, or all of them (default nothing)
  unplug                       the token disappears (no answers; with --pcsc the card leaves the
                               reader); NVM kept
  unplug-at-ins HH             (--pcsc) the card leaves the reader as the next PC/SC command with
                               INS HH arrives, unanswered
  replug                       plug in again: power-on, journal recovery, all channels forgotten
  reset                        power-cycle the token now
  status                       counters and state as key=value pairs
  help

PC/SC: the simulator is vpcd's TCP client (2-byte big-endian length + payload; a 1-byte payload is
control: 00 power off, 01 power on, 02 reset, 04 ATR). ATR: 3B 8A 80 01 53 6D 61 72 74 4B 65 79 45 50 TCK
(T=1, historical bytes "SmartKeyEP").

Exit codes: 0 stopped by SIGTERM/SIGINT, 1 other failure, 2 bad command line, 3 a port is in use,
4 the NVM file cannot be used.
)";

void onSignal(int)
{
    g_stopRequested = 1;
}

bool parsePort(const char* s, std::uint16_t& out)
{
    char* end = nullptr;
    const long v = std::strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 0 || v > 65535) {
        return false;
    }
    out = static_cast<std::uint16_t>(v);
    return true;
}

bool parseSerial(const std::string& s, std::array<std::uint8_t, 8>& out)
{
    if (s.size() != 16) {
        return false;
    }
    for (std::size_t i = 0; i < 8; ++i) {
        char* end = nullptr;
        const std::string byte = s.substr(i * 2, 2);
        const long v = std::strtol(byte.c_str(), &end, 16);
        if (*end != '\0' || !std::isxdigit(static_cast<unsigned char>(byte[0]))
            || !std::isxdigit(static_cast<unsigned char>(byte[1]))) {
            return false;
        }
        out[i] = static_cast<std::uint8_t>(v);
    }
    return true;
}

int usage(const std::string& problem)
{
    std::fprintf(stderr, "skey-sim: %s (see --help)\n", problem.c_str());
    return kExitUsage;
}

} // namespace

int main(int argc, char** argv)
{
    SimConfig config;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&](const char* name) -> const char* {
            if (i + 1 >= argc) {
                return nullptr;
            }
            (void)name;
            return argv[++i];
        };
        if (a == "--help" || a == "-h") {
            std::fputs(kHelp, stdout);
            return kExitOk;
        }
        if (a == "--verbose") {
            config.verbose = true;
        } else if (a == "--pcsc") {
            config.pcsc = true;
        } else if (a == "--kt-stdin") {
            // One line of 32 hex digits on standard input (the wallet's embedded simulator writes it and closes).
            char line[80] = {};
            if (!std::fgets(line, sizeof line, stdin)) {
                return usage("--kt-stdin: no line on standard input");
            }
            std::string h = line;
            std::fill(std::begin(line), std::end(line), '\0');
            while (!h.empty() && (h.back() == '\n' || h.back() == '\r')) {
                h.pop_back();
            }
            std::array<std::uint8_t, 8> left{};
            std::array<std::uint8_t, 8> right{};
            if (h.size() != 32 || !parseSerial(h.substr(0, 16), left) || !parseSerial(h.substr(16), right)) {
                return usage("--kt-stdin takes one line of 32 hex digits");
            }
            std::array<std::uint8_t, 16> kt{};
            std::copy(left.begin(), left.end(), kt.begin());
            std::copy(right.begin(), right.end(), kt.begin() + 8);
            config.kt = kt;
        } else if (a == "--nvm" || a == "--serial" || a == "--seed" || a == "--touch" || a == "--touch-timeout"
            || a == "--hid-port" || a == "--control-port" || a == "--vpcd-port") {
            const char* v = value(a.c_str());
            if (!v) {
                return usage(a + " needs a value");
            }
            if (a == "--nvm") {
                config.nvmPath = v;
            } else if (a == "--serial") {
                std::array<std::uint8_t, 8> serial{};
                if (!parseSerial(v, serial)) {
                    return usage("--serial takes 16 hex digits");
                }
                config.serial = serial;
            } else if (a == "--seed") {
                char* end = nullptr;
                config.seed = std::strtoull(v, &end, 10);
                if (*v == '\0' || *end != '\0') {
                    return usage("--seed takes a decimal number");
                }
            } else if (a == "--touch") {
                const std::string m = v;
                if (m == "manual") {
                    config.touch = TouchMode::Manual;
                } else if (m == "accept") {
                    config.touch = TouchMode::Accept;
                } else if (m == "refuse") {
                    config.touch = TouchMode::Refuse;
                } else {
                    return usage("--touch takes manual, accept or refuse");
                }
            } else if (a == "--touch-timeout") {
                char* end = nullptr;
                const unsigned long ms = std::strtoul(v, &end, 10);
                if (*v == '\0' || *end != '\0' || ms == 0 || ms > 600000) {
                    return usage("--touch-timeout takes 1..600000 ms");
                }
                config.touchTimeoutMs = static_cast<std::uint32_t>(ms);
            } else {
                std::uint16_t port = 0;
                if (!parsePort(v, port)) {
                    return usage(a + " takes a port number 0..65535");
                }
                (a == "--hid-port"              ? config.hidPort
                        : a == "--control-port" ? config.controlPort
                                                : config.vpcdPort)
                    = port;
            }
        } else {
            return usage("unknown option '" + a + "'");
        }
    }

    std::fputs("***********************************************************\n"
               "*  SIMULATED KEY — INSECURE, FOR DEVELOPMENT ONLY          *\n"
               "*  Its keys, PINs and balances are not protected.          *\n"
               "***********************************************************\n",
        stderr);

    struct sigaction sa
    {
    };
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    Simulator sim(config);
    return sim.run();
}
