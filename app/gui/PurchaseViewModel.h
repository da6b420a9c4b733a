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
 * @brief Pay a merchant from the purse: merchant, order and amount, a confirmation of all three, the PIN when the
 * key's policy asks for it, and the result with its TAC. The embedded PSAM plays the merchant's terminal.
 */
class PurchaseViewModel : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("Created by the wallet")

    Q_PROPERTY(QString merchant READ merchant WRITE setMerchant NOTIFY changed)
    Q_PROPERTY(QString order READ order WRITE setOrder NOTIFY changed)
    Q_PROPERTY(QString amountText READ amountText WRITE setAmountText NOTIFY changed)
    Q_PROPERTY(QString amountProblem READ amountProblem NOTIFY changed)
    Q_PROPERTY(QString formProblem READ formProblem NOTIFY changed)
    Q_PROPERTY(bool canConfirm READ canConfirm NOTIFY changed)
    /// "¥12.50" of the amount being confirmed or paid.
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

    static constexpr int kMaxMerchantLength = 40;
    static constexpr int kMaxOrderLength = 32;

    explicit PurchaseViewModel(WalletSession& session, QObject* parent = nullptr);

    [[nodiscard]] QString merchant() const { return m_merchant; }
    void setMerchant(const QString& merchant);
    [[nodiscard]] QString order() const { return m_order; }
    void setOrder(const QString& order);
    [[nodiscard]] QString amountText() const { return m_amountText; }
    void setAmountText(const QString& text);
    [[nodiscard]] QString amountProblem() const;
    [[nodiscard]] QString formProblem() const;
    [[nodiscard]] bool canConfirm() const;
    [[nodiscard]] QString amountDisplay() const;
    [[nodiscard]] Step step() const { return m_step; }
    [[nodiscard]] QString progressText() const;
    [[nodiscard]] QString resultTitle() const { return m_resultTitle; }
    [[nodiscard]] QString resultText() const { return m_resultText; }
    [[nodiscard]] QString tac() const { return m_tac; }
    [[nodiscard]] QString newBalanceText() const { return m_newBalance; }
    [[nodiscard]] bool cancellable() const { return m_step == Step::Confirm || m_step == Step::NeedPin; }
    [[nodiscard]] PinViewModel* pin() { return &m_pin; }
    [[nodiscard]] QString balanceText() const;
    [[nodiscard]] qint64 balanceFen() const { return m_balanceFen; }
    /// The balance the overview last read from the key; -1 when unknown (locked, key removed).
    void setBalanceFen(qint64 fen);
    /// After a language switch: a result on screen is said again in the new language (issue 17 item 11).
    void retranslate();

    /// Checks the form and shows the confirmation.
    Q_INVOKABLE void review();
    /// Pays (from the confirmation).
    Q_INVOKABLE void pay();
    /// Back to the form, nothing paid.
    Q_INVOKABLE void cancel();
    Q_INVOKABLE void reset();

signals:
    void changed();
    void completed(qint64 balanceAfterFen);

private:
    void start(std::optional<Botan::secure_vector<char>> pinDigits);
    void checkInterrupted();
    void setStep(Step step);

    WalletSession& m_session;
    PinViewModel m_pin;
    QString m_merchant;
    QString m_order;
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
    // A payment of unknown outcome: which key. Settled by the key at its next open() (MoneyOperation::pendingOfKey).
    QString m_pendingSerial;
};

} // namespace wallet::app
