// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "app/branch/IssueViewModel.h"
#include "app/branch/ServiceViewModel.h"
#include "app/branch/StaffViewModel.h"
#include "app/branch/StationContext.h"
#include "core/purse/Clock.h"

#include <QObject>
#include <QPointer>
#include <QQmlApplicationEngine>
#include <QQuickWindow>
#include <QTranslator>

#include <memory>

namespace wallet::branch {

/**
 * @brief Builds the branch station (docs/branch.md): the station context (worker thread, bank client, the key on
 * the desk), the view models and the QML engine. The executable and the GUI tests use it the same way.
 */
class BranchRoot : public QObject
{
    Q_OBJECT

public:
    struct Options
    {
        QString dataDir; ///< receipts, simulated keys' state
        QString bankConfig; ///< bank-client.json of this station (a `branch` certificate)
        QString language; ///< "zh_CN" / "en"
        QString simulatedSerial; ///< plug in a simulated key with this serial at start (empty: a USB key)
        QString usbKey; ///< the USB key's serial or path when several are plugged in (without simulatedSerial)
        int idleSeconds = 300;
        const core::Clock* clock = nullptr; ///< injected (tests); null = the system clock
    };

    explicit BranchRoot(Options options, QObject* parent = nullptr);
    ~BranchRoot() override;

    [[nodiscard]] bool createWindow();
    [[nodiscard]] QQuickWindow* window() const { return m_window; }
    [[nodiscard]] StationContext& context() { return *m_context; }
    [[nodiscard]] StaffViewModel* staff() const { return m_staff; }
    [[nodiscard]] IssueViewModel* issue() const { return m_issue; }
    [[nodiscard]] ServiceViewModel* service() const { return m_service; }

    static int run(int argc, char** argv);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    Options m_options;
    core::SystemClock m_systemClock;
    std::unique_ptr<StationContext> m_context;
    QTranslator m_translator;
    std::unique_ptr<QQmlApplicationEngine> m_engine;
    StaffViewModel* m_staff = nullptr;
    IssueViewModel* m_issue = nullptr;
    ServiceViewModel* m_service = nullptr;
    QPointer<QQuickWindow> m_window;
};

} // namespace wallet::branch
