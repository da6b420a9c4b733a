// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/crypto/Bytes.h"

#include <QObject>
#include <QString>

namespace wallet::branch {

/**
 * @brief The customer's PIN pad (docs/branch.md): digits arrive one key press at a time into a wiped buffer; the
 * screen shows only how many were typed, never which. Entered twice; the two entries must match. The teller's
 * screen and the logs never see a digit.
 */
class PinEntry : public QObject
{
    Q_OBJECT
    Q_PROPERTY(int length READ length NOTIFY changed)
    Q_PROPERTY(bool confirming READ confirming NOTIFY changed)
    Q_PROPERTY(bool twice READ twice NOTIFY changed)
    Q_PROPERTY(QString message READ message NOTIFY changed)

public:
    explicit PinEntry(QObject* parent = nullptr)
        : QObject(parent)
    { }

    [[nodiscard]] int length() const { return static_cast<int>(m_current.size()); }
    [[nodiscard]] bool confirming() const { return m_confirming; }
    [[nodiscard]] bool twice() const { return m_twice; }
    [[nodiscard]] QString message() const { return m_message; }

    /// Starts an entry: `twice` asks for a confirmation (a new PIN), else one entry (the current PIN).
    void start(bool twice)
    {
        reset();
        m_twice = twice;
        emit changed();
    }
    void reset()
    {
        m_current.clear();
        m_first.clear();
        m_confirming = false;
        m_message.clear();
        emit changed();
    }

    Q_INVOKABLE void digit(int d)
    {
        if (d < 0 || d > 9 || m_current.size() >= 6) {
            return;
        }
        m_current.push_back(static_cast<std::uint8_t>('0' + d));
        emit changed();
    }
    Q_INVOKABLE void backspace()
    {
        if (!m_current.empty()) {
            m_current.pop_back();
            emit changed();
        }
    }
    /// OK on the pad. Emits entered(pin) once the PIN is complete (and confirmed when asked twice).
    Q_INVOKABLE void enter()
    {
        if (m_current.size() != 6) {
            m_message = tr("The PIN has 6 digits.");
            emit changed();
            return;
        }
        if (m_twice && !m_confirming) {
            m_first = m_current;
            m_current.clear();
            m_confirming = true;
            m_message = tr("Enter the same PIN again.");
            emit changed();
            return;
        }
        if (m_twice && m_first != m_current) {
            m_first.clear();
            m_current.clear();
            m_confirming = false;
            m_message = tr("The two PINs differ. Enter the new PIN again.");
            emit changed();
            return;
        }
        core::SecureBytes pin = m_current;
        m_current.clear();
        m_first.clear();
        m_confirming = false;
        m_message.clear();
        emit changed();
        emit entered(pin);
    }

signals:
    void changed();
    void entered(const core::SecureBytes& pin);

private:
    core::SecureBytes m_current;
    core::SecureBytes m_first;
    bool m_confirming = false;
    bool m_twice = true;
    QString m_message;
};

} // namespace wallet::branch
