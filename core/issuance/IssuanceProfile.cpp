// SPDX-License-Identifier: Apache-2.0
#include "core/issuance/IssuanceProfile.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

namespace wallet::core {
namespace {

Error bad(const QString& what)
{
    return makeError(ErrorCode::InvalidInput, QStringLiteral("issuance profile: ") + what);
}

/// Refuses keys outside `allowed` (a typo must not silently issue a different key).
std::optional<Error> onlyKeys(const QJsonObject& o, const QString& where, std::initializer_list<const char*> allowed)
{
    QSet<QString> ok;
    for (const char* a : allowed) {
        ok.insert(QString::fromLatin1(a));
    }
    for (auto it = o.begin(); it != o.end(); ++it) {
        if (!ok.contains(it.key())) {
            return bad(QStringLiteral("unknown key \"%1\" in %2").arg(it.key(), where));
        }
    }
    return std::nullopt;
}

std::optional<QByteArray> hexField(const QJsonValue& v, int minLen, int maxLen)
{
    if (!v.isString()) {
        return std::nullopt;
    }
    QString s = v.toString();
    s.remove(QLatin1Char(' '));
    if (s.size() % 2 != 0) {
        return std::nullopt;
    }
    for (const QChar c : s) {
        if (!c.isDigit() && !(c.toLower() >= QLatin1Char('a') && c.toLower() <= QLatin1Char('f'))) {
            return std::nullopt;
        }
    }
    QByteArray b = QByteArray::fromHex(s.toLatin1());
    if (b.size() < minLen || b.size() > maxLen) {
        return std::nullopt;
    }
    return b;
}

/// A small integer field (key index, tries, capacity, type bytes; never money: amounts are strings parsed by
/// Amount::parse). JSON numbers arrive as doubles, so the double is only used to reject 1.5 or 1e10.
std::optional<int> intField(const QJsonValue& v, int lo, int hi)
{
    if (!v.isDouble()) {
        return std::nullopt;
    }
    const double d = v.toDouble();
    const int i = v.toInt(lo - 1);
    if (static_cast<double>(i) != d || i < lo || i > hi) {
        return std::nullopt;
    }
    return i;
}

/// An optional small integer field: absent gives `fallback`; present but not an integer in [lo, hi] gives nullopt,
/// so a garbled value is refused instead of silently replaced by the default.
std::optional<int> optionalIntField(const QJsonObject& object, const char* key, int lo, int hi, int fallback)
{
    const QJsonValue v = object.value(QLatin1String(key));
    return v.isUndefined() ? std::optional<int>(fallback) : intField(v, lo, hi);
}

} // namespace

std::uint8_t IssuanceProfile::policyFlags() const
{
    return static_cast<std::uint8_t>((loadNeedsPin ? 0x01 : 0) | (purchaseAboveLimitNeedsPin ? 0x02 : 0)
        | (readCardholderNeedsPin ? 0x04 : 0) | (purchaseNeedsTouch ? 0x08 : 0));
}

Result<IssuanceProfile> IssuanceProfile::fromFile(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return makeError(
            ErrorCode::InvalidInput, QStringLiteral("cannot read profile %1: %2").arg(path, f.errorString()));
    }
    const QByteArray bytes = f.read(1 << 20);
    QJsonParseError pe{};
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
        return makeError(
            ErrorCode::InvalidInput, QStringLiteral("profile %1 is not a JSON object: %2").arg(path, pe.errorString()));
    }
    return fromJson(doc.object());
}

Result<IssuanceProfile> IssuanceProfile::fromJson(const QJsonObject& json)
{
    if (auto e = onlyKeys(json,
            QStringLiteral("the profile"),
            {"format",
                "name",
                "algorithm",
                "transportKey",
                "masterKeys",
                "keyIndex",
                "keyVersion",
                "aid",
                "label",
                "application",
                "cardholder",
                "pin",
                "limits",
                "policy",
                "recordCapacity"})) {
        return *e;
    }
    if (json.value(QStringLiteral("format")).toString() != QStringLiteral("smartkey-issuance-profile/1")) {
        return bad(QStringLiteral("\"format\" must be \"smartkey-issuance-profile/1\""));
    }
    IssuanceProfile p;
    p.name = json.value(QStringLiteral("name")).toString();
    const QString alg = json.value(QStringLiteral("algorithm")).toString();
    if (alg == QStringLiteral("3DES")) {
        p.algorithm = Algorithm::TripleDes;
    } else if (alg == QStringLiteral("SM4")) {
        p.algorithm = Algorithm::Sm4;
    } else {
        return bad(QStringLiteral("\"algorithm\" must be \"3DES\" or \"SM4\""));
    }
    const auto kt = hexField(json.value(QStringLiteral("transportKey")), 16, 16);
    if (!kt) {
        return bad(QStringLiteral("\"transportKey\" must be 16 bytes of hex"));
    }
    p.transportKey = toSecure(*kt);
    if (json.contains(QStringLiteral("masterKeys"))) {
        const QJsonObject mk = json.value(QStringLiteral("masterKeys")).toObject();
        if (auto e = onlyKeys(
                mk, QStringLiteral("masterKeys"), {"MLK", "MPK", "MTK", "MAMK", "MPUK", "MRPK", "MEAK", "MIAK"})) {
            return *e;
        }
        IssuerMasterKeys keys;
        const std::pair<const char*, SecureBytes*> keySlots[] = {{"MLK", &keys.mlk},
            {"MPK", &keys.mpk},
            {"MTK", &keys.mtk},
            {"MAMK", &keys.mamk},
            {"MPUK", &keys.mpuk},
            {"MRPK", &keys.mrpk},
            {"MEAK", &keys.meak},
            {"MIAK", &keys.miak}};
        for (const auto& [name, slot] : keySlots) {
            const auto k = hexField(mk.value(QLatin1String(name)), 16, 16);
            if (!k) {
                return bad(QStringLiteral("masterKeys.%1 must be 16 bytes of hex").arg(QLatin1String(name)));
            }
            *slot = toSecure(*k);
        }
        p.masterKeys = std::move(keys);
    }
    if (json.contains(QStringLiteral("keyIndex"))) {
        const auto v = intField(json.value(QStringLiteral("keyIndex")), 1, 255);
        if (!v) {
            return bad(QStringLiteral("\"keyIndex\" must be 1..255"));
        }
        p.keyIndex = static_cast<std::uint8_t>(*v);
    }
    if (json.contains(QStringLiteral("keyVersion"))) {
        const auto v = intField(json.value(QStringLiteral("keyVersion")), 0, 255);
        if (!v) {
            return bad(QStringLiteral("\"keyVersion\" must be 0..255"));
        }
        p.keyVersion = static_cast<std::uint8_t>(*v);
    }
    p.aid = QByteArray::fromHex("D15600000145442F4550");
    if (json.contains(QStringLiteral("aid"))) {
        const auto aid = hexField(json.value(QStringLiteral("aid")), 5, 16);
        if (!aid) {
            return bad(QStringLiteral("\"aid\" must be 5 to 16 bytes of hex"));
        }
        p.aid = *aid;
    }
    if (json.contains(QStringLiteral("label"))) {
        p.label = json.value(QStringLiteral("label")).toString();
        bool ascii = !p.label.isEmpty() && p.label.size() <= 16;
        for (const QChar c : p.label) {
            ascii = ascii && c.unicode() >= 0x20 && c.unicode() < 0x7F;
        }
        if (!ascii) {
            return bad(QStringLiteral("\"label\" must be 1 to 16 printable ASCII characters"));
        }
    }

    const QJsonObject app = json.value(QStringLiteral("application")).toObject();
    if (auto e = onlyKeys(app,
            QStringLiteral("application"),
            {"issuerId", "appType", "appVersion", "applicationSerial", "startDate", "expiryDate", "issuerData"})) {
        return *e;
    }
    const auto issuerId = hexField(app.value(QStringLiteral("issuerId")), 8, 8);
    if (!issuerId) {
        return bad(QStringLiteral("application.issuerId must be 8 bytes of hex"));
    }
    p.application.issuerId = *issuerId;
    const auto appType = optionalIntField(app, "appType", 0, 255, 2);
    const auto appVersion = optionalIntField(app, "appVersion", 0, 255, 1);
    if (!appType || !appVersion) {
        return bad(QStringLiteral("application.appType and appVersion must be whole numbers 0..255"));
    }
    p.application.appType = static_cast<std::uint8_t>(*appType);
    p.application.appVersion = static_cast<std::uint8_t>(*appVersion);
    const QJsonValue serial = app.value(QStringLiteral("applicationSerial"));
    if (serial.isUndefined() || serial.toString() == QStringLiteral("device")) {
        p.application.applicationSerial.clear(); // from the device serial at issuance
    } else {
        const auto s = hexField(serial, 10, 10);
        if (!s) {
            return bad(QStringLiteral("application.applicationSerial must be \"device\" or 10 bytes of hex"));
        }
        p.application.applicationSerial = *s;
    }
    p.application.startDate = QDate::fromString(app.value(QStringLiteral("startDate")).toString(), Qt::ISODate);
    p.application.expiryDate = QDate::fromString(app.value(QStringLiteral("expiryDate")).toString(), Qt::ISODate);
    if (!p.application.startDate.isValid() || !p.application.expiryDate.isValid()) {
        return bad(QStringLiteral("application.startDate and expiryDate must be dates YYYY-MM-DD"));
    }
    if (p.application.expiryDate < p.application.startDate) {
        return bad(QStringLiteral("application.expiryDate is before startDate"));
    }
    p.application.issuerData = QByteArray(2, '\0');
    if (app.contains(QStringLiteral("issuerData"))) {
        const auto d = hexField(app.value(QStringLiteral("issuerData")), 2, 2);
        if (!d) {
            return bad(QStringLiteral("application.issuerData must be 2 bytes of hex"));
        }
        p.application.issuerData = *d;
    }

    const QJsonObject holder = json.value(QStringLiteral("cardholder")).toObject();
    if (auto e = onlyKeys(holder, QStringLiteral("cardholder"), {"cardType", "staff", "name", "idNumber", "idType"})) {
        return *e;
    }
    const auto cardType = optionalIntField(holder, "cardType", 0, 255, 0);
    const auto staff = optionalIntField(holder, "staff", 0, 255, 0);
    const auto idType = optionalIntField(holder, "idType", 0, 255, 0);
    if (!cardType || !staff || !idType) {
        return bad(QStringLiteral("cardholder.cardType, staff and idType must be whole numbers 0..255"));
    }
    p.cardholder.cardType = static_cast<std::uint8_t>(*cardType);
    p.cardholder.staffFlag = static_cast<std::uint8_t>(*staff);
    p.cardholder.name = holder.value(QStringLiteral("name")).toString();
    p.cardholder.idNumber = holder.value(QStringLiteral("idNumber")).toString();
    p.cardholder.idType = static_cast<std::uint8_t>(*idType);
    if (p.cardholder.name.toUtf8().size() > 20 || p.cardholder.idNumber.toUtf8().size() > 32) {
        return bad(QStringLiteral("cardholder.name is at most 20 bytes and idNumber at most 32 (UTF-8)"));
    }

    const QJsonObject pin = json.value(QStringLiteral("pin")).toObject();
    if (auto e = onlyKeys(pin, QStringLiteral("pin"), {"initial", "tries"})) {
        return *e;
    }
    const QByteArray digits = pin.value(QStringLiteral("initial")).toString().toLatin1();
    if (auto checked = Pin::fromDigits(std::string_view(digits.constData(), static_cast<std::size_t>(digits.size())));
        !checked) {
        return bad(QStringLiteral("pin.initial: ") + checked.error().detail);
    }
    p.pinDigits = toSecure(digits);
    const auto tries = optionalIntField(pin, "tries", 1, 15, 3);
    if (!tries) {
        return bad(QStringLiteral("pin.tries must be 1..15"));
    }
    p.pinTries = static_cast<std::uint8_t>(*tries);

    const QJsonObject limits = json.value(QStringLiteral("limits")).toObject();
    if (auto e = onlyKeys(limits, QStringLiteral("limits"), {"maxBalance", "noPinLimit", "initialFunding"})) {
        return *e;
    }
    const std::pair<const char*, Amount*> amounts[]
        = {{"maxBalance", &p.maxBalance}, {"noPinLimit", &p.noPinLimit}, {"initialFunding", &p.initialFunding}};
    for (const auto& [key, slot] : amounts) {
        const QJsonValue v = limits.value(QLatin1String(key));
        if (v.isUndefined()) {
            continue;
        }
        if (!v.isString()) {
            return bad(QStringLiteral("limits.%1 must be a string like \"10000.00\"").arg(QLatin1String(key)));
        }
        auto a = Amount::parse(v.toString());
        if (!a) {
            return bad(QStringLiteral("limits.%1: %2").arg(QLatin1String(key), a.error().detail));
        }
        *slot = *a;
    }
    if (p.maxBalance.isZero()) {
        return bad(QStringLiteral("limits.maxBalance must be above 0"));
    }

    const QJsonObject policy = json.value(QStringLiteral("policy")).toObject();
    if (auto e = onlyKeys(policy,
            QStringLiteral("policy"),
            {"loadNeedsPin", "purchaseAboveLimitNeedsPin", "readCardholderNeedsPin", "purchaseNeedsTouch"})) {
        return *e;
    }
    for (const char* flag :
        {"loadNeedsPin", "purchaseAboveLimitNeedsPin", "readCardholderNeedsPin", "purchaseNeedsTouch"}) {
        const QJsonValue v = policy.value(QLatin1String(flag));
        if (!v.isUndefined() && !v.isBool()) {
            return bad(QStringLiteral("policy.%1 must be true or false").arg(QLatin1String(flag)));
        }
    }
    p.loadNeedsPin = policy.value(QStringLiteral("loadNeedsPin")).toBool(true);
    p.purchaseAboveLimitNeedsPin = policy.value(QStringLiteral("purchaseAboveLimitNeedsPin")).toBool(true);
    p.readCardholderNeedsPin = policy.value(QStringLiteral("readCardholderNeedsPin")).toBool(false);
    p.purchaseNeedsTouch = policy.value(QStringLiteral("purchaseNeedsTouch")).toBool(false);

    if (json.contains(QStringLiteral("recordCapacity"))) {
        const auto n = intField(json.value(QStringLiteral("recordCapacity")), 10, 100);
        if (!n) {
            return bad(QStringLiteral("\"recordCapacity\" must be 10..100"));
        }
        p.recordCapacity = static_cast<std::uint8_t>(*n);
    }
    return p;
}

} // namespace wallet::core
