// SPDX-License-Identifier: Apache-2.0
#include "PivToken.h"

#include "device/HidApduChannel.h"
#include "device/HidapiTransport.h"
#include "device/UdpTransport.h"

#include <botan/block_cipher.h>

#include <exception>

namespace wallet::pkcs11 {

QByteArray berLength(int n)
{
    QByteArray b;
    if (n < 0x80) {
        b.append(static_cast<char>(n));
    } else if (n < 0x100) {
        b.append('\x81').append(static_cast<char>(n));
    } else {
        b.append('\x82').append(static_cast<char>(n >> 8)).append(static_cast<char>(n & 0xFF));
    }
    return b;
}

namespace {

QByteArray header(std::uint8_t cla, std::uint8_t ins, std::uint8_t p1, std::uint8_t p2)
{
    return QByteArray(1, static_cast<char>(cla)) + static_cast<char>(ins) + static_cast<char>(p1)
        + static_cast<char>(p2);
}

/// Case 3/4 extended APDU with Le 0000 (as much as there is).
QByteArray extended(std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, const QByteArray& data)
{
    QByteArray a = header(0x00, ins, p1, p2);
    a.append('\0').append(static_cast<char>(data.size() >> 8)).append(static_cast<char>(data.size() & 0xFF));
    a.append(data);
    a.append('\0').append('\0');
    return a;
}

/// One BER-TLV at `pos` (tags of 1..2 bytes).
bool readTlv(const QByteArray& d, int& pos, int& tag, QByteArray& value)
{
    if (pos >= d.size()) {
        return false;
    }
    tag = static_cast<std::uint8_t>(d[pos++]);
    if ((tag & 0x1F) == 0x1F) {
        if (pos >= d.size()) {
            return false;
        }
        tag = (tag << 8) | static_cast<std::uint8_t>(d[pos++]);
    }
    if (pos >= d.size()) {
        return false;
    }
    int len = static_cast<std::uint8_t>(d[pos++]);
    if (len == 0x81 || len == 0x82) {
        const int n = len - 0x80;
        if (pos + n > d.size()) {
            return false;
        }
        len = 0;
        for (int i = 0; i < n; ++i) {
            len = (len << 8) | static_cast<std::uint8_t>(d[pos++]);
        }
    }
    if (len > d.size() - pos) {
        return false;
    }
    value = d.mid(pos, len);
    pos += len;
    return true;
}

bool tdes(const QByteArray& key, QByteArray& block, bool encrypt)
{
    try {
        auto c = Botan::BlockCipher::create_or_throw("TripleDES");
        c->set_key(reinterpret_cast<const std::uint8_t*>(key.constData()), static_cast<std::size_t>(key.size()));
        auto* p = reinterpret_cast<std::uint8_t*>(block.data());
        if (encrypt) {
            c->encrypt(p);
        } else {
            c->decrypt(p);
        }
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

} // namespace

PivToken::PivToken(std::unique_ptr<device::HidApduChannel> channel)
    : m_channel(std::move(channel))
{ }

PivToken::~PivToken() = default;

std::unique_ptr<PivToken> PivToken::open()
{
    std::unique_ptr<device::Transport> transport;
    bool ok = false;
    const int port = qEnvironmentVariableIntValue("SKEY_PKCS11_UDP_PORT", &ok);
    if (ok && port > 0 && port < 65536) {
        transport = std::make_unique<device::UdpTransport>(static_cast<std::uint16_t>(port));
    } else {
        const auto keys = device::HidapiTransport::enumerate();
        if (!keys) {
            return nullptr;
        }
        for (const auto& k : keys.value()) {
            if (k.accessible) {
                transport = std::make_unique<device::HidapiTransport>(k.path);
                break;
            }
        }
    }
    if (!transport) {
        return nullptr;
    }
    auto channel = std::make_unique<device::HidApduChannel>(std::move(transport));
    if (!channel->connect()) {
        return nullptr;
    }
    std::unique_ptr<PivToken> t(new PivToken(std::move(channel)));
    if (!t->select().ok()) {
        return nullptr;
    }
    return t;
}

PivAnswer PivToken::send(const QByteArray& apdu)
{
    PivAnswer a;
    QByteArray all;
    auto r = m_channel->transmitRaw(apdu);
    for (int guard = 0; guard < 64; ++guard) {
        if (!r) {
            return a;
        }
        const QByteArray& v = r.value();
        all.append(v.left(v.size() - 2));
        a.sw = static_cast<std::uint16_t>(
            (static_cast<std::uint8_t>(v[v.size() - 2]) << 8) | static_cast<std::uint8_t>(v[v.size() - 1]));
        if ((a.sw >> 8) != 0x61) {
            break;
        }
        r = m_channel->transmitRaw(QByteArray::fromHex("00C0000000"));
    }
    a.transportOk = true;
    a.data = all;
    return a;
}

PivAnswer PivToken::select()
{
    return send(QByteArray::fromHex("00A404000BA000000308000010000100") + '\0');
}

PivAnswer PivToken::verify(const QByteArray& pin)
{
    if (pin.isEmpty()) {
        return send(QByteArray::fromHex("00200080"));
    }
    QByteArray padded = pin.left(8);
    padded.append(QByteArray(8 - padded.size(), '\xFF'));
    PivAnswer a = send(QByteArray::fromHex("0020008008") + padded);
    padded.fill('\0');
    return a;
}

PivAnswer PivToken::logout()
{
    return send(QByteArray::fromHex("0020FF80"));
}

PivAnswer PivToken::changePin(std::uint8_t reference, const QByteArray& oldValue, const QByteArray& newValue)
{
    auto pad = [](QByteArray v) {
        v = v.left(8);
        v.append(QByteArray(8 - v.size(), '\xFF'));
        return v;
    };
    QByteArray apdu = header(0x00, 0x24, 0x00, reference) + '\x10' + pad(oldValue) + pad(newValue);
    PivAnswer a = send(apdu);
    apdu.fill('\0');
    return a;
}

PivAnswer PivToken::resetRetry(const QByteArray& puk, const QByteArray& newPin)
{
    auto pad = [](QByteArray v) {
        v = v.left(8);
        v.append(QByteArray(8 - v.size(), '\xFF'));
        return v;
    };
    QByteArray apdu = header(0x00, 0x2C, 0x00, 0x80) + '\x10' + pad(puk) + pad(newPin);
    PivAnswer a = send(apdu);
    apdu.fill('\0');
    return a;
}

std::optional<QByteArray> PivToken::certificate(std::uint8_t slot)
{
    static const char* const tags[] = {"5FC105", "5FC10A", "5FC10B", "5FC101"};
    int index = -1;
    for (int i = 0; i < 4; ++i) {
        if (kPivSlots[i] == slot) {
            index = i;
        }
    }
    if (index < 0) {
        return std::nullopt;
    }
    const PivAnswer a
        = send(extended(0xCB, 0x3F, 0xFF, QByteArray::fromHex("5C03") + QByteArray::fromHex(tags[index])));
    if (!a.ok()) {
        return std::nullopt;
    }
    int pos = 0;
    int tag = 0;
    QByteArray object;
    if (!readTlv(a.data, pos, tag, object) || tag != 0x53) {
        return std::nullopt;
    }
    // The certificate object: 70 cert, 71 info (compression), FE LRC (73-4 Part 1 Table 15).
    pos = 0;
    QByteArray value;
    while (readTlv(object, pos, tag, value)) {
        if (tag == 0x70) {
            return value;
        }
    }
    return std::nullopt;
}

bool PivToken::authenticate(const QByteArray& managementKey)
{
    const PivAnswer w = send(QByteArray::fromHex("0087039B047C028000"));
    if (!w.ok() || w.data.size() != 12) {
        return false;
    }
    QByteArray witness = w.data.mid(4, 8);
    if (!tdes(managementKey, witness, false)) {
        return false;
    }
    QByteArray challenge(8, '\0');
    for (int i = 0; i < 8; ++i) {
        challenge[i] = static_cast<char>(0x5A ^ (i * 37));
    }
    const PivAnswer r
        = send(QByteArray::fromHex("0087039B167C148008") + witness + QByteArray::fromHex("8108") + challenge);
    if (!r.ok() || r.data.size() != 12) {
        return false;
    }
    QByteArray expected = challenge;
    return tdes(managementKey, expected, true) && r.data.mid(4, 8) == expected;
}

std::optional<QByteArray> PivToken::generate(std::uint8_t slot, std::uint8_t alg)
{
    const PivAnswer a
        = send(header(0x00, 0x47, 0x00, slot) + QByteArray::fromHex("05AC038001") + static_cast<char>(alg) + '\0');
    if (!a.ok()) {
        return std::nullopt;
    }
    int pos = 0;
    int tag = 0;
    QByteArray v;
    if (!readTlv(a.data, pos, tag, v) || tag != 0x7F49) {
        return std::nullopt;
    }
    pos = 0;
    QByteArray point;
    if (!readTlv(v, pos, tag, point) || tag != 0x86) {
        return std::nullopt;
    }
    return point;
}

PivAnswer PivToken::sign(std::uint8_t slot, std::uint8_t alg, const QByteArray& hash)
{
    const QByteArray inner = QByteArray::fromHex("820081") + berLength(static_cast<int>(hash.size())) + hash;
    const QByteArray data = QByteArray(1, '\x7C') + berLength(static_cast<int>(inner.size())) + inner;
    PivAnswer a = send(extended(0x87, alg, slot, data));
    if (!a.ok()) {
        return a;
    }
    int pos = 0;
    int tag = 0;
    QByteArray v;
    QByteArray sig;
    int p2 = 0;
    if (!readTlv(a.data, pos, tag, v) || tag != 0x7C || !readTlv(v, p2, tag, sig) || tag != 0x82) {
        a.sw = 0x6F00;
        return a;
    }
    a.data = sig;
    return a;
}

PivAnswer PivToken::ecdh(std::uint8_t slot, std::uint8_t alg, const QByteArray& point)
{
    const QByteArray inner = QByteArray::fromHex("820085") + berLength(static_cast<int>(point.size())) + point;
    const QByteArray data = QByteArray(1, '\x7C') + berLength(static_cast<int>(inner.size())) + inner;
    PivAnswer a = send(extended(0x87, alg, slot, data));
    if (!a.ok()) {
        return a;
    }
    int pos = 0;
    int tag = 0;
    QByteArray v;
    QByteArray z;
    int p2 = 0;
    if (!readTlv(a.data, pos, tag, v) || tag != 0x7C || !readTlv(v, p2, tag, z) || tag != 0x82) {
        a.sw = 0x6F00;
        return a;
    }
    a.data = z;
    return a;
}

std::optional<std::pair<std::uint8_t, QByteArray>> PivToken::keyMetadata(std::uint8_t slot)
{
    const PivAnswer a = send(header(0x00, 0xF7, 0x00, slot) + '\0');
    if (!a.ok()) {
        return std::nullopt;
    }
    int pos = 0;
    int tag = 0;
    QByteArray v;
    std::uint8_t alg = 0;
    while (readTlv(a.data, pos, tag, v)) {
        if (tag == 0x01 && v.size() == 1) {
            alg = static_cast<std::uint8_t>(v[0]);
        } else if (tag == 0x04) {
            int p = 0;
            QByteArray point;
            if (readTlv(v, p, tag, point) && tag == 0x86 && alg != 0) {
                return std::make_pair(alg, point);
            }
        }
    }
    return std::nullopt;
}

std::optional<QByteArray> PivToken::random(int n)
{
    const PivAnswer a = send(QByteArray::fromHex("00840000") + static_cast<char>(n == 256 ? 0 : n));
    if (!a.ok() || a.data.size() != n) {
        return std::nullopt;
    }
    return a.data;
}

std::optional<std::uint32_t> PivToken::serial()
{
    const PivAnswer a = send(QByteArray::fromHex("00F8000000"));
    if (!a.ok() || a.data.size() != 4) {
        return std::nullopt;
    }
    std::uint32_t s = 0;
    for (const char c : a.data) {
        s = (s << 8) | static_cast<std::uint8_t>(c);
    }
    return s;
}

} // namespace wallet::pkcs11
