// SPDX-License-Identifier: Apache-2.0
// Issue 11, "The bank leaves the wallet": money is never created or lost by a retry, a crash or a lost answer.
//
// A seeded random campaign against the real parts: BankRig (PostgreSQL or, with SKEY_BANK_DB=sqlite, the SQLite
// file; SoftHSM2; skey-bank over mutual TLS), two simulated keys (skey-sim child processes with their control ports,
// issued with the demo profile and registered at the bank) and walletctl (`--sim`, the bank-client.json the test
// writes: the bank is always explicit). Each operation is a load through the bank (issuer) or the online purchase of
// a merchant's order (`walletctl pay`, orders created by the demo merchant over the API); about half of them get a
// fault:
//   * power-cut   the key loses power at a random NVM write of the operation (`power-cut-at N nothing|partial|full`
//                 on the control port), then `replug`;
//   * wallet-kill walletctl SIGKILLed at a random moment of the operation;
//   * lost-answer skey-bank crashes right after committing its 1st or 2nd mutating request (`crash-after-commit:K`)
//                 and is started again;
//   * bank-kill   skey-bank SIGKILLed at a random moment of the operation and started again.
// After each operation the next walletctl run that opens the key must resolve it: nothing of this wallet is left
// "checking", and the key alone says what happened (its log: a load is done when the key's newest load record has
// the next online ATC, a purchase when a purchase record with the next offline ATC appeared). The bank must agree:
// a done load is `completed` at the bank with the key's amount, a load not done is not; a paid order is `paid` with
// the key's TAC, an unpaid one is not paid and not `checking`. Balances are never used to decide an outcome.
// At the end: every operation resolved exactly once (done + not done = operations; completed loads and paid orders
// at the bank = the done ones), `bankctl audit ledger` holds, the money is conserved (customer funding + merchant
// payable + the keys' balances = the deposits; the purse float = the keys' balances), each key's balance equals its
// shadow at the bank, no order paid twice.
//
// The seed is printed; SKEY_TEST_SEED=<seed> reruns one campaign. The size: SKEY_MONEY_OPS (default 40, about 2 minutes
// here; the ctest `test_bank_money_long`, label slow, runs 2,000).
#include "bank/support/BankRig.h"
#include "bank/support/ToolRun.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QTest>
#include <QThread>
#include <QUuid>

#include <csignal>
#include <cstdio>

#include <signal.h>

using namespace wallet::bank::test;

namespace {

using Run = ToolRun;

struct Key
{
    QProcess sim;
    int hidPort = 0;
    int controlPort = 0;
    QString asn;
    qint64 modelBalance = 0; ///< what the test expects, only to choose amounts (never to decide an outcome)
    int onlineAtc = -1; ///< the key's newest load record's ATC (-1: none yet)
    int offlineAtc = -1; ///< the key's newest purchase record's ATC
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

} // namespace

class TestBankMoney : public QObject
{
    Q_OBJECT

private:
    BankRig m_rig;
    QTemporaryDir m_tmp;
    Key m_keys[2];
    QRandomGenerator m_rng;
    quint32 m_seed = 0;
    int m_ops = 60;
    qint64 m_deposits = 0;
    int m_orderCount = 0;
    QMap<QString, int> m_faults; ///< fault kind → how many
    int m_firedCuts = 0;
    int m_followUps = 0; ///< follow-ups that settled what a fault left open at the bank
    int m_done = 0, m_notDone = 0, m_doneLoads = 0, m_donePays = 0;

    QString dataDir() const { return m_tmp.filePath(QStringLiteral("wallet")); }
    QString configPath() const { return m_tmp.filePath(QStringLiteral("wallet/bank-client.json")); }

    QStringList walletArgs(const Key& key, const QStringList& args) const
    {
        return walletctlArgs(dataDir(),
            configPath(),
            QStringList{QStringLiteral("--sim"), QStringLiteral("127.0.0.1:%1").arg(key.hidPort)} + args);
    }
    static Run finish(QProcess& p)
    {
        Run r = finishRun(p, 180000);
        // The exit code walletctl reports in its JSON, when it wrote one: LeakSanitizer reports a leak inside
        // libcrypto (Qt Network's TLS) at some exits and changes the process's own code (open issue, see
        // test_bank_walletctl's payMerchantOrder).
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
    /// The operation with an optional fault while it runs: after `killAfterMs`, SIGKILL walletctl ("wallet") or
    /// skey-bank ("bank").
    Run walletctlKilled(
        const Key& key, const QStringList& args, const QByteArray& stdinData, const QString& victim, int killAfterMs)
    {
        QProcess p;
        startWalletctl(p, QStringLiteral(WALLETCTL_PATH), walletArgs(key, args), stdinData);
        if (!p.waitForFinished(killAfterMs)) {
            if (victim == QStringLiteral("wallet")) {
                ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
            } else {
                m_rig.killServer();
            }
        }
        return finish(p);
    }

    QString control(const Key& key, const QByteArray& command)
    {
        QTcpSocket s;
        s.connectToHost(QStringLiteral("127.0.0.1"), static_cast<quint16>(key.controlPort));
        if (!s.waitForConnected(5000)) {
            return QStringLiteral("error no control connection");
        }
        s.write(command + '\n');
        s.flush();
        QByteArray line;
        while (!line.contains('\n') && s.waitForReadyRead(5000)) {
            line += s.readAll();
        }
        return QString::fromUtf8(line.trimmed());
    }

    qint64 sqlInt(const std::string& sql, const wallet::bank::DbParams& params = {})
    {
        return m_rig.sqlInt(sql, params);
    }
    QString sqlText(const std::string& sql, const wallet::bank::DbParams& params) { return m_rig.sqlText(sql, params); }

    void startBank(const QString& fault = {})
    {
        const QString started = m_rig.startServer(fault);
        QVERIFY2(started.isEmpty(), qPrintable(started));
        const QString config = m_rig.writeClientConfig(configPath());
        QVERIFY2(config.isEmpty(), qPrintable(config));
    }
    /// After a fault of the bank: whatever happened, a clean skey-bank is running again.
    void restartBank()
    {
        if (m_rig.serverRunning()) {
            m_rig.stopServer();
        } else {
            m_rig.waitServerExit();
        }
        startBank();
    }

    QJsonObject newOrder(qint64 amount, int* status)
    {
        const QJsonObject body{{QStringLiteral("amount"), amount},
            {QStringLiteral("reference"), QStringLiteral("MONEY-%1").arg(++m_orderCount, 5, 10, QLatin1Char('0'))},
            {QStringLiteral("description"), QStringLiteral("jasmine tea")}};
        const BankRig::ApiAnswer a = m_rig.api("POST", QStringLiteral("/v1/orders"), QStringLiteral("shop"), body);
        *status = a.status;
        return a.json;
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
        if (!key.sim.waitForStarted(10000)) {
            return false;
        }
        key.sim.write("4B544B544B544B544B544B544B544B54\n");
        QByteArray line;
        QElapsedTimer t;
        t.start();
        while (!line.contains('\n') && t.elapsed() < 30000) {
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

    /// One operation, its fault, and its resolution by the key; returns false when the test failed.
    /// `follow` >= 0: the follow-up of a faulted operation on key `follow` of the same kind (`followLoad`), without
    /// a fault, because that is where the code settles what the fault left open at the bank (below).
    void operation(int index, int follow = -1, bool followLoad = false)
    {
        const int which = follow >= 0 ? follow : static_cast<int>(m_rng.bounded(2));
        Key& key = m_keys[which];
        // A load when the key runs low or is nearly full is what a holder would do; otherwise a purchase or a load.
        bool load = m_rng.bounded(100) < 50;
        if (key.modelBalance < 2000) {
            load = true;
        } else if (key.modelBalance > 300000) {
            load = false;
        }
        if (follow >= 0) {
            load = followLoad;
        }
        const qint64 amount = load
            ? 100 + m_rng.bounded(3000)
            : 1 + m_rng.bounded(static_cast<int>(qBound<qint64>(qint64(1), key.modelBalance, qint64(2000))));

        static const char* kinds[]
            = {"none", "none", "none", "none", "power-cut", "wallet-kill", "lost-answer", "bank-kill"};
        const QString fault = follow >= 0 ? QStringLiteral("none") : QString::fromLatin1(kinds[m_rng.bounded(8)]);
        if (follow >= 0) {
            ++m_followUps;
        } else {
            m_faults[fault] += 1;
        }

        QString orderId;
        QStringList args;
        if (load) {
            args = {QStringLiteral("load"), yuanOf(amount), QStringLiteral("--yes")};
        } else {
            int status = 0;
            const QJsonObject order = newOrder(amount, &status);
            QVERIFY2(status == 201, QJsonDocument(order).toJson().constData());
            orderId = order.value(QStringLiteral("orderId")).toString();
            args = {
                QStringLiteral("pay"), order.value(QStringLiteral("paymentLink")).toString(), QStringLiteral("--yes")};
        }
        const QString what = QStringLiteral("op %1 (seed %2): key %3 %4 %5 fault %6")
                                 .arg(index)
                                 .arg(m_seed)
                                 .arg(which)
                                 .arg(load ? QStringLiteral("load") : QStringLiteral("pay"), yuanOf(amount), fault);

        Run r;
        QString detail;
        if (fault == QStringLiteral("power-cut")) {
            static const char* models[] = {"nothing", "partial", "full"};
            const int n = 1 + m_rng.bounded(8);
            const QString armed = control(key,
                QStringLiteral("power-cut-at %1 %2").arg(n).arg(QLatin1String(models[m_rng.bounded(3)])).toLatin1());
            QVERIFY2(armed.startsWith(QStringLiteral("ok")), qPrintable(armed));
            r = walletctl(key, args, "123456\n");
            const QString status = control(key, "status");
            if (status.contains(QStringLiteral("powered=0"))) {
                ++m_firedCuts;
            } else {
                // The operation made fewer writes than N: disarm (a cut that never comes in this campaign).
                QVERIFY(control(key, "power-cut-at 4000000000").startsWith(QStringLiteral("ok")));
            }
            QVERIFY(control(key, "replug").startsWith(QStringLiteral("ok")));
        } else if (fault == QStringLiteral("wallet-kill") || fault == QStringLiteral("bank-kill")) {
            const int after = 50 + m_rng.bounded(1500);
            r = walletctlKilled(key,
                args,
                "123456\n",
                fault == QStringLiteral("wallet-kill") ? QStringLiteral("wallet") : QStringLiteral("bank"),
                after);
            if (fault == QStringLiteral("bank-kill")) {
                restartBank();
            }
        } else if (fault == QStringLiteral("lost-answer")) {
            m_rig.stopServer();
            startBank(QStringLiteral("crash-after-commit:%1").arg(1 + m_rng.bounded(2)));
            r = walletctl(key, args, "123456\n");
            restartBank();
        } else {
            r = walletctl(key, args, "123456\n");
            QVERIFY2(r.exitCode == 0, qPrintable(what + QStringLiteral(": ") + QString::fromUtf8(r.out + r.err)));
        }
        // Exit codes of a faulted run: 0 done, 8 unknown (being checked), 2 the key went silent, 4 the bank could not
        // be reached (nothing sent), -1 killed. Anything else (a refusal, a MAC that did not verify) is a failure.
        QVERIFY2(r.exitCode == 0 || r.exitCode == 8 || r.exitCode == 2 || r.exitCode == 4 || r.exitCode == -1,
            qPrintable(what + QStringLiteral(": exit %1 ").arg(r.exitCode) + QString::fromUtf8(r.out + r.err)));

        // The key alone says what happened: its log, read by the next walletctl run that opens it (which also
        // settles what this wallet left open). Balances are never compared to decide.
        KeyLog log;
        QString open;
        for (int attempt = 0; attempt < 3; ++attempt) {
            log = keyLog(key);
            open = stillChecking(key);
            if (log.ok && open.isEmpty()) {
                break;
            }
        }
        QVERIFY2(log.ok, qPrintable(what + QStringLiteral(": the key's log could not be read")));
        bool done = false;
        if (load) {
            QVERIFY2(log.onlineAtc == key.onlineAtc || log.onlineAtc == key.onlineAtc + 1,
                qPrintable(what + QStringLiteral(": online ATC %1 → %2").arg(key.onlineAtc).arg(log.onlineAtc)));
            QVERIFY2(log.offlineAtc == key.offlineAtc, qPrintable(what + QStringLiteral(": a purchase appeared")));
            done = log.onlineAtc == key.onlineAtc + 1;
        } else {
            QVERIFY2(log.offlineAtc == key.offlineAtc || log.offlineAtc == key.offlineAtc + 1,
                qPrintable(what + QStringLiteral(": offline ATC %1 → %2").arg(key.offlineAtc).arg(log.offlineAtc)));
            QVERIFY2(log.onlineAtc == key.onlineAtc, qPrintable(what + QStringLiteral(": a load appeared")));
            done = log.offlineAtc == key.offlineAtc + 1;
        }
        const int atcBefore = load ? key.onlineAtc : key.offlineAtc;
        if (done) {
            QVERIFY2((load ? log.lastLoadFen : log.lastPurchaseFen) == amount,
                qPrintable(
                    what + QStringLiteral(": the key moved %1").arg(load ? log.lastLoadFen : log.lastPurchaseFen)));
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
        if (fault == QStringLiteral("none")) {
            QVERIFY2(done, qPrintable(what + QStringLiteral(": a run without fault did not complete")));
        }
        if (r.exitCode == 0) {
            QVERIFY2(done, qPrintable(what + QStringLiteral(": walletctl said done, the key did not")));
        }

        // Still open after three runs that opened the key: what only the next operation of the same kind settles.
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
        bool followed = false;
        if (!open.isEmpty() || bankOpen) {
            followed = true;
            operation(index, which, load);
            if (QTest::currentTestFailed()) {
                return;
            }
            open = stillChecking(key);
        }
        QVERIFY2(open.isEmpty(), qPrintable(what + QStringLiteral(": still checking: ") + open));

        // The bank agrees with the key.
        if (load) {
            const QString bankState = sqlText(
                "SELECT state FROM loads WHERE asn = $1 AND online_atc = " + loadAtc, {key.asn.toStdString()});
            if (done) {
                QVERIFY2(bankState == QStringLiteral("completed"),
                    qPrintable(what + QStringLiteral(": done on the key, '%1' at the bank").arg(bankState)));
                QCOMPARE(sqlInt("SELECT amount FROM loads WHERE asn = $1 AND online_atc = " + loadAtc,
                             {key.asn.toStdString()}),
                    amount);
            } else if (!followed) {
                // Not done and nothing open: the bank has not completed it (none, or cancelled by the key's probe).
                // After a follow-up the row of this ATC is the follow-up's own load (re-authorised, checked there).
                QVERIFY2(bankState != QStringLiteral("completed") && bankState != QStringLiteral("authorised"),
                    qPrintable(what + QStringLiteral(": not done on the key, '%1' at the bank").arg(bankState)));
            }
        } else {
            const QString orderState = sqlText("SELECT state FROM orders WHERE id = $1", {orderId.toStdString()});
            const qint64 completed = sqlInt(
                "SELECT count(*) FROM purchases WHERE order_id = $1 AND state = 'completed'", {orderId.toStdString()});
            if (done) {
                QVERIFY2(orderState == QStringLiteral("paid"),
                    qPrintable(what + QStringLiteral(": paid on the key, '%1' at the bank").arg(orderState)));
                QCOMPARE(completed, 1);
                const QString bankTac = sqlText(
                    "SELECT tac FROM purchases WHERE order_id = $1 AND state = 'completed'", {orderId.toStdString()});
                // The key's log keeps a TAC only for what this wallet recorded; else walletctl's own answer has it.
                const QString keyTac = !log.lastPurchaseTac.isEmpty() ? log.lastPurchaseTac
                                                                      : r.json.value(QStringLiteral("tac")).toString();
                QVERIFY2(keyTac.isEmpty() || bankTac.compare(keyTac, Qt::CaseInsensitive) == 0,
                    qPrintable(what + QStringLiteral(": TAC key %1 bank %2").arg(keyTac, bankTac)));
            } else {
                QVERIFY2(orderState == QStringLiteral("open"),
                    qPrintable(what + QStringLiteral(": not paid on the key, '%1' at the bank").arg(orderState)));
                QCOMPARE(completed, 0);
            }
        }
        if (fault == QStringLiteral("none")) {
            QVERIFY2(done, qPrintable(what + QStringLiteral(": a run without fault did not complete")));
        }
        // Exactly one outcome per operation, and a run that said "done" was done.
        if (r.exitCode == 0) {
            QVERIFY2(done, qPrintable(what + QStringLiteral(": walletctl said done, the key did not")));
        }
        if (follow < 0) {
            done ? ++m_done : ++m_notDone;
        }
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        QVERIFY(QDir().mkpath(dataDir()));
        m_ops = qEnvironmentVariableIsSet("SKEY_MONEY_OPS") ? qEnvironmentVariableIntValue("SKEY_MONEY_OPS") : 30;
        m_seed = qEnvironmentVariableIsSet("SKEY_TEST_SEED") ? qEnvironmentVariable("SKEY_TEST_SEED").toUInt()
                                                             : QRandomGenerator::system()->generate();
        m_rng.seed(m_seed);
        std::fprintf(
            stderr, "money campaign: %d operations, seed %u (rerun with SKEY_TEST_SEED=%u)\n", m_ops, m_seed, m_seed);

        const QString up = m_rig.setUp();
        QVERIFY2(up.isEmpty(), qPrintable(up));
        const QString merchant = m_rig.addDemoMerchant();
        QVERIFY2(merchant.isEmpty(), qPrintable(merchant));
        startBank(); // after addDemoMerchant: skey-bank reads the order-signing certificate at start

        for (int i = 0; i < 2; ++i) {
            Key& key = m_keys[i];
            QVERIFY2(startKey(key, QStringLiteral("key%1").arg(i)), "skey-sim did not start");
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
        for (int i = 0; i < m_ops; ++i) {
            operation(i);
            if (QTest::currentTestFailed()) {
                return;
            }
            if ((i + 1) % 50 == 0) {
                std::fprintf(
                    stderr, "money campaign: %d/%d operations, %lld s\n", i + 1, m_ops, timer.elapsed() / 1000);
            }
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
        for (Key& key : m_keys) {
            const Run r
                = walletctl(key, {QStringLiteral("load"), QStringLiteral("1.00"), QStringLiteral("--yes")}, "123456\n");
            QVERIFY2(r.exitCode == 0, r.out + r.err);
            key.modelBalance += 100;
            ++m_doneLoads;
        }
        QCOMPARE(sqlInt("SELECT count(*) FROM loads WHERE state = 'authorised'"), 0);
        QCOMPARE(sqlInt("SELECT count(*) FROM loads WHERE state = 'completed'"), m_doneLoads);

        QString out;
        QVERIFY2(m_rig.bankctl({QStringLiteral("audit"), QStringLiteral("ledger")}, &out) == 0, qPrintable(out));
        // Money conserved: nothing created, nothing lost.
        qint64 keys = 0;
        for (Key& key : m_keys) {
            const qint64 balance = keyBalance(key);
            QCOMPARE(balance, key.modelBalance);
            QCOMPARE(sqlInt("SELECT shadow_balance FROM cards WHERE asn = $1", {key.asn.toStdString()}), balance);
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
            "money campaign figure: seed %u, %d operations (%d loads and %d purchases done, %d not done), faults: %s "
            "(%d power cuts fired), %d follow-ups, %lld s\n",
            m_seed,
            m_ops,
            m_doneLoads - 2,
            m_donePays,
            m_notDone,
            qPrintable(faults.join(QStringLiteral(", "))),
            m_firedCuts,
            m_followUps,
            timer.elapsed() / 1000);
    }

    void cleanupTestCase()
    {
        for (Key& key : m_keys) {
            if (key.sim.state() != QProcess::NotRunning) {
                key.sim.terminate();
                if (!key.sim.waitForFinished(10000)) {
                    key.sim.kill();
                    key.sim.waitForFinished();
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
    QCoreApplication app(argc, argv);
    TestBankMoney t;
    return QTest::qExec(&t, argc, argv);
}

#include "TestBankMoney.moc"
