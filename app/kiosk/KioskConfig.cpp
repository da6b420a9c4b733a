// SPDX-License-Identifier: Apache-2.0
#include "app/kiosk/KioskConfig.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <botan/auto_rng.h>
#include <botan/mem_ops.h>
#include <botan/pbkdf.h>

namespace wallet::kiosk {

using core::ErrorCode;
using core::makeError;

core::Result<KioskConfig> KioskConfig::load(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("cannot read the kiosk configuration %1").arg(path));
    }
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &pe);
    if (!doc.isObject()) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("%1 is not JSON: %2").arg(path, pe.errorString()));
    }
    const QJsonObject o = doc.object();
    if (o.value(QStringLiteral("format")).toString() != QLatin1String("smartkey-kiosk/1")) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("%1: format must be smartkey-kiosk/1").arg(path));
    }
    const QDir base = QFileInfo(path).absoluteDir();
    auto file = [&](const char* key) {
        const QString v = o.value(QLatin1String(key)).toString();
        return v.isEmpty() ? v : QDir::cleanPath(base.absoluteFilePath(v));
    };
    KioskConfig c;
    c.file = path;
    c.dataDir = file("dataDir");
    c.receiptDir = file("receiptDir");
    c.bankConfig = file("bankConfig");
    c.simulatorDir = file("simulatorDir");
    c.simulatorProfile = file("simulatorProfile");
    if (c.dataDir.isEmpty()) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("%1: dataDir is required").arg(path));
    }
    if (c.receiptDir.isEmpty()) {
        c.receiptDir = QDir(c.dataDir).filePath(QStringLiteral("receipts"));
    }
    c.idleSeconds = o.value(QStringLiteral("idleSeconds")).toInt(60);
    if (c.idleSeconds < 5 || c.idleSeconds > 3600) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("%1: idleSeconds must be 5..3600").arg(path));
    }
    c.operatorPinHash = o.value(QStringLiteral("operatorPinHash")).toString();
    if (!c.operatorPinHash.startsWith(QLatin1String("pbkdf2-sha256$"))) {
        return makeError(ErrorCode::InvalidInput,
            QStringLiteral("%1: operatorPinHash must be a hash made by `smartkey-kiosk --hash-operator-pin`")
                .arg(path));
    }
    const QJsonObject psam = o.value(QStringLiteral("psam")).toObject();
    c.psamType = psam.value(QStringLiteral("type")).toString(QStringLiteral("local"));
    if (c.psamType != QLatin1String("local") && c.psamType != QLatin1String("pcsc")) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("%1: psam.type must be local or pcsc").arg(path));
    }
    const QString tid = psam.value(QStringLiteral("terminalId")).toString(QStringLiteral("223344556677"));
    c.terminalId = QByteArray::fromHex(tid.toLatin1());
    if (c.terminalId.size() != 6 || tid.size() != 12) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("%1: psam.terminalId must be 12 digits").arg(path));
    }
    c.pcscReader = psam.value(QStringLiteral("reader")).toString();
    c.merchantName = o.value(QStringLiteral("merchantName")).toString(c.merchantName);
    c.language = o.value(QStringLiteral("language")).toString(c.language);
    c.usb = o.value(QStringLiteral("usb")).toBool(true);
    c.autoSettleSeconds = o.value(QStringLiteral("autoSettleSeconds")).toInt(c.autoSettleSeconds);
    if (c.autoSettleSeconds != 0 && (c.autoSettleSeconds < 30 || c.autoSettleSeconds > 86400)) {
        return makeError(
            ErrorCode::InvalidInput, QStringLiteral("%1: autoSettleSeconds must be 0 (off) or 30..86400").arg(path));
    }
    for (const auto& v : o.value(QStringLiteral("priceList")).toArray()) {
        const QJsonObject p = v.toObject();
        auto amount = core::Amount::parse(p.value(QStringLiteral("amount")).toString());
        if (!amount || amount->isZero()) {
            return makeError(ErrorCode::InvalidInput,
                QStringLiteral("%1: price of %2 is not an amount")
                    .arg(path, p.value(QStringLiteral("name")).toString()));
        }
        c.priceList.push_back({p.value(QStringLiteral("name")).toString(), *amount});
    }
    return c;
}

namespace {

std::vector<std::uint8_t> derive(const Botan::secure_vector<char>& pin, const QByteArray& salt, std::size_t iterations)
{
    std::vector<std::uint8_t> out(32);
    try {
        auto pbkdf = Botan::PBKDF::create_or_throw("PBKDF2(SHA-256)");
        pbkdf->pbkdf_iterations(out.data(),
            out.size(),
            std::string(pin.data(), pin.size()),
            reinterpret_cast<const std::uint8_t*>(salt.constData()),
            static_cast<std::size_t>(salt.size()),
            iterations);
    } catch (const std::exception&) {
        out.clear();
    }
    return out;
}

} // namespace

QString hashOperatorPin(const Botan::secure_vector<char>& pin, int iterations)
{
    Botan::AutoSeeded_RNG rng;
    QByteArray salt(16, '\0');
    rng.randomize(reinterpret_cast<std::uint8_t*>(salt.data()), static_cast<std::size_t>(salt.size()));
    const auto h = derive(pin, salt, static_cast<std::size_t>(iterations));
    return QStringLiteral("pbkdf2-sha256$%1$%2$%3")
        .arg(iterations)
        .arg(QString::fromLatin1(salt.toHex()),
            QString::fromLatin1(
                QByteArray(reinterpret_cast<const char*>(h.data()), static_cast<int>(h.size())).toHex()));
}

bool verifyOperatorPin(const Botan::secure_vector<char>& pin, const QString& hash)
{
    const QStringList parts = hash.split(QLatin1Char('$'));
    if (parts.size() != 4 || parts[0] != QLatin1String("pbkdf2-sha256")) {
        return false;
    }
    bool ok = false;
    const int iterations = parts[1].toInt(&ok);
    const QByteArray salt = QByteArray::fromHex(parts[2].toLatin1());
    const QByteArray want = QByteArray::fromHex(parts[3].toLatin1());
    if (!ok || iterations < 1000 || salt.size() < 8 || want.size() != 32 || pin.empty()) {
        return false;
    }
    const auto got = derive(pin, salt, static_cast<std::size_t>(iterations));
    return got.size() == 32
        && Botan::constant_time_compare(got.data(), reinterpret_cast<const std::uint8_t*>(want.constData()), 32);
}

} // namespace wallet::kiosk
