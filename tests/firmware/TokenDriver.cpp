// SPDX-License-Identifier: Apache-2.0
#include "TokenDriver.h"

#include <cstdio>
#include <cstdlib>

namespace skey::test {

namespace {
std::vector<Bytes>* g_recorder = nullptr;
ChannelId g_channel = kDirectChannel;

/// The terminal-side crypto cannot fail with a working engine; if it does, the test cannot go on (no exceptions:
/// the driver also runs in the Cortex-M4 test image).
[[noreturn]] void driverFailure(const char* what)
{
    std::fprintf(stderr, "TokenDriver: %s\n", what);
    std::abort();
}
} // namespace

void setRecorder(std::vector<Bytes>* recorder)
{
    g_recorder = recorder;
}

void setChannel(ChannelId channel)
{
    g_channel = channel;
}

Bytes transmit(host::HostToken& token, const Bytes& apdu)
{
    if (g_recorder != nullptr) {
        g_recorder->push_back(apdu);
    }
    return token.process(apdu, g_channel);
}

Bytes hex(const std::string& text)
{
    Bytes out;
    int nibble = -1;
    for (char c : text) {
        int v = -1;
        if (c >= '0' && c <= '9') {
            v = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            v = c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            v = c - 'A' + 10;
        } else {
            continue;
        }
        if (nibble < 0) {
            nibble = v;
        } else {
            out.push_back(static_cast<std::uint8_t>(nibble << 4 | v));
            nibble = -1;
        }
    }
    return out;
}

std::string toHex(const Bytes& bytes)
{
    static const char* digits = "0123456789ABCDEF";
    std::string s;
    for (auto b : bytes) {
        s += digits[b >> 4];
        s += digits[b & 15];
    }
    return s;
}

std::uint16_t swOf(const Bytes& r)
{
    return r.size() < 2 ? 0 : static_cast<std::uint16_t>(r[r.size() - 2] << 8 | r[r.size() - 1]);
}

Bytes cat(std::initializer_list<Bytes> parts)
{
    Bytes out;
    for (const auto& p : parts) {
        out.insert(out.end(), p.begin(), p.end());
    }
    return out;
}

std::array<std::uint8_t, 16> key16(const Bytes& bytes)
{
    std::array<std::uint8_t, 16> k{};
    for (std::size_t i = 0; i < 16 && i < bytes.size(); ++i) {
        k[i] = bytes[i];
    }
    return k;
}

Profile standardProfile(std::uint8_t alg)
{
    Profile p;
    const bool sm4 = alg == 0x04;
    p.keys = {
        {0x26, 1, 1, alg, hex(sm4 ? "505E622B488047C9DEAFA8FF9634BD1C" : "00E2B15307A7A33050BBBCA82E87FF07")},
        {0x27, 1, 1, alg, hex(sm4 ? "5F28A855492341D8BFE0F414481990E1" : "A85CEB8CDADFF80836B1D1C24CE030D7")},
        {0x25, 1, 1, alg, hex(sm4 ? "00AC26611CB9BE1B18C6C3BAAD431BDD" : "0E9A7741E84385BE9C10AC38806AD146")},
        {0x36, 1, 1, 0x00, hex("505152535455565758595A5B5C5D5E5F")},
        {0x37, 1, 1, 0x00, hex("808182838485868788898A8B8C8D8E8F")},
        {0x38, 1, 1, 0x00, hex("3C1D8E2F4A5B6C7D9E0F1A2B3C4D5E6F")},
        {0x39, 1, 1, 0x00, hex("707172737475767778797A7B7C7D7E7F")},
        {0x30, 1, 1, 0x00, hex("606162636465666768696A6B6C6D6E6F")},
    };
    p.sfi15 = hex("0102030405060708 02 01 00000102030405060708 20250101 20351231 0000");
    return p;
}

Bytes Issuer::sendSecure(const Bytes& header, const Bytes& data, const Bytes& key, std::uint8_t alg)
{
    const Bytes challenge = send(hex("0084000004"));
    if (swOf(challenge) != 0x9000) {
        return challenge;
    }
    const Bytes ch(challenge.begin(), challenge.end() - 2);
    Bytes macInput = header;
    macInput.push_back(static_cast<std::uint8_t>(data.size() + 4));
    macInput.insert(macInput.end(), data.begin(), data.end());
    std::array<std::uint8_t, 4> mac{};
    if (!m_crypto.secureMessagingMac(alg, key16(key), ch, macInput, mac)) {
        driverFailure("MAC failed");
    }
    Bytes apdu = macInput;
    apdu.insert(apdu.end(), mac.begin(), mac.end());
    return send(apdu);
}

Bytes Issuer::writeKey(const Bytes& kt, std::uint8_t type, const Bytes& plaintext)
{
    Bytes padded = plaintext;
    padded.push_back(0x80);
    while (padded.size() % 8 != 0) {
        padded.push_back(0);
    }
    Bytes enc(padded.size());
    if (!m_crypto.ecb(0x00, true, key16(kt), padded, enc)) {
        driverFailure("ECB failed");
    }
    return sendSecure({0x84, 0xD4, 0x00, type}, enc, kt);
}

Bytes Issuer::openPersonalization(const Bytes& kt)
{
    const Bytes challenge = send(hex("0084000008"));
    if (swOf(challenge) != 0x9000) {
        return challenge;
    }
    std::array<std::uint8_t, 8> cryptogram{};
    if (!m_crypto.ecb(0x00, true, key16(kt), Bytes(challenge.begin(), challenge.end() - 2), cryptogram)) {
        driverFailure("ECB failed");
    }
    return send(cat({hex("0082000008"), Bytes(cryptogram.begin(), cryptogram.end())}));
}

std::uint16_t Issuer::personalize(const Profile& p, const Bytes& ktIn)
{
    const Bytes kt = ktIn.empty() ? hex("4B544B544B544B544B544B544B544B54") : ktIn;
    auto check = [](const Bytes& r) { return swOf(r); };
    std::uint16_t sw = check(send(cat({hex("00A404000A"), hex("D15600000145442F4550")})));
    if (sw != 0x9000) {
        return sw;
    }
    if ((sw = check(openPersonalization(kt))) != 0x9000) {
        return sw;
    }
    for (const KeySpec& k : p.keys) {
        Bytes plain{static_cast<std::uint8_t>(3 + k.key.size()), k.index, k.version, k.alg};
        plain.insert(plain.end(), k.key.begin(), k.key.end());
        if ((sw = check(writeKey(kt, k.type, plain))) != 0x9000) {
            return sw;
        }
    }
    Bytes pinPlain{static_cast<std::uint8_t>(1 + p.pin.size()), p.tries};
    pinPlain.insert(pinPlain.end(), p.pin.begin(), p.pin.end());
    if ((sw = check(writeKey(kt, 0x3A, pinPlain))) != 0x9000) {
        return sw;
    }
    if (!p.sfi15.empty() && (sw = check(sendSecure(hex("04D69500"), p.sfi15, kt))) != 0x9000) {
        return sw;
    }
    if (!p.sfi16.empty() && (sw = check(sendSecure(hex("04D69600"), p.sfi16, kt))) != 0x9000) {
        return sw;
    }
    auto be32 = [](long v) {
        return Bytes{static_cast<std::uint8_t>(v >> 24),
            static_cast<std::uint8_t>(v >> 16),
            static_cast<std::uint8_t>(v >> 8),
            static_cast<std::uint8_t>(v)};
    };
    if (p.maxBalance >= 0 && (sw = check(sendSecure(hex("84DA0002"), be32(p.maxBalance), kt))) != 0x9000) {
        return sw;
    }
    if (p.noPinLimit >= 0 && (sw = check(sendSecure(hex("84DA0003"), be32(p.noPinLimit), kt))) != 0x9000) {
        return sw;
    }
    if (p.policy >= 0
        && (sw = check(sendSecure(hex("84DA0004"), {static_cast<std::uint8_t>(p.policy)}, kt))) != 0x9000) {
        return sw;
    }
    if (p.capacity >= 0
        && (sw = check(sendSecure(hex("84DA0005"), {static_cast<std::uint8_t>(p.capacity)}, kt))) != 0x9000) {
        return sw;
    }
    if (p.end && (sw = check(sendSecure(hex("84EA0000"), {}, kt))) != 0x9000) {
        return sw;
    }
    return 0x9000;
}

Terminal::Terminal(host::HostToken& t, std::uint8_t a)
    : token(t)
    , alg(a)
{
    const Profile p = standardProfile(a);
    dlk = p.keys[0].key;
    dpk = p.keys[1].key;
    dtk = p.keys[2].key;
}

Bytes Terminal::select()
{
    return transmit(token, cat({hex("00A404000A"), hex("D15600000145442F4550")}));
}

Bytes Terminal::verify(const Bytes& pin)
{
    return transmit(token, cat({hex("00200000"), Bytes{static_cast<std::uint8_t>(pin.size())}, pin}));
}

namespace {
Bytes be32(std::uint32_t v)
{
    return Bytes{static_cast<std::uint8_t>(v >> 24),
        static_cast<std::uint8_t>(v >> 16),
        static_cast<std::uint8_t>(v >> 8),
        static_cast<std::uint8_t>(v)};
}
} // namespace

Bytes Terminal::initLoad(std::uint32_t amount)
{
    return transmit(token, cat({hex("805000020B01"), be32(amount), hex("112233445566"), hex("10")}));
}

Bytes Terminal::credit(const Bytes& init, std::uint32_t amount, bool corruptMac)
{
    // init: balance 4, ATC 2, ver 1, alg 1, rnd 4, MAC1 4
    std::array<std::uint8_t, 8> seed{init[8], init[9], init[10], init[11], init[4], init[5], 0x80, 0x00};
    KeyBuffer ses;
    (void)crypto.sessionKey(alg, key16(dlk), seed, ses);
    const Bytes dateTime = hex("20250101120000");
    const Bytes macIn = cat({be32(amount), Bytes{0x02}, hex("112233445566"), dateTime});
    std::array<std::uint8_t, 4> mac2{};
    (void)crypto.transactionMac(alg, ses, macIn, mac2);
    if (corruptMac) {
        mac2[0] ^= 1;
    }
    return transmit(token, cat({hex("805200000B"), dateTime, Bytes(mac2.begin(), mac2.end()), hex("04")}));
}

Bytes Terminal::load(std::uint32_t amount, bool corruptMac)
{
    const Bytes init = initLoad(amount);
    if (swOf(init) != 0x9000) {
        return init;
    }
    return credit(init, amount, corruptMac);
}

Bytes Terminal::initPurchase(std::uint32_t amount)
{
    return transmit(token, cat({hex("805001020B01"), be32(amount), hex("112233445566"), hex("0F")}));
}

Bytes Terminal::debit(const Bytes& init, std::uint32_t amount, bool corruptMac)
{
    // init: balance 4, ATC 2, overdraw 3, ver 1, alg 1, rnd 4
    const std::uint32_t t = tsn++;
    const Bytes tsnBytes = be32(t);
    std::array<std::uint8_t, 8> seed{
        init[11], init[12], init[13], init[14], init[4], init[5], tsnBytes[2], tsnBytes[3]};
    KeyBuffer ses;
    (void)crypto.sessionKey(alg, key16(dpk), seed, ses);
    const Bytes dateTime = hex("20250101120500");
    std::array<std::uint8_t, 4> mac1{};
    (void)crypto.transactionMac(alg, ses, cat({be32(amount), Bytes{0x06}, hex("112233445566"), dateTime}), mac1);
    if (corruptMac) {
        mac1[0] ^= 1;
    }
    return transmit(token, cat({hex("805401000F"), tsnBytes, dateTime, Bytes(mac1.begin(), mac1.end()), hex("08")}));
}

Bytes Terminal::purchase(std::uint32_t amount, bool corruptMac)
{
    const Bytes init = initPurchase(amount);
    if (swOf(init) != 0x9000) {
        return init;
    }
    return debit(init, amount, corruptMac);
}

std::uint32_t Terminal::balance()
{
    const Bytes r = transmit(token, hex("805C000204"));
    if (swOf(r) != 0x9000 || r.size() != 6) {
        return 0xFFFFFFFFu;
    }
    return static_cast<std::uint32_t>(r[0]) << 24 | static_cast<std::uint32_t>(r[1]) << 16
        | static_cast<std::uint32_t>(r[2]) << 8 | r[3];
}

} // namespace skey::test
