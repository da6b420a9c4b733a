// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QQuickWindow>
#include <QString>
#include <QStringList>

namespace wallet::app {

/**
 * @brief What the window shows, for the self-test dump, the screenshot tour and the GUI tests: the texts of every
 * visible text item (in reading order) and a grab of the window.
 */
class UiSnapshot
{
public:
    /// Texts of visible text items (Text, TextField, TextEdit, button labels) in item-tree order; empty ones skipped.
    [[nodiscard]] static QStringList visibleTexts(QQuickWindow* window);
    /// Saves a grab of the window as PNG. False when the grab failed.
    [[nodiscard]] static bool grab(QQuickWindow* window, const QString& path);
    /// After the window's first frame: writes visibleTexts() to `path` (UTF-8, one per line) and quits the
    /// application with 0 (1 when the file cannot be written). The installed kiosk and branch station's
    /// `--selftest-dump` (scripts/package-test.sh).
    static void dumpAfterFirstFrame(QQuickWindow* window, const QString& path);
};

} // namespace wallet::app
