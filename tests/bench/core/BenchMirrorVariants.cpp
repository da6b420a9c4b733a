// SPDX-License-Identifier: Apache-2.0
// What else was measured for issue 15's mirror sync, on the sqlite3 C API alone (no Qt, so each line is the SQLite
// cost of one choice): the mirror's txlog table filled with `rows` rows (10 keys × 100,000, as bench_core_mirror),
// then 5 syncs of 10,000 new records of a new key, each one durable transaction (BEGIN IMMEDIATE … COMMIT, WAL or
// rollback journal, synchronous=FULL), the WAL checkpointed after each as the store's checkpointer does. Prints the
// median wall and CPU time of a sync and the CPU time of its INSERTs. Variants (one per run, or all):
//   schema4      the schema-4 indexes (UNIQUE, token+ts, ts, amount)          schema5     UNIQUE and token+ts only
//   s5-desc      schema 5, the batch newest first (the order a key's log is read in)
//   s5-page8k / s5-page16k   page_size 8192 / 16384          s5-cache128  cache_size 128 MiB instead of 32 MiB
//   s5-delete    journal_mode=DELETE (rollback journal) instead of WAL, synchronous=FULL
//   s5-multirow  one INSERT of 100 rows per statement       s5-norowid  WITHOUT ROWID, PRIMARY KEY (token, type, atc)
//   s5-covering  the token index as (token_serial, ts, type)
// Usage: bench_core_mirror_variants [variant|all] [rows=1000000] [dir=/tmp]
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

double cpuMs()
{
    timespec t{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

double wallMs()
{
    timespec t{};
    ::clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

void exec(sqlite3* db, const std::string& sql)
{
    char* error = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
        std::fprintf(stderr, "%s: %s\n", sql.c_str(), error ? error : "?");
        std::exit(1);
    }
}

struct Record
{
    int type = 0;
    int atc = 0;
    long long amount = 0;
    std::array<char, 32> ts{}; ///< "yyyy-MM-ddTHH:mm:ss" (19 characters), as the store writes it
    std::array<unsigned char, 23> raw{};
};

/// The records bench_core_mirror makes: alternating load/purchase, 500 a day from 2020-01-01, amounts 1.00..500.99.
std::vector<Record> records(int first, int count)
{
    static constexpr std::array<int, 12> kDays{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    std::vector<Record> out;
    out.reserve(static_cast<std::size_t>(count));
    for (int i = first; i < first + count; ++i) {
        Record r;
        r.type = i % 2 == 0 ? 2 : 6;
        r.atc = (i / 2) & 0xFFFF;
        r.amount = 100 + i % 50000;
        int year = 2020;
        int month = 1;
        int day = 1 + i / 500;
        while (day > kDays.at(static_cast<std::size_t>(month - 1))) {
            day -= kDays.at(static_cast<std::size_t>(month - 1));
            if (++month > 12) {
                month = 1;
                ++year;
            }
        }
        const int secs = (i * 7) % 86400;
        month = std::clamp(month, 1, 12);
        day = std::clamp(day, 1, 31);
        std::snprintf(r.ts.data(),
            r.ts.size(),
            "%04d-%02d-%02dT%02d:%02d:%02d",
            year % 10000,
            month,
            day,
            secs / 3600,
            secs / 60 % 60,
            secs % 60);
        for (std::size_t k = 0; k < r.raw.size(); ++k) {
            r.raw.at(k) = static_cast<unsigned char>(i * 31 + static_cast<int>(k));
        }
        out.push_back(r);
    }
    return out;
}

constexpr std::array<unsigned char, 6> kTerminal{0x11, 0x22, 0x33, 0x44, 0x55, 0x66};

class Variant
{
public:
    Variant(std::string name, const std::string& dir, int perStatement)
        : m_name(std::move(name))
        , m_path(dir + "/bench-mirror-variant.sqlite")
        , m_perStatement(perStatement)
    {
        removeFiles();
        if (sqlite3_open(m_path.c_str(), &m_db) != SQLITE_OK) {
            std::fprintf(stderr, "cannot open %s\n", m_path.c_str());
            std::exit(1);
        }
    }
    ~Variant()
    {
        sqlite3_finalize(m_insert);
        sqlite3_close(m_db);
        removeFiles();
    }
    Variant(const Variant&) = delete;
    Variant& operator=(const Variant&) = delete;

    sqlite3* db() { return m_db; }
    [[nodiscard]] bool wal() const { return m_wal; }
    void setWal(bool wal) { m_wal = wal; }

    void prepare()
    {
        std::string sql = "INSERT INTO txlog (token_serial, type, atc, amount, terminal_id, ts, record) VALUES ";
        for (int j = 0; j < m_perStatement; ++j) {
            sql += j == 0 ? "(?, ?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?, ?)";
        }
        sql += " ON CONFLICT (token_serial, type, atc) DO NOTHING";
        if (sqlite3_prepare_v3(m_db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &m_insert, nullptr) != SQLITE_OK) {
            std::fprintf(stderr, "prepare: %s\n", sqlite3_errmsg(m_db));
            std::exit(1);
        }
    }

    /// One durable sync: BEGIN IMMEDIATE, the INSERTs, COMMIT; returns the rows added, `insertCpu` the INSERTs' CPU.
    int sync(const std::string& token, const std::vector<Record>& batch, double& insertCpu)
    {
        exec(m_db, "BEGIN IMMEDIATE");
        const double cpu0 = cpuMs();
        int added = 0;
        for (std::size_t at = 0; at < batch.size(); at += static_cast<std::size_t>(m_perStatement)) {
            int column = 1;
            for (int j = 0; j < m_perStatement; ++j) {
                const Record& r = batch.at(at + static_cast<std::size_t>(j));
                sqlite3_bind_text(m_insert, column++, token.c_str(), static_cast<int>(token.size()), SQLITE_STATIC);
                sqlite3_bind_int(m_insert, column++, r.type);
                sqlite3_bind_int(m_insert, column++, r.atc);
                sqlite3_bind_int64(m_insert, column++, r.amount);
                sqlite3_bind_blob(m_insert, column++, kTerminal.data(), kTerminal.size(), SQLITE_STATIC);
                sqlite3_bind_text(m_insert, column++, r.ts.data(), 19, SQLITE_STATIC);
                sqlite3_bind_blob(m_insert, column++, r.raw.data(), r.raw.size(), SQLITE_STATIC);
            }
            if (sqlite3_step(m_insert) != SQLITE_DONE) {
                std::fprintf(stderr, "insert: %s\n", sqlite3_errmsg(m_db));
                std::exit(1);
            }
            sqlite3_reset(m_insert);
            added += sqlite3_changes(m_db);
        }
        insertCpu = cpuMs() - cpu0;
        exec(m_db, "COMMIT");
        return added;
    }

    void checkpoint()
    {
        if (m_wal) {
            exec(m_db, "PRAGMA wal_checkpoint(PASSIVE)");
        }
    }

private:
    void removeFiles()
    {
        for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
            ::unlink((m_path + suffix).c_str());
        }
    }

    std::string m_name;
    std::string m_path;
    int m_perStatement;
    sqlite3* m_db = nullptr;
    sqlite3_stmt* m_insert = nullptr;
    bool m_wal = true;
};

bool has(const std::string& name, const char* part)
{
    return name.find(part) != std::string::npos;
}

void run(const std::string& name, int rows, const std::string& dir)
{
    Variant v(name, dir, has(name, "multirow") ? 100 : 1);
    sqlite3* db = v.db();
    if (has(name, "page8k")) {
        exec(db, "PRAGMA page_size=8192");
    } else if (has(name, "page16k")) {
        exec(db, "PRAGMA page_size=16384");
    }
    v.setWal(!has(name, "delete"));
    exec(db, v.wal() ? "PRAGMA journal_mode=WAL" : "PRAGMA journal_mode=DELETE");
    exec(db, "PRAGMA synchronous=FULL");
    exec(db, has(name, "cache128") ? "PRAGMA cache_size=-131072" : "PRAGMA cache_size=-32768");
    exec(db, "PRAGMA wal_autocheckpoint=16384");
    const std::string columns
        = "token_serial TEXT NOT NULL, type INTEGER NOT NULL, atc INTEGER NOT NULL CHECK (atc"
          " BETWEEN 0 AND 65535), amount INTEGER NOT NULL CHECK (amount BETWEEN 0 AND 4294967295),"
          " terminal_id BLOB, ts TEXT, record BLOB, balance_after INTEGER, tac BLOB, mac2 BLOB,"
          " tsn INTEGER, made_here INTEGER NOT NULL DEFAULT 0, merchant TEXT";
    if (has(name, "norowid")) {
        exec(db, "CREATE TABLE txlog (" + columns + ", PRIMARY KEY (token_serial, type, atc)) WITHOUT ROWID");
    } else {
        exec(db, "CREATE TABLE txlog (id INTEGER PRIMARY KEY, " + columns + ", UNIQUE (token_serial, type, atc))");
    }
    exec(db,
        has(name, "covering") ? "CREATE INDEX txlog_token_ts ON txlog (token_serial, ts, type)"
                              : "CREATE INDEX txlog_token_ts ON txlog (token_serial, ts)");
    if (has(name, "schema4")) {
        exec(db, "CREATE INDEX txlog_ts ON txlog (ts)");
        exec(db, "CREATE INDEX txlog_amount ON txlog (amount)");
    }
    v.prepare();
    double ignored = 0;
    for (int first = 0; first < rows; first += 10000) {
        char token[32];
        std::snprintf(token, sizeof token, "TOKEN%04d", first / 100000);
        (void)v.sync(token, records(first % 100000, 10000), ignored);
        v.checkpoint();
    }
    std::vector<double> wall;
    std::vector<double> cpu;
    std::vector<double> inserts;
    for (int rep = 0; rep < 5; ++rep) {
        auto batch = records(0, 10000);
        if (has(name, "desc")) {
            std::reverse(batch.begin(), batch.end());
        }
        const std::string token = "NEWTOKEN" + std::to_string(rep);
        const double wall0 = wallMs();
        const double cpu0 = cpuMs();
        double insertCpu = 0;
        if (v.sync(token, batch, insertCpu) != 10000) {
            std::fprintf(stderr, "%s: not every record was added\n", name.c_str());
            std::exit(1);
        }
        wall.push_back(wallMs() - wall0);
        cpu.push_back(cpuMs() - cpu0);
        inserts.push_back(insertCpu);
        v.checkpoint();
    }
    std::sort(wall.begin(), wall.end());
    std::sort(cpu.begin(), cpu.end());
    std::sort(inserts.begin(), inserts.end());
    std::printf("%-12s sync of 10,000 into %d rows: wall median %6.1f ms (min %6.1f), cpu median %5.1f ms, of which "
                "INSERTs %5.1f ms\n",
        name.c_str(),
        rows,
        wall[2],
        wall[0],
        cpu[2],
        inserts[2]);
    std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv)
{
    const std::string which = argc > 1 ? argv[1] : "all";
    const int rows = argc > 2 ? std::max(20000, std::atoi(argv[2])) : 1000000;
    const std::string dir = argc > 3 ? argv[3] : "/tmp";
    const std::vector<std::string> all{"schema4",
        "schema5",
        "s5-desc",
        "s5-page8k",
        "s5-page16k",
        "s5-cache128",
        "s5-delete",
        "s5-multirow",
        "s5-norowid",
        "s5-covering"};
    if (which != "all" && std::find(all.begin(), all.end(), which) == all.end()) {
        std::fprintf(stderr, "usage: bench_core_mirror_variants [all|schema4|schema5|s5-…] [rows] [dir]\n");
        return 2;
    }
    std::printf("SQLite %s\n", sqlite3_libversion());
    for (const std::string& name : all) {
        if (which == "all" || which == name) {
            run(name, rows, dir);
        }
    }
    return 0;
}
