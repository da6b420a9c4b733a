// SPDX-License-Identifier: Apache-2.0
#include "support/QuickDriver.h"

#include "support/QmlWarnings.h"

#include "app/gui/UiSnapshot.h"

#include <QtQuickTest/quicktest.h>
#include <QtTest>

#include <algorithm>

namespace wallet::test {

namespace {
void collectNamed(QQuickItem* item, const QString& name, QList<QQuickItem*>& out)
{
    for (QQuickItem* child : item->childItems()) {
        if (child->objectName() == name) {
            out << child;
        }
        collectNamed(child, name, out);
    }
}
} // namespace

QuickDriver::QuickDriver(QQuickWindow* window)
    : m_window(window)
{
    QmlWarnings::install(); // any QML warning from here on fails the test function (issue 17 item 14)
}

void QuickDriver::settle() const
{
    QmlWarnings::install(); // again on top when a handler installed since (the wallet's LogCollector) went away
    if (!m_window) {
        return;
    }
    QCoreApplication::processEvents();
    // Layouts position their children while a frame is prepared: wait for that before reading positions.
    if (QQuickTest::qIsPolishScheduled(m_window)) {
        (void)QQuickTest::qWaitForPolish(m_window, 5000);
    }
    QCoreApplication::processEvents();
}

QList<QQuickItem*> QuickDriver::named(const QString& name, QQuickItem* under) const
{
    QList<QQuickItem*> out;
    if (under) {
        collectNamed(under, name, out);
    }
    return out;
}

bool QuickDriver::isShownItem(const QQuickItem* item) const
{
    for (const QQuickItem* i = item; i; i = i->parentItem()) {
        if (!i->isVisible() || i->opacity() <= 0.01) {
            return false;
        }
    }
    const QRectF box = item->mapRectToScene(QRectF(0, 0, item->width(), item->height()));
    return box.intersects(QRectF(0, 0, m_window->width(), m_window->height()));
}

void QuickDriver::scrollIntoView(QQuickItem* item) const
{
    // As a person scrolls a page to reach a button below the fold: the nearest Flickable moves its content.
    for (QQuickItem* p = item->parentItem(); p; p = p->parentItem()) {
        if (!p->inherits("QQuickFlickable")) {
            continue;
        }
        const QRectF box = item->mapRectToItem(p, QRectF(0, 0, item->width(), item->height()));
        const qreal contentY = p->property("contentY").toReal();
        const qreal maxY = std::max<qreal>(0, p->property("contentHeight").toReal() - p->height());
        qreal wanted = contentY;
        if (box.bottom() > p->height()) {
            wanted = contentY + box.bottom() - p->height();
        } else if (box.top() < 0) {
            wanted = contentY + box.top();
        }
        wanted = std::clamp<qreal>(wanted, 0, maxY);
        if (wanted != contentY) {
            p->setProperty("contentY", wanted);
            settle();
        }
        return;
    }
}

QQuickItem* QuickDriver::shown(const QString& name, const QString& scope) const
{
    if (!m_window) {
        return nullptr;
    }
    settle();
    QQuickItem* root = m_window->contentItem();
    if (!scope.isEmpty()) {
        root = shown(scope);
        if (!root) {
            return nullptr;
        }
    }
    QQuickItem* found = nullptr;
    for (QQuickItem* item : named(name, root)) {
        if (isShownItem(item)) {
            if (found) {
                return nullptr; // ambiguous: the test must give a scope
            }
            found = item;
        }
    }
    return found;
}

bool QuickDriver::waitShown(const QString& name, const QString& scope, int timeoutMs) const
{
    return QTest::qWaitFor([&] { return shown(name, scope) != nullptr; }, timeoutMs);
}

bool QuickDriver::click(const QString& name, const QString& scope)
{
    m_error.clear();
    QQuickItem* item = shown(name, scope);
    if (!item) {
        const int all = named(name, m_window->contentItem()).size();
        m_error = QStringLiteral("\"%1\"%2 is not shown (%3 item(s) of that name exist); the window shows:\n%4")
                      .arg(name, scope.isEmpty() ? QString() : QStringLiteral(" in \"%1\"").arg(scope))
                      .arg(all)
                      .arg(visibleTexts().join(QLatin1Char('\n')));
        return false;
    }
    if (!item->isEnabled()) {
        m_error = QStringLiteral("\"%1\" is shown but disabled").arg(name);
        return false;
    }
    scrollIntoView(item);
    const QPointF centre = item->mapToScene(QPointF(item->width() / 2, item->height() / 2));
    if (!QRectF(0, 0, m_window->width(), m_window->height()).contains(centre)) {
        m_error = QStringLiteral("\"%1\" has its centre outside the window").arg(name);
        return false;
    }
    QTest::mouseClick(m_window, Qt::LeftButton, Qt::NoModifier, centre.toPoint());
    settle();
    return true;
}

bool QuickDriver::typeInto(const QString& name, const QString& text, const QString& scope)
{
    if (!click(name, scope)) {
        return false;
    }
    QQuickItem* item = shown(name, scope);
    if (!item || !item->hasActiveFocus()) {
        m_error = QStringLiteral("\"%1\" did not take the keyboard focus when clicked").arg(name);
        return false;
    }
    key(Qt::Key_A, Qt::ControlModifier); // select all: what is typed replaces it
    if (text.isEmpty()) {
        key(Qt::Key_Backspace);
    } else {
        type(text);
    }
    return true;
}

void QuickDriver::type(const QString& text)
{
    // QTest::keyClicks exists for widgets only: one key click per character, with the character as its text.
    for (const QChar c : text) {
        QTest::keyClick(m_window, c.toLatin1());
    }
    settle();
}

void QuickDriver::key(Qt::Key key, Qt::KeyboardModifiers modifiers)
{
    QTest::keyClick(m_window, key, modifiers);
    settle();
}

QString QuickDriver::text(const QString& name, const QString& scope) const
{
    QQuickItem* item = shown(name, scope);
    if (!item) {
        return {};
    }
    const QVariant text = item->property("text");
    return text.isValid() ? text.toString() : item->property("value").toString();
}

QStringList QuickDriver::textsOf(const QString& name, const QString& scope) const
{
    QQuickItem* root = scope.isEmpty() ? m_window->contentItem() : shown(scope);
    QList<QQuickItem*> items;
    for (QQuickItem* item : named(name, root)) {
        if (isShownItem(item)) {
            items << item;
        }
    }
    // Top to bottom as on screen (a list's delegates are not created in row order).
    std::stable_sort(items.begin(), items.end(), [](const QQuickItem* a, const QQuickItem* b) {
        return a->mapToScene(QPointF()).y() < b->mapToScene(QPointF()).y();
    });
    QStringList out;
    for (const QQuickItem* item : items) {
        out << item->property("text").toString();
    }
    return out;
}

QVariant QuickDriver::property(const QString& name, const char* property, const QString& scope) const
{
    QQuickItem* item = shown(name, scope);
    return item ? item->property(property) : QVariant();
}

QStringList QuickDriver::visibleTexts() const
{
    return app::UiSnapshot::visibleTexts(m_window);
}

bool QuickDriver::shows(const QString& text) const
{
    for (const QString& t : visibleTexts()) {
        if (t.contains(text)) {
            return true;
        }
    }
    return false;
}

} // namespace wallet::test
