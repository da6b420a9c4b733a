// SPDX-License-Identifier: Apache-2.0
#include "app/gui/KeyViewModel.h"

#include "app/gui/ErrorText.h"
#include "app/gui/WalletSession.h"

namespace wallet::app {

KeyViewModel::KeyViewModel(WalletSession& session, QObject* parent)
    : QObject(parent)
    , m_session(session)
{
    connect(&m_session, &WalletSession::presenceChanged, this, &KeyViewModel::onPresenceChanged);
    connect(&m_session, &WalletSession::attached, this, &KeyViewModel::refresh);
    connect(&m_session, &WalletSession::touchPendingChanged, this, &KeyViewModel::touchPendingChanged);
    onPresenceChanged();
}

bool KeyViewModel::touchPending() const
{
    return m_session.touchPending();
}

void KeyViewModel::cancelTouch()
{
    if (m_session.touchPending()) {
        m_session.cancelPending();
    }
}

bool KeyViewModel::simulated() const
{
    return m_session.simulated();
}

void KeyViewModel::setState(State state)
{
    m_state = state;
    emit changed();
}

void KeyViewModel::onPresenceChanged()
{
    switch (m_session.presence()) {
    case WalletSession::Presence::Searching:
        m_info.reset();
        setState(State::Searching);
        break;
    case WalletSession::Presence::NoKey:
        m_info.reset();
        setState(m_keys.rowCount() > 1 ? State::Choose : State::NoKey);
        break;
    case WalletSession::Presence::NoPermission:
        m_info.reset();
        setState(State::NoPermission);
        break;
    case WalletSession::Presence::Busy:
        m_info.reset();
        setState(State::Busy);
        break;
    case WalletSession::Presence::Present:
        setState(State::Reading);
        break;
    }
}

void KeyViewModel::refresh()
{
    if (m_session.presence() != WalletSession::Presence::Present) {
        return;
    }
    setState(State::Reading);
    const quint64 generation = m_session.generation();
    m_session.run<core::DeviceInfo>(
        this,
        [](core::ApduChannel& channel, PurseContext&) { return core::readDeviceInfo(channel); },
        [this, generation](core::Result<core::DeviceInfo> result) {
            if (generation != m_session.generation()) {
                return;
            }
            if (!result.ok()) {
                m_info.reset();
                m_error = ErrorText::describe(result.error());
                setState(State::Failed);
                return;
            }
            m_info = result.value();
            m_error.clear();
            switch (m_info->lifeCycle) {
            case core::LifeCycle::Blank:
                setState(State::Blank);
                break;
            case core::LifeCycle::Personalized:
                setState(State::Ready);
                break;
            case core::LifeCycle::BlockedTemporary:
            case core::LifeCycle::BlockedPermanent:
                setState(State::Blocked);
                break;
            case core::LifeCycle::Terminated:
                setState(State::Terminated);
                break;
            case core::LifeCycle::Unknown:
                m_error = tr("The key reports a state this wallet does not know. Update the wallet.");
                setState(State::Failed);
                break;
            }
            emit infoRead();
        });
}

void KeyViewModel::choose(int row)
{
    if (row < 0 || row >= m_keys.rowCount()) {
        return;
    }
    const QString id = m_keys.entries().at(row).id;
    m_keys.setCurrentId(id);
    emit keyChosen(id);
}

void KeyViewModel::issueDemo()
{
    if (canIssueDemo()) {
        setIssuing(true);
        emit issueRequested();
    }
}

void KeyViewModel::setIssuing(bool issuing, const QString& error)
{
    m_issuing = issuing;
    if (!error.isEmpty()) {
        m_error = error;
        m_state = State::Failed;
    }
    emit changed();
}

void KeyViewModel::setPurseState(State state)
{
    if (state != m_state) {
        setState(state);
    }
}

void KeyViewModel::setChoosing(bool choosing)
{
    if (choosing) {
        setState(State::Choose);
    } else if (m_state == State::Choose) {
        onPresenceChanged();
    }
}

QString KeyViewModel::lifeCycleLabel(core::LifeCycle lifeCycle)
{
    switch (lifeCycle) {
    case core::LifeCycle::Blank:
        return tr("blank");
    case core::LifeCycle::Personalized:
        return tr("issued");
    case core::LifeCycle::BlockedTemporary:
        return tr("blocked");
    case core::LifeCycle::BlockedPermanent:
        return tr("permanently blocked");
    case core::LifeCycle::Terminated:
        return tr("terminated");
    case core::LifeCycle::Unknown:
        break;
    }
    return tr("unknown");
}

QString KeyViewModel::serial() const
{
    return m_info ? m_info->serialHex() : QString();
}

QString KeyViewModel::firmwareVersion() const
{
    return m_info ? m_info->firmwareVersion() : QString();
}

QString KeyViewModel::lifeCycleText() const
{
    return m_info ? lifeCycleLabel(m_info->lifeCycle) : QString();
}

QString KeyViewModel::description() const
{
    // The device layer names the simulated key in English ("Simulated key 127.0.0.1:port"): said in the user's
    // language here (issue 17 item 11). A USB key's product name and path are shown as the system gives them.
    const QString d = m_session.description();
    const QString simulatedPrefix = QStringLiteral("Simulated key ");
    if (d.startsWith(simulatedPrefix)) {
        //: the simulated key's connection, %1 = its loopback address and port
        return tr("Simulated key at %1").arg(d.mid(simulatedPrefix.size()));
    }
    return d;
}

QString KeyViewModel::fixCommand() const
{
    if (m_state != State::NoPermission) {
        return {};
    }
    const QString detail = m_session.presenceDetail();
    return detail.isEmpty() ? QStringLiteral("sudo cp 70-smartkey.rules /etc/udev/rules.d/ && sudo udevadm control "
                                             "--reload && sudo udevadm trigger")
                            : detail;
}

QString KeyViewModel::title() const
{
    switch (m_state) {
    case State::Searching:
        return tr("Looking for your key…");
    case State::NoKey:
        return tr("No key found");
    case State::NoPermission:
        return tr("The key cannot be opened");
    case State::Busy:
        return tr("The key is in use");
    case State::Choose:
        return tr("Choose a key");
    case State::Reading:
        return tr("Reading the key…");
    case State::Ready:
    case State::Blank:
        return simulated() ? tr("Simulated key") : tr("SmartKey");
    case State::Blocked:
        return tr("The purse is blocked");
    case State::Terminated:
        return tr("The key is no longer usable");
    case State::Expired:
        return tr("The purse has expired");
    case State::Failed:
        return tr("The key could not be read");
    }
    return {};
}

QString KeyViewModel::message() const
{
    switch (m_state) {
    case State::Searching:
    case State::Reading:
        return tr("This takes a moment.");
    case State::NoKey:
        return tr("Insert your SmartKey into a USB port. The wallet notices it by itself.");
    case State::NoPermission:
        return tr("A key is plugged in, but this computer does not allow the wallet to open it. Install the "
                  "SmartKey device rule with the command below, then unplug the key and insert it again.");
    case State::Busy:
        return tr("Another program is using the key. Close that program; the wallet retries by itself.");
    case State::Choose:
        return tr("Several keys are plugged in. Choose the one you want to use.");
    case State::Ready:
        return tr("Your key is ready.");
    case State::Blank:
        return simulated() ? tr("This simulated key has not been issued yet. Issue it with the demo profile to try "
                                "the wallet (PIN 123456).")
                           : tr("This key has not been issued yet. Your bank issues it at the branch; until then it "
                                "holds no purse.");
    case State::Blocked:
        return tr("The purse on this key is blocked. Bring the key and your ID to a branch of your bank to "
                  "unblock it.");
    case State::Terminated:
        return tr("This key has been permanently blocked by your bank. Ask your bank for a replacement key.");
    case State::Expired:
        return tr("The purse on this key is past its validity date. Ask your bank to renew it; the remaining "
                  "balance is refunded or moved to the new key.");
    case State::Failed:
        return m_error;
    }
    return {};
}

QString KeyViewModel::statusLine() const
{
    if (!m_info) {
        return title();
    }
    const QString who = simulated() ? tr("Simulated key") : tr("SmartKey");
    //: %1 = "Simulated key" or "SmartKey", %2 = serial, %3 = firmware version, %4 = life cycle ("blank")
    return tr("%1 — serial %2, firmware %3, %4").arg(who, serial(), firmwareVersion(), lifeCycleText());
}

} // namespace wallet::app
