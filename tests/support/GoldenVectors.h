// SPDX-License-Identifier: Apache-2.0
// The one reader of the golden vectors. The contract is ../shared/spec/vectors/pboc.json (SKEY_SHARED_DIR, set by
// ctest): it is read when it exists, so a new vector in the spec is tested at once; tests/data/vectors/pboc.json is
// the committed copy for a checkout without shared/. A missing file, a file that is not JSON, or a table with fewer
// rows than the spec had when this was written is a test failure, never an empty (passing) data set.
#pragma once

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>

namespace skey::vectors {

/// Rows each table held on 2026-12-02 (spec/vectors/pboc.json); a file with fewer is refused.
struct MinimumRows
{
    const char* table;
    int rows;
};
inline constexpr MinimumRows kMinimumRows[]
    = {{"primitives", 14}, {"flows", 4}, {"secure_messaging", 8}, {"personalization", 5}};

/// Where the vectors were read from (the shared contract or the committed copy), for the test log.
inline QString& vectorsSource()
{
    static QString source;
    return source;
}

/// Reads the vectors; on any problem returns an empty object and sets `error` (the caller fails the test with it).
inline QJsonObject loadGoldenVectors(QString& error)
{
    const QString shared = qEnvironmentVariable("SKEY_SHARED_DIR");
    const QString source = qEnvironmentVariable("SKEY_SOURCE_DIR", QStringLiteral("."));
    QString path = shared + QStringLiteral("/spec/vectors/pboc.json");
    if (shared.isEmpty() || !QFile::exists(path)) {
        path = source + QStringLiteral("/tests/data/vectors/pboc.json");
    }
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        error = QStringLiteral("golden vectors missing: %1 (%2)").arg(path, f.errorString());
        return {};
    }
    QJsonParseError parse{};
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &parse);
    if (parse.error != QJsonParseError::NoError || !doc.isObject()) {
        error = QStringLiteral("golden vectors %1 are not a JSON object: %2").arg(path, parse.errorString());
        return {};
    }
    const QJsonObject o = doc.object();
    for (const MinimumRows& m : kMinimumRows) {
        const int n = o.value(QLatin1String(m.table)).toArray().size();
        if (n < m.rows) {
            error = QStringLiteral("golden vectors %1: table %2 has %3 rows, expected at least %4")
                        .arg(path, QLatin1String(m.table))
                        .arg(n)
                        .arg(m.rows);
            return {};
        }
    }
    vectorsSource() = path;
    return o;
}

/// As above, but a problem ends the test program (qFatal): for data functions that cannot fail a test.
inline QJsonObject loadGoldenVectorsOrDie()
{
    QString error;
    QJsonObject o = loadGoldenVectors(error);
    if (o.isEmpty()) {
        qFatal("%s", qPrintable(error));
    }
    return o;
}

} // namespace skey::vectors
