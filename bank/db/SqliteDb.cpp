// SPDX-License-Identifier: Apache-2.0
#include "bank/db/SqliteDb.h"

#include <sqlite3.h>

#include <QRegularExpression>
#include <QString>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace wallet::bank {

using core::ErrorCode;
using core::makeError;

namespace {

thread_local SqliteDb* t_openTransaction = nullptr;

/// A PostgreSQL SQLSTATE for an SQLite result code, so callers decide the same way on both engines.
std::string sqlStateOf(int extended)
{
    switch (extended) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        return "23505";
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        return "23503";
    case SQLITE_CONSTRAINT_NOTNULL:
        return "23502";
    case SQLITE_CONSTRAINT_CHECK:
        return "23514";
    default:
        break;
    }
    switch (extended & 0xff) {
    case SQLITE_CONSTRAINT:
        return "23000";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return "55P03"; // lock_not_available: the writer lock was not had within busy_timeout
    case SQLITE_READONLY:
        return "25006";
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return "XX001";
    case SQLITE_FULL:
        return "53100";
    case SQLITE_IOERR:
        return "58030";
    case SQLITE_CANTOPEN:
        return "08006";
    default:
        return "XX000";
    }
}

/// What the operator does next, for the errors of the file itself.
QString nextStepFor(int extended, const std::string& path)
{
    const QString p = QString::fromStdString(path);
    switch (extended & 0xff) {
    case SQLITE_READONLY:
        return QStringLiteral(" — the bank host cannot write %1: give its user write access to the file and to its "
                              "folder (SQLite writes %1-wal and %1-shm beside it); nothing was changed")
            .arg(p);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return QStringLiteral(" — %1 is damaged or not a bank database: stop the bank host, keep a copy of the file, "
                              "and restore the last backup (or try `sqlite3 %1 .recover`); nothing was changed")
            .arg(p);
    case SQLITE_CANTOPEN:
        return QStringLiteral(" — %1 cannot be opened: check that its folder exists and is writable, or run "
                              "`bankctl init`")
            .arg(p);
    case SQLITE_FULL:
        return QStringLiteral(" — the disk holding %1 is full: free space and retry").arg(p);
    default:
        return {};
    }
}

bool canonicalInteger(const std::string& s)
{
    if (s.empty() || s.size() > 19) {
        return false;
    }
    std::size_t i = s[0] == '-' ? 1 : 0;
    if (i == s.size() || (s[i] == '0' && s.size() > i + 1) || (i == 1 && s == "-0")) {
        return false;
    }
    for (; i < s.size(); ++i) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    return true;
}

/// PostgreSQL's array text form `{a,b,"c d"}` → a JSON array of numbers ('n') or strings ('s').
std::string arrayToJson(const std::string& pg, char kind)
{
    std::string out = "[";
    std::string item;
    bool quoted = false;
    bool any = false;
    auto flush = [&] {
        if (any) {
            out += out.size() > 1 ? "," : "";
            if (kind == 'n') {
                out += item;
            } else {
                out += '"';
                for (char c : item) {
                    if (c == '"' || c == '\\') {
                        out += '\\';
                    }
                    out += c;
                }
                out += '"';
            }
        }
        item.clear();
        any = false;
    };
    const std::size_t begin = pg.empty() || pg.front() != '{' ? 0 : 1;
    const std::size_t end = pg.empty() || pg.back() != '}' ? pg.size() : pg.size() - 1;
    for (std::size_t i = begin; i < end; ++i) {
        const char c = pg[i];
        if (quoted) {
            if (c == '\\' && i + 1 < end) {
                item += pg[++i];
            } else if (c == '"') {
                quoted = false;
            } else {
                item += c;
            }
        } else if (c == '"') {
            quoted = true;
            any = true;
        } else if (c == ',') {
            flush();
        } else {
            item += c;
            any = true;
        }
    }
    flush();
    return out + "]";
}

} // namespace

SqliteDb::SqliteDb(sqlite3* db, std::string path)
    : m_db(db)
    , m_path(std::move(path))
{ }

SqliteDb::~SqliteDb()
{
    if (t_openTransaction == this) {
        t_openTransaction = nullptr;
    }
    sqlite3_close_v2(m_db);
}

Result<std::unique_ptr<Db>> SqliteDb::open(const std::string& path, bool create)
{
    sqlite3* raw = nullptr;
    const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    if (rc != SQLITE_OK) {
        const int ext = raw ? sqlite3_extended_errcode(raw) : rc;
        QString why = raw ? QString::fromUtf8(sqlite3_errmsg(raw)) : QStringLiteral("out of memory");
        sqlite3_close_v2(raw);
        if (!create && (rc & 0xff) == SQLITE_CANTOPEN) {
            return makeError(ErrorCode::NotFound,
                QStringLiteral("SQLite: there is no bank database %1: run `bankctl init --db sqlite:%1`")
                    .arg(QString::fromStdString(path)));
        }
        return makeError(ErrorCode::StorageError,
            QStringLiteral("SQLite: cannot open %1: %2%3")
                .arg(QString::fromStdString(path), why, nextStepFor(ext, path)));
    }
    std::unique_ptr<SqliteDb> db(new SqliteDb(raw, path));
    sqlite3_extended_result_codes(raw, 1);
    if (sqlite3_db_readonly(raw, "main") == 1) {
        return makeError(ErrorCode::PermissionDenied,
            QStringLiteral("SQLite: %1 is read-only%2")
                .arg(QString::fromStdString(path), nextStepFor(SQLITE_READONLY, path)));
    }
    sqlite3_busy_timeout(raw, 5000);
    // WAL: readers never wait for the writer; FULL: every COMMIT is on disk before the answer leaves (§7.3).
    for (const char* pragma : {"PRAGMA journal_mode = WAL",
             "PRAGMA synchronous = FULL",
             "PRAGMA foreign_keys = ON",
             "SELECT count(*) FROM sqlite_master"}) {
        auto r = db->exec(pragma);
        if (!r) {
            return r.error();
        }
        if (std::strncmp(pragma, "PRAGMA journal_mode", 19) == 0 && r->rows() == 1 && r->text(0, 0) != "wal") {
            return makeError(ErrorCode::StorageError,
                QStringLiteral("SQLite: %1 cannot switch to WAL (journal mode %2)%3")
                    .arg(QString::fromStdString(path),
                        QString::fromStdString(r->text(0, 0)),
                        nextStepFor(SQLITE_READONLY, path)));
        }
    }
    return std::unique_ptr<Db>(std::move(db));
}

Result<int> SqliteDb::lockServer(const std::string& path)
{
    const std::string lockPath = path + ".lock";
    const int fd = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        const int err = errno;
        return makeError(
            err == EACCES || err == EROFS || err == EPERM ? ErrorCode::PermissionDenied : ErrorCode::StorageError,
            QStringLiteral("SQLite: cannot create the lock file %1 (%2)%3")
                .arg(QString::fromStdString(lockPath),
                    QString::fromUtf8(std::strerror(err)),
                    err == EACCES || err == EROFS || err == EPERM ? nextStepFor(SQLITE_READONLY, path) : QString()));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char buf[32] = {};
        const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
        ::close(fd);
        const QString holder
            = n > 0 ? QStringLiteral(" (process %1)").arg(QString::fromLatin1(buf, int(n)).trimmed()) : QString();
        return makeError(ErrorCode::InvalidState,
            QStringLiteral("another skey-bank%1 is already serving %2: an SQLite bank has one bank host; stop that one "
                           "first, or move the bank to PostgreSQL to run several instances (docs/deployment.md)")
                .arg(holder, QString::fromStdString(path)));
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
        // The lock is what matters; the pid is only for the message above.
    }
    return fd;
}

SqliteDb* SqliteDb::openTransactionOnThisThread(const std::string& path)
{
    return t_openTransaction && t_openTransaction->m_path == path ? t_openTransaction : nullptr;
}

void SqliteDb::afterTransaction(std::function<void(Db&)> fn)
{
    m_after.push_back(std::move(fn));
}

void SqliteDb::trackTransaction()
{
    if (sqlite3_get_autocommit(m_db) == 0) {
        t_openTransaction = this;
    } else if (t_openTransaction == this) {
        t_openTransaction = nullptr;
    }
}

SqliteDb::Translated SqliteDb::translate(const std::string& sql)
{
    using RE = QRegularExpression;
    static const RE rowLock(QStringLiteral(R"(\s+FOR\s+(NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE))"
                                           R"((\s+OF\s+\w+(\s*,\s*\w+)*)?(\s+SKIP\s+LOCKED|\s+NOWAIT)?)"),
        RE::CaseInsensitiveOption);
    static const RE anyArray(QStringLiteral(R"(=\s*ANY\s*\(\s*\$(\d+)::(\w+)\[\]\s*\))"), RE::CaseInsensitiveOption);
    static const RE cast(QStringLiteral(R"(::(text|uuid|bigint|integer|int|smallint|boolean|bytea|numeric)\b)"),
        RE::CaseInsensitiveOption);
    static const RE stringAgg(QStringLiteral(R"(\bstring_agg\s*\()"), RE::CaseInsensitiveOption);
    static const RE greatest(QStringLiteral(R"(\bgreatest\s*\()"), RE::CaseInsensitiveOption);
    static const RE least(QStringLiteral(R"(\bleast\s*\()"), RE::CaseInsensitiveOption);
    static const RE countRows(QStringLiteral(R"(\bcount\s*\(\s*(\w+)\.\*\s*\))"), RE::CaseInsensitiveOption);
    // Writers are serial under BEGIN IMMEDIATE: an advisory transaction lock is already held.
    static const RE advisory(QStringLiteral(R"(\bpg_advisory_xact_lock\s*\(\s*\d+\s*\))"), RE::CaseInsensitiveOption);

    // PostgreSQL's session settings (timeouts) have no SQLite counterpart: busy_timeout is set once per connection.
    static const RE setting(
        QStringLiteral(R"(^\s*SET\s+(LOCAL\s+|SESSION\s+)?[a-z_]+\s*(=|TO)\s*[^;]*;?\s*$)"), RE::CaseInsensitiveOption);

    Translated t;
    QString s = QString::fromStdString(sql);
    if (setting.match(s).hasMatch()) {
        t.sql = "SELECT 1";
        return t;
    }
    s.replace(rowLock, QString());
    for (auto it = anyArray.globalMatch(s); it.hasNext();) {
        const auto m = it.next();
        const QString type = m.captured(2).toLower();
        const bool numeric = type == QLatin1String("bigint") || type == QLatin1String("int")
            || type == QLatin1String("integer") || type == QLatin1String("smallint");
        t.arrays[m.captured(1).toInt()] = numeric ? 'n' : 's';
    }
    s.replace(anyArray, QStringLiteral("IN (SELECT value FROM json_each($\\1))"));
    s.replace(cast, QString());
    s.replace(stringAgg, QStringLiteral("group_concat("));
    s.replace(greatest, QStringLiteral("max("));
    s.replace(least, QStringLiteral("min("));
    s.replace(advisory, QStringLiteral("1"));
    s.replace(countRows, QStringLiteral("count(\\1.rowid)")); // the joined rows that exist (LEFT JOIN)
    t.sql = s.toStdString();
    return t;
}

Result<DbResult> SqliteDb::exec(const std::string& sql, const DbParams& params)
{
    auto found = m_translated.find(sql);
    if (found == m_translated.end()) {
        found = m_translated.emplace(sql, translate(sql)).first;
    }
    const Translated& t = found->second;
    std::vector<std::vector<std::optional<std::string>>> rows;
    const char* tail = t.sql.c_str();
    const char* const end = tail + t.sql.size();
    int rc = SQLITE_OK;
    while (tail < end) {
        sqlite3_stmt* stmt = nullptr;
        rc = sqlite3_prepare_v2(m_db, tail, static_cast<int>(end - tail), &stmt, &tail);
        if (rc != SQLITE_OK) {
            break;
        }
        if (!stmt) { // whitespace or a comment at the end
            continue;
        }
        std::vector<std::string> keep; // JSON texts of array parameters, alive until the step is done
        keep.reserve(static_cast<std::size_t>(sqlite3_bind_parameter_count(stmt)));
        for (int i = 1; i <= sqlite3_bind_parameter_count(stmt); ++i) {
            const char* name = sqlite3_bind_parameter_name(stmt, i);
            const int n = name && name[0] == '$' ? std::atoi(name + 1) : i;
            if (n < 1 || static_cast<std::size_t>(n) > params.size() || !params[static_cast<std::size_t>(n - 1)]) {
                sqlite3_bind_null(stmt, i);
                continue;
            }
            const std::string& v = *params[static_cast<std::size_t>(n - 1)];
            if (auto a = t.arrays.find(n); a != t.arrays.end()) {
                keep.push_back(arrayToJson(v, a->second));
                sqlite3_bind_text(stmt, i, keep.back().c_str(), static_cast<int>(keep.back().size()), SQLITE_STATIC);
            } else if (canonicalInteger(v)) {
                sqlite3_bind_int64(stmt, i, std::stoll(v));
            } else if (v == "true" || v == "false") {
                sqlite3_bind_int(stmt, i, v == "true" ? 1 : 0);
            } else {
                sqlite3_bind_text(stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
            }
        }
        const int cols = sqlite3_column_count(stmt);
        if (cols > 0) {
            rows.clear();
        }
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            std::vector<std::optional<std::string>> row(static_cast<std::size_t>(cols));
            for (int c = 0; c < cols; ++c) {
                const int type = sqlite3_column_type(stmt, c);
                if (type == SQLITE_NULL) {
                    continue;
                }
                auto& cell = row[static_cast<std::size_t>(c)];
                if (type == SQLITE_INTEGER) {
                    const sqlite3_int64 v = sqlite3_column_int64(stmt, c);
                    const char* decl = sqlite3_column_decltype(stmt, c);
                    // PostgreSQL prints a boolean column as t/f; SQLite stores 1/0.
                    cell.emplace(decl && sqlite3_stricmp(decl, "BOOLEAN") == 0 ? std::string(1, v != 0 ? 't' : 'f')
                                                                               : std::to_string(v));
                    continue;
                }
                const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, c));
                const int len = sqlite3_column_bytes(stmt, c);
                cell.emplace(p && len > 0 ? std::string(p, static_cast<std::size_t>(len)) : std::string());
            }
            rows.push_back(std::move(row));
        }
        sqlite3_finalize(stmt);
        if (rc != SQLITE_DONE) {
            break;
        }
        rc = SQLITE_OK;
    }
    trackTransaction();
    if (rc != SQLITE_OK) {
        const int ext = sqlite3_extended_errcode(m_db);
        m_sqlState = sqlStateOf(ext);
        // A statement SQLite cannot run is a bug of ours: name it (no values are in it, only $n).
        const QString statement = (ext & 0xff) == SQLITE_ERROR
            ? QStringLiteral(" [in: %1]").arg(QString::fromStdString(t.sql).simplified().left(160))
            : QString();
        return makeError((ext & 0xff) == SQLITE_READONLY ? ErrorCode::PermissionDenied : ErrorCode::StorageError,
            QStringLiteral("SQLite %1: %2%3")
                .arg(QString::fromStdString(m_sqlState),
                    QString::fromUtf8(sqlite3_errmsg(m_db)) + statement,
                    nextStepFor(ext, m_path)));
    }
    m_sqlState.clear();
    DbResult result(std::move(rows));
    if (!m_after.empty() && !m_runningAfter && sqlite3_get_autocommit(m_db) != 0) {
        // Db::runApart: the writes that must survive the transaction that just ended, each in its own.
        m_runningAfter = true;
        auto after = std::move(m_after);
        m_after.clear();
        for (auto& fn : after) {
            fn(*this);
        }
        m_runningAfter = false;
        m_sqlState.clear();
    }
    return result;
}

} // namespace wallet::bank
