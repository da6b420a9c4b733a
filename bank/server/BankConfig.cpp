// SPDX-License-Identifier: Apache-2.0
#include "bank/server/BankConfig.h"

#include "bank/db/Db.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdlib>

namespace wallet::bank {

using core::ErrorCode;
using core::makeError;

Result<BankConfig> BankConfig::load(const QString& dataDir)
{
    BankConfig c;
    c.dataDir = dataDir;
    QFile f(c.path(QStringLiteral("bank.json")));
    if (!f.open(QIODevice::ReadOnly)) {
        return makeError(ErrorCode::NotFound,
            QStringLiteral("%1 is not a bank data folder (no bank.json): run `bankctl init --data %1 [--db "
                           "sqlite:<file>|<conninfo>]`")
                .arg(dataDir));
    }
    QJsonParseError err{};
    const QJsonObject o = QJsonDocument::fromJson(f.readAll(), &err).object();
    if (err.error != QJsonParseError::NoError || !o.value(QStringLiteral("conninfo")).isString()) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("%1: bank.json is damaged").arg(dataDir));
    }
    c.setDatabase(o.value(QStringLiteral("conninfo")).toString().toStdString());
    c.pkcs11Module = o.value(QStringLiteral("pkcs11Module")).toString().toStdString();
    c.tokenLabel = o.value(QStringLiteral("token")).toString().toStdString();
    c.test = o.value(QStringLiteral("test")).toBool(false);
    c.localDemo = o.value(QStringLiteral("localDemo")).toBool(false);
    c.enrolledTerminalsOnly = o.value(QStringLiteral("enrolledTerminalsOnly")).toBool(false);
    return c;
}

void BankConfig::setDatabase(const std::string& typed)
{
    storedConninfo = typed;
    conninfo = typed;
    if (Db::isSqlite(typed)) {
        const QString file = QString::fromStdString(Db::sqlitePath(typed));
        if (QDir::isRelativePath(file)) {
            conninfo = "sqlite:" + QDir(dataDir).absoluteFilePath(file).toStdString();
        }
    }
}

Result<void> BankConfig::save() const
{
    const QJsonObject o{
        {QStringLiteral("conninfo"), QString::fromStdString(storedConninfo.empty() ? conninfo : storedConninfo)},
        {QStringLiteral("pkcs11Module"), QString::fromStdString(pkcs11Module)},
        {QStringLiteral("token"), QString::fromStdString(tokenLabel)},
        {QStringLiteral("test"), test},
        {QStringLiteral("localDemo"), localDemo},
        {QStringLiteral("enrolledTerminalsOnly"), enrolledTerminalsOnly}};
    QFile f(path(QStringLiteral("bank.json")));
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return makeError(ErrorCode::StorageError, QStringLiteral("cannot write %1").arg(f.fileName()));
    }
    const QByteArray text = QJsonDocument(o).toJson();
    if (f.write(text) != text.size()) {
        return makeError(ErrorCode::StorageError, QStringLiteral("cannot write %1").arg(f.fileName()));
    }
    return {};
}

void BankConfig::exportSoftHsmConfig() const
{
    const QString conf = path(QStringLiteral("softhsm2.conf"));
    if (QFile::exists(conf)) {
        setenv("SOFTHSM2_CONF", conf.toLocal8Bit().constData(), 1);
    }
}

Result<SecureBytes> BankConfig::readHsmPin() const
{
    QFile f(path(QStringLiteral("hsm-pin")));
    if (!f.open(QIODevice::ReadOnly)) {
        return makeError(ErrorCode::NotFound, QStringLiteral("%1: no hsm-pin; run `bankctl init`").arg(dataDir));
    }
    if (f.permissions()
        & (QFileDevice::ReadGroup | QFileDevice::ReadOther | QFileDevice::WriteGroup | QFileDevice::WriteOther)) {
        return makeError(
            ErrorCode::PermissionDenied, QStringLiteral("%1 is readable by others: chmod 600 it").arg(f.fileName()));
    }
    SecureBytes pin(64);
    const qint64 n = f.read(reinterpret_cast<char*>(pin.data()), static_cast<qint64>(pin.size()));
    if (n <= 0) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("%1 is empty").arg(f.fileName()));
    }
    pin.resize(static_cast<std::size_t>(n));
    while (!pin.empty() && (pin.back() == '\n' || pin.back() == '\r')) {
        pin.pop_back();
    }
    return pin;
}

Result<std::unique_ptr<Hsm>> BankConfig::openHsm() const
{
    auto pin = readHsmPin();
    if (!pin) {
        return pin.error();
    }
    exportSoftHsmConfig();
    auto hsm = Hsm::load(pkcs11Module);
    if (!hsm) {
        return hsm.error();
    }
    if (auto l = (*hsm)->login(tokenLabel, *pin); !l) {
        return l.error();
    }
    return std::move(hsm.value());
}

} // namespace wallet::bank
