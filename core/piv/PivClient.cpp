// SPDX-License-Identifier: Apache-2.0
#include "core/piv/PivClient.h"

#include "core/apdu/StatusWord.h"
#include "core/apdu/Tlv.h"

#include <botan/block_cipher.h>
#include <botan/system_rng.h>

#include <QString>

#include <exception>

namespace wallet::core::piv {

namespace {

/// 73-4 Part 1 Table 3: the certificate objects of the four key slots.
constexpr std::uint32_t kCertTags[4] = {0x5FC105, 0x5FC10A, 0x5FC10B, 0x5FC101};

/// PIN or PUK as VERIFY / CHANGE REFERENCE want it: the digits, FF-padded to 8 bytes.
QByteArray padded(const SecureBytes& v)
{
    QByteArray out(8, '\xFF');
    for (std::size_t i = 0; i < v.size() && i < 8; ++i) {
        out[static_cast<qsizetype>(i)] = static_cast<char>(v[i]);
    }
    return out;
}

/// Extended case 4 with Le 65536 ("as much as there is"): PIV answers longer than 256 bytes in one go or in 61xx parts.
CommandApdu longCommand(std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, QByteArray data, bool sensitive = false)
{
    return CommandApdu(0x00, ins, p1, p2, std::move(data), 65536, sensitive);
}

/// The host's challenge for the management-key authentication (the operating system's RNG).
QByteArray hostRandom(int n)
{
    QByteArray out(n, '\0');
    Botan::system_rng().randomize(reinterpret_cast<std::uint8_t*>(out.data()), static_cast<std::size_t>(n));
    return out;
}

/// 5C 03 tag: the object named by GET DATA / PUT DATA.
QByteArray objectId(std::uint32_t tag)
{
    QByteArray t;
    t.append(static_cast<char>(tag >> 16))
        .append(static_cast<char>((tag >> 8) & 0xFF))
        .append(static_cast<char>(tag & 0xFF));
    return Tlv::encode(0x5C, t);
}

Result<QByteArray> checked(Result<ResponseApdu> r, const QString& context)
{
    if (!r) {
        return r.error();
    }
    if (!r->isSuccess()) {
        return StatusWord::toError(r->sw(), context);
    }
    return r->data();
}

Result<void> checkedVoid(Result<ResponseApdu> r, const QString& context)
{
    auto d = checked(std::move(r), context);
    if (!d) {
        return d.error();
    }
    return {};
}

/// One TDES block with the 24-byte management key (Botan "TripleDES", three keys).
Result<QByteArray> tdes(const SecureBytes& key, QByteArray block, bool encrypt)
{
    try {
        auto c = Botan::BlockCipher::create_or_throw("TripleDES");
        c->set_key(key.data(), key.size());
        auto* p = reinterpret_cast<std::uint8_t*>(block.data());
        if (encrypt) {
            c->encrypt(p);
        } else {
            c->decrypt(p);
        }
        return block;
    } catch (const std::exception& e) {
        return makeError(
            ErrorCode::CryptoError, QStringLiteral("management key: %1").arg(QString::fromLatin1(e.what())));
    }
}

/// The value of tag 82 inside 7C of a GENERAL AUTHENTICATE answer.
Result<QByteArray> dynamicAuthValue(const QByteArray& data, std::uint32_t inner, const QString& context)
{
    auto outer = Tlv::parse(data);
    if (outer) {
        if (const auto v = Tlv::find(outer.value(), 0x7C)) {
            auto in = Tlv::parse(*v);
            if (in) {
                if (const auto x = Tlv::find(in.value(), inner)) {
                    return *x;
                }
            }
        }
    }
    return makeError(ErrorCode::ProtocolError, context + QStringLiteral(": malformed dynamic authentication template"));
}

} // namespace

std::optional<std::uint32_t> certificateTag(std::uint8_t slot)
{
    for (std::size_t i = 0; i < kSlots.size(); ++i) {
        if (kSlots[i] == slot) {
            return kCertTags[i];
        }
    }
    return std::nullopt;
}

std::optional<std::uint8_t> parseSlot(const QString& text)
{
    QString t = text.trimmed().toLower();
    if (t.startsWith(QStringLiteral("0x"))) {
        t = t.mid(2);
    }
    bool ok = false;
    const uint v = t.toUInt(&ok, 16);
    if (!ok || t.size() != 2) {
        return std::nullopt;
    }
    for (const auto s : kSlots) {
        if (s == v) {
            return s;
        }
    }
    return std::nullopt;
}

PinPolicy defaultPinPolicy(std::uint8_t slot)
{
    switch (slot) {
    case 0x9C:
        return PinPolicy::Always;
    case 0x9E:
        return PinPolicy::Never;
    default:
        return PinPolicy::Once;
    }
}

const char* curveName(std::uint8_t alg)
{
    switch (alg) {
    case kAlgP256:
        return "secp256r1";
    case kAlgP384:
        return "secp384r1";
    case kAlgSm2:
        return "sm2p256v1";
    default:
        return "";
    }
}

PivClient::PivClient(ApduChannel& channel)
    : m_channel(channel)
{ }

Result<ResponseApdu> PivClient::transmit(const CommandApdu& command)
{
    auto r = m_channel.transmit(command);
    QByteArray all;
    for (int guard = 0; guard < 64 && r && (r->sw() >> 8) == 0x61; ++guard) {
        all.append(r->data());
        const int le = (r->sw() & 0xFF) == 0 ? 256 : (r->sw() & 0xFF);
        r = m_channel.transmit(CommandApdu(0x00, 0xC0, 0x00, 0x00, {}, le));
    }
    if (!r) {
        return r.error();
    }
    if (all.isEmpty()) {
        return r;
    }
    all.append(r->data());
    return ResponseApdu(all, r->sw());
}

Result<ResponseApdu> PivClient::selectRaw()
{
    return transmit(CommandApdu(0x00, 0xA4, 0x04, 0x00, QByteArray::fromHex("A000000308000010000100"), 256));
}

Result<ResponseApdu> PivClient::verifyRaw(const SecureBytes& pin)
{
    if (pin.empty()) {
        return transmit(CommandApdu(0x00, 0x20, 0x00, 0x80));
    }
    QByteArray data = padded(pin);
    auto r = transmit(CommandApdu(0x00, 0x20, 0x00, 0x80, data, std::nullopt, true));
    wipe(data);
    return r;
}

Result<ResponseApdu> PivClient::logoutRaw()
{
    return transmit(CommandApdu(0x00, 0x20, 0xFF, 0x80));
}

Result<ResponseApdu> PivClient::changeReferenceRaw(
    std::uint8_t reference, const SecureBytes& oldValue, const SecureBytes& newValue)
{
    QByteArray data = padded(oldValue) + padded(newValue);
    auto r = transmit(CommandApdu(0x00, 0x24, 0x00, reference, data, std::nullopt, true));
    wipe(data);
    return r;
}

Result<ResponseApdu> PivClient::resetRetryRaw(const SecureBytes& puk, const SecureBytes& newPin)
{
    QByteArray data = padded(puk) + padded(newPin);
    auto r = transmit(CommandApdu(0x00, 0x2C, 0x00, 0x80, data, std::nullopt, true));
    wipe(data);
    return r;
}

Result<ResponseApdu> PivClient::signRaw(std::uint8_t slot, std::uint8_t alg, const QByteArray& hash)
{
    const QByteArray data = Tlv::encode(0x7C, QByteArray::fromHex("8200") + Tlv::encode(0x81, hash));
    auto r = transmit(longCommand(0x87, alg, slot, data));
    if (!r || !r->isSuccess()) {
        return r;
    }
    auto sig = dynamicAuthValue(r->data(), 0x82, QStringLiteral("GENERAL AUTHENTICATE"));
    if (!sig) {
        return ResponseApdu({}, 0x6F00);
    }
    return ResponseApdu(sig.value(), r->sw());
}

Result<ResponseApdu> PivClient::ecdhRaw(std::uint8_t slot, std::uint8_t alg, const QByteArray& point)
{
    const QByteArray data = Tlv::encode(0x7C, QByteArray::fromHex("8200") + Tlv::encode(0x85, point));
    auto r = transmit(longCommand(0x87, alg, slot, data));
    if (!r || !r->isSuccess()) {
        return r;
    }
    auto z = dynamicAuthValue(r->data(), 0x82, QStringLiteral("GENERAL AUTHENTICATE"));
    if (!z) {
        return ResponseApdu({}, 0x6F00);
    }
    return ResponseApdu(z.value(), r->sw());
}

Result<void> PivClient::select()
{
    return checkedVoid(selectRaw(), QStringLiteral("SELECT PIV"));
}

Result<void> PivClient::verifyPin(const SecureBytes& pin)
{
    if (pin.size() < 6 || pin.size() > 8) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("the PIV PIN has 6 to 8 characters"));
    }
    return checkedVoid(verifyRaw(pin), QStringLiteral("VERIFY PIV PIN"));
}

Result<std::optional<int>> PivClient::pinStatus()
{
    auto r = verifyRaw({});
    if (!r) {
        return r.error();
    }
    if (r->isSuccess()) {
        return std::optional<int>();
    }
    if (r->sw() == 0x6983) {
        return std::optional<int>(0);
    }
    if (const int n = StatusWord::triesLeft(r->sw()); n >= 0) {
        return std::optional<int>(n);
    }
    return StatusWord::toError(r->sw(), QStringLiteral("VERIFY PIV PIN (status)"));
}

Result<void> PivClient::authenticate(const SecureBytes& managementKey)
{
    if (managementKey.size() != 24) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("the management key has 24 bytes (48 hex digits)"));
    }
    const QString context = QStringLiteral("management-key authentication");
    // Mutual authentication (yubico-piv-tool's form, docs/piv.md "Security"): the card's witness, decrypted, proves
    // we hold the key; our challenge, encrypted by the card, proves the card does.
    auto w = checked(transmit(CommandApdu(0x00, 0x87, 0x03, 0x9B, QByteArray::fromHex("7C028000"), 256)), context);
    if (!w) {
        return w.error();
    }
    auto witness = dynamicAuthValue(w.value(), 0x80, context);
    if (!witness || witness->size() != 8) {
        return makeError(ErrorCode::ProtocolError, context + QStringLiteral(": no 8-byte witness"));
    }
    auto plain = tdes(managementKey, witness.value(), false);
    if (!plain) {
        return plain.error();
    }
    const QByteArray challenge = hostRandom(8);
    const QByteArray data = Tlv::encode(0x7C, Tlv::encode(0x80, plain.value()) + Tlv::encode(0x81, challenge));
    auto r = checked(transmit(CommandApdu(0x00, 0x87, 0x03, 0x9B, data, 256, true)), context);
    if (!r) {
        return r.error();
    }
    auto answer = dynamicAuthValue(r.value(), 0x82, context);
    auto expected = tdes(managementKey, challenge, true);
    if (!answer || !expected || answer.value() != expected.value()) {
        return makeError(ErrorCode::VerificationFailed, context + QStringLiteral(": the key's answer is wrong"));
    }
    return {};
}

std::optional<TouchPolicy> parseTouchPolicy(const QString& text)
{
    const QString t = text.trimmed().toLower();
    if (t == QStringLiteral("never")) {
        return TouchPolicy::Never;
    }
    if (t == QStringLiteral("always")) {
        return TouchPolicy::Always;
    }
    if (t == QStringLiteral("cached")) {
        return TouchPolicy::Cached;
    }
    return std::nullopt;
}

QString touchPolicyText(std::uint8_t policy)
{
    switch (policy) {
    case static_cast<std::uint8_t>(TouchPolicy::Always):
        return QStringLiteral("always");
    case static_cast<std::uint8_t>(TouchPolicy::Cached):
        return QStringLiteral("cached (asks every time: the token has no clock)");
    default:
        return QStringLiteral("never");
    }
}

Result<QByteArray> PivClient::generate(
    std::uint8_t slot, std::uint8_t alg, PinPolicy pinPolicy, TouchPolicy touchPolicy)
{
    QByteArray inner = Tlv::encode(0x80, QByteArray(1, static_cast<char>(alg)));
    if (pinPolicy != PinPolicy::Default) {
        inner += Tlv::encode(0xAA, QByteArray(1, static_cast<char>(pinPolicy)));
    }
    if (touchPolicy != TouchPolicy::Default) {
        inner += Tlv::encode(0xAB, QByteArray(1, static_cast<char>(touchPolicy)));
    }
    auto r = checked(transmit(CommandApdu(0x00, 0x47, 0x00, slot, Tlv::encode(0xAC, inner), 256)),
        QStringLiteral("GENERATE ASYMMETRIC KEY PAIR"));
    if (!r) {
        return r.error();
    }
    auto outer = Tlv::parse(r.value());
    if (outer) {
        if (const auto v = Tlv::find(outer.value(), 0x7F49)) {
            if (auto in = Tlv::parse(*v)) {
                if (const auto point = Tlv::find(in.value(), 0x86)) {
                    return *point;
                }
            }
        }
    }
    return makeError(ErrorCode::ProtocolError, QStringLiteral("GENERATE: no public point in the answer"));
}

Result<QByteArray> PivClient::sign(std::uint8_t slot, std::uint8_t alg, const QByteArray& hash)
{
    return checked(signRaw(slot, alg, hash), QStringLiteral("GENERAL AUTHENTICATE (sign)"));
}

Result<std::optional<KeyMetadata>> PivClient::keyMetadata(std::uint8_t slot)
{
    auto r = transmit(CommandApdu(0x00, 0xF7, 0x00, slot, {}, 256));
    if (!r) {
        return r.error();
    }
    if (r->sw() == 0x6A82 || r->sw() == 0x6A88) {
        return std::optional<KeyMetadata>();
    }
    if (!r->isSuccess()) {
        return StatusWord::toError(r->sw(), QStringLiteral("GET METADATA"));
    }
    auto items = Tlv::parse(r->data());
    if (!items) {
        return items.error();
    }
    KeyMetadata m;
    if (const auto a = Tlv::find(items.value(), 0x01); a && a->size() == 1) {
        m.alg = static_cast<std::uint8_t>(a->at(0));
    }
    if (const auto p = Tlv::find(items.value(), 0x02); p && p->size() == 2) {
        m.pinPolicy = static_cast<PinPolicy>(static_cast<std::uint8_t>(p->at(0)));
        m.touchPolicy = static_cast<std::uint8_t>(p->at(1));
    }
    if (const auto pub = Tlv::find(items.value(), 0x04)) {
        if (auto in = Tlv::parse(*pub)) {
            if (const auto point = Tlv::find(in.value(), 0x86)) {
                m.point = *point;
            }
        }
    }
    if (m.alg == 0 || m.point.isEmpty()) {
        return std::optional<KeyMetadata>();
    }
    return std::optional<KeyMetadata>(m);
}

Result<std::optional<QByteArray>> PivClient::readCertificate(std::uint8_t slot)
{
    const auto tag = certificateTag(slot);
    if (!tag) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("not a PIV key slot"));
    }
    auto r = transmit(longCommand(0xCB, 0x3F, 0xFF, objectId(*tag)));
    if (!r) {
        return r.error();
    }
    if (r->sw() == 0x6A82) {
        return std::optional<QByteArray>();
    }
    if (!r->isSuccess()) {
        return StatusWord::toError(r->sw(), QStringLiteral("GET DATA"));
    }
    auto outer = Tlv::parse(r->data());
    if (!outer) {
        return outer.error();
    }
    const auto object = Tlv::find(outer.value(), 0x53);
    if (!object || object->isEmpty()) {
        return std::optional<QByteArray>();
    }
    // The certificate object: 70 certificate, 71 CertInfo (compression), FE error detection (73-4 Part 1 Table 15).
    auto inner = Tlv::parse(*object);
    if (!inner) {
        return inner.error();
    }
    const auto cert = Tlv::find(inner.value(), 0x70);
    if (!cert || cert->isEmpty()) {
        return std::optional<QByteArray>();
    }
    return std::optional<QByteArray>(*cert);
}

Result<void> PivClient::writeCertificate(std::uint8_t slot, const QByteArray& der)
{
    const auto tag = certificateTag(slot);
    if (!tag) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("not a PIV key slot"));
    }
    const QByteArray object = Tlv::encode(0x70, der) + QByteArray::fromHex("710100FE00");
    const QByteArray data = objectId(*tag) + Tlv::encode(0x53, object);
    return checkedVoid(transmit(CommandApdu(0x00, 0xDB, 0x3F, 0xFF, data)), QStringLiteral("PUT DATA (certificate)"));
}

Result<void> PivClient::deleteCertificate(std::uint8_t slot)
{
    const auto tag = certificateTag(slot);
    if (!tag) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("not a PIV key slot"));
    }
    const QByteArray data = objectId(*tag) + QByteArray::fromHex("5300");
    return checkedVoid(transmit(CommandApdu(0x00, 0xDB, 0x3F, 0xFF, data)), QStringLiteral("PUT DATA (delete)"));
}

Result<void> PivClient::deleteKey(std::uint8_t slot)
{
    if (!certificateTag(slot)) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("not a PIV key slot"));
    }
    return checkedVoid(transmit(CommandApdu(0x00, 0xF6, 0xFF, slot, {})), QStringLiteral("DELETE KEY"));
}

Result<QByteArray> PivClient::random(int n)
{
    if (n < 1 || n > 256) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("GET CHALLENGE: 1 to 256 bytes"));
    }
    return checked(transmit(CommandApdu(0x00, 0x84, 0x00, 0x00, {}, n)), QStringLiteral("GET CHALLENGE"));
}

Result<std::uint32_t> PivClient::serial()
{
    auto r = checked(transmit(CommandApdu(0x00, 0xF8, 0x00, 0x00, {}, 256)), QStringLiteral("GET SERIAL"));
    if (!r) {
        return r.error();
    }
    if (r->size() != 4) {
        return makeError(ErrorCode::ProtocolError, QStringLiteral("GET SERIAL: 4 bytes expected"));
    }
    std::uint32_t s = 0;
    for (const char c : r.value()) {
        s = (s << 8) | static_cast<std::uint8_t>(c);
    }
    return s;
}

} // namespace wallet::core::piv
