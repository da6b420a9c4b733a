// SPDX-License-Identifier: Apache-2.0
// DeviceManager's worker: lives on the manager's thread, enumerates USB keys, probes simulators, watches udev.
#pragma once

#include "device/DeviceManager.h"

#include <QMap>
#include <QObject>

#include <map>
#include <memory>

class QSocketNotifier;
class QTimer;
struct udev;
struct udev_monitor;

namespace wallet::device {

class DeviceScanner : public QObject
{
    Q_OBJECT
public:
    explicit DeviceScanner(DeviceManager& manager);
    ~DeviceScanner() override;
    [[nodiscard]] bool nativeHotplug() const { return m_monitor != nullptr; }

public slots:
    void begin();
    void scan();
    void finish();

private:
    void setupUdev();
    void onUdevEvent();
    KeyEntry probeUsb(const struct HidKeyInfo& info, const QString& id);

    DeviceManager& m_manager;
    QTimer* m_timer = nullptr;
    QTimer* m_debounce = nullptr;
    udev* m_udev = nullptr;
    udev_monitor* m_monitor = nullptr;
    QSocketNotifier* m_notifier = nullptr;
    std::map<quint16, std::unique_ptr<HidApduChannel>> m_simProbes;
    std::map<quint16, int> m_simMisses; ///< consecutive silent probes per simulator port
};

} // namespace wallet::device
