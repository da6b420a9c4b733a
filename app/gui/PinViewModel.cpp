// SPDX-License-Identifier: Apache-2.0
#include "app/gui/PinViewModel.h"

#include "app/gui/ErrorText.h"

namespace wallet::app {

PinViewModel::PinViewModel(QObject* parent)
    : QObject(parent)
{
    m_digits.reserve(kMaxDigits); // no reallocation: no unwiped copy of a partial PIN is left behind
}

bool PinViewModel::canSubmit() const
{
    return !m_busy && !blocked() && length() >= kMinDigits && length() <= kMaxDigits;
}

QString PinViewModel::triesLeftText() const
{
    if (blocked()) {
        return tr("The PIN is blocked.");
    }
    if (m_triesLeft == 1) {
        // Issue 17 item 2: the lockout is announced before it happens, with what it means.
        return tr("Last try: if this PIN is wrong too, the key locks and only a branch of your bank can unblock it "
                  "(take the key and your ID).");
    }
    return m_triesLeft < 0 ? QString() : ErrorText::triesLeft(m_triesLeft);
}

void PinViewModel::appendDigit(int digit)
{
    if (digit < 0 || digit > 9 || m_busy || blocked() || length() >= kMaxDigits) {
        return;
    }
    m_digits.push_back(static_cast<char>('0' + digit));
    emit lengthChanged();
    emit stateChanged();
}

void PinViewModel::backspace()
{
    if (m_digits.empty() || m_busy) {
        return;
    }
    m_digits.back() = 0;
    m_digits.pop_back();
    emit lengthChanged();
    emit stateChanged();
}

void PinViewModel::clear()
{
    if (m_digits.empty()) {
        return;
    }
    Botan::secure_scrub_memory(m_digits.data(), m_digits.size());
    m_digits.clear();
    emit lengthChanged();
    emit stateChanged();
}

void PinViewModel::submit()
{
    if (!canSubmit() || !m_submit) {
        return;
    }
    Botan::secure_vector<char> digits(m_digits.begin(), m_digits.end());
    clear();
    m_errorText.clear();
    setBusy(true);
    m_submit(std::move(digits));
}

void PinViewModel::setBusy(bool busy)
{
    if (m_busy != busy) {
        m_busy = busy;
        emit stateChanged();
    }
}

void PinViewModel::setTriesLeft(int tries)
{
    if (m_triesLeft != tries) {
        m_triesLeft = tries;
        emit stateChanged();
    }
}

void PinViewModel::setBlocked(bool blocked)
{
    if (m_blocked != blocked) {
        m_blocked = blocked;
        emit stateChanged();
    }
}

void PinViewModel::setErrorText(const QString& text)
{
    if (m_errorText != text) {
        m_errorText = text;
        emit stateChanged();
    }
}

void PinViewModel::reset()
{
    clear();
    m_triesLeft = -1;
    m_blocked = false;
    m_busy = false;
    m_errorText.clear();
    emit stateChanged();
}

} // namespace wallet::app
