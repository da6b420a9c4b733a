// SPDX-License-Identifier: Apache-2.0
// One simulated token in-process: the card OS on the host platform. Used by the simulator executable and by tests
// that drive the firmware directly (vectors, tearing, model-based tests).
#pragma once

#include "CardOs.h"
#include "HostCrypto.h"
#include "HostNvm.h"
#include "HostRng.h"
#include "HostSystem.h"

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace skey::host {

class HostToken
{
public:
    static constexpr std::array<std::uint8_t, 8> kDefaultSerial{0x53, 0x4B, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};

    explicit HostToken(const std::array<std::uint8_t, 8>& serial = kDefaultSerial);

    /// Sends one command APDU, returns data ‖ SW1 SW2.
    [[nodiscard]] std::vector<std::uint8_t> process(std::span<const std::uint8_t> command);
    /// Power comes back after a cut (or a plain reset): NVM kept, volatile state lost, journal recovered.
    void powerCycle();

    HostNvm& nvm() { return m_nvm; }
    HostRng& rng() { return m_rng; }
    HostSystem& system() { return m_system; }
    HostPresence& presence() { return m_presence; }
    CardOs& os() { return m_os; }

private:
    HostNvm m_nvm;
    HostRng m_rng;
    HostCrypto m_crypto;
    HostPresence m_presence;
    HostSystem m_system;
    hal::Platform m_platform;
    CardOs m_os;
    std::vector<std::uint8_t> m_response;
};

} // namespace skey::host
