// SPDX-License-Identifier: Apache-2.0
// The token side of the USB HID transport (spec/token-hid.md): CTAPHID packet layer on a vendor usage page.
// Channel allocation (INIT), reassembly with the 500 ms message timeout, PING, APDU into the card OS, CANCEL,
// KEEPALIVE while the card OS waits for the touch, WINK, LOCK and the ERROR codes. No heap and one message buffer
// of wire::kMaxApduSize bytes (docs/transport.md "Bounded APDUs"): the request is assembled in it, the card OS writes
// its response into it (from a copy of the command on the stack), and the response is sent from it.
#pragma once

#include "CardOs.h"
#include "hal/HidEndpoint.h"
#include "hal/Presence.h"
#include "hal/Rng.h"
#include "hal/System.h"
#include "skey/HidWire.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace skey {

class HidPacketLayer
{
public:
    /// Every HAL reference is borrowed for the lifetime of the layer. `rng` draws the base of the CID space at
    /// power-on so that CIDs from before a reset are (almost certainly) unknown afterwards.
    HidPacketLayer(hal::HidEndpoint& endpoint, hal::System& system, hal::Rng& rng, hal::Presence& presence, CardOs& os);

    /// Power-on / reset: every channel, lock and partial message is forgotten (volatile state).
    void reset();

    /**
     * One main-loop step: handles every pending OUT report, answers the control commands, runs a completed APDU
     * through the card OS (blocking; the OS may call serviceWhileBusy() through the Presence HAL meanwhile) and
     * sends the response; then checks the reassembly timeout and the lock expiry. Never blocks otherwise.
     */
    void poll();

    /**
     * Called by the platform while the card OS is busy with an APDU (e.g. from Presence::waitForTouch, every few
     * milliseconds): sends KEEPALIVE `status` on the busy channel at least every kKeepAliveIntervalMs, answers other
     * channels with ChannelBusy, ignores continuation packets. Returns true when the host sent CANCEL on the busy
     * channel (the caller then ends the wait with PresenceResult::Cancelled and the OS answers 6F00).
     * When the OS runs an APDU from another interface (PC/SC), every HID request gets ChannelBusy and no KEEPALIVE
     * is sent.
     */
    [[nodiscard]] bool serviceWhileBusy(wire::KeepAliveStatus status);

    /// True while the card OS runs an APDU that came through this layer.
    [[nodiscard]] bool busy() const { return m_processing; }
    /// Counters for diagnostics and benchmarks.
    struct Counters
    {
        std::uint32_t reportsIn = 0;
        std::uint32_t reportsOut = 0;
        std::uint32_t errorsSent = 0;
        std::uint32_t apdus = 0;
    };
    [[nodiscard]] const Counters& counters() const { return m_counters; }

private:
    using Report = std::array<std::uint8_t, wire::kReportSize>;

    void handleReport(const Report& report);
    void handleInitPacket(std::uint32_t cid, std::uint8_t cmd, std::size_t bcnt, const Report& report);
    void handleContinuation(std::uint32_t cid, std::uint8_t seq, const Report& report);
    void dispatch(std::uint32_t cid, std::uint8_t cmd, std::span<const std::uint8_t> payload);
    void handleInit(std::uint32_t cid, std::span<const std::uint8_t> payload);
    void handleApdu(std::uint32_t cid, std::span<const std::uint8_t> payload);
    /// Runs `command` through the card OS (an empty span: an APDU longer than the bound, which the OS answers
    /// 6700 like any malformed command) and sends the answer from the message buffer.
    void runApdu(std::uint32_t cid, std::span<const std::uint8_t> command);
    void handleLock(std::uint32_t cid, std::span<const std::uint8_t> payload);
    void checkTimers();
    void dropMessage();

    [[nodiscard]] bool isAllocated(std::uint32_t cid) const;
    [[nodiscard]] bool lockedByOther(std::uint32_t cid) const;
    /// Sends `payload` as one message (init packet + continuations). False when the host went away.
    bool sendMessage(std::uint32_t cid, std::uint8_t cmd, std::span<const std::uint8_t> payload);
    void sendError(std::uint32_t cid, wire::ErrorCode code);

    hal::HidEndpoint& m_endpoint;
    hal::System& m_system;
    hal::Rng& m_rng;
    hal::Presence& m_presence;
    CardOs& m_os;

    // Channel allocation: CIDs are m_cidBase + 1 .. m_cidBase + m_cidCount (wrapping, never 0 or broadcast).
    std::uint32_t m_cidBase = 0;
    std::uint32_t m_cidCount = 0;

    // The message being assembled (one at a time: other channels get ChannelBusy meanwhile).
    bool m_rxActive = false;
    std::uint32_t m_rxCid = 0;
    std::uint8_t m_rxCmd = 0;
    std::size_t m_rxLength = 0;
    std::size_t m_rxReceived = 0;
    std::uint8_t m_rxNextSeq = 0;
    std::uint32_t m_rxStartMs = 0;
    /// An APDU message longer than the bound (BCNT ≤ kMaxMessageSize): its reports are counted, not stored, and the
    /// complete message is answered 6700.
    bool m_rxDiscard = false;
    /// The one message buffer: the request being assembled, then the response being sent.
    std::array<std::uint8_t, wire::kMaxApduSize> m_message{};

    // The APDU being processed by the card OS.
    bool m_processing = false;
    std::uint32_t m_busyCid = 0;
    std::uint32_t m_lastKeepAliveMs = 0;
    bool m_keepAliveSent = false;

    // LOCK.
    std::uint32_t m_lockCid = 0;
    std::uint32_t m_lockUntilMs = 0;

    Counters m_counters;
};

} // namespace skey
