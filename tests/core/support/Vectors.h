// SPDX-License-Identifier: Apache-2.0
// Reads the golden vectors (tests/data/vectors/pboc.json, a copy of shared/spec/vectors/pboc.json).
#pragma once

#include <QByteArray>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>

namespace wallet::core::test {

inline QJsonObject loadVectors()
{
    const QString root = qEnvironmentVariable("SKEY_SOURCE_DIR", QStringLiteral(WALLET_SOURCE_DIR));
    QFile f(root + QStringLiteral("/tests/data/vectors/pboc.json"));
    if (!f.open(QIODevice::ReadOnly)) {
        return {};
    }
    return QJsonDocument::fromJson(f.readAll()).object();
}

inline QByteArray hex(const QString& s)
{
    QString c = s;
    c.remove(QLatin1Char(' '));
    return QByteArray::fromHex(c.toLatin1());
}

} // namespace wallet::core::test

namespace wallet::core::test {
/// The error text of a Result, or "" when it holds a value (QVERIFY2 evaluates its message eagerly).
template <typename R>
QByteArray errText(const R& r)
{
    return r.ok() ? QByteArray() : r.error().detail.toUtf8();
}
} // namespace wallet::core::test
/// Evaluates `expr` exactly once (it may be a transaction!) and fails the test with its error text.
#define CORE_VERIFY_OK(expr)                                                                                           \
    do {                                                                                                               \
        const auto& coreResult_ = (expr);                                                                              \
        QVERIFY2(coreResult_.ok(), wallet::core::test::errText(coreResult_).constData());                              \
    } while (false)
