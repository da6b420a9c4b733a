// SPDX-License-Identifier: Apache-2.0
// What the branch tests (test_branch_station, test_branchctl_services, test_branch_batch) do the same way around
// BankRig: staff added with bankctl (the password on stdin), a terminal's bank-client.json, a merchant's order over
// the API, one number from the database, and `bankctl audit ledger`.
#pragma once

#include "bank/support/BankRig.h"

#include <httplib.h>

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QUuid>

#include <optional>
#include <string>
#include <vector>

namespace wallet::bank::test {

/// A program of the build tree, from a test executable in build/tests/<area>/.
inline QString buildProgram(const char* relative)
{
    return QCoreApplication::applicationDirPath() + QStringLiteral("/../../") + QString::fromLatin1(relative);
}

/// `bankctl staff add` with the password on stdin (never argv).
inline bool addStaff(BankRig& rig, const QString& user, const QString& role, const QString& password)
{
    const QString why = rig.addStaff(user, role, password);
    if (!why.isEmpty()) {
        qWarning("%s", qPrintable(why));
    }
    return why.isEmpty();
}

/// `<dir>/bank-client.json` for the rig's client certificate `<certificate>.pem/.key` (branch, client, …), pointing
/// at the rig's current port. Its path, empty on failure.
inline QString writeBankClientConfig(BankRig& rig, const QString& dir, const QString& certificate)
{
    QDir().mkpath(dir);
    QFile::setPermissions(
        rig.tlsPath(certificate + QStringLiteral(".key")), QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    const QString path = QDir(dir).filePath(QStringLiteral("bank-client.json"));
    QFile config(path);
    if (!config.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return {};
    }
    config.write(QJsonDocument(QJsonObject{{QStringLiteral("format"), QStringLiteral("smartkey-bank-client/1")},
                                   {QStringLiteral("url"), QStringLiteral("https://127.0.0.1:%1").arg(rig.port())},
                                   {QStringLiteral("caCertificate"), rig.tlsPath(QStringLiteral("ca.pem"))},
                                   {QStringLiteral("certificate"), rig.tlsPath(certificate + QStringLiteral(".pem"))},
                                   {QStringLiteral("privateKey"), rig.tlsPath(certificate + QStringLiteral(".key"))}})
                     .toJson());
    return path;
}

/// POST /v1/orders as the demo merchant (its certificate shop.pem): the order (paymentLink, orderId, …).
inline QJsonObject merchantOrder(BankRig& rig, qint64 amount, const QString& reference, const QString& description)
{
    httplib::SSLClient c("127.0.0.1",
        rig.port(),
        rig.tlsPath(QStringLiteral("shop.pem")).toStdString(),
        rig.tlsPath(QStringLiteral("shop.key")).toStdString());
    c.set_ca_cert_path(rig.tlsPath(QStringLiteral("ca.pem")).toStdString().c_str());
    c.enable_server_certificate_verification(true);
    const QJsonObject body{{QStringLiteral("amount"), amount},
        {QStringLiteral("reference"), reference},
        {QStringLiteral("description"), description}};
    auto res = c.Post("/v1/orders",
        httplib::Headers{{"Idempotency-Key", QUuid::createUuid().toString(QUuid::WithoutBraces).toStdString()}},
        QJsonDocument(body).toJson(QJsonDocument::Compact).toStdString(),
        "application/json");
    return res ? QJsonDocument::fromJson(QByteArray::fromStdString(res->body)).object() : QJsonObject{};
}

/// One integer from the bank's database, -1 when there is none.
inline qint64 sqlInteger(
    BankRig& rig, const std::string& sql, const std::vector<std::optional<std::string>>& params = {})
{
    auto r = rig.db().exec(sql, params);
    return r && r->rows() == 1 && !r->isNull(0, 0) ? r->integer(0, 0) : -1;
}

/// `bankctl audit ledger` (docs/bank.md §7.2): 0 when every invariant holds.
inline int ledgerAudit(BankRig& rig)
{
    QString out;
    const int rc = rig.bankctl({QStringLiteral("audit"), QStringLiteral("ledger")}, &out);
    if (rc != 0) {
        qWarning("audit ledger: %s", qPrintable(out));
    }
    return rc;
}

} // namespace wallet::bank::test
