// SPDX-License-Identifier: Apache-2.0
// Host platform: the RNG HAL. Seeded (deterministic) for tests and reproducible runs, or from the OS when unseeded;
// tests can also queue exact bytes to force the card random of a golden-vector flow.
#pragma once

#include "hal/Rng.h"

#include <cstdint>
#include <deque>
#include <random>

namespace skey::host {

class HostRng final : public hal::Rng
{
public:
    HostRng(); ///< seeded from std::random_device
    explicit HostRng(std::uint64_t seed); ///< deterministic
    void seed(std::uint64_t seed);
    /// The next fill() calls return these bytes first, in order (then the generator resumes).
    void force(std::span<const std::uint8_t> bytes);
    bool fill(std::span<std::uint8_t> out) override;

private:
    std::mt19937_64 m_engine;
    std::deque<std::uint8_t> m_forced;
};

} // namespace skey::host
