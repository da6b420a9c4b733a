// SPDX-License-Identifier: Apache-2.0
// Edge-triggered user presence (Decision 11): a touch confirms only when the button is seen released and then
// pressed after the request began, each state held for kDebounceMs. A button held, or taped down, from before the
// request confirms nothing, however long it stays down; contact bounce shorter than kDebounceMs is ignored.
// Platform-independent: the MCU's button driver samples a GPIO into it.
#pragma once

#include <cstdint>

namespace skey {

class TouchEdge
{
public:
    static constexpr std::uint32_t kDebounceMs = 20;

    /// A new request at time `now` (ms): no earlier press counts.
    void start(std::uint32_t now)
    {
        m_state = State::WaitRelease;
        m_since = now;
    }

    /// One sample of the button; true once the press that follows a release has been held for kDebounceMs.
    [[nodiscard]] bool sample(bool pressed, std::uint32_t now)
    {
        switch (m_state) {
        case State::WaitRelease:
            if (pressed) {
                m_since = now; // still (or again) down: the release has to last kDebounceMs from here
            } else if (now - m_since >= kDebounceMs) {
                m_state = State::Released;
            }
            return false;
        case State::Released:
            if (pressed) {
                m_state = State::Pressing;
                m_since = now;
            }
            return false;
        case State::Pressing:
            if (!pressed) {
                m_state = State::WaitRelease; // bounce: released again, start over
                m_since = now;
                return false;
            }
            return now - m_since >= kDebounceMs;
        }
        return false;
    }

private:
    enum class State : std::uint8_t { WaitRelease, Released, Pressing };
    State m_state = State::WaitRelease;
    std::uint32_t m_since = 0;
};

} // namespace skey
