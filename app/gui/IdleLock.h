// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QObject>
#include <QTimer>

#include <chrono>

namespace wallet::app {

/**
 * @brief Locks the wallet after a time without the cardholder touching it (issue 9 item 14): armed while the wallet
 * is unlocked, restarted by every key press, click, wheel or touch in the application, and by the end of each
 * operation. When it runs out, expired() is emitted once. The timeout is injected (CompositionRoot::Options), so
 * tests use a short one instead of waiting five minutes.
 */
class IdleLock : public QObject
{
    Q_OBJECT

public:
    static constexpr std::chrono::milliseconds kDefaultTimeout = std::chrono::minutes(5);

    explicit IdleLock(std::chrono::milliseconds timeout, QObject* parent = nullptr);
    ~IdleLock() override;

    /// Armed: counting (restarted from now). Disarmed: stopped (the wallet is locked anyway).
    void setArmed(bool armed);
    [[nodiscard]] bool armed() const { return m_armed; }
    /// The cardholder did something (or an operation ended): counting starts again.
    void activity();
    [[nodiscard]] std::chrono::milliseconds timeout() const { return m_timeout; }

signals:
    void expired();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    std::chrono::milliseconds m_timeout;
    QTimer m_timer;
    bool m_armed = false;
};

} // namespace wallet::app
