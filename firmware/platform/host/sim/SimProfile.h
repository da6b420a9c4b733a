// SPDX-License-Identifier: Apache-2.0
// Personalising the simulated token from a profile (JSON): the core's issuance (core/issuance) drives the real
// spec §6 APDUs into the token in-process, as a branch terminal would over USB. Host tool only: this is the one
// place the simulator links wallet_core.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace skey::sim {

enum class ProfileOutcome : std::uint8_t { Issued, AlreadyIssued, Failed };

/// The profile's transport key (its "transportKey"), or false when the profile cannot be read.
bool profileTransportKey(const std::string& path, std::array<std::uint8_t, 16>& kt);

/// `process` sends one APDU to the token and returns its answer. `message` receives what happened.
ProfileOutcome applyProfile(const std::string& path,
    const std::function<std::vector<std::uint8_t>(std::span<const std::uint8_t>)>& process,
    std::string& message);

} // namespace skey::sim
