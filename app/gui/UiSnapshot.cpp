// SPDX-License-Identifier: Apache-2.0
#include "app/gui/UiSnapshot.h"

#include <QCoreApplication>
#include <QFile>
#include <QImage>
#include <QQuickItem>
#include <QTimer>

#include <memory>
#include <utility>
#include <vector>

namespace wallet::app {

namespace {
struct Found
{
    QPointF pos;
    QString text;
};

bool effectivelyVisible(const QQuickItem* item)
{
    for (const QQuickItem* i = item; i; i = i->parentItem()) {
        if (!i->isVisible() || i->opacity() <= 0.01) {
            return false;
        }
    }
    return true;
}

void collect(QQuickItem* item, const QRectF& viewport, std::vector<Found>& out)
{
    if (!item->isVisible() || item->opacity() <= 0.01) {
        return;
    }
    // Text, Label, TextField, TextEdit and the contentItem of buttons all carry a "text" property.
    const char* cls = item->metaObject()->className();
    const bool textual = qstrncmp(cls, "QQuickText", 10) == 0;
    if (textual) {
        const QString text = item->property("text").toString().trimmed();
        const QRectF box = item->mapRectToScene(QRectF(0, 0, item->width(), item->height()));
        if (!text.isEmpty() && box.intersects(viewport) && effectivelyVisible(item) && item->width() > 0) {
            out.push_back({box.topLeft(), text});
        }
    }
    for (QQuickItem* child : item->childItems()) {
        collect(child, viewport, out);
    }
}
} // namespace

QStringList UiSnapshot::visibleTexts(QQuickWindow* window)
{
    QStringList texts;
    if (!window) {
        return texts;
    }
    // Layouts are polished when a frame is prepared: make sure the last change has been laid out.
    (void)window->grabWindow();
    std::vector<Found> found;
    collect(window->contentItem(), QRectF(0, 0, window->width(), window->height()), found);
    // Item-tree order follows the layouts: the navigation rail first, then the page top to bottom.
    for (const Found& f : found) {
        texts << f.text;
    }
    return texts;
}

bool UiSnapshot::grab(QQuickWindow* window, const QString& path)
{
    if (!window) {
        return false;
    }
    const QImage image = window->grabWindow();
    return !image.isNull() && image.save(path, "PNG");
}

void UiSnapshot::dumpAfterFirstFrame(QQuickWindow* window, const QString& path)
{
    auto done = std::make_shared<bool>(false);
    QObject::connect(window, &QQuickWindow::frameSwapped, window, [window, path, done] {
        if (std::exchange(*done, true)) {
            return;
        }
        // One more turn of the event loop: bindings that follow the first frame (texts of the first page) settle.
        QTimer::singleShot(200, window, [window, path] {
            QFile file(path);
            const bool ok = file.open(QIODevice::WriteOnly | QIODevice::Truncate)
                && file.write(visibleTexts(window).join(QLatin1Char('\n')).toUtf8() + "\n") >= 0;
            QCoreApplication::exit(ok ? 0 : 1);
        });
    });
    window->update();
}

} // namespace wallet::app
