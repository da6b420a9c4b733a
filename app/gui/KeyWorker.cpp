// SPDX-License-Identifier: Apache-2.0
#include "app/gui/KeyWorker.h"

namespace wallet::app {

KeyWorker::KeyWorker(QObject* parent)
    : QObject(parent)
    , m_thread(std::make_unique<QThread>())
{
    m_thread->setObjectName(QStringLiteral("wallet-key-io"));
    m_context = new QObject;
    m_context->moveToThread(m_thread.get());
    m_thread->start();
}

KeyWorker::~KeyWorker()
{
    drain();
    m_thread->quit();
    m_thread->wait();
    delete m_context; // the thread has stopped: nothing else can touch it
}

void KeyWorker::post(std::function<void()> job)
{
    ++m_pending;
    QMetaObject::invokeMethod(
        m_context,
        [this, job = std::move(job)] {
            job();
            --m_pending;
        },
        Qt::QueuedConnection);
}

void KeyWorker::deliver(QObject* receiver, std::function<void()> fn)
{
    QPointer<QObject> guard(receiver);
    QMetaObject::invokeMethod(
        receiver,
        [guard, fn = std::move(fn)] {
            if (guard) {
                fn();
            }
        },
        Qt::QueuedConnection);
}

void KeyWorker::drain()
{
    if (QThread::currentThread() == m_thread.get()) {
        return;
    }
    // Runs after every job posted before it, each of which has already counted itself out of m_pending.
    QMetaObject::invokeMethod(
        m_context, [] {}, Qt::BlockingQueuedConnection);
}

} // namespace wallet::app
