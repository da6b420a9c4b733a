// SPDX-License-Identifier: Apache-2.0
#include "Simulator.h"

#include "skey/HidWire.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <random>
#include <sstream>
#include <sys/socket.h>
#include <unistd.h>

namespace skey::sim {

volatile std::sig_atomic_t g_stopRequested = 0;

namespace {

std::int64_t nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::string hex(std::span<const std::uint8_t> bytes)
{
    static const char* digits = "0123456789ABCDEF";
    std::string s;
    for (auto b : bytes) {
        s += digits[b >> 4];
        s += digits[b & 15];
    }
    return s;
}

std::vector<std::string> words(const std::string& line)
{
    std::istringstream in(line);
    std::vector<std::string> out;
    for (std::string w; in >> w;) {
        out.push_back(w);
    }
    return out;
}

const char* touchModeName(TouchMode m)
{
    switch (m) {
    case TouchMode::Accept:
        return "accept";
    case TouchMode::Refuse:
        return "refuse";
    case TouchMode::Manual:
        break;
    }
    return "manual";
}

constexpr std::size_t kMaxControlLine = 256;
constexpr std::size_t kMaxControlClients = 8;
constexpr std::size_t kMaxVpcdFrame = 2 + 65535;

} // namespace

std::vector<std::uint8_t> simulatorAtr()
{
    // The PC/SC contactless-style ATR: TS=3B (direct convention), T0=8A (TD1 follows, 10 historical bytes),
    // TD1=80 (TD2 follows, T=0 indicated), TD2=01 (T=1), historical bytes "SmartKeyEP", TCK (XOR of T0..last,
    // required because T=1 is indicated).
    std::vector<std::uint8_t> atr{0x3B, 0x8A, 0x80, 0x01, 'S', 'm', 'a', 'r', 't', 'K', 'e', 'y', 'E', 'P'};
    std::uint8_t tck = 0;
    for (std::size_t i = 1; i < atr.size(); ++i) {
        tck ^= atr[i];
    }
    atr.push_back(tck);
    return atr;
}

Simulator::Simulator(SimConfig config)
    : m_config(std::move(config))
    , m_touchMode(m_config.touch)
{ }

Simulator::~Simulator()
{
    for (auto& c : m_clients) {
        ::close(c.fd);
    }
    if (m_controlFd >= 0) {
        ::close(m_controlFd);
    }
    if (m_vpcdFd >= 0) {
        ::close(m_vpcdFd);
    }
}

void Simulator::log(const std::string& text) const
{
    std::fprintf(stderr, "skey-sim: %s\n", text.c_str());
}

bool Simulator::online() const
{
    return m_plugged && m_powered && !m_token->nvm().powerLost();
}

int Simulator::setup()
{
    m_token = std::make_unique<host::HostToken>(m_config.serial.value_or(host::HostToken::kDefaultSerial));
    if (m_config.seed) {
        m_token->rng().seed(*m_config.seed);
    }
    if (!m_config.nvmPath.empty()) {
        if (auto err = m_token->nvm().attachFile(m_config.nvmPath)) {
            log(*err);
            return kExitNvm;
        }
    }
    m_token->system().setSerial(chooseSerial());
    m_token->powerCycle(); // the card OS recovers the journal of the loaded image
    if (m_token->os().lifeCycle() == LifeCycle::Blank) {
        // A blank token holds nothing but its KT: it is (re)manufactured at start with the KT of this run, as a
        // factory would (docs/firmware.md "Transport keys"): --kt-stdin, else derived from the development
        // manufacturer key and the serial. The shared spec's 4B54… development KT is only what simulator tests send.
        std::array<std::uint8_t, 16> kt{};
        std::string source = "--kt-stdin";
        if (m_config.kt) {
            kt = *m_config.kt;
        } else {
            std::array<std::uint8_t, 8> serial{};
            m_token->system().deviceSerial(serial);
            kt = host::HostToken::deriveTransportKey(host::HostToken::kDevelopmentManufacturerKey, serial);
            source = "the development manufacturer key and the serial";
        }
        if (!m_token->manufacture(kt)) {
            log("cannot write the transport key into the NVM");
            return kExitNvm;
        }
        m_token->powerCycle();
        if (m_config.verbose) {
            log("blank token; transport key from " + source);
        }
    }
    bool inUse = false;
    if (auto err = m_endpoint.bind(m_config.hidPort, inUse); !err.empty()) {
        log(inUse ? "the HID port " + err
                    + " (another simulator running?). Choose another with --hid-port, or 0 "
                      "for any free port."
                  : err);
        return inUse ? kExitPortInUse : kExitFailure;
    }
    m_endpoint.setOnlinePredicate([this] { return online(); });

    m_controlFd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    const int one = 1;
    ::setsockopt(m_controlFd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(m_config.controlPort);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); // loopback only, always
    if (::bind(m_controlFd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0
        || ::listen(m_controlFd, 8) != 0) {
        const int e = errno;
        log("the control port TCP 127.0.0.1:" + std::to_string(m_config.controlPort) + ": " + std::strerror(e)
            + (e == EADDRINUSE ? " (another simulator running?). Choose another with --control-port, or 0." : ""));
        return e == EADDRINUSE ? kExitPortInUse : kExitFailure;
    }
    socklen_t len = sizeof addr;
    ::getsockname(m_controlFd, reinterpret_cast<sockaddr*>(&addr), &len);
    m_controlPort = ntohs(addr.sin_port);

    m_layer = std::make_unique<HidPacketLayer>(
        m_endpoint, m_token->system(), m_token->rng(), m_token->presence(), m_token->os());
    m_token->presence().setWaiter([this](std::uint32_t timeoutMs) { return waitForTouch(timeoutMs); });
    return kExitOk;
}

std::array<std::uint8_t, 8> Simulator::chooseSerial()
{
    // The NVM file's trailer: "SKSERIAL" then the 8 serial bytes. Host-side only: the card OS never sees it, as a
    // real key's serial is burned in at the factory, outside its NVM.
    host::HostNvm& nvm = m_token->nvm();
    const std::optional<std::array<std::uint8_t, 8>> stored = host::HostToken::serialFromTrailer(nvm.fileTrailer());
    std::array<std::uint8_t, 8> serial{};
    if (m_config.serial) {
        serial = *m_config.serial;
        if (stored && *stored != serial) {
            log("--serial " + hex(serial) + " replaces the serial " + hex(*stored) + " stored in " + m_config.nvmPath);
        }
    } else if (stored) {
        serial = *stored;
    } else if (nvm.loadedFromFile()) {
        // An image written before serials were stored was issued with the old fixed default: keep it, so that its
        // mirror and ledger records still match.
        serial = host::HostToken::kDefaultSerial;
    } else {
        // A new key: "SK" and 6 bytes from the operating system's generator (not the token's RNG, which --seed makes
        // repeatable: two simulators started with one seed must still differ).
        std::random_device os;
        serial[0] = 'S';
        serial[1] = 'K';
        for (std::size_t i = 2; i < serial.size(); ++i) {
            serial[i] = static_cast<std::uint8_t>(os() & 0xFF);
        }
    }
    if (!m_config.nvmPath.empty() && stored != serial) {
        const std::string magic = "SKSERIAL"; // read back by HostToken::serialFromTrailer()
        std::vector<std::uint8_t> record(magic.begin(), magic.end());
        record.insert(record.end(), serial.begin(), serial.end());
        nvm.setFileTrailer(std::move(record));
    }
    return serial;
}

std::vector<std::uint8_t> Simulator::processApdu(std::span<const std::uint8_t> apdu)
{
    auto r = m_token->process(apdu);
    afterToken();
    return r;
}

int Simulator::run()
{
    if (const int rc = setup(); rc != kExitOk) {
        return rc;
    }
    std::array<std::uint8_t, 8> serial{};
    m_token->system().deviceSerial(serial);
    std::printf("SKEY-SIM READY hid=%u control=%u pcsc=%s serial=%s\n",
        m_endpoint.port(),
        m_controlPort,
        m_config.pcsc ? "on" : "off",
        hex(serial).c_str());
    std::fflush(stdout);
    if (m_config.pcsc) {
        vpcdConnect();
    }
    while (!g_stopRequested) {
        pump(20, true);
    }
    log("stopping (signal)");
    return kExitOk;
}

void Simulator::afterToken()
{
    if (m_powered && m_token->nvm().powerLost()) {
        m_powered = false;
        log("power lost at an NVM write: the token is off until 'replug' or 'reset'");
    }
    if (m_token->system().resetRequested()) {
        m_token->system().clearReset();
        powerUp();
    }
}

void Simulator::powerUp()
{
    m_token->powerCycle();
    m_layer->reset();
    m_endpoint.drain();
    m_powered = true;
}

void Simulator::pump(int timeoutMs, bool tokenMayRun)
{
    std::vector<pollfd> fds;
    fds.push_back({m_endpoint.fd(), POLLIN, 0});
    fds.push_back({m_controlFd, POLLIN, 0});
    for (const auto& c : m_clients) {
        fds.push_back({c.fd, POLLIN, 0});
    }
    if (m_vpcdFd >= 0 && tokenMayRun) {
        fds.push_back({m_vpcdFd, static_cast<short>(m_vpcdConnecting ? POLLOUT : POLLIN), 0});
    }
    const int r = ::poll(fds.data(), fds.size(), timeoutMs);
    if (r < 0 && errno != EINTR) {
        log(std::string("poll: ") + std::strerror(errno));
        return;
    }
    acceptControl();
    for (std::size_t i = 0; i < m_clients.size(); ++i) {
        serviceControlClient(m_clients[i]);
    }
    std::erase_if(m_clients, [](const ControlClient& c) { return c.fd < 0; });
    if (!tokenMayRun) {
        return; // inside a touch wait: the packet layer is serviced by waitForTouch
    }
    if (m_powerUpPending) {
        m_powerUpPending = false;
        powerUp();
    }
    if (online()) {
        m_layer->poll();
        afterToken();
    } else {
        m_endpoint.drain();
    }
    if (m_config.pcsc) {
        serviceVpcd();
    }
}

hal::PresenceResult Simulator::waitForTouch(std::uint32_t timeoutMs)
{
    if (m_touchMode == TouchMode::Accept) {
        return hal::PresenceResult::Confirmed;
    }
    if (m_touchMode == TouchMode::Refuse) {
        return hal::PresenceResult::Refused;
    }
    m_touchPending = true;
    m_inTouchWait = true;
    m_touchAnswer.reset();
    const std::int64_t deadline = nowMs() + std::min(timeoutMs, m_config.touchTimeoutMs);
    if (m_config.verbose) {
        log("waiting for the touch ('touch accept' or 'touch refuse' on the control port)");
    }
    hal::PresenceResult result = hal::PresenceResult::Timeout;
    while (nowMs() < deadline) {
        pump(5, false);
        if (m_touchAnswer) {
            result = *m_touchAnswer;
            break;
        }
        if (!online() || g_stopRequested || m_powerUpPending) {
            result = hal::PresenceResult::Cancelled; // power went away while waiting
            break;
        }
        if (!m_inVpcdApdu && m_layer->serviceWhileBusy(wire::KeepAliveStatus::UserPresenceNeeded)) {
            result = hal::PresenceResult::Cancelled;
            break;
        }
        if (m_inVpcdApdu) {
            (void)m_layer->serviceWhileBusy(wire::KeepAliveStatus::UserPresenceNeeded); // answers HID with busy
        }
    }
    m_touchPending = false;
    m_inTouchWait = false;
    m_touchAnswer.reset();
    return result;
}

void Simulator::acceptControl()
{
    for (;;) {
        sockaddr_in from{};
        socklen_t len = sizeof from;
        const int fd = ::accept4(m_controlFd, reinterpret_cast<sockaddr*>(&from), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            return;
        }
        if (from.sin_addr.s_addr != htonl(INADDR_LOOPBACK) || m_clients.size() >= kMaxControlClients) {
            ::close(fd);
            continue;
        }
        m_clients.push_back({fd, {}});
    }
}

void Simulator::serviceControlClient(ControlClient& client)
{
    char buf[512];
    for (;;) {
        const ssize_t n = ::recv(client.fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            ::close(client.fd);
            client.fd = -1;
            return;
        }
        if (n < 0) {
            break;
        }
        client.buffer.append(buf, static_cast<std::size_t>(n));
    }
    std::size_t nl;
    while ((nl = client.buffer.find('\n')) != std::string::npos) {
        std::string line = client.buffer.substr(0, nl);
        client.buffer.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        const std::string answer = handleControl(line) + "\n";
        (void)::send(client.fd, answer.data(), answer.size(), MSG_NOSIGNAL);
    }
    if (client.buffer.size() > kMaxControlLine) {
        const std::string answer = "error line too long\n";
        (void)::send(client.fd, answer.data(), answer.size(), MSG_NOSIGNAL);
        ::close(client.fd);
        client.fd = -1;
    }
}

std::string Simulator::handleControl(const std::string& line)
{
    const auto w = words(line);
    if (w.empty()) {
        return "error empty command (try 'help')";
    }
    const std::string& cmd = w[0];
    if (cmd == "help") {
        return "ok commands: touch accept|refuse, touch-mode manual|accept|refuse, power-cut now, power-cut-at N "
               "[nothing|partial|full], unplug, unplug-at-ins HH, replug, reset, status, help";
    }
    if (cmd == "touch" && w.size() == 2 && (w[1] == "accept" || w[1] == "refuse")) {
        if (!m_touchPending) {
            return "error no touch request pending";
        }
        m_touchAnswer = w[1] == "accept" ? hal::PresenceResult::Confirmed : hal::PresenceResult::Refused;
        return "ok touch " + w[1] + "ed";
    }
    if (cmd == "touch-mode" && w.size() == 2) {
        if (w[1] == "manual") {
            m_touchMode = TouchMode::Manual;
        } else if (w[1] == "accept") {
            m_touchMode = TouchMode::Accept;
        } else if (w[1] == "refuse") {
            m_touchMode = TouchMode::Refuse;
        } else {
            return "error touch-mode takes manual, accept or refuse";
        }
        return "ok touch-mode " + w[1];
    }
    if (cmd == "power-cut" && w.size() == 2 && w[1] == "now") {
        m_token->nvm().cutPowerNow();
        m_powered = false;
        return "ok power cut: the token is off until 'replug' or 'reset'";
    }
    if (cmd == "power-cut-at" && (w.size() == 2 || w.size() == 3)) {
        char* end = nullptr;
        const unsigned long long n = std::strtoull(w[1].c_str(), &end, 10);
        if (w[1].empty() || *end != '\0' || n == 0 || w[1][0] == '-') {
            return "error power-cut-at takes a write number N >= 1";
        }
        host::TearModel model = host::TearModel::NothingWritten;
        const std::string m = w.size() == 3 ? w[2] : "nothing";
        if (m == "partial") {
            model = host::TearModel::PartlyWritten;
        } else if (m == "full") {
            model = host::TearModel::FullyWritten;
        } else if (m != "nothing") {
            return "error tear model must be nothing, partial or full";
        }
        m_token->nvm().armPowerCut(n, model);
        return "ok power cut armed at NVM write " + std::to_string(n) + " from now (" + m + ")";
    }
    if (cmd == "unplug" && w.size() == 1) {
        m_plugged = false;
        vpcdRemoveCard("unplugged");
        return "ok unplugged";
    }
    if (cmd == "unplug-at-ins" && w.size() == 2) {
        char* end = nullptr;
        const unsigned long ins = std::strtoul(w[1].c_str(), &end, 16);
        if (!m_config.pcsc || w[1].size() != 2 || *end != '\0' || ins > 0xFF) {
            return "error unplug-at-ins takes one INS byte in hex (PC/SC commands only: start with --pcsc)";
        }
        m_unplugAtIns = static_cast<int>(ins);
        return "ok the card leaves the reader as the next command with INS " + w[1] + " arrives";
    }
    if (cmd == "replug" && w.size() == 1) {
        m_plugged = true;
        m_unplugAtIns = -1;
        m_vpcdNextAttemptMs = 0; // back in the reader at once
        if (m_inTouchWait) {
            m_powerUpPending = true; // the running command is abandoned first, then the token powers up
            return "ok replugged (the pending command was abandoned)";
        }
        powerUp(); // plugging in powers the token: NVM kept, volatile state (channels, sessions) lost
        return "ok replugged";
    }
    if (cmd == "reset" && w.size() == 1) {
        if (m_inTouchWait) {
            m_powerUpPending = true;
            return "ok reset (the pending command was abandoned)";
        }
        powerUp();
        return "ok reset";
    }
    if (cmd == "status" && w.size() == 1) {
        const auto& c = m_token->nvm().counters();
        std::array<std::uint8_t, 8> serial{};
        m_token->system().deviceSerial(serial);
        std::ostringstream out;
        out << "ok plugged=" << (m_plugged ? 1 : 0) << " powered=" << (online() ? 1 : 0)
            << " touch=" << (m_touchPending ? "pending" : "idle") << " touch-mode=" << touchModeName(m_touchMode)
            << " busy=" << (m_layer->busy() ? 1 : 0) << " hid-apdus=" << m_layer->counters().apdus
            << " reports-in=" << m_layer->counters().reportsIn << " reports-out=" << m_layer->counters().reportsOut
            << " pcsc-apdus=" << m_vpcdApdus
            << " pcsc=" << (!m_config.pcsc ? "off" : (m_vpcdFd >= 0 && !m_vpcdConnecting ? "connected" : "waiting"))
            << " nvm-programs=" << c.programs << " nvm-erases=" << c.erases << " serial=" << hex(serial);
        return out.str();
    }
    return "error unknown command '" + line.substr(0, 64) + "' (try 'help')";
}

void Simulator::vpcdRemoveCard(const std::string& why)
{
    // vpcd reports its slot empty while no card is connected to it: for pcscd (and every PC/SC client holding a
    // handle) the card was removed. It comes back at 'replug'.
    if (!m_config.pcsc || m_vpcdFd < 0) {
        return;
    }
    ::close(m_vpcdFd);
    m_vpcdFd = -1;
    m_vpcdConnecting = false;
    m_vpcdRx.clear();
    log("the card left the PC/SC reader (" + why + ")");
}

void Simulator::vpcdConnect()
{
    if (m_vpcdFd >= 0) {
        ::close(m_vpcdFd);
    }
    m_vpcdRx.clear();
    m_vpcdFd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(m_config.vpcdPort);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); // vpcd on this machine only
    const int one = 1;
    ::setsockopt(m_vpcdFd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const int r = ::connect(m_vpcdFd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    m_vpcdConnecting = r != 0 && errno == EINPROGRESS;
    if (r != 0 && !m_vpcdConnecting) {
        ::close(m_vpcdFd);
        m_vpcdFd = -1;
    }
    m_vpcdNextAttemptMs = nowMs() + 1000;
}

void Simulator::vpcdSend(std::span<const std::uint8_t> payload)
{
    std::vector<std::uint8_t> frame;
    frame.push_back(static_cast<std::uint8_t>(payload.size() >> 8));
    frame.push_back(static_cast<std::uint8_t>(payload.size()));
    frame.insert(frame.end(), payload.begin(), payload.end());
    std::size_t sent = 0;
    while (sent < frame.size()) {
        const ssize_t n = ::send(m_vpcdFd, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            pollfd p{m_vpcdFd, POLLOUT, 0};
            ::poll(&p, 1, 100);
            continue;
        }
        if (n <= 0) {
            ::close(m_vpcdFd);
            m_vpcdFd = -1;
            return;
        }
        sent += static_cast<std::size_t>(n);
    }
}

void Simulator::serviceVpcd()
{
    if (m_vpcdFd < 0) {
        if (m_plugged && nowMs() >= m_vpcdNextAttemptMs) {
            vpcdConnect(); // an unplugged card stays out of the reader
        }
        return;
    }
    if (m_vpcdConnecting) {
        pollfd p{m_vpcdFd, POLLOUT, 0};
        if (::poll(&p, 1, 0) <= 0) {
            if (nowMs() >= m_vpcdNextAttemptMs) {
                vpcdConnect();
            }
            return;
        }
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(m_vpcdFd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            ::close(m_vpcdFd);
            m_vpcdFd = -1;
            return; // pcscd/vpcd not there yet: retried every second
        }
        m_vpcdConnecting = false;
        log("attached to pcscd through vpcd on 127.0.0.1:" + std::to_string(m_config.vpcdPort));
    }
    char buf[4096];
    for (;;) {
        const ssize_t n = ::recv(m_vpcdFd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            log("vpcd closed the connection; reconnecting");
            ::close(m_vpcdFd);
            m_vpcdFd = -1;
            m_vpcdNextAttemptMs = nowMs() + 1000;
            return;
        }
        if (n < 0) {
            break;
        }
        // vpcd writes the length and the APDU in two segments; with Nagle on its side the second waits for our
        // (delayed) ACK: acknowledge at once (quick-ack mode is not sticky, so after every read).
        const int quick = 1;
        ::setsockopt(m_vpcdFd, IPPROTO_TCP, TCP_QUICKACK, &quick, sizeof quick);
        m_vpcdRx.append(buf, static_cast<std::size_t>(n));
        if (m_vpcdRx.size() > kMaxVpcdFrame * 2) {
            ::close(m_vpcdFd);
            m_vpcdFd = -1;
            return;
        }
    }
    while (m_vpcdFd >= 0 && m_vpcdRx.size() >= 2) {
        const std::size_t len = (static_cast<std::uint8_t>(m_vpcdRx[0]) << 8) | static_cast<std::uint8_t>(m_vpcdRx[1]);
        if (m_vpcdRx.size() < 2 + len) {
            break;
        }
        std::vector<std::uint8_t> msg(m_vpcdRx.begin() + 2, m_vpcdRx.begin() + 2 + static_cast<std::ptrdiff_t>(len));
        m_vpcdRx.erase(0, 2 + len);
        if (len == 1) {
            // vpcd control bytes: 00 power off, 01 power on, 02 reset, 04 ATR request.
            switch (msg[0]) {
            case 0x00:
                break;
            case 0x01:
            case 0x02:
                if (online()) {
                    m_token->os().powerOn(); // a card reset: volatile card state (selection, sessions) is lost
                }
                break;
            case 0x04: {
                const auto atr = simulatorAtr();
                vpcdSend(atr);
                break;
            }
            default:
                break;
            }
            continue;
        }
        if (m_unplugAtIns >= 0 && msg.size() >= 2 && msg[1] == m_unplugAtIns) {
            m_unplugAtIns = -1;
            m_plugged = false;
            vpcdRemoveCard("unplug-at-ins: pulled as the command arrived, unanswered");
            return;
        }
        if (!online() || m_layer->busy()) {
            const std::uint8_t mute[2] = {0x6F, 0x00}; // no card power / HID APDU running: no answer possible
            vpcdSend(mute);
            continue;
        }
        m_inVpcdApdu = true;
        const auto resp = processApdu(msg);
        m_inVpcdApdu = false;
        ++m_vpcdApdus;
        if (online()) {
            vpcdSend(resp);
        }
    }
}

} // namespace skey::sim
