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
    if (e.code == core::ErrorCode::Disconnected || e.code == core::ErrorCode::Timeout) {
        resultTitle = titles.removed;
        resultText = ErrorText::describe(core::makeError(core::ErrorCode::Disconnected, {}));
        return Next::Interrupted;
    }
    return failed(e, titles.notThrough, resultTitle, resultText);
}

core::Result<std::int64_t> MoneyOperation::balanceOfKey(
    core::ApduChannel& channel, PurseContext& ctx, const QString& serial)
{
    auto purse = ctx.purse(channel);
    if (!purse) {
        return purse.error();
    }
    if ((*purse)->card().device.serialHex() != serial) {
        return core::makeError(core::ErrorCode::InvalidState, QStringLiteral("a different key"));
    }
    (void)(*purse)->syncMirror();
    auto balance = (*purse)->balance();
    if (!balance) {
        return balance.error();
    }
    return static_cast<std::int64_t>(balance->fen());
}

} // namespace wallet::app
