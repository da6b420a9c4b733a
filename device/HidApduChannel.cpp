// SPDX-License-Identifier: Apache-2.0
#include "device/HidApduChannel.h"

#include "device/ApduChaining.h"

#include "core/crypto/Bytes.h"
#include "device/HidFraming.h"

#include <QLoggingCategory>
#include <QRandomGenerator>

#include <chrono>
#include <thread>

Q_LOGGING_CATEGORY(lcChannel, "wallet.device.channel")

namespace wallet::device {

using core::ErrorCode;
using core::makeError;
using core::Result;
using skey::wire::Cmd;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kReadSliceMs = 20; ///< read granularity, so cancel() is honoured promptly
constexpr int kBusyRetryDelayMs = 100; ///< python-fido2 retries ChannelBusy after 100 ms as well

int msUntil(Clock::time_point deadline)
{
    return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
}

bool isBusyCode(std::uint8_t code)
{
    return code == static_cast<std::uint8_t>(skey::wire::ErrorCode::ChannelBusy)
        || code == static_cast<std::uint8_t>(skey::wire::ErrorCode::LockRequired);
}

} // namespace

HidApduChannel::HidApduChannel(std::unique_ptr<Transport> transport, HidChannelOptions options)
    : m_transport(std::move(transport))
    , m_options(options)
{ }

HidApduChannel::~HidApduChannel()
{
    disconnect();
}

void HidApduChannel::disconnect()
{
    std::lock_guard lock(m_mutex);
    m_transport->close();
    m_connected = false;
}

bool HidApduChannel::isConnected() const
{
    std::lock_guard lock(m_mutex);
    return m_connected;
}

KeyHello HidApduChannel::hello() const
{
    std::lock_guard lock(m_mutex);
    return m_hello;
}

QString HidApduChannel::description() const
{
    return m_transport->description();
}

void HidApduChannel::setKeepAliveHandler(std::function<void(skey::wire::KeepAliveStatus)> handler)
{
    std::lock_guard lock(m_mutex);
    m_keepAliveHandler = std::move(handler);
}

void HidApduChannel::cancel()
{
    m_cancelRequested = true;
}

core::Error HidApduChannel::ioFailed(const core::Error& error)
{
    m_transport->close();
    m_connected = false;
    core::Error e = error;
    if (e.code != ErrorCode::NoDevice && e.code != ErrorCode::PermissionDenied) {
        e.code = ErrorCode::Disconnected;
    }
    qCDebug(lcChannel) << "I/O failed on" << m_transport->description() << e.detail;
    return e;
}

Result<void> HidApduChannel::writeAll(const std::vector<Report>& reports)
{
    for (const auto& r : reports) {
        auto w = m_transport->write(r);
        if (!w) {
            return ioFailed(w.error());
        }
        ++m_reportsSent;
    }
    return {};
}

Result<KeyHello> HidApduChannel::connect()
{
    std::lock_guard lock(m_mutex);
    return connectLocked();
}

Result<KeyHello> HidApduChannel::connectLocked()
{
    if (m_connected) {
        return m_hello;
    }
    if (!m_transport->isOpen()) {
        auto o = m_transport->open();
        if (!o) {
            return o.error();
        }
    }
    const auto busyDeadline = Clock::now() + std::chrono::milliseconds(m_options.busyRetryMs);
    for (;;) {
        auto r = initLocked(skey::wire::kBroadcastCid);
        if (r) {
            m_hello = r.value();
            m_connected = true;
            m_needResync = false;
            return m_hello;
        }
        if (r.error().code == ErrorCode::DeviceBusy && msUntil(busyDeadline) > 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(kBusyRetryDelayMs));
            continue;
        }
        return r.error();
    }
}

Result<KeyHello> HidApduChannel::initLocked(std::uint32_t onCid)
{
    QByteArray nonce(static_cast<int>(skey::wire::kInitNonceSize), Qt::Uninitialized);
    QRandomGenerator::system()->generate(nonce.begin(), nonce.end());
    if (auto w = writeAll(HidFraming::fragment(onCid, Cmd::Init, nonce)); !w) {
        return w.error();
    }
    HidReassembler assembler(onCid);
    const auto deadline = Clock::now() + std::chrono::milliseconds(m_options.replyTimeoutMs);
    for (;;) {
        const int left = msUntil(deadline);
        if (left <= 0) {
            return makeError(ErrorCode::Timeout,
                QStringLiteral("the key did not answer INIT within %1 ms on %2")
                    .arg(m_options.replyTimeoutMs)
                    .arg(m_transport->description()));
        }
        auto rr = m_transport->read(std::min(left, kReadSliceMs));
        if (!rr) {
            return ioFailed(rr.error());
        }
        if (!rr.value()) {
            continue;
        }
        const auto o = assembler.feed(*rr.value());
        if (o.status != HidReassembler::Status::Complete) {
            continue; // stale or foreign traffic is skipped: the nonce identifies our answer
        }
        ++m_reportsReceived;
        if (o.cmd == static_cast<std::uint8_t>(Cmd::Error) && o.payload.size() == 1) {
            const auto code = static_cast<std::uint8_t>(o.payload[0]);
            if (isBusyCode(code)) {
                return makeError(
                    ErrorCode::DeviceBusy, QStringLiteral("key busy: %1").arg(HidFraming::errorName(code)));
            }
            if (onCid != skey::wire::kBroadcastCid
                && code == static_cast<std::uint8_t>(skey::wire::ErrorCode::InvalidChannel)) {
                return makeError(ErrorCode::ProtocolError, QStringLiteral("channel no longer valid"));
            }
            continue;
        }
        if (o.cmd != static_cast<std::uint8_t>(Cmd::Init)
            || o.payload.size() < static_cast<int>(skey::wire::kInitResponseSize)
            || o.payload.left(static_cast<int>(skey::wire::kInitNonceSize)) != nonce) {
            continue; // another program's INIT answer, or a stale one
        }
        const auto* p = reinterpret_cast<const std::uint8_t*>(o.payload.constData());
        KeyHello h;
        h.cid = (static_cast<std::uint32_t>(p[8]) << 24) | (static_cast<std::uint32_t>(p[9]) << 16)
            | (static_cast<std::uint32_t>(p[10]) << 8) | p[11];
        h.protocolVersion = p[12];
        h.firmwareMajor = p[13];
        h.firmwareMinor = p[14];
        h.firmwareBuild = p[15];
        h.capabilities = p[16];
        if ((h.capabilities & skey::wire::kCapBoundedApdu) != 0) {
            if (o.payload.size() < static_cast<int>(skey::wire::kInitResponseSizeBounded)) {
                return makeError(ErrorCode::ProtocolError, QStringLiteral("the key announced no APDU bound"));
            }
            h.maxApdu = (static_cast<std::size_t>(p[17]) << 8) | p[18];
            if (h.maxApdu < 261) {
                return makeError(ErrorCode::ProtocolError,
                    QStringLiteral("the key's APDU bound of %1 bytes is below a short APDU").arg(h.maxApdu));
            }
        }
        if (h.cid == 0 || h.cid == skey::wire::kBroadcastCid) {
            return makeError(ErrorCode::ProtocolError, QStringLiteral("the key allocated a reserved channel id"));
        }
        if (h.protocolVersion != skey::wire::kProtocolVersion) {
            return makeError(ErrorCode::ProtocolError,
                QStringLiteral("the key speaks HID protocol version %1, this program %2")
                    .arg(h.protocolVersion)
                    .arg(skey::wire::kProtocolVersion));
        }
        return h;
    }
}

Result<QByteArray> HidApduChannel::request(Cmd cmd, const QByteArray& payload)
{
    std::lock_guard lock(m_mutex);
    return exchangeLocked(cmd, payload);
}

Result<QByteArray> HidApduChannel::exchangeLocked(Cmd cmd, const QByteArray& payload)
{
    if (payload.size() > static_cast<int>(skey::wire::kMaxMessageSize)) {
        return makeError(ErrorCode::InvalidInput,
            QStringLiteral("message of %1 bytes exceeds the HID limit of %2")
                .arg(payload.size())
                .arg(skey::wire::kMaxMessageSize));
    }
    if (auto c = connectLocked(); !c) {
        return c.error();
    }
    if (m_needResync) {
        // After a timeout or a malformed answer, stale reports may still be queued: INIT on our own channel drops
        // the key's partial state, and the nonce tells our answer from the stale ones.
        auto r = initLocked(m_hello.cid);
        if (!r) {
            m_connected = false;
            if (auto c = connectLocked(); !c) {
                return c.error();
            }
        }
        m_needResync = false;
    }
    const auto busyDeadline = Clock::now() + std::chrono::milliseconds(m_options.busyRetryMs);
    bool reinitialised = false;
    bool timeoutRetried = false;
    for (;;) {
        std::uint8_t code = 0;
        auto r = exchangeOnceLocked(cmd, payload, &code);
        if (r || code == 0) {
            return r;
        }
        if (isBusyCode(code) && msUntil(busyDeadline) > 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(kBusyRetryDelayMs));
            continue;
        }
        if (code == static_cast<std::uint8_t>(skey::wire::ErrorCode::InvalidChannel) && !reinitialised) {
            reinitialised = true; // the key was reset and forgot our channel
            m_connected = false;
            if (auto c = connectLocked(); !c) {
                return c.error();
            }
            continue;
        }
        if (code == static_cast<std::uint8_t>(skey::wire::ErrorCode::MessageTimeout) && !timeoutRetried) {
            timeoutRetried = true;
            continue;
        }
        return r;
    }
}

Result<QByteArray> HidApduChannel::exchangeOnceLocked(Cmd cmd, const QByteArray& payload, std::uint8_t* errorCode)
{
    m_cancelRequested = false;
    const std::uint32_t cid = m_hello.cid;
    m_reassembler.setCid(cid);
    {
        std::vector<Report> reports = HidFraming::fragment(cid, cmd, payload);
        auto w = writeAll(reports);
        // The reports may carry a PIN (VERIFY): wiped once written, whatever the command (64 bytes each, cheap).
        Botan::secure_scrub_memory(reports.data(), reports.size() * sizeof(Report));
        if (!w) {
            return w.error();
        }
    }
    auto replyDeadline = Clock::now() + std::chrono::milliseconds(m_options.replyTimeoutMs);
    const auto touchDeadline = Clock::now() + std::chrono::milliseconds(m_options.touchTimeoutMs);
    bool cancelSent = false;
    bool touchTimedOut = false;
    for (;;) {
        if (cmd == Cmd::Apdu && m_cancelRequested && !cancelSent) {
            if (auto w = writeAll(HidFraming::fragment(cid, Cmd::Cancel, {})); !w) {
                return w.error();
            }
            cancelSent = true;
        }
        const int left = msUntil(replyDeadline);
        if (left <= 0) {
            m_needResync = true;
            return makeError(ErrorCode::Timeout,
                QStringLiteral("the key did not answer within %1 ms (%2)")
                    .arg(m_options.replyTimeoutMs)
                    .arg(m_transport->description()));
        }
        auto rr = m_transport->read(std::min(left, kReadSliceMs));
        if (!rr) {
            return ioFailed(rr.error());
        }
        if (!rr.value()) {
            continue;
        }
        const auto o = m_reassembler.feed(*rr.value());
        switch (o.status) {
        case HidReassembler::Status::Ignored:
            continue;
        case HidReassembler::Status::NeedMore:
            ++m_reportsReceived;
            continue;
        case HidReassembler::Status::Malformed:
            ++m_reportsReceived;
            m_needResync = true;
            return makeError(
                ErrorCode::ProtocolError, QStringLiteral("malformed answer from the key: %1").arg(o.problem));
        case HidReassembler::Status::Complete:
            ++m_reportsReceived;
            break;
        }
        if (o.cmd == static_cast<std::uint8_t>(Cmd::KeepAlive)) {
            const auto status = o.payload.isEmpty() ? skey::wire::KeepAliveStatus::Processing
                                                    : static_cast<skey::wire::KeepAliveStatus>(o.payload[0]);
            replyDeadline = Clock::now() + std::chrono::milliseconds(m_options.replyTimeoutMs);
            if (msUntil(touchDeadline) <= 0 && !cancelSent) {
                touchTimedOut = true; // nobody touched the key in time: ask it to give up
                m_cancelRequested = true;
            }
            if (m_keepAliveHandler) {
                m_keepAliveHandler(status);
            }
            continue;
        }
        if (o.cmd == static_cast<std::uint8_t>(Cmd::Error)) {
            const std::uint8_t code = o.payload.isEmpty() ? 0x7F : static_cast<std::uint8_t>(o.payload[0]);
            *errorCode = code == 0 ? 0x7F : code;
            return makeError(isBusyCode(code) ? ErrorCode::DeviceBusy : ErrorCode::ProtocolError,
                QStringLiteral("the key reported: %1").arg(HidFraming::errorName(code)));
        }
        if (o.cmd != static_cast<std::uint8_t>(cmd)) {
            m_needResync = true;
            return makeError(ErrorCode::ProtocolError,
                QStringLiteral("the key answered command 0x%1 to 0x%2")
                    .arg(o.cmd, 2, 16, QLatin1Char('0'))
                    .arg(static_cast<int>(cmd), 2, 16, QLatin1Char('0')));
        }
        if (cancelSent && cmd == Cmd::Apdu && o.payload.size() == 2
            && static_cast<std::uint8_t>(o.payload[0]) == (skey::wire::kSwCancelled >> 8)
            && static_cast<std::uint8_t>(o.payload[1]) == (skey::wire::kSwCancelled & 0xFF)) {
            return makeError(touchTimedOut ? ErrorCode::TouchRefused : ErrorCode::Cancelled,
                touchTimedOut ? QStringLiteral("nobody touched the key in time") : QStringLiteral("cancelled"),
                skey::wire::kSwCancelled);
        }
        return o.payload;
    }
}

Result<core::ResponseApdu> HidApduChannel::transmit(const core::CommandApdu& command)
{
    QByteArray wire = command.encode();
    auto raw = transmitRaw(wire);
    if (command.isSensitive()) {
        core::wipe(wire); // VERIFY / CHANGE PIN: the PIN bytes (issue 9 item 19)
    }
    if (!raw) {
        return raw.error();
    }
    auto parsed = core::ResponseApdu::parse(raw.value());
    if (!parsed) {
        return makeError(ErrorCode::ProtocolError, QStringLiteral("response APDU shorter than a status word"));
    }
    return *parsed;
}

Result<QByteArray> HidApduChannel::transmitRaw(const QByteArray& apdu)
{
    std::lock_guard lock(m_mutex); // the links of a chain and the GET RESPONSEs are one exchange
    if (auto c = connectLocked(); !c) {
        return c.error();
    }
    const auto exchange = [this](const QByteArray& command) -> Result<QByteArray> {
        auto r = exchangeLocked(Cmd::Apdu, command);
        if (r && r.value().size() < 2) {
            return makeError(ErrorCode::ProtocolError, QStringLiteral("response APDU shorter than a status word"));
        }
        return r;
    };
    Result<QByteArray> r = makeError(ErrorCode::InvalidInput, QStringLiteral("empty APDU"));
    const std::size_t bound = m_hello.maxApdu;
    if (bound != 0 && static_cast<std::size_t>(apdu.size()) > bound) {
        auto links = chaining::split(apdu);
        if (!links) {
            return makeError(ErrorCode::InvalidInput,
                QStringLiteral("APDU of %1 bytes exceeds the key's bound of %2 and cannot be chained")
                    .arg(apdu.size())
                    .arg(bound));
        }
        for (std::size_t i = 0; i < links->size(); ++i) {
            r = exchange((*links)[i]);
            core::wipe((*links)[i]);
            if (!r) {
                break;
            }
            if (i + 1 < links->size() && chaining::statusWord(r.value()) != 0x9000) {
                break; // the key refused a link: that is the answer (ISO 7816-4 §5.1.1.1)
            }
        }
        for (QByteArray& link : *links) {
            core::wipe(link);
        }
    } else {
        r = exchange(apdu);
    }
    if (!r) {
        return r;
    }
    // 61xx: more data waits (ISO 7816-4 §5.3.4); fetched here so that callers see one answer.
    QByteArray all = r.value();
    for (int guard = 0; guard < 512 && (chaining::statusWord(all) >> 8) == 0x61; ++guard) {
        const auto sw2 = static_cast<std::uint8_t>(chaining::statusWord(all) & 0xFF);
        auto next = exchange(chaining::getResponse(sw2));
        if (!next) {
            return next;
        }
        all.chop(2);
        all.append(next.value());
    }
    return all;
}

Result<QByteArray> HidApduChannel::ping(const QByteArray& data)
{
    auto r = request(Cmd::Ping, data);
    if (r && r.value() != data) {
        return makeError(ErrorCode::ProtocolError, QStringLiteral("PING echo differs from what was sent"));
    }
    return r;
}

Result<void> HidApduChannel::wink()
{
    auto r = request(Cmd::Wink, {});
    if (!r) {
        return r.error();
    }
    return {};
}

Result<void> HidApduChannel::lock(int seconds)
{
    if (seconds < 0 || seconds > skey::wire::kMaxLockSeconds) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("lock time must be 0..10 s"));
    }
    auto r = request(Cmd::Lock, QByteArray(1, static_cast<char>(seconds)));
    if (!r) {
        return r.error();
    }
    return {};
}

} // namespace wallet::device
