// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "app/gui/KeyWorker.h"
#include "core/Result.h"
#include "core/issuance/BranchStation.h"

#include <QString>

#include <functional>
#include <memory>

namespace wallet::core {
class HttpsBankClient;
} // namespace wallet::core
namespace wallet::device {
class EmbeddedSimulator;
class HidApduChannel;
} // namespace wallet::device

namespace wallet::branch {

/**
 * @brief What the station's view models share: the one worker thread on which the bank client, the key's channel
 * and the BranchStation live (the GUI thread never waits for the bank or the key), the staff session token, and
 * the key on the desk (a simulated key: skey-sim started blank with its serial; its NVM in the station's data
 * folder, so walletctl can open the same key afterwards; or the USB key hidapi finds, docs/branch.md "USB keys at
 * the desk").
 */
class StationContext
{
public:
    /// `simulatedKeys`: the desk takes simulated keys only (plugSimulatedKey); else the USB key hidapi finds
    /// (`usbKey`: its serial or path when several are plugged in).
    StationContext(QString bankConfigPath, QString dataDir, bool simulatedKeys = true, QString usbKey = {});
    ~StationContext();

    [[nodiscard]] app::KeyWorker& worker() { return m_worker; }
    [[nodiscard]] QString dataDir() const { return m_dataDir; }

    /// Runs `job` with the station on the worker thread, then `done` with its result on `receiver`'s thread.
    template <typename T>
    void run(QObject* receiver,
        std::function<core::Result<T>(core::BranchStation&)> job,
        std::function<void(core::Result<T>)> done)
    {
        const QByteArray token = m_token;
        m_worker.post([this, receiver, token, job = std::move(job), done = std::move(done)] {
            auto station = stationOnWorker();
            if (!station) {
                core::Result<T> r(station.error());
                app::KeyWorker::deliver(receiver, [done, r] { done(r); });
                return;
            }
            (*station)->setSessionToken(token);
            core::Result<T> r = job(**station);
            app::KeyWorker::deliver(receiver, [done, r] { done(r); });
        });
    }

    void setToken(QByteArray token) { m_token = std::move(token); }
    [[nodiscard]] bool hasToken() const { return !m_token.isEmpty(); }

    /**
     * "Plugs in" a simulated key (worker thread): skey-sim with this serial, its NVM in <data>/keys/<serial>, and
     * the KT skey-sim derives from the development manufacturer key, or `ktHex` (a key of another manufacturer).
     */
    void plugSimulatedKey(const QString& serialHex, const QString& ktHex = {});
    /// Where a simulated key's state lives (for walletctl --data-dir <dir>/.. and tests).
    [[nodiscard]] QString keyDir(const QString& serialHex) const;

    /// Called on the GUI thread when a bank answer says the staff session is over.
    std::function<void()> onSessionExpired;

private:
    [[nodiscard]] core::Result<core::BranchStation*> stationOnWorker();

    QString m_bankConfigPath;
    QString m_dataDir;
    bool m_simulatedKeys = true;
    QString m_usbKey;
    QByteArray m_token;
    app::KeyWorker m_worker;
    // Worker thread only:
    std::unique_ptr<core::HttpsBankClient> m_bank;
    std::unique_ptr<device::EmbeddedSimulator> m_sim;
    std::unique_ptr<device::HidApduChannel> m_channel;
    std::unique_ptr<core::ApduChannel> m_desk; ///< forwards to m_channel, or "no key on the desk"
    std::unique_ptr<core::BranchStation> m_station;
    QString m_plugError;
};

/// The bank's problem code in an Error's text ("(bank: <code>, HTTP n)"), empty when none.
[[nodiscard]] QString problemCodeOf(const core::Error& e);

} // namespace wallet::branch
