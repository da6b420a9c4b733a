// SPDX-License-Identifier: Apache-2.0
#include "app/gui/MoneyOperation.h"

#include "app/gui/ErrorText.h"
#include "app/gui/PurseContext.h"

#include <string_view>

namespace wallet::app {

core::Result<std::optional<core::Pin>> MoneyOperation::takePin(std::optional<Botan::secure_vector<char>>& digits)
{
    if (!digits) {
        return std::optional<core::Pin>();
    }
    auto made = core::Pin::fromDigits(std::string_view(digits->data(), digits->size()));
    Botan::secure_scrub_memory(digits->data(), digits->size());
    if (!made) {
        return made.error();
    }
    return std::optional<core::Pin>(std::move(made).value());
}

MoneyOperation::Next MoneyOperation::failed(
    const core::Error& e, const QString& title, QString& resultTitle, QString& resultText)
{
    resultTitle = title;
    resultText = ErrorText::describe(e);
    return Next::Failed;
}

MoneyOperation::Next MoneyOperation::judgeError(
    const core::Error& e, PinViewModel& pin, const Titles& titles, QString& resultTitle, QString& resultText)
{
    if (e.code == core::ErrorCode::WrongPin || e.code == core::ErrorCode::PinBlocked) {
        pin.setTriesLeft(e.triesLeft);
        pin.setBlocked(e.code == core::ErrorCode::PinBlocked);
        pin.setErrorText(ErrorText::describe(e));
        return Next::NeedPin;
    }
    if (e.code == core::ErrorCode::OutcomeUnknown) {
        // CREDIT/DEBIT was sent: never "did not go through" without the key's proof (spec §4, docs/app.md).
        resultTitle = titles.checking;
        resultText = ErrorText::describe(e);
        return Next::Interrupted;
    }
    if (e.code == core::ErrorCode::Disconnected || e.code == core::ErrorCode::Timeout) {
        // Core reports these only when no money can have moved (before CREDIT/DEBIT, or proven by the key).
        return failed(e, titles.removed, resultTitle, resultText);
    }
    return failed(e, titles.notThrough, resultTitle, resultText);
}

core::Result<core::PendingOperation> MoneyOperation::pendingOfKey(
    core::ApduChannel& channel, PurseContext& ctx, const QString& serial, core::TransactionType type)
{
    auto purse = ctx.purse(channel);
    if (!purse) {
        return purse.error();
    }
    if ((*purse)->card().device.serialHex() != serial) {
        return core::makeError(core::ErrorCode::InvalidState, QStringLiteral("a different key"));
    }
    if (!ctx.mirror()) {
        return core::makeError(core::ErrorCode::StorageError, ctx.mirrorError());
    }
    (void)(*purse)->reconcile(); // open() did it for a new key; again here for one that stayed attached
    (void)(*purse)->syncMirror();
    auto ops = ctx.mirror()->pendingOperations(serial, false);
    if (!ops) {
        return ops.error();
    }
    for (const core::PendingOperation& op : *ops) { // newest first
        if (op.type == type) {
            return op;
        }
    }
    return core::makeError(core::ErrorCode::NotFound, QStringLiteral("no pending operation for this key"));
}

MoneyOperation::Verdict MoneyOperation::judgePending(const core::Error* error,
    core::PendingState state,
    const PendingWords& words,
    QString& resultTitle,
    QString& resultText)
{
    if (error) {
        if (error->code == core::ErrorCode::InvalidState) {
            resultText = words.differentKey;
            return Verdict::Wait;
        }
        return Verdict::Unchanged;
    }
    switch (state) {
    case core::PendingState::Checking:
        resultText = words.stillChecking;
        return Verdict::Wait;
    case core::PendingState::Done:
        return Verdict::Done;
    case core::PendingState::NotDone:
        resultTitle = words.notDoneTitle;
        resultText = words.notDoneText;
        return Verdict::Failed;
    case core::PendingState::Disputed:
        resultTitle = words.disputedTitle;
        resultText = words.disputedText;
        return Verdict::Failed;
    }
    return Verdict::Unchanged;
}

} // namespace wallet::app
