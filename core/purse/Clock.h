// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QDateTime>

namespace wallet::core {

/// The terminal's clock: the token has none (spec conventions), so dates and times of transactions and the validity
/// check come from here. Tests inject a FixedClock.
class Clock
{
public:
    virtual ~Clock() = default;
    [[nodiscard]] virtual QDateTime now() const = 0;
};

class SystemClock final : public Clock
{
public:
    [[nodiscard]] QDateTime now() const override { return QDateTime::currentDateTime(); }
};

class FixedClock final : public Clock
{
public:
    explicit FixedClock(QDateTime t)
        : m_now(std::move(t))
    { }
    void set(QDateTime t) { m_now = std::move(t); }
    void advanceSeconds(int s) { m_now = m_now.addSecs(s); }
    [[nodiscard]] QDateTime now() const override { return m_now; }

private:
    QDateTime m_now;
};

} // namespace wallet::core
