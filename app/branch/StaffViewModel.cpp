// SPDX-License-Identifier: Apache-2.0
#include "app/branch/StaffViewModel.h"

#include "app/branch/StationContext.h"

#include <QJsonObject>

namespace wallet::branch {

StaffViewModel::StaffViewModel(StationContext& context, const core::Clock& clock, QObject* parent)
    : QObject(parent)
    , m_context(context)
    , m_clock(clock)
{
    m_tick.setInterval(1000);
    connect(&m_tick, &QTimer::timeout, this, &StaffViewModel::checkIdle);
    m_tick.start();
}

void StaffViewModel::signIn(const QString& username, const QString& password)
{
    if (m_busy) {
        return;
    }
    if (username.trimmed().isEmpty() || password.isEmpty()) {
        m_message = tr("Enter your user name and password.");
        emit changed();
        return;
    }
    m_busy = true;
    m_message.clear();
    emit changed();
    const QString user = username.trimmed();
    QString pw = password; // a copy for the worker; the request body is the only other place it goes
    m_context.run<QJsonObject>(
        this,
        [user, pw](core::BranchStation& s) {
            return s.call("POST",
                QStringLiteral("/v1/staff/sessions"),
                QJsonObject{{QStringLiteral("username"), user}, {QStringLiteral("password"), pw}});
        },
        [this](core::Result<QJsonObject> r) {
            m_busy = false;
            if (!r) {
                const QString code = problemCodeOf(r.error());
                m_message = code == QLatin1String("credentials-invalid") ? tr("Wrong user name or password.")
                    : code == QLatin1String("rate-limited")
                    ? tr("Too many wrong passwords: this account is locked for a while.")
                    : tr("Sign-in failed: %1").arg(r.error().detail);
                emit changed();
                return;
            }
            m_context.setToken(r->value(QStringLiteral("token")).toString().toLatin1());
            m_username = r->value(QStringLiteral("username")).toString();
            m_role = r->value(QStringLiteral("role")).toString();
            m_signedIn = true;
            m_timedOut = false;
            m_lastInput = m_clock.now();
            m_message.clear();
            emit changed();
        });
}

void StaffViewModel::signOut()
{
    end(false, tr("Signed out."));
}

void StaffViewModel::touch()
{
    if (m_signedIn) {
        m_lastInput = m_clock.now();
    }
}

void StaffViewModel::checkIdle()
{
    if (m_signedIn && m_lastInput.secsTo(m_clock.now()) >= m_idleSeconds) {
        end(true,
            tr("Your session timed out after %n minute(s) without use. Sign in again.", nullptr, m_idleSeconds / 60));
    }
}

void StaffViewModel::expired()
{
    if (m_signedIn) {
        end(true, tr("The bank ended your session. Sign in again."));
    }
}

void StaffViewModel::end(bool timedOut, const QString& message)
{
    m_context.setToken({});
    m_signedIn = false;
    m_timedOut = timedOut;
    m_username.clear();
    m_role.clear();
    m_message = message;
    emit changed();
}

} // namespace wallet::branch
