// SPDX-License-Identifier: Apache-2.0
// Host-side CTAPHID packet encoding (spec/token-hid.md "Packets"), shared by every transport.
#pragma once

#include "device/Transport.h"

#include <QByteArray>

#include <cstdint>
#include <vector>

namespace wallet::device {

class HidFraming
{
public:
    /// Splits one message into its init packet and continuations. Empty when the payload exceeds 7609 bytes.
    [[nodiscard]] static std::vector<Report> fragment(
        std::uint32_t cid, skey::wire::Cmd cmd, const QByteArray& payload);
    [[nodiscard]] static std::uint32_t cidOf(const Report& report);
    [[nodiscard]] static bool isInitPacket(const Report& report) { return (report[4] & skey::wire::kInitBit) != 0; }
    /// Command of an init packet, without bit 7.
    [[nodiscard]] static std::uint8_t commandOf(const Report& report)
    {
        return static_cast<std::uint8_t>(report[4] & ~skey::wire::kInitBit);
    }
    [[nodiscard]] static QString errorName(std::uint8_t code);
};

} // namespace wallet::device
