// SPDX-License-Identifier: Apache-2.0
#include "core/storage/SqliteNative.h"

#include <QSqlDriver>
#include <QSqlQuery>
#include <QVariant>

#if WALLET_MIRROR_SQLITE_C_API
#include <sqlite3.h>
#endif

namespace wallet::core {

bool SqliteNative::compiledIn()
{
#if WALLET_MIRROR_SQLITE_C_API
    return true;
#else
    return false;
#endif
}

sqlite3* SqliteNative::handle(const QSqlDatabase& db, QString* whyNot)
{
    auto fail = [whyNot](const QString& why) -> sqlite3* {
        if (whyNot) {
            *whyNot = why;
        }
        return nullptr;
    };
#if WALLET_MIRROR_SQLITE_C_API
    if (!db.isOpen() || !db.driver()) {
        return fail(QStringLiteral("the connection is not open"));
    }
    const QVariant h = db.driver()->handle();
    if (!h.isValid() || qstrcmp(h.typeName(), "sqlite3*") != 0) {
        return fail(QStringLiteral("the driver's handle is not a sqlite3*"));
    }
    auto* native = *static_cast<sqlite3* const*>(h.constData());
    if (!native) {
        return fail(QStringLiteral("the driver's handle is null"));
    }
    // 1. The SQLite that Qt's plugin runs (asked through Qt Sql) must be ours to the source id: a second copy of
    //    another version would lay out its structures differently, so nothing below may touch the handle before.
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("SELECT sqlite_source_id()")) || !q.next()) {
        return fail(QStringLiteral("sqlite_source_id() failed through Qt Sql"));
    }
    const QString theirs = q.value(0).toString();
    const QString ours = QString::fromLatin1(sqlite3_sourceid());
    if (theirs != ours) {
        return fail(QStringLiteral("Qt's SQLite is %1, core links %2").arg(theirs, ours));
    }
    // 2. Same version is not yet the same library: a copy compiled into the plugin has its own VFS list, mutexes
    //    and memory allocator. The connection's VFS object must be the one our library registered.
    sqlite3_vfs* used = nullptr;
    if (sqlite3_file_control(native, "main", SQLITE_FCNTL_VFS_POINTER, &used) != SQLITE_OK || !used) {
        return fail(QStringLiteral("the connection's VFS cannot be read"));
    }
    if (used != sqlite3_vfs_find(used->zName)) {
        return fail(QStringLiteral("the connection runs on another copy of SQLite (its VFS is not ours)"));
    }
    return native;
#else
    (void)db;
    return fail(QStringLiteral("built without the sqlite3 C API"));
#endif
}

WalCheckpointer::WalCheckpointer(QString path)
    : m_path(std::move(path))
{
    if (SqliteNative::compiledIn()) {
        m_thread = std::thread([this] { loop(); });
    }
}

WalCheckpointer::~WalCheckpointer()
{
    {
        const std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable()) {
        m_thread.join();
    }
}

void WalCheckpointer::request()
{
    if (!m_thread.joinable()) {
        return;
    }
    {
        const std::lock_guard lock(m_mutex);
        m_pending = true;
    }
    m_wake.notify_one();
}

void WalCheckpointer::drain()
{
    std::unique_lock lock(m_mutex);
    m_idle.wait(lock, [this] { return !m_thread.joinable() || (!m_pending && !m_running) || m_stop; });
}

int WalCheckpointer::completed() const
{
    const std::lock_guard lock(m_mutex);
    return m_completed;
}

void WalCheckpointer::loop()
{
#if WALLET_MIRROR_SQLITE_C_API
    sqlite3* db = nullptr;
    const QByteArray path = m_path.toUtf8();
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_wake.wait(lock, [this] { return m_pending || m_stop; });
        if (m_stop) {
            // a request not yet served is left to the auto-checkpoint / the last connection's close
            break;
        }
        m_pending = false;
        m_running = true;
        lock.unlock();
        if (!db) {
            // Opened on first use, read-write on the existing file only (never creates it); synchronous=FULL so
            // that the checkpoint fsyncs the database file before it lets the WAL be reset.
            if (sqlite3_open_v2(path.constData(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr)
                != SQLITE_OK) {
                sqlite3_close(db);
                db = nullptr;
            } else {
                sqlite3_busy_timeout(db, 5000);
                sqlite3_exec(db, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);
            }
        }
        if (db) {
            int logFrames = 0;
            int done = 0;
            // PASSIVE: copies what no reader still needs, never waits for or blocks the writer.
            (void)sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &logFrames, &done);
        }
        lock.lock();
        m_running = false;
        ++m_completed;
        if (!m_pending) {
            m_idle.notify_all();
        }
    }
    m_running = false;
    m_idle.notify_all();
    lock.unlock();
    sqlite3_close(db);
#endif
}

} // namespace wallet::core
