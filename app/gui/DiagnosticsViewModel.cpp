// SPDX-License-Identifier: Apache-2.0
#include "app/gui/DiagnosticsViewModel.h"

#include "app/gui/KeyViewModel.h"
#include "app/gui/LogCollector.h"
#include "app/gui/WalletSession.h"

#include <QCoreApplication>
#include <QDir>
#include <QUrl>
#include <QtGlobal>

namespace wallet::app {

DiagnosticsViewModel::DiagnosticsViewModel(
    WalletSession& session, KeyViewModel& key, LogCollector& log, QString dataDir, QObject* parent)
    : QObject(parent)
    , m_session(session)
    , m_key(key)
    , m_log(log)
    , m_dataDir(std::move(dataDir))
{
    connect(&m_key, &KeyViewModel::changed, this, &DiagnosticsViewModel::changed);
}

QString DiagnosticsViewModel::appVersion() const
{
    return QCoreApplication::applicationVersion();
}

QString DiagnosticsViewModel::qtVersion() const
{
    return QString::fromLatin1(qVersion());
}

QString DiagnosticsViewModel::firmwareVersion() const
{
    const QString v = m_key.firmwareVersion();
    return v.isEmpty() ? tr("unknown (no key)") : v;
}

QString DiagnosticsViewModel::connection() const
{
    // Through the key view model: the simulated key's connection in the user's language (issue 17 item 11).
    const QString d = m_key.description();
    return d.isEmpty() ? tr("no key connected") : d;
}

bool DiagnosticsViewModel::simulated() const
{
    return m_session.simulated();
}

int DiagnosticsViewModel::logLineCount() const
{
    return static_cast<int>(m_log.lines().size());
}

QString DiagnosticsViewModel::defaultLogPath() const
{
    return QDir(m_dataDir).filePath(QStringLiteral("smartkey-wallet-log.txt"));
}

bool DiagnosticsViewModel::exportLog(const QString& path)
{
    const QUrl url(path);
    const QString local = url.isLocalFile() ? url.toLocalFile() : path;
    QString error;
    const bool ok = !local.isEmpty() && m_log.exportTo(local, &error);
    m_exportResult = ok ? tr("Log saved to %1. Serial numbers are shortened to their last four digits; PINs and keys "
                             "are never logged.")
                              .arg(QDir::toNativeSeparators(local))
                        : tr("The log could not be saved: %1").arg(error.isEmpty() ? tr("no file chosen") : error);
    emit changed();
    return ok;
}

} // namespace wallet::app
