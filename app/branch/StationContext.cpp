// SPDX-License-Identifier: Apache-2.0
#include "app/branch/StationContext.h"

#include "core/bank/HttpsBankClient.h"
#include "device/EmbeddedSimulator.h"
#include "device/HidApduChannel.h"

#include <QDir>

namespace wallet::branch {
namespace {

/// The desk's slot for a key: the plugged key's channel, or a clear "no key" (sign-in needs no key).
class DeskChannel final : public core::ApduChannel
{
public:
    DeskChannel(std::unique_ptr<device::HidApduChannel>& channel, QString& plugError)
        : m_channel(channel)
        , m_plugError(plugError)
    { }
    core::Result<core::ResponseApdu> transmit(const core::CommandApdu& command) override
    {
        if (!m_channel) {
            return core::makeError(core::ErrorCode::NoDevice,
                m_plugError.isEmpty() ? QStringLiteral("no key on the desk: plug in a key")
                                      : QStringLiteral("the simulated key did not start: ") + m_plugError);
        }
        return m_channel->transmit(command);
    }
    [[nodiscard]] QString description() const override
    {
        return m_channel ? m_channel->description() : QStringLiteral("no key");
    }

private:
    std::unique_ptr<device::HidApduChannel>& m_channel;
    QString& m_plugError;
};

} // namespace

StationContext::StationContext(QString bankConfigPath, QString dataDir)
    : m_bankConfigPath(std::move(bankConfigPath))
    , m_dataDir(std::move(dataDir))
{ }

StationContext::~StationContext()
{
    // Everything below lives on the worker thread: destroyed there.
    m_worker.post([this] {
        m_station.reset();
        m_desk.reset();
        m_channel.reset();
        m_sim.reset();
        m_bank.reset();
    });
    m_worker.drain();
}

QString StationContext::keyDir(const QString& serialHex) const
{
    return QDir(m_dataDir).filePath(QStringLiteral("keys/%1/simulator").arg(serialHex));
}

void StationContext::plugSimulatedKey(const QString& serialHex, const QString& ktHex)
{
    const QString dir = keyDir(serialHex);
    m_worker.post([this, serialHex, ktHex, dir] {
        m_channel.reset();
        m_sim.reset();
        QDir().mkpath(dir);
        device::SimulatorOptions o;
        o.dataDirectory = dir;
        o.serialHex = serialHex;
        o.transportKeyHex = ktHex; // empty: derived from the development manufacturer key and the serial
        auto sim = std::make_unique<device::EmbeddedSimulator>(o);
        if (auto s = sim->start(); !s) {
            m_plugError = s.error().detail;
            return;
        }
        m_plugError.clear();
        m_sim = std::move(sim);
        m_channel = m_sim->makeChannel();
    });
}

core::Result<core::BranchStation*> StationContext::stationOnWorker()
{
    if (!m_bank) {
        auto config = core::BankClientConfig::load(m_bankConfigPath);
        if (!config) {
            return config.error();
        }
        m_bank = std::make_unique<core::HttpsBankClient>(*config);
    }
    if (!m_station) {
        m_desk = std::make_unique<DeskChannel>(m_channel, m_plugError);
        m_station = std::make_unique<core::BranchStation>(*m_bank, *m_desk);
    }
    return m_station.get();
}

QString problemCodeOf(const core::Error& e)
{
    return core::bankProblemCode(e);
}

} // namespace wallet::branch
