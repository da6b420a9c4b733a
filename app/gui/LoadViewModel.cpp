// SPDX-License-Identifier: Apache-2.0
#include "app/gui/LoadViewModel.h"

#include "app/gui/AmountText.h"
#include "app/gui/MoneyOperation.h"
#include "app/gui/WalletSession.h"

namespace wallet::app {

namespace {
using LoadOutcome = MoneyOperation::Outcome<core::LoadResult>;
} // namespace

LoadViewModel::LoadViewModel(WalletSession& session, QObject* parent)
    : QObject(parent)
    , m_session(session)
{
    m_pin.setSubmitHandler([this](Botan::secure_vector<char> digits) { start(std::move(digits)); });
    connect(&m_session, &WalletSession::attached, this, &LoadViewModel::checkInterrupted);
}

void LoadViewModel::setAmountText(const QString& text)
{
    if (text == m_amountText || m_step == Step::Confirm) { // the confirmed amount cannot change under the dialog
        return;
    }
    m_amountText = text;
    emit changed();
}

QString LoadViewModel::amountProblem() const
{
    if (m_amountText.trimmed().isEmpty()) {
        return {};
    }
    const auto parsed = AmountText::parse(m_amountText, kMaxLoadFen);
    return AmountText::problemText(parsed.problem, kMaxLoadFen);
}

QString LoadViewModel::maxText() const
{
    return AmountText::format(kMaxLoadFen);
}

bool LoadViewModel::canSubmit() const
{
    return m_step == Step::Enter && AmountText::parse(m_amountText, kMaxLoadFen).ok();
}

QString LoadViewModel::amountDisplay() const
{
    return m_amountFen > 0 ? AmountText::format(m_amountFen) : QString();
}

QString LoadViewModel::progressText() const
{
    return m_step == Step::Working
        ? tr("Your bank is authorising the load of %1. Keep the key inserted…").arg(AmountText::format(m_amountFen))
        : QString();
}

QString LoadViewModel::balanceText() const
{
    return m_balanceFen >= 0 ? AmountText::format(m_balanceFen) : QString();
}

void LoadViewModel::setBalanceFen(qint64 fen)
{
    if (fen != m_balanceFen) {
        m_balanceFen = fen;
        emit changed();
    }
}

void LoadViewModel::retranslate()
{
    if (m_retext && m_step == Step::Done) {
        m_retext();
    }
    emit changed();
}

void LoadViewModel::setStep(Step step)
{
    m_step = step;
    emit changed();
}

void LoadViewModel::submit()
{
    const auto parsed = AmountText::parse(m_amountText, kMaxLoadFen);
    if (m_step != Step::Enter || !parsed.ok()) {
        return;
    }
    // Issue 9 item 13: what was understood is shown before any APDU ("12,50" once loaded ¥1,250.00 unseen).
    m_amountFen = parsed.fen;
    setStep(Step::Confirm);
}

void LoadViewModel::confirm()
{
    if (m_step != Step::Confirm || m_amountFen <= 0) {
        return;
    }
    start(std::nullopt);
}

void LoadViewModel::start(std::optional<Botan::secure_vector<char>> pinDigits)
{
    setStep(Step::Working);
    const auto amount = core::Amount(static_cast<std::uint32_t>(m_amountFen));
    auto digits = std::make_shared<std::optional<Botan::secure_vector<char>>>(std::move(pinDigits));
    m_session.run<LoadOutcome>(
        this,
        [amount, digits](core::ApduChannel& channel, PurseContext& ctx) -> core::Result<LoadOutcome> {
            auto purse = ctx.purse(channel);
            if (!purse) {
                return purse.error();
            }
            core::PurseService& p = **purse;
            LoadOutcome out;
            out.serial = p.card().device.serialHex();
            if (auto funded = ctx.ensureFundingAccount(p.card().application.asn()); !funded) {
                return funded.error();
            }
            auto before = p.balance();
            if (!before) {
                return before.error();
            }
            out.balanceBefore = before->fen();
            auto pin = MoneyOperation::takePin(*digits);
            if (!pin) {
                return pin.error();
            }
            const core::Pin* given = *pin ? &**pin : nullptr;
            MoneyOperation::settle(out, p.load(amount, given), given != nullptr);
            return out;
        },
        [this](core::Result<LoadOutcome> outcome) {
            const MoneyOperation::Titles titles{tr("The load did not start"),
                tr("The key was removed during the load"),
                tr("The load did not go through"),
                tr("Checking the load…")};
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
            const core::LoadResult& r = *outcome->result;
            m_tac = QString::fromLatin1(r.tac.toHex().toUpper());
            m_retext = [this, amount = r.amount.fen(), after = r.balanceAfter.fen(), recovered = r.recovered] {
                m_newBalance = AmountText::format(after);
                m_resultTitle = tr("Loaded %1").arg(AmountText::format(amount));
                m_resultText = recovered ? tr("The connection was interrupted, but the wallet confirmed with the key "
                                              "that the load went through.")
                                         : tr("The money is on your key.");
            };
            m_retext();
            m_pin.reset();
            setStep(Step::Done);
            emit completed(r.balanceAfter.fen());
        });
}

void LoadViewModel::checkInterrupted()
{
    // Only an unknown outcome comes here (MoneyOperation::judge). Core's open() of the returning key settled it
    // with the key's counter, log and proof (spec §4); this shows that verdict, never a balance comparison.
    if (m_step != Step::Interrupted || m_pendingSerial.isEmpty()) {
        return;
    }
    const QString serial = m_pendingSerial;
    m_resultTitle = tr("Checking the interrupted load…");
    emit changed();
    m_session.run<core::PendingOperation>(
        this,
        [serial](core::ApduChannel& channel, PurseContext& ctx) {
            return MoneyOperation::pendingOfKey(channel, ctx, serial, core::TransactionType::Load);
        },
        [this](core::Result<core::PendingOperation> op) {
            const MoneyOperation::PendingWords words{
                tr("This is a different key. Insert the key that was removed to finish the check."),
                tr("Still checking: the key could not tell yet. Keep it inserted, or insert it again later; do not "
                   "load it again."),
                tr("The load did not go through"),
                tr("The key is back and proved the load never reached it; your bank gave the money back to your "
                   "funding account. You can load again."),
                tr("The load is being checked by your bank"),
                tr("The key can no longer prove whether the load went through. Do not load it again: your bank "
                   "keeps the record and will settle it.")};
            switch (MoneyOperation::judgePending(op ? nullptr : &op.error(),
                op ? op->state : core::PendingState::Checking,
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
            m_pendingSerial.clear();
            const std::int64_t after
                = static_cast<std::int64_t>(op->balanceBefore.fen()) + static_cast<std::int64_t>(op->amount.fen());
            m_newBalance = AmountText::format(after);
            m_resultTitle = tr("Loaded %1").arg(AmountText::format(op->amount.fen()));
            m_resultText = tr("The key is back and proved the load went through.");
            setStep(Step::Done);
            emit completed(after);
        });
}

void LoadViewModel::cancel()
{
    if (!cancellable()) {
        return;
    }
    if (m_step == Step::Confirm) {
        m_amountFen = 0;
        setStep(Step::Enter);
        return;
    }
    reset();
}

void LoadViewModel::reset()
{
    if (m_step == Step::Working) {
        return;
    }
    m_pin.reset();
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
