// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QPointer>
#include <QQuickItem>
#include <QQuickWindow>
#include <QString>
#include <QStringList>

namespace wallet::test {

/**
 * @brief Drives a real Qt Quick window the way a person does: finds items by objectName, clicks them with the mouse
 * at their centre, types on the keyboard into whatever has the focus, and reads what is shown. Every event goes
 * through the window's normal delivery (QTest on the QQuickWindow), so the pages' wiring (onClicked, Keys, focus,
 * Shortcut) is what gets exercised, not the view models behind them.
 *
 * "Shown" means visible in the scene (the item and all its ancestors visible and not transparent) and inside the
 * window. Names are looked up under an optional scope (another objectName), because components such as the PIN pad
 * appear on several pages with the same inner names.
 *
 * From its construction on, any QML warning at run time fails the test function it happens in (QmlWarnings).
 */
class QuickDriver
{
public:
    explicit QuickDriver(QQuickWindow* window);

    [[nodiscard]] QQuickWindow* window() const { return m_window; }

    /// The one shown item called `name` (under the shown item `scope` when given); null when none or several are.
    [[nodiscard]] QQuickItem* shown(const QString& name, const QString& scope = {}) const;
    [[nodiscard]] bool isShown(const QString& name, const QString& scope = {}) const
    {
        return shown(name, scope) != nullptr;
    }
    /// Waits until `name` is shown (the UI follows the key asynchronously).
    [[nodiscard]] bool waitShown(const QString& name, const QString& scope = {}, int timeoutMs = 30000) const;
    /// Clicks the centre of the shown, enabled item `name`. False (with why in lastError()) when it cannot be clicked.
    [[nodiscard]] bool click(const QString& name, const QString& scope = {});
    /// Clicks a text field and replaces its text by typing `text` (select all, then the characters).
    [[nodiscard]] bool typeInto(const QString& name, const QString& text, const QString& scope = {});
    /// Types characters into the item that has the keyboard focus.
    void type(const QString& text);
    /// One key press and release (with modifiers: shortcuts) delivered to the window.
    void key(Qt::Key key, Qt::KeyboardModifiers modifiers = Qt::NoModifier);
    /// The text of a shown item: `text` (Text, TextField, buttons), else `value` (InfoRow); empty when not shown.
    [[nodiscard]] QString text(const QString& name, const QString& scope = {}) const;
    /// The texts of every shown item called `name` under `scope`, top to bottom (e.g. the rows of a list).
    [[nodiscard]] QStringList textsOf(const QString& name, const QString& scope = {}) const;
    /// A QML property of the shown item `name` (e.g. the PIN pad's `length`, a button's `enabled`).
    [[nodiscard]] QVariant property(const QString& name, const char* property, const QString& scope = {}) const;
    /// The texts of every visible text item, in reading order.
    [[nodiscard]] QStringList visibleTexts() const;
    /// True when some visible text contains `text`.
    [[nodiscard]] bool shows(const QString& text) const;
    /// Why the last click or typeInto failed.
    [[nodiscard]] QString lastError() const { return m_error; }
    /// Lets pending layout (polish) and bindings run, so positions and visibility are current.
    void settle() const;
    /// Every item of the window named `name`, shown or not (to put a reference window in a state; never to click).
    [[nodiscard]] QList<QQuickItem*> all(const QString& name) const
    {
        return named(name, m_window ? m_window->contentItem() : nullptr);
    }

private:
    [[nodiscard]] QList<QQuickItem*> named(const QString& name, QQuickItem* under) const;
    [[nodiscard]] bool isShownItem(const QQuickItem* item) const;
    void scrollIntoView(QQuickItem* item) const;

    QPointer<QQuickWindow> m_window;
    QString m_error;
};

} // namespace wallet::test
