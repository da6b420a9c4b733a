// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "app/gui/KeyWorker.h"
#include "app/gui/PurseContext.h"
#include "core/Result.h"
#include "core/channel/ApduChannel.h"

#include <QObject>
#include <QString>

#include <functional>
#include <memory>
#include <mutex>

namespace wallet::app {

/**
 * @brief The wallet's connection to the current key, as the GUI thread sees it.
 * The composition root attaches a channel when the device manager reports a key and detaches it when the key goes.
 * View models run core calls against the channel with run(): the call executes on the KeyWorker thread, and the
 * result comes back on the GUI thread. The channel itself is only ever used on the worker thread.
 */
class WalletSession : public QObject
{
    Q_OBJECT

public:
    /// What the device layer reports about the key (before any APDU).
    enum class Presence : std::uint8_t { Searching, NoKey, NoPermission, Busy, Present };
    Q_ENUM(Presence)

    /// `dataDir` holds the demo issuer's files and the transaction mirror.
    WalletSession(KeyWorker& worker, const QString& dataDir, QObject* parent = nullptr);
    ~WalletSession() override;

    /// A key is ready for APDUs. `cancel` (may be empty) asks the key to abandon a pending APDU; thread-safe.
    void attach(std::shared_ptr<core::ApduChannel> channel,
        bool simulated,
        const QString& description,
        std::function<void()> cancel = {});
    /// The key is gone, or never came: `presence` says why, `detail` is shown to the user (e.g. the udev fix).
    void detach(Presence presence, const QString& detail = {});

    [[nodiscard]] Presence presence() const { return m_presence; }
    [[nodiscard]] bool simulated() const { return m_simulated; }
    [[nodiscard]] QString description() const { return m_description; }
    [[nodiscard]] QString presenceDetail() const { return m_detail; }
    /// Increments every time a key is attached: results computed for an older key are ignored.
    [[nodiscard]] quint64 generation() const { return m_generation; }
    [[nodiscard]] KeyWorker& worker() { return m_worker; }

    /**
     * Runs `job` with the channel on the worker thread, then `done` with its result on the GUI thread (`receiver`'s
     * thread) unless `receiver` is gone. With no key, `done` gets NoDevice. A job that ran against a key that has
     * since been detached still reports (usually Disconnected): compare generation() to ignore stale values.
     */
    template <typename T>
    void run(QObject* receiver,
        std::function<core::Result<T>(core::ApduChannel&, PurseContext&)> job,
        std::function<void(core::Result<T>)> done)
    {
        std::shared_ptr<core::ApduChannel> channel = m_channel;
        const quint64 generation = m_generation;
        PurseContext* context = m_context;
        m_worker.post(
            [this, receiver, channel, context, generation, job = std::move(job), done = std::move(done)]() mutable {
                auto result = channel
                    ? job(*channel, *context)
                    : core::Result<T>(core::makeError(core::ErrorCode::NoDevice, QStringLiteral("no key")));
                KeyWorker::deliver(
                    receiver, [this, generation, done = std::move(done), result = std::move(result)]() mutable {
                        // The operation is over: whatever it waited for, the key no longer waits for its button.
                        setTouchPending(false);
                        if (!result.ok() && result.error().code == core::ErrorCode::Disconnected
                            && generation == m_generation) {
                            emit keyLost();
                        }
                        done(std::move(result));
                    });
            });
    }

    /// Runs `job` on the worker thread without a key (the mirror, exports), `done` on the GUI thread.
    template <typename T>
    void runLocal(
        QObject* receiver, std::function<core::Result<T>(PurseContext&)> job, std::function<void(core::Result<T>)> done)
    {
        PurseContext* context = m_context;
        m_worker.post([receiver, context, job = std::move(job), done = std::move(done)]() mutable {
            auto result = job(*context);
            KeyWorker::deliver(
                receiver, [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
        });
    }

    /// Asks the key to abandon the APDU in progress (e.g. a purchase waiting for the touch). Any thread.
    void cancelPending();

    /// True while the key waits for its button (KEEPALIVE with status UP_NEEDED, spec/token-hid.md) during an
    /// operation; false again when that operation's result is back. GUI thread.
    [[nodiscard]] bool touchPending() const { return m_touchPending; }
    /// Called (through KeyWorker::deliver) when a KEEPALIVE UP_NEEDED arrived on `channel`; ignored unless that is
    /// the attached one.
    void keyWaitsForTouch(const core::ApduChannel* channel);

signals:
    void presenceChanged();
    /// A key was attached (a fresh generation): view models re-read what they show.
    void attached();
    /// An operation failed because the key went away mid-way.
    void keyLost();
    void touchPendingChanged();

private:
    KeyWorker& m_worker;
    PurseContext* m_context; ///< owned; used and deleted on the worker thread only
    std::shared_ptr<core::ApduChannel> m_channel;
    std::function<void()> m_cancel;
    std::mutex m_cancelMutex;
    Presence m_presence = Presence::Searching;
    bool m_simulated = false;
    QString m_description;
    QString m_detail;
    quint64 m_generation = 0;
    bool m_touchPending = false;
    void setTouchPending(bool pending);
};

} // namespace wallet::app
