// SPDX-License-Identifier: Apache-2.0
// The embedded default's database (docs/bank.md §7.3), with the real parts: BankRig on SQLite (bankctl init --test,
// a SoftHSM2 token, skey-bank over HTTPS on loopback). What only SQLite has: one bank host per file, a damaged or
// read-only file refused with what to do next, and the translation of the code's PostgreSQL forms.
#include "bank/db/SqliteDb.h"
#include "bank/support/BankRig.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <cstdio>
#include <unistd.h>

using namespace wallet;
using namespace wallet::bank;
using namespace wallet::bank::test;

namespace {

QString bankBin(const char* name)
{
    return QCoreApplication::applicationDirPath() + QStringLiteral("/../../bank/") + QLatin1String(name);
}

struct Run
{
    int code = -1;
    QString out;
};

/// Runs a bank program; as root, optionally as `nobody` (a user the file's mode applies to).
Run run(const char* program, const QStringList& args, bool asNobody = false)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    if (asNobody && ::geteuid() == 0) {
        p.start(QStringLiteral("setpriv"),
            QStringList{QStringLiteral("--reuid=65534"),
                QStringLiteral("--regid=65534"),
                QStringLiteral("--clear-groups"),
                QStringLiteral("--"),
                bankBin(program)}
                + args);
    } else {
        p.start(bankBin(program), args);
    }
    Run r;
    if (p.waitForFinished(60000) && p.exitStatus() == QProcess::NormalExit) {
        r.code = p.exitCode();
    }
    r.out = QString::fromLocal8Bit(p.readAll());
    return r;
}

/// A data folder whose bank.json points at `ledger.sqlite` beside it, with that file's bytes.
bool makeFolder(const QString& dir, const QByteArray& database)
{
    if (!QDir().mkpath(dir)) {
        return false;
    }
    QFile json(dir + QStringLiteral("/bank.json"));
    QFile db(dir + QStringLiteral("/ledger.sqlite"));
    return json.open(QIODevice::WriteOnly)
        && json.write(R"({"conninfo": "sqlite:ledger.sqlite", "pkcs11Module": "/usr/lib/softhsm/libsofthsm2.so",)"
                      R"( "token": "skey-bank", "test": true})")
        > 0
        && db.open(QIODevice::WriteOnly) && db.write(database) == database.size();
}

} // namespace

class TestBankSqlite : public QObject
{
    Q_OBJECT

private:
    BankRig m_rig{BankRig::Backend::Sqlite};
    QTemporaryDir m_tmp;

    /// The rig's database file, complete (the WAL checkpointed into it; the server stopped).
    QByteArray wholeDatabase()
    {
        m_rig.stopServer();
        auto c = m_rig.db().exec("PRAGMA wal_checkpoint(TRUNCATE)");
        if (!c) {
            return {};
        }
        QFile f(m_rig.sqlitePath());
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        QVERIFY(QFile::setPermissions(m_tmp.path(),
            QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner | QFileDevice::ReadOther
                | QFileDevice::ExeOther));
        const QString up = m_rig.setUp();
        QVERIFY2(up.isEmpty(), qPrintable(up));
        QVERIFY(m_rig.sqlite());
        QVERIFY(QFile::exists(m_rig.sqlitePath()));
    }

    /// The PostgreSQL forms the code uses, as SQLite runs them.
    void translatesPostgresForms()
    {
        const auto t = SqliteDb::translate(
            "SELECT id::text FROM accounts WHERE id = ANY($1::uuid[]) AND bucket = ANY($2::int[]) ORDER BY id FOR NO"
            " KEY UPDATE");
        QCOMPARE(QString::fromStdString(t.sql),
            QStringLiteral("SELECT id FROM accounts WHERE id IN (SELECT value FROM json_each($1)) AND bucket IN "
                           "(SELECT value FROM json_each($2)) ORDER BY id"));
        QCOMPARE(t.arrays.at(1), 's');
        QCOMPARE(t.arrays.at(2), 'n');
        QCOMPARE(QString::fromStdString(SqliteDb::translate("SELECT string_agg(a, ','), greatest(1, 2), count(p.*)"
                                                            " FROM t FOR UPDATE")
                                            .sql),
            QStringLiteral("SELECT group_concat(a, ','), max(1, 2), count(p.rowid) FROM t"));
        QCOMPARE(
            QString::fromStdString(SqliteDb::translate("SET LOCAL idle_in_transaction_session_timeout = '120s'").sql),
            QStringLiteral("SELECT 1"));
        QCOMPARE(QString::fromStdString(SqliteDb::translate("UPDATE t SET a = 1").sql),
            QStringLiteral("UPDATE t SET a = 1"));
        // The arrays reach SQLite as JSON, and booleans read back as PostgreSQL prints them.
        auto r
            = m_rig.db().exec("SELECT count(*) FROM accounts WHERE kind = ANY($1::text[]) AND bucket = ANY($2::int[])",
                {std::string("{purse-float,clearing}"), std::string("{0,1,2}")});
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().detail));
        QCOMPARE(r->integer(0, 0), 4LL); // buckets 0..2 of the float, and the clearing account's bucket 0
    }

    /// One schema in two dialects: after every migration, the same tables with the same columns, NOT NULL alike.
    void sameSchemaOnBothEngines()
    {
        BankRig pg(BankRig::Backend::PostgreSql);
        const QString up = pg.setUp();
        QVERIFY2(up.isEmpty(), qPrintable(up));
        auto columns = [](Db& db) {
            QStringList out;
            auto r = db.sqlite()
                ? db.exec("SELECT m.name, c.name, c.\"notnull\" OR c.pk > 0 FROM sqlite_master m,"
                          " pragma_table_info(m.name) c WHERE m.type = 'table' AND m.name NOT IN ('sqlite_sequence',"
                          " 'asn_sequence') ORDER BY 1, 2")
                : db.exec("SELECT table_name, column_name, is_nullable = 'NO' FROM information_schema.columns"
                          " WHERE table_schema = 'public' ORDER BY 1, 2");
            for (int i = 0; r && i < r->rows(); ++i) {
                out << QStringLiteral("%1.%2%3").arg(QString::fromStdString(r->text(i, 0)),
                    QString::fromStdString(r->text(i, 1)),
                    r->boolean(i, 2) ? QStringLiteral(" NOT NULL") : QString());
            }
            return out;
        };
        const QStringList fromPg = columns(pg.db());
        const QStringList fromSqlite = columns(m_rig.db());
        QVERIFY(fromPg.size() > 150);
        QCOMPARE(fromSqlite, fromPg);
        auto version = [](Db& db) { return db.exec("SELECT max(version), count(*) FROM schema_migrations"); };
        auto a = version(pg.db());
        auto b = version(m_rig.db());
        QVERIFY(a.ok() && b.ok());
        QCOMPARE(b->text(0, 0), a->text(0, 0));
        QCOMPARE(b->text(0, 1), a->text(0, 1));
    }

    /// One skey-bank per SQLite file: a second is refused by name; once the first is gone, a new one starts.
    void secondInstanceRefused()
    {
        const QString up = m_rig.startServer();
        QVERIFY2(up.isEmpty(), qPrintable(up));
        const Run second = run("skey-bank", {QStringLiteral("--data"), m_rig.dataDir()});
        QCOMPARE(second.code, 1);
        QVERIFY2(second.out.contains(QStringLiteral("another skey-bank (process ")), qPrintable(second.out));
        QVERIFY2(second.out.contains(QStringLiteral("is already serving")), qPrintable(second.out));
        QVERIFY(!second.out.contains(QStringLiteral("listening")));
        // bankctl works beside the server (SQLite serialises writers; the lock is the server's only).
        const Run audit = run(
            "bankctl", {QStringLiteral("audit"), QStringLiteral("ledger"), QStringLiteral("--data"), m_rig.dataDir()});
        QVERIFY2(
            audit.code == 0 && audit.out.contains(QStringLiteral("ledger invariants hold")), qPrintable(audit.out));
        m_rig.stopServer();
        const QString again = m_rig.startServer();
        QVERIFY2(again.isEmpty(), qPrintable(again));
        m_rig.stopServer();
    }

    /// Not a database at all, and a real one with damaged pages: both refused, saying what to do; never "started".
    void damagedFileRefused()
    {
        const QString garbage = m_tmp.path() + QStringLiteral("/garbage");
        QVERIFY(makeFolder(garbage, QByteArray(8192, 'x')));
        for (const char* program : {"bankctl", "skey-bank"}) {
            const QStringList args = QLatin1String(program) == QLatin1String("bankctl")
                ? QStringList{QStringLiteral("audit"), QStringLiteral("ledger"), QStringLiteral("--data"), garbage}
                : QStringList{QStringLiteral("--data"), garbage};
            const Run r = run(program, args);
            QVERIFY2(r.code == 1, qPrintable(r.out));
            QVERIFY2(r.out.contains(QStringLiteral("is damaged or not a bank database")), qPrintable(r.out));
            QVERIFY2(r.out.contains(QStringLiteral("restore the last backup")), qPrintable(r.out));
        }

        QByteArray whole = wholeDatabase();
        QVERIFY(whole.size() > 16 * 4096);
        // Every page after the first two overwritten: the schema is readable, the tables are not.
        for (qsizetype i = 2 * 4096; i < whole.size(); ++i) {
            whole[i] = static_cast<char>(0xA5 ^ (i & 0xff));
        }
        const QString broken = m_tmp.path() + QStringLiteral("/broken");
        QVERIFY(makeFolder(broken, whole));
        const Run r
            = run("bankctl", {QStringLiteral("audit"), QStringLiteral("ledger"), QStringLiteral("--data"), broken});
        QVERIFY2(r.code != 0, qPrintable(r.out));
        QVERIFY2(
            r.out.contains(QStringLiteral("XX001")) || r.out.contains(QStringLiteral("is damaged")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("restore the last backup")), qPrintable(r.out));
    }

    /// A file the bank host's user may not write: refused at start with what to change, nothing written.
    void readOnlyFileRefused()
    {
        if (::geteuid() == 0 && QStandardPaths::findExecutable(QStringLiteral("setpriv")).isEmpty()) {
            QSKIP("running as root without setpriv: a file's mode does not bind root");
        }
        const QByteArray whole = wholeDatabase();
        const QString ro = m_tmp.path() + QStringLiteral("/readonly");
        QVERIFY(makeFolder(ro, whole));
        const auto readable = QFileDevice::ReadOwner | QFileDevice::ReadGroup | QFileDevice::ReadOther;
        QVERIFY(QFile::setPermissions(ro + QStringLiteral("/ledger.sqlite"), readable));
        QVERIFY(QFile::setPermissions(ro + QStringLiteral("/bank.json"), readable));
        QVERIFY(QFile::setPermissions(
            ro, readable | QFileDevice::ExeOwner | QFileDevice::ExeGroup | QFileDevice::ExeOther));
        for (const char* program : {"bankctl", "skey-bank"}) {
            const QStringList args = QLatin1String(program) == QLatin1String("bankctl")
                ? QStringList{QStringLiteral("audit"), QStringLiteral("ledger"), QStringLiteral("--data"), ro}
                : QStringList{QStringLiteral("--data"), ro};
            const Run r = run(program, args, true);
            QVERIFY2(r.code == 1, qPrintable(r.out));
            QVERIFY2(r.out.contains(QStringLiteral("read-only")) || r.out.contains(QStringLiteral("cannot write")),
                qPrintable(r.out));
            QVERIFY2(r.out.contains(QStringLiteral("give its user write access")), qPrintable(r.out));
        }
        QFile f(ro + QStringLiteral("/ledger.sqlite"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), whole); // byte-for-byte untouched
    }

    void cleanupTestCase() { m_rig.stopServer(); }
};

SKEY_BANK_TEST_MAIN(TestBankSqlite)

#include "TestBankSqlite.moc"
