// SPDX-License-Identifier: Apache-2.0
// walletctl as a user runs it (a child process, --in-process key with its NVM in a temporary directory, --json):
// issue → pin verify → load → purchase → balance → history → export → settle; bad amounts, wrong PIN, re-issue,
// and the documented exit codes. The PIN always comes on stdin, never on the command line: every run that is given
// PINs (verify, change, reload, unblock, load, purchase) is checked for them in its stdout, its stderr, and the argv of
// the process and of its children, sampled from /proc while it runs.
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

namespace {

struct Run
{
    int exitCode = -1;
    QJsonObject json;
    QByteArray out;
    QByteArray err;
    QList<QByteArray> argvSeen; ///< every /proc/<pid>/cmdline read while it ran (the process and its children)
};

/// The PINs a run was given: every stdin line that is 4..12 digits.
QList<QByteArray> pinsIn(const QByteArray& stdinData)
{
    QList<QByteArray> pins;
    for (const QByteArray& line : stdinData.split('\n')) {
        const QByteArray l = line.trimmed();
        bool digits = l.size() >= 4 && l.size() <= 12;
        for (const char c : l) {
            digits = digits && c >= '0' && c <= '9';
        }
        if (digits) {
            pins << l;
        }
    }
    return pins;
}

/// /proc/<pid>/cmdline of `pid` and of its children (recursively): NUL-separated argv.
void sampleArgv(qint64 pid, QList<QByteArray>& seen)
{
    QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
    if (cmdline.open(QIODevice::ReadOnly)) {
        const QByteArray argv = cmdline.readAll();
        if (!argv.isEmpty() && !seen.contains(argv)) {
            seen << argv;
        }
    }
    const QStringList tasks
        = QDir(QStringLiteral("/proc/%1/task").arg(pid)).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString& task : tasks) {
        QFile children(QStringLiteral("/proc/%1/task/%2/children").arg(pid).arg(task));
        if (children.open(QIODevice::ReadOnly)) {
            for (const QByteArray& child : children.readAll().split(' ')) {
                if (!child.trimmed().isEmpty()) {
                    sampleArgv(child.trimmed().toLongLong(), seen);
                }
            }
        }
    }
}

/// Fails the calling test when one of `pins` appears in the run's output or in an argv seen while it ran.
/// The PIN is looked for as typed (ASCII digits); BCD on the wire has the same hex spelling, so a hex dump is caught.
bool pinLeaked(const Run& r, const QList<QByteArray>& pins, QByteArray& where)
{
    for (const QByteArray& pin : pins) {
        if (r.out.contains(pin)) {
            where = "stdout contains PIN " + pin + ": " + r.out;
            return true;
        }
        if (r.err.contains(pin)) {
            where = "stderr contains PIN " + pin + ": " + r.err;
            return true;
        }
        for (const QByteArray& argv : r.argvSeen) {
            if (argv.contains(pin)) {
                where = "argv contains PIN " + pin + ": " + QByteArray(argv).replace('\0', ' ');
                return true;
            }
        }
    }
    return false;
}

} // namespace

class TestWalletctl : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init()
    {
        m_pinRuns = 0;
        m_argvSamples = 0;
        m_leak.clear();
    }
    void badAmounts_data();
    void badAmounts();
    void userSession();
    void embeddedSimulatorByDefault();
    void maintenanceCommands();
    void settlementSetsABadTacAside();
    void damagedLedgerStillShowsTheBalance();
    void versionIsTheProjects();
    void pivTouchPolicy();

private:
    /// Runs walletctl; when stdinData holds PINs, the run is checked for them (output, argv) and the test fails on a
    /// leak. `pinRuns` counts those checked runs.
    Run walletctl(const QStringList& args, const QByteArray& stdinData = {}, const QString& dataDir = {});
    void pinNeverLeaks();
    QString m_exe;
    int m_pinRuns = 0;
    int m_argvSamples = 0;
    QByteArray m_leak;
    QTemporaryDir m_dir;
};

void TestWalletctl::initTestCase()
{
    m_exe = QStringLiteral(WALLETCTL_PATH);
    QVERIFY2(QFile::exists(m_exe), qPrintable(m_exe));
}

void TestWalletctl::pivTouchPolicy()
{
    // Issue 14: `cert generate --touch` sets the slot's touch policy (GENERATE tag AB), and `cert list` reads it back
    // from the key (GET METADATA), so it is the key's word, not an echo. "cached" is shown as asking every time.
    QTemporaryDir dir;
    const auto touchOf = [&](const QString& slot) -> QString {
        const Run list = walletctl({QStringLiteral("cert"), QStringLiteral("list")}, {}, dir.path());
        for (const auto& v : list.json.value(QStringLiteral("slots")).toArray()) {
            const QJsonObject row = v.toObject();
            if (row.value(QStringLiteral("slot")).toString() == slot) {
                return row.value(QStringLiteral("touchPolicy")).toString(QStringLiteral("<no key>"));
            }
        }
        return QStringLiteral("<no slot> ") + QString::fromUtf8(list.out + list.err);
    };
    Run r = walletctl({QStringLiteral("cert"),
                          QStringLiteral("generate"),
                          QStringLiteral("--slot"),
                          QStringLiteral("9e"),
                          QStringLiteral("--touch"),
                          QStringLiteral("always")},
        {},
        dir.path());
    QVERIFY2(r.exitCode == 0, r.out + r.err);
    QCOMPARE(r.json.value(QStringLiteral("touchPolicy")).toString(), QStringLiteral("always"));
    QCOMPARE(touchOf(QStringLiteral("9e")), QStringLiteral("always"));
    QCOMPARE(touchOf(QStringLiteral("9c")), QStringLiteral("<no key>"));
    r = walletctl({QStringLiteral("cert"),
                      QStringLiteral("generate"),
                      QStringLiteral("--slot"),
                      QStringLiteral("9e"),
                      QStringLiteral("--touch"),
                      QStringLiteral("cached"),
                      QStringLiteral("--yes")},
        {},
        dir.path());
    QVERIFY2(r.exitCode == 0, r.out + r.err);
    QCOMPARE(touchOf(QStringLiteral("9e")), QStringLiteral("cached (asks every time: the token has no clock)"));
    r = walletctl({QStringLiteral("cert"),
                      QStringLiteral("generate"),
                      QStringLiteral("--slot"),
                      QStringLiteral("9e"),
                      QStringLiteral("--touch"),
                      QStringLiteral("never"),
                      QStringLiteral("--yes")},
        {},
        dir.path());
    QVERIFY2(r.exitCode == 0, r.out + r.err);
    QCOMPARE(touchOf(QStringLiteral("9e")), QStringLiteral("never"));
    r = walletctl({QStringLiteral("cert"),
                      QStringLiteral("generate"),
                      QStringLiteral("--slot"),
                      QStringLiteral("9a"),
                      QStringLiteral("--touch"),
                      QStringLiteral("sometimes")},
        {},
        dir.path());
    QVERIFY(r.exitCode != 0);
    QVERIFY2((r.out + r.err).contains("--touch: never, always or cached"), r.out + r.err);
    QCOMPARE(touchOf(QStringLiteral("9a")), QStringLiteral("<no key>"));
}

Run TestWalletctl::walletctl(const QStringList& args, const QByteArray& stdinData, const QString& dataDir)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("WALLETCTL_PASSPHRASE"), QStringLiteral("test passphrase"));
    p.setProcessEnvironment(env);
    p.start(m_exe,
        QStringList{QStringLiteral("--json"),
            QStringLiteral("--in-process"),
            QStringLiteral("--data-dir"),
            dataDir.isEmpty() ? m_dir.path() : dataDir}
            + args);
    Run r;
    p.waitForStarted();
    // argv while it waits for stdin, then while it works with the PIN, until it exits.
    sampleArgv(p.processId(), r.argvSeen);
    p.write(stdinData);
    p.closeWriteChannel();
    for (int i = 0; i < 60000 && p.state() != QProcess::NotRunning; ++i) {
        sampleArgv(p.processId(), r.argvSeen);
        p.waitForFinished(1);
    }
    p.waitForFinished(60000);
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    r.json = QJsonDocument::fromJson(r.out.trimmed().split('\n').last()).object();
    const QList<QByteArray> pins = pinsIn(stdinData);
    if (!pins.isEmpty()) {
        ++m_pinRuns;
        m_argvSamples += static_cast<int>(r.argvSeen.size());
        QByteArray where;
        if (m_leak.isEmpty() && pinLeaked(r, pins, where)) {
            m_leak = args.join(QLatin1Char(' ')).toUtf8() + ": " + where;
        }
    }
    return r;
}

void TestWalletctl::pinNeverLeaks()
{
    QVERIFY2(m_leak.isEmpty(), m_leak.constData());
}

void TestWalletctl::badAmounts_data()
{
    QTest::addColumn<QString>("amount");
    for (const char* a : {"-1", "1.234", "1e3", "abc", "1,00", "42949672.96", "0", ""}) {
        QTest::newRow(a) << QString::fromLatin1(a);
    }
}

void TestWalletctl::badAmounts()
{
    QFETCH(QString, amount);
    const Run r = walletctl({QStringLiteral("load"), amount});
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.json.value(QStringLiteral("ok")).toBool(true), false);
    QVERIFY(!r.json.value(QStringLiteral("error")).toString().isEmpty());
}

void TestWalletctl::userSession()
{
    const QString profile = qEnvironmentVariable("SKEY_SOURCE_DIR", QStringLiteral(WALLET_SOURCE_DIR))
        + QStringLiteral("/resources/profiles/demo-sm4.json");
    Run r = walletctl({QStringLiteral("info")});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.json.value(QStringLiteral("lifeCycle")).toString(), QStringLiteral("blank"));
    r = walletctl({QStringLiteral("issue"), profile});
    QVERIFY2(r.exitCode == 0, r.out + r.err);
    QCOMPARE(r.json.value(QStringLiteral("algorithm")).toString(), QStringLiteral("SM4"));
    r = walletctl({QStringLiteral("issue"), profile});
    QCOMPARE(r.exitCode, 3); // already issued: refused by the key's state
    r = walletctl({QStringLiteral("pin"), QStringLiteral("verify")}, "975318\n");
    QCOMPARE(r.exitCode, 3);
    QCOMPARE(r.json.value(QStringLiteral("triesLeft")).toInt(), 2);
    r = walletctl({QStringLiteral("pin"), QStringLiteral("verify")}, "123456\n");
    QCOMPARE(r.exitCode, 0);
    // Issue 9 item 13: no load without the parsed amount confirmed; --yes prints it (stdin here is not a terminal).
    r = walletctl({QStringLiteral("load"), QStringLiteral("100.00")}, "123456\n");
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.json.value(QStringLiteral("error")).toString().contains(QStringLiteral("--yes")), r.out);
    QVERIFY(r.json.value(QStringLiteral("error")).toString().contains(QStringLiteral("\u00A5100.00")));
    r = walletctl({QStringLiteral("load"), QStringLiteral("100.00"), QStringLiteral("--yes")}, "123456\n");
    QVERIFY2(r.exitCode == 0, r.out + r.err);
    QVERIFY2(r.err.contains("Load \xC2\xA5"
                            "100.00 onto the key"),
        r.err);
    QCOMPARE(r.json.value(QStringLiteral("balance")).toString(), QStringLiteral("100.00"));
    r = walletctl({QStringLiteral("purchase"), QStringLiteral("0.99"), QStringLiteral("--yes")}, "123456\n");
    QVERIFY2(r.exitCode == 0, r.out + r.err);
    QCOMPARE(r.json.value(QStringLiteral("balance")).toString(), QStringLiteral("99.01"));
    // CHANGE PIN (old, new, new again on stdin), checked by a VERIFY of the new one, then back to the first.
    r = walletctl({QStringLiteral("pin"), QStringLiteral("change")}, "123456\n135790\n135790\n");
    QVERIFY2(r.exitCode == 0, r.out + r.err);
    r = walletctl({QStringLiteral("pin"), QStringLiteral("verify")}, "135790\n");
    QCOMPARE(r.exitCode, 0);
    r = walletctl({QStringLiteral("pin"), QStringLiteral("change")}, "135790\n123456\n123456\n");
    QVERIFY2(r.exitCode == 0, r.out + r.err);
    r = walletctl({QStringLiteral("purchase"), QStringLiteral("200"), QStringLiteral("--yes")}, "123456\n");
    QCOMPARE(r.exitCode, 3); // balance too low
    QCOMPARE(r.json.value(QStringLiteral("statusWord")).toString(), QStringLiteral("9401"));
    r = walletctl({QStringLiteral("purchase"), QStringLiteral("1"), QStringLiteral("--yes")}, "");
    QCOMPARE(r.exitCode, 1); // the key wants the PIN and stdin gave none
    r = walletctl({QStringLiteral("balance")});
    QCOMPARE(r.json.value(QStringLiteral("balance")).toString(), QStringLiteral("99.01"));
    r = walletctl({QStringLiteral("history"), QStringLiteral("--type"), QStringLiteral("purchase")});
    QCOMPARE(r.exitCode, 0);
    const QJsonDocument hist = QJsonDocument::fromJson(r.out.trimmed().split('\n').last());
    QCOMPARE(hist.object().value(QStringLiteral("transactions")).toArray().size(), 1);
    const QString csv = m_dir.filePath(QStringLiteral("h.csv"));
    r = walletctl({QStringLiteral("export"), csv});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.json.value(QStringLiteral("rows")).toInt(), 2);
    r = walletctl({QStringLiteral("settle"), m_dir.filePath(QStringLiteral("settle.json"))});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.json.value(QStringLiteral("purchases")).toInt(), 1);
    QCOMPARE(r.json.value(QStringLiteral("total")).toString(), QStringLiteral("0.99"));
    r = walletctl({QStringLiteral("bogus")});
    QCOMPARE(r.exitCode, 1);
    // PINs never appear in output, and the mirror/key store never hold them.
    QFile mirror(m_dir.filePath(QStringLiteral("mirror.sqlite")));
    QVERIFY(mirror.open(QIODevice::ReadOnly));
    QVERIFY(!mirror.readAll().contains(QByteArray::fromHex("123456")));
    mirror.close();
    // A damaged mirror never stops the purse: payments work (with a warning), history says what is wrong.
    for (const char* suffix : {"", "-wal", "-shm"}) {
        QFile::remove(m_dir.filePath(QStringLiteral("mirror.sqlite") + QLatin1String(suffix)));
    }
    QVERIFY(mirror.open(QIODevice::WriteOnly));
    mirror.write(QByteArray(4096, 'x'));
    mirror.close();
    r = walletctl({QStringLiteral("purchase"), QStringLiteral("1.00"), QStringLiteral("--yes")}, "123456\n");
    QVERIFY2(r.exitCode == 0, r.out + r.err);
    QCOMPARE(r.json.value(QStringLiteral("balance")).toString(), QStringLiteral("98.01"));
    QVERIFY(r.err.contains("damaged"));
    r = walletctl({QStringLiteral("history")});
    QCOMPARE(r.exitCode, 5);
    QVERIFY(r.json.value(QStringLiteral("error")).toString().contains(QStringLiteral("damaged")));
    // Every run above that was given a PIN (wrong and right VERIFY, CHANGE twice, load, purchases) was checked.
    QVERIFY2(m_pinRuns >= 9, QByteArray::number(m_pinRuns).constData());
    QVERIFY(m_argvSamples >= m_pinRuns);
    pinNeverLeaks();
}

void TestWalletctl::embeddedSimulatorByDefault()
{
    // No key, no --in-process: walletctl starts the embedded simulated key (skey-sim over loopback UDP) and says so.
    QTemporaryDir dir;
    QProcess p;
    p.start(m_exe, {QStringLiteral("--json"), QStringLiteral("--data-dir"), dir.path(), QStringLiteral("info")});
    QVERIFY(p.waitForFinished(60000));
    const QByteArray out = p.readAllStandardOutput();
    const QByteArray err = p.readAllStandardError();
    QVERIFY2(p.exitCode() == 0, out + err);
    const QJsonObject o = QJsonDocument::fromJson(out.trimmed()).object();
    QCOMPARE(o.value(QStringLiteral("simulated")).toBool(), true);
    QVERIFY(o.value(QStringLiteral("channel")).toString().contains(QStringLiteral("127.0.0.1")));
    QVERIFY(err.contains("embedded simulated key"));
    // --sim is loopback only.
    QProcess q;
    q.start(m_exe,
        {QStringLiteral("--json"),
            QStringLiteral("--data-dir"),
            dir.path(),
            QStringLiteral("--sim"),
            QStringLiteral("10.0.0.1:21700"),
            QStringLiteral("info")});
    QVERIFY(q.waitForFinished(30000));
    QCOMPARE(q.exitCode(), 1);
    QVERIFY(q.readAllStandardOutput().contains("loopback"));
}

void TestWalletctl::maintenanceCommands()
{
    // pin unblock / pin reload / app block [--permanent] / app unblock, with the PINs on stdin only.
    QTemporaryDir dir;
    const QString d = dir.path();
    const QString profile = qEnvironmentVariable("SKEY_SOURCE_DIR", QStringLiteral(WALLET_SOURCE_DIR))
        + QStringLiteral("/resources/profiles/demo-3des.json");
    Run r = walletctl({QStringLiteral("issue"), profile}, {}, d);
    QVERIFY2(r.exitCode == 0, r.out + r.err);
    r = walletctl({QStringLiteral("pin"), QStringLiteral("unblock")}, "123456\n", d);
    QCOMPARE(r.exitCode, 3); // not blocked: refused by the key
    QCOMPARE(r.json.value(QStringLiteral("statusWord")).toString(), QStringLiteral("6985"));
    QVERIFY(r.json.value(QStringLiteral("error")).toString().contains(QStringLiteral("not blocked")));
    for (int i = 0; i < 3; ++i) {
        r = walletctl({QStringLiteral("pin"), QStringLiteral("verify")}, "864209\n", d);
        QCOMPARE(r.exitCode, 3);
    }
    r = walletctl({QStringLiteral("pin"), QStringLiteral("verify")}, "123456\n", d);
    QCOMPARE(r.json.value(QStringLiteral("statusWord")).toString(), QStringLiteral("6983"));
    r = walletctl({QStringLiteral("pin"), QStringLiteral("unblock")}, "123456\n", d);
    QVERIFY2(r.exitCode == 0, r.out + r.err);
    QCOMPARE(r.json.value(QStringLiteral("triesLeft")).toInt(), 3);
    r = walletctl({QStringLiteral("pin"), QStringLiteral("reload")}, "2468\n", d);
    QVERIFY2(r.exitCode == 0, r.out + r.err);
    r = walletctl({QStringLiteral("pin"), QStringLiteral("verify")}, "2468\n", d);
    QCOMPARE(r.exitCode, 0);
    r = walletctl({QStringLiteral("pin"), QStringLiteral("reload")}, "12ab\n", d);
    QCOMPARE(r.exitCode, 1);

    r = walletctl({QStringLiteral("app"), QStringLiteral("block")}, {}, d);
    QVERIFY2(r.exitCode == 0, r.out + r.err);
    QCOMPARE(r.json.value(QStringLiteral("permanent")).toBool(true), false);
    r = walletctl({QStringLiteral("balance")}, {}, d);
    QCOMPARE(r.exitCode, 3);
    QCOMPARE(r.json.value(QStringLiteral("statusWord")).toString(), QStringLiteral("6A81"));
    r = walletctl({QStringLiteral("app"), QStringLiteral("unblock")}, {}, d);
    QVERIFY2(r.exitCode == 0, r.out + r.err);
    r = walletctl({QStringLiteral("balance")}, {}, d);
    QCOMPARE(r.exitCode, 0);

    // The irreversible one: without a terminal and without --yes nothing is sent.
    r = walletctl({QStringLiteral("app"), QStringLiteral("block"), QStringLiteral("--permanent")}, {}, d);
    QCOMPARE(r.exitCode, 1);
    QVERIFY(r.json.value(QStringLiteral("error")).toString().contains(QStringLiteral("--yes")));
    r = walletctl({QStringLiteral("balance")}, {}, d);
    QCOMPARE(r.exitCode, 0);
    r = walletctl({QStringLiteral("app"), QStringLiteral("unblock"), QStringLiteral("--permanent")}, {}, d);
    QCOMPARE(r.exitCode, 1);
    r = walletctl(
        {QStringLiteral("app"), QStringLiteral("block"), QStringLiteral("--permanent"), QStringLiteral("--yes")},
        {},
        d);
    QVERIFY2(r.exitCode == 0, r.out + r.err);
    QCOMPARE(r.json.value(QStringLiteral("permanent")).toBool(), true);
    r = walletctl({QStringLiteral("app"), QStringLiteral("unblock")}, {}, d);
    QCOMPARE(r.exitCode, 3);
    QCOMPARE(r.json.value(QStringLiteral("statusWord")).toString(), QStringLiteral("9303"));
    // The runs given a PIN here: unblock ×2, wrong VERIFY ×3, VERIFY ×2, reload ×1 (the bad "12ab" is no PIN).
    QVERIFY2(m_pinRuns >= 8, QByteArray::number(m_pinRuns).constData());
    pinNeverLeaks();
}

namespace {
/// Runs SQL on a wallet file from the test (as a tampering program or a bad disk would).
bool sqlOn(const QString& file, const QString& sql)
{
    bool ok = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("tamper"));
        db.setDatabaseName(file);
        ok = db.open() && QSqlQuery(db).exec(sql);
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("tamper"));
    return ok;
}
} // namespace

void TestWalletctl::settlementSetsABadTacAside()
{
    // Issue 9 item 16: one purchase whose TAC does not verify is reported and set aside; the others are written
    // (temporary file, fsync, rename) and only then marked settled.
    QTemporaryDir dir;
    const QString profile = qEnvironmentVariable("SKEY_SOURCE_DIR", QStringLiteral(WALLET_SOURCE_DIR))
        + QStringLiteral("/resources/profiles/demo-3des.json");
    QCOMPARE(walletctl({QStringLiteral("issue"), profile}, {}, dir.path()).exitCode, 0);
    QCOMPARE(
        walletctl({QStringLiteral("load"), QStringLiteral("10.00"), QStringLiteral("--yes")}, "123456\n", dir.path())
            .exitCode,
        0);
    for (const char* amount : {"1.00", "2.00", "3.00"}) {
        const Run r = walletctl(
            {QStringLiteral("purchase"), QLatin1String(amount), QStringLiteral("--yes")}, "123456\n", dir.path());
        QVERIFY2(r.exitCode == 0, r.out + r.err);
    }
    const QString psam = dir.filePath(QStringLiteral("psam.sqlite"));
    QVERIFY(sqlOn(psam, QStringLiteral("UPDATE purchases SET tac = X'00000000' WHERE tsn = 2")));
    const QString file = dir.filePath(QStringLiteral("settle.json"));
    Run r = walletctl({QStringLiteral("settle"), file}, {}, dir.path());
    QVERIFY2(r.exitCode == 0, r.out + r.err);
    QCOMPARE(r.json.value(QStringLiteral("purchases")).toInt(), 2);
    QCOMPARE(r.json.value(QStringLiteral("total")).toString(), QStringLiteral("4.00"));
    const QJsonArray aside = r.json.value(QStringLiteral("setAside")).toArray();
    QCOMPARE(aside.size(), 1);
    QCOMPARE(aside.at(0).toObject().value(QStringLiteral("tsn")).toInt(), 2);
    QVERIFY(r.err.contains("TSN 2"));
    QFile f(file);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonArray written
        = QJsonDocument::fromJson(f.readAll()).object().value(QStringLiteral("purchases")).toArray();
    QCOMPARE(written.size(), 2);
    QCOMPARE(written.at(0).toObject().value(QStringLiteral("tsn")).toInt(), 1);
    QCOMPARE(written.at(1).toObject().value(QStringLiteral("tsn")).toInt(), 3);
    QCOMPARE(QDir(dir.path()).entryList({QStringLiteral(".settle.json.tmp-*")}, QDir::Hidden | QDir::Files).size(), 0);
    // Nothing left to settle: the good ones are settled, the bad one stays aside (not exported again).
    r = walletctl({QStringLiteral("settle"), dir.filePath(QStringLiteral("again.json"))}, {}, dir.path());
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.json.value(QStringLiteral("purchases")).toInt(), 0);
    QCOMPARE(r.json.value(QStringLiteral("setAside")).toArray().size(), 0);
    // A settlement file that cannot be written marks nothing settled.
    QCOMPARE(
        walletctl({QStringLiteral("purchase"), QStringLiteral("1.00"), QStringLiteral("--yes")}, "123456\n", dir.path())
            .exitCode,
        0);
    r = walletctl({QStringLiteral("settle"), dir.filePath(QStringLiteral("missing/dir/s.json"))}, {}, dir.path());
    QCOMPARE(r.exitCode, 5);
    r = walletctl({QStringLiteral("settle"), dir.filePath(QStringLiteral("later.json"))}, {}, dir.path());
    QCOMPARE(r.json.value(QStringLiteral("purchases")).toInt(), 1);
}

void TestWalletctl::damagedLedgerStillShowsTheBalance()
{
    // Issue 9 item 17: a damaged issuer ledger never hides the key's balance, and its advice never says "move it
    // away" (that would lose the loads and restart the TSN); a wrong passphrase is not a disk problem.
    QTemporaryDir dir;
    const QString profile = qEnvironmentVariable("SKEY_SOURCE_DIR", QStringLiteral(WALLET_SOURCE_DIR))
        + QStringLiteral("/resources/profiles/demo-3des.json");
    QCOMPARE(walletctl({QStringLiteral("issue"), profile}, {}, dir.path()).exitCode, 0);
    QCOMPARE(
        walletctl({QStringLiteral("load"), QStringLiteral("12.34"), QStringLiteral("--yes")}, "123456\n", dir.path())
            .exitCode,
        0);
    for (const char* name : {"issuer-ledger.sqlite", "issuer-ledger.sqlite-wal", "issuer-ledger.sqlite-shm"}) {
        QFile::remove(dir.filePath(QLatin1String(name)));
    }
    QFile ledger(dir.filePath(QStringLiteral("issuer-ledger.sqlite")));
    QVERIFY(ledger.open(QIODevice::WriteOnly));
    ledger.write(QByteArray(8192, 'x'));
    ledger.close();
    Run r = walletctl({QStringLiteral("balance")}, {}, dir.path());
    QVERIFY2(r.exitCode == 0, r.out + r.err);
    QCOMPARE(r.json.value(QStringLiteral("balance")).toString(), QStringLiteral("12.34"));
    QVERIFY2(r.err.contains("Do not delete, move or replace it"), r.err);
    QVERIFY2(!r.err.contains("move it away"), r.err);
    r = walletctl({QStringLiteral("load"), QStringLiteral("1.00"), QStringLiteral("--yes")}, "123456\n", dir.path());
    QCOMPARE(r.exitCode, 5);
    QVERIFY(!r.json.value(QStringLiteral("error")).toString().contains(QStringLiteral("move it away")));
    // The key store with another passphrase: "wrong passphrase", exit 1, no disk advice.
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("WALLETCTL_PASSPHRASE"), QStringLiteral("not the passphrase"));
    p.setProcessEnvironment(env);
    p.start(m_exe,
        {QStringLiteral("--json"),
            QStringLiteral("--in-process"),
            QStringLiteral("--data-dir"),
            dir.path(),
            QStringLiteral("balance")});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 1);
    const QString error = QJsonDocument::fromJson(p.readAllStandardOutput().trimmed())
                              .object()
                              .value(QStringLiteral("error"))
                              .toString();
    QVERIFY2(
        error.contains(QStringLiteral("passphrase")) && !error.contains(QStringLiteral("disk")), qPrintable(error));
}

// One version everywhere (issue 16): `walletctl --version` prints CMake's PROJECT_VERSION, not a copy of it, and so
// does the simulated key's firmware.
void TestWalletctl::versionIsTheProjects()
{
    const Run r = walletctl({QStringLiteral("--version")});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out.trimmed(), QByteArray("walletctl " SKEY_PROJECT_VERSION));
    // and the key built from the same tree reports it too (HID INIT / GET DATA C2, skey/Version.h).
    QTemporaryDir dir;
    const Run info = walletctl({QStringLiteral("info")}, {}, dir.path());
    QCOMPARE(info.exitCode, 0);
    QCOMPARE(info.json.value(QStringLiteral("firmware")).toString(), QStringLiteral(SKEY_PROJECT_VERSION));
}

QTEST_GUILESS_MAIN(TestWalletctl)
#include "TestWalletctl.moc"
