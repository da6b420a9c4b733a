// SPDX-License-Identifier: Apache-2.0
// Which keys are there: USB keys (hidapi) and simulators (loopback UDP), watched on one worker thread.
#pragma once

#include "core/Result.h"
#include "device/HidApduChannel.h"

#include <QList>
#include <QMetaType>
#include <QObject>
#include <QString>

#include <memory>
#include <mutex>

class QThread;

namespace wallet::device {

class DeviceScanner;

/// Overall state, most useful first: a Connected USB key wins over a Simulated one, which wins over Busy, etc.
enum class DeviceState : std::uint8_t {
    NoKey, ///< nothing plugged in (and no simulator answering)
    NoPermission, ///< a key is present but this user may not open it: stateDetail() holds the udev fix
    Busy, ///< a key is present but another program holds it
    Connected, ///< a USB key answered INIT
    Simulated, ///< a simulator answered INIT (show the INSECURE banner)
};

struct KeyEntry
{
    QString id; ///< stable: "usb:<serial>" (or "usb:<path>" without serial), "sim:<port>"
    QString description; ///< for the UI and logs
    DeviceState state = DeviceState::NoKey;
    QString problem; ///< for NoPermission / Busy: what to do
    QString path; ///< hidraw path (USB)
    quint16 udpPort = 0; ///< simulator HID port
    QString firmwareVersion; ///< "0.1.0" from INIT, when it answered
    [[nodiscard]] bool simulated() const { return udpPort != 0; }
};

/**
 * @brief Watches for keys and hands out channels. All enumeration and probing runs on one worker thread; the
 * signals are emitted from that thread (connect with Qt::QueuedConnection or AutoConnection from the GUI thread).
 * Hot-plug: a libudev monitor on Linux when available (hidraw add/remove), plus polling every pollInterval as the
 * safety net (keys present at start-up, resume from sleep, simulators).
 *
 * Several host programs can use one key at once: each channel allocates its own CID.
 */
class DeviceManager : public QObject
{
    Q_OBJECT
public:
    explicit DeviceManager(QObject* parent = nullptr);
    ~DeviceManager() override;

    /// Default 1000 ms. Set before start().
    void setPollInterval(int ms);
    /// Look for USB keys through hidapi (default on). Tests turn it off.
    void setUsbEnabled(bool enabled);
    /// Watches a simulator HID port (loopback UDP). Thread-safe; takes effect at the next scan.
    void addSimulator(quint16 hidPort);
    void removeSimulator(quint16 hidPort);

    void start();
    void stop();
    /// Asks for an immediate scan (e.g. after the user installed the udev rule).
    void rescan();

    [[nodiscard]] QList<KeyEntry> keys() const;
    [[nodiscard]] DeviceState state() const;
    [[nodiscard]] QString stateDetail() const;
    [[nodiscard]] bool usesNativeHotplug() const;

    /// A new channel (own transport, own CID) to the key `id`, connected (INIT done). Thread-safe.
    [[nodiscard]] core::Result<std::unique_ptr<HidApduChannel>> openChannel(
        const QString& id, HidChannelOptions options = {});

signals:
    void keyAdded(const wallet::device::KeyEntry& key);
    void keyRemoved(const QString& id);
    void keyChanged(const wallet::device::KeyEntry& key);
    void stateChanged(wallet::device::DeviceState state, const QString& detail);

private:
    friend class DeviceScanner;
    void applyScan(const QList<KeyEntry>& found);

    mutable std::mutex m_mutex;
    QList<KeyEntry> m_keys;
    QList<quint16> m_simulatorPorts;
    DeviceState m_state = DeviceState::NoKey;
    QString m_detail;
    int m_pollIntervalMs = 1000;
    bool m_usbEnabled = true;
    QThread* m_thread = nullptr;
    DeviceScanner* m_scanner = nullptr;
};

} // namespace wallet::device

Q_DECLARE_METATYPE(wallet::device::KeyEntry)
Q_DECLARE_METATYPE(wallet::device::DeviceState)
