// SPDX-License-Identifier: Apache-2.0
// skey-sim: one simulated token per process. The card OS on the host platform behind the real HID packet layer,
// reachable over loopback UDP (HID reports), a loopback TCP control port, and optionally PC/SC through vpcd.
// INSECURE by design: it never goes into a production build (firmware/CMakeLists.txt refuses SKEY_PRODUCTION).
#pragma once

#include "HostToken.h"
#include "UdpHidEndpoint.h"
#include "hid/HidPacketLayer.h"

#include <array>
#include <csignal>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace skey::sim {

/// Exit codes (documented in --help and docs/transport.md).
enum ExitCode : int {
    kExitOk = 0,
    kExitFailure = 1, ///< anything else (socket errors)
    kExitUsage = 2, ///< bad command line
    kExitPortInUse = 3, ///< a requested port is taken
    kExitNvm = 4, ///< the NVM file cannot be used
};

enum class TouchMode : std::uint8_t { Manual, Accept, Refuse };

struct SimConfig
{
    std::string nvmPath;
    /// --serial: this serial, also stored in the NVM file. Without it: the one stored in the NVM file; a new file
    /// gets a random one ("SK" + 6 random bytes) so that two keys, or a re-issued one, never share a serial (and so
    /// an ASN and a mirror); an image written before serials were stored keeps the old default.
    std::optional<std::array<std::uint8_t, 8>> serial;
    std::optional<std::uint64_t> seed;
    /// --kt-stdin: the transport key a blank token is manufactured with. Without it:
    /// else KT derived from the development manufacturer key and the serial (docs/firmware.md "Transport keys").
    std::optional<std::array<std::uint8_t, 16>> kt;
    std::uint16_t hidPort = 21700;
    std::uint16_t controlPort = 21701;
    bool pcsc = false;
    std::uint16_t vpcdPort = 35963;
    TouchMode touch = TouchMode::Manual;
    std::uint32_t touchTimeoutMs = 30000; ///< upper bound on one touch wait (the card OS may ask for less)
    bool verbose = false;
};

/// Set by SIGTERM/SIGINT: the loop ends and the process exits 0.
extern volatile std::sig_atomic_t g_stopRequested;

class Simulator
{
public:
    explicit Simulator(SimConfig config);
    ~Simulator();
    /// Binds, loads NVM, prints the READY line, runs until a signal. Returns the exit code.
    int run();

    /// Issues one APDU to the token (the HID and vpcd links).
    std::vector<std::uint8_t> processApdu(std::span<const std::uint8_t> apdu);

private:
    struct ControlClient
    {
        int fd = -1;
        std::string buffer;
    };

    int setup();
    /// Decides the serial (see SimConfig::serial) and records it in the NVM file's trailer.
    std::array<std::uint8_t, 8> chooseSerial();
    void pump(int timeoutMs, bool tokenMayRun);
    void acceptControl();
    void serviceControlClient(ControlClient& client);
    std::string handleControl(const std::string& line);
    hal::PresenceResult waitForTouch(std::uint32_t timeoutMs);
    void powerUp();
    [[nodiscard]] bool online() const;
    void afterToken();
    void serviceVpcd();
    void vpcdConnect();
    void vpcdSend(std::span<const std::uint8_t> payload);
    void log(const std::string& text) const;

    SimConfig m_config;
    std::unique_ptr<host::HostToken> m_token;
    UdpHidEndpoint m_endpoint;
    std::unique_ptr<HidPacketLayer> m_layer;
    int m_controlFd = -1;
    std::uint16_t m_controlPort = 0;
    std::vector<ControlClient> m_clients;
    bool m_plugged = true;
    bool m_powered = true;
    TouchMode m_touchMode;
    bool m_touchPending = false;
    bool m_inTouchWait = false; ///< the card OS is inside process(): power-up must wait until it returns
    bool m_powerUpPending = false;
    std::optional<hal::PresenceResult> m_touchAnswer;

    // vpcd (PC/SC) link: we are the TCP client of vpcd inside pcscd.
    int m_vpcdFd = -1;
    bool m_vpcdConnecting = false;
    std::string m_vpcdRx;
    std::int64_t m_vpcdNextAttemptMs = 0;
    std::uint64_t m_vpcdApdus = 0;
    bool m_inVpcdApdu = false;
    /// `unplug-at-ins HH`: the card leaves the reader as the next PC/SC command with this INS arrives (-1: off).
    int m_unplugAtIns = -1;
    /// Takes the card out of vpcd's reader (PC/SC reports it removed) until `replug`.
    void vpcdRemoveCard(const std::string& why);
};

/// The ATR the simulator presents through vpcd: 3B 8A 80 01 "SmartKeyEP" TCK (T=1, 10 historical bytes).
std::vector<std::uint8_t> simulatorAtr();

} // namespace skey::sim
