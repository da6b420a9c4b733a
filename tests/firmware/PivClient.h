// SPDX-License-Identifier: Apache-2.0
// Test-side PIV client over a HostToken: the host half of the PIV commands (SP 800-73-4 Part 2), with Botan doing
// the host's cryptography (management-key TDES, signature and ECDH checks). Used by test_firmware_Piv.
#pragma once

#include "TokenDriver.h"

#include <botan/block_cipher.h>

#include <cstdint>
#include <string>

namespace skey::test {

inline const Bytes kPivDefaultMgmtKey = hex("010203040506070801020304050607080102030405060708");

class PivClient
{
public:
    explicit PivClient(host::HostToken& token)
        : m_token(token)
    { }

    Bytes send(const Bytes& apdu) { return m_token.process(apdu); }
    Bytes select() { return send(hex("00A4040005A000000308")); }

    /// Sends `ins p1 p2` with `data` as a chain of short APDUs (CLA 10 on all but the last, `link` bytes each), then
    /// collects a long answer through GET RESPONSE. Returns data ‖ SW of the last answer.
    Bytes chained(std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, const Bytes& data, std::size_t link = 255)
    {
        std::size_t at = 0;
        Bytes r;
        do {
            const std::size_t n = std::min(link, data.size() - at);
            const bool last = at + n == data.size();
            Bytes apdu{static_cast<std::uint8_t>(last ? 0x00 : 0x10), ins, p1, p2};
            if (n > 0) {
                apdu.push_back(static_cast<std::uint8_t>(n));
                apdu.insert(apdu.end(), data.begin() + static_cast<long>(at), data.begin() + static_cast<long>(at + n));
            }
            if (last) {
                apdu.push_back(0x00);
            }
            r = send(apdu);
            at += n;
            if (!last && swOf(r) != 0x9000) {
                return r;
            }
        } while (at < data.size());
        return collect(r);
    }

    /// Follows 61xx answers with GET RESPONSE; returns all data ‖ the final SW.
    Bytes collect(Bytes r)
    {
        Bytes all;
        while (r.size() >= 2 && r[r.size() - 2] == 0x61) {
            all.insert(all.end(), r.begin(), r.end() - 2);
            r = send(hex("00C0000000"));
        }
        all.insert(all.end(), r.begin(), r.end());
        return all;
    }

    Bytes verifyPin(const std::string& pin) { return send(cat({hex("0020008008"), padded(pin)})); }
    static Bytes padded(const std::string& v)
    {
        Bytes b(v.begin(), v.end());
        b.resize(8, 0xFF);
        return b;
    }

    /// Mutual authentication with the management key (the witness flow yubico-piv-tool uses). Returns the SW.
    std::uint16_t authenticate(const Bytes& key = kPivDefaultMgmtKey, bool corruptWitness = false)
    {
        const Bytes r1 = send(hex("0087039B047C028000"));
        if (swOf(r1) != 0x9000 || r1.size() != 14) {
            return swOf(r1);
        }
        Bytes witness(r1.begin() + 4, r1.begin() + 12);
        tdes(key, witness, false);
        if (corruptWitness) {
            witness[0] ^= 1;
        }
        const Bytes challenge = hex("1122334455667788");
        const Bytes r2 = send(cat({hex("0087039B167C14 8008"), witness, hex("8108"), challenge}));
        if (swOf(r2) != 0x9000) {
            return swOf(r2);
        }
        Bytes expected = challenge;
        tdes(key, expected, true);
        if (r2.size() != 14 || !std::equal(expected.begin(), expected.end(), r2.begin() + 4)) {
            return 0xBAD0; // the card did not prove it holds the key
        }
        return 0x9000;
    }

    static void tdes(const Bytes& key, Bytes& block, bool encrypt)
    {
        auto c = Botan::BlockCipher::create_or_throw("TripleDES");
        c->set_key(key.data(), key.size());
        if (encrypt) {
            c->encrypt(block.data());
        } else {
            c->decrypt(block.data());
        }
    }

    /// GENERATE ASYMMETRIC KEY PAIR; returns the uncompressed point (empty on error, `lastSw` says why).
    Bytes generate(std::uint8_t slot, std::uint8_t alg)
    {
        const Bytes r = send(Bytes{0x00, 0x47, 0x00, slot, 0x05, 0xAC, 0x03, 0x80, 0x01, alg, 0x00});
        lastSw = swOf(r);
        if (lastSw != 0x9000) {
            return {};
        }
        // 7F49 L 86 L point
        const std::size_t pointLength = r[4];
        return Bytes(r.begin() + 5, r.begin() + 5 + static_cast<long>(pointLength));
    }

    /// GENERAL AUTHENTICATE sign; returns the DER signature (empty on error, `lastSw`).
    Bytes sign(std::uint8_t slot, std::uint8_t alg, const Bytes& digest)
    {
        const Bytes inner = cat({hex("8200 81"), Bytes{static_cast<std::uint8_t>(digest.size())}, digest});
        const Bytes data = cat({Bytes{0x7C, static_cast<std::uint8_t>(inner.size())}, inner});
        const Bytes r
            = send(cat({Bytes{0x00, 0x87, alg, slot, static_cast<std::uint8_t>(data.size())}, data, hex("00")}));
        lastSw = swOf(r);
        if (lastSw != 0x9000) {
            return {};
        }
        // 7C L 82 L der
        std::size_t pos = 1;
        pos += r[pos] == 0x81 ? 2 : 1;
        ++pos; // 82
        const std::size_t len = r[pos] == 0x81 ? r[pos + 1] : r[pos];
        pos += r[pos] == 0x81 ? 2 : 1;
        return Bytes(r.begin() + static_cast<long>(pos), r.begin() + static_cast<long>(pos + len));
    }

    Bytes getData(const Bytes& tag, bool extendedLe = false)
    {
        const Bytes data = cat({Bytes{0x5C, static_cast<std::uint8_t>(tag.size())}, tag});
        if (extendedLe) {
            return send(
                cat({hex("00CB3FFF00"), Bytes{0x00, static_cast<std::uint8_t>(data.size())}, data, hex("0000")}));
        }
        return collect(send(cat({hex("00CB3FFF"), Bytes{static_cast<std::uint8_t>(data.size())}, data, hex("00")})));
    }

    Bytes putData(const Bytes& tag, const Bytes& content)
    {
        Bytes len;
        if (content.size() < 0x80) {
            len = {static_cast<std::uint8_t>(content.size())};
        } else if (content.size() < 0x100) {
            len = {0x81, static_cast<std::uint8_t>(content.size())};
        } else {
            len = {0x82, static_cast<std::uint8_t>(content.size() >> 8), static_cast<std::uint8_t>(content.size())};
        }
        const Bytes data = cat({Bytes{0x5C, static_cast<std::uint8_t>(tag.size())}, tag, hex("53"), len, content});
        return chained(0xDB, 0x3F, 0xFF, data);
    }

    std::uint16_t lastSw = 0;

private:
    host::HostToken& m_token;
};

} // namespace skey::test
