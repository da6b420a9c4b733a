// SPDX-License-Identifier: Apache-2.0
// Issue 11, "The bank leaves the wallet": money is never created or lost by a retry, a crash or a lost answer.
//
// A seeded random campaign against the real parts: BankRig (PostgreSQL or, with SKEY_BANK_DB=sqlite, the SQLite
// file; SoftHSM2), two skey-bank instances on the one PostgreSQL database (one on SQLite, which refuses a second
// writer), eight simulated keys (skey-sim child processes with their control ports, issued with the demo profile and
// registered at the bank), each with its own terminal: a wallet data folder and walletctl runs (`--sim`, a
// bank-client.json the test writes before each run, naming the instance the run talks to). Four terminals work at
// once (threads of this test, each owning two keys and starting its own walletctl processes), so loads and
// purchases of different keys reach the two instances concurrently. Each operation is a load through the bank
// (issuer) or the online purchase of a merchant's order (`walletctl pay`, orders created by the demo merchant over
// the API), on a randomly chosen instance; about half of them get a fault:
//   * power-cut   the key loses power at a random NVM write of the operation (`power-cut-at N nothing|partial|full`
//                 on the control port), then `replug`;
//   * wallet-kill walletctl SIGKILLed at a random moment of the operation;
//   * lost-answer the operation's instance is restarted to crash right after committing its 1st or 2nd mutating
//                 request (`crash-after-commit:K`) and then started again clean;
//   * bank-kill   the operation's instance SIGKILLed at a random moment of the operation and started again.
// A bank fault hits every terminal talking to that instance at that moment: an operation without a fault of its own
// that overlapped one ("disturbed") may end not done, like a faulted one; any other must complete.
// After each operation the next walletctl runs that open the key (on an instance that is up) must resolve it: nothing
// of this wallet is left "checking", and the key alone says what happened (its log: a load is done when the key's
// newest load record has the next online ATC, a purchase when a purchase record with the next offline ATC appeared).
// The bank must agree: a done load is `completed` at the bank with the key's amount, a load not done is not; a paid
// order is `paid` with the key's TAC, an unpaid one is not paid and not `checking`. Balances are never used to decide
// an outcome. At the end: every operation resolved exactly once (done + not done = operations; completed loads and
// paid orders at the bank = the done ones), nothing `authorised` or `checking` left, `bankctl audit ledger` holds,
// the postings sum to 0, every key's balance equals its completed loads minus its completed purchases at the bank
// and its shadow balance, every completed purchase has its verified TAC and its one transfer, no purchase debited
// without being completed (or refunded), no order paid twice, and the money is conserved (customer funding +
// merchant payable + the keys' balances = the deposits; the purse float = the keys' balances).
//
// The seed is printed; SKEY_TEST_SEED=<seed> reruns one campaign (the faults and amounts of each terminal; how the
// terminals interleave is up to the machine). The size: SKEY_MONEY_OPS (default 30), SKEY_MONEY_KEYS (default 8),
// SKEY_MONEY_TERMINALS (default 4, at most the keys). The ctest `test_bank_money_long` (label slow) runs 2,000
// operations, `test_bank_money_long_sqlite` 300 on SQLite (docs/bank.md §14 "Money campaign").
#include "bank/support/BankRig.h"
#include "bank/support/ToolRun.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QMutex>
#include <QProcess>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QTest>
#include <QThread>
#include <QTimer>
#include <QUuid>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <mutex>
#include <type_traits>
#include <vector>

#include <signal.h>

using namespace wallet::bank::test;

namespace {

using Run = ToolRun;

struct Key
{
    QProcess sim; ///< created and ended by the main thread; the terminal talks to it over its ports only
    int hidPort = 0;
    int controlPort = 0;
    QString asn;
    QString dir; ///< this key's terminal: its wallet data folder
    qint64 modelBalance = 0; ///< what the test expects, only to choose amounts (never to decide an outcome)
    int onlineAtc = -1; ///< the key's newest load record's ATC (-1: none yet)
    int offlineAtc = -1; ///< the key's newest purchase record's ATC
};

/// One skey-bank instance. Started, stopped and killed on the main thread only; `generation` is odd while a fault
/// of the campaign holds it (restarted with a fault, or about to be killed) and grows by one at each change.
struct Instance
{
    std::unique_ptr<QProcess> process;
    int port = 0;
    std::atomic<int> generation{0};
    QMutex fault; ///< one bank fault at a time on this instance
};

/// One terminal: a thread with its own random numbers, the keys it owns and the operations it runs.
struct Terminal
{
    int index = 0;
    QRandomGenerator rng;
    std::vector<int> keys;
    int ops = 0;
    QString error;
};

/// What the key's own log says (walletctl history).
struct KeyLog
{
    bool ok = false;
    int onlineAtc = -1;
    qint64 lastLoadFen = 0;
    int offlineAtc = -1;
    QString lastPurchaseTac;
    qint64 lastPurchaseFen = 0;
};

qint64 fenOf(const QString& yuan)
{
    const QStringList parts = yuan.split(QLatin1Char('.'));
    return parts.value(0).remove(QLatin1Char(',')).toLongLong() * 100
        + parts.value(1).leftJustified(2, QLatin1Char('0')).toLongLong();
}

QString yuanOf(qint64 fen)
{
    return QStringLiteral("%1.%2").arg(fen / 100).arg(fen % 100, 2, 10, QLatin1Char('0'));
}

/// The terminals' form of QVERIFY2 (QTest's macros belong to the main thread): the failure as the result.
#define MONEY_CHECK(cond, message)                                                                                     \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            return QString(message);                                                                                   \
        }                                                                                                              \
    } while (0)

} // namespace

class TestBankMoney : public QObject
{
    Q_OBJECT

private:
    BankRig m_rig;
    QTemporaryDir m_tmp;
    std::vector<std::unique_ptr<Key>> m_keys;
    Instance m_inst[2];
    int m_instances = 2;
    quint32 m_seed = 0;
    int m_ops = 30;
    int m_terminals = 4;
    qint64 m_deposits = 0;
    std::atomic<int> m_orderCount{0};
    std::atomic<bool> m_stop{false};
    QMutex m_statsLock;
    QMap<QString, int> m_faults; ///< fault kind → how many
    int m_firedCuts = 0;
    int m_followUps = 0; ///< follow-ups that settled what a fault left open at the bank
    int m_disturbed = 0; ///< operations without a fault of their own that overlapped a bank fault
    int m_done = 0, m_notDone = 0, m_doneLoads = 0, m_donePays = 0, m_notDoneLoads = 0, m_notDonePays = 0;
    /// The campaign's own operations done (m_doneLoads and m_donePays also count follow-ups and the last loads).
    int m_opLoadsDone = 0, m_opPaysDone = 0;

    /// Runs `f` on the main thread (which owns the rig's database connection and the instances) and returns its
    /// result; the terminals' threads wait for it.
    template <typename F>
    auto onMain(F&& f) -> decltype(f())
    {
        using R = decltype(f());
        if (QThread::currentThread() == qApp->thread()) {
            return f();
        }
        if constexpr (std::is_void_v<R>) {
            QMetaObject::invokeMethod(
                qApp, [&f] { f(); }, Qt::BlockingQueuedConnection);
        } else {
            R r{};
            QMetaObject::invokeMethod(
                qApp, [&f, &r] { r = f(); }, Qt::BlockingQueuedConnection);
            return r;
        }
    }

    static QString configPath(const Key& key) { return key.dir + QStringLiteral("/bank-client.json"); }

    QStringList walletArgs(const Key& key, const QStringList& args) const
    {
        return walletctlArgs(key.dir,
            configPath(key),
            QStringList{QStringLiteral("--sim"), QStringLiteral("127.0.0.1:%1").arg(key.hidPort)} + args);
    }
    static Run finish(QProcess& p)
    {
        Run r = finishRun(p, 300000);
        // The exit code walletctl reports in its JSON, when it wrote one (an exit-time sanitizer report in the
        // ASan build must not change the operation's outcome; see docs/bank.md §14).
        if (r.json.value(QStringLiteral("ok")).toBool()) {
            r.exitCode = 0;
        } else if (r.json.contains(QStringLiteral("exitCode"))) {
            r.exitCode = r.json.value(QStringLiteral("exitCode")).toInt();
        }
        return r;
    }
    Run walletctl(const Key& key, const QStringList& args, const QByteArray& stdinData = {})
    {
        QProcess p;
        startWalletctl(p, QStringLiteral(WALLETCTL_PATH), walletArgs(key, args), stdinData);
        return finish(p);
    }

    // --- instances (main thread) ---
    QString startInstance(int x, const QString& fault = {})
    {
        Instance& in = m_inst[x];
        in.process = std::make_unique<QProcess>();
        QString why;
        const int port = m_rig.startInstance(*in.process, QStringLiteral("127.0.0.1:0"), fault, &why);
        if (port <= 0) {
            return QStringLiteral("instance %1: %2").arg(x).arg(why);
        }
        in.port = port;
        return {};
    }
    /// Whatever happened to it (a crash after a commit, a kill, still running), instance `x` is started again.
    QString restartInstance(int x, const QString& fault = {})
    {
        QProcess* p = m_inst[x].process.get();
        if (p && p->state() != QProcess::NotRunning) {
            p->terminate();
            if (!p->waitForFinished(60000)) {
                p->kill();
                p->waitForFinished(10000);
            }
        }
        return startInstance(x, fault);
    }
    void killInstance(int x)
    {
        QProcess* p = m_inst[x].process.get();
        if (p && p->state() != QProcess::NotRunning) {
            p->kill();
            p->waitForFinished(10000);
        }
    }

    /// An instance no fault holds now (`preferred` if it is one), or `preferred`.
    int upInstance(int preferred) const
    {
        for (int i = 0; i < m_instances; ++i) {
            const int x = (preferred + i) % m_instances;
            if (m_inst[x].generation.load() % 2 == 0) {
                return x;
            }
        }
        return preferred;
    }
    /// The key's bank-client.json names instance `x` (its port now).
    QString configure(const Key& key, int x)
    {
        return onMain(
            [&] { return m_rig.writeClientConfig(configPath(key), QStringLiteral("client"), m_inst[x].port); });
    }

    qint64 sqlInt(const std::string& sql, const wallet::bank::DbParams& params = {})
    {
        return onMain([&] { return m_rig.sqlInt(sql, params); });
    }
    QString sqlText(const std::string& sql, const wallet::bank::DbParams& params)
    {
        return onMain([&] { return m_rig.sqlText(sql, params); });
    }

    QString control(const Key& key, const QByteArray& command)
    {
        QTcpSocket s;
        s.connectToHost(QStringLiteral("127.0.0.1"), static_cast<quint16>(key.controlPort));
        if (!s.waitForConnected(10000)) {
            return QStringLiteral("error no control connection");
        }
        s.write(command + '\n');
        s.flush();
        QByteArray line;
        while (!line.contains('\n') && s.waitForReadyRead(10000)) {
            line += s.readAll();
        }
        return QString::fromUtf8(line.trimmed());
    }

    /// The demo merchant's order on an instance that is up; the same request id again until one answers.
    QJsonObject newOrder(qint64 amount, QString* error)
    {
        const QJsonObject body{{QStringLiteral("amount"), amount},
            {QStringLiteral("reference"), QStringLiteral("MONEY-%1").arg(++m_orderCount, 5, 10, QLatin1Char('0'))},
            {QStringLiteral("description"), QStringLiteral("jasmine tea")}};
        const QString requestId = QUuid::createUuid().toString(QUuid::WithoutBraces);
        BankRig::ApiAnswer a;
        for (int attempt = 0; attempt < 60; ++attempt) {
            const int port = onMain([&] { return m_inst[upInstance(attempt % m_instances)].port; });
            a = m_rig.api("POST", QStringLiteral("/v1/orders"), QStringLiteral("shop"), body, requestId, port);
            if (a.status == 201) {
                return a.json;
            }
            QThread::msleep(500);
        }
        *error = QStringLiteral("no order: %1 %2").arg(a.status).arg(QString::fromUtf8(a.body));
        return {};
    }

    /// The key's log, read by a walletctl run that opens the key (and so resolves what this wallet left open).
    KeyLog keyLog(const Key& key)
    {
        KeyLog log;
        const Run r = walletctl(key, {QStringLiteral("history"), QStringLiteral("--limit"), QStringLiteral("20")});
        if (r.exitCode != 0) {
            qWarning("history: exit %d %s %s", r.exitCode, r.out.constData(), r.err.constData());
            return log;
        }
        log.ok = true;
        for (const QJsonValue& v : r.json.value(QStringLiteral("transactions")).toArray()) {
            const QJsonObject t = v.toObject();
            const int atc = t.value(QStringLiteral("atc")).toInt();
            if (t.value(QStringLiteral("type")).toString() == QStringLiteral("load")) {
                if (atc > log.onlineAtc) {
                    log.onlineAtc = atc;
                    log.lastLoadFen = fenOf(t.value(QStringLiteral("amount")).toString());
                }
            } else if (atc > log.offlineAtc) {
                log.offlineAtc = atc;
                log.lastPurchaseTac = t.value(QStringLiteral("tac")).toString();
                log.lastPurchaseFen = fenOf(t.value(QStringLiteral("amount")).toString());
            }
        }
        return log;
    }
    qint64 keyBalance(const Key& key)
    {
        const Run r = walletctl(key, {QStringLiteral("balance")});
        return r.exitCode == 0 ? r.json.value(QStringLiteral("balanceFen")).toInteger(-1) : -1;
    }
    /// This wallet's operations still being checked (walletctl pending), as text for the failure message.
    QString stillChecking(const Key& key)
    {
        const Run r = walletctl(key, {QStringLiteral("pending")});
        QStringList open;
        for (const QJsonValue& v : r.json.value(QStringLiteral("operations")).toArray()) {
            const QJsonObject o = v.toObject();
            if (o.value(QStringLiteral("state")).toString() == QStringLiteral("checking")) {
                open << QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
            }
        }
        if (r.exitCode != 0) {
            open << QStringLiteral("pending: exit %1").arg(r.exitCode);
        }
        return open.join(QLatin1Char('\n'));
    }

    bool startKey(Key& key, const QString& name)
    {
        key.dir = m_tmp.filePath(name);
        if (!QDir().mkpath(key.dir)) {
            return false;
        }
        key.sim.setProgram(qEnvironmentVariable("SKEY_SIM_PATH"));
        key.sim.setArguments({QStringLiteral("--nvm"),
            m_tmp.filePath(name + QStringLiteral(".nvm")),
            QStringLiteral("--hid-port"),
            QStringLiteral("0"),
            QStringLiteral("--control-port"),
            QStringLiteral("0"),
            QStringLiteral("--kt-stdin"),
            QStringLiteral("--touch"),
            QStringLiteral("accept")});
        key.sim.setProcessChannelMode(QProcess::SeparateChannels);
        key.sim.setStandardErrorFile(m_tmp.filePath(name + QStringLiteral(".log")));
        key.sim.start();
        if (!key.sim.waitForStarted(30000)) {
            return false;
        }
        key.sim.write("4B544B544B544B544B544B544B544B54\n");
        QByteArray line;
        QElapsedTimer t;
        t.start();
        while (!line.contains('\n') && t.elapsed() < 60000) {
            key.sim.waitForReadyRead(1000);
            line += key.sim.readAllStandardOutput();
        }
        // SKEY-SIM READY hid=<port> control=<port> ...
        for (const QByteArray& word : line.trimmed().split(' ')) {
            if (word.startsWith("hid=")) {
                key.hidPort = word.mid(4).toInt();
            } else if (word.startsWith("control=")) {
                key.controlPort = word.mid(8).toInt();
            }
        }
        return key.hidPort > 0 && key.controlPort > 0;
    }

    /// One operation of terminal `t`, its fault, and its resolution by the key; returns what failed, or "".
    /// `follow` >= 0: the follow-up of a faulted operation on key `follow` of the same kind (`followLoad`), without
    /// a fault, because that is where the code settles what the fault left open at the bank (below).
    QString operation(Terminal& t, int index, int follow = -1, bool followLoad = false, int depth = 0)
    {
        MONEY_CHECK(
            depth < 10, QStringLiteral("op %1 (seed %2): still open after 10 follow-ups").arg(index).arg(m_seed));
        QRandomGenerator& rng = t.rng;
        const int which = follow >= 0 ? follow : t.keys[rng.bounded(static_cast<int>(t.keys.size()))];
        Key& key = *m_keys[which];
        // A load when the key runs low or is nearly full is what a holder would do; otherwise a purchase or a load.
        bool load = rng.bounded(100) < 50;
        if (key.modelBalance < 2000) {
            load = true;
        } else if (key.modelBalance > 300000) {
            load = false;
        }
        if (follow >= 0) {
            load = followLoad;
        }
        const qint64 amount = load
            ? 100 + rng.bounded(3000)
            : 1 + rng.bounded(static_cast<int>(qBound<qint64>(qint64(1), key.modelBalance, qint64(2000))));

        static const char* kinds[]
            = {"none", "none", "none", "none", "power-cut", "wallet-kill", "lost-answer", "bank-kill"};
        QString fault = follow >= 0 ? QStringLiteral("none") : QString::fromLatin1(kinds[rng.bounded(8)]);
        // The instance of this operation: one no fault holds now; for a bank fault, one no other bank fault holds
        // (at most one bank fault per instance at a time; none free: the operation runs without one).
        const int chosen = static_cast<int>(rng.bounded(m_instances));
        int x = chosen;
        std::unique_lock<QMutex> faultLock;
        if (fault == QStringLiteral("lost-answer") || fault == QStringLiteral("bank-kill")) {
            for (int i = 0; i < m_instances && !faultLock.owns_lock(); ++i) {
                std::unique_lock<QMutex> l(m_inst[(chosen + i) % m_instances].fault, std::try_to_lock);
                if (l.owns_lock()) {
                    x = (chosen + i) % m_instances;
                    faultLock = std::move(l);
                }
            }
            if (!faultLock.owns_lock()) {
                fault = QStringLiteral("none");
            }
        }
        if (!faultLock.owns_lock()) {
            x = onMain([&] { return upInstance(chosen); });
        }
        {
            QMutexLocker lock(&m_statsLock);
            if (follow >= 0) {
                ++m_followUps;
            } else {
                m_faults[fault] += 1;
            }
        }

        QString orderId;
        QStringList args;
        if (load) {
            args = {QStringLiteral("load"), yuanOf(amount), QStringLiteral("--yes")};
        } else {
            QString error;
            const QJsonObject order = newOrder(amount, &error);
            MONEY_CHECK(error.isEmpty(), error);
            orderId = order.value(QStringLiteral("orderId")).toString();
            args = {
                QStringLiteral("pay"), order.value(QStringLiteral("paymentLink")).toString(), QStringLiteral("--yes")};
        }
        const QString what = QStringLiteral("op %1 (seed %2, terminal %3): key %4 %5 %6 on instance %7 fault %8")
                                 .arg(index)
                                 .arg(m_seed)
                                 .arg(t.index)
                                 .arg(which)
                                 .arg(load ? QStringLiteral("load") : QStringLiteral("pay"), yuanOf(amount))
                                 .arg(x)
                                 .arg(fault);

        Instance& in = m_inst[x];
        Run r;
        bool disturbed = false;
        if (fault == QStringLiteral("power-cut")) {
            static const char* models[] = {"nothing", "partial", "full"};
            const int n = 1 + rng.bounded(8);
            const QString armed = control(
                key, QStringLiteral("power-cut-at %1 %2").arg(n).arg(QLatin1String(models[rng.bounded(3)])).toLatin1());
            MONEY_CHECK(armed.startsWith(QStringLiteral("ok")), what + QStringLiteral(": ") + armed);
            MONEY_CHECK(configure(key, x).isEmpty(), what + QStringLiteral(": no bank-client.json"));
            r = walletctl(key, args, "123456\n");
            const QString status = control(key, "status");
            if (status.contains(QStringLiteral("powered=0"))) {
                QMutexLocker lock(&m_statsLock);
                ++m_firedCuts;
            } else {
                // The operation made fewer writes than N: disarm (a cut that never comes in this campaign).
                MONEY_CHECK(control(key, "power-cut-at 4000000000").startsWith(QStringLiteral("ok")),
                    what + QStringLiteral(": cannot disarm the power cut"));
            }
            MONEY_CHECK(control(key, "replug").startsWith(QStringLiteral("ok")), what + QStringLiteral(": no replug"));
        } else if (fault == QStringLiteral("wallet-kill")) {
            const int after = 50 + rng.bounded(1500);
            MONEY_CHECK(configure(key, x).isEmpty(), what + QStringLiteral(": no bank-client.json"));
            QProcess p;
            startWalletctl(p, QStringLiteral(WALLETCTL_PATH), walletArgs(key, args), "123456\n");
            if (!p.waitForFinished(after)) {
                ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
            }
            r = finish(p);
        } else if (fault == QStringLiteral("bank-kill")) {
            const int after = 50 + rng.bounded(1500);
            ++in.generation;
            MONEY_CHECK(configure(key, x).isEmpty(), what + QStringLiteral(": no bank-client.json"));
            QProcess p;
            startWalletctl(p, QStringLiteral(WALLETCTL_PATH), walletArgs(key, args), "123456\n");
            if (!p.waitForFinished(after)) {
                onMain([&] { killInstance(x); });
            }
            r = finish(p);
            const QString restarted = onMain([&] { return restartInstance(x); });
            ++in.generation;
            faultLock.unlock();
            MONEY_CHECK(restarted.isEmpty(), what + QStringLiteral(": ") + restarted);
        } else if (fault == QStringLiteral("lost-answer")) {
            ++in.generation;
            const QString faulty = onMain(
                [&] { return restartInstance(x, QStringLiteral("crash-after-commit:%1").arg(1 + rng.bounded(2))); });
            MONEY_CHECK(faulty.isEmpty(), what + QStringLiteral(": ") + faulty);
            MONEY_CHECK(configure(key, x).isEmpty(), what + QStringLiteral(": no bank-client.json"));
            r = walletctl(key, args, "123456\n");
            const QString restarted = onMain([&] { return restartInstance(x); });
            ++in.generation;
            faultLock.unlock();
            MONEY_CHECK(restarted.isEmpty(), what + QStringLiteral(": ") + restarted);
        } else {
            const int generation = in.generation.load();
            MONEY_CHECK(configure(key, x).isEmpty(), what + QStringLiteral(": no bank-client.json"));
            r = walletctl(key, args, "123456\n");
            disturbed = generation % 2 != 0 || in.generation.load() != generation;
            if (disturbed) {
                QMutexLocker lock(&m_statsLock);
                ++m_disturbed;
            } else {
                MONEY_CHECK(r.exitCode == 0, what + QStringLiteral(": ") + QString::fromUtf8(r.out + r.err));
            }
        }
        const bool mayFail = fault != QStringLiteral("none") || disturbed;
        // Exit codes of a faulted run: 0 done, 8 unknown (being checked), 2 the key went silent, 4 the bank could not
        // be reached (nothing sent), -1 killed. Anything else (a refusal, a MAC that did not verify) is a failure.
        MONEY_CHECK(r.exitCode == 0 || r.exitCode == 8 || r.exitCode == 2 || r.exitCode == 4 || r.exitCode == -1,
            what + QStringLiteral(": exit %1 ").arg(r.exitCode) + QString::fromUtf8(r.out + r.err));

        // The key alone says what happened: its log, read by the next walletctl runs that open it on an instance
        // that is up (which also settles what this wallet left open). Balances are never compared to decide.
        KeyLog log;
        QString open;
        for (int attempt = 0; attempt < 6; ++attempt) {
            if (attempt > 0) {
                QThread::msleep(1000);
            }
            const int up = onMain([&] { return upInstance(static_cast<int>(rng.bounded(m_instances))); });
            MONEY_CHECK(configure(key, up).isEmpty(), what + QStringLiteral(": no bank-client.json"));
            log = keyLog(key);
            // A run that completed without any fault leaves nothing to check (walletctl pending is asked after
            // every other operation, and of every key at the end).
            open = r.exitCode == 0 && !mayFail ? QString() : stillChecking(key);
            if (log.ok && open.isEmpty()) {
                break;
            }
        }
        MONEY_CHECK(log.ok, what + QStringLiteral(": the key's log could not be read"));
        bool done = false;
        if (load) {
            MONEY_CHECK(log.onlineAtc == key.onlineAtc || log.onlineAtc == key.onlineAtc + 1,
                what + QStringLiteral(": online ATC %1 → %2").arg(key.onlineAtc).arg(log.onlineAtc));
            MONEY_CHECK(log.offlineAtc == key.offlineAtc, what + QStringLiteral(": a purchase appeared"));
            done = log.onlineAtc == key.onlineAtc + 1;
        } else {
            MONEY_CHECK(log.offlineAtc == key.offlineAtc || log.offlineAtc == key.offlineAtc + 1,
                what + QStringLiteral(": offline ATC %1 → %2").arg(key.offlineAtc).arg(log.offlineAtc));
            MONEY_CHECK(log.onlineAtc == key.onlineAtc, what + QStringLiteral(": a load appeared"));
            done = log.offlineAtc == key.offlineAtc + 1;
        }
        const int atcBefore = load ? key.onlineAtc : key.offlineAtc;
        if (done) {
            MONEY_CHECK((load ? log.lastLoadFen : log.lastPurchaseFen) == amount,
                what + QStringLiteral(": the key moved %1").arg(load ? log.lastLoadFen : log.lastPurchaseFen));
            QMutexLocker lock(&m_statsLock);
            if (load) {
                key.onlineAtc = log.onlineAtc;
                key.modelBalance += amount;
                ++m_doneLoads;
            } else {
                key.offlineAtc = log.offlineAtc;
                key.modelBalance -= amount;
                ++m_donePays;
            }
        }
        MONEY_CHECK(done || mayFail, what + QStringLiteral(": a run without fault did not complete"));
        // Exactly one outcome per operation, and a run that said "done" was done.
        MONEY_CHECK(r.exitCode != 0 || done, what + QStringLiteral(": walletctl said done, the key did not"));

        // Still open after the runs that opened the key: what only the next operation of the same kind settles.
        // A lost load authorisation (the bank re-authorises the next load at the same online ATC, no second debit)
        // and the bank's probe of a load, which this profile's key answers only after the PIN (6982): the next load
        // has the PIN. A purchase: unconfirmed purchases are looked up per merchant terminal, so the next payment of
        // this key at this merchant settles it by the key's evidence (docs/core.md "The bank client").
        const std::string loadAtc = std::to_string(atcBefore + 1);
        bool bankOpen = false;
        if (load) {
            bankOpen
                = sqlText("SELECT state FROM loads WHERE asn = $1 AND online_atc = " + loadAtc, {key.asn.toStdString()})
                == QStringLiteral("authorised");
        } else {
            bankOpen = sqlText("SELECT state FROM orders WHERE id = $1", {orderId.toStdString()})
                == QStringLiteral("checking");
        }
        // Until the original operation is settled: a follow-up that overlapped another terminal's bank fault may
        // leave it open again (its own answer lost), so another follows.
        int followUps = 0;
        while (!open.isEmpty() || bankOpen) {
            MONEY_CHECK(followUps < 10,
                what + QStringLiteral(": still open after 10 follow-ups (bank %1): %2").arg(bankOpen).arg(open));
            ++followUps;
            if (QString e = operation(t, index, which, load, depth + 1); !e.isEmpty()) {
                return what + QStringLiteral(" → follow-up %1: ").arg(followUps) + e;
            }
            const int up = onMain([&] { return upInstance(0); });
            MONEY_CHECK(configure(key, up).isEmpty(), what + QStringLiteral(": no bank-client.json"));
            open = stillChecking(key);
            if (load) {
                bankOpen = sqlText("SELECT state FROM loads WHERE asn = $1 AND online_atc = " + loadAtc,
                               {key.asn.toStdString()})
                    == QStringLiteral("authorised");
            } else {
                bankOpen = sqlText("SELECT state FROM orders WHERE id = $1", {orderId.toStdString()})
                    == QStringLiteral("checking");
            }
        }
        const bool followed = followUps > 0;
        MONEY_CHECK(open.isEmpty(), what + QStringLiteral(": still checking: ") + open);

        // The bank agrees with the key.
        if (load) {
            const QString bankState = sqlText(
                "SELECT state FROM loads WHERE asn = $1 AND online_atc = " + loadAtc, {key.asn.toStdString()});
            if (done) {
                MONEY_CHECK(bankState == QStringLiteral("completed"),
                    what + QStringLiteral(": done on the key, '%1' at the bank").arg(bankState));
                const qint64 bankAmount = sqlInt(
                    "SELECT amount FROM loads WHERE asn = $1 AND online_atc = " + loadAtc, {key.asn.toStdString()});
                MONEY_CHECK(bankAmount == amount, what + QStringLiteral(": %1 fen at the bank").arg(bankAmount));
            } else if (!followed) {
                // Not done and nothing open: the bank has not completed it (none, or cancelled by the key's probe).
                // After a follow-up the row of this ATC is the follow-up's own load (re-authorised, checked there).
                MONEY_CHECK(bankState != QStringLiteral("completed") && bankState != QStringLiteral("authorised"),
                    what + QStringLiteral(": not done on the key, '%1' at the bank").arg(bankState));
            }
        } else {
            const QString orderState = sqlText("SELECT state FROM orders WHERE id = $1", {orderId.toStdString()});
            const qint64 completed = sqlInt(
                "SELECT count(*) FROM purchases WHERE order_id = $1 AND state = 'completed'", {orderId.toStdString()});
            if (done) {
                MONEY_CHECK(orderState == QStringLiteral("paid"),
                    what + QStringLiteral(": paid on the key, '%1' at the bank").arg(orderState));
                MONEY_CHECK(completed == 1, what + QStringLiteral(": %1 completed purchases").arg(completed));
                const QString bankTac = sqlText(
                    "SELECT tac FROM purchases WHERE order_id = $1 AND state = 'completed'", {orderId.toStdString()});
                // The key's log keeps a TAC only for what this wallet recorded; else walletctl's own answer has it.
                const QString keyTac = !log.lastPurchaseTac.isEmpty() ? log.lastPurchaseTac
                                                                      : r.json.value(QStringLiteral("tac")).toString();
                MONEY_CHECK(!bankTac.isEmpty(), what + QStringLiteral(": no TAC at the bank"));
                MONEY_CHECK(keyTac.isEmpty() || bankTac.compare(keyTac, Qt::CaseInsensitive) == 0,
                    what + QStringLiteral(": TAC key %1 bank %2").arg(keyTac, bankTac));
            } else {
                MONEY_CHECK(orderState == QStringLiteral("open"),
                    what
                        + QStringLiteral(
                            ": not paid on the key, '%1' at the bank after %2 follow-up(s); walletctl exit %3 %4")
                              .arg(orderState)
                              .arg(followUps)
                              .arg(r.exitCode)
                              .arg(QString::fromUtf8(r.out.right(400) + r.err.right(400))));
                MONEY_CHECK(completed == 0, what + QStringLiteral(": %1 completed purchases").arg(completed));
            }
        }
        if (follow < 0) {
            QMutexLocker lock(&m_statsLock);
            if (done) {
                ++m_done;
                ++(load ? m_opLoadsDone : m_opPaysDone);
            } else {
                ++m_notDone;
                ++(load ? m_notDoneLoads : m_notDonePays);
            }
        }
        return {};
    }

    /// Terminal `t`'s share of the campaign, one operation after another on its own keys.
    void runTerminal(Terminal& t)
    {
        for (int i = 0; i < t.ops && !m_stop.load(); ++i) {
            t.error = operation(t, t.index + i * m_terminals);
            if (!t.error.isEmpty()) {
                m_stop = true;
                return;
            }
        }
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_ops = qEnvironmentVariableIsSet("SKEY_MONEY_OPS") ? qEnvironmentVariableIntValue("SKEY_MONEY_OPS") : 30;
        const int keys
            = qEnvironmentVariableIsSet("SKEY_MONEY_KEYS") ? qEnvironmentVariableIntValue("SKEY_MONEY_KEYS") : 8;
        m_terminals = qEnvironmentVariableIsSet("SKEY_MONEY_TERMINALS")
            ? qEnvironmentVariableIntValue("SKEY_MONEY_TERMINALS")
            : 4;
        QVERIFY2(keys >= 1 && m_terminals >= 1 && m_terminals <= keys,
            "SKEY_MONEY_TERMINALS must be between 1 and SKEY_MONEY_KEYS");
        // SQLite allows one skey-bank per file (a second is refused by name, test_bank_sqlite).
        m_instances = m_rig.sqlite() ? 1 : 2;
        m_seed = qEnvironmentVariableIsSet("SKEY_TEST_SEED") ? qEnvironmentVariable("SKEY_TEST_SEED").toUInt()
                                                             : QRandomGenerator::system()->generate();
        std::fprintf(stderr,
            "money campaign: %d operations, %d keys, %d terminals, %d bank instance(s) on %s, seed %u (rerun with "
            "SKEY_TEST_SEED=%u)\n",
            m_ops,
            keys,
            m_terminals,
            m_instances,
            m_rig.sqlite() ? "SQLite" : "PostgreSQL",
            m_seed,
            m_seed);

        const QString up = m_rig.setUp();
        QVERIFY2(up.isEmpty(), qPrintable(up));
        const QString merchant = m_rig.addDemoMerchant();
        QVERIFY2(merchant.isEmpty(), qPrintable(merchant));
        // After addDemoMerchant: skey-bank reads the order-signing certificate at start.
        for (int x = 0; x < m_instances; ++x) {
            const QString started = startInstance(x);
            QVERIFY2(started.isEmpty(), qPrintable(started));
        }

        for (int i = 0; i < keys; ++i) {
            m_keys.push_back(std::make_unique<Key>());
            Key& key = *m_keys.back();
            QVERIFY2(startKey(key, QStringLiteral("key%1").arg(i)), "skey-sim did not start");
            QVERIFY(configure(key, i % m_instances).isEmpty());
            const Run issued = walletctl(
                key, {QStringLiteral("issue"), QStringLiteral(WALLET_SOURCE_DIR "/resources/profiles/demo-3des.json")});
            QVERIFY2(issued.exitCode == 0, issued.out + issued.err);
            key.asn = issued.json.value(QStringLiteral("asn")).toString();
            QCOMPARE(key.asn.size(), 16);
            const QString registered = m_rig.registerCard(
                key.asn, QStringLiteral("Holder %1").arg(i), 100000000, QStringLiteral("campaign deposit %1").arg(i));
            QVERIFY2(registered.isEmpty(), qPrintable(registered));
            m_deposits += 100000000;
            QCOMPARE(keyBalance(key), 0);
        }
    }

    void campaign()
    {
        QElapsedTimer timer;
        timer.start();
        std::vector<std::unique_ptr<Terminal>> terminals;
        for (int i = 0; i < m_terminals; ++i) {
            auto t = std::make_unique<Terminal>();
            t->index = i;
            t->rng.seed(m_seed + static_cast<quint32>(i) * 7919u);
            for (int k = i; k < static_cast<int>(m_keys.size()); k += m_terminals) {
                t->keys.push_back(k);
            }
            t->ops = m_ops / m_terminals + (i < m_ops % m_terminals ? 1 : 0);
            terminals.push_back(std::move(t));
        }
        // The terminals run in threads; this thread serves their database queries and instance restarts (onMain)
        // and reports progress until all have finished.
        std::vector<std::unique_ptr<QThread>> threads;
        QEventLoop loop;
        int running = m_terminals;
        for (auto& t : terminals) {
            Terminal* terminal = t.get();
            threads.emplace_back(QThread::create([this, terminal] { runTerminal(*terminal); }));
            connect(threads.back().get(), &QThread::finished, &loop, [&running, &loop] {
                if (--running == 0) {
                    loop.quit();
                }
            });
        }
        QTimer progress;
        int reported = 0;
        connect(&progress, &QTimer::timeout, this, [&] {
            QMutexLocker lock(&m_statsLock);
            const int resolved = m_done + m_notDone;
            if (resolved / 50 > reported / 50) {
                reported = resolved;
                std::fprintf(stderr,
                    "money campaign: %d/%d operations, %lld s\n",
                    resolved,
                    m_ops,
                    static_cast<long long>(timer.elapsed() / 1000));
            }
        });
        progress.start(1000);
        for (auto& thread : threads) {
            thread->start();
        }
        loop.exec();
        progress.stop();
        for (auto& thread : threads) {
            thread->wait();
        }
        for (auto& t : terminals) {
            QVERIFY2(t->error.isEmpty(), qPrintable(t->error));
        }

        // Every operation resolved exactly once, and the bank counted the same.
        QCOMPARE(m_done + m_notDone, m_ops);
        QCOMPARE(sqlInt("SELECT count(*) FROM loads WHERE state = 'completed'"), m_doneLoads);
        QCOMPARE(sqlInt("SELECT count(*) FROM orders WHERE state = 'paid'"), m_donePays);
        QCOMPARE(sqlInt("SELECT count(*) FROM purchases WHERE state = 'completed'"), m_donePays);
        QCOMPARE(sqlInt("SELECT count(*) FROM orders WHERE state = 'checking'"), 0);
        QCOMPARE(sqlInt("SELECT count(*) FROM (SELECT order_id FROM purchases WHERE state = 'completed' "
                        "GROUP BY order_id HAVING count(*) > 1) t"),
            0);
        // A load the key never got must not hold the holder's money: a last load on each key re-authorises any
        // authorisation left open at its online ATC (no second debit) or finds it cancelled.
        for (int i = 0; i < static_cast<int>(m_keys.size()); ++i) {
            Key& key = *m_keys[i];
            QVERIFY(configure(key, i % m_instances).isEmpty());
            const Run r
                = walletctl(key, {QStringLiteral("load"), QStringLiteral("1.00"), QStringLiteral("--yes")}, "123456\n");
            QVERIFY2(r.exitCode == 0, r.out + r.err);
            key.modelBalance += 100;
            ++m_doneLoads;
            QVERIFY2(stillChecking(key).isEmpty(), qPrintable(stillChecking(key)));
        }
        QCOMPARE(sqlInt("SELECT count(*) FROM loads WHERE state = 'authorised'"), 0);
        QCOMPARE(sqlInt("SELECT count(*) FROM loads WHERE state = 'completed'"), m_doneLoads);
        QCOMPARE(sqlInt("SELECT count(*) FROM purchases WHERE state = 'authorised'"), 0);

        QString out;
        QVERIFY2(m_rig.bankctl({QStringLiteral("audit"), QStringLiteral("ledger")}, &out) == 0, qPrintable(out));
        // The ledger balances: all postings sum to 0.
        QCOMPARE(sqlInt("SELECT coalesce(sum(amount), 0) FROM postings"), 0);
        // Every completed purchase has its TAC, verified by the bank at its confirmation, and its one transfer;
        // nothing debited without a completed purchase (or its refund); no transfer counted for two purchases.
        QCOMPARE(sqlInt("SELECT count(*) FROM purchases WHERE state = 'completed' AND (tac IS NULL OR transfer_id IS "
                        "NULL)"),
            0);
        QCOMPARE(sqlInt("SELECT count(*) FROM purchases WHERE state <> 'completed' AND transfer_id IS NOT NULL AND "
                        "refund_transfer_id IS NULL"),
            0);
        QCOMPARE(sqlInt("SELECT count(*) FROM (SELECT transfer_id FROM purchases WHERE transfer_id IS NOT NULL GROUP "
                        "BY transfer_id HAVING count(*) > 1) t"),
            0);
        QCOMPARE(sqlInt("SELECT count(*) FROM transfers t WHERE t.kind = 'purchase' AND NOT EXISTS (SELECT 1 FROM "
                        "purchases p WHERE p.transfer_id = t.id AND p.state = 'completed')"),
            0);
        // No load credited twice: a completed load is not reversed, and no transfer belongs to two loads.
        QCOMPARE(
            sqlInt("SELECT count(*) FROM loads WHERE state = 'completed' AND reversal_transfer_id IS NOT NULL"), 0);
        QCOMPARE(sqlInt("SELECT count(*) FROM (SELECT transfer_id FROM loads GROUP BY transfer_id HAVING count(*) > 1) "
                        "t"),
            0);
        // Money conserved: nothing created, nothing lost; each key's balance is its loads minus its purchases.
        qint64 keys = 0;
        for (auto& k : m_keys) {
            Key& key = *k;
            const qint64 balance = keyBalance(key);
            QCOMPARE(balance, key.modelBalance);
            QCOMPARE(sqlInt("SELECT shadow_balance FROM cards WHERE asn = $1", {key.asn.toStdString()}), balance);
            QCOMPARE(
                sqlInt("SELECT coalesce((SELECT sum(amount) FROM loads WHERE asn = $1 AND state = 'completed'), 0) "
                       "- coalesce((SELECT sum(amount) FROM purchases WHERE asn = $1 AND state = 'completed'), 0)",
                    {key.asn.toStdString()}),
                balance);
            keys += balance;
        }
        const qint64 funding = sqlInt("SELECT coalesce(sum(balance), 0) FROM accounts WHERE kind = 'customer-funding'");
        const qint64 payable = sqlInt("SELECT coalesce(sum(balance), 0) FROM accounts WHERE kind = 'merchant-payable'");
        const qint64 floatSum = sqlInt("SELECT coalesce(sum(balance), 0) FROM accounts WHERE kind = 'purse-float'");
        const qint64 other = sqlInt("SELECT coalesce(sum(balance), 0) FROM accounts WHERE kind IN ('fees', 'refunds')");
        QCOMPARE(funding + payable + other + keys, m_deposits);
        QCOMPARE(floatSum, keys);

        QStringList faults;
        for (auto it = m_faults.cbegin(); it != m_faults.cend(); ++it) {
            faults << QStringLiteral("%1 %2").arg(it.key()).arg(it.value());
        }
        std::fprintf(stderr,
            "money campaign figure: seed %u, %d operations on %d keys from %d terminals, %d instance(s) on %s: "
            "%d loads and %d purchases done, %d loads and %d purchases not done; faults: %s (%d power cuts fired), "
            "%d operations disturbed by another terminal's bank fault; %d follow-ups (%d loads, %d purchases done); "
            "at the bank %d loads completed, %d orders paid; %lld s; checks passed\n",
            m_seed,
            m_ops,
            static_cast<int>(m_keys.size()),
            m_terminals,
            m_instances,
            m_rig.sqlite() ? "SQLite" : "PostgreSQL",
            m_opLoadsDone,
            m_opPaysDone,
            m_notDoneLoads,
            m_notDonePays,
            qPrintable(faults.join(QStringLiteral(", "))),
            m_firedCuts,
            m_disturbed,
            m_followUps,
            m_doneLoads - static_cast<int>(m_keys.size()) - m_opLoadsDone,
            m_donePays - m_opPaysDone,
            m_doneLoads,
            m_donePays,
            static_cast<long long>(timer.elapsed() / 1000));
    }

    void cleanupTestCase()
    {
        for (auto& key : m_keys) {
            if (key->sim.state() != QProcess::NotRunning) {
                key->sim.terminate();
                if (!key->sim.waitForFinished(10000)) {
                    key->sim.kill();
                    key->sim.waitForFinished();
                }
            }
        }
        for (Instance& in : m_inst) {
            if (in.process && in.process->state() != QProcess::NotRunning) {
                in.process->terminate();
                if (!in.process->waitForFinished(30000)) {
                    in.process->kill();
                    in.process->waitForFinished(10000);
                }
            }
        }
    }
};

int main(int argc, char** argv)
{
    if (auto missing = BankRig::missingPart()) {
        std::fprintf(stderr, "SKIP: %s not found (scripts/setup-deps.sh installs it)\n", qPrintable(*missing));
        return 77;
    }
    // A campaign is one test function and takes longer than QtTest's watchdog (5 minutes) allows it: the ctest
    // TIMEOUT is the limit.
    if (!qEnvironmentVariableIsSet("QTEST_FUNCTION_TIMEOUT")) {
        qputenv("QTEST_FUNCTION_TIMEOUT", "172800000");
    }
    QCoreApplication app(argc, argv);
    TestBankMoney t;
    return QTest::qExec(&t, argc, argv);
}

#include "TestBankMoney.moc"
