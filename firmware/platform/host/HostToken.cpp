// SPDX-License-Identifier: Apache-2.0
#include "HostToken.h"

#include <algorithm>

namespace skey::host {

HostToken::HostToken(const std::array<std::uint8_t, 8>& serial)
    : HostToken(serial, HostNvm::kDefaultPageSize, HostNvm::kDefaultPageCount)
{ }

HostToken::HostToken(const std::array<std::uint8_t, 8>& serial, std::size_t nvmPageSize, std::size_t nvmPageCount)
    : m_nvm(nvmPageSize, nvmPageCount)
    , m_system(serial)
    , m_platform{m_nvm, m_rng, m_crypto, m_presence, m_system}
    , m_os(m_platform)
    , m_response(kMaxResponseApdu)
{
    m_os.powerOn();
    if (!m_os.manufactured()) {
        (void)m_os.factoryInit(kDevelopmentTransportKey);
    }
}

bool HostToken::manufacture(const std::array<std::uint8_t, 16>& transportKey)
{
    m_nvm.powerRestore();
    return m_os.factoryInit(transportKey);
}

std::vector<std::uint8_t> HostToken::process(std::span<const std::uint8_t> command, ChannelId channel)
{
    const std::size_t n = m_os.process(command, m_response, channel);
    return {m_response.begin(), m_response.begin() + static_cast<std::ptrdiff_t>(n)};
}

void HostToken::powerCycle()
{
    m_nvm.powerRestore();
    m_os.powerOn();
    if (!m_os.manufactured() && !m_nvm.powerLost()) {
        (void)m_os.factoryInit(kDevelopmentTransportKey);
    }
}

std::array<std::uint8_t, 16> HostToken::deriveTransportKey(
    const std::array<std::uint8_t, 16>& manufacturerKey, const std::array<std::uint8_t, 8>& serial)
{
    HostCrypto crypto;
    std::array<std::uint8_t, 8> inverted{};
    for (std::size_t i = 0; i < 8; ++i) {
        inverted[i] = static_cast<std::uint8_t>(~serial[i]);
    }
    std::array<std::uint8_t, 16> kt{};
    (void)crypto.tdesEncrypt(manufacturerKey, serial, std::span<std::uint8_t, 8>(kt.data(), 8));
    (void)crypto.tdesEncrypt(manufacturerKey, inverted, std::span<std::uint8_t, 8>(kt.data() + 8, 8));
    return kt;
}

std::optional<std::array<std::uint8_t, 8>> HostToken::serialFromTrailer(const std::vector<std::uint8_t>& trailer)
{
    static constexpr std::array<std::uint8_t, 8> kMagic{'S', 'K', 'S', 'E', 'R', 'I', 'A', 'L'};
    if (trailer.size() != 16 || !std::equal(kMagic.begin(), kMagic.end(), trailer.begin())) {
        return std::nullopt;
    }
    std::array<std::uint8_t, 8> serial{};
    std::copy(trailer.begin() + 8, trailer.end(), serial.begin());
    return serial;
}

} // namespace skey::host
