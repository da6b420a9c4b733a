// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QMutex>
#include <QString>
#include <QStringList>

#include <cstddef>
#include <deque>

namespace wallet::app {

/**
 * @brief Keeps the last log lines in memory for "Export log" (About page), redacted as they arrive: card and key
 * serials keep only their last four digits, and long hex runs (APDU data, MACs) are cut. PINs and keys never reach
 * a log in the first place (core redacts sensitive APDUs); this is the second line of defence.
 * Thread-safe: Qt's message handler may be called from any thread.
 */
class LogCollector
{
public:
    explicit LogCollector(std::size_t capacity = 2000);
    ~LogCollector();
    LogCollector(const LogCollector&) = delete;
    LogCollector& operator=(const LogCollector&) = delete;

    /// Routes Qt's messages through this collector (and on to the previous handler, stderr). A later collector takes
    /// over until it is destroyed; destroy collectors in reverse order of installation.
    void install();
    void append(const QString& line);
    [[nodiscard]] QStringList lines() const;
    /// Writes every line to `path` (UTF-8). Returns false with `error` set when the file cannot be written.
    [[nodiscard]] bool exportTo(const QString& path, QString* error) const;

    /// The redaction rule, public for its test.
    [[nodiscard]] static QString redact(const QString& line);

private:
    mutable QMutex m_mutex;
    std::deque<QString> m_lines;
    std::size_t m_capacity;
    bool m_installed = false;
    LogCollector* m_prior = nullptr; ///< the collector that was current before this one
};

} // namespace wallet::app
