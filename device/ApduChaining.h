// SPDX-License-Identifier: Apache-2.0
// Host side of bounded APDUs (docs/transport.md "Bounded APDUs"): a command APDU longer than the key's announced
// bound is sent as an ISO 7816-4 command chain of short APDUs (CLA bit 0x10 on every link but the last), and the
// parts of a long answer are fetched with GET RESPONSE while the key answers 61xx.
#pragma once

#include <QByteArray>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace wallet::device::chaining {

/// The links of `apdu` (a short or extended command APDU, cases 1–4): short APDUs of at most 255 data bytes each,
/// CLA | 0x10 on all but the last, which carries the Le (00 for "as much as there is", i.e. any Le ≥ 256).
/// nullopt when `apdu` is not a well-formed APDU, or its CLA has bit 0x10 set already (the caller chains itself).
[[nodiscard]] std::optional<std::vector<QByteArray>> split(const QByteArray& apdu);

/// GET RESPONSE for the `sw2` of a 61xx answer: `00 C0 00 00 sw2` (00 = 256 bytes).
[[nodiscard]] QByteArray getResponse(std::uint8_t sw2);

/// SW1 SW2 of a response APDU (at least 2 bytes).
[[nodiscard]] std::uint16_t statusWord(const QByteArray& response);

} // namespace wallet::device::chaining
