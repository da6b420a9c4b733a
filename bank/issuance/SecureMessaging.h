// SPDX-License-Identifier: Apache-2.0
// The commands the bank prepares for a token it personalises or services (a cardholder's key, a kiosk's SAM), with
// the secure-messaging MAC made inside the HSM: spec §5.3 and §6, docs/psam.md.
#pragma once

#include "bank/hsm/Hsm.h"

#include <QByteArray>

#include <cstdint>

namespace wallet::bank {

/// `cla ins p1 p2 Lc data` (no Le), the form of every command of spec §5.3 and §6.
[[nodiscard]] QByteArray plainCommand(
    std::uint8_t cla, std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, const QByteArray& data);

/// `cla ins p1 p2 Lc data MAC`: the retail MAC under `key` in the HSM over the header (Lc counting the MAC) and the
/// data; IV = the 8-byte challenge, or a 4-byte one ‖ 00000000.
[[nodiscard]] Result<QByteArray> macCommand(Hsm& hsm,
    const Hsm::DerivedKey& key,
    const QByteArray& challenge,
    std::uint8_t cla,
    std::uint8_t ins,
    std::uint8_t p1,
    std::uint8_t p2,
    const QByteArray& data);

} // namespace wallet::bank
