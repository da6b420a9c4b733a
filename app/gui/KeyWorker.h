// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QObject>
#include <QPointer>
#include <QThread>

#include <atomic>
#include <functional>
#include <memory>

namespace wallet::app {

/**
 * @brief The one thread on which the wallet talks to the key: a serial job queue (Keysmith's Dispatcher).
 * Jobs run one at a time in the order posted. A job's result goes back to a receiver on the GUI thread with
 * deliver(); if the receiver is gone by then, the result is dropped. The GUI thread never waits for a job.
 */
class KeyWorker final : public QObject
{
    Q_OBJECT

public:
    explicit KeyWorker(QObject* parent = nullptr);
    ~KeyWorker() override;

    /// Queues `job` to run on the worker thread.
    void post(std::function<void()> job);
    /// Runs `fn` on `receiver`'s thread (the GUI thread) unless `receiver` was destroyed meanwhile.
    static void deliver(QObject* receiver, std::function<void()> fn);
    /// Blocks until every job posted so far has finished (for shutdown and tests; never from the GUI in normal use).
    void drain();
    /// The thread jobs run on (tests check that I/O never happens on the GUI thread).
    [[nodiscard]] QThread* thread() const { return m_thread.get(); }
    /// Number of jobs queued or running.
    [[nodiscard]] int pending() const { return m_pending.load(); }

private:
    std::unique_ptr<QThread> m_thread;
    QObject* m_context = nullptr; ///< lives on m_thread; jobs are queued to it
    std::atomic<int> m_pending{0};
};

} // namespace wallet::app
