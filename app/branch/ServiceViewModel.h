// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "app/branch/PinEntry.h"
#include "core/issuance/BranchStation.h"

#include <QObject>
#include <QString>

namespace wallet::branch {

class StationContext;

/**
 * @brief The services for an issued key (issue 13): PIN unblock and PIN reload after an ID check the bank records,
 * temporary and permanent application block and unblock, report lost (hot-list), close the account (refund, CARD
 * BLOCK). Each shows the key's state before and after (read from the key itself). PIN reload, the permanent block
 * and the closure need a supervisor's approval typed on the same screen (dual control); a refused approval does
 * nothing.
 */
class ServiceViewModel : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QString asn READ asn NOTIFY changed)
    Q_PROPERTY(QString stateBefore READ stateBefore NOTIFY changed)
    Q_PROPERTY(QString stateAfter READ stateAfter NOTIFY changed)
    Q_PROPERTY(QString message READ message NOTIFY changed)
    Q_PROPERTY(bool busy READ busy NOTIFY changed)
    Q_PROPERTY(QString approvalFor READ approvalFor NOTIFY changed)
    Q_PROPERTY(bool pinWanted READ pinWanted NOTIFY changed)
    Q_PROPERTY(wallet::branch::PinEntry* pin READ pin CONSTANT)

public:
    explicit ServiceViewModel(StationContext& context, QObject* parent = nullptr);

    [[nodiscard]] QString asn() const { return m_asn; }
    [[nodiscard]] QString stateBefore() const { return m_before; }
    [[nodiscard]] QString stateAfter() const { return m_after; }
    [[nodiscard]] QString message() const { return m_message; }
    [[nodiscard]] bool busy() const { return m_busy; }
    [[nodiscard]] QString approvalFor() const { return m_approvalFor; }
    [[nodiscard]] bool pinWanted() const { return m_pinWanted; }
    [[nodiscard]] PinEntry* pin() { return &m_pin; }

    Q_INVOKABLE void readKey();
    /// `idChecked`: the teller compared the customer's ID document with the account; `document` says which kind
    /// (resident-id, passport, other). The bank records it with the command (who, what, when; never the number).
    Q_INVOKABLE void pinUnblock(bool idChecked, const QString& document);
    /// PIN reload: the same ID check, then a supervisor's approval, then the customer's new PIN twice.
    Q_INVOKABLE void pinReload(bool idChecked, const QString& document);
    /// Close the account: a supervisor's approval (`account-closure`), GET BALANCE, CARD BLOCK; the bank pays back
    /// the balance it vouches for and the funding account (the message says how much to hand over).
    Q_INVOKABLE void closeAccount();
    Q_INVOKABLE void block(bool permanent);
    Q_INVOKABLE void unblock();
    Q_INVOKABLE void reportLost(const QString& asn);
    /// The supervisor's credential, typed on this screen; `approve` false = the supervisor refuses.
    Q_INVOKABLE void decide(const QString& supervisor, const QString& password, bool approve);
    Q_INVOKABLE void cancel();

    std::function<void()> onSessionExpired;

signals:
    void changed();

private:
    void start(const QString& operation);
    void run(const QString& operation, QJsonObject body, const core::SecureBytes& pin);
    void run(std::function<core::Result<QJsonObject>(core::BranchStation&)> job);
    void finish(const core::Error* e, const QString& done);
    void readAfter(const QString& done);
    [[nodiscard]] bool idCheckMissing(bool idChecked, const QString& document);
    [[nodiscard]] QString describe(const core::StationKeyState& s) const;

    StationContext& m_context;
    PinEntry m_pin;
    QString m_asn;
    QString m_serial;
    QString m_before;
    QString m_after;
    QString m_message;
    bool m_busy = false;
    QString m_approvalFor; ///< the approval operation awaiting the supervisor, empty when none
    QString m_pending; ///< the maintenance operation in progress
    QString m_approvalId;
    QString m_idDocument; ///< the ID check of the PIN service in progress
    bool m_pinWanted = false;
    int m_lifeCycle = -1; ///< the key's life cycle when last read (GET DATA C3)
};

} // namespace wallet::branch
