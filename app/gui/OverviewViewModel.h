// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "app/gui/TransactionListModel.h"
#include "core/purse/PurseTypes.h"

#include <QObject>
#include <QString>
#include <QtQml/qqmlregistration.h>

namespace wallet::app {

class WalletSession;

/// @brief The overview: balance, holder, masked card number, validity and the latest transactions.
class OverviewViewModel : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("Created by the wallet")

    Q_PROPERTY(QString balanceText READ balanceText NOTIFY changed)
    Q_PROPERTY(qint64 balanceFen READ balanceFen NOTIFY changed)
    Q_PROPERTY(bool hasBalance READ hasBalance NOTIFY changed)
    Q_PROPERTY(QString holderName READ holderName NOTIFY changed)
    /// The application serial with all but the last four digits hidden: "•••• •••• •••• 0001".
    Q_PROPERTY(QString maskedSerial READ maskedSerial NOTIFY changed)
    Q_PROPERTY(QString validityText READ validityText NOTIFY changed)
    /// Non-empty when the purse cannot be used (expired, blocked…): what to do.
    Q_PROPERTY(QString problemText READ problemText NOTIFY changed)
    Q_PROPERTY(QString label READ label NOTIFY changed)
    Q_PROPERTY(bool busy READ busy NOTIFY changed)
    Q_PROPERTY(QString errorText READ errorText NOTIFY changed)
    Q_PROPERTY(wallet::app::TransactionListModel* recent READ recent CONSTANT)

public:
    static constexpr int kRecentCount = 5;

    explicit OverviewViewModel(WalletSession& session, QObject* parent = nullptr);

    [[nodiscard]] QString balanceText() const;
    [[nodiscard]] qint64 balanceFen() const { return m_balanceFen; }
    [[nodiscard]] bool hasBalance() const { return m_balanceFen >= 0; }
    [[nodiscard]] QString holderName() const;
    [[nodiscard]] QString maskedSerial() const;
    [[nodiscard]] QString validityText() const;
    [[nodiscard]] QString problemText() const;
    [[nodiscard]] QString label() const { return m_card.label; }
    [[nodiscard]] bool busy() const { return m_busy; }
    [[nodiscard]] QString errorText() const { return m_error; }
    [[nodiscard]] TransactionListModel* recent() { return &m_recent; }
    [[nodiscard]] core::ValidityProblem validityProblem() const { return m_validity.problem; }
    [[nodiscard]] const core::CardInfo& card() const { return m_card; }

    /// Reads card, validity, balance and the latest transactions from the key (and syncs the mirror).
    Q_INVOKABLE void refresh();
    /// Forget what was shown (key removed).
    void clear();
    /// A load or purchase just finished: show the new balance at once, then refresh.
    void setBalance(std::int64_t fen);

    [[nodiscard]] static QString mask(const QString& digits);

signals:
    void changed();
    /// The purse cannot be used: the key page shows why.
    void validityProblemFound(core::ValidityProblem problem);
    /// A refresh finished successfully.
    void refreshed();

private:
    WalletSession& m_session;
    TransactionListModel m_recent;
    core::CardInfo m_card;
    core::Validity m_validity;
    std::int64_t m_balanceFen = -1;
    bool m_busy = false;
    QString m_error;
};

} // namespace wallet::app
