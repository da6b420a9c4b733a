// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QJsonObject>
#include <QSet>
#include <QString>

#include <optional>
#include <utility>
#include <vector>

namespace wallet::bank {

/**
 * @brief Strict reading of one request object against its schema in docs/bank-api.yaml: unknown fields are refused
 * (`additionalProperties: false`), integers must be JSON integers within their range (no fraction, no float,
 * docs/bank.md §6), hex is uppercase with its fixed length. Every problem is collected with its JSON pointer.
 */
class JsonRequest
{
public:
    JsonRequest(QJsonObject object, const QSet<QString>& allowed, QString pointerPrefix = {});

    /// A request body as every mutating route reads it: a JSON object (an empty body is `{}`); nullopt with the
    /// parser's words in `error` otherwise (400 malformed-json). Fuzzed by tests/bank/FuzzRequests.cpp.
    [[nodiscard]] static std::optional<QJsonObject> parseBody(const QByteArray& body, QString* error);
    /// The canonical form the request fingerprint covers (docs/bank.md §6.1): keys sorted, no whitespace.
    [[nodiscard]] static QByteArray canonical(const QJsonObject& body);

    [[nodiscard]] std::optional<QByteArray> hex(const QString& key, int bytes);
    [[nodiscard]] std::optional<qint64> integer(const QString& key, qint64 min, qint64 max);
    [[nodiscard]] std::optional<QString> oneOf(const QString& key, const QStringList& values);
    [[nodiscard]] std::optional<QString> digits(const QString& key, int count);
    [[nodiscard]] std::optional<QString> uuid(const QString& key);
    /// A string of minLength..maxLength characters (its `maxLength` in the contract), any content.
    [[nodiscard]] std::optional<QString> text(const QString& key, int minLength, int maxLength);

    [[nodiscard]] bool ok() const { return m_errors.empty(); }
    [[nodiscard]] const std::vector<std::pair<QString, QString>>& errors() const { return m_errors; }

private:
    [[nodiscard]] std::optional<QString> string(const QString& key);
    void fail(const QString& key, const QString& why);

    QJsonObject m_object;
    QString m_prefix;
    std::vector<std::pair<QString, QString>> m_errors;
};

} // namespace wallet::bank
