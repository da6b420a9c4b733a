// SPDX-License-Identifier: Apache-2.0
// The kiosk GUI tests' shared steps on the real window (gui-kiosk, gui-kiosk-sam, gui-kiosk-settlement): clicks on the
// PIN pad, the operator's screen behind the operator PIN, screenshots. Each step fails the running test through
// QVERIFY; the caller checks QTest::currentTestFailed() where it must stop.
#pragma once

#include "tests/support/QuickDriver.h"

#include <QDir>
#include <QImage>
#include <QQuickWindow>
#include <QString>
#include <QtTest>

/// Waits up to 20 s for the named item, then clicks it (in a test slot or a void step of one).
#define KIOSK_CLICK(ui, name)                                                                                          \
    do {                                                                                                               \
        QVERIFY2((ui).waitShown(name, {}, 20000), qPrintable(QStringLiteral("not shown: ") + (name)));                 \
        QVERIFY2((ui).click(name), qPrintable((ui).lastError()));                                                      \
    } while (false)

namespace kiosktest {

/// The kiosk tests' operator PIN (their configurations hash it).
inline const QString kOperatorPin = QStringLiteral("2468");

/// Clicks `digits` on the shown PIN/amount pad ('.' is the decimal point key).
inline void typeOnPad(wallet::test::QuickDriver& ui, const QString& digits)
{
    for (const QChar c : digits) {
        const QString key = c == QLatin1Char('.') ? QStringLiteral("keyPoint") : QStringLiteral("key") + c;
        QVERIFY2(ui.click(key), qPrintable(ui.lastError()));
    }
}

/// From the welcome screen: the operator button, the operator PIN on the pad, OK, until the operator's screen shows.
inline void openOperatorScreen(wallet::test::QuickDriver& ui)
{
    KIOSK_CLICK(ui, QStringLiteral("operatorButton"));
    typeOnPad(ui, kOperatorPin);
    if (QTest::currentTestFailed()) {
        return;
    }
    KIOSK_CLICK(ui, QStringLiteral("pinOk"));
    QVERIFY(ui.waitShown(QStringLiteral("operatorScreen")));
}

/// Saves what the window shows as `<dir>/<lang>-<name>.png`.
inline void shot(
    wallet::test::QuickDriver& ui, QQuickWindow* window, const QString& dir, const QString& lang, const QString& name)
{
    ui.settle();
    const QImage image = window->grabWindow();
    QVERIFY(!image.isNull());
    const QString file = QDir(dir).filePath(QStringLiteral("%1-%2.png").arg(lang, name));
    QVERIFY2(image.save(file), qPrintable(file));
}

} // namespace kiosktest
