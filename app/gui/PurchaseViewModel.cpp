// SPDX-License-Identifier: Apache-2.0
#include "app/gui/PurchaseViewModel.h"

#include "app/gui/AmountText.h"
#include "app/gui/ErrorText.h"
#include "app/gui/MoneyOperation.h"
#include "app/gui/WalletSession.h"
#include "core/bank/BankClient.h"
#include "core/piv/CertificateService.h"
#include "core/terminal/TerminalRoles.h"

#include <QDir>
#include <QFile>
#include <QJsonObject>
#include <QLocale>

namespace wallet::app {

namespace {
using PayOutcome = MoneyOperation::Outcome<core::PurchaseResult>;

/// A payment job's result when the order may need the cardholder's signature (issue 14): the payment's outcome, or
/// that the key wants its PIV PIN first, or why the key could not sign (nothing was sent for the purse then).
struct SignedPay
{
    PayOutcome pay;
    bool needPivPin = false;
    QJsonObject signature;
    std::optional<core::Error> signError;
};

/// An interrupted order payment once the key is back: the key's verdict, and the bank's TAC when it is paid.
struct OrderCheck
{
    core::PendingOperation op;
    QString tac;
};

/// Fetches the order of `text` (a link or a code) from the bank host and checks the bank's signature; the
/// unsigned copy beside the signature and the link's id must name the same order, merchant and amount.
core::Result<core::MerchantOrder> fetchOrder(PurseContext& ctx, const QString& text)
{
    QString linkId;
    auto path = core::orderPathOf(text, &linkId);
    if (!path) {
        return path.error();
    }
    if (auto ready = ctx.ensureServices(); !ready) {
        return ready.error();
    }
    core::BankIssuerHost* bank = ctx.bank();
    if (bank == nullptr) {
        return core::makeError(core::ErrorCode::InvalidState, QStringLiteral("no bank host is configured"));
    }
    auto fetched = bank->get(*path);
    if (!fetched) {
        return fetched.error();
    }
    if (!fetched->ok()) {
        return core::problemError(*fetched, QStringLiteral("the bank has no such order"));
    }
    auto order = core::verifySignedOrder(fetched->body, bank->client().pinnedCaDer(), QDateTime::currentDateTimeUtc());
    if (!order) {
        return order.error();
    }
    const QJsonObject copy = fetched->body.value(QStringLiteral("order")).toObject();
    if ((!linkId.isEmpty() && order->orderId != linkId)
        || copy.value(QStringLiteral("orderId")).toString() != order->orderId
        || copy.value(QStringLiteral("merchantId")).toString() != order->merchantId
        || copy.value(QStringLiteral("amount")).toInteger(-1) != static_cast<qint64>(order->amount.fen())) {
        return core::makeError(core::ErrorCode::VerificationFailed,
            QStringLiteral("the bank's answer names another order or merchant than the one asked for"));
    }
    return order;
}
} // namespace

PurchaseViewModel::PurchaseViewModel(WalletSession& session, QObject* parent)
    : QObject(parent)
    , m_session(session)
{
    m_pin.setSubmitHandler([this](Botan::secure_vector<char> digits) { startOrder(std::move(digits)); });
    m_pivPin.setSubmitHandler(
        [this](Botan::secure_vector<char> digits) { startOrder(std::nullopt, std::move(digits)); });
    connect(&m_session, &WalletSession::attached, this, &PurchaseViewModel::checkInterrupted);
}

QString PurchaseViewModel::amountDisplay() const
{
    return m_amountFen > 0 ? AmountText::format(m_amountFen) : QString();
}

QString PurchaseViewModel::progressText() const
{
    if (m_step == Step::Fetching) {
        return tr("Fetching the order from your bank…");
    }
    return m_step == Step::Working
        ? tr("Paying %1 to %2. Keep the key inserted…").arg(AmountText::format(m_amountFen), orderMerchant())
        : QString();
}

QString PurchaseViewModel::signatureText() const
{
    if (!signatureRequired()) {
        return {};
    }
    return tr("%1 asks your key to sign this payment with its certificate (slot 9A): %2 to %1 for order %3. Your "
              "bank keeps the signature as proof that you paid.")
        .arg(orderMerchant(), AmountText::format(m_orderData->amount.fen()), orderReference());
}

QString PurchaseViewModel::balanceText() const
{
    return m_balanceFen >= 0 ? AmountText::format(m_balanceFen) : QString();
}

void PurchaseViewModel::setBalanceFen(qint64 fen)
{
    if (fen != m_balanceFen) {
        m_balanceFen = fen;
        emit changed();
    }
}

void PurchaseViewModel::retranslate()
{
    if (m_retext && m_step == Step::Done) {
        m_retext();
    }
    emit changed();
}

void PurchaseViewModel::setStep(Step step)
{
    m_step = step;
    emit changed();
}

void PurchaseViewModel::pay()
{
    if (m_step != Step::Confirm) {
        return;
    }
    startOrder(std::nullopt);
}

void PurchaseViewModel::setDataDir(const QString& dir)
{
    m_dataDir = dir;
    emit changed();
}

bool PurchaseViewModel::bankConfigured() const
{
    return !m_dataDir.isEmpty()
        && QFile::exists(QDir(m_dataDir).filePath(QLatin1String(core::TerminalRoles::kBankConfigFile)));
}

QString PurchaseViewModel::bankHint() const
{
    if (bankConfigured()) {
        return {};
    }
    return tr("Paying a shop needs your bank's host. Put a bank-client.json file (the bank's URL, its CA "
              "certificate, and this terminal's certificate and key files, as your bank gives them) into %1, then "
              "open the Pay page again. See docs/core.md, \"The bank client\".")
        .arg(QDir::toNativeSeparators(m_dataDir));
}

void PurchaseViewModel::setLink(const QString& link)
{
    if (link != m_link && (m_step == Step::Enter || m_step == Step::Failed)) {
        m_link = link;
        emit changed();
    }
}

QString PurchaseViewModel::linkProblem() const
{
    if (m_link.trimmed().isEmpty() || core::orderPathOf(m_link.trimmed())) {
        return {};
    }
    return tr("This is neither a payment link (smartkey://pay/…) nor a payment code (like K7QM-4XPA).");
}

bool PurchaseViewModel::canOpenOrder() const
{
    return (m_step == Step::Enter || m_step == Step::Failed) && !m_link.trimmed().isEmpty() && linkProblem().isEmpty()
        && bankConfigured();
}

QString PurchaseViewModel::orderExpiry() const
{
    return m_orderData ? QLocale().toString(m_orderData->expiresAt.toLocalTime(), QStringLiteral("yyyy-MM-dd HH:mm"))
                       : QString();
}

void PurchaseViewModel::openLink(const QString& link)
{
    if (m_step == Step::Working || m_step == Step::Fetching || m_step == Step::Interrupted) {
        return; // a payment in progress or being checked is never replaced
    }
    m_pin.reset();
    m_pivPin.reset();
    m_cardholderSignature = {};
    m_orderData.reset();
    m_link = link.trimmed();
    setStep(Step::Enter);
    openOrder();
}

void PurchaseViewModel::refuseOrder(const core::Error& e)
{
    m_resultTitle = tr("This order cannot be paid");
    const QString state = m_orderData ? m_orderData->state : QString();
    if (e.code == core::ErrorCode::VerificationFailed) {
        m_resultText = tr("The order is not the one your bank signed: it was altered, or it is another merchant's. "
                          "Nothing was sent to the key.");
    } else if (state == QStringLiteral("paid")) {
        m_resultText = tr("This order is already paid. Nothing was sent to the key.");
    } else if (state == QStringLiteral("checking")) {
        m_resultText = tr("A payment of this order is being checked. Do not pay again: it is settled with the key "
                          "that paid it. Nothing was sent to the key.");
    } else if (state == QStringLiteral("cancelled")) {
        m_resultText = tr("The merchant cancelled this order. Nothing was sent to the key.");
    } else if (m_orderData) {
        m_resultText = tr("This order expired at %1. Ask the shop for a new one. Nothing was sent to the key.")
                           .arg(orderExpiry());
    } else if (e.code == core::ErrorCode::Declined || e.code == core::ErrorCode::NotFound) {
        m_resultText = tr("Your bank has no such order. Check the code. Nothing was sent to the key.");
    } else {
        m_resultText = ErrorText::describe(e);
    }
    m_orderData.reset();
    setStep(Step::Failed);
}

void PurchaseViewModel::openOrder()
{
    if (!canOpenOrder()) {
        if (!bankConfigured() && !m_link.trimmed().isEmpty()) {
            m_resultTitle = tr("This order cannot be paid");
            m_resultText = bankHint();
            setStep(Step::Failed);
        }
        return;
    }
    m_orderData.reset();
    m_cardholderSignature = {};
    m_pivPin.reset();
    m_tac.clear();
    m_newBalance.clear();
    m_retext = nullptr;
    setStep(Step::Fetching);
    const QString text = m_link.trimmed();
    m_session.runLocal<core::MerchantOrder>(
        this,
        [text](PurseContext& ctx) { return fetchOrder(ctx, text); },
        [this](core::Result<core::MerchantOrder> order) {
            if (!order) {
                refuseOrder(order.error());
                return;
            }
            m_orderData = *order;
            // Refused before any APDU: paid, checking, cancelled, expired (its state, or past its expiry here).
            if (auto payable = core::checkPayable(*order, QDateTime::currentDateTimeUtc()); !payable) {
                if (order->state == QStringLiteral("open")) {
                    m_orderData->state = QStringLiteral("expired");
                }
                refuseOrder(payable.error());
                return;
            }
            // Above the balance last read from the key: refused with both amounts before the confirmation (issue 17
            // item 4; the key would refuse it anyway, 9401).
            if (m_balanceFen >= 0 && static_cast<qint64>(order->amount.fen()) > m_balanceFen) {
                m_resultTitle = tr("This order cannot be paid");
                m_resultText = tr("%1 is more than the balance on the key (%2). Load money first, then open the "
                                  "order again. Nothing was sent to the key.")
                                   .arg(AmountText::format(order->amount.fen()), AmountText::format(m_balanceFen));
                m_orderData.reset();
                setStep(Step::Failed);
                return;
            }
            m_amountFen = order->amount.fen();
            offerOrder();
        });
}

void PurchaseViewModel::offerOrder()
{
    if (!signatureRequired()) {
        setStep(Step::Confirm);
        return;
    }
    // Issue 14: the merchant's policy asks for the cardholder's signature. A key without a certificate in slot 9A
    // (or one for another key pair) is refused here, before the confirmation and before any purse command.
    m_session.run<bool>(
        this,
        [](core::ApduChannel& channel, PurseContext& ctx) -> core::Result<bool> {
            core::piv::CertificateService certs(channel);
            auto opened = certs.open();
            core::Result<bool> out = opened ? core::Result<bool>(true) : core::Result<bool>(opened.error());
            if (opened) {
                if (auto slot = certs.certifiedSlot(0x9A); !slot) {
                    out = slot.error();
                }
            }
            ctx.forgetKey(); // the purse is selected again at its next use
            return out;
        },
        [this](core::Result<bool> ready) {
            if (m_step != Step::Fetching || !m_orderData) {
                return;
            }
            if (!ready) {
                m_resultTitle = tr("This order cannot be paid");
                m_resultText = certificateProblem(ready.error());
                m_orderData.reset();
                setStep(Step::Failed);
                return;
            }
            setStep(Step::Confirm);
        });
}

QString PurchaseViewModel::certificateProblem(const core::Error& e) const
{
    const QString merchant = orderMerchant();
    if (e.code == core::ErrorCode::NotFound) {
        return tr("%1 asks your key to sign the payment with its certificate, and the key holds none (slot 9A). Open "
                  "Certificates, generate a key pair in slot 9A and apply for a certificate, then open the order "
                  "again. Nothing was paid.")
            .arg(merchant);
    }
    if (e.code == core::ErrorCode::InvalidInput) {
        return tr("%1 asks your key to sign the payment with its certificate, but the certificate in slot 9A is not "
                  "for the key pair there. Open Certificates and apply for a certificate again, then open the order "
                  "again. Nothing was paid.")
            .arg(merchant);
    }
    if (e.code == core::ErrorCode::TouchRefused) {
        return tr("Your key did not sign the payment for %1: its button was not touched in time, or the signature "
                  "was refused on the key. Nothing was paid. Open the order again and touch the key when it asks.")
            .arg(merchant);
    }
    return tr("The key could not sign the payment with its certificate: %1 Nothing was paid.")
        .arg(ErrorText::describe(e));
}

void PurchaseViewModel::startOrder(
    std::optional<Botan::secure_vector<char>> pinDigits, std::optional<Botan::secure_vector<char>> pivPinDigits)
{
    if (!m_orderData) {
        return;
    }
    setStep(Step::Working);
    const core::MerchantOrder order = *m_orderData;
    const QJsonObject signedBefore = m_cardholderSignature;
    auto digits = std::make_shared<std::optional<Botan::secure_vector<char>>>(std::move(pinDigits));
    std::shared_ptr<core::SecureBytes> pivPin;
    if (pivPinDigits) {
        pivPin = std::make_shared<core::SecureBytes>(pivPinDigits->begin(), pivPinDigits->end());
        Botan::secure_scrub_memory(pivPinDigits->data(), pivPinDigits->size());
    }
    m_session.run<SignedPay>(
        this,
        [order, digits, pivPin, signedBefore](
            core::ApduChannel& channel, PurseContext& ctx) -> core::Result<SignedPay> {
            auto pin = MoneyOperation::takePin(*digits);
            if (!pin) {
                return pin.error();
            }
            // Checked again just before the key: a confirmation left open past the expiry pays nothing.
            if (auto payable = core::checkPayable(order, QDateTime::currentDateTimeUtc()); !payable) {
                return payable.error();
            }
            auto purse = ctx.orderPurse(channel, order);
            if (!purse) {
                return purse.error();
            }
            core::PurseService& p = **purse;
            SignedPay job;
            PayOutcome& out = job.pay;
            out.serial = p.card().device.serialHex();
            auto before = p.balance();
            if (!before) {
                return before.error();
            }
            out.balanceBefore = before->fen();
            job.signature = signedBefore;
            if (order.cardholderSignatureRequired && job.signature.isEmpty()) {
                // Issue 14: the key signs the order with slot 9A (the PIV PIN as the slot's policy asks, the touch
                // when its touch policy asks: the window's touch prompt covers it), with walletctl's code, before
                // INITIALIZE FOR PURCHASE; purchase() selects the purse again.
                core::piv::CertificateService certs(channel);
                auto signature = certs.open();
                core::Result<QJsonObject> made = signature
                    ? certs.signPaymentOrder(order,
                        p.card().asnHex(),
                        [pivPin]() -> core::Result<core::SecureBytes> {
                            if (!pivPin) {
                                return core::makeError(core::ErrorCode::PinRequired, QStringLiteral("the PIV PIN"));
                            }
                            return *pivPin;
                        })
                    : core::Result<QJsonObject>(signature.error());
                if (pivPin) {
                    std::fill(pivPin->begin(), pivPin->end(), 0);
                }
                if (!made) {
                    if (made.error().code == core::ErrorCode::PinRequired && !pivPin) {
                        job.needPivPin = true;
                    } else {
                        job.signError = made.error();
                    }
                    ctx.forgetKey();
                    return job;
                }
                job.signature = *made;
            }
            if (!job.signature.isEmpty() && ctx.orderPsam()) {
                ctx.orderPsam()->setCardholderSignature(job.signature);
            }
            const core::Pin* given = *pin ? &**pin : nullptr;
            MoneyOperation::settle(out, p.purchase(order.amount, given), given != nullptr);
            if (out.result && ctx.mirror()) {
                (void)p.syncMirror();
                core::StoredTransaction t;
                t.tokenSerial = out.serial;
                t.type = core::TransactionType::Purchase;
                t.atc = out.result->atc;
                t.amount = out.result->amount;
                t.terminalId = out.result->terminalId;
                t.when = out.result->when;
                t.balanceAfter = out.result->balanceAfter;
                t.tac = out.result->tac;
                t.mac2 = out.result->mac2;
                t.tsn = out.result->tsn;
                t.merchant = QStringLiteral("%1 \u00B7 #%2").arg(order.merchantName, order.reference);
                t.madeHere = true;
                (void)ctx.mirror()->recordLocal(t);
            }
            return job;
        },
        [this](core::Result<SignedPay> job) {
            if (job && !job->signature.isEmpty()) {
                m_cardholderSignature = job->signature;
            }
            if (job && job->needPivPin) {
                m_pin.setBusy(false);
                m_pivPin.reset();
                setStep(Step::NeedPivPin);
                return;
            }
            if (job && job->signError) {
                const core::Error& e = *job->signError;
                m_pivPin.setBusy(false);
                if (e.code == core::ErrorCode::WrongPin || e.code == core::ErrorCode::PinBlocked) {
                    m_pivPin.clear();
                    m_pivPin.setTriesLeft(e.triesLeft);
                    m_pivPin.setBlocked(e.code == core::ErrorCode::PinBlocked);
                    m_pivPin.setErrorText(ErrorText::describe(e));
                    setStep(Step::NeedPivPin);
                    return;
                }
                m_resultTitle = tr("The payment did not start");
                m_resultText = certificateProblem(e);
                setStep(Step::Failed);
                return;
            }
            m_pivPin.reset();
            const core::Result<PayOutcome> outcome
                = job ? core::Result<PayOutcome>(job->pay) : core::Result<PayOutcome>(job.error());
            payDone(outcome);
        });
}

void PurchaseViewModel::payDone(const core::Result<PayOutcome>& outcome)
{
    // Issue 14: the bank refused the cardholder's signature (revoked, expired or unknown certificate, a signature
    // that does not verify, or none where the merchant requires one). Refused before MAC1: nothing was authorised,
    // so nothing was debited and the order is still open. Said with the bank's code for support.
    if (outcome && outcome->error && outcome->error->detail.contains(QStringLiteral("cardholder-"))) {
        const core::Error& e = *outcome->error;
        m_pin.setBusy(false);
        m_pin.reset();
        m_resultTitle = tr("The payment did not go through");
        const QString code = e.detail.contains(QStringLiteral("cardholder-certificate-revoked"))
            ? QStringLiteral("cardholder-certificate-revoked")
            : e.detail.contains(QStringLiteral("cardholder-certificate-expired"))
            ? QStringLiteral("cardholder-certificate-expired")
            : e.detail.contains(QStringLiteral("cardholder-certificate-unknown"))
            ? QStringLiteral("cardholder-certificate-unknown")
            : QStringLiteral("cardholder-signature");
        if (code == QStringLiteral("cardholder-certificate-revoked")) {
            m_resultText = tr("Your bank refused the payment: it revoked the certificate on your key (slot 9A). "
                              "Nothing was debited and the order is still open. Open Certificates to see it, then "
                              "generate a new key pair and apply again. (Bank code: %1)")
                               .arg(code);
        } else {
            m_resultText = tr("Your bank refused the signature your key made with its certificate. Nothing was "
                              "debited and the order is still open. Open Certificates and apply for a certificate "
                              "again. (Bank code: %1)")
                               .arg(code);
        }
        m_cardholderSignature = {};
        setStep(Step::Failed);
        return;
    }
    if (!outcome && outcome.error().code == core::ErrorCode::Declined) {
        m_pin.setBusy(false);
        refuseOrder(outcome.error()); // expired while the confirmation was open: nothing sent
        return;
    }
    const MoneyOperation::Titles titles{tr("The payment did not start"),
        tr("The key was removed during the payment"),
        tr("The payment did not go through"),
        tr("Checking the payment…")};
    switch (MoneyOperation::judge(outcome, m_pin, titles, m_resultTitle, m_resultText)) {
    case MoneyOperation::Next::Failed:
        setStep(Step::Failed);
        return;
    case MoneyOperation::Next::NeedPin:
        setStep(Step::NeedPin);
        return;
    case MoneyOperation::Next::Interrupted:
        m_pendingSerial = outcome->serial;
        m_resultText = tr("The order shows \"checking\" at the shop until the key proves whether it was "
                          "paid. Do not pay again: it is never paid twice. Keep the key inserted, or insert "
                          "it again.");
        setStep(Step::Interrupted);
        return;
    case MoneyOperation::Next::Done:
        break;
    }
    const core::PurchaseResult& r = *outcome->result;
    m_tac = QString::fromLatin1(r.tac.toHex().toUpper());
    m_retext = [this,
                   amount = r.amount.fen(),
                   after = r.balanceAfter.fen(),
                   merchant = m_orderData->merchantName,
                   reference = m_orderData->reference] {
        m_newBalance = AmountText::format(after);
        m_resultTitle = tr("Paid %1").arg(AmountText::format(amount));
        m_resultText = tr("Paid to %1 for order %2.").arg(merchant, reference);
    };
    m_retext();
    m_pin.reset();
    setStep(Step::Done);
    emit completed(r.balanceAfter.fen());
}

void PurchaseViewModel::checkInterrupted()
{
    // Only an unknown outcome comes here (MoneyOperation::judge). Core's open() of the returning key settled it
    // with the key's counter, log and proof (spec §4); this shows that verdict, never a balance comparison.
    if (m_step != Step::Interrupted || m_pendingSerial.isEmpty() || !m_orderData) {
        return;
    }
    m_resultTitle = tr("Checking the interrupted payment…");
    emit changed();
    const QString serial = m_pendingSerial;
    const core::MerchantOrder order = *m_orderData;
    m_session.run<OrderCheck>(
        this,
        [serial, order](core::ApduChannel& channel, PurseContext& ctx) -> core::Result<OrderCheck> {
            // The order's own PSAM: its open() asked the key (ATC, log, GET TRANSACTION PROVE — never the balance)
            // and confirmed the purchase at the bank with the key's MAC2 and TAC, or released the order.
            auto purse = ctx.orderPurse(channel, order);
            if (!purse) {
                return purse.error();
            }
            if ((*purse)->card().device.serialHex() != serial) {
                return core::makeError(core::ErrorCode::InvalidState, QStringLiteral("a different key"));
            }
            if (!ctx.mirror()) {
                return core::makeError(core::ErrorCode::StorageError, ctx.mirrorError());
            }
            (void)(*purse)->syncMirror();
            auto ops = ctx.mirror()->pendingOperations(serial, false);
            if (!ops) {
                return ops.error();
            }
            for (const core::PendingOperation& op : *ops) { // newest first
                if (op.type == core::TransactionType::Purchase && op.terminalId == order.terminalId) {
                    OrderCheck check{op, {}};
                    if (op.state == core::PendingState::Done) {
                        auto paid = fetchOrder(ctx, QStringLiteral("smartkey://pay/") + order.orderId);
                        if (paid) {
                            check.tac = paid->tac;
                        }
                    }
                    return check;
                }
            }
            return core::makeError(core::ErrorCode::NotFound, QStringLiteral("no pending operation for this key"));
        },
        [this, order](core::Result<OrderCheck> check) {
            const MoneyOperation::PendingWords words{
                tr("This is a different key. Insert the key that was removed to finish the check."),
                tr("Still checking: the key could not tell yet. The order shows \"checking\" at the shop. Keep the "
                   "key inserted, or insert it again later; do not pay again."),
                tr("The payment did not go through"),
                tr("The key is back and proved the payment never reached it: nothing was charged and the order is "
                   "open again. You can pay it again."),
                tr("The payment is being checked by the bank"),
                tr("The key can no longer prove whether the payment went through. Do not pay again: the bank keeps "
                   "the record and will settle it.")};
            switch (MoneyOperation::judgePending(check ? nullptr : &check.error(),
                check ? check->op.state : core::PendingState::Checking,
                words,
                m_resultTitle,
                m_resultText)) {
            case MoneyOperation::Verdict::Unchanged:
                return;
            case MoneyOperation::Verdict::Wait:
                emit changed();
                return;
            case MoneyOperation::Verdict::Failed:
                m_pendingSerial.clear();
                setStep(Step::Failed);
                return;
            case MoneyOperation::Verdict::Done:
                break;
            }
            const core::PendingOperation& op = check->op;
            m_pendingSerial.clear();
            const std::int64_t after
                = static_cast<std::int64_t>(op.balanceBefore.fen()) - static_cast<std::int64_t>(op.amount.fen());
            m_newBalance = AmountText::format(after);
            m_tac = check->tac;
            m_resultTitle = tr("Paid %1").arg(AmountText::format(op.amount.fen()));
            m_resultText = tr("The key is back and proved the payment of order %1 to %2 went through.")
                               .arg(order.reference, order.merchantName);
            setStep(Step::Done);
            emit completed(after);
        });
}

void PurchaseViewModel::cancel()
{
    // From the confirmation, the PIN or a failed attempt: back to the form as it was. Never while paying.
    if (!cancellable() && m_step != Step::Failed) {
        return;
    }
    m_pin.reset();
    m_pivPin.reset();
    m_cardholderSignature = {};
    m_orderData.reset();
    setStep(Step::Enter);
}

void PurchaseViewModel::reset()
{
    if (m_step == Step::Working) {
        return;
    }
    m_pin.reset();
    m_amountFen = 0;
    m_retext = nullptr;
    m_resultTitle.clear();
    m_resultText.clear();
    m_tac.clear();
    m_newBalance.clear();
    m_pendingSerial.clear();
    m_link.clear();
    m_pivPin.reset();
    m_cardholderSignature = {};
    m_orderData.reset();
    setStep(Step::Enter);
}

} // namespace wallet::app
