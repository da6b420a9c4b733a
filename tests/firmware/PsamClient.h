// SPDX-License-Identifier: Apache-2.0
// Test-side client of the token's PSAM application (docs/psam.md): the bank's personalisation APDUs (secure
// messaging with KT, as spec §6) and the terminal's purchase commands, as raw APDUs.
#pragma once

#include "TokenDriver.h"

#include <cstdint>

namespace skey::test {

struct PsamClient
{
    explicit PsamClient(host::HostToken& t)
        : token(t)
    { }

    static Bytes kt() { return hex("4B544B544B544B544B544B544B544B54"); }
    static Bytes u32(std::uint32_t v)
    {
        return {static_cast<std::uint8_t>(v >> 24),
            static_cast<std::uint8_t>(v >> 16),
            static_cast<std::uint8_t>(v >> 8),
            static_cast<std::uint8_t>(v)};
    }

    Bytes select() { return transmit(token, hex("00A4040009D1560000015053414D00")); }
    /// WRITE KEY `84 D4 00 27`: a purchase master key (index, version, algID).
    Bytes writeKey(std::uint8_t index, std::uint8_t version, std::uint8_t alg, const Bytes& key)
    {
        Bytes plain{19, index, version, alg};
        plain.insert(plain.end(), key.begin(), key.end());
        return Issuer(token).writeKey(kt(), 0x27, plain);
    }
    Bytes putTerminalId(const Bytes& tid) { return Issuer(token).sendSecure(hex("84DA0001"), tid, kt()); }
    Bytes putTsn(std::uint32_t tsn) { return Issuer(token).sendSecure(hex("84DA0002"), u32(tsn), kt()); }
    Bytes end() { return Issuer(token).sendSecure(hex("84EA0000"), {}, kt()); }

    /// The whole personalisation: select, the 3DES and SM4 master keys (index 1, version 1), terminal ID, TSN, END.
    std::uint16_t personalize(const Bytes& mpk, const Bytes& tid, std::uint32_t tsn, bool finish = true)
    {
        for (const Bytes& r :
            {select(), writeKey(1, 1, 0x00, mpk), writeKey(1, 1, 0x04, mpk), putTerminalId(tid), putTsn(tsn)}) {
            if (swOf(r) != 0x9000) {
                return swOf(r);
            }
        }
        return finish ? swOf(end()) : std::uint16_t(0x9000);
    }

    /// INIT FOR PURCHASE `80 70 00 00 1D … 08`.
    static Bytes initApdu(const Bytes& random,
        std::uint16_t atc,
        std::uint32_t amount,
        const Bytes& date,
        const Bytes& time,
        std::uint8_t keyIndex,
        std::uint8_t keyVersion,
        std::uint8_t alg,
        const Bytes& asn,
        std::uint8_t type = 0x06)
    {
        return cat({hex("807000001D"),
            random,
            Bytes{static_cast<std::uint8_t>(atc >> 8), static_cast<std::uint8_t>(atc)},
            u32(amount),
            Bytes{type},
            date,
            time,
            Bytes{keyIndex, keyVersion, alg},
            asn,
            hex("08")});
    }
    Bytes init(const Bytes& apdu) { return transmit(token, apdu); }
    /// VERIFY MAC2 `80 72 00 00 0C TSN ‖ MAC2 ‖ TAC`.
    Bytes mac2(std::uint32_t tsn, const Bytes& mac2, const Bytes& tac)
    {
        return transmit(token, cat({hex("807200000C"), u32(tsn), mac2, tac}));
    }
    Bytes status() { return transmit(token, hex("80F2000011")); }
    std::uint32_t nextTsn()
    {
        const Bytes s = status();
        return (std::uint32_t(s[7]) << 24) | (std::uint32_t(s[8]) << 16) | (std::uint32_t(s[9]) << 8) | s[10];
    }
    int recordCount()
    {
        const Bytes s = status();
        int n = 0;
        for (int i = 12; i < 17; ++i) {
            n += __builtin_popcount(s[i]);
        }
        return n;
    }
    Bytes readRecord(std::uint8_t slot) { return transmit(token, cat({hex("80B2"), Bytes{slot}, hex("0028")})); }
    /// `80 F4 P1 00 04 TSN`: 01 settled, 02 abandoned, 03 set aside.
    Bytes recordState(std::uint8_t p1, std::uint32_t tsn)
    {
        return transmit(token, cat({hex("80F4"), Bytes{p1}, hex("0004"), u32(tsn)}));
    }

    host::HostToken& token;
};

} // namespace skey::test
