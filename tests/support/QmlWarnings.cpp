// SPDX-License-Identifier: Apache-2.0
#include "support/QmlWarnings.h"

#include <QCoreApplication>
#include <QMutex>
#include <QMutexLocker>
#include <QRegularExpression>
#include <QThread>
#include <QtTest>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace wallet::test {

namespace {

// The handlers found below ours at each install, oldest first: the newest is the one ours passes messages to (QTest's
// logger during qExec). When a handler installed after ours also chains to ours (the wallet's LogCollector), ours is
// called again from inside itself: that call passes the message to the handler below the older install.
std::vector<QtMessageHandler> g_chain;
thread_local int t_depth = 0;
QMutex g_mutex;
QStringList g_seen;
QStringList g_pending; // seen where no test function could be failed at once (another thread, between functions)

void failNow(const QString& warning)
{
    const QByteArray text = QStringLiteral("QML warning at run time (any fails a GUI test, issue 17 item 14):\n%1")
                                .arg(warning)
                                .toLocal8Bit();
    QTest::qFail(text.constData(), "QML", 0);
}

/// On the GUI thread inside a test function: every pending warning fails that function.
void failPending()
{
    if (!QTest::currentTestFunction() || !qApp || QThread::currentThread() != qApp->thread()) {
        return;
    }
    QStringList pending;
    {
        QMutexLocker lock(&g_mutex);
        pending.swap(g_pending);
    }
    for (const QString& w : pending) {
        failNow(w);
    }
}

void handler(QtMsgType type, const QMessageLogContext& context, const QString& message)
{
    const int depth = t_depth++;
    QtMessageHandler next = nullptr;
    {
        QMutexLocker lock(&g_mutex);
        const auto index = static_cast<std::ptrdiff_t>(g_chain.size()) - 1 - depth;
        next = index >= 0 ? g_chain[static_cast<std::size_t>(index)] : nullptr;
    }
    if (depth == 0 && type != QtDebugMsg && type != QtInfoMsg
        && QmlWarnings::isQmlMessage(context.category, context.file, message)) {
        const QString where = context.file && !message.contains(QLatin1String(context.file))
            ? QStringLiteral("%1:%2: ").arg(QString::fromUtf8(context.file)).arg(context.line)
            : QString();
        const QString warning = where + message;
        {
            QMutexLocker lock(&g_mutex);
            g_seen << warning;
            g_pending << warning;
        }
        if (QTest::currentTestFunction() && qApp && QThread::currentThread() == qApp->thread()) {
            failPending();
        } else if (qApp) {
            QMetaObject::invokeMethod(
                qApp, [] { failPending(); }, Qt::QueuedConnection);
        }
    }
    if (next) {
        next(type, context, message);
    } else {
        std::fprintf(stderr, "%s\n", qPrintable(qFormatLogMessage(type, context, message)));
    }
    --t_depth;
}

} // namespace

bool QmlWarnings::isQmlMessage(const char* category, const char* file, const QString& message)
{
    const QByteArray cat(category ? category : "");
    if (cat == "qml" || cat == "js" || cat.startsWith("qt.qml") || cat.startsWith("qt.quick")) {
        return true;
    }
    const QByteArray f(file ? file : "");
    if (f.endsWith(".qml") || f.endsWith(".js") || f.endsWith(".mjs")) {
        return true;
    }
    // The engine's own lines: "qrc:/…/Page.qml:12:5: …", "QML Text: Binding loop detected for property …".
    static const QRegularExpression qmlLine(QStringLiteral("\\.(qml|m?js):\\d+|^QML \\w|Binding loop detected"));
    return qmlLine.match(message).hasMatch();
}

void QmlWarnings::install()
{
    const QtMessageHandler below = qInstallMessageHandler(handler);
    if (below != handler) {
        QMutexLocker lock(&g_mutex);
        // Handlers above an older entry that are gone now (a LogCollector destroyed) leave the chain with it.
        const auto known = std::find(g_chain.begin(), g_chain.end(), below);
        g_chain.erase(known == g_chain.end() ? g_chain.end() : known, g_chain.end());
        g_chain.push_back(below);
    }
    failPending();
}

QStringList QmlWarnings::seen()
{
    QMutexLocker lock(&g_mutex);
    return g_seen;
}

} // namespace wallet::test
