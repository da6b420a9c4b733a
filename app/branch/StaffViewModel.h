// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/purse/Clock.h"

#include <QDateTime>
#include <QObject>
#include <QString>
#include <QTimer>

namespace wallet::branch {

class StationContext;

/**
 * @brief Staff sign-in at the station (docs/branch.md): username and password against the bank host, the role it
 * answers (teller or supervisor), and the station's own idle timeout, read from an injectable clock so tests move
 * time instead of waiting. The bank ends an idle session after 10 minutes on its side as well; the station's
 * timeout (default 5 minutes) is shorter, so the desk never shows a session the bank has ended.
 */
class StaffViewModel : public QObject
{
    Q_OBJECT
    Q_PROPERTY(bool signedIn READ signedIn NOTIFY changed)
    Q_PROPERTY(bool busy READ busy NOTIFY changed)
    Q_PROPERTY(QString username READ username NOTIFY changed)
    Q_PROPERTY(QString role READ role NOTIFY changed)
    Q_PROPERTY(QString message READ message NOTIFY changed)
    Q_PROPERTY(bool timedOut READ timedOut NOTIFY changed)

public:
    StaffViewModel(StationContext& context, const core::Clock& clock, QObject* parent = nullptr);

    [[nodiscard]] bool signedIn() const { return m_signedIn; }
    [[nodiscard]] bool busy() const { return m_busy; }
    [[nodiscard]] QString username() const { return m_username; }
    [[nodiscard]] QString role() const { return m_role; }
    [[nodiscard]] QString message() const { return m_message; }
    [[nodiscard]] bool timedOut() const { return m_timedOut; }

    /// The password is taken from the field and not kept.
    Q_INVOKABLE void signIn(const QString& username, const QString& password);
    Q_INVOKABLE void signOut();
    /// Any input at the desk: the idle timer starts again.
    Q_INVOKABLE void touch();
    /// Ends the session when idle too long (called every second, and by tests after moving the clock).
    Q_INVOKABLE void checkIdle();
    /// A bank answer said the session is over (401 session-expired).
    void expired();

    void setIdleTimeoutSeconds(int s) { m_idleSeconds = s; }

signals:
    void changed();

private:
    void end(bool timedOut, const QString& message);

    StationContext& m_context;
    const core::Clock& m_clock;
    QTimer m_tick;
    int m_idleSeconds = 300;
    QDateTime m_lastInput;
    bool m_signedIn = false;
    bool m_busy = false;
    bool m_timedOut = false;
    QString m_username;
    QString m_role;
    QString m_message;
};

} // namespace wallet::branch
