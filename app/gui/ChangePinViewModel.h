// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "app/gui/PinViewModel.h"

#include <QObject>
#include <QString>
#include <QtQml/qqmlregistration.h>

#include <botan/secmem.h>

namespace wallet::app {

class WalletSession;

/**
 * @brief Change PIN from the app (issue 17 item 3): the current PIN, the new PIN, the new PIN again, then CHANGE PIN
 * on the key. One keypad (`pin`) serves the three steps; each step's digits move into a wiped buffer here and never
 * reach QML. The key's rules are the keypad's: 4 to 12 digits. The tries left are read (without spending one) when
 * the change starts and shown on the first step; a wrong current PIN comes back to that step with the key's count.
 */
class ChangePinViewModel : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("Created by the wallet")

    Q_PROPERTY(Step step READ step NOTIFY changed)
    /// What the keypad is for now ("Enter your current PIN.").
    Q_PROPERTY(QString prompt READ prompt NOTIFY changed)
    /// The key's rules for a new PIN, in words.
    Q_PROPERTY(QString rulesText READ rulesText NOTIFY changed)
    Q_PROPERTY(QString resultText READ resultText NOTIFY changed)
    Q_PROPERTY(wallet::app::PinViewModel* pin READ pin CONSTANT)

public:
    enum class Step : std::uint8_t { Idle, Current, New, Repeat, Working, Done, Failed };
    Q_ENUM(Step)

    explicit ChangePinViewModel(WalletSession& session, QObject* parent = nullptr);
    ~ChangePinViewModel() override;

    [[nodiscard]] Step step() const { return m_step; }
    [[nodiscard]] QString prompt() const;
    [[nodiscard]] QString rulesText() const;
    [[nodiscard]] QString resultText() const { return m_result; }
    [[nodiscard]] PinViewModel* pin() { return &m_pin; }

    /// Starts with the current PIN (reads the tries left first).
    Q_INVOKABLE void start();
    /// Leaves the change at any step before it is sent; nothing is changed.
    Q_INVOKABLE void cancel();

signals:
    void changed();

private:
    void submitted(Botan::secure_vector<char> digits);
    void send();
    void wipe();
    void setStep(Step step);

    WalletSession& m_session;
    PinViewModel m_pin;
    Step m_step = Step::Idle;
    Botan::secure_vector<char> m_current;
    Botan::secure_vector<char> m_new;
    QString m_result;
};

} // namespace wallet::app
