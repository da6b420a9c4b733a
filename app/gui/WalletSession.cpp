// SPDX-License-Identifier: Apache-2.0
#include "app/gui/WalletSession.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcSession, "wallet.app.session")

namespace wallet::app {

WalletSession::WalletSession(KeyWorker& worker, const QString& dataDir, QObject* parent)
    : QObject(parent)
    , m_worker(worker)
    , m_context(new PurseContext(dataDir))
{ }

WalletSession::~WalletSession()
{
    PurseContext* context = m_context;
    m_worker.post([context] { delete context; });
    m_worker.drain();
}

void WalletSession::attach(std::shared_ptr<core::ApduChannel> channel,
    bool simulated,
    const QString& description,
    std::function<void()> cancel)
{
    {
        std::lock_guard lock(m_cancelMutex);
        m_cancel = std::move(cancel);
    }
    m_channel = std::move(channel);
    m_simulated = simulated;
    m_description = description;
    m_detail.clear();
    m_presence = Presence::Present;
    ++m_generation;
    PurseContext* context = m_context;
    m_worker.post([context] { context->forgetKey(); });
    qCInfo(lcSession) << "key attached:" << description << (simulated ? "(simulated)" : "");
    emit presenceChanged();
    emit attached();
}

void WalletSession::detach(Presence presence, const QString& detail)
{
    {
        std::lock_guard lock(m_cancelMutex);
        m_cancel = {};
    }
    // The worker may still hold a copy for a job in flight; that job fails with Disconnected and its result is
    // dropped because the generation moves on.
    m_channel.reset();
    setTouchPending(false);
    m_presence = presence;
    m_detail = detail;
    m_simulated = false;
    m_description.clear();
    ++m_generation;
    PurseContext* context = m_context;
    m_worker.post([context] { context->forgetKey(); });
    qCInfo(lcSession) << "key detached:" << presence;
    emit presenceChanged();
}

void WalletSession::setTouchPending(bool pending)
{
    if (pending != m_touchPending) {
        m_touchPending = pending;
        emit touchPendingChanged();
    }
}

void WalletSession::keyWaitsForTouch(const core::ApduChannel* channel)
{
    if (channel != nullptr && channel == m_channel.get()) {
        setTouchPending(true);
    }
}

void WalletSession::cancelPending()
{
    std::lock_guard lock(m_cancelMutex);
    if (m_cancel) {
        m_cancel();
    }
}

} // namespace wallet::app
