// SPDX-License-Identifier: Apache-2.0
// Reads the golden vectors: ../shared/spec/vectors/pboc.json when present, else the copy in tests/data (see
// tests/support/GoldenVectors.h: a missing file or a short table ends the test).
#pragma once

#include "support/GoldenVectors.h"

#include <QByteArray>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>

namespace wallet::core::test {

inline QJsonObject loadVectors()
{
    return skey::vectors::loadGoldenVectorsOrDie();
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
