// SPDX-License-Identifier: Apache-2.0
// Issue 17 item 13: the real smartkey-wallet executable (offscreen) started with its embedded simulated key; ended
// with SIGTERM, SIGINT or SIGKILL, its skey-sim child must be gone within a second (a plain `kill` once left it
// orphaned, and the start-up benchmark left seven behind). SIGTERM and SIGINT end the wallet cleanly (exit code 0).
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <sys/types.h>

class TestWalletSignals : public QObject
{
    Q_OBJECT

private slots:
    void simulatorEndsWithTheWallet_data();
    void simulatorEndsWithTheWallet();
};

namespace {

/// The pids whose parent is `parent` and whose command name is `name` (from /proc/<pid>/stat).
QList<qint64> childrenNamed(qint64 parent, const QByteArray& name)
{
    QList<qint64> out;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString& entry : entries) {
        bool number = false;
        const qint64 pid = entry.toLongLong(&number);
        if (!number) {
            continue;
        }
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!stat.open(QIODevice::ReadOnly)) {
            continue;
        }
        const QByteArray line = stat.readAll();
        // pid (comm) state ppid ...
        const qsizetype open = line.indexOf('(');
        const qsizetype close = line.lastIndexOf(')');
        if (open < 0 || close < 0) {
            continue;
        }
        const QByteArray comm = line.mid(open + 1, close - open - 1);
        const QList<QByteArray> rest = line.mid(close + 2).split(' ');
        if (rest.size() > 1 && comm == name && rest.at(1).toLongLong() == parent) {
            out << pid;
        }
    }
    return out;
}

bool alive(qint64 pid)
{
    // A zombie (state Z) has ended; it only waits for its parent to reap it.
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly)) {
        return false;
    }
    const QByteArray line = stat.readAll();
    const qsizetype close = line.lastIndexOf(')');
    return close > 0 && line.mid(close + 2, 1) != "Z";
}

} // namespace

void TestWalletSignals::simulatorEndsWithTheWallet_data()
{
    QTest::addColumn<int>("signal");
    QTest::addColumn<bool>("clean");
    QTest::addColumn<bool>("whileStarting");
    QTest::newRow("SIGTERM") << int(SIGTERM) << true << false;
    QTest::newRow("SIGINT") << int(SIGINT) << true << false;
    QTest::newRow("SIGKILL") << int(SIGKILL) << false << false;
    // The signal comes while the key is still starting (CI stop 21: the wallet's worker was waiting for READY, the
    // event loop ended, and the started key's hand-over to the GUI thread never ran): skey-sim is held stopped until
    // the wallet has begun to quit, so its READY comes only then.
    QTest::newRow("SIGTERM while the key starts") << int(SIGTERM) << true << true;
}

void TestWalletSignals::simulatorEndsWithTheWallet()
{
    QFETCH(int, signal);
    QFETCH(bool, clean);
    QFETCH(bool, whileStarting);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QProcess wallet;
    wallet.setProcessChannelMode(QProcess::ForwardedChannels);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    wallet.setProcessEnvironment(env);
    wallet.start(QStringLiteral(WALLET_APP_PATH),
        {QStringLiteral("--data-dir"),
            dir.filePath(QStringLiteral("data")),
            QStringLiteral("--no-usb"),
            QStringLiteral("--lang"),
            QStringLiteral("en")});
    QVERIFY(wallet.waitForStarted(10000));
    const qint64 walletPid = wallet.processId();
    QList<qint64> sims;
    QTRY_VERIFY_WITH_TIMEOUT(!(sims = childrenNamed(walletPid, "skey-sim")).isEmpty(), 60000);
    QCOMPARE(sims.size(), 1);
    const qint64 sim = sims.first();
    QVERIFY(alive(sim));

    if (whileStarting) {
        ::kill(static_cast<pid_t>(sim), SIGSTOP);
        ::kill(static_cast<pid_t>(walletPid), signal);
        QTest::qWait(500); // the wallet's event loop ends while its worker still waits for READY
        ::kill(static_cast<pid_t>(sim), SIGCONT);
    } else {
        ::kill(static_cast<pid_t>(walletPid), signal);
    }
    QVERIFY2(wallet.waitForFinished(30000), "the wallet did not end");
    if (clean) {
        QCOMPARE(wallet.exitStatus(), QProcess::NormalExit);
        QCOMPARE(wallet.exitCode(), 0);
    }
    // The simulated key is gone with the wallet. The issue asks for within a second; the time is printed, and the
    // bound asserted is a generous 10 s so that a loaded machine (sanitizers, 2 cores) cannot fail it on time alone:
    // an orphan never ends, so it fails either way.
    QElapsedTimer gone;
    gone.start();
    QTRY_VERIFY2_WITH_TIMEOUT(
        !alive(sim), qPrintable(QStringLiteral("skey-sim %1 outlived the wallet").arg(sim)), 10000);
    qInfo("skey-sim gone %lld ms after the wallet ended", static_cast<long long>(gone.elapsed()));
}

QTEST_GUILESS_MAIN(TestWalletSignals)
#include "TestWalletSignals.moc"
