// SPDX-License-Identifier: Apache-2.0
// walletctl on a real terminal: stdin (and stderr, where prompts go) is the slave side of a pseudo-terminal that the
// test holds, as a shell would. Proves what only a person at a terminal sees: the typed confirmation of the parsed
// amount before a load or payment (issue 9 item 13), and that Ctrl-C (SIGINT) at the PIN prompt gives the terminal
// its echo back (item 19).
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

namespace {

/// One walletctl child on a pseudo-terminal. The test keeps both ends: the master to read prompts and type, the
/// slave to look at the terminal's settings (on Linux the master has termios of its own).
class TerminalRun
{
public:
    TerminalRun(const QString& exe, const QStringList& args)
    {
        if (::openpty(&m_master, &m_slave, nullptr, nullptr, nullptr) != 0) {
            return;
        }
        ::fcntl(m_master, F_SETFL, ::fcntl(m_master, F_GETFL) | O_NONBLOCK);
        const int slave = m_slave;
        m_process.setChildProcessModifier([slave] {
            ::setsid();
            ::dup2(slave, STDIN_FILENO);
            ::dup2(slave, STDERR_FILENO);
        });
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("WALLETCTL_PASSPHRASE"), QStringLiteral("test passphrase"));
        m_process.setProcessEnvironment(env);
        m_process.start(exe, args);
        m_process.waitForStarted();
    }
    ~TerminalRun()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
        if (m_master >= 0) {
            ::close(m_master);
        }
        if (m_slave >= 0) {
            ::close(m_slave);
        }
    }
    TerminalRun(const TerminalRun&) = delete;
    TerminalRun& operator=(const TerminalRun&) = delete;

    [[nodiscard]] bool ok() const { return m_master >= 0 && m_process.state() != QProcess::NotRunning; }
    /// Reads what the program wrote to the terminal until `text` appeared (true) or `ms` passed (false).
    bool waitFor(const QByteArray& text, int ms = 60000)
    {
        QElapsedTimer timer;
        timer.start();
        while (!m_screen.contains(text) && timer.elapsed() < ms) {
            pollfd p{m_master, POLLIN, 0};
            if (::poll(&p, 1, 50) > 0) {
                char buf[512];
                const ssize_t n = ::read(m_master, buf, sizeof buf);
                if (n > 0) {
                    m_screen.append(buf, static_cast<qsizetype>(n));
                }
            }
        }
        return m_screen.contains(text);
    }
    void type(const QByteArray& keys) { (void)!::write(m_master, keys.constData(), static_cast<size_t>(keys.size())); }
    [[nodiscard]] bool echoOn() const
    {
        termios t{};
        return ::tcgetattr(m_slave, &t) == 0 && (t.c_lflag & ECHO) != 0;
    }
    /// Waits for the end; the exit code, or -signal when a signal ended it.
    int finish(int ms = 60000)
    {
        if (!m_process.waitForFinished(ms)) {
            return -2; // still running (waiting for input that never came)
        }
        waitFor(QByteArrayLiteral("\x01never"), 100); // drain the terminal
        return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
    }
    QProcess& process() { return m_process; }
    [[nodiscard]] const QByteArray& screen() const { return m_screen; }
    [[nodiscard]] QJsonObject json() { return QJsonDocument::fromJson(m_process.readAllStandardOutput()).object(); }

private:
    int m_master = -1;
    int m_slave = -1;
    QProcess m_process;
    QByteArray m_screen;
};

} // namespace

class TestWalletctlTerminal : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void loadAsksForTheParsedAmount();
    void paymentRefusedUnlessYes();
    void ctrlCAtThePinPromptRestoresEcho();

private:
    QStringList base() const
    {
        return {QStringLiteral("--json"), QStringLiteral("--in-process"), QStringLiteral("--data-dir"), m_dir.path()};
    }
    QString m_exe;
    QTemporaryDir m_dir;
};

void TestWalletctlTerminal::initTestCase()
{
    m_exe = QStringLiteral(WALLETCTL_PATH);
    QVERIFY2(QFile::exists(m_exe), qPrintable(m_exe));
    // An issued key whose policy asks the PIN for every load (demo profile).
    const QString profile = qEnvironmentVariable("SKEY_SOURCE_DIR", QStringLiteral(WALLET_SOURCE_DIR))
        + QStringLiteral("/resources/profiles/demo-3des.json");
    QProcess issue;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("WALLETCTL_PASSPHRASE"), QStringLiteral("test passphrase"));
    issue.setProcessEnvironment(env);
    issue.start(m_exe, base() + QStringList{QStringLiteral("issue"), profile});
    issue.closeWriteChannel();
    QVERIFY(issue.waitForFinished(60000));
    QVERIFY2(issue.exitCode() == 0, issue.readAllStandardOutput() + issue.readAllStandardError());
}

void TestWalletctlTerminal::loadAsksForTheParsedAmount()
{
    // "12,50" is refused before anything is asked or sent, with the problem named.
    {
        TerminalRun run(m_exe, base() + QStringList{QStringLiteral("load"), QStringLiteral("12,50")});
        QVERIFY(run.ok());
        QCOMPARE(run.finish(), 1);
        const QString error = run.json().value(QStringLiteral("error")).toString();
        QVERIFY2(error.contains(QStringLiteral("comma")), qPrintable(error));
    }
    // "1,250.00" is ¥1,250.00 and the terminal shows it; answering anything but yes sends nothing.
    {
        TerminalRun run(m_exe, base() + QStringList{QStringLiteral("load"), QStringLiteral("1,250.00")});
        QVERIFY(run.ok());
        QVERIFY2(run.waitFor("Load \xC2\xA5"
                             "1250.00 onto the key? Type \"yes\""),
            run.screen());
        run.type("no\n");
        QCOMPARE(run.finish(), 2); // Cancelled
        QVERIFY(run.json().value(QStringLiteral("error")).toString().contains(QStringLiteral("not confirmed")));
        QVERIFY2(!run.screen().contains("PIN"), run.screen()); // nothing reached the key, so no PIN was asked
    }
    // Confirmed: then the key asks for its PIN, and the load goes through.
    {
        TerminalRun run(m_exe, base() + QStringList{QStringLiteral("load"), QStringLiteral("12.50")});
        QVERIFY(run.ok());
        QVERIFY2(run.waitFor("Load \xC2\xA5"
                             "12.50 onto the key?"),
            run.screen());
        run.type("yes\n");
        QVERIFY2(run.waitFor("PIN: "), run.screen());
        // Echo goes off (flushing pending input, as a PIN prompt should) just after the prompt: type after that.
        QTRY_VERIFY_WITH_TIMEOUT(!run.echoOn(), 10000);
        run.type("123456\n");
        QCOMPARE(run.finish(), 0);
        const QJsonObject o = run.json();
        QCOMPARE(o.value(QStringLiteral("amount")).toString(), QStringLiteral("12.50"));
        QCOMPARE(o.value(QStringLiteral("balance")).toString(), QStringLiteral("12.50"));
    }
}

void TestWalletctlTerminal::paymentRefusedUnlessYes()
{
    TerminalRun run(m_exe, base() + QStringList{QStringLiteral("purchase"), QStringLiteral("2")});
    QVERIFY(run.ok());
    QVERIFY2(run.waitFor("Pay \xC2\xA5"
                         "2.00 from the key? Type \"yes\""),
        run.screen());
    run.type("\n");
    QCOMPARE(run.finish(), 2);
    TerminalRun balance(m_exe, base() + QStringList{QStringLiteral("balance")});
    QCOMPARE(balance.finish(), 0);
    QCOMPARE(balance.json().value(QStringLiteral("balance")).toString(), QStringLiteral("12.50"));
}

void TestWalletctlTerminal::ctrlCAtThePinPromptRestoresEcho()
{
    TerminalRun run(m_exe, base() + QStringList{QStringLiteral("pin"), QStringLiteral("verify")});
    QVERIFY(run.ok());
    QVERIFY(run.echoOn());
    QVERIFY2(run.waitFor("PIN"), run.screen());
    // The prompt is written just before echo goes off: wait until it is off (the PIN is being read).
    QTRY_VERIFY_WITH_TIMEOUT(!run.echoOn(), 10000);
    ::kill(static_cast<pid_t>(run.process().processId()), SIGINT);
    QVERIFY(run.process().waitForFinished(30000));
    QCOMPARE(run.process().exitStatus(), QProcess::CrashExit); // ended by SIGINT, as Ctrl-C does
    QVERIFY2(run.echoOn(), "walletctl left the terminal without echo after Ctrl-C");
}

QTEST_GUILESS_MAIN(TestWalletctlTerminal)
#include "TestWalletctlTerminal.moc"
