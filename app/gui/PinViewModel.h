// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QObject>
#include <QString>
#include <QtQml/qqmlregistration.h>

#include <botan/secmem.h>

#include <functional>

namespace wallet::app {

/**
 * @brief The state of one PIN entry: digits typed so far (in a wiped buffer, never in QML), tries left, blocked,
 * busy and the last error. The keypad reports single digits; submit() hands the digits to the owner's handler
 * (the session, which verifies on the key-I/O thread) and wipes them here.
 */
class PinViewModel : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("Created by the wallet")

    /// Number of digits entered (the pad shows that many dots).
    Q_PROPERTY(int length READ length NOTIFY lengthChanged)
    Q_PROPERTY(int minLength READ minLength CONSTANT)
    Q_PROPERTY(int maxLength READ maxLength CONSTANT)
    /// True when the digits entered can be submitted (4–12 digits and not busy).
    Q_PROPERTY(bool canSubmit READ canSubmit NOTIFY stateChanged)
    /// Tries left before the PIN blocks; -1 while unknown.
    Q_PROPERTY(int triesLeft READ triesLeft NOTIFY stateChanged)
    Q_PROPERTY(QString triesLeftText READ triesLeftText NOTIFY stateChanged)
    /// Blocked by the key, or no try left: no keypad, the way to a branch instead (issue 17 item 2).
    Q_PROPERTY(bool blocked READ blocked NOTIFY stateChanged)
    /// Exactly one try left: the next wrong PIN locks the key (the pages warn in red).
    Q_PROPERTY(bool lastTry READ lastTry NOTIFY stateChanged)
    Q_PROPERTY(bool busy READ busy NOTIFY stateChanged)
    /// The last error in words ("Wrong PIN. 2 tries left."), empty when none.
    Q_PROPERTY(QString errorText READ errorText NOTIFY stateChanged)

public:
    static constexpr int kMinDigits = 4;
    static constexpr int kMaxDigits = 12;
    using SubmitHandler = std::function<void(Botan::secure_vector<char> digits)>;

    explicit PinViewModel(QObject* parent = nullptr);

    void setSubmitHandler(SubmitHandler handler) { m_submit = std::move(handler); }

    [[nodiscard]] int length() const { return static_cast<int>(m_digits.size()); }
    [[nodiscard]] int minLength() const { return kMinDigits; }
    [[nodiscard]] int maxLength() const { return kMaxDigits; }
    [[nodiscard]] bool canSubmit() const;
    [[nodiscard]] int triesLeft() const { return m_triesLeft; }
    [[nodiscard]] QString triesLeftText() const;
    [[nodiscard]] bool blocked() const { return m_blocked || m_triesLeft == 0; }
    [[nodiscard]] bool lastTry() const { return !blocked() && m_triesLeft == 1; }
    [[nodiscard]] bool busy() const { return m_busy; }
    [[nodiscard]] QString errorText() const { return m_errorText; }

    Q_INVOKABLE void appendDigit(int digit);
    Q_INVOKABLE void backspace();
    Q_INVOKABLE void clear();
    /// Hands the digits to the submit handler and wipes them; does nothing unless canSubmit.
    Q_INVOKABLE void submit();

    // Called by the owner with the outcome.
    void setBusy(bool busy);
    void setTriesLeft(int tries);
    void setBlocked(bool blocked);
    void setErrorText(const QString& text);
    void reset();

signals:
    void lengthChanged();
    void stateChanged();
    void accepted(); ///< the key accepted the PIN

private:
    Botan::secure_vector<char> m_digits;
    SubmitHandler m_submit;
    int m_triesLeft = -1;
    bool m_blocked = false;
    bool m_busy = false;
    QString m_errorText;
};

} // namespace wallet::app
