// SPDX-License-Identifier: Apache-2.0
#include "core/issuance/Personaliser.h"

#include "core/apdu/Exchange.h"
#include "core/apdu/SecureMessaging.h"
#include "core/purse/DeviceInfo.h"
#include "core/purse/Pin.h"

#include <QLoggingCategory>

namespace wallet::core {
namespace {

Q_LOGGING_CATEGORY(lcIssuance, "wallet.issuance")

const QByteArray kDefaultAid = QByteArray::fromHex("D15600000145442F4550");

QByteArray u32(std::uint32_t v)
{
    QByteArray b;
    appendU32(b, v);
    return b;
}

} // namespace

Result<QByteArray> Personaliser::challenge(int length)
{
    return exchange(
        m_channel, CommandApdu(0x00, 0x84, 0x00, 0x00, {}, length), QStringLiteral("GET CHALLENGE"), length);
}

Result<QByteArray> Personaliser::sendWithMac(std::uint8_t cla,
    std::uint8_t ins,
    std::uint8_t p1,
    std::uint8_t p2,
    const QByteArray& data,
    const SecureBytes& key,
    const QString& what,
    bool sensitive)
{
    auto rnd = challenge(8);
    if (!rnd) {
        return rnd.error();
    }
    auto command = SecureMessaging::withMac(cla, ins, p1, p2, data, key, *rnd, sensitive);
    if (!command) {
        return command.error();
    }
    return exchange(m_channel, *command, what);
}

Result<IssuanceResult> Personaliser::personalise(const IssuanceProfile& profile, const IssuerMasterKeys* masterKeys)
{
    const IssuerMasterKeys* keys = masterKeys ? masterKeys : (profile.masterKeys ? &*profile.masterKeys : nullptr);
    if (!keys || !keys->complete()) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("issuance: no complete set of issuer master keys"));
    }
    auto info = readDeviceInfo(m_channel);
    if (!info) {
        return info.error();
    }
    if (info->lifeCycle != LifeCycle::Blank) {
        return makeError(ErrorCode::InvalidState,
            QStringLiteral("this key is already issued (%1): issuance needs a blank key")
                .arg(lifeCycleName(info->lifeCycle)));
    }
    IssuanceResult result;
    result.deviceSerial = info->serial;
    result.algorithm = profile.algorithm;
    ApplicationData app = profile.application;
    if (app.applicationSerial.isEmpty()) {
        app.applicationSerial = QByteArray(2, '\0') + info->serial;
    }
    result.applicationSerial = app.applicationSerial;
    result.asn = app.asn();
    qCInfo(lcIssuance) << "personalising key" << info->serialHex() << "ASN"
                       << QString::fromLatin1(result.asn.toHex().toUpper());

    // A blank key knows its default AID; a SELECT resets volatile state before the session opens.
    if (auto sel = exchange(m_channel, CommandApdu(0x00, 0xA4, 0x04, 0x00, kDefaultAid, 0), QStringLiteral("SELECT"));
        !sel && sel.error().code != ErrorCode::NotFound) {
        return sel.error();
    }

    // 1. Open the personalisation session with the transport key.
    auto rnd = challenge(8);
    if (!rnd) {
        return rnd.error();
    }
    auto auth = SecureMessaging::externalAuthenticate(profile.transportKey, *rnd);
    if (!auth) {
        return auth.error();
    }
    if (auto r = exchange(m_channel, *auth, QStringLiteral("EXTERNAL AUTHENTICATE (transport key)")); !r) {
        return r.error();
    }

    // 2. Keys, diversified from the master keys with the ASN (spec §5.1), then the PIN.
    const std::pair<std::uint8_t, const SecureBytes*> keyRecords[] = {{0x25, &keys->mtk},
        {0x26, &keys->mlk},
        {0x27, &keys->mpk},
        {0x30, &keys->miak},
        {0x36, &keys->mamk},
        {0x37, &keys->mpuk},
        {0x38, &keys->mrpk},
        {0x39, &keys->meak}};
    for (const auto& [keyType, master] : keyRecords) {
        auto cardKey = CardCrypto::diversify(profile.algorithm, *master, result.asn);
        if (!cardKey) {
            return cardKey.error();
        }
        SecureBytes fields{profile.keyIndex, profile.keyVersion, static_cast<std::uint8_t>(profile.algorithm)};
        fields.insert(fields.end(), cardKey->begin(), cardKey->end());
        auto c = challenge(8);
        if (!c) {
            return c.error();
        }
        auto cmd = SecureMessaging::writeKey(profile.transportKey, *c, keyType, fields);
        if (!cmd) {
            return cmd.error();
        }
        if (auto r = exchange(m_channel, *cmd, QStringLiteral("WRITE KEY %1").arg(keyType, 2, 16, QLatin1Char('0')));
            !r) {
            return r.error();
        }
    }
    {
        auto pin = Pin::fromDigits(
            std::string_view(reinterpret_cast<const char*>(profile.pinDigits.data()), profile.pinDigits.size()));
        if (!pin) {
            return pin.error();
        }
        SecureBytes fields{profile.pinTries};
        fields.insert(fields.end(), pin->bcd().begin(), pin->bcd().end());
        auto c = challenge(8);
        if (!c) {
            return c.error();
        }
        auto cmd = SecureMessaging::writeKey(profile.transportKey, *c, 0x3A, fields);
        if (!cmd) {
            return cmd.error();
        }
        if (auto r = exchange(m_channel, *cmd, QStringLiteral("WRITE KEY PIN")); !r) {
            return r.error();
        }
    }

    // 3. Public application data and cardholder data.
    if (auto r = sendWithMac(0x04,
            0xD6,
            0x80 | 0x15,
            0x00,
            app.encode(),
            profile.transportKey,
            QStringLiteral("UPDATE BINARY SFI 0x15"),
            false);
        !r) {
        return r.error();
    }
    if (auto r = sendWithMac(0x04,
            0xD6,
            0x80 | 0x16,
            0x00,
            profile.cardholder.encode(),
            profile.transportKey,
            QStringLiteral("UPDATE BINARY SFI 0x16"),
            false);
        !r) {
        return r.error();
    }

    // 4. Parameters.
    const std::pair<std::uint8_t, QByteArray> data[] = {
        {0x01, profile.aid},
        {0x02, u32(profile.maxBalance.fen())},
        {0x03, u32(profile.noPinLimit.fen())},
        {0x04, QByteArray(1, static_cast<char>(profile.policyFlags()))},
        {0x05, QByteArray(1, static_cast<char>(profile.recordCapacity))},
        {0x06, profile.label.toLatin1()},
    };
    for (const auto& [tag, value] : data) {
        if (auto r = sendWithMac(0x84,
                0xDA,
                0x00,
                tag,
                value,
                profile.transportKey,
                QStringLiteral("PUT DATA %1").arg(tag, 2, 16, QLatin1Char('0')),
                false);
            !r) {
            return r.error();
        }
    }

    // 5. Close: the key checks its keys and PIN and becomes PERSONALIZED; KT is dead from now on.
    if (auto r
        = sendWithMac(0x84, 0xEA, 0x00, 0x00, {}, profile.transportKey, QStringLiteral("END PERSONALIZATION"), false);
        !r) {
        return r.error();
    }
    qCInfo(lcIssuance) << "key" << info->serialHex() << "personalised";
    return result;
}

} // namespace wallet::core
