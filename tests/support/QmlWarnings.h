// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QString>
#include <QStringList>
#include <QtGlobal>

namespace wallet::test {

/**
 * @brief Any QML warning at run time fails the GUI test (issue 17 item 14): binding loops, TypeError and
 * ReferenceError in a binding or handler, "Cannot anchor…", console.warn/error, anything the QML engine or Qt Quick
 * reports while a test runs.
 *
 * install() puts a message handler on top of whatever handles messages now (QTest's own logger during qExec) and
 * passes every message on to it, so the output stays as before. A warning that comes from QML — the message or its
 * source file names a .qml/.js file, or its category is `qml`, `js`, `qt.qml.*` or `qt.quick.*` — is recorded and
 * fails the test function that is running (QTest::qFail with the warning's text: the function goes on and ends
 * FAILed, with the text printed). A warning on another thread fails the current function from the GUI thread.
 *
 * QTest installs its handler when qExec starts and does not pass messages on, so this must be installed from inside
 * the test run: QuickDriver's constructor and settle() call it (every test that drives a window with QuickDriver is
 * covered from its first QuickDriver on); other GUI tests call it in initTestCase(). Idempotent and cheap.
 */
class QmlWarnings
{
public:
    /// Installs (again, when another handler went on top or replaced it) the failing handler.
    static void install();
    /// Every QML warning seen so far in this process, oldest first (also those that already failed a function).
    [[nodiscard]] static QStringList seen();
    /// True when `category`/`file`/`message` make a message a QML one (exposed for tests of the filter).
    [[nodiscard]] static bool isQmlMessage(const char* category, const char* file, const QString& message);
};

} // namespace wallet::test
