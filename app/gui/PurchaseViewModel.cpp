// SPDX-License-Identifier: Apache-2.0
#include "app/gui/PurchaseViewModel.h"

#include "app/gui/AmountText.h"
#include "app/gui/MoneyOperation.h"
#include "app/gui/WalletSession.h"

namespace wallet::app {

namespace {
using PayOutcome = MoneyOperation::Outcome<core::PurchaseResult>;
} // namespace

PurchaseViewModel::PurchaseViewModel(WalletSession& session, QObject* parent)
    : QObject(parent)
    , m_session(session)
{
    m_pin.setSubmitHandler([this](Botan::secure_vector<char> digits) { start(std::move(digits)); });
    connect(&m_session, &WalletSession::attached, this, &PurchaseViewModel::checkInterrupted);
}

void PurchaseViewModel::setMerchant(const QString& merchant)
{
    if (merchant != m_merchant && m_step == Step::Enter) {
        m_merchant = merchant;
        emit changed();
    }
}

void PurchaseViewModel::setOrder(const QString& order)
{
    if (order != m_order && m_step == Step::Enter) {
        m_order = order;
        emit changed();
    }
}

void PurchaseViewModel::setAmountText(const QString& text)
{
    if (text != m_amountText && m_step == Step::Enter) {
        m_amountText = text;
        emit changed();
    }
}

QString PurchaseViewModel::amountProblem() const
{
    if (m_amountText.trimmed().isEmpty()) {
        return {};
    }
    return AmountText::problemText(AmountText::parse(m_amountText).problem);
}

QString PurchaseViewModel::formProblem() const
{
    if (m_merchant.trimmed().isEmpty()) {
        return tr("Enter the merchant's name.");
    }
    if (m_merchant.trimmed().size() > kMaxMerchantLength) {
        return tr("The merchant's name can be at most %1 characters.").arg(kMaxMerchantLength);
    }
    if (m_order.trimmed().size() > kMaxOrderLength) {
        return tr("The order number can be at most %1 characters.").arg(kMaxOrderLength);
    }
    const auto parsed = AmountText::parse(m_amountText);
    if (!parsed.ok()) {
        return AmountText::problemText(parsed.problem);
    }
    if (m_balanceFen >= 0 && parsed.fen > m_balanceFen) {
        // Refused before the review, with both amounts (issue 17 item 4); the key would refuse it anyway (9401).
        return tr("%1 is more than the balance on the key (%2).")
            .arg(AmountText::format(parsed.fen), AmountText::format(m_balanceFen));
    }
    return {};
}

bool PurchaseViewModel::canConfirm() const
{
    return m_step == Step::Enter && formProblem().isEmpty();
}

QString PurchaseViewModel::amountDisplay() const
{
    return m_amountFen > 0 ? AmountText::format(m_amountFen) : QString();
}

QString PurchaseViewModel::progressText() const
{
    return m_step == Step::Working
        ? tr("Paying %1 to %2. Keep the key inserted…").arg(AmountText::format(m_amountFen), m_merchant.trimmed())
        : QString();
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

void PurchaseViewModel::review()
{
    if (!canConfirm()) {
        return;
    }
    m_amountFen = AmountText::parse(m_amountText).fen;
    setStep(Step::Confirm);
}

void PurchaseViewModel::pay()
{
    if (m_step != Step::Confirm) {
        return;
    }
    start(std::nullopt);
}

void PurchaseViewModel::start(std::optional<Botan::secure_vector<char>> pinDigits)
{
    setStep(Step::Working);
    const auto amount = core::Amount(static_cast<std::uint32_t>(m_amountFen));
    // Stored in the mirror as written here, so language-neutral: "Campus Canteen · #A-1024".
    const QString merchant = m_order.trimmed().isEmpty()
        ? m_merchant.trimmed()
        : QStringLiteral("%1 \u00B7 #%2").arg(m_merchant.trimmed(), m_order.trimmed());
    auto digits = std::make_shared<std::optional<Botan::secure_vector<char>>>(std::move(pinDigits));
    m_session.run<PayOutcome>(
        this,
        [amount, digits, merchant](core::ApduChannel& channel, PurseContext& ctx) -> core::Result<PayOutcome> {
            auto purse = ctx.purse(channel);
            if (!purse) {
                return purse.error();
            }
            core::PurseService& p = **purse;
            auto pin = MoneyOperation::takePin(*digits);
            if (!pin) {
                return pin.error();
            }
            PayOutcome out;
            out.serial = p.card().device.serialHex();
            auto before = p.balance();
            if (!before) {
                return before.error();
            }
            out.balanceBefore = before->fen();
            const core::Pin* given = *pin ? &**pin : nullptr;
            MoneyOperation::settle(out, p.purchase(amount, given), given != nullptr);
            if (!out.result) {
                return out;
            }
            // The merchant and order are this wallet's knowledge: they go into the mirror beside the key's record.
            if (ctx.mirror()) {
                core::StoredTransaction t;
                t.tokenSerial = p.card().device.serialHex();
                t.type = core::TransactionType::Purchase;
                t.atc = out.result->atc;
                t.amount = out.result->amount;
                t.terminalId = out.result->terminalId;
                t.when = out.result->when;
                t.balanceAfter = out.result->balanceAfter;
                t.tac = out.result->tac;
                t.mac2 = out.result->mac2;
                t.tsn = out.result->tsn;
                t.merchant = merchant;
                t.madeHere = true;
                (void)ctx.mirror()->recordLocal(t);
            }
            return out;
        },
        [this](core::Result<PayOutcome> outcome) {
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
                setStep(Step::Interrupted);
                return;
            case MoneyOperation::Next::Done:
                break;
            }
            const core::PurchaseResult& r = *outcome->result;
            m_tac = QString::fromLatin1(r.tac.toHex().toUpper());
            m_retext = [this, amount = r.amount.fen(), after = r.balanceAfter.fen(), merchant = m_merchant.trimmed()] {
                m_newBalance = AmountText::format(after);
                m_resultTitle = tr("Paid %1").arg(AmountText::format(amount));
                m_resultText = tr("Paid to %1.").arg(merchant);
            };
            m_retext();
            m_pin.reset();
            setStep(Step::Done);
            emit completed(r.balanceAfter.fen());
        });
}

void PurchaseViewModel::checkInterrupted()
{
    // Only an unknown outcome comes here (MoneyOperation::judge). Core's open() of the returning key settled it
    // with the key's counter, log and proof (spec §4); this shows that verdict, never a balance comparison.
    if (m_step != Step::Interrupted || m_pendingSerial.isEmpty()) {
        return;
    }
    const QString serial = m_pendingSerial;
    m_resultTitle = tr("Checking the interrupted payment…");
    emit changed();
    m_session.run<core::PendingOperation>(
        this,
        [serial](core::ApduChannel& channel, PurseContext& ctx) {
            return MoneyOperation::pendingOfKey(channel, ctx, serial, core::TransactionType::Purchase);
        },
        [this](core::Result<core::PendingOperation> op) {
            if (!op) {
                if (op.error().code == core::ErrorCode::InvalidState) {
                    m_resultText = tr("This is a different key. Insert the key that was removed to finish the "
                                      "check.");
                    emit changed();
                }
                return;
            }
            switch (op->state) {
            case core::PendingState::Checking:
                m_resultText = tr(
                    "Still checking: the key could not tell yet. Keep it inserted, or insert it again later; do not "
                    "pay again.");
                emit changed();
                return;
            case core::PendingState::Done: {
                m_pendingSerial.clear();
                const std::int64_t after
                    = static_cast<std::int64_t>(op->balanceBefore.fen()) - static_cast<std::int64_t>(op->amount.fen());
                m_newBalance = AmountText::format(after);
                m_resultTitle = tr("Paid %1").arg(AmountText::format(op->amount.fen()));
                m_resultText = tr("The key is back and proved the payment went through.");
                setStep(Step::Done);
                emit completed(after);
                return;
            }
            case core::PendingState::NotDone:
                m_pendingSerial.clear();
                m_resultTitle = tr("The payment did not go through");
                m_resultText
                    = tr("The key is back and proved the payment never reached it: nothing was charged. You can pay "
                         "again.");
                setStep(Step::Failed);
                return;
            case core::PendingState::Disputed:
                m_pendingSerial.clear();
                m_resultTitle = tr("The payment is being checked by the bank");
                m_resultText
                    = tr("The key can no longer prove whether the payment went through. Do not pay again: the bank "
                         "keeps the record and will settle it.");
                setStep(Step::Failed);
                return;
            }
        });
}

void PurchaseViewModel::cancel()
{
    // From the confirmation, the PIN or a failed attempt: back to the form as it was. Never while paying.
    if (!cancellable() && m_step != Step::Failed) {
        return;
    }
    m_pin.reset();
    setStep(Step::Enter);
}

void PurchaseViewModel::reset()
{
    if (m_step == Step::Working) {
        return;
    }
    m_pin.reset();
    m_merchant.clear();
    m_order.clear();
    m_amountText.clear();
    m_amountFen = 0;
    m_retext = nullptr;
    m_resultTitle.clear();
    m_resultText.clear();
    m_tac.clear();
    m_newBalance.clear();
    m_pendingSerial.clear();
    setStep(Step::Enter);
}

} // namespace wallet::app
