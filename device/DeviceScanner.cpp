// SPDX-License-Identifier: Apache-2.0
#include "device/DeviceScanner.h"

#include "device/HidapiTransport.h"
#include "device/UdpTransport.h"

#include <QLoggingCategory>
#include <QSocketNotifier>
#include <QTimer>

#ifdef WALLET_HAVE_LIBUDEV
#include <libudev.h>
#endif

Q_LOGGING_CATEGORY(lcScan, "wallet.device.scan")

namespace wallet::device {

namespace {

QString versionText(const KeyHello& h)
{
    return QStringLiteral("%1.%2.%3").arg(h.firmwareMajor).arg(h.firmwareMinor).arg(h.firmwareBuild);
}

HidChannelOptions probeOptions()
{
    HidChannelOptions o;
    o.replyTimeoutMs = 250; // loopback or a local USB key answers INIT/PING in well under a millisecond
    o.busyRetryMs = 0; // a busy key is a present key
    return o;
}

} // namespace

DeviceScanner::DeviceScanner(DeviceManager& manager)
    : m_manager(manager)
{ }

DeviceScanner::~DeviceScanner()
{
    finish();
}

void DeviceScanner::begin()
{
    m_timer = new QTimer(this);
    connect(m_timer, &QTimer::timeout, this, &DeviceScanner::scan);
    int interval = 1000;
    {
        std::lock_guard lock(m_manager.m_mutex);
        interval = m_manager.m_pollIntervalMs;
    }
    m_timer->start(interval);
    m_debounce = new QTimer(this);
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(50); // udev sends add for usb, hidraw and the interface in a burst
    connect(m_debounce, &QTimer::timeout, this, &DeviceScanner::scan);
    setupUdev();
    scan();
}

void DeviceScanner::finish()
{
    if (m_timer) {
        m_timer->stop();
    }
    m_simProbes.clear();
#ifdef WALLET_HAVE_LIBUDEV
    delete m_notifier;
    m_notifier = nullptr;
    if (m_monitor) {
        udev_monitor_unref(m_monitor);
        m_monitor = nullptr;
    }
    if (m_udev) {
        udev_unref(m_udev);
        m_udev = nullptr;
    }
#endif
}

void DeviceScanner::setupUdev()
{
#ifdef WALLET_HAVE_LIBUDEV
    bool usb = true;
    {
        std::lock_guard lock(m_manager.m_mutex);
        usb = m_manager.m_usbEnabled;
    }
    if (!usb) {
        return;
    }
    m_udev = udev_new();
    if (!m_udev) {
        return;
    }
    m_monitor = udev_monitor_new_from_netlink(m_udev, "udev");
    if (!m_monitor || udev_monitor_filter_add_match_subsystem_devtype(m_monitor, "hidraw", nullptr) < 0
        || udev_monitor_enable_receiving(m_monitor) < 0) {
        // No udev daemon (containers): polling alone.
        if (m_monitor) {
            udev_monitor_unref(m_monitor);
            m_monitor = nullptr;
        }
        return;
    }
    m_notifier = new QSocketNotifier(udev_monitor_get_fd(m_monitor), QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, [this] { onUdevEvent(); });
    qCDebug(lcScan) << "udev hot-plug monitor active";
#endif
}

void DeviceScanner::onUdevEvent()
{
#ifdef WALLET_HAVE_LIBUDEV
    while (udev_device* dev = udev_monitor_receive_device(m_monitor)) {
        udev_device_unref(dev);
    }
    m_debounce->start();
#endif
}

KeyEntry DeviceScanner::probeUsb(const HidKeyInfo& info, const QString& id)
{
    KeyEntry e;
    e.id = id;
    e.path = info.path;
    e.description
        = QStringLiteral("%1 (%2)").arg(info.product.isEmpty() ? QStringLiteral("SmartKey") : info.product, info.path);
    if (!info.accessible) {
        e.state = DeviceState::NoPermission;
        e.problem = HidapiTransport::udevFixText();
        return e;
    }
    HidApduChannel probe(std::make_unique<HidapiTransport>(info.path), probeOptions());
    auto r = probe.connect();
    if (r) {
        e.state = DeviceState::Connected;
        e.firmwareVersion = versionText(r.value());
    } else if (r.error().code == core::ErrorCode::PermissionDenied) {
        e.state = DeviceState::NoPermission;
        e.problem = r.error().detail;
    } else {
        e.state = DeviceState::Busy;
        e.problem = r.error().detail;
    }
    return e;
}

void DeviceScanner::scan()
{
    QList<quint16> ports;
    bool usb = true;
    QList<KeyEntry> known;
    {
        std::lock_guard lock(m_manager.m_mutex);
        ports = m_manager.m_simulatorPorts;
        usb = m_manager.m_usbEnabled;
        known = m_manager.m_keys;
    }
    auto knownEntry = [&known](const QString& id) -> const KeyEntry* {
        for (const auto& k : known) {
            if (k.id == id) {
                return &k;
            }
        }
        return nullptr;
    };
    QList<KeyEntry> found;
    if (usb) {
        auto list = HidapiTransport::enumerate();
        if (list) {
            for (const auto& info : list.value()) {
                const QString id
                    = QStringLiteral("usb:") + (info.serialNumber.isEmpty() ? info.path : info.serialNumber);
                const KeyEntry* k = knownEntry(id);
                // Probe only on arrival (or while it was not usable): INIT on every poll would be noise.
                if (k && k->state == DeviceState::Connected && info.accessible) {
                    found.append(*k);
                } else {
                    found.append(probeUsb(info, id));
                }
            }
        } else {
            qCWarning(lcScan) << "hid enumerate failed:" << list.error().detail;
        }
    }
    for (auto it = m_simProbes.begin(); it != m_simProbes.end();) {
        it = ports.contains(it->first) ? std::next(it) : m_simProbes.erase(it);
    }
    for (auto it = m_simMisses.begin(); it != m_simMisses.end();) {
        it = ports.contains(it->first) ? std::next(it) : m_simMisses.erase(it);
    }
    for (quint16 port : ports) {
        auto& probe = m_simProbes[port];
        if (!probe) {
            probe = std::make_unique<HidApduChannel>(std::make_unique<UdpTransport>(port), probeOptions());
        }
        auto r = probe->ping(QByteArrayLiteral("skey"));
        const bool answered = r || r.error().code == core::ErrorCode::DeviceBusy;
        int& misses = m_simMisses[port];
        misses = answered ? 0 : misses + 1;
        // A key that was there is declared gone after two silent probes in a row (one slow answer on a loaded
        // machine must not make it flicker); a refused port (no simulator process) counts at once.
        const bool wasThere
            = std::any_of(known.cbegin(), known.cend(), [port](const KeyEntry& k) { return k.udpPort == port; });
        const bool gone = !answered && (!wasThere || misses >= 2 || r.error().code == core::ErrorCode::NoDevice);
        if (!gone) {
            KeyEntry e;
            e.id = QStringLiteral("sim:%1").arg(port);
            e.udpPort = port;
            e.state = DeviceState::Simulated;
            e.description = QStringLiteral("Simulated key 127.0.0.1:%1 (INSECURE, for development only)").arg(port);
            e.firmwareVersion = versionText(probe->hello());
            found.append(e);
        }
        if (!answered) {
            probe->disconnect(); // next time: a fresh INIT
        }
    }
    m_manager.applyScan(found);
}

} // namespace wallet::device
