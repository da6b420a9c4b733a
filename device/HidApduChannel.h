// SPDX-License-Identifier: Apache-2.0
// core::ApduChannel over the CTAPHID packet layer (spec/token-hid.md): channel allocation with a nonce, APDU
// messages, KEEPALIVE, CANCEL, busy retries, timeouts and resynchronisation.
#pragma once

#include "core/channel/ApduChannel.h"
#include "device/HidReassembler.h"
#include "device/Transport.h"

#include <QByteArray>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

namespace wallet::device {

struct HidChannelOptions
{
    int replyTimeoutMs = 3000; ///< the key must answer, or send KEEPALIVE, within this
    int touchTimeoutMs = 65000; ///< longest total wait while the key reports "waiting for the touch"
    int busyRetryMs = 3000; ///< how long ChannelBusy / LockRequired is retried (every 100 ms) before DeviceBusy
};

/// What INIT told us about the key.
struct KeyHello
{
    std::uint32_t cid = 0;
    std::uint8_t protocolVersion = 0;
    std::uint8_t firmwareMajor = 0;
    std::uint8_t firmwareMinor = 0;
    std::uint8_t firmwareBuild = 0;
    std::uint8_t capabilities = 0;
    /// The largest APDU (command, and response with SW) the key takes in one message, when it announces one
    /// (capability kCapBoundedApdu); 0: not announced (any APDU up to the HID limit).
    std::size_t maxApdu = 0;
};

/**
 * @brief One logical channel (one CID) to one key. Owns its transport. transmit()/request() block the calling
 * worker thread and are serialised by a mutex; cancel() may be called from any thread.
 *
 * Errors: NoDevice / PermissionDenied / DeviceBusy from open(); Disconnected when I/O fails (the key went away);
 * Timeout when the key stays silent; DeviceBusy when another channel keeps the key busy or locked; ProtocolError for
 * malformed frames or an ERROR code; Cancelled when cancel() ended an APDU (SW 6F00). Card status words are
 * returned in the ResponseApdu unchanged (core interprets them).
 */
class HidApduChannel final : public core::ApduChannel
{
public:
    explicit HidApduChannel(std::unique_ptr<Transport> transport, HidChannelOptions options = {});
    ~HidApduChannel() override;

    /// Opens the transport and allocates a channel (INIT). Called lazily by every request; idempotent.
    [[nodiscard]] core::Result<KeyHello> connect();
    void disconnect();
    [[nodiscard]] bool isConnected() const;

    [[nodiscard]] core::Result<core::ResponseApdu> transmit(const core::CommandApdu& command) override;
    /// Raw APDU bytes in, data ‖ SW out. Bounded APDUs (docs/transport.md): an APDU longer than the key's bound goes
    /// as a command chain of short APDUs (a link's error SW ends it and is the answer), and while the key answers
    /// 61xx the rest is fetched with GET RESPONSE, so the caller sees one command and one complete answer.
    [[nodiscard]] core::Result<QByteArray> transmitRaw(const QByteArray& apdu);
    [[nodiscard]] core::Result<QByteArray> ping(const QByteArray& data);
    [[nodiscard]] core::Result<void> wink();
    /// Reserves the key for this channel for `seconds` (0 releases, at most 10).
    [[nodiscard]] core::Result<void> lock(int seconds);
    /// One request/response message exchange of any command.
    [[nodiscard]] core::Result<QByteArray> request(skey::wire::Cmd cmd, const QByteArray& payload);

    /// Asks the key to abandon the pending APDU (sends CANCEL; the APDU then ends with ErrorCode::Cancelled).
    /// Thread-safe; no effect when nothing is pending.
    void cancel();
    /// Called on the transmitting thread for every KEEPALIVE (e.g. to show "touch your key").
    void setKeepAliveHandler(std::function<void(skey::wire::KeepAliveStatus)> handler);

    [[nodiscard]] QString description() const override;
    [[nodiscard]] KeyHello hello() const;
    [[nodiscard]] Transport& transport() { return *m_transport; }
    /// Reports written / reports for this channel read since construction (benchmarks: reports per APDU).
    [[nodiscard]] std::uint64_t reportsSent() const { return m_reportsSent; }
    [[nodiscard]] std::uint64_t reportsReceived() const { return m_reportsReceived; }

private:
    core::Result<KeyHello> connectLocked();
    core::Result<KeyHello> initLocked(std::uint32_t onCid);
    core::Result<QByteArray> exchangeLocked(skey::wire::Cmd cmd, const QByteArray& payload);
    core::Result<QByteArray> exchangeOnceLocked(
        skey::wire::Cmd cmd, const QByteArray& payload, std::uint8_t* errorCode);
    core::Result<void> writeAll(const std::vector<Report>& reports);
    core::Error ioFailed(const core::Error& error);

    std::unique_ptr<Transport> m_transport;
    HidChannelOptions m_options;
    mutable std::mutex m_mutex;
    KeyHello m_hello;
    bool m_connected = false;
    bool m_needResync = false;
    HidReassembler m_reassembler;
    std::function<void(skey::wire::KeepAliveStatus)> m_keepAliveHandler;
    std::atomic<bool> m_cancelRequested{false};
    std::atomic<std::uint64_t> m_reportsSent{0};
    std::atomic<std::uint64_t> m_reportsReceived{0};
};

} // namespace wallet::device
