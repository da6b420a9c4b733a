// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "app/gui/KeyWorker.h"
#include "app/kiosk/KioskConfig.h"
#include "app/kiosk/KioskController.h"
#include "core/purse/Clock.h"

#include <QObject>
#include <QPointer>
#include <QQmlApplicationEngine>
#include <QQuickWindow>
#include <QTimer>
#include <QTranslator>

#include <memory>

namespace wallet::device {
class DeviceManager;
class EmbeddedSimulator;
} // namespace wallet::device

namespace wallet::kiosk {

/**
 * @brief Refuses the keyboard escapes an application itself can refuse (Alt+F4, Alt+Tab, Ctrl+Alt+F1…F12): they
 * never reach the window. Only the OS session (cage, docs/kiosk.md) can block every escape.
 */
class EscapeFilter final : public QObject
{
    Q_OBJECT
public:
    explicit EscapeFilter(KioskController& vm, QObject* parent = nullptr)
        : QObject(parent)
        , m_vm(vm)
    { }
    [[nodiscard]] static bool isEscape(int key, Qt::KeyboardModifiers modifiers);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    KioskController& m_vm;
};

/**
 * @brief The kiosk's composition: the key-I/O worker, the device manager (USB keys, and a simulated key when the
 * configuration names one), the view model, the translator, the escape filter and the QML window. The program and
 * the GUI tests build it the same way; tests pass their own clock.
 */
class KioskRoot : public QObject
{
    Q_OBJECT
public:
    /// `clock` null: the system clock and a 1 s tick timer; else the tests call vm()->tick() after moving it.
    KioskRoot(KioskConfig config, const core::Clock* clock = nullptr, QObject* parent = nullptr);
    ~KioskRoot() override;

    /// Opens the store and the PSAM, starts the simulated key if configured, watches for keys and shows the window.
    /// Empty on success, else why.
    [[nodiscard]] QString start();

    [[nodiscard]] KioskController* vm() const { return m_vm.get(); }
    [[nodiscard]] QQuickWindow* window() const { return m_window; }
    [[nodiscard]] device::DeviceManager& devices() { return *m_devices; }
    [[nodiscard]] device::EmbeddedSimulator* simulator() const { return m_simulator.get(); }

    /// The whole program: command line, window, event loop. Returns the exit code.
    static int run(int argc, char** argv);
    /// `smartkey-kiosk --provision-sam [--config file]`: the bank personalises the blank SAM in the configured PC/SC
    /// reader through core::provisionPsam (docs/psam.md "Provisioning by the bank"). Returns the exit code.
    static int provisionSam(const QString& configPath);

private:
    void applyLanguage(const QString& language);

    KioskConfig m_config;
    core::SystemClock m_systemClock;
    const core::Clock* m_clock;
    std::unique_ptr<app::KeyWorker> m_worker;
    std::unique_ptr<KioskController> m_vm;
    std::unique_ptr<device::DeviceManager> m_devices;
    std::unique_ptr<device::EmbeddedSimulator> m_simulator;
    std::unique_ptr<QQmlApplicationEngine> m_engine;
    std::unique_ptr<EscapeFilter> m_filter;
    QTranslator m_translator;
    QTimer m_tick;
    QPointer<QQuickWindow> m_window;
};

} // namespace wallet::kiosk
