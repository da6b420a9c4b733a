// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "app/branch/PinEntry.h"
#include "core/crypto/Bytes.h"
#include "core/issuance/BranchStation.h"
#include "core/purse/Clock.h"

#include <QObject>
#include <QString>

namespace wallet::branch {

class StationContext;

/**
 * @brief "Issue a key" (issue 13): detect the blank key on the desk, the customer form (each field checked: name,
 * ID type and number with the resident ID check character, phone), the profile, the bank's job (it allocates the
 * ASN and the account), the customer's PIN twice on the pad, the 19 steps under the key's own KT, the receipt.
 *
 * States: idle → blank (a blank key is on the desk) → [approval: a replacement waits for the supervisor] → pin (job
 * created, the customer types) → running → done; failed with a message at any point (nothing issued unless the
 * bank completed the job).
 */
class IssueViewModel : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QString state READ state NOTIFY changed)
    Q_PROPERTY(QString serial READ serial NOTIFY changed)
    Q_PROPERTY(QString asn READ asn NOTIFY changed)
    Q_PROPERTY(int progress READ progress NOTIFY changed)
    Q_PROPERTY(QString message READ message NOTIFY changed)
    Q_PROPERTY(QString nameError READ nameError NOTIFY changed)
    Q_PROPERTY(QString idError READ idError NOTIFY changed)
    Q_PROPERTY(QString phoneError READ phoneError NOTIFY changed)
    Q_PROPERTY(QString profileError READ profileError NOTIFY changed)
    Q_PROPERTY(QString receiptPath READ receiptPath NOTIFY changed)
    Q_PROPERTY(QString replacesError READ replacesError NOTIFY changed)
    Q_PROPERTY(QString approvalFor READ approvalFor NOTIFY changed)
    Q_PROPERTY(bool busy READ busy NOTIFY changed)
    Q_PROPERTY(wallet::branch::PinEntry* pin READ pin CONSTANT)

public:
    IssueViewModel(StationContext& context, const core::Clock& clock, QObject* parent = nullptr);

    [[nodiscard]] QString state() const { return m_state; }
    [[nodiscard]] QString serial() const { return m_serial; }
    [[nodiscard]] QString asn() const { return m_asn; }
    [[nodiscard]] int progress() const { return m_progress; }
    [[nodiscard]] QString message() const { return m_message; }
    [[nodiscard]] QString nameError() const { return m_nameError; }
    [[nodiscard]] QString idError() const { return m_idError; }
    [[nodiscard]] QString phoneError() const { return m_phoneError; }
    [[nodiscard]] QString profileError() const { return m_profileError; }
    [[nodiscard]] QString receiptPath() const { return m_receiptPath; }
    [[nodiscard]] QString replacesError() const { return m_replacesError; }
    [[nodiscard]] QString approvalFor() const { return m_approvalFor; }
    [[nodiscard]] bool busy() const { return m_approvalBusy; }
    [[nodiscard]] PinEntry* pin() { return &m_pin; }

    Q_INVOKABLE void detectKey();
    /// The form: `idType` 0 resident ID, 1 passport, 2 other; amounts in yuan as typed; `algorithm` 3des | sm4.
    /// `replacesAsn`: a lost key's ASN when this key replaces it (a supervisor approves first; the bank hot-lists
    /// the lost key and moves its balance to the customer's account at completion); empty for a new customer.
    Q_INVOKABLE void submit(const QString& name,
        int idType,
        const QString& idNumber,
        const QString& phone,
        const QString& algorithm,
        const QString& maxBalance,
        const QString& noPinLimit,
        bool touch,
        const QString& replacesAsn = {});
    /// The supervisor's decision on a replacement, typed on this screen (the same panel as the services').
    Q_INVOKABLE void decide(const QString& supervisor, const QString& password, bool approve);
    Q_INVOKABLE void cancel();
    Q_INVOKABLE void reset();

    void setTeller(const QString& username) { m_teller = username; }
    std::function<void()> onSessionExpired;

signals:
    void changed();

private:
    void personalise(const core::SecureBytes& pin);
    void createJob(const QString& approvalId);
    void fail(const core::Error& e);

    StationContext& m_context;
    const core::Clock& m_clock;
    PinEntry m_pin;
    QString m_state = QStringLiteral("idle");
    QString m_serial;
    QString m_asn;
    QString m_jobId;
    int m_progress = 0;
    QString m_message;
    QString m_nameError, m_idError, m_phoneError, m_profileError;
    QString m_receiptPath;
    QString m_replacesError;
    QString m_replacesAsn;
    QString m_approvalFor;
    bool m_approvalBusy = false;
    QString m_teller;
    core::StationCustomer m_customer;
    core::StationProfile m_profile;
};

} // namespace wallet::branch
