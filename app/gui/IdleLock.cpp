// SPDX-License-Identifier: Apache-2.0
#include "app/gui/IdleLock.h"

#include <QCoreApplication>
#include <QEvent>

namespace wallet::app {

IdleLock::IdleLock(std::chrono::milliseconds timeout, QObject* parent)
    : QObject(parent)
    , m_timeout(timeout)
{
    m_timer.setSingleShot(true);
    m_timer.setInterval(m_timeout);
    connect(&m_timer, &QTimer::timeout, this, [this] {
        if (m_armed) {
            m_armed = false;
            emit expired();
        }
    });
    // Input anywhere in the application counts as activity: one filter on the application object sees it before
    // any window or item does.
    if (QCoreApplication* app = QCoreApplication::instance()) {
        app->installEventFilter(this);
    }
}

IdleLock::~IdleLock()
{
    if (QCoreApplication* app = QCoreApplication::instance()) {
        app->removeEventFilter(this);
    }
}

void IdleLock::setArmed(bool armed)
{
    m_armed = armed;
    if (armed) {
        m_timer.start();
    } else {
        m_timer.stop();
    }
}

void IdleLock::activity()
{
    if (m_armed) {
        m_timer.start();
    }
}

bool IdleLock::eventFilter(QObject* watched, QEvent* event)
{
    switch (event->type()) {
    case QEvent::KeyPress:
    case QEvent::MouseButtonPress:
    case QEvent::Wheel:
    case QEvent::TouchBegin:
        activity();
        break;
    default:
        break;
    }
    return QObject::eventFilter(watched, event);
}

} // namespace wallet::app
