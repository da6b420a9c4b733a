// SPDX-License-Identifier: Apache-2.0
#include "core/apdu/SecureMessaging.h"

#include "core/crypto/CardCrypto.h"

namespace wallet::core {
namespace {

/// What the MAC of a secure-messaging command covers: CLA INS P1 P2, Lc counting the 4-byte MAC, and the data.
QByteArray macInputOf(std::uint8_t cla, std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, const QByteArray& data)
{
    QByteArray macInput;
    macInput.append(static_cast<char>(cla));
    macInput.append(static_cast<char>(ins));
    macInput.append(static_cast<char>(p1));
    macInput.append(static_cast<char>(p2));
    macInput.append(static_cast<char>(data.size() + 4));
    macInput.append(data);
    return macInput;
}

} // namespace

Result<CommandApdu> SecureMessaging::withMac(std::uint8_t cla,
    std::uint8_t ins,
    std::uint8_t p1,
    std::uint8_t p2,
    const QByteArray& data,
    const SecureBytes& key16,
    const QByteArray& challenge,
    bool sensitive)
{
    QByteArray iv;
    if (challenge.size() == 8) {
        iv = challenge;
    } else if (challenge.size() == 4) {
        iv = challenge + QByteArray(4, '\0');
    } else {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("secure messaging needs a 4- or 8-byte challenge"));
    }
    if (data.size() + 4 > 255) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("secure messaging data too long"));
    }
    const QByteArray macInput = macInputOf(cla, ins, p1, p2, data);
    auto mac = CardCrypto::retailMac(key16, macInput, iv);
    if (!mac) {
        return mac.error();
    }
    return CommandApdu(cla, ins, p1, p2, data + *mac, std::nullopt, sensitive);
}

Result<CommandApdu> SecureMessaging::externalAuthenticate(
    const SecureBytes& key16, const QByteArray& challenge8, std::uint8_t keyId)
{
    if (challenge8.size() != 8) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("EXTERNAL AUTHENTICATE needs an 8-byte challenge"));
    }
    auto cryptogram = CardCrypto::tdesEncryptBlock(key16, challenge8);
    if (!cryptogram) {
        return cryptogram.error();
    }
    return CommandApdu(0x00, 0x82, 0x00, keyId, *cryptogram);
}

Result<CommandApdu> SecureMessaging::writeKey(
    const SecureBytes& transportKey, const QByteArray& challenge, std::uint8_t keyType, const SecureBytes& fields)
{
    auto enc = CardCrypto::tdesEncryptWithLength(transportKey, fields);
    if (!enc) {
        return enc.error();
    }
    return withMac(0x84, 0xD4, 0x00, keyType, *enc, transportKey, challenge, true);
}

Result<CommandApdu> SecureMessaging::pinUnblock(
    const SecureBytes& dpuk, const QByteArray& challenge, const SecureBytes& pinBcd)
{
    auto enc = CardCrypto::tdesEncryptWithLength(dpuk, pinBcd);
    if (!enc) {
        return enc.error();
    }
    return withMac(0x84, 0x24, 0x00, 0x00, *enc, dpuk, challenge, true);
}

Result<CommandApdu> SecureMessaging::reloadPin(
    const SecureBytes& drpk, const QByteArray& challenge, const SecureBytes& pinBcd)
{
    return reloadPin(Algorithm::TripleDes, drpk, challenge, pinBcd);
}

Result<CommandApdu> SecureMessaging::withMac(Algorithm alg,
    std::uint8_t cla,
    std::uint8_t ins,
    std::uint8_t p1,
    std::uint8_t p2,
    const QByteArray& data,
    const SecureBytes& key16,
    const QByteArray& challenge,
    bool sensitive)
{
    if (alg != Algorithm::Sm4) {
        return withMac(cla, ins, p1, p2, data, key16, challenge, sensitive);
    }
    if (challenge.size() != 4 && challenge.size() != 8) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("secure messaging needs a 4- or 8-byte challenge"));
    }
    if (data.size() + 4 > 255) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("secure messaging data too long"));
    }
    const QByteArray iv = challenge + QByteArray(16 - challenge.size(), '\0');
    const QByteArray macInput = macInputOf(cla, ins, p1, p2, data);
    auto mac = CardCrypto::sm4Mac(key16, macInput, iv);
    if (!mac) {
        return mac.error();
    }
    return CommandApdu(cla, ins, p1, p2, data + *mac, std::nullopt, sensitive);
}

Result<CommandApdu> SecureMessaging::pinUnblock(
    Algorithm alg, const SecureBytes& dpuk, const QByteArray& challenge, const SecureBytes& pinBcd)
{
    auto enc = alg == Algorithm::Sm4 ? CardCrypto::sm4EncryptWithLength(dpuk, pinBcd)
                                     : CardCrypto::tdesEncryptWithLength(dpuk, pinBcd);
    if (!enc) {
        return enc.error();
    }
    return withMac(alg, 0x84, 0x24, 0x00, 0x00, *enc, dpuk, challenge, true);
}

Result<CommandApdu> SecureMessaging::reloadPin(
    Algorithm alg, const SecureBytes& drpk, const QByteArray& challenge, const SecureBytes& pinBcd)
{
    auto enc = alg == Algorithm::Sm4 ? CardCrypto::sm4EncryptWithLength(drpk, pinBcd)
                                     : CardCrypto::tdesEncryptWithLength(drpk, pinBcd);
    if (!enc) {
        return enc.error();
    }
    return withMac(alg, 0x84, 0x5E, 0x00, 0x00, *enc, drpk, challenge, true);
}

Result<CommandApdu> SecureMessaging::applicationBlock(
    Algorithm alg, const SecureBytes& damk, const QByteArray& challenge, bool permanent)
{
    return withMac(alg, 0x84, 0x1E, 0x00, permanent ? 0x01 : 0x00, {}, damk, challenge);
}

Result<CommandApdu> SecureMessaging::applicationUnblock(
    Algorithm alg, const SecureBytes& damk, const QByteArray& challenge)
{
    return withMac(alg, 0x84, 0x18, 0x00, 0x00, {}, damk, challenge);
}

} // namespace wallet::core
