// SPDX-License-Identifier: Apache-2.0
#include "bank/server/Reply.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace wallet::bank {

Reply Reply::json(int status, const QJsonObject& body, std::string location)
{
    Reply r;
    r.status = status;
    r.body = QJsonDocument(body).toJson(QJsonDocument::Compact);
    r.location = std::move(location);
    return r;
}

Reply Reply::problemOf(int status,
    const QString& code,
    const QString& title,
    const QString& detail,
    const QString& nextStep,
    const QString& requestId,
    const QString& state,
    const std::vector<std::pair<QString, QString>>& errors)
{
    QJsonObject o{{QStringLiteral("type"), QStringLiteral("tag:smartkey.example,2026:bank/") + code},
        {QStringLiteral("title"), title},
        {QStringLiteral("status"), status},
        {QStringLiteral("code"), code},
        {QStringLiteral("nextStep"), nextStep}};
    if (!detail.isEmpty()) {
        o.insert(QStringLiteral("detail"), detail);
    }
    if (!requestId.isEmpty()) {
        o.insert(QStringLiteral("requestId"), requestId.toLower());
    }
    if (!state.isEmpty()) {
        o.insert(QStringLiteral("state"), state);
    }
    if (!errors.empty()) {
        QJsonArray a;
        for (const auto& [pointer, why] : errors) {
            a.append(QJsonObject{{QStringLiteral("pointer"), pointer}, {QStringLiteral("detail"), why}});
        }
        o.insert(QStringLiteral("errors"), a);
    }
    Reply r = json(status, o);
    r.problem = true;
    return r;
}

bool Reply::storable() const
{
    if (status >= 200 && status < 300) {
        return true;
    }
    return status == 400 || status == 404 || (status == 409 && retryAfter == 0) || status == 410 || status == 422;
}

} // namespace wallet::bank
