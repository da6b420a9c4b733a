// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bank/db/Db.h"

#include <map>
#include <unordered_map>

struct sqlite3;

namespace wallet::bank {

/**
 * @brief SQLite, the embedded default (docs/bank.md §7.3): WAL, `synchronous=FULL`, `foreign_keys=ON`,
 * `busy_timeout` 5 s, and `BEGIN IMMEDIATE` for every transaction, so writers are serial and no row lock is needed:
 * `FOR UPDATE` and its kin are dropped from the statements. The code's PostgreSQL forms are translated once per
 * statement text: `$n` stays a named parameter, `::type` casts go, `= ANY($n::type[])` becomes
 * `IN (SELECT value FROM json_each($n))` with the array parameter turned into JSON, `string_agg`/`greatest`/`least`
 * become `group_concat`/`max`/`min`. Parameters are bound as integers when they are canonical decimal integers,
 * `true`/`false` as 1/0, else as text.
 */
class SqliteDb final : public Db
{
public:
    ~SqliteDb() override;
    /// Opens (and, with `create`, creates) the file. A read-only file or folder and a damaged file are refused here
    /// with what to do next.
    [[nodiscard]] static Result<std::unique_ptr<Db>> open(const std::string& path, bool create = true);
    /**
     * The one bank host on this file (docs/bank.md §7.3): an exclusive `flock` on `<path>.lock`, held until the
     * process exits (the descriptor is returned). A second skey-bank on the same file is refused and told which
     * process holds it.
     */
    [[nodiscard]] static Result<int> lockServer(const std::string& path);
    /// The SQLite connection of this thread with an open transaction on `path`, or nullptr.
    [[nodiscard]] static SqliteDb* openTransactionOnThisThread(const std::string& path);
    /// Runs `fn` on this connection once its current transaction has ended (Db::runApart).
    void afterTransaction(std::function<void(Db&)> fn);

    [[nodiscard]] Result<DbResult> exec(const std::string& sql, const DbParams& params = {}) override;
    [[nodiscard]] bool healthy() const override { return m_db != nullptr; }
    [[nodiscard]] DbDialect dialect() const override { return DbDialect::Sqlite; }
    [[nodiscard]] const char* beginStatement() const override { return "BEGIN IMMEDIATE"; }
    [[nodiscard]] const std::string& path() const { return m_path; }

    struct Translated
    {
        std::string sql;
        std::map<int, char> arrays; ///< parameter number → 'n' (numbers) or 's' (strings)
    };
    /// PostgreSQL's forms → SQLite's (public for the tests of the translation).
    [[nodiscard]] static Translated translate(const std::string& sql);

private:
    SqliteDb(sqlite3* db, std::string path);
    void trackTransaction();
    sqlite3* m_db = nullptr;
    std::string m_path;
    std::unordered_map<std::string, Translated> m_translated;
    std::vector<std::function<void(Db&)>> m_after;
    bool m_runningAfter = false;
};

} // namespace wallet::bank
