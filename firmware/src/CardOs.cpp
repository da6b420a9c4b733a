// SPDX-License-Identifier: Apache-2.0
#include "CardOs.h"

#include "skey/HidWire.h"
#include "skey/Version.h"

#include <algorithm>
#include <array>

namespace skey {
namespace {

constexpr std::array<std::uint8_t, 10> kDefaultAid{0xD1, 0x56, 0x00, 0x00, 0x01, 0x45, 0x44, 0x2F, 0x45, 0x50};

std::size_t sw(std::span<std::uint8_t> out, std::size_t at, std::uint16_t word)
{
    out[at] = static_cast<std::uint8_t>(word >> 8);
    out[at + 1] = static_cast<std::uint8_t>(word & 0xFF);
    return at + 2;
}

} // namespace

CardOs::CardOs(hal::Platform& platform)
    : m_platform(platform)
{
}

void CardOs::powerOn() {}

std::size_t CardOs::process(std::span<const std::uint8_t> command, std::span<std::uint8_t> response)
{
    if (command.size() < 4) {
        return sw(response, 0, 0x6700);
    }
    const std::uint8_t cla = command[0];
    const std::uint8_t ins = command[1];
    // GET DATA device info (spec §6): C1 serial 8, C2 firmware 3, C3 life cycle 1, C4 HID protocol 1, C5 caps 2.
    if (cla == 0x80 && ins == 0xCA && command[2] == 0x00 && command[3] == 0x01) {
        std::size_t n = 0;
        response[n++] = 0xC1;
        response[n++] = 8;
        std::array<std::uint8_t, 8> serial{};
        m_platform.system.deviceSerial(serial);
        for (auto b : serial) {
            response[n++] = b;
        }
        const std::uint8_t rest[] = {0xC2, 3, kFirmwareMajor, kFirmwareMinor, kFirmwareBuild, 0xC3, 1, 0x00,
                                     0xC4, 1, wire::kProtocolVersion, 0xC5, 2, 0x00, 0x03};
        for (auto b : rest) {
            response[n++] = b;
        }
        return sw(response, n, 0x9000);
    }
    // SELECT by name (spec §1). The skeleton knows only the default AID of a blank token.
    if (cla == 0x00 && ins == 0xA4) {
        if (command[2] != 0x04 || command[3] != 0x00) {
            return sw(response, 0, 0x6A86);
        }
        if (command.size() < 5 || command[4] + 5u > command.size()) {
            return sw(response, 0, 0x6700);
        }
        const std::span<const std::uint8_t> name = command.subspan(5, command[4]);
        if (name.size() != kDefaultAid.size() || !std::equal(name.begin(), name.end(), kDefaultAid.begin())) {
            return sw(response, 0, 0x6A82);
        }
        std::size_t n = 0;
        response[n++] = 0x6F;
        response[n++] = static_cast<std::uint8_t>(2 + kDefaultAid.size() + 2 + 4 + 2 + 30);
        response[n++] = 0x84;
        response[n++] = static_cast<std::uint8_t>(kDefaultAid.size());
        for (auto b : kDefaultAid) {
            response[n++] = b;
        }
        response[n++] = 0xA5;
        response[n++] = 4 + 2 + 30;
        response[n++] = 0x9F;
        response[n++] = 0x08;
        response[n++] = 1;
        response[n++] = 0x02;
        response[n++] = 0x9F;
        response[n++] = 0x0C;
        response[n++] = 30;
        for (int i = 0; i < 30; ++i) {
            response[n++] = 0;
        }
        return sw(response, n, 0x9000);
    }
    return sw(response, 0, cla == 0x00 || cla == 0x80 || cla == 0x04 || cla == 0x84 ? 0x6D00 : 0x6E00);
}

} // namespace skey
