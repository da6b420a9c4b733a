// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QTemporaryDir>

namespace wallet::core::test {
/// A fresh directory per test (SQLite files, key stores), removed afterwards.
inline QString tempPath(QTemporaryDir& dir, const char* name)
{
    return dir.filePath(QString::fromLatin1(name));
}
} // namespace wallet::core::test
