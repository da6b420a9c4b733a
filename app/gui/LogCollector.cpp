// SPDX-License-Identifier: Apache-2.0
#include "app/gui/LogCollector.h"

#include <QDateTime>
#include <QMutexLocker>
#include <QRegularExpression>
#include <QSaveFile>
#include <QtGlobal>

#include <cstdio>

namespace wallet::app {

namespace {
LogCollector* g_collector = nullptr;
QtMessageHandler g_previous = nullptr;

void handler(QtMsgType type, const QMessageLogContext& context, const QString& message)
{
    if (g_collector) {
        static const char* const kinds[] = {"debug", "warning", "critical", "fatal", "info"};
        const char* kind = type >= 0 && type <= 4 ? kinds[type] : "log";
        g_collector->append(QStringLiteral("%1 %2 %3: %4")
                                .arg(QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs),
                                    QLatin1String(kind),
                                    QLatin1String(context.category ? context.category : "default"),
                                    message));
    }
    if (g_previous) {
        g_previous(type, context, message);
    }
}
} // namespace

LogCollector::LogCollector(std::size_t capacity)
    : m_capacity(capacity)
{ }

LogCollector::~LogCollector()
{
    if (!m_installed) {
        return;
    }
    if (g_collector == this) {
        g_collector = m_prior;
    }
    if (!m_prior) {
        // The first collector put the handler in: it takes it out.
        qInstallMessageHandler(g_previous);
        g_previous = nullptr;
    }
}

void LogCollector::install()
{
    if (m_installed) {
        return;
    }
    m_prior = g_collector;
    if (!m_prior) {
        g_previous = qInstallMessageHandler(handler);
    }
    g_collector = this;
    m_installed = true;
}

QString LogCollector::redact(const QString& line)
{
    // Nine or more hex bytes, spaced or not (APDU payloads, cryptograms): cut entirely.
    static const QRegularExpression longHex(QStringLiteral("\\b[0-9A-Fa-f]{2}(?: ?[0-9A-Fa-f]{2}){8,}\\b"));
    // 8–16 hex digits (device serials, ASNs, card numbers): keep the last four.
    static const QRegularExpression serial(QStringLiteral("\\b([0-9A-Fa-f]{4,12})([0-9A-Fa-f]{4})\\b"));
    QString out = line;
    out.replace(longHex, QStringLiteral("<hex redacted>"));
    QString result;
    qsizetype last = 0;
    auto it = serial.globalMatch(out);
    while (it.hasNext()) {
        const auto m = it.next();
        // Plain short decimal numbers (amounts, counts, years) carry no identity: keep numbers under 8 digits.
        if (m.capturedLength(0) < 8) {
            continue;
        }
        result += out.mid(last, m.capturedStart(0) - last);
        result += QString(m.capturedLength(1), QLatin1Char('*')) + m.captured(2);
        last = m.capturedEnd(0);
    }
    result += out.mid(last);
    return result;
}

void LogCollector::append(const QString& line)
{
    const QString clean = redact(line);
    QMutexLocker lock(&m_mutex);
    m_lines.push_back(clean);
    while (m_lines.size() > m_capacity) {
        m_lines.pop_front();
    }
}

QStringList LogCollector::lines() const
{
    QMutexLocker lock(&m_mutex);
    return QStringList(m_lines.begin(), m_lines.end());
}

bool LogCollector::exportTo(const QString& path, QString* error) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) {
        if (error) {
            *error = file.errorString();
        }
        return false;
    }
    for (const QString& line : lines()) {
        file.write(line.toUtf8());
        file.write("\n");
    }
    if (!file.commit()) {
        if (error) {
            *error = file.errorString();
        }
        return false;
    }
    return true;
}

} // namespace wallet::app
