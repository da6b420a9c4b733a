// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "app/gui/KeyListModel.h"
#include "core/purse/DeviceInfo.h"

#include <QObject>
#include <QString>
#include <QtQml/qqmlregistration.h>

#include <optional>

namespace wallet::app {

class WalletSession;

/**
 * @brief The key page: is there a key, may we open it, which one, what is it (serial, firmware, life cycle)?
 * Every state has words for the cardholder and, where there is one, the next step (the udev fix, "see your bank").
 */
class KeyViewModel : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("Created by the wallet")

    Q_PROPERTY(State state READ state NOTIFY changed)
    /// True for the simulated key: the UI shows a permanent banner.
    Q_PROPERTY(bool simulated READ simulated NOTIFY changed)
    /// A short headline for the state ("Simulated key", "No key found", …).
    Q_PROPERTY(QString title READ title NOTIFY changed)
    /// What to do next, in one or two sentences.
    Q_PROPERTY(QString message READ message NOTIFY changed)
    /// "Simulated key — serial 534B…0001, firmware 0.1.0, blank": one line for the header.
    Q_PROPERTY(QString statusLine READ statusLine NOTIFY changed)
    Q_PROPERTY(QString serial READ serial NOTIFY changed)
    Q_PROPERTY(QString firmwareVersion READ firmwareVersion NOTIFY changed)
    Q_PROPERTY(QString lifeCycleText READ lifeCycleText NOTIFY changed)
    Q_PROPERTY(QString description READ description NOTIFY changed)
    /// For NoPermission: the command that installs the udev rule.
    Q_PROPERTY(QString fixCommand READ fixCommand NOTIFY changed)
    Q_PROPERTY(bool busy READ busy NOTIFY changed)
    Q_PROPERTY(wallet::app::KeyListModel* keys READ keys CONSTANT)
    /// A blank simulated key can be issued here with the demo profile (development and demonstrations).
    Q_PROPERTY(bool canIssueDemo READ canIssueDemo NOTIFY changed)
    Q_PROPERTY(bool issuing READ issuing NOTIFY changed)
    /// The key waits for its button to be touched (a payment it must confirm): the window shows the touch prompt.
    Q_PROPERTY(bool touchPending READ touchPending NOTIFY touchPendingChanged)

public:
    enum class State : std::uint8_t {
        Searching, ///< looking for a key
        NoKey, ///< none present
        NoPermission, ///< present, cannot be opened (udev)
        Busy, ///< held by another program
        Choose, ///< several keys: pick one
        Reading, ///< a key is attached, reading its info
        Ready, ///< personalised, usable
        Blank, ///< not issued yet
        Blocked, ///< purse blocked
        Terminated, ///< permanently blocked
        Expired, ///< past its validity
        Failed, ///< could not read the key
    };
    Q_ENUM(State)

    explicit KeyViewModel(WalletSession& session, QObject* parent = nullptr);

    [[nodiscard]] State state() const { return m_state; }
    [[nodiscard]] bool simulated() const;
    [[nodiscard]] QString title() const;
    [[nodiscard]] QString message() const;
    [[nodiscard]] QString statusLine() const;
    [[nodiscard]] QString serial() const;
    [[nodiscard]] QString firmwareVersion() const;
    [[nodiscard]] QString lifeCycleText() const;
    [[nodiscard]] QString description() const;
    [[nodiscard]] QString fixCommand() const;
    [[nodiscard]] bool busy() const { return m_state == State::Reading || m_state == State::Searching; }
    [[nodiscard]] KeyListModel* keys() { return &m_keys; }
    [[nodiscard]] const std::optional<core::DeviceInfo>& info() const { return m_info; }
    [[nodiscard]] bool canIssueDemo() const { return m_state == State::Blank && simulated() && !m_issuing; }
    [[nodiscard]] bool issuing() const { return m_issuing; }
    void setIssuing(bool issuing, const QString& error = {});

    /// Reads the key's info again.
    Q_INVOKABLE void refresh();
    /// Chooses a key from the list (row of `keys`).
    Q_INVOKABLE void choose(int row);
    /// Issues the blank simulated key with the demo profile (see canIssueDemo).
    Q_INVOKABLE void issueDemo();
    [[nodiscard]] bool touchPending() const;
    /// The touch prompt's Cancel: asks the key to give up the waiting command (HID CANCEL); it answers 6F00 and
    /// nothing moves.
    Q_INVOKABLE void cancelTouch();

    /// The overview found the purse past its validity or blocked: the key page says so.
    void setPurseState(State state);
    /// Several keys present and none chosen yet.
    void setChoosing(bool choosing);

    [[nodiscard]] static QString lifeCycleLabel(core::LifeCycle lifeCycle);

signals:
    void changed();
    /// Emitted when the user picks a key; the composition root tells the device manager.
    void keyChosen(const QString& id);
    /// The user asked to issue the blank simulated key.
    void issueRequested();
    /// The key's info was read (a new key, or a refresh).
    void infoRead();
    void touchPendingChanged();

private:
    void onPresenceChanged();
    void setState(State state);

    WalletSession& m_session;
    KeyListModel m_keys;
    State m_state = State::Searching;
    std::optional<core::DeviceInfo> m_info;
    QString m_error;
    bool m_issuing = false;
};

} // namespace wallet::app
