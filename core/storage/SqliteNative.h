// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QSqlDatabase>
#include <QString>

#include <condition_variable>
#include <mutex>
#include <thread>

struct sqlite3;

namespace wallet::core {

/**
 * @brief The sqlite3 C API under a Qt Sql (QSQLITE) connection, for the mirror's bulk insert and its checkpoints
 * (issue 15, docs/core.md "Mirror sync on a 1,000,000-row mirror").
 *
 * Qt's plugin opens the database with *its* SQLite; calling our SQLite on that handle is only sound when both are
 * the same library in this process. On Debian the plugin links the system libsqlite3.so.0, which core links too (the
 * build checks it with ldd, core/CMakeLists.txt), so the dynamic loader makes them one. Other platforms' Qt packages
 * often compile SQLite into the plugin: then the handle belongs to a second copy and handle() returns nullptr, and
 * the caller stays on Qt Sql.
 */
class SqliteNative
{
public:
    /// True when core was built with the C API (libsqlite3 found and Qt's plugin links it).
    [[nodiscard]] static bool compiledIn();
    /// The connection's sqlite3* if it is provably ours: the driver's handle is a "sqlite3*", the SQLite that Qt
    /// runs reports our sqlite3_sourceid(), and the connection's VFS is the one our library registered. Otherwise
    /// nullptr and `whyNot` says which check failed (logged once by the caller).
    [[nodiscard]] static sqlite3* handle(const QSqlDatabase& db, QString* whyNot = nullptr);
};

/**
 * @brief Runs PASSIVE WAL checkpoints on a thread of its own, on its own connection, so that a sync() returns once
 * its transaction is durable (COMMIT with synchronous=FULL has fsynced the WAL) and does not also copy the WAL back
 * into the database file on the caller's path.
 *
 * A checkpoint never decides durability: a commit is durable once in the WAL; a checkpoint cut by a crash is redone
 * from the WAL at the next open (SQLite's WAL design). The WAL stays bounded: each request() checkpoints everything
 * that no reader still needs, and the connection's wal_autocheckpoint remains as a backstop (TransactionStore).
 * Without the C API (compiledIn() false) it does nothing and the auto-checkpoint does the work as before.
 */
class WalCheckpointer
{
public:
    explicit WalCheckpointer(QString path);
    ~WalCheckpointer(); ///< finishes a checkpoint in progress, then joins
    WalCheckpointer(const WalCheckpointer&) = delete;
    WalCheckpointer& operator=(const WalCheckpointer&) = delete;

    /// Asks for a checkpoint soon; returns at once. Requests made while one runs fold into one more.
    void request();
    /// Waits until no checkpoint is asked for or running (tests, benchmarks).
    void drain();
    /// Checkpoints run so far (tests).
    [[nodiscard]] int completed() const;

private:
    void loop();

    QString m_path;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_idle;
    bool m_pending = false;
    bool m_running = false;
    bool m_stop = false;
    int m_completed = 0;
    std::thread m_thread;
};

} // namespace wallet::core
