// SPDX-License-Identifier: Apache-2.0
#include "device/DeviceManager.h"

#include "device/DeviceScanner.h"
#include "device/HidapiTransport.h"
#include "device/UdpTransport.h"

#include <QMetaObject>
#include <QThread>

namespace wallet::device {

using core::ErrorCode;
using core::makeError;

DeviceManager::DeviceManager(QObject* parent)
    : QObject(parent)
{
    qRegisterMetaType<wallet::device::KeyEntry>();
    qRegisterMetaType<wallet::device::DeviceState>();
}

DeviceManager::~DeviceManager()
{
    stop();
}

void DeviceManager::setPollInterval(int ms)
{
    std::lock_guard lock(m_mutex);
    m_pollIntervalMs = std::max(20, ms);
}

void DeviceManager::setUsbEnabled(bool enabled)
{
    std::lock_guard lock(m_mutex);
    m_usbEnabled = enabled;
}

void DeviceManager::addSimulator(quint16 hidPort)
{
    {
        std::lock_guard lock(m_mutex);
        if (!m_simulatorPorts.contains(hidPort)) {
            m_simulatorPorts.append(hidPort);
        }
    }
    rescan();
}

void DeviceManager::removeSimulator(quint16 hidPort)
{
    {
        std::lock_guard lock(m_mutex);
        m_simulatorPorts.removeAll(hidPort);
    }
    rescan();
}

void DeviceManager::start()
{
    if (m_thread) {
        return;
    }
    m_thread = new QThread();
    m_thread->setObjectName(QStringLiteral("wallet.device"));
    m_scanner = new DeviceScanner(*this);
    m_scanner->moveToThread(m_thread);
    connect(m_thread, &QThread::started, m_scanner, &DeviceScanner::begin);
    connect(m_thread, &QThread::finished, m_scanner, &QObject::deleteLater);
    m_thread->start();
}

void DeviceManager::stop()
{
    if (!m_thread) {
        return;
    }
    QMetaObject::invokeMethod(m_scanner, &DeviceScanner::finish, Qt::BlockingQueuedConnection);
    m_thread->quit();
    m_thread->wait();
    delete m_thread; // the scanner was deleted by deleteLater on finished... only if the loop ran it:
    m_thread = nullptr;
    m_scanner = nullptr;
}

void DeviceManager::rescan()
{
    if (m_scanner) {
        QMetaObject::invokeMethod(m_scanner, &DeviceScanner::scan, Qt::QueuedConnection);
    }
}

bool DeviceManager::usesNativeHotplug() const
{
    return m_scanner && m_scanner->nativeHotplug();
}

QList<KeyEntry> DeviceManager::keys() const
{
    std::lock_guard lock(m_mutex);
    return m_keys;
}

DeviceState DeviceManager::state() const
{
    std::lock_guard lock(m_mutex);
    return m_state;
}

QString DeviceManager::stateDetail() const
{
    std::lock_guard lock(m_mutex);
    return m_detail;
}

void DeviceManager::applyScan(const QList<KeyEntry>& found)
{
    QList<KeyEntry> added;
    QList<KeyEntry> changed;
    QStringList removed;
    DeviceState newState = DeviceState::NoKey;
    QString detail;
    bool stateDiffers = false;
    {
        std::lock_guard lock(m_mutex);
        for (const auto& f : found) {
            auto it = std::find_if(m_keys.cbegin(), m_keys.cend(), [&](const KeyEntry& k) { return k.id == f.id; });
            if (it == m_keys.cend()) {
                added.append(f);
            } else if (it->state != f.state || it->problem != f.problem) {
                changed.append(f);
            }
        }
        for (const auto& k : m_keys) {
            if (std::none_of(found.cbegin(), found.cend(), [&](const KeyEntry& f) { return f.id == k.id; })) {
                removed.append(k.id);
            }
        }
        m_keys = found;
        // Most useful state wins: a usable USB key, then a simulator, then what to fix.
        const DeviceState order[]
            = {DeviceState::Connected, DeviceState::Simulated, DeviceState::Busy, DeviceState::NoPermission};
        for (DeviceState s : order) {
            auto it = std::find_if(found.cbegin(), found.cend(), [s](const KeyEntry& k) { return k.state == s; });
            if (it != found.cend()) {
                newState = s;
                detail = it->problem.isEmpty() ? it->description : it->problem;
                break;
            }
        }
        stateDiffers = newState != m_state || detail != m_detail;
        m_state = newState;
        m_detail = detail;
    }
    for (const auto& id : removed) {
        emit keyRemoved(id);
    }
    for (const auto& k : added) {
        emit keyAdded(k);
    }
    for (const auto& k : changed) {
        emit keyChanged(k);
    }
    if (stateDiffers) {
        emit stateChanged(newState, detail);
    }
}

core::Result<std::unique_ptr<HidApduChannel>> DeviceManager::openChannel(const QString& id, HidChannelOptions options)
{
    KeyEntry entry;
    {
        std::lock_guard lock(m_mutex);
        auto it = std::find_if(m_keys.cbegin(), m_keys.cend(), [&](const KeyEntry& k) { return k.id == id; });
        if (it == m_keys.cend()) {
            return makeError(ErrorCode::NoDevice, QStringLiteral("no key '%1' is connected").arg(id));
        }
        entry = *it;
    }
    if (entry.state == DeviceState::NoPermission) {
        return makeError(ErrorCode::PermissionDenied, entry.problem);
    }
    std::unique_ptr<Transport> transport;
    if (entry.simulated()) {
        transport = std::make_unique<UdpTransport>(entry.udpPort);
    } else {
        transport = std::make_unique<HidapiTransport>(entry.path);
    }
    auto channel = std::make_unique<HidApduChannel>(std::move(transport), options);
    auto c = channel->connect();
    if (!c) {
        return c.error();
    }
    return channel;
}

} // namespace wallet::device
