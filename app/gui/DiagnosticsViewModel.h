// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QObject>
#include <QString>
#include <QtQml/qqmlregistration.h>

namespace wallet::app {

class KeyViewModel;
class LogCollector;
class WalletSession;

/// @brief The About page: versions, the connection, and "Export log" (redacted).
class DiagnosticsViewModel : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("Created by the wallet")

    Q_PROPERTY(QString appVersion READ appVersion CONSTANT)
    Q_PROPERTY(QString qtVersion READ qtVersion CONSTANT)
    Q_PROPERTY(QString firmwareVersion READ firmwareVersion NOTIFY changed)
    Q_PROPERTY(QString connection READ connection NOTIFY changed)
    Q_PROPERTY(bool simulated READ simulated NOTIFY changed)
    Q_PROPERTY(int logLineCount READ logLineCount NOTIFY changed)
    /// Where "Export log" writes by default.
    Q_PROPERTY(QString defaultLogPath READ defaultLogPath CONSTANT)
    /// The outcome of the last export, in words.
    Q_PROPERTY(QString exportResult READ exportResult NOTIFY changed)

public:
    DiagnosticsViewModel(
        WalletSession& session, KeyViewModel& key, LogCollector& log, QString dataDir, QObject* parent = nullptr);

    [[nodiscard]] QString appVersion() const;
    [[nodiscard]] QString qtVersion() const;
    [[nodiscard]] QString firmwareVersion() const;
    [[nodiscard]] QString connection() const;
    [[nodiscard]] bool simulated() const;
    [[nodiscard]] int logLineCount() const;
    [[nodiscard]] QString defaultLogPath() const;
    [[nodiscard]] QString exportResult() const { return m_exportResult; }

    /// Writes the redacted log to `path` (a local path or file: URL); returns true on success.
    Q_INVOKABLE bool exportLog(const QString& path);

signals:
    void changed();

private:
    WalletSession& m_session;
    KeyViewModel& m_key;
    LogCollector& m_log;
    QString m_dataDir;
    QString m_exportResult;
};

} // namespace wallet::app
