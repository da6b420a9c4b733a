// SPDX-License-Identifier: Apache-2.0
#include "core/storage/Sqlite.h"

#include <QAtomicInteger>
#include <QFile>
#include <QFileInfo>
#include <QVariant>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace wallet::core {

Error Sqlite::error(const QSqlError& e, const QString& what, const QString& connection)
{
    const QString text = e.text();
    // Connection names are "wallet-<what>-<n>" (open()): the mirror is history only, the others hold money.
    const bool history = connection.startsWith(QStringLiteral("wallet-mirror-"));
    const bool money = connection.startsWith(QStringLiteral("wallet-issuer-"))
        || connection.startsWith(QStringLiteral("wallet-psam-"));
    QString hint;
    if (text.contains(QStringLiteral("not a database"), Qt::CaseInsensitive)
        || text.contains(QStringLiteral("malformed"), Qt::CaseInsensitive)
        || text.contains(QStringLiteral("corrupt"), Qt::CaseInsensitive)) {
        if (history) {
            hint = QStringLiteral(" — the file is damaged; move it away to start a new one (the history is read "
                                  "again from each key's own log)");
        } else if (money) {
            hint = QStringLiteral(" — the file is damaged. Do not delete, move or replace it: it holds unsettled "
                                  "purchases, the issuer's loads and the transaction serial, which would be lost. "
                                  "Keep a copy and restore it from a backup, or contact support; the key's balance "
                                  "can still be read");
        } else {
            hint = QStringLiteral(" — the file is damaged; keep a copy and restore it from a backup");
        }
    } else if (text.contains(QStringLiteral("locked"), Qt::CaseInsensitive)
        || text.contains(QStringLiteral("busy"), Qt::CaseInsensitive)) {
        hint = QStringLiteral(" — another program is using it; close it and retry");
    } else if (text.contains(QStringLiteral("readonly"), Qt::CaseInsensitive)
        || text.contains(QStringLiteral("unable to open"), Qt::CaseInsensitive)) {
        hint = QStringLiteral(" — check the file's permissions and the free disk space");
    }
    return makeError(ErrorCode::StorageError, QStringLiteral("%1: %2%3").arg(what, text, hint));
}

Result<void> Sqlite::ownerOnly(const QString& path)
{
    // Ledgers, the PSAM and the mirror hold money records: readable by their owner only (issue 9 item 19). SQLite
    // creates the -wal and -shm files with the database file's mode, so creating that one 0600 (instead of through
    // the process umask, usually 0644) covers all three; an existing file from an older version is tightened.
    if (path.isEmpty() || path == QStringLiteral(":memory:") || path.startsWith(QStringLiteral("file:"))) {
        return {};
    }
    const QByteArray native = QFile::encodeName(path);
    const int fd = ::open(native.constData(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        return {}; // SQLite's own open reports the problem with its advice
    }
    struct stat st
    {
    };
    const bool tighten = ::fstat(fd, &st) == 0 && (st.st_mode & 077) != 0;
    const bool ok = !tighten || ::fchmod(fd, st.st_mode & 0700) == 0;
    ::close(fd);
    if (!ok) {
        return makeError(ErrorCode::StorageError,
            QStringLiteral("%1 can be read by other users and its mode cannot be changed: run chmod 600 on it")
                .arg(path));
    }
    for (const char* suffix : {"-wal", "-shm", "-journal"}) {
        const QByteArray side = native + suffix;
        if (::stat(side.constData(), &st) == 0 && (st.st_mode & 077) != 0) {
            (void)::chmod(side.constData(), st.st_mode & 0700);
        }
    }
    return {};
}

Result<QString> Sqlite::open(const QString& path, const QString& what)
{
    if (auto owner = ownerOnly(path); !owner) {
        return owner.error();
    }
    static QAtomicInteger<quint64> counter;
    const QString name = QStringLiteral("wallet-%1-%2").arg(what).arg(counter.fetchAndAddRelaxed(1));
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=3000"));
        if (!db.open()) {
            Error e = error(db.lastError(), what + QStringLiteral(" ") + path, name);
            db = QSqlDatabase();
            QSqlDatabase::removeDatabase(name);
            return e;
        }
        const char* pragmas[] = {"PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=FULL",
            "PRAGMA foreign_keys=ON",
            "SELECT count(*) FROM sqlite_master"};
        for (const char* p : pragmas) {
            QSqlQuery q(db);
            if (!q.exec(QString::fromLatin1(p))) {
                Error e = error(q.lastError(), what + QStringLiteral(" ") + path, name);
                q = QSqlQuery();
                db.close();
                db = QSqlDatabase();
                QSqlDatabase::removeDatabase(name);
                return e;
            }
        }
    }
    return name;
}

void Sqlite::close(const QString& connection)
{
    {
        QSqlDatabase db = QSqlDatabase::database(connection, false);
        if (db.isValid()) {
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(connection);
}

Result<QSqlQuery> Sqlite::exec(QSqlDatabase db, const QString& sql, const QVariantList& binds, const QString& what)
{
    QSqlQuery q(db);
    if (!q.prepare(sql)) {
        return error(q.lastError(), what, db.connectionName());
    }
    for (const QVariant& v : binds) {
        q.addBindValue(v);
    }
    if (!q.exec()) {
        return error(q.lastError(), what, db.connectionName());
    }
    return q;
}

Result<void> Sqlite::migrate(QSqlDatabase db, const std::vector<QStringList>& steps, const QString& what)
{
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("PRAGMA user_version")) || !q.next()) {
        return error(q.lastError(), what, db.connectionName());
    }
    const int version = q.value(0).toInt();
    q.finish(); // a statement still reading the schema makes DROP INDEX/TABLE fail with "database table is locked"
    const int latest = static_cast<int>(steps.size());
    if (version > latest) {
        return makeError(ErrorCode::StorageError,
            QStringLiteral("%1 was written by a newer version (schema %2, this program knows %3); "
                           "it was left untouched — update the program")
                .arg(what)
                .arg(version)
                .arg(latest));
    }
    for (int v = version; v < latest; ++v) {
        SqlTransaction tx(db);
        if (!tx.begun()) {
            return error(db.lastError(), what, db.connectionName());
        }
        for (const QString& sql : steps[static_cast<std::size_t>(v)]) {
            QSqlQuery s(db);
            if (!s.exec(sql)) {
                return error(s.lastError(), what + QStringLiteral(" migration %1").arg(v + 1), db.connectionName());
            }
        }
        QSqlQuery s(db);
        if (!s.exec(QStringLiteral("PRAGMA user_version=%1").arg(v + 1))) {
            return error(s.lastError(), what, db.connectionName());
        }
        if (auto c = tx.commit(what); !c) {
            return c.error();
        }
    }
    return {};
}

SqlTransaction::SqlTransaction(QSqlDatabase db)
    : m_db(std::move(db))
{
    m_begun = m_db.transaction();
}

SqlTransaction::~SqlTransaction()
{
    if (m_begun && !m_done) {
        m_db.rollback();
    }
}

Result<void> SqlTransaction::commit(const QString& what)
{
    if (!m_begun) {
        return Sqlite::error(m_db.lastError(), what, m_db.connectionName());
    }
    if (!m_db.commit()) {
        Error e = Sqlite::error(m_db.lastError(), what + QStringLiteral(" commit"), m_db.connectionName());
        return e;
    }
    m_done = true;
    return {};
}

} // namespace wallet::core
