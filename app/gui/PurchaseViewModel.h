// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "app/gui/MoneyOperation.h"
#include "app/gui/PinViewModel.h"
#include "core/bank/BankOrder.h"
#include "core/purse/PurseTypes.h"

#include <QJsonObject>
#include <QObject>
#include <QString>
#include <QtQml/qqmlregistration.h>

#include <functional>
#include <optional>

namespace wallet::app {

class WalletSession;

/**
 * @brief Pay a merchant's order from the purse (issue 12, "Online checkout"): the cardholder pastes the payment link
 * (`smartkey://pay/<id>`, also opened from the desktop's URL handler) or the short code; the wallet fetches the order
 * from the bank host, checks the bank's signature and refuses an expired, paid, cancelled, altered or other-merchant
 * order before any APDU; it shows the merchant, the amount, the reference and the expiry; Confirm → the PIN when the
 * key's policy asks → the touch when it asks → DEBIT with the bank acquirer's MAC1 → the receipt with the TAC. An
 * interruption after DEBIT was sent shows "checking" until the key's evidence settles it (never "pay again").
 * Nothing here lets the cardholder type a merchant or an amount: a purchase is started by the merchant's order. An
 * order above the balance last read from the key is refused with both amounts before the confirmation.
 */
class PurchaseViewModel : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("Created by the wallet")

    /// "¥12.50" of the order being confirmed or paid (the bank's signed amount; nothing is typed).
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
    /// Issue 14: the PIV PIN of the key's certificate (slot 9A), asked when the order must be signed and the slot's
    /// policy wants it. Its digits never reach QML.
    Q_PROPERTY(wallet::app::PinViewModel* pivPin READ pivPin CONSTANT)
    /// The merchant's policy asks for the cardholder's signature (slot 9A) of this order (docs/bank.md §15).
    Q_PROPERTY(bool signatureRequired READ signatureRequired NOTIFY changed)
    /// What the key signs, in words (merchant, amount, order number), for the confirmation.
    Q_PROPERTY(QString signatureText READ signatureText NOTIFY changed)
    /// The pasted payment link or short code.
    Q_PROPERTY(QString link READ link WRITE setLink NOTIFY changed)
    /// Why the pasted text is no link or code (empty: it is one, or nothing is typed).
    Q_PROPERTY(QString linkProblem READ linkProblem NOTIFY changed)
    Q_PROPERTY(bool canOpenOrder READ canOpenOrder NOTIFY changed)
    /// The order being confirmed or paid, from the bank's signed payload.
    Q_PROPERTY(bool hasOrder READ hasOrder NOTIFY changed)
    Q_PROPERTY(QString orderMerchant READ orderMerchant NOTIFY changed)
    Q_PROPERTY(QString orderReference READ orderReference NOTIFY changed)
    Q_PROPERTY(QString orderDescription READ orderDescription NOTIFY changed)
    Q_PROPERTY(QString orderExpiry READ orderExpiry NOTIFY changed)
    /// False when the wallet has no bank-client.json: bankHint says how to configure it.
    Q_PROPERTY(bool bankConfigured READ bankConfigured NOTIFY changed)
    Q_PROPERTY(QString bankHint READ bankHint NOTIFY changed)

public:
    enum class Step : std::uint8_t {
        Enter,
        Confirm,
        NeedPin,
        Working,
        Done,
        Failed,
        Interrupted,
        Fetching,
        NeedPivPin
    };
    Q_ENUM(Step)

    explicit PurchaseViewModel(WalletSession& session, QObject* parent = nullptr);

    [[nodiscard]] QString amountDisplay() const;
    [[nodiscard]] Step step() const { return m_step; }
    [[nodiscard]] QString progressText() const;
    [[nodiscard]] QString resultTitle() const { return m_resultTitle; }
    [[nodiscard]] QString resultText() const { return m_resultText; }
    [[nodiscard]] QString tac() const { return m_tac; }
    [[nodiscard]] QString newBalanceText() const { return m_newBalance; }
    [[nodiscard]] bool cancellable() const
    {
        return m_step == Step::Confirm || m_step == Step::NeedPin || m_step == Step::NeedPivPin;
    }
    [[nodiscard]] PinViewModel* pin() { return &m_pin; }
    [[nodiscard]] PinViewModel* pivPin() { return &m_pivPin; }
    [[nodiscard]] bool signatureRequired() const { return m_orderData && m_orderData->cardholderSignatureRequired; }
    [[nodiscard]] QString signatureText() const;
    [[nodiscard]] QString balanceText() const;
    [[nodiscard]] qint64 balanceFen() const { return m_balanceFen; }
    /// The balance the overview last read from the key; -1 when unknown (locked, key removed).
    void setBalanceFen(qint64 fen);
    /// After a language switch: a result on screen is said again in the new language (issue 17 item 11).
    void retranslate();

    [[nodiscard]] QString link() const { return m_link; }
    void setLink(const QString& link);
    [[nodiscard]] QString linkProblem() const;
    [[nodiscard]] bool canOpenOrder() const;
    [[nodiscard]] bool hasOrder() const { return m_orderData.has_value(); }
    [[nodiscard]] QString orderMerchant() const { return m_orderData ? m_orderData->merchantName : QString(); }
    [[nodiscard]] QString orderReference() const { return m_orderData ? m_orderData->reference : QString(); }
    [[nodiscard]] QString orderDescription() const { return m_orderData ? m_orderData->description : QString(); }
    [[nodiscard]] QString orderExpiry() const;
    [[nodiscard]] bool bankConfigured() const;
    [[nodiscard]] QString bankHint() const;
    /// The wallet's data folder, where bank-client.json is looked for (CompositionRoot).
    void setDataDir(const QString& dir);

    /// Fetches the order of the pasted link or code from the bank host and checks it; then the confirmation, or a
    /// refusal with the reason (nothing sent to the key).
    Q_INVOKABLE void openOrder();
    /// openOrder() for a link given from outside (the desktop's smartkey:// handler, a second start).
    Q_INVOKABLE void openLink(const QString& link);

    /// Pays the order shown in the confirmation.
    Q_INVOKABLE void pay();
    /// Back to the link field, nothing paid.
    Q_INVOKABLE void cancel();
    Q_INVOKABLE void reset();

signals:
    void changed();
    void completed(qint64 balanceAfterFen);

private:
    void startOrder(std::optional<Botan::secure_vector<char>> pinDigits,
        std::optional<Botan::secure_vector<char>> pivPinDigits = std::nullopt);
    /// The order may be paid (checked, under the balance): the confirmation, or first the check that the key holds
    /// a certificate to sign it with (issue 14).
    void offerOrder();
    /// The payment's outcome on the GUI thread (receipt, PIN, failure, checking).
    void payDone(const core::Result<MoneyOperation::Outcome<core::PurchaseResult>>& outcome);
    /// What the cardholder reads when the key cannot sign the order with its certificate (issue 14).
    [[nodiscard]] QString certificateProblem(const core::Error& e) const;
    void refuseOrder(const core::Error& e);
    void checkInterrupted();
    void setStep(Step step);

    WalletSession& m_session;
    PinViewModel m_pin;
    PinViewModel m_pivPin;
    /// The cardholder's signature of the order being paid (docs/bank-api.yaml `CardholderSignature`), made once
    /// and sent again with a retry after the purse PIN was asked; empty until the key signed.
    QJsonObject m_cardholderSignature;
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
    QString m_dataDir;
    QString m_link;
    std::optional<core::MerchantOrder> m_orderData;
};

} // namespace wallet::app
