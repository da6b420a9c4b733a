// SPDX-License-Identifier: Apache-2.0
#include "app/branch/StationContext.h"

#include "core/bank/HttpsBankClient.h"
#include "device/EmbeddedSimulator.h"
#include "device/HidApduChannel.h"
#include "device/HidapiTransport.h"
#include "device/UsbKeyChoice.h"

#include <QDir>

namespace wallet::branch {
namespace {

/// The desk's slot for a key: the plugged key's channel, or a clear "no key" (sign-in needs no key). Without a
/// simulated key it takes the USB key hidapi finds, like the wallet (device::chooseUsbKey: the only one, or the one
/// `usbKey` names; none → "plug in a key"; several → the list to choose from), at the first command that needs it
/// and again after it went away.
class DeskChannel final : public core::ApduChannel
{
public:
    DeskChannel(std::unique_ptr<device::HidApduChannel>& channel, QString& plugError, bool simulated, QString usbKey)
        : m_channel(channel)
        , m_plugError(plugError)
        , m_simulated(simulated)
        , m_usbKey(std::move(usbKey))
    { }
    core::Result<core::ResponseApdu> transmit(const core::CommandApdu& command) override
    {
        if (!m_channel && m_simulated) {
            return core::makeError(core::ErrorCode::NoDevice,
                m_plugError.isEmpty() ? QStringLiteral("no key on the desk: plug in a key")
                                      : QStringLiteral("the simulated key did not start: ") + m_plugError);
        }
        if (!m_channel) {
            auto keys = device::HidapiTransport::enumerate();
            if (!keys) {
                return keys.error();
            }
            auto key = device::chooseUsbKey(*keys, m_usbKey);
            if (!key) {
                return key.error();
            }
            m_channel = std::make_unique<device::HidApduChannel>(std::make_unique<device::HidapiTransport>(key->path));
        }
        auto r = m_channel->transmit(command);
        if (!r && !m_simulated && r.error().code == core::ErrorCode::NoDevice) {
            m_channel.reset(); // unplugged: the next command looks for a key again
        }
        return r;
    }
    [[nodiscard]] QString description() const override
    {
        return m_channel ? m_channel->description() : QStringLiteral("no key");
    }

private:
    std::unique_ptr<device::HidApduChannel>& m_channel;
    QString& m_plugError;
    bool m_simulated;
    QString m_usbKey;
};

} // namespace

StationContext::StationContext(QString bankConfigPath, QString dataDir, bool simulatedKeys, QString usbKey)
    : m_bankConfigPath(std::move(bankConfigPath))
    , m_dataDir(std::move(dataDir))
    , m_simulatedKeys(simulatedKeys)
    , m_usbKey(std::move(usbKey))
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
        m_desk = std::make_unique<DeskChannel>(m_channel, m_plugError, m_simulatedKeys, m_usbKey);
        m_station = std::make_unique<core::BranchStation>(*m_bank, *m_desk);
    }
    return m_station.get();
}

QString problemCodeOf(const core::Error& e)
{
    return core::bankProblemCode(e);
}

} // namespace wallet::branch
