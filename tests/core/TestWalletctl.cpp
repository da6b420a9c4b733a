// SPDX-License-Identifier: Apache-2.0
// walletctl as a user runs it (a child process, --in-process key with its NVM in a temporary directory, --json):
// issue → pin verify → load → purchase → balance → history → export → settle; bad amounts, wrong PIN, re-issue,
// and the documented exit codes. The PIN always comes on stdin, never on the command line.
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

namespace {

struct Run
{
    int exitCode = -1;
    QJsonObject json;
    QByteArray out;
    QByteArray err;
};

} // namespace

class TestWalletctl : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void badAmounts_data();
    void badAmounts();
    void userSession();
    void embeddedSimulatorByDefault();
    void maintenanceCommands();

private:
    Run walletctl(const QStringList& args, const QByteArray& stdinData = {}, const QString& dataDir = {});
    QString m_exe;
    QTemporaryDir m_dir;
};

void TestWalletctl::initTestCase()
{
    m_exe = QStringLiteral(WALLETCTL_PATH);
    QVERIFY2(QFile::exists(m_exe), qPrintable(m_exe));
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
    p.waitForStarted();
    p.write(stdinData);
    p.closeWriteChannel();
    p.waitForFinished(60000);
    Run r;
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    r.json = QJsonDocument::fromJson(r.out.trimmed().split('\n').last()).object();
    return r;
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
    r = walletctl({QStringLiteral("pin"), QStringLiteral("verify")}, "111111\n");
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
    QVERIFY2(r.err.contains("Load \xC2\xA5" "100.00 onto the key"), r.err);
    QCOMPARE(r.json.value(QStringLiteral("balance")).toString(), QStringLiteral("100.00"));
    r = walletctl({QStringLiteral("purchase"), QStringLiteral("0.99"), QStringLiteral("--yes")}, "123456\n");
    QVERIFY2(r.exitCode == 0, r.out + r.err);
    QCOMPARE(r.json.value(QStringLiteral("balance")).toString(), QStringLiteral("99.01"));
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
        r = walletctl({QStringLiteral("pin"), QStringLiteral("verify")}, "000000\n", d);
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
    QVERIFY(!r.out.contains("2468") && !r.err.contains("2468"));
}

QTEST_GUILESS_MAIN(TestWalletctl)
#include "TestWalletctl.moc"
