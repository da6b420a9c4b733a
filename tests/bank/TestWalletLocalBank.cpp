// SPDX-License-Identifier: Apache-2.0
// The wallet's embedded default bank (issue 11, docs/bank.md §5 "Embedded default"): walletctl on a fresh data folder
// with no bank-client.json starts its own local bank host in <data>/bank/ (bankctl init, skey-bank child on
// loopback, the wallet enrolled as a terminal) and loads through it:
//   * the blank simulated key is issued BY that bank through its issuance API (self-service demo issuance, docs/bank.md
//     §12): a `--local-demo` folder (not `--test`), the serial's completed job in its issuance registry with no staff,
//     the card bound to that serial, a DEMO funding account with the profile's initial funding;
//   * a load of 10.00 is one transfer in its SQLite ledger, `bankctl audit ledger` holds, the funding account went
//     down by 1000 fen; the key's TAC verified at the bank does NOT verify with the public demo master key (MTK of
//     resources/profiles/demo-3des.json), so the key carries the bank's own card keys;
//   * the bank child is gone after walletctl ends normally, after SIGTERM and after SIGKILL of walletctl;
//   * a second start reuses the folder: no second init (same CA), the same terminal enrolment;
//   * self-service issuance with the wallet's certificate is refused for a serial in no development lot and for a
//     replacement (403 self-service-not-allowed, no job);
//   * `walletctl purchase` (the local test PSAM, public demo keys) is refused for that key, nothing paid;
//   * a folder an older wallet made (`--test`, the public demo keys, `.demo-keys`) keeps working as it is;
//   * a second program on the same folder while the first runs reuses the first one's bank (no second skey-bank).
#include "core/bank/HttpsBankClient.h"
#include "core/crypto/CardCrypto.h"
#include "support/Skip.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QUrl>
#include <QUuid>

#include <csignal>

namespace {

struct Run
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
    QJsonObject json;
};

bool alive(qint64 pid)
{
    if (pid <= 0 || ::kill(static_cast<pid_t>(pid), 0) != 0) {
        return false;
    }
    // A zombie is gone for our purpose (its parent, walletctl, may be gone too and init reaps it).
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (stat.open(QIODevice::ReadOnly)) {
        const QByteArray s = stat.readAll();
        const int close = s.lastIndexOf(')');
        return close < 0 || s.mid(close + 2, 1) != "Z";
    }
    return true;
}

bool goneWithin(qint64 pid, int ms)
{
    for (int waited = 0; waited < ms; waited += 50) {
        if (!alive(pid)) {
            return true;
        }
        QThread::msleep(50);
    }
    return !alive(pid);
}

} // namespace

class TestWalletLocalBank : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_wallet;

    QString bankDir() const { return m_wallet.filePath(QStringLiteral("bank")); }
    QString portFile() const { return bankDir() + QStringLiteral("/skey-bank.port"); }

    void startWalletctl(QProcess& p, const QStringList& args, const QString& dataDir = {})
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("WALLETCTL_PASSPHRASE"), QStringLiteral("test passphrase"));
        env.insert(QStringLiteral("SKEY_WALLET_LOCAL_ISSUER"), QStringLiteral("0")); // the user's default path
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(WALLETCTL_PATH),
            QStringList{
                QStringLiteral("--json"), QStringLiteral("--data-dir"), dataDir.isEmpty() ? m_wallet.path() : dataDir}
                + args);
    }

    Run walletctl(const QStringList& args, const QByteArray& stdinData = {}, const QString& dataDir = {})
    {
        QProcess p;
        startWalletctl(p, args, dataDir);
        p.write(stdinData);
        p.closeWriteChannel();
        Run r;
        if (!p.waitForFinished(180000)) {
            p.kill();
            p.waitForFinished();
        }
        r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        r.out = p.readAllStandardOutput();
        r.err = p.readAllStandardError();
        r.json = QJsonDocument::fromJson(r.out.trimmed().split('\n').last()).object();
        return r;
    }

    int bankctl(const QStringList& args, QString* out, const QString& dir = {})
    {
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(qEnvironmentVariable("SKEY_BANKCTL_PATH"),
            args + QStringList{QStringLiteral("--data"), dir.isEmpty() ? bankDir() : dir});
        p.waitForFinished(120000);
        *out = QString::fromUtf8(p.readAll());
        return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    }

    qint64 sqlInt(const QString& sql)
    {
        qint64 v = -1;
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("ledger"));
            db.setDatabaseName(bankDir() + QStringLiteral("/ledger.sqlite"));
            if (db.open()) {
                QSqlQuery q(db);
                if (q.exec(sql) && q.next()) {
                    v = q.value(0).toLongLong();
                }
            }
        }
        QSqlDatabase::removeDatabase(QStringLiteral("ledger"));
        return v;
    }

    QByteArray sqlText(const QString& sql)
    {
        QByteArray v;
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("ledger"));
            db.setDatabaseName(bankDir() + QStringLiteral("/ledger.sqlite"));
            if (db.open()) {
                QSqlQuery q(db);
                if (q.exec(sql) && q.next()) {
                    v = q.value(0).toString().toLatin1();
                }
            }
        }
        QSqlDatabase::removeDatabase(QStringLiteral("ledger"));
        return v;
    }

    /// The TAC (hex) of a load if the key's DTK came from the public demo MTK of demo-3des.json (= the MTK of
    /// pboc.json's "EP load 10.00 CNY" flow): spec §5.2, over balance after ‖ online ATC ‖ amount ‖ 02 ‖ terminal ‖
    /// date ‖ time.
    static QByteArray demoTac(const QString& asn,
        qint64 before,
        qint64 amount,
        int atc,
        const QByteArray& terminal,
        const QByteArray& date,
        const QByteArray& time)
    {
        using wallet::core::Algorithm;
        using wallet::core::CardCrypto;
        QByteArray data;
        wallet::core::appendU32(data, static_cast<std::uint32_t>(before + amount));
        wallet::core::appendU16(data, static_cast<std::uint16_t>(atc));
        wallet::core::appendU32(data, static_cast<std::uint32_t>(amount));
        data.append('\x02');
        data += QByteArray::fromHex(terminal) + QByteArray::fromHex(date) + QByteArray::fromHex(time);
        const auto demoMtk = wallet::core::secureFromHex(QStringLiteral("404142434445464748494A4B4C4D4E4F"));
        auto dtk = CardCrypto::diversify(Algorithm::TripleDes, demoMtk, QByteArray::fromHex(asn.toLatin1()));
        if (!dtk) {
            return {};
        }
        auto key = CardCrypto::tacKey(Algorithm::TripleDes, *dtk);
        if (!key) {
            return {};
        }
        auto tac = CardCrypto::transactionMac(Algorithm::TripleDes, *key, data);
        return tac ? tac->toHex().toUpper() : QByteArray();
    }

    /// demoTac() of the key's one load, from what the bank stored for it.
    QByteArray tacWithDemoKey(const QString& asn)
    {
        const QString row = QStringLiteral("SELECT %1 FROM loads WHERE asn = '%2'");
        const auto field = [&](const char* column) { return sqlText(row.arg(QLatin1String(column), asn)); };
        return demoTac(asn,
            field("balance_before").toLongLong(),
            field("amount").toLongLong(),
            field("online_atc").toInt(),
            field("terminal_id"),
            field("card_date"),
            field("card_time"));
    }

    /// The pid of the bank child the running walletctl started, from its port file ("<pid> <port>").
    qint64 waitForBankPid(QProcess& wallet, int ms = 60000)
    {
        for (int waited = 0; waited < ms; waited += 100) {
            QFile f(portFile());
            if (f.open(QIODevice::ReadOnly)) {
                const QList<QByteArray> parts = f.readAll().trimmed().split(' ');
                if (parts.size() == 2 && alive(parts[0].toLongLong())) {
                    return parts[0].toLongLong();
                }
            }
            if (wallet.state() == QProcess::NotRunning) {
                return -1;
            }
            QThread::msleep(100);
        }
        return -1;
    }

    QByteArray caPem() const
    {
        QFile f(bankDir() + QStringLiteral("/tls/ca.pem"));
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_wallet.isValid());
        if (qEnvironmentVariable("SKEY_BANKCTL_PATH").isEmpty() || qEnvironmentVariable("SKEY_BANK_PATH").isEmpty()) {
            SKEY_SKIP(QStringLiteral("skey-bank / bankctl not built"));
        }
        if (!QFile::exists(QStringLiteral("/usr/lib/softhsm/libsofthsm2.so"))
            && !QFile::exists(QStringLiteral("/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"))) {
            SKEY_SKIP(QStringLiteral("SoftHSM2 is not installed"));
        }
        // The demo-key TAC computation itself reproduces the golden vector (pboc.json "EP load 10.00 CNY", TAC
        // C40AF0DE), so its "does not verify" below is a real comparison.
        QCOMPARE(demoTac(QStringLiteral("0102030405060708"), 0, 1000, 0, "112233445566", "20250101", "120000"),
            QByteArray("C40AF0DE"));
    }

    void freshFolderLoadsThroughItsOwnBank()
    {
        QVERIFY(!QFile::exists(m_wallet.filePath(QStringLiteral("bank-client.json"))));
        const Run issued = walletctl(
            {QStringLiteral("issue"), QStringLiteral(WALLET_SOURCE_DIR "/resources/profiles/demo-3des.json")});
        QVERIFY2(issued.exitCode == 0, issued.out + issued.err);
        QVERIFY2(issued.err.contains("local bank host https://127.0.0.1:"), issued.err);
        const QString asn = issued.json.value(QStringLiteral("asn")).toString();
        const QString serial = issued.json.value(QStringLiteral("serial")).toString();
        QCOMPARE(asn.size(), 16);
        QCOMPARE(serial.size(), 16);
        QVERIFY(QFile::exists(bankDir() + QStringLiteral("/ledger.sqlite")));
        QVERIFY(QFile::exists(bankDir() + QStringLiteral("/wallet/bank-client.json")));
        // A local demo bank, not a test folder: no public test keys, no test-only commands.
        {
            QFile config(bankDir() + QStringLiteral("/bank.json"));
            QVERIFY(config.open(QIODevice::ReadOnly));
            const QJsonObject c = QJsonDocument::fromJson(config.readAll()).object();
            QCOMPARE(c.value(QStringLiteral("test")).toBool(true), false);
            QCOMPARE(c.value(QStringLiteral("localDemo")).toBool(false), true);
        }
        QVERIFY(!QFile::exists(bankDir() + QStringLiteral("/.demo-keys")));
        // The bank issued it: its issuance registry holds the serial's completed self-service job (no staff), and the
        // card row was written by that job's completion, bound to the serial.
        QCOMPARE(sqlInt(QStringLiteral("SELECT count(*) FROM issuance_jobs WHERE device_serial = '%1' AND asn = '%2' "
                                       "AND state = 'completed' AND staff_id IS NULL AND terminal_id = '990000000001'")
                            .arg(serial, asn)),
            1);
        QCOMPARE(sqlInt(QStringLiteral("SELECT count(*) FROM cards WHERE asn = '%1' AND device_serial = '%2'")
                            .arg(asn, serial)),
            1);
        QVERIFY(asn.startsWith(QStringLiteral("8860"))); // an ASN the bank allocated
        // The DEMO funding account, clearly labelled, with the profile's initial funding (¥100,000.00).
        const QString funding
            = QStringLiteral("SELECT a.balance FROM accounts a JOIN cards c ON c.account_id = a.id WHERE c.asn = '%1'")
                  .arg(asn);
        QCOMPARE(sqlInt(funding), 10000000);
        QCOMPARE(sqlInt(QStringLiteral("SELECT count(*) FROM accounts a JOIN cards c ON c.account_id = a.id WHERE "
                                       "c.asn = '%1' AND a.name LIKE 'DEMO%'")
                            .arg(asn)),
            1);

        const Run r = walletctl({QStringLiteral("load"), QStringLiteral("10.00"), QStringLiteral("--yes")}, "123456\n");
        QVERIFY2(r.exitCode == 0, r.out + r.err);
        QCOMPARE(r.json.value(QStringLiteral("balance")).toString(), QStringLiteral("10.00"));
        QVERIFY2(r.err.contains("local bank host"), r.err);
        // The bank moved it: one load transfer, the funding account down by 1000 fen, the key's shadow balance.
        QCOMPARE(sqlInt(QStringLiteral("SELECT count(*) FROM transfers WHERE kind = 'load'")), 1);
        QCOMPARE(sqlInt(funding), 10000000 - 1000);
        QCOMPARE(sqlInt(QStringLiteral("SELECT shadow_balance FROM cards WHERE asn = '%1'").arg(asn)), 1000);
        // The bank verified the key's TAC with its own MTK (proven_by 'tac'); the public demo MTK does not verify it.
        QCOMPARE(sqlInt(QStringLiteral("SELECT count(*) FROM loads WHERE asn = '%1' AND state = 'completed' AND "
                                       "proven_by = 'tac'")
                            .arg(asn)),
            1);
        const QByteArray storedTac = sqlText(QStringLiteral("SELECT tac FROM loads WHERE asn = '%1'").arg(asn));
        QCOMPARE(storedTac.size(), 8);
        const QByteArray demoTac = tacWithDemoKey(asn);
        QCOMPARE(demoTac.size(), 8);
        QVERIFY2(storedTac != demoTac, "the key's TAC verifies with the public demo MTK: the key carries demo keys");
        QString out;
        QVERIFY2(bankctl({QStringLiteral("audit"), QStringLiteral("ledger")}, &out) == 0, qPrintable(out));
        // The wallet is an enrolled terminal of its bank.
        QCOMPARE(sqlInt(QStringLiteral("SELECT count(*) FROM terminals WHERE terminal_id = '990000000001'")), 1);
        // Nothing outlives walletctl: its bank child stopped and removed its port file.
        QVERIFY(!QFile::exists(portFile()));
    }

    void secondStartReusesTheFolder()
    {
        const QByteArray ca = caPem();
        QVERIFY(!ca.isEmpty());
        const QByteArray cert = [&] {
            QFile f(bankDir() + QStringLiteral("/wallet/terminal.pem"));
            return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        }();
        const Run r = walletctl({QStringLiteral("balance")});
        QVERIFY2(r.exitCode == 0, r.out + r.err);
        QCOMPARE(r.json.value(QStringLiteral("balance")).toString(), QStringLiteral("10.00"));
        QVERIFY2(!r.err.contains("creating the local bank host"), r.err);
        QCOMPARE(caPem(), ca); // no second init
        QFile f(bankDir() + QStringLiteral("/wallet/terminal.pem"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), cert); // no second enrolment
        QCOMPARE(sqlInt(QStringLiteral("SELECT count(*) FROM terminals")), 1);
    }

    /// Self-service demo issuance is for the wallet's simulated keys only (docs/bank.md §12): with the wallet's own
    /// certificate, a serial in no development lot and a replacement are refused with 403 self-service-not-allowed,
    /// and no job is written.
    void selfServiceLimitedToSimulatedKeys()
    {
        QProcess bank;
        bank.start(qEnvironmentVariable("SKEY_BANK_PATH"),
            {QStringLiteral("--data"), bankDir(), QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0")});
        QVERIFY(bank.waitForStarted());
        quint16 port = 0;
        QByteArray out;
        for (int waited = 0; waited < 60000 && port == 0 && bank.state() == QProcess::Running; waited += 100) {
            bank.waitForReadyRead(100);
            out += bank.readAllStandardOutput();
            const int at = out.indexOf("listening 127.0.0.1:");
            if (at >= 0 && out.indexOf('\n', at) > at) {
                port = static_cast<quint16>(out.mid(at + 20, out.indexOf('\n', at) - at - 20).trimmed().toUInt());
            }
        }
        QVERIFY2(port != 0, out + bank.readAllStandardError());
        auto config = wallet::core::BankClientConfig::load(bankDir() + QStringLiteral("/wallet/bank-client.json"));
        QVERIFY2(config, qPrintable(config ? QString() : config.error().detail));
        config->url = QUrl(QStringLiteral("https://127.0.0.1:%1").arg(port));
        wallet::core::HttpsBankClient client(std::move(*config));
        const auto ask = [&](const QString& serial, bool replacement) {
            wallet::core::BankCall call;
            call.method = "POST";
            call.path = QStringLiteral("/v1/issuance/jobs");
            call.requestId = QUuid::createUuid().toString(QUuid::WithoutBraces);
            call.body = QJsonObject{{QStringLiteral("deviceSerial"), serial},
                {QStringLiteral("customer"),
                    QJsonObject{{QStringLiteral("name"), QStringLiteral("DEMO HOLDER")},
                        {QStringLiteral("idType"), 2},
                        {QStringLiteral("idNumber"), QStringLiteral("DEMO") + serial},
                        {QStringLiteral("phone"), QStringLiteral("+860000000000")}}},
                {QStringLiteral("profile"),
                    QJsonObject{{QStringLiteral("algorithm"), QStringLiteral("3des")},
                        {QStringLiteral("maxBalance"), 1000000},
                        {QStringLiteral("noPinLimit"), 0},
                        {QStringLiteral("purchaseNeedsTouch"), false}}}};
            if (replacement) {
                call.body.insert(QStringLiteral("replacesAsn"), QStringLiteral("8860000000000001"));
                call.body.insert(QStringLiteral("approvalId"), QUuid::createUuid().toString(QUuid::WithoutBraces));
            }
            return client.send(call);
        };
        // A real key's serial (in no development lot), and a simulated key's serial asked as a replacement.
        for (const auto& [serial, replacement] : {std::pair{QStringLiteral("4E4F000000000001"), false},
                 std::pair{QStringLiteral("534B0000000000EE"), true}}) {
            auto answer = ask(serial, replacement);
            QVERIFY2(answer, qPrintable(answer ? QString() : answer.error().detail));
            QCOMPARE(answer->status, 403);
            QCOMPARE(answer->problemCode(), QStringLiteral("self-service-not-allowed"));
            QCOMPARE(
                sqlInt(QStringLiteral("SELECT count(*) FROM issuance_jobs WHERE device_serial = '%1'").arg(serial)), 0);
        }
        bank.terminate();
        QVERIFY(bank.waitForFinished(10000));
    }

    /// `walletctl purchase` (the local test PSAM with the public demo purchase key) is refused for the key this bank
    /// issued, with the way to pay instead; the key's balance is untouched (docs/bank.md §12).
    void localPurchaseRefused()
    {
        const Run r
            = walletctl({QStringLiteral("purchase"), QStringLiteral("1.00"), QStringLiteral("--yes")}, "123456\n");
        QVERIFY2(r.exitCode != 0, r.out + r.err);
        QVERIFY2((r.out + r.err).contains("walletctl pay"), r.out + r.err);
        const Run b = walletctl({QStringLiteral("balance")});
        QVERIFY2(b.exitCode == 0, b.out + b.err);
        QCOMPARE(b.json.value(QStringLiteral("balance")).toString(), QStringLiteral("10.00"));
    }

    /// A data folder whose local bank an older wallet made (`bankctl init --test` with the public DEMO master keys of
    /// demo-3des.json imported, marker `.demo-keys`) keeps working as it is (docs/bank.md §12): its blank key is
    /// personalised by the wallet with the demo keys and registered there with a DEMO funding account (no issuance
    /// job), and loads go through that bank.
    void legacyDemoKeysFolderKeepsWorking()
    {
        QTemporaryDir wallet;
        QVERIFY(wallet.isValid());
        const QString bank = wallet.filePath(QStringLiteral("bank"));
        QString out;
        QVERIFY2(bankctl({QStringLiteral("init"), QStringLiteral("--test")}, &out, bank) == 0, qPrintable(out));
        QFile masters(wallet.filePath(QStringLiteral("demo-masters.json")));
        QVERIFY(masters.open(QIODevice::WriteOnly));
        masters.write(R"json({"flows":[{"name":"EP load 10.00 CNY (3DES, wallet demo)","issuer_master_keys":{)json"
                      R"json("MLK":"00112233445566778899AABBCCDDEEFF","MTK":"404142434445464748494A4B4C4D4E4F",)json"
                      R"json("MPK":"0123456789ABCDEFFEDCBA9876543210"}}]})json");
        masters.close();
        QVERIFY2(bankctl({QStringLiteral("keys"),
                             QStringLiteral("import-test-vectors"),
                             QStringLiteral("--vectors"),
                             masters.fileName()},
                     &out,
                     bank)
                == 0,
            qPrintable(out));
        QFile marker(bank + QStringLiteral("/.demo-keys"));
        QVERIFY(marker.open(QIODevice::WriteOnly));
        marker.close();

        const Run issued = walletctl(
            {QStringLiteral("issue"), QStringLiteral(WALLET_SOURCE_DIR "/resources/profiles/demo-3des.json")},
            {},
            wallet.path());
        QVERIFY2(issued.exitCode == 0, issued.out + issued.err);
        const Run r = walletctl(
            {QStringLiteral("load"), QStringLiteral("2.00"), QStringLiteral("--yes")}, "123456\n", wallet.path());
        QVERIFY2(r.exitCode == 0, r.out + r.err);
        QCOMPARE(r.json.value(QStringLiteral("balance")).toString(), QStringLiteral("2.00"));
        QVERIFY(!QFile::exists(bank + QStringLiteral("/.local-demo")));
        QString audit;
        QVERIFY2(bankctl({QStringLiteral("audit"), QStringLiteral("ledger")}, &audit, bank) == 0, qPrintable(audit));
    }

    void bankEndsWithTheWallet_data()
    {
        QTest::addColumn<int>("signal");
        QTest::newRow("normal exit") << 0;
        QTest::newRow("SIGTERM") << int(SIGTERM);
        QTest::newRow("SIGKILL") << int(SIGKILL);
    }
    void bankEndsWithTheWallet()
    {
        QFETCH(int, signal);
        // walletctl opens the key and the bank, then waits for the PIN on its standard input.
        QProcess wallet;
        startWalletctl(wallet, {QStringLiteral("load"), QStringLiteral("1.00"), QStringLiteral("--yes")});
        QVERIFY(wallet.waitForStarted());
        const qint64 bank = waitForBankPid(wallet);
        QVERIFY2(bank > 0, wallet.readAllStandardError().constData());
        QVERIFY(alive(bank));
        // A second program on the same folder meanwhile reuses that bank (one skey-bank per SQLite file).
        if (signal == 0) {
            const Run second = walletctl({QStringLiteral("balance")});
            QVERIFY2(second.exitCode == 0, second.out + second.err);
            QVERIFY2(second.err.contains("local bank host"), second.err);
            QVERIFY(alive(bank));
            wallet.write("123456\n");
            wallet.closeWriteChannel();
            QVERIFY(wallet.waitForFinished(120000));
            QVERIFY2(wallet.exitCode() == 0, wallet.readAllStandardError().constData());
        } else {
            ::kill(static_cast<pid_t>(wallet.processId()), signal);
            QVERIFY(wallet.waitForFinished(30000));
        }
        QVERIFY2(goneWithin(bank, 10000), "the bank child outlived the wallet");
    }
};

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    TestWalletLocalBank t;
    return wallet::test::skipAwareExitCode(QTest::qExec(&t, argc, argv));
}

#include "TestWalletLocalBank.moc"
