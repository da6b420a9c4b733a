// SPDX-License-Identifier: Apache-2.0
// Driving the real wallet window as a person would, for the money GUI tests: find items by objectName (through the
// item tree, which includes the overlay that popups live in), click their centre, type on the keyboard, and read
// what is visible.
#pragma once

#include "app/gui/UiSnapshot.h"

#include <QQuickItem>
#include <QQuickWindow>
#include <QtTest>

namespace moneyui {

/// Every item named `name` under `root`, depth first.
inline void collect(QQuickItem* root, const QString& name, QList<QQuickItem*>& out)
{
    if (root->objectName() == name) {
        out.append(root);
    }
    for (QQuickItem* child : root->childItems()) {
        collect(child, name, out);
    }
}

/// The visible item named `name` (the first one when several are visible), else null.
inline QQuickItem* visibleItem(QQuickWindow* window, const QString& name)
{
    QList<QQuickItem*> all;
    collect(window->contentItem(), name, all);
    for (QQuickItem* item : all) {
        if (item->isVisible() && item->width() > 0 && item->height() > 0) {
            return item;
        }
    }
    return nullptr;
}

/// A popup (Popup/Dialog: not an item) by objectName, searched among every object of the window.
inline QObject* popup(QQuickWindow* window, const QString& name)
{
    const QList<QObject*> all = window->findChildren<QObject*>(name);
    for (QObject* o : all) {
        if (o->property("opened").toBool()) {
            return o;
        }
    }
    return all.isEmpty() ? nullptr : all.first();
}

inline bool popupOpen(QQuickWindow* window, const QString& name)
{
    QObject* p = popup(window, name);
    return p && p->property("opened").toBool();
}

/// A left click in the middle of `item`.
inline void click(QQuickWindow* window, QQuickItem* item)
{
    const QPointF centre = item->mapToScene(QPointF(item->width() / 2, item->height() / 2));
    QTest::mouseClick(window, Qt::LeftButton, Qt::NoModifier, centre.toPoint());
}

/// Types `text` (ASCII) on the keyboard into the focused item. (Qt 6.4 has keyClicks() for widgets only.)
inline void typeText(QQuickWindow* window, const QString& text)
{
    for (const QChar c : text) {
        QTest::keyClick(window, c.toLatin1());
    }
}

/// Clicks into a text field and replaces its text by typing `text`.
inline void typeInto(QQuickWindow* window, QQuickItem* field, const QString& text)
{
    click(window, field);
    QTest::keyClick(window, Qt::Key_A, Qt::ControlModifier);
    QTest::keyClick(window, Qt::Key_Backspace);
    typeText(window, text);
}

/// Types a PIN on the visible PIN pad `name` with the keyboard and presses Enter.
inline void typePin(QQuickWindow* window, QQuickItem* pad, const char* digits)
{
    pad->forceActiveFocus();
    typeText(window, QString::fromLatin1(digits));
    QTest::keyClick(window, Qt::Key_Return);
}

inline QStringList shown(QQuickWindow* window)
{
    return wallet::app::UiSnapshot::visibleTexts(window);
}

/// True when a visible text of the window contains `text`.
inline bool shows(QQuickWindow* window, const QString& text)
{
    for (const QString& t : shown(window)) {
        if (t.contains(text)) {
            return true;
        }
    }
    return false;
}

} // namespace moneyui
