// SPDX-License-Identifier: Apache-2.0
#include "HostRng.h"

namespace skey::host {

HostRng::HostRng()
    : m_engine((static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}())
{ }

HostRng::HostRng(std::uint64_t seed)
    : m_engine(seed)
{ }

void HostRng::seed(std::uint64_t seed)
{
    m_engine.seed(seed);
    m_forced.clear();
}

void HostRng::force(std::span<const std::uint8_t> bytes)
{
    m_forced.insert(m_forced.end(), bytes.begin(), bytes.end());
}

bool HostRng::fill(std::span<std::uint8_t> out)
{
    for (auto& b : out) {
        if (!m_forced.empty()) {
            b = m_forced.front();
            m_forced.pop_front();
        } else {
            b = static_cast<std::uint8_t>(m_engine() >> 56);
        }
    }
    return true;
}

} // namespace skey::host
