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

    [[nodiscard]] std::optional<QByteArray> hex(const QString& key, int bytes);
    [[nodiscard]] std::optional<qint64> integer(const QString& key, qint64 min, qint64 max);
    [[nodiscard]] std::optional<QString> oneOf(const QString& key, const QStringList& values);
    [[nodiscard]] std::optional<QString> digits(const QString& key, int count);
    [[nodiscard]] std::optional<QString> uuid(const QString& key);

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
