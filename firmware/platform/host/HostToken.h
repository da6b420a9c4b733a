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
#include <optional>
#include <span>
#include <vector>

namespace skey::host {

class HostToken
{
public:
    static constexpr std::array<std::uint8_t, 8> kDefaultSerial{0x53, 0x4B, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};

    /// The development transport key (spec §6), used when no factory key is given.
    static constexpr std::array<std::uint8_t, 16> kDevelopmentTransportKey{
        0x4B, 0x54, 0x4B, 0x54, 0x4B, 0x54, 0x4B, 0x54, 0x4B, 0x54, 0x4B, 0x54, 0x4B, 0x54, 0x4B, 0x54};

    /// The development manufacturer key, ASCII "SKEY-DEV-MFR-KEY" (docs/firmware.md "Transport keys"): a factory
    /// derives each blank key's KT from its manufacturer key and the device serial; the simulator does the same
    /// with this key, and the bank host installs it only to issue simulated keys (`bankctl keys manufacturer
    /// --development`).
    static constexpr std::array<std::uint8_t, 16> kDevelopmentManufacturerKey{
        'S', 'K', 'E', 'Y', '-', 'D', 'E', 'V', '-', 'M', 'F', 'R', '-', 'K', 'E', 'Y'};

    /// KT = 3DES(MK, serial) ‖ 3DES(MK, NOT serial): spec §5.1's diversification with the device serial as the
    /// factor (docs/firmware.md "Transport keys"; the bank derives the same in its HSM).
    [[nodiscard]] static std::array<std::uint8_t, 16> deriveTransportKey(
        const std::array<std::uint8_t, 16>& manufacturerKey, const std::array<std::uint8_t, 8>& serial);

    /// The serial stored in an NVM file's host-side trailer ("SKSERIAL" ‖ 8 bytes, written by skey-sim), if any.
    [[nodiscard]] static std::optional<std::array<std::uint8_t, 8>> serialFromTrailer(
        const std::vector<std::uint8_t>& trailer);

    /// A token on a fresh NVM; when the NVM holds no transport key yet, the factory step runs with the
    /// development key (call manufacture() to give it its own).
    explicit HostToken(const std::array<std::uint8_t, 8>& serial = kDefaultSerial);
    /// The same with a given NVM geometry (tests use small NVMs to reach garbage collection quickly).
    HostToken(const std::array<std::uint8_t, 8>& serial, std::size_t nvmPageSize, std::size_t nvmPageCount);

    /// Factory step: erases the NVM and stores `transportKey` as this token's KT; the token is then BLANK.
    /// Returns false when the NVM failed.
    [[nodiscard]] bool manufacture(const std::array<std::uint8_t, 16>& transportKey);

    /// Sends one command APDU on `channel` (spec §6a; kDirectChannel = the PC/SC link), returns data ‖ SW1 SW2.
    [[nodiscard]] std::vector<std::uint8_t> process(
        std::span<const std::uint8_t> command, ChannelId channel = kDirectChannel);
    /// Power comes back after a cut (or a plain reset): NVM kept, volatile state lost, journal recovered. An NVM
    /// without a transport key (e.g. a new image file) gets the development key.
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
