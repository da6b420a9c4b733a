// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "app/gui/PinViewModel.h"
#include "core/purse/PurseTypes.h"

#include <QObject>
#include <QString>
#include <QtQml/qqmlregistration.h>

#include <functional>
#include <optional>

namespace wallet::app {

class WalletSession;

/**
 * @brief Load money onto the key: amount entry (validated in C++), the bank's authorisation with progress, the PIN
 * when the key's policy asks for it, and the result with its TAC. If the key is pulled out mid-way, the outcome is
 * checked as soon as the same key is back (balance compared with the one before).
 */
class LoadViewModel : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("Created by the wallet")

    Q_PROPERTY(QString amountText READ amountText WRITE setAmountText NOTIFY changed)
    /// Empty when the amount is acceptable (or nothing typed yet), else what is wrong.
    Q_PROPERTY(QString amountProblem READ amountProblem NOTIFY changed)
    /// For QML as a number (qmllint 6.4 has no type for qint64 properties); ¥10,000.00 is exact in a double.
    Q_PROPERTY(double maxFen READ maxFenForQml CONSTANT)
    Q_PROPERTY(QString maxText READ maxText CONSTANT)
    Q_PROPERTY(bool canSubmit READ canSubmit NOTIFY changed)
    /// The parsed amount as it will be loaded ("¥12.50"), shown in the confirmation before anything is sent.
    Q_PROPERTY(QString amountDisplay READ amountDisplay NOTIFY changed)
    Q_PROPERTY(Step step READ step NOTIFY changed)
    Q_PROPERTY(QString progressText READ progressText NOTIFY changed)
    Q_PROPERTY(QString resultTitle READ resultTitle NOTIFY changed)
    Q_PROPERTY(QString resultText READ resultText NOTIFY changed)
    Q_PROPERTY(QString tac READ tac NOTIFY changed)
    Q_PROPERTY(QString newBalanceText READ newBalanceText NOTIFY changed)
    Q_PROPERTY(bool cancellable READ cancellable NOTIFY changed)
    /// The purse's balance as last read from the key ("¥1,250.00"), empty while unknown (issue 17 item 4).
    Q_PROPERTY(QString balanceText READ balanceText NOTIFY changed)
    Q_PROPERTY(wallet::app::PinViewModel* pin READ pin CONSTANT)

public:
    enum class Step : std::uint8_t { Enter, Confirm, NeedPin, Working, Done, Failed, Interrupted };
    Q_ENUM(Step)

    /// The largest single load the wallet offers (the demo issuer's per-load limit).
    static constexpr std::int64_t kMaxLoadFen = 1000000;

    explicit LoadViewModel(WalletSession& session, QObject* parent = nullptr);

    [[nodiscard]] QString amountText() const { return m_amountText; }
    void setAmountText(const QString& text);
    [[nodiscard]] QString amountProblem() const;
    [[nodiscard]] qint64 maxFen() const { return kMaxLoadFen; }
    [[nodiscard]] double maxFenForQml() const { return static_cast<double>(kMaxLoadFen); }
    [[nodiscard]] QString maxText() const;
    [[nodiscard]] bool canSubmit() const;
    [[nodiscard]] QString amountDisplay() const;
    [[nodiscard]] Step step() const { return m_step; }
    [[nodiscard]] QString progressText() const;
    [[nodiscard]] QString resultTitle() const { return m_resultTitle; }
    [[nodiscard]] QString resultText() const { return m_resultText; }
    [[nodiscard]] QString tac() const { return m_tac; }
    [[nodiscard]] QString newBalanceText() const { return m_newBalance; }
    [[nodiscard]] bool cancellable() const
    {
        return m_step == Step::Enter || m_step == Step::Confirm || m_step == Step::NeedPin;
    }
    [[nodiscard]] PinViewModel* pin() { return &m_pin; }
    [[nodiscard]] QString balanceText() const;
    [[nodiscard]] qint64 balanceFen() const { return m_balanceFen; }
    /// The balance the overview last read from the key; -1 when unknown (locked, key removed).
    void setBalanceFen(qint64 fen);
    /// After a language switch: a result on screen is said again in the new language (issue 17 item 11).
    void retranslate();

    /// Parses the amount entered and asks for confirmation (Step::Confirm): nothing is sent to the key yet.
    Q_INVOKABLE void submit();
    /// The cardholder confirmed the parsed amount: the load starts.
    Q_INVOKABLE void confirm();
    /// Leaves the flow before anything was sent to the key (from Confirm: back to the amount, as typed).
    Q_INVOKABLE void cancel();
    /// Back to an empty form after a result.
    Q_INVOKABLE void reset();

signals:
    void changed();
    /// The key's balance after a successful load.
    void completed(qint64 balanceAfterFen);

private:
    void start(std::optional<Botan::secure_vector<char>> pinDigits);
    void checkInterrupted();
    void setStep(Step step);

    WalletSession& m_session;
    PinViewModel m_pin;
    QString m_amountText;
    std::int64_t m_amountFen = 0;
    qint64 m_balanceFen = -1;
    // Makes the shown result's texts again (set for a result made here; a language switch calls it).
    std::function<void()> m_retext;
    Step m_step = Step::Enter;
    QString m_resultTitle;
    QString m_resultText;
    QString m_tac;
    QString m_newBalance;
    // A load of unknown outcome: which key. Settled by the key at its next open() (MoneyOperation::pendingOfKey).
    QString m_pendingSerial;
};

} // namespace wallet::app
