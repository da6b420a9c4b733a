// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "app/gui/AppViewModel.h"
#include "app/gui/IdleLock.h"
#include "app/gui/KeyWorker.h"
#include "app/gui/LogCollector.h"
#include "app/gui/WalletSession.h"

#include <QObject>
#include <QPointer>
#include <QQmlApplicationEngine>
#include <QQuickWindow>
#include <QSettings>
#include <QString>

#include <memory>

class QLocalServer;

namespace wallet::device {
class DeviceManager;
class EmbeddedSimulator;
} // namespace wallet::device

namespace wallet::app {

/**
 * @brief Builds the wallet: the key-I/O worker, the session, the device manager (real keys plus the embedded
 * simulated key), the core services, the view models and the QML engine. The GUI executable and the GUI tests use it
 * the same way, so the tests drive exactly what the cardholder sees.
 */
class CompositionRoot : public QObject
{
    Q_OBJECT

public:
    struct Options
    {
        QString dataDir; ///< settings, the SQLite mirror, the simulator's NVM; empty = the user's app data
        QString language; ///< "zh_CN" / "en"; empty = the saved choice or the system's
        bool embeddedSimulator = true; ///< start the simulated key when no real key is present
        bool darkTheme = false;
        bool darkThemeSet = false;
        QString simulatorProfile; ///< personalisation profile for the simulated key (empty: it starts blank)
        QString simulatorTouchMode = QStringLiteral("accept"); ///< how its button answers: accept | refuse | manual
        /// How long its button waits in manual mode before the key gives up (skey-sim --touch-timeout); 0: the
        /// simulator's default (30 s). Tests shorten it rather than wait.
        int simulatorTouchTimeoutMs = 0;
        bool usb = true; ///< look for USB keys
        /// Lock (ask the PIN again) after this long without input while unlocked (issue 9 item 14).
        std::chrono::milliseconds idleLock = IdleLock::kDefaultTimeout;
    };

    explicit CompositionRoot(Options options, QObject* parent = nullptr);
    ~CompositionRoot() override;

    /// Creates the window (Main.qml with `app` as its required property). False when QML failed to load.
    [[nodiscard]] bool createWindow();

    [[nodiscard]] AppViewModel* app() const { return m_app; }
    [[nodiscard]] WalletSession& session() { return *m_session; }
    [[nodiscard]] KeyWorker& worker() { return *m_worker; }
    [[nodiscard]] QQuickWindow* window() const { return m_window; }
    [[nodiscard]] QQmlApplicationEngine& engine() { return *m_engine; }
    [[nodiscard]] LogCollector& log() { return m_log; }
    [[nodiscard]] const Options& options() const { return m_options; }
    [[nodiscard]] device::DeviceManager& devices() { return *m_devices; }
    [[nodiscard]] IdleLock& idleLock() { return *m_idle; }
    /// The embedded simulated key (null until it started, or when disabled). Lives on the worker thread.
    [[nodiscard]] device::EmbeddedSimulator* simulator() const { return m_simulator; }

    /// The whole GUI program: command line, display check, window, event loop. Returns the exit code.
    static int run(int argc, char** argv);

    /**
     * A merchant's payment link (`smartkey://pay/<id>`) or code from outside (the command line, the desktop's URL
     * handler, a second start): the window comes to the front and the Pay page opens the order — at once when the
     * wallet is unlocked, else right after the PIN.
     */
    void openPaymentLink(const QString& link);
    /// The local socket a running wallet listens on for links (in the user's runtime folder, one per data folder).
    [[nodiscard]] static QString instanceSocketPath(const QString& dataDir);
    /**
     * Single instance: hands `link` to a wallet already running on `dataDir` over its local socket. True when one
     * took it (then this start exits).
     */
    [[nodiscard]] static bool forwardToRunningWallet(const QString& dataDir, const QString& link);
    /// Listens on instanceSocketPath(): each connection sends one link line, opened with openPaymentLink(). False when
    /// another wallet already listens there.
    bool listenForLinks();

signals:
    /// The embedded simulator could not start: `message` says why (shown on the key page).
    void simulatorFailed(const QString& message);

private:
    void startDevices();
    void wire();
    void unlock(Botan::secure_vector<char> digits);
    void issueDemo();
    void lock();
    void lockWhenIdle();
    void onKeysChanged();
    void openKey(const QString& id);

    Options m_options;
    LogCollector m_log;
    std::unique_ptr<QSettings> m_settings;
    std::unique_ptr<KeyWorker> m_worker;
    std::unique_ptr<WalletSession> m_session;
    std::unique_ptr<QQmlApplicationEngine> m_engine;
    AppViewModel* m_app = nullptr;
    KeyViewModel* m_key = nullptr;
    PinViewModel* m_pin = nullptr;
    SettingsViewModel* m_settingsVm = nullptr;
    DiagnosticsViewModel* m_diagnostics = nullptr;
    OverviewViewModel* m_overview = nullptr;
    LoadViewModel* m_load = nullptr;
    PurchaseViewModel* m_purchase = nullptr;
    HistoryViewModel* m_history = nullptr;
    ChangePinViewModel* m_changePin = nullptr;
    IdleLock* m_idle = nullptr;
    QPointer<QQuickWindow> m_window;
    std::unique_ptr<device::DeviceManager> m_devices;
    /// The simulated key once the GUI thread has heard it started (it lives on the worker thread).
    device::EmbeddedSimulator* m_simulator = nullptr;
    /// Owner of the simulated key: set and deleted by worker jobs only, so a wallet that quits while the key is still
    /// starting (its delivery to the GUI thread never runs) still stops it.
    std::unique_ptr<device::EmbeddedSimulator> m_simulatorOwned;
    QString m_attachedId; ///< the key the session talks to
    QString m_chosenId; ///< the key the user picked (wins over the automatic choice)
    QString m_openingId; ///< a channel to this key is being opened
    QString m_returnId; ///< the key in use when it went away: taken back when it returns (unless the user chose)
    QString m_pendingLink; ///< a payment link that waits for the unlock
    QLocalServer* m_linkServer = nullptr;
};

} // namespace wallet::app
