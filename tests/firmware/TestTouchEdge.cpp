// SPDX-License-Identifier: Apache-2.0
// Edge-triggered touch confirmation (firmware/src/TouchEdge.h, used by the MCU's button driver): a held or taped-down
// button confirms nothing; a release then a press, each held for the debounce time, confirms; bounces do not.
#include "TouchEdge.h"

#include <QtTest>

#include <vector>

using skey::TouchEdge;

namespace {

/// Feeds one sample per millisecond from `levels` (true = pressed); returns the time of the confirmation or -1.
int run(const std::vector<std::pair<int, bool>>& phases)
{
    TouchEdge e;
    e.start(0);
    std::uint32_t now = 0;
    for (const auto& [ms, pressed] : phases) {
        for (int i = 0; i < ms; ++i, ++now) {
            if (e.sample(pressed, now)) {
                return static_cast<int>(now);
            }
        }
    }
    return -1;
}

} // namespace

class TestTouchEdge : public QObject
{
    Q_OBJECT

private slots:
    void heldButtonConfirmsNothing() { QCOMPARE(run({{30000, true}}), -1); }
    void releaseThenPressConfirms() { QCOMPARE(run({{100, true}, {25, false}, {40, true}}), 100 + 25 + 20); }
    void pressAfterAnIdleStartConfirms() { QCOMPARE(run({{50, false}, {40, true}}), 50 + 20); }
    void shortReleaseOfAHeldButtonConfirmsNothing()
    {
        // Released for less than the debounce time (a loose tape, a bounce), then down again: still held.
        QCOMPARE(run({{100, true}, {5, false}, {30000, true}}), -1);
    }
    void bouncingPressConfirmsNothing()
    {
        QCOMPARE(run({{30, false}, {5, true}, {3, false}, {5, true}, {3, false}, {1000, false}}), -1);
    }
    void timeWrapsAround()
    {
        TouchEdge e;
        const std::uint32_t t0 = 0xFFFFFFF0u;
        e.start(t0);
        bool confirmed = false;
        for (std::uint32_t i = 0; i < 100 && !confirmed; ++i) {
            confirmed = e.sample(i >= 40, t0 + i);
        }
        QVERIFY(confirmed);
    }
};

QTEST_GUILESS_MAIN(TestTouchEdge)
#include "TestTouchEdge.moc"
