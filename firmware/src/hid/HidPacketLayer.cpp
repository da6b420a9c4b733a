// SPDX-License-Identifier: Apache-2.0
#include "hid/HidPacketLayer.h"

#include "skey/Version.h"

#include <algorithm>

namespace skey {
namespace {

using wire::Cmd;
using wire::ErrorCode;

/// KEEPALIVE is sent at half the required interval so that a late main-loop tick cannot exceed 100 ms.
constexpr std::uint32_t kKeepAliveSendMs = wire::kKeepAliveIntervalMs / 2;

constexpr std::uint8_t cmdByte(Cmd cmd)
{
    return static_cast<std::uint8_t>(cmd);
}

std::uint32_t readCid(std::span<const std::uint8_t> report)
{
    return (static_cast<std::uint32_t>(report[0]) << 24) | (static_cast<std::uint32_t>(report[1]) << 16)
        | (static_cast<std::uint32_t>(report[2]) << 8) | static_cast<std::uint32_t>(report[3]);
}

void writeCid(std::span<std::uint8_t> out, std::uint32_t cid)
{
    out[0] = static_cast<std::uint8_t>(cid >> 24);
    out[1] = static_cast<std::uint8_t>(cid >> 16);
    out[2] = static_cast<std::uint8_t>(cid >> 8);
    out[3] = static_cast<std::uint8_t>(cid);
}

/// a reached or passed b on the wrapping millisecond clock.
bool reached(std::uint32_t now, std::uint32_t deadline)
{
    return static_cast<std::int32_t>(now - deadline) >= 0;
}

} // namespace

HidPacketLayer::HidPacketLayer(
    hal::HidEndpoint& endpoint, hal::System& system, hal::Rng& rng, hal::Presence& presence, CardOs& os)
    : m_endpoint(endpoint)
    , m_system(system)
    , m_rng(rng)
    , m_presence(presence)
    , m_os(os)
{
    reset();
}

void HidPacketLayer::reset()
{
    std::array<std::uint8_t, 4> base{};
    if (!m_rng.fill(base)) {
        base = {0x10, 0x00, 0x00, 0x00}; // a failed RNG only costs CID unpredictability, not security
    }
    m_cidBase = readCid(base);
    m_cidCount = 0;
    m_rxActive = false;
    m_rxDiscard = false;
    m_rxReceived = 0;
    m_processing = false;
    m_busyCid = 0;
    m_lockCid = 0;
    m_lockUntilMs = 0;
}

void HidPacketLayer::poll()
{
    checkTimers();
    Report report{};
    // Bounded so that one flood of reports cannot starve the timers.
    for (int i = 0; i < 64 && m_endpoint.receive(report); ++i) {
        handleReport(report);
        secureZero(report); // a one-report APDU (VERIFY, CHANGE PIN) carried the PIN in it
    }
    checkTimers();
}

bool HidPacketLayer::serviceWhileBusy(wire::KeepAliveStatus status)
{
    bool cancelled = false;
    Report report{};
    for (int i = 0; i < 64 && m_endpoint.receive(report); ++i) {
        ++m_counters.reportsIn;
        const std::uint32_t cid = readCid(report);
        const std::uint8_t kind = report[4];
        if ((kind & wire::kInitBit) == 0) {
            continue; // a continuation: no message can be open on any channel while the OS runs
        }
        const std::uint8_t cmd = kind & static_cast<std::uint8_t>(~wire::kInitBit);
        if (m_processing && cid == m_busyCid && cmd == cmdByte(Cmd::Cancel)) {
            cancelled = true; // CANCEL has no reply of its own: the pending APDU ends with 6F00
        } else if (cid != 0) {
            sendError(cid, ErrorCode::ChannelBusy);
        }
    }
    const std::uint32_t now = m_system.millis();
    if (m_processing && (!m_keepAliveSent || reached(now, m_lastKeepAliveMs + kKeepAliveSendMs))) {
        const std::uint8_t payload[1] = {static_cast<std::uint8_t>(status)};
        (void)sendMessage(m_busyCid, cmdByte(Cmd::KeepAlive), payload);
        m_keepAliveSent = true;
        m_lastKeepAliveMs = now;
    }
    return cancelled;
}

void HidPacketLayer::checkTimers()
{
    const std::uint32_t now = m_system.millis();
    if (m_rxActive && reached(now, m_rxStartMs + wire::kMessageTimeoutMs)) {
        const std::uint32_t cid = m_rxCid;
        dropMessage();
        sendError(cid, ErrorCode::MessageTimeout);
    }
    if (m_lockCid != 0 && reached(now, m_lockUntilMs)) {
        m_lockCid = 0;
    }
}

void HidPacketLayer::dropMessage()
{
    secureZero(std::span<std::uint8_t>(m_message.data(), m_rxDiscard ? 0 : m_rxReceived));
    m_rxActive = false;
    m_rxDiscard = false;
    m_rxReceived = 0;
    m_rxLength = 0;
}

bool HidPacketLayer::isAllocated(std::uint32_t cid) const
{
    const std::uint32_t offset = cid - m_cidBase;
    return cid != 0 && cid != wire::kBroadcastCid && offset >= 1 && offset <= m_cidCount;
}

bool HidPacketLayer::lockedByOther(std::uint32_t cid) const
{
    return m_lockCid != 0 && m_lockCid != cid;
}

void HidPacketLayer::handleReport(const Report& report)
{
    ++m_counters.reportsIn;
    checkTimers();
    const std::uint32_t cid = readCid(report);
    const std::uint8_t kind = report[4];
    if ((kind & wire::kInitBit) != 0) {
        const std::size_t bcnt = (static_cast<std::size_t>(report[5]) << 8) | report[6];
        handleInitPacket(cid, static_cast<std::uint8_t>(kind & ~wire::kInitBit), bcnt, report);
    } else {
        handleContinuation(cid, kind, report);
    }
}

void HidPacketLayer::handleInitPacket(std::uint32_t cid, std::uint8_t cmd, std::size_t bcnt, const Report& report)
{
    if (cid == 0) {
        sendError(cid, ErrorCode::InvalidChannel);
        return;
    }
    if (m_rxActive) {
        if (cid != m_rxCid) {
            sendError(cid, ErrorCode::ChannelBusy);
            return;
        }
        if (cmd != cmdByte(Cmd::Init)) {
            // A new initialization packet mid-message: the partial message and this packet are dropped.
            dropMessage();
            sendError(cid, ErrorCode::InvalidSequence);
            return;
        }
        dropMessage(); // INIT on the same channel resynchronises it
    }
    if (lockedByOther(cid)) {
        sendError(cid, ErrorCode::LockRequired);
        return;
    }
    if (cid == wire::kBroadcastCid ? cmd != cmdByte(Cmd::Init) : !isAllocated(cid)) {
        sendError(cid, ErrorCode::InvalidChannel);
        return;
    }
    // Longer than the HID limit, or than the buffer for anything but an APDU: refused before anything is buffered.
    // An APDU longer than the announced bound is received (not stored) and answered 6700 (docs/transport.md).
    const bool tooLongApdu = bcnt > m_message.size() && cmd == cmdByte(Cmd::Apdu);
    if (bcnt > wire::kMaxMessageSize || (bcnt > m_message.size() && !tooLongApdu)) {
        sendError(cid, ErrorCode::InvalidLength);
        return;
    }
    const std::span<const std::uint8_t> data(report.data() + wire::kInitHeaderSize, wire::kInitDataSize);
    if (bcnt <= wire::kInitDataSize) {
        dispatch(cid, cmd, data.first(bcnt));
        return;
    }
    m_rxActive = true;
    m_rxCid = cid;
    m_rxCmd = cmd;
    m_rxLength = bcnt;
    m_rxNextSeq = 0;
    m_rxStartMs = m_system.millis();
    m_rxDiscard = tooLongApdu;
    if (!m_rxDiscard) {
        std::copy(data.begin(), data.end(), m_message.begin());
    }
    m_rxReceived = wire::kInitDataSize;
}

void HidPacketLayer::handleContinuation(std::uint32_t cid, std::uint8_t seq, const Report& report)
{
    if (!m_rxActive || cid != m_rxCid) {
        return; // no open message on this channel: ignored
    }
    if (seq != m_rxNextSeq) {
        dropMessage();
        sendError(cid, ErrorCode::InvalidSequence);
        return;
    }
    const std::size_t take = std::min(wire::kContDataSize, m_rxLength - m_rxReceived);
    const auto* from = report.data() + wire::kContHeaderSize;
    if (!m_rxDiscard) {
        std::copy(from, from + take, m_message.begin() + static_cast<std::ptrdiff_t>(m_rxReceived));
    }
    m_rxReceived += take;
    ++m_rxNextSeq;
    if (m_rxReceived == m_rxLength) {
        m_rxActive = false;
        const std::size_t length = m_rxLength;
        m_rxLength = 0;
        m_rxReceived = 0;
        if (m_rxDiscard) {
            m_rxDiscard = false;
            runApdu(cid, {}); // longer than the bound: 6700
            return;
        }
        dispatch(cid, m_rxCmd, std::span<const std::uint8_t>(m_message.data(), length));
        secureZero(m_message); // PINs and key cryptograms do not linger
    }
}

void HidPacketLayer::dispatch(std::uint32_t cid, std::uint8_t cmd, std::span<const std::uint8_t> payload)
{
    switch (static_cast<Cmd>(cmd)) {
    case Cmd::Init:
        handleInit(cid, payload);
        return;
    case Cmd::Ping:
        (void)sendMessage(cid, cmd, payload);
        return;
    case Cmd::Apdu:
        handleApdu(cid, payload);
        return;
    case Cmd::Cancel:
        return; // nothing pending on this channel: CANCEL has no reply
    case Cmd::Wink:
        if (!payload.empty()) {
            sendError(cid, ErrorCode::InvalidLength);
            return;
        }
        m_presence.wink();
        (void)sendMessage(cid, cmd, {});
        return;
    case Cmd::Lock:
        handleLock(cid, payload);
        return;
    case Cmd::KeepAlive:
    case Cmd::Error:
        break; // token → host only
    }
    sendError(cid, ErrorCode::InvalidCommand);
}

void HidPacketLayer::handleInit(std::uint32_t cid, std::span<const std::uint8_t> payload)
{
    if (payload.size() != wire::kInitNonceSize) {
        sendError(cid, ErrorCode::InvalidLength);
        return;
    }
    std::uint32_t newCid = cid;
    if (cid == wire::kBroadcastCid) {
        // Skip the two reserved values if the random base wraps onto them.
        do {
            ++m_cidCount;
            newCid = m_cidBase + m_cidCount;
        } while (newCid == 0 || newCid == wire::kBroadcastCid);
    }
    std::array<std::uint8_t, wire::kInitResponseSizeBounded> out{};
    std::copy(payload.begin(), payload.end(), out.begin());
    writeCid(std::span<std::uint8_t>(out).subspan(8, 4), newCid);
    out[12] = wire::kProtocolVersion;
    out[13] = kFirmwareMajor;
    out[14] = kFirmwareMinor;
    out[15] = kFirmwareBuild;
    out[16] = wire::kCapWink | wire::kCapLock | wire::kCapBoundedApdu;
    out[17] = static_cast<std::uint8_t>(wire::kMaxApduSize >> 8);
    out[18] = static_cast<std::uint8_t>(wire::kMaxApduSize);
    (void)sendMessage(cid, cmdByte(Cmd::Init), out);
}

void HidPacketLayer::handleLock(std::uint32_t cid, std::span<const std::uint8_t> payload)
{
    if (payload.size() != 1) {
        sendError(cid, ErrorCode::InvalidLength);
        return;
    }
    if (payload[0] > wire::kMaxLockSeconds) {
        sendError(cid, ErrorCode::InvalidParameter);
        return;
    }
    if (payload[0] == 0) {
        m_lockCid = 0;
    } else {
        m_lockCid = cid;
        m_lockUntilMs = m_system.millis() + payload[0] * 1000u;
    }
    (void)sendMessage(cid, cmdByte(Cmd::Lock), {});
}

void HidPacketLayer::handleApdu(std::uint32_t cid, std::span<const std::uint8_t> payload)
{
    if (payload.empty()) {
        sendError(cid, ErrorCode::InvalidLength);
        return;
    }
    // The command may lie in the message buffer, which receives the response: the OS reads a copy on the stack.
    std::array<std::uint8_t, wire::kMaxApduSize> command{};
    std::copy(payload.begin(), payload.end(), command.begin());
    runApdu(cid, std::span<const std::uint8_t>(command.data(), payload.size()));
    secureZero(command);
}

void HidPacketLayer::runApdu(std::uint32_t cid, std::span<const std::uint8_t> command)
{
    m_processing = true;
    m_busyCid = cid;
    m_keepAliveSent = false;
    ++m_counters.apdus;
    // The HID channel is the card OS's channel (spec §6a): another CID's command clears this one's PIN state.
    const std::size_t n = m_os.process(command, m_message, cid);
    m_processing = false;
    m_busyCid = 0;
    (void)sendMessage(cid, cmdByte(Cmd::Apdu), std::span<const std::uint8_t>(m_message.data(), n));
    secureZero(m_message);
}

bool HidPacketLayer::sendMessage(std::uint32_t cid, std::uint8_t cmd, std::span<const std::uint8_t> payload)
{
    if (payload.size() > wire::kMaxMessageSize) {
        return false;
    }
    Report report{};
    writeCid(report, cid);
    report[4] = static_cast<std::uint8_t>(cmd | wire::kInitBit);
    report[5] = static_cast<std::uint8_t>(payload.size() >> 8);
    report[6] = static_cast<std::uint8_t>(payload.size());
    std::size_t sent = std::min(payload.size(), wire::kInitDataSize);
    std::copy(
        payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(sent), report.begin() + wire::kInitHeaderSize);
    if (!m_endpoint.send(report)) {
        return false;
    }
    ++m_counters.reportsOut;
    for (std::uint8_t seq = 0; sent < payload.size(); ++seq) {
        report.fill(0);
        writeCid(report, cid);
        report[4] = seq;
        const std::size_t take = std::min(wire::kContDataSize, payload.size() - sent);
        std::copy(payload.begin() + static_cast<std::ptrdiff_t>(sent),
            payload.begin() + static_cast<std::ptrdiff_t>(sent + take),
            report.begin() + wire::kContHeaderSize);
        sent += take;
        if (!m_endpoint.send(report)) {
            return false;
        }
        ++m_counters.reportsOut;
    }
    return true;
}

void HidPacketLayer::sendError(std::uint32_t cid, wire::ErrorCode code)
{
    ++m_counters.errorsSent;
    const std::uint8_t payload[1] = {static_cast<std::uint8_t>(code)};
    (void)sendMessage(cid, cmdByte(Cmd::Error), payload);
}

} // namespace skey
