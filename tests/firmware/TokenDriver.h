// SPDX-License-Identifier: Apache-2.0
// Test-side driver for the token: hex helpers, the issuer's side of secure messaging and personalisation (§6) built
// from the firmware's own PbocCrypto over a separate HostCrypto, and a shortcut to personalise a token with real APDUs.
#pragma once

#include "HostCrypto.h"
#include "HostToken.h"
#include "PbocCrypto.h"

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace skey::test {

using Bytes = std::vector<std::uint8_t>;

Bytes hex(const std::string& text); ///< spaces ignored
std::string toHex(const Bytes& bytes);
std::uint16_t swOf(const Bytes& response);
Bytes cat(std::initializer_list<Bytes> parts);
std::array<std::uint8_t, 16> key16(const Bytes& bytes);
/// When set, every command the Issuer and Terminal helpers send is also appended here (fuzz corpus generation).
void setRecorder(std::vector<Bytes>* recorder);
/// The channel (spec §6a) the Issuer and Terminal helpers send on; kDirectChannel by default.
void setChannel(ChannelId channel);
Bytes transmit(host::HostToken& token, const Bytes& apdu);

struct KeySpec
{
    std::uint8_t type;
    std::uint8_t index;
    std::uint8_t version;
    std::uint8_t alg;
    Bytes key;
};

struct Profile
{
    std::vector<KeySpec> keys;
    Bytes pin = hex("123456");
    std::uint8_t tries = 3;
    Bytes sfi15; ///< 30 bytes, empty = leave zero
    Bytes sfi16; ///< 55 bytes, empty = leave zero
    int policy = -1; ///< -1 = default
    long noPinLimit = -1; ///< -1 = default
    long maxBalance = -1; ///< -1 = default
    int capacity = -1; ///< -1 = default
    bool end = true; ///< send END PERSONALIZATION
};

/// Keys every test profile needs (3DES, index 1, version 1), with the vectors' card keys for DLK/DPK/DTK.
Profile standardProfile(std::uint8_t alg = 0x00);

class Issuer
{
public:
    explicit Issuer(host::HostToken& token)
        : m_token(token)
        , m_crypto(m_engine)
    { }
    Bytes send(const Bytes& apdu) { return transmit(m_token, apdu); }
    /// GET CHALLENGE 4, then the command `header(4) ‖ Lc ‖ data ‖ MAC` with the retail/SM4 MAC of `key`.
    Bytes sendSecure(const Bytes& header, const Bytes& data, const Bytes& key, std::uint8_t alg = 0x00);
    /// Builds WRITE KEY ENC with KT and sends it through sendSecure.
    Bytes writeKey(const Bytes& kt, std::uint8_t type, const Bytes& plaintext);
    /// GET CHALLENGE 8 + EXTERNAL AUTHENTICATE with KT.
    Bytes openPersonalization(const Bytes& kt);
    /// The whole §6 issuance with real APDUs; QVERIFY-style: returns the first non-9000 SW, or 0x9000.
    std::uint16_t personalize(const Profile& p, const Bytes& kt = {});
    PbocCrypto& crypto() { return m_crypto; }

private:
    host::HostToken& m_token;
    host::HostCrypto m_engine;
    PbocCrypto m_crypto;
};

/// Transaction helpers (terminal + issuer host + PSAM in one, with the standard profile's keys).
struct Terminal
{
    explicit Terminal(host::HostToken& token, std::uint8_t alg = 0x00);
    Bytes select();
    Bytes verify(const Bytes& pin);
    /// Full load: INITIALIZE, MAC2, CREDIT. Returns the last response.
    Bytes load(std::uint32_t amount, bool corruptMac = false);
    Bytes purchase(std::uint32_t amount, bool corruptMac = false);
    /// The two halves of load() and purchase(): INITIALIZE, then the completion computed from its response.
    Bytes initLoad(std::uint32_t amount);
    Bytes credit(const Bytes& init, std::uint32_t amount, bool corruptMac = false);
    Bytes initPurchase(std::uint32_t amount);
    Bytes debit(const Bytes& init, std::uint32_t amount, bool corruptMac = false);
    std::uint32_t balance();

    host::HostToken& token;
    std::uint8_t alg;
    Bytes dlk, dpk, dtk;
    std::uint32_t tsn = 1;
    host::HostCrypto engine;
    PbocCrypto crypto{engine};
};

} // namespace skey::test
