// SPDX-License-Identifier: Apache-2.0
// HAL: the true random number generator. Required.
#pragma once

#include <cstdint>
#include <span>

namespace skey::hal {

/**
 * Fills `out` with random bytes from the hardware TRNG (on the host: a seedable DRBG so tests can force the card
 * random). Blocks until done (a few µs per word). Returns false on a health-test failure; the caller must then
 * refuse the operation that needed the random. The caller owns `out`.
 */
class Rng
{
public:
    virtual ~Rng() = default;
    [[nodiscard]] virtual bool fill(std::span<std::uint8_t> out) = 0;
};

} // namespace skey::hal
