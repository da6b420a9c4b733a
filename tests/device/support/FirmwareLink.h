// SPDX-License-Identifier: Apache-2.0
// Test support: the real firmware HID packet layer and card OS in-process, behind a fake HID endpoint (report
// queues) and a clock the test sets. FirmwareLinkTransport puts that token behind the host's Transport interface,
// so HidApduChannel talks to the real packet layer without sockets.
#pragma once

#include "HostToken.h"
#include "device/Transport.h"
#include "hid/HidPacketLayer.h"

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

namespace testsupport {

using Report = std::array<std::uint8_t, 64>;

class FakeEndpoint final : public skey::hal::HidEndpoint
{
public:
    bool receive(std::span<std::uint8_t, 64> report) override
    {
        if (in.empty()) {
            return false;
        }
        std::copy(in.front().begin(), in.front().end(), report.begin());
        in.pop_front();
        return true;
    }
    bool send(std::span<const std::uint8_t, 64> report) override
    {
        if (unplugged) {
            return false;
        }
        Report r{};
        std::copy(report.begin(), report.end(), r.begin());
        out.push_back(r);
        return true;
    }
    std::deque<Report> in;
    std::deque<Report> out;
    bool unplugged = false;
};

class FakeClock final : public skey::hal::System
{
public:
    std::uint32_t millis() const override { return now; }
    void deviceSerial(std::span<std::uint8_t, 8> out) const override { std::fill(out.begin(), out.end(), 0x5A); }
    void reset() override { }
    std::uint32_t now = 1000;
};

/// A token whose HID layer runs on a fake clock.
struct FirmwareLink
{
    FirmwareLink()
        : layer(endpoint, clock, token.rng(), token.presence(), token.os())
    { }
    /// Queues reports and runs one main-loop step.
    void deliver(const std::vector<Report>& reports)
    {
        for (const auto& r : reports) {
            endpoint.in.push_back(r);
        }
        do {
            layer.poll(); // handles at most 64 reports per main-loop step
        } while (!endpoint.in.empty());
    }
    std::vector<Report> takeOutput()
    {
        std::vector<Report> v(endpoint.out.begin(), endpoint.out.end());
        endpoint.out.clear();
        return v;
    }

    skey::host::HostToken token;
    FakeEndpoint endpoint;
    FakeClock clock;
    skey::HidPacketLayer layer;
};

/// Transport over a FirmwareLink (real packet layer, real card OS). The clock advances with the host's reads.
class FirmwareLinkTransport final : public wallet::device::Transport
{
public:
    explicit FirmwareLinkTransport(std::shared_ptr<FirmwareLink> link)
        : m_link(std::move(link))
    { }
    wallet::core::Result<void> open() override
    {
        m_open = true;
        return {};
    }
    void close() override { m_open = false; }
    bool isOpen() const override { return m_open; }
    wallet::core::Result<void> write(const wallet::device::Report& report) override
    {
        if (failWritesAfter == 0) {
            return wallet::core::makeError(wallet::core::ErrorCode::Disconnected, QStringLiteral("unplugged"));
        }
        if (failWritesAfter > 0) {
            --failWritesAfter;
        }
        ++writes;
        m_link->endpoint.in.push_back(report);
        m_link->layer.poll();
        return {};
    }
    wallet::core::Result<std::optional<wallet::device::Report>> read(int timeoutMs) override
    {
        if (silent) {
            m_link->endpoint.out.clear(); // the key's answers never reach the host
        }
        if (!m_link->endpoint.out.empty()) {
            const auto r = m_link->endpoint.out.front();
            m_link->endpoint.out.pop_front();
            return std::optional<wallet::device::Report>(r);
        }
        m_link->clock.now += static_cast<std::uint32_t>(std::max(timeoutMs, 1));
        m_link->layer.poll();
        if (!silent && !m_link->endpoint.out.empty()) {
            return read(0);
        }
        if (silent) {
            m_link->endpoint.out.clear();
        }
        return std::optional<wallet::device::Report>{};
    }
    QString description() const override { return QStringLiteral("in-process firmware link"); }
    bool isSimulated() const override { return true; }

    int failWritesAfter = -1; ///< >= 0: that many writes succeed, then every write fails (unplug)
    bool silent = false; ///< the key never answers
    int writes = 0;

private:
    std::shared_ptr<FirmwareLink> m_link;
    bool m_open = false;
};

} // namespace testsupport
