// SPDX-License-Identifier: Apache-2.0
#include "app/gui/ChangePinViewModel.h"

#include "app/gui/ErrorText.h"
#include "app/gui/PurseContext.h"
#include "app/gui/WalletSession.h"
#include "core/purse/Pin.h"

#include <memory>

namespace wallet::app {

ChangePinViewModel::ChangePinViewModel(WalletSession& session, QObject* parent)
    : QObject(parent)
    , m_session(session)
{
    m_pin.setSubmitHandler([this](Botan::secure_vector<char> digits) { submitted(std::move(digits)); });
}

ChangePinViewModel::~ChangePinViewModel()
{
    wipe();
}

QString ChangePinViewModel::prompt() const
{
    switch (m_step) {
    case Step::Current:
        return tr("Enter your current PIN.");
    case Step::New:
        return tr("Choose a new PIN.");
    case Step::Repeat:
        return tr("Enter the new PIN again.");
    case Step::Working:
        return tr("Changing the PIN on the key. Keep the key inserted…");
    default:
        return {};
    }
}

QString ChangePinViewModel::rulesText() const
{
    return tr("The key accepts %1 to %2 digits.").arg(PinViewModel::kMinDigits).arg(PinViewModel::kMaxDigits);
}

void ChangePinViewModel::setStep(Step step)
{
    m_step = step;
    emit changed();
}

void ChangePinViewModel::wipe()
{
    Botan::secure_scrub_memory(m_current.data(), m_current.size());
    m_current.clear();
    Botan::secure_scrub_memory(m_new.data(), m_new.size());
    m_new.clear();
}

void ChangePinViewModel::start()
{
    wipe();
    m_pin.reset();
    m_result.clear();
    setStep(Step::Current);
    // The tries left, read without spending one (VERIFY without data), shown under the keypad from the start.
    m_session.run<core::PinStatus>(
        this,
        [](core::ApduChannel& channel, PurseContext& ctx) -> core::Result<core::PinStatus> {
            auto purse = ctx.purse(channel);
            if (!purse) {
                return purse.error();
            }
            // Selected again first: the PIN verified at unlock would answer 9000 (no count); a fresh selection
            // clears that state, and VERIFY without data then gives the tries left (63Cx) without spending one.
            if (auto opened = (*purse)->open(); !opened) {
                return opened.error();
            }
            return (*purse)->pinStatus();
        },
        [this](core::Result<core::PinStatus> status) {
            if (status && m_step == Step::Current) {
                m_pin.setTriesLeft(status->triesLeft);
                m_pin.setBlocked(status->blocked);
            }
        });
}

void ChangePinViewModel::cancel()
{
    if (m_step == Step::Working) {
        return; // sent: the key answers either way
    }
    wipe();
    m_pin.reset();
    m_pin.setBusy(false);
    setStep(Step::Idle);
}

void ChangePinViewModel::submitted(Botan::secure_vector<char> digits)
{
    m_pin.setBusy(false);
    switch (m_step) {
    case Step::Current:
        m_current = std::move(digits);
        setStep(Step::New);
        return;
    case Step::New:
        if (digits == m_current) {
            Botan::secure_scrub_memory(digits.data(), digits.size());
            m_pin.setErrorText(tr("The new PIN is the same as the current one. Choose another."));
            emit changed();
            return;
        }
        m_new = std::move(digits);
        m_pin.setErrorText({});
        setStep(Step::Repeat);
        return;
    case Step::Repeat: {
        const bool same = digits == m_new;
        Botan::secure_scrub_memory(digits.data(), digits.size());
        if (!same) {
            Botan::secure_scrub_memory(m_new.data(), m_new.size());
            m_new.clear();
            m_pin.setErrorText(tr("The two new PINs were not the same. Choose the new PIN again."));
            setStep(Step::New);
            return;
        }
        send();
        return;
    }
    default:
        Botan::secure_scrub_memory(digits.data(), digits.size());
        return;
    }
}

void ChangePinViewModel::send()
{
    auto current = std::make_shared<Botan::secure_vector<char>>(std::move(m_current));
    auto fresh = std::make_shared<Botan::secure_vector<char>>(std::move(m_new));
    m_current.clear();
    m_new.clear();
    m_pin.setErrorText({});
    setStep(Step::Working);
    m_session.run<bool>(
        this,
        [current, fresh](core::ApduChannel& channel, PurseContext& ctx) -> core::Result<bool> {
            auto oldPin = core::Pin::fromDigits(std::string_view(current->data(), current->size()));
            auto newPin = core::Pin::fromDigits(std::string_view(fresh->data(), fresh->size()));
            Botan::secure_scrub_memory(current->data(), current->size());
            Botan::secure_scrub_memory(fresh->data(), fresh->size());
            if (!oldPin) {
                return oldPin.error();
            }
            if (!newPin) {
                return newPin.error();
            }
            auto purse = ctx.purse(channel);
            if (!purse) {
                return purse.error();
            }
            if (auto changed = (*purse)->changePin(*oldPin, *newPin); !changed) {
                return changed.error();
            }
            return true;
        },
        [this](core::Result<bool> done) {
            m_pin.reset();
            if (done) {
                m_result = tr("Your PIN was changed. Use the new PIN from now on.");
                setStep(Step::Done);
                return;
            }
            const core::Error& e = done.error();
            if (e.code == core::ErrorCode::WrongPin && e.triesLeft != 0) {
                // Back to the current PIN, with the key's count (and the last-try warning at 1).
                m_pin.setTriesLeft(e.triesLeft);
                m_pin.setErrorText(ErrorText::describe(e));
                setStep(Step::Current);
                return;
            }
            if (e.code == core::ErrorCode::WrongPin || e.code == core::ErrorCode::PinBlocked) {
                m_pin.setTriesLeft(0);
                m_pin.setBlocked(true);
            }
            m_result = ErrorText::describe(e);
            setStep(Step::Failed);
        });
}

} // namespace wallet::app
