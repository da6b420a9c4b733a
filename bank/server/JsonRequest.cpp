// SPDX-License-Identifier: Apache-2.0
#include "bank/server/JsonRequest.h"

#include <QJsonDocument>
#include <QRegularExpression>
#include <QVariant>

namespace wallet::bank {

JsonRequest::JsonRequest(QJsonObject object, const QSet<QString>& allowed, QString pointerPrefix)
    : m_object(std::move(object))
    , m_prefix(std::move(pointerPrefix))
{
    for (auto it = m_object.constBegin(); it != m_object.constEnd(); ++it) {
        if (!allowed.contains(it.key())) {
            fail(it.key(), QStringLiteral("unknown field"));
        }
    }
}

std::optional<QJsonObject> JsonRequest::parseBody(const QByteArray& body, QString* error)
{
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(body.isEmpty() ? QByteArray("{}") : body, &err);
    if (err.error != QJsonParseError::NoError) {
        if (error) {
            *error = QStringLiteral("%1 at byte %2.").arg(err.errorString()).arg(err.offset);
        }
        return std::nullopt;
    }
    if (!doc.isObject()) {
        if (error) {
            *error = QStringLiteral("Expected an object.");
        }
        return std::nullopt;
    }
    return doc.object();
}

QByteArray JsonRequest::canonical(const QJsonObject& body)
{
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

void JsonRequest::fail(const QString& key, const QString& why)
{
    m_errors.emplace_back(m_prefix + QLatin1Char('/') + key, why);
}

std::optional<QString> JsonRequest::string(const QString& key)
{
    const QJsonValue v = m_object.value(key);
    if (v.isUndefined()) {
        fail(key, QStringLiteral("required"));
        return std::nullopt;
    }
    if (!v.isString()) {
        fail(key, QStringLiteral("must be a string"));
        return std::nullopt;
    }
    return v.toString();
}

std::optional<QByteArray> JsonRequest::hex(const QString& key, int bytes)
{
    auto s = string(key);
    if (!s) {
        return std::nullopt;
    }
    static const QRegularExpression upperHex(QStringLiteral("^[0-9A-F]*$"));
    if (s->size() != 2 * bytes || !upperHex.match(*s).hasMatch()) {
        fail(key, QStringLiteral("expected %1 uppercase hex digits (%2 bytes)").arg(2 * bytes).arg(bytes));
        return std::nullopt;
    }
    return QByteArray::fromHex(s->toLatin1());
}

std::optional<qint64> JsonRequest::integer(const QString& key, qint64 min, qint64 max)
{
    const QJsonValue v = m_object.value(key);
    if (v.isUndefined()) {
        fail(key, QStringLiteral("required"));
        return std::nullopt;
    }
    // Qt keeps a JSON number written without fraction or exponent as a 64-bit integer; anything else is refused.
    const QVariant var = v.toVariant();
    if (!v.isDouble() || var.typeId() != QMetaType::LongLong) {
        fail(key, QStringLiteral("must be an integer"));
        return std::nullopt;
    }
    const qint64 n = var.toLongLong();
    if (n < min || n > max) {
        fail(key, QStringLiteral("must be between %1 and %2").arg(min).arg(max));
        return std::nullopt;
    }
    return n;
}

std::optional<QString> JsonRequest::oneOf(const QString& key, const QStringList& values)
{
    auto s = string(key);
    if (s && !values.contains(*s)) {
        fail(key, QStringLiteral("must be one of: ") + values.join(QStringLiteral(", ")));
        return std::nullopt;
    }
    return s;
}

std::optional<QString> JsonRequest::digits(const QString& key, int count)
{
    auto s = string(key);
    static const QRegularExpression re(QStringLiteral("^[0-9]*$"));
    if (s && (s->size() != count || !re.match(*s).hasMatch())) {
        fail(key, QStringLiteral("expected %1 digits").arg(count));
        return std::nullopt;
    }
    return s;
}

std::optional<QString> JsonRequest::uuid(const QString& key)
{
    auto s = string(key);
    static const QRegularExpression re(
        QStringLiteral("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"));
    if (s && !re.match(*s).hasMatch()) {
        fail(key, QStringLiteral("expected a lowercase UUID"));
        return std::nullopt;
    }
    return s;
}

std::optional<QString> JsonRequest::text(const QString& key, int minLength, int maxLength)
{
    auto s = string(key);
    if (s && (s->size() < minLength || s->size() > maxLength)) {
        fail(key, QStringLiteral("expected %1 to %2 characters").arg(minLength).arg(maxLength));
        return std::nullopt;
    }
    return s;
}

} // namespace wallet::bank
