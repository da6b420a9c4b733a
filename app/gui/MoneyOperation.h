// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "app/gui/PinViewModel.h"
#include "core/Result.h"
#include "core/channel/ApduChannel.h"
#include "core/purse/Pin.h"
#include "core/storage/TransactionStore.h"

#include <QString>

#include <botan/secmem.h>

#include <cstdint>
#include <optional>

namespace wallet::app {

class PurseContext;

/**
 * @brief What loading and paying share (LoadViewModel, PurchaseViewModel): the PIN typed on the pad, the sorting of
 * how an operation ended (PIN problem, key pulled out, any other failure) and, once the key of an interrupted
 * operation is back, its balance. The texts stay with each view model (their own translation context).
 */
class MoneyOperation
{
public:
    /// What the worker hands back to the GUI thread. R is core::LoadResult or core::PurchaseResult.
    template <typename R>
    struct Outcome
    {
        bool needPin = false;
        std::int64_t balanceBefore = -1;
        QString serial;
        std::optional<R> result;
        std::optional<core::Error> error; ///< set when it failed after the balance was read
    };

    /// Where the flow goes next once an operation's outcome is back.
    enum class Next : std::uint8_t { Failed, NeedPin, Interrupted, Done };

    /// The view model's own (translated) titles for the outcomes that are not a success.
    struct Titles
    {
        QString notStarted;
        QString removed;
        QString notThrough;
        QString checking; ///< CREDIT/DEBIT was sent and the outcome is not known yet
    };

    /// Packs the digits typed into a PIN and wipes them; no PIN when none were typed.
    [[nodiscard]] static core::Result<std::optional<core::Pin>> takePin(
        std::optional<Botan::secure_vector<char>>& digits);

    /// Records the operation's result in out: needPin when the key asks for a PIN that was not given, else the error.
    template <typename R>
    static void settle(Outcome<R>& out, core::Result<R> result, bool pinGiven)
    {
        if (!result) {
            if (result.error().code == core::ErrorCode::PinRequired && !pinGiven) {
                out.needPin = true;
            } else {
                out.error = result.error();
            }
            return;
        }
        out.result = std::move(result).value();
    }

    /**
     * Judges an outcome on the GUI thread: frees the PIN pad, shows a PIN problem on it, and sets the result title and
     * text of a failure. Done leaves them for the caller (the success texts are its own).
     */
    template <typename R>
    [[nodiscard]] static Next judge(const core::Result<Outcome<R>>& outcome,
        PinViewModel& pin,
        const Titles& titles,
        QString& resultTitle,
        QString& resultText)
    {
        pin.setBusy(false);
        if (!outcome) {
            return failed(outcome.error(), titles.notStarted, resultTitle, resultText);
        }
        if (outcome->needPin) {
            pin.reset();
            return Next::NeedPin;
        }
        if (outcome->error) {
            return judgeError(*outcome->error, pin, titles, resultTitle, resultText);
        }
        return Next::Done;
    }

    /// Worker side of the check after an unknown outcome, once the key is back: open() of the key with that serial
    /// has asked the key (ATC, log, GET TRANSACTION PROVE — never the balance); this is the newest pending operation
    /// of `type` as it stands now (still Checking, Done, NotDone or Disputed). InvalidState ("a different key") for
    /// another key; StorageError when the wallet has no records to look in.
    [[nodiscard]] static core::Result<core::PendingOperation> pendingOfKey(
        core::ApduChannel& channel, PurseContext& ctx, const QString& serial, core::TransactionType type);

    /// The view model's own (translated) words for what the returning key proved about an interrupted operation.
    struct PendingWords
    {
        QString differentKey; ///< the key inserted is another one
        QString stillChecking; ///< the key could not tell yet
        QString notDoneTitle;
        QString notDoneText;
        QString disputedTitle;
        QString disputedText;
    };

    /// Where the flow goes once the check of an interrupted operation answered.
    enum class Verdict : std::uint8_t {
        Unchanged, ///< the check failed for another reason: nothing new to show, the page keeps waiting
        Wait, ///< the text changed (another key, or still checking): show it, keep waiting
        Failed, ///< proved not done, or disputed: title and text set
        Done, ///< proved done: the success texts are the caller's
    };

    /**
     * Judges the check of an interrupted operation on the GUI thread (LoadViewModel, PurchaseViewModel): `error` when
     * the check failed (InvalidState: a different key), else the pending operation's `state`. Sets the result title
     * and text of every verdict but Done. Never compares balances: the key's own proof decided (spec §4).
     */
    [[nodiscard]] static Verdict judgePending(const core::Error* error,
        core::PendingState state,
        const PendingWords& words,
        QString& resultTitle,
        QString& resultText);

private:
    static Next failed(const core::Error& e, const QString& title, QString& resultTitle, QString& resultText);
    static Next judgeError(
        const core::Error& e, PinViewModel& pin, const Titles& titles, QString& resultTitle, QString& resultText);
};

} // namespace wallet::app
