// SPDX-License-Identifier: Apache-2.0
// branchctl replace / close / outcome (issue 13, docs/branch.md "Replacement and closure from the command line")
// against the real parts (BankRig: PostgreSQL or SQLite, SoftHSM2, skey-bank) and simulated keys: a key issued by
// `branchctl batch issue` is loaded with walletctl, reported lost and replaced by a new blank key (the supervisor
// refuses once: nothing is done); the bank moves the lost key's shadow balance to the customer's funding account
// once, walletctl loads it onto the new key, and `branchctl close` terminates the new key and pays back what the
// bank vouches for. The ledger audit holds after each step; a repeated report moves nothing again. Then a third key's
// online payment is left unknown (skey-bank dies before committing its confirmation, after the key's DEBIT): the
// bank's shadow balance says more than the key holds, and closing that account is refused (409 operations-open)
// until the key's own proof (GET TRANSACTION PROVE, by walletctl) settles the payment; the closure then pays back
// exactly what the key holds. No step decides an outcome by comparing balances.
#include "bank/support/TestCard.h"
#include "branch/BranchTestSupport.h"
#include "core/crypto/CardCrypto.h"
#include "device/SimulatorControl.h"
#include "support/Skip.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTest>
#include <QUuid>

#include <cstdio>

using namespace wallet::bank::test;

namespace {

const QString kTellerPassword = QStringLiteral("teller long passphrase 1");
const QString kSupervisorPassword = QStringLiteral("supervisor passphrase 22");
const QString kLostSerial = QStringLiteral("534B000000200000");
const QString kNewSerial = QStringLiteral("534B000000200001");
const QString kThirdSerial = QStringLiteral("534B000000200003");
const QString kFourthSerial = QStringLiteral("534B000000200004");
const QString kFifthSerial = QStringLiteral("534B000000200005");
const QString kIdNumber = QStringLiteral("11010519491231002X");
const QString kPsam = QStringLiteral("223344556677"); // the kiosk's PSAM terminal ID (Demo Tea House)
// The golden-vector issuer masters (../shared/spec/vectors/pboc.json) that `bankctl init --test` imports as mlk.v1,
// mtk.v1 and mpk.v1: the keys' TACs in a kiosk's settlement batch are made with them, as on the simulated key.
const QByteArray kMlk = QByteArray::fromHex("00112233445566778899AABBCCDDEEFF");
const QByteArray kMtk = QByteArray::fromHex("404142434445464748494A4B4C4D4E4F");
const QByteArray kMpk = QByteArray::fromHex("0123456789ABCDEFFEDCBA9876543210");

} // namespace

class TestBranchctlServices : public QObject
{
    Q_OBJECT

private:
    BankRig m_rig;
    QTemporaryDir m_dir;
    QString m_lostAsn;
    QString m_newAsn;
    QString m_closeCommand;
    std::unique_ptr<TestCard> m_lostKey; ///< the lost key's purse (its keys: the golden-vector masters)
    QString m_pendingPurchase; ///< the lost key's online payment, debited, its confirmation not yet sent
    TestCard::Debit m_pendingDebit;

    struct Run
    {
        int exitCode = -1;
        QByteArray out;
        QJsonObject json; ///< the last line, when it is a JSON object
    };

    Run run(const QString& program,
        const QStringList& args,
        const QByteArray& stdinData,
        const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment())
    {
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(program, args);
        p.write(stdinData);
        p.closeWriteChannel();
        Run r;
        if (!p.waitForFinished(600000)) {
            p.kill();
            p.waitForFinished();
        }
        r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        r.out = p.readAllStandardOutput();
        const QByteArray err = p.readAllStandardError();
        const QList<QByteArray> lines = r.out.trimmed().split('\n');
        r.json = QJsonDocument::fromJson(lines.isEmpty() ? QByteArray() : lines.last()).object();
        r.out += err;
        std::printf("%s %s -> %d\n%s\n",
            qPrintable(QFileInfo(program).fileName()),
            qPrintable(args.value(0)),
            r.exitCode,
            r.out.constData());
        return r;
    }

    QStringList station(const QStringList& args) const
    {
        return args
            + QStringList{QStringLiteral("--bank-config"),
                m_dir.filePath(QStringLiteral("branch/bank-client.json")),
                QStringLiteral("--username"),
                QStringLiteral("li.teller"),
                QStringLiteral("--keys-dir"),
                m_dir.filePath(QStringLiteral("keys")),
                QStringLiteral("--json")};
    }

    Run branchctl(const QStringList& args, const QByteArray& stdinData)
    {
        return run(buildProgram("app/branch/branchctl"), station(args), stdinData);
    }

    /// walletctl on the key whose simulator NVM branchctl keeps in keys/<serial>: a data folder whose `simulator`
    /// is that folder (walletctl opens DATA/simulator/token.nvm).
    Run walletctl(const QString& serial, const QStringList& args, const QByteArray& pin)
    {
        const QString data = m_dir.filePath(QStringLiteral("wallet-") + serial);
        if (!QFileInfo::exists(data)) {
            QDir().mkpath(data);
            QFile::link(m_dir.filePath(QStringLiteral("keys/") + serial), data + QStringLiteral("/simulator"));
        }
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("WALLETCTL_PASSPHRASE"), QStringLiteral("test passphrase"));
        return run(buildProgram("app/cli/walletctl"),
            QStringList{QStringLiteral("--json"),
                QStringLiteral("--data-dir"),
                data,
                QStringLiteral("--bank-config"),
                m_dir.filePath(QStringLiteral("wallet/bank-client.json"))}
                + args,
            pin + '\n',
            env);
    }

    qint64 sqlInt(const std::string& sql, const std::vector<std::optional<std::string>>& params = {})
    {
        return sqlInteger(m_rig, sql, params);
    }

    void writeConfigs()
    {
        QVERIFY(!writeBankClientConfig(m_rig, m_dir.filePath(QStringLiteral("branch")), QStringLiteral("branch"))
                     .isEmpty());
        QVERIFY(!writeBankClientConfig(m_rig, m_dir.filePath(QStringLiteral("wallet")), QStringLiteral("client"))
                     .isEmpty());
    }

    /// `branchctl batch issue` of one customer onto the blank simulated key `serial`: its ASN and initial PIN (the
    /// PIN mailer's last line).
    bool issueOne(const QString& serial, QString* asn, QByteArray* pin)
    {
        QFile csv(m_dir.filePath(QStringLiteral("customer-%1.csv").arg(serial)));
        if (!csv.open(QIODevice::WriteOnly)) {
            return false;
        }
        csv.write(
            QStringLiteral("name,idType,idNumber,phone\nZhang San,0,%1,+8613800138000\n").arg(kIdNumber).toUtf8());
        csv.close();
        const Run batch = run(buildProgram("app/branch/branchctl"),
            {QStringLiteral("batch"),
                QStringLiteral("issue"),
                QStringLiteral("--csv"),
                csv.fileName(),
                QStringLiteral("--bank-config"),
                m_dir.filePath(QStringLiteral("branch/bank-client.json")),
                QStringLiteral("--username"),
                QStringLiteral("li.teller"),
                QStringLiteral("--pin-mailer"),
                m_dir.filePath(QStringLiteral("pin-mailer.csv")),
                QStringLiteral("--simulated-keys"),
                serial,
                QStringLiteral("--keys-dir"),
                m_dir.filePath(QStringLiteral("keys"))},
            (kTellerPassword + QLatin1Char('\n')).toUtf8());
        QFile mailer(m_dir.filePath(QStringLiteral("pin-mailer.csv")));
        if (batch.exitCode != 0 || !mailer.open(QIODevice::ReadOnly)) {
            return false;
        }
        const QList<QByteArray> fields = mailer.readAll().trimmed().split('\n').last().split(',');
        if (fields.size() != 3) {
            return false;
        }
        *asn = QString::fromLatin1(fields[0]);
        *pin = fields[2];
        return asn->startsWith(QStringLiteral("8860"));
    }

    bool deposit(const QString& asn, int fen)
    {
        return depositWithReference(asn, fen, QStringLiteral("counter-") + asn);
    }

    /// `bankctl accounts deposit` to the card's funding account; a counter receipt (`reference`) is posted once.
    bool depositWithReference(const QString& asn, int fen, const QString& reference)
    {
        QString out;
        return m_rig.bankctl({QStringLiteral("accounts"),
                                 QStringLiteral("deposit"),
                                 QStringLiteral("--asn"),
                                 asn,
                                 QStringLiteral("--amount"),
                                 QString::number(fen),
                                 QStringLiteral("--reference"),
                                 reference},
                   &out)
            == 0;
    }

    /// A key issued by `branchctl batch issue`, `depositFen` in its funding account and `load` (yuan) loaded by
    /// walletctl through the bank. False on any failure.
    bool issueAndLoad(const QString& serial, int depositFen, const QString& load, QString* asn, QByteArray* pin)
    {
        if (!issueOne(serial, asn, pin) || !deposit(*asn, depositFen)) {
            return false;
        }
        const Run r = walletctl(serial, {QStringLiteral("load"), load, QStringLiteral("--yes")}, *pin);
        return r.exitCode == 0;
    }

    /// skey-bank again (after a fault it may have exited by itself), with `fault` or none; the configs follow its
    /// new port.
    void restartBank(const QString& fault = {})
    {
        if (m_rig.serverRunning()) {
            m_rig.stopServer();
        } else {
            m_rig.waitServerExit();
        }
        const QString started = m_rig.startServer(fault);
        QVERIFY2(started.isEmpty(), qPrintable(started));
        writeConfigs();
    }

    qint64 merchantPayable()
    {
        return sqlInt("SELECT a.balance FROM accounts a JOIN merchants m ON m.account_id = a.id WHERE m.name ="
                      " 'Demo Tea House'");
    }

    qint64 fundingOf(const QString& asn)
    {
        return sqlInt("SELECT a.balance FROM accounts a JOIN cards c ON c.account_id = a.id WHERE c.asn = $1",
            {asn.toStdString()});
    }

    /// PUT /v1/settlement/batches/<batchId> as the kiosk (its PSAM kPsam): the bank's answer.
    BankRig::ApiAnswer settle(const QString& batchId, const QList<QJsonObject>& records)
    {
        QJsonArray list;
        for (const auto& r : records) {
            list.append(r);
        }
        return m_rig.api("PUT",
            QStringLiteral("/v1/settlement/batches/") + batchId,
            QStringLiteral("kiosk"),
            {{QStringLiteral("terminalId"), kPsam}, {QStringLiteral("records"), list}});
    }

    /// `bankctl reports receivables --json`: the closed card `asn`'s line (empty when it has none).
    QJsonObject receivableOf(const QString& asn)
    {
        QString out;
        if (m_rig.bankctl({QStringLiteral("reports"), QStringLiteral("receivables"), QStringLiteral("--json")}, &out)
            != 0) {
            return {};
        }
        const auto cards = QJsonDocument::fromJson(out.toUtf8()).object().value(QStringLiteral("cards")).toArray();
        for (const auto& c : cards) {
            if (c.toObject().value(QStringLiteral("asn")).toString() == asn) {
                return c.toObject();
            }
        }
        return {};
    }

    /// `branchctl close` of a simulated key, approved by the supervisor.
    Run closeKey(const QString& serial)
    {
        return branchctl({QStringLiteral("close"),
                             QStringLiteral("--simulated-key"),
                             serial,
                             QStringLiteral("--supervisor"),
                             QStringLiteral("wang.supervisor")},
            (kTellerPassword + QLatin1Char('\n') + kSupervisorPassword + QLatin1Char('\n')).toUtf8());
    }

    QStringList replaceArgs(const QString& serial) const
    {
        return {QStringLiteral("replace"),
            QStringLiteral("--lost-asn"),
            m_lostAsn,
            QStringLiteral("--name"),
            QStringLiteral("Zhang San"),
            QStringLiteral("--id-type"),
            QStringLiteral("0"),
            QStringLiteral("--id-number"),
            kIdNumber,
            QStringLiteral("--phone"),
            QStringLiteral("+8613800138000"),
            QStringLiteral("--simulated-key"),
            serial,
            QStringLiteral("--supervisor"),
            QStringLiteral("wang.supervisor")};
    }

private slots:
    void initTestCase()
    {
        if (auto missing = BankRig::missingPart()) {
            SKEY_SKIP(QStringLiteral("not on this machine: ") + *missing);
        }
        if (qEnvironmentVariableIsEmpty("SKEY_SIM_PATH")) {
            SKEY_SKIP(QStringLiteral("SKEY_SIM_PATH is not set (the skey-sim target)"));
        }
        const QString up = m_rig.setUp();
        QVERIFY2(up.isEmpty(), qPrintable(up));
        QString out;
        QCOMPARE(m_rig.bankctl({QStringLiteral("keys"), QStringLiteral("init")}, &out), 0);
        QVERIFY(addStaff(m_rig, QStringLiteral("li.teller"), QStringLiteral("teller"), kTellerPassword));
        QVERIFY(addStaff(m_rig, QStringLiteral("wang.supervisor"), QStringLiteral("supervisor"), kSupervisorPassword));
        const QString merchant = m_rig.addDemoMerchant();
        QVERIFY2(merchant.isEmpty(), qPrintable(merchant));
        // A kiosk of the same merchant with its PSAM: the late offline purchases below arrive in its batches.
        const QString kiosk
            = m_rig.makeClientCertificate(QStringLiteral("kiosk"), QStringLiteral("/OU=kiosk/CN=556677889900"));
        QVERIFY2(kiosk.isEmpty(), qPrintable(kiosk));
        QCOMPARE(m_rig.bankctl({QStringLiteral("merchants"),
                                   QStringLiteral("add-psam"),
                                   QStringLiteral("--merchant"),
                                   QStringLiteral("Demo Tea House"),
                                   QStringLiteral("--terminal"),
                                   kPsam,
                                   QStringLiteral("--kiosk"),
                                   QStringLiteral("556677889900")},
                     &out),
            0);
        const QString started = m_rig.startServer();
        QVERIFY2(started.isEmpty(), qPrintable(started));
        writeConfigs();
    }

    /// The key ceremony (issue 13, docs/bank.md §8.5): the manufacturer master key typed as two components by two
    /// custodians, each shown its KCV, combined and imported into the HSM. The components XOR to the development
    /// manufacturer key, so every simulated key issued below proves the combined key is the right one; a malformed
    /// component imports nothing, and no component is left in bankctl's output or the bank's data folder.
    void keyCeremony()
    {
        const QByteArray c1 = "0123456789ABCDEFFEDCBA9876543210";
        QByteArray c2 = QByteArray::fromHex("534B45592D4445562D4D46522D4B4559");
        const QByteArray c1Bytes = QByteArray::fromHex(c1);
        for (int i = 0; i < 16; ++i) {
            c2[i] = static_cast<char>(c2[i] ^ c1Bytes[i]);
        }
        c2 = c2.toHex().toUpper();
        const auto kcvOf = [](const QByteArray& hex) {
            auto b = wallet::core::CardCrypto::tdesEncryptBlock(
                wallet::core::toSecure(QByteArray::fromHex(hex)), QByteArray(8, '\0'));
            return b ? b->left(3).toHex().toUpper() : QByteArray();
        };
        const QStringList args{QStringLiteral("keys"),
            QStringLiteral("manufacturer"),
            QStringLiteral("--components"),
            QStringLiteral("2"),
            QStringLiteral("--data"),
            m_rig.dataDir()};
        // A component mistyped (31 digits): refused, nothing imported; the ceremony can start again.
        const Run bad = run(buildProgram("bank/bankctl"), args, c1 + "\n" + c2.left(31) + "\n");
        QVERIFY(bad.exitCode != 0);
        QVERIFY2(bad.out.contains("nothing was imported"), bad.out.constData());
        const Run ok = run(buildProgram("bank/bankctl"), args, c1 + "\n" + c2 + "\n");
        QCOMPARE(ok.exitCode, 0);
        QVERIFY2(ok.out.contains("component 1 KCV " + kcvOf(c1)), ok.out.constData());
        QVERIFY2(ok.out.contains("component 2 KCV " + kcvOf(c2)), ok.out.constData());
        QVERIFY2(
            ok.out.contains("not extractable), KCV " + kcvOf("534B45592D4445562D4D46522D4B4559")), ok.out.constData());
        QCOMPARE(sqlInt("SELECT count(*) FROM audit_log WHERE action = 'keys.manufacturer-imported' AND detail LIKE"
                        " 'ceremony, KCV %'"),
            1);
        // The clear components are nowhere: not echoed, not in any file of the bank's data folder.
        for (const QByteArray& part : {c1, c2}) {
            QVERIFY(!ok.out.contains(part));
            QDirIterator it(m_rig.dataDir(), QDir::Files, QDirIterator::Subdirectories);
            while (it.hasNext()) {
                QFile f(it.next());
                // Not the live SQLite ledger: closing a second descriptor of it would drop this process's POSIX locks
                // on it (its contents are checked above through SQL: the audit row holds only the KCV).
                if (f.fileName().contains(QStringLiteral("ledger.sqlite"))) {
                    continue;
                }
                if (f.size() < 64 * 1024 * 1024 && f.open(QIODevice::ReadOnly)) {
                    const QByteArray content = f.readAll();
                    QVERIFY2(!content.contains(part) && !content.contains(QByteArray::fromHex(part)),
                        qPrintable(f.fileName()));
                }
            }
        }
        // The lot the manufacturer shipped (the serials used below).
        QString out;
        QCOMPARE(m_rig.bankctl({QStringLiteral("devices"),
                                   QStringLiteral("add-lot"),
                                   QStringLiteral("--manufacturer"),
                                   QStringLiteral("ceremony test lot"),
                                   QStringLiteral("--first"),
                                   QStringLiteral("534B000000200000"),
                                   QStringLiteral("--last"),
                                   QStringLiteral("534B0000002000FF")},
                     &out),
            0);
    }

    /// The customer's first key: issued by `branchctl batch issue` (its PIN in the PIN mailer), ¥50.00 deposited in
    /// the funding account, ¥20.00 loaded onto the key by walletctl through the bank.
    void issueAndLoadTheFirstKey()
    {
        QByteArray pin;
        QVERIFY(issueAndLoad(kLostSerial, 5000, QStringLiteral("20.00"), &m_lostAsn, &pin));
        QCOMPARE(sqlInt("SELECT shadow_balance FROM cards WHERE asn = $1", {m_lostAsn.toStdString()}), 2000);
    }

    /// The supervisor's credential is wrong: refused with the bank's code, nothing issued, the lost key untouched.
    void refusedApprovalDoesNothing()
    {
        QVERIFY(!m_lostAsn.isEmpty());
        const Run r = branchctl(replaceArgs(kNewSerial),
            (kTellerPassword + QStringLiteral("\nnot the supervisor's\n246810\n246810\n")).toUtf8());
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(r.json.value(QStringLiteral("ok")).toBool(true), false);
        QCOMPARE(r.json.value(QStringLiteral("code")).toString(), QStringLiteral("approver-credentials-invalid"));
        QCOMPARE(r.json.value(QStringLiteral("outcome")).toString(), QStringLiteral("not-done"));
        QVERIFY2(
            r.json.value(QStringLiteral("error")).toString().contains(QStringLiteral("Next step")), r.out.constData());
        QCOMPARE(sqlInt("SELECT count(*) FROM issuance_jobs WHERE device_serial = $1", {kNewSerial.toStdString()}), 0);
        QCOMPARE(sqlInt("SELECT count(*) FROM cards WHERE asn = $1 AND state = 'active' AND replaced_by IS NULL",
                     {m_lostAsn.toStdString()}),
            1);
        // A PIN typed differently the second time: refused before anything reaches the bank.
        const int approvals = static_cast<int>(sqlInt("SELECT count(*) FROM approvals"));
        const Run typo = branchctl(replaceArgs(kNewSerial),
            (kTellerPassword + QLatin1Char('\n') + kSupervisorPassword + QStringLiteral("\n246810\n246811\n"))
                .toUtf8());
        QCOMPARE(typo.exitCode, 2);
        QCOMPARE(sqlInt("SELECT count(*) FROM approvals"), approvals);
    }

    /// Before the key is lost it pays ¥1.20 online (the bank authorises, the key debits) but the confirmation does not
    /// reach the bank yet: the purchase stays `authorised`, the shadow balance still ¥20.00 (the replacement carries
    /// that; the confirmation arrives later, lateOfflinePurchasesOfTheReplacedKey).
    void onlinePaymentBeforeTheLoss()
    {
        QVERIFY(!m_lostAsn.isEmpty());
        m_lostKey = std::make_unique<TestCard>(kMlk, kMtk, QByteArray::fromHex(m_lostAsn.toLatin1()), kMpk);
        m_lostKey->assumeBalance(2000); // what the key holds (walletctl loaded ¥20.00)
        const QByteArray terminal = QByteArray::fromHex("112233445566"); // the demo merchant's online terminal
        const auto init = m_lostKey->initializeForPurchase(120, terminal);
        const auto a = m_rig.api("POST",
            QStringLiteral("/v1/purchases"),
            QStringLiteral("client"),
            {{QStringLiteral("asn"), m_lostAsn},
                {QStringLiteral("algorithm"), QStringLiteral("3des")},
                {QStringLiteral("keyIndex"), 1},
                {QStringLiteral("keyVersion"), 1},
                {QStringLiteral("balanceBefore"), static_cast<qint64>(init.balance)},
                {QStringLiteral("amount"), 120},
                {QStringLiteral("offlineAtc"), init.offlineAtc},
                {QStringLiteral("random"), QString::fromLatin1(init.random.toHex().toUpper())},
                {QStringLiteral("terminalId"), QStringLiteral("112233445566")}});
        QVERIFY2(a.status == 201, a.body.constData());
        const auto d
            = m_lostKey->debitForPurchase(static_cast<std::uint32_t>(a.json.value(QStringLiteral("tsn")).toInteger()),
                QByteArray::fromHex(a.json.value(QStringLiteral("date")).toString().toLatin1()),
                QByteArray::fromHex(a.json.value(QStringLiteral("time")).toString().toLatin1()),
                QByteArray::fromHex(a.json.value(QStringLiteral("mac1")).toString().toLatin1()));
        QVERIFY(d);
        m_pendingDebit = *d;
        m_pendingPurchase = a.json.value(QStringLiteral("purchaseId")).toString();
        QCOMPARE(sqlInt("SELECT count(*) FROM purchases WHERE id = $1 AND state = 'authorised'",
                     {m_pendingPurchase.toStdString()}),
            1);
    }

    /// The lost key replaced: the bank moves its shadow balance (¥20.00) to the funding account once, closes it,
    /// and walletctl loads the ¥30.00 left plus the ¥20.00 carried onto the new key.
    void replaceTheLostKey()
    {
        QVERIFY(!m_lostAsn.isEmpty());
        const Run r = branchctl(replaceArgs(kNewSerial),
            (kTellerPassword + QLatin1Char('\n') + kSupervisorPassword + QStringLiteral("\n246810\n246810\n"))
                .toUtf8());
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.json.value(QStringLiteral("ok")).toBool(), true);
        QCOMPARE(r.json.value(QStringLiteral("lostAsn")).toString(), m_lostAsn);
        QCOMPARE(r.json.value(QStringLiteral("carriedBalance")).toInteger(), 2000);
        QCOMPARE(r.json.value(QStringLiteral("before")).toObject().value(QStringLiteral("lifeCycle")).toString(),
            QStringLiteral("blank"));
        QCOMPARE(r.json.value(QStringLiteral("after")).toObject().value(QStringLiteral("application")).toString(),
            QStringLiteral("active"));
        m_newAsn = r.json.value(QStringLiteral("asn")).toString();
        QVERIFY(m_newAsn.startsWith(QStringLiteral("8860")) && m_newAsn != m_lostAsn);
        QCOMPARE(r.json.value(QStringLiteral("after")).toObject().value(QStringLiteral("asn")).toString(), m_newAsn);
        const std::string lost = m_lostAsn.toStdString();
        QCOMPARE(sqlInt("SELECT count(*) FROM cards n JOIN cards o ON o.account_id = n.account_id WHERE n.asn = $1 AND"
                        " n.state = 'active' AND o.asn = $2 AND o.state = 'closed' AND o.hotlisted AND o.replaced_by"
                        " = $1 AND o.shadow_balance = 0 AND o.released = 2000",
                     {m_newAsn.toStdString(), lost}),
            1);
        QCOMPARE(sqlInt("SELECT count(*) FROM transfers WHERE natural_key = $1", {"replacement:" + lost}), 1);
        QCOMPARE(sqlInt("SELECT amount FROM transfers WHERE natural_key = $1", {"replacement:" + lost}), 2000);
        QCOMPARE(sqlInt("SELECT count(*) FROM approvals WHERE operation = 'card-replacement' AND state = 'used'"), 1);
        QCOMPARE(ledgerAudit(m_rig), 0);
        // The same lost key again: refused (it is closed, replaced), nothing moves.
        const Run again = branchctl(replaceArgs(QStringLiteral("534B000000200002")),
            (kTellerPassword + QLatin1Char('\n') + kSupervisorPassword + QStringLiteral("\n246810\n246810\n"))
                .toUtf8());
        QCOMPARE(again.exitCode, 1);
        QCOMPARE(again.json.value(QStringLiteral("code")).toString(), QStringLiteral("state-conflict"));
        QCOMPARE(sqlInt("SELECT count(*) FROM transfers WHERE natural_key = $1", {"replacement:" + lost}), 1);
        const Run load = walletctl(
            kNewSerial, {QStringLiteral("load"), QStringLiteral("50.00"), QStringLiteral("--yes")}, "246810");
        QVERIFY2(load.exitCode == 0, load.out.constData());
        QCOMPARE(sqlInt("SELECT shadow_balance FROM cards WHERE asn = $1", {m_newAsn.toStdString()}), 5000);
        QCOMPARE(ledgerAudit(m_rig), 0);
    }

    /// Late offline purchases of the replaced key (docs/branch.md "Late offline purchases"): before it was lost the
    /// key paid ¥2.50 and ¥2.00 at a kiosk offline; the kiosk's batches reach the bank after the replacement. The
    /// merchant is paid both; the ¥2.50 is taken back from the customer's funding account (¥3.00 deposited) into the
    /// lost key's float share once (a re-upload and the same sale in another batch move nothing); of the ¥2.00 the
    /// account covers only the ¥0.50 left, so the bank advances ¥1.50 from its clearing account, owed by the customer
    /// (`bankctl reports receivables`). The new key's share is never touched, no shadow balance goes below 0, and
    /// `bankctl audit ledger` holds after each step.
    void lateOfflinePurchasesOfTheReplacedKey()
    {
        QVERIFY(!m_newAsn.isEmpty());
        const std::string lost = m_lostAsn.toStdString();
        const QByteArray psam = QByteArray::fromHex(kPsam.toLatin1());
        QVERIFY(m_lostKey);
        const QJsonObject first = m_lostKey->offlineSale(250, 1, psam, m_lostAsn);
        const QJsonObject second = m_lostKey->offlineSale(200, 2, psam, m_lostAsn);
        QVERIFY(!first.isEmpty() && !second.isEmpty());

        // The online payment's confirmation arrives now, after the replacement: the order-less purchase completes
        // (the merchant is paid ¥1.20), and with ¥0 in the funding account the bank advances it all.
        const qint64 payableBefore = merchantPayable();
        const auto confirmed = m_rig.api("POST",
            QStringLiteral("/v1/purchases/%1/confirmation").arg(m_pendingPurchase),
            QStringLiteral("client"),
            {{QStringLiteral("mac2"), QString::fromLatin1(m_pendingDebit.mac2.toHex().toUpper())},
                {QStringLiteral("tac"), QString::fromLatin1(m_pendingDebit.tac.toHex().toUpper())},
                {QStringLiteral("source"), QStringLiteral("debit")}});
        QVERIFY2(confirmed.status == 200, confirmed.body.constData());
        QCOMPARE(confirmed.json.value(QStringLiteral("state")).toString(), QStringLiteral("completed"));
        QCOMPARE(merchantPayable(), payableBefore + 120);
        const std::string online = "112233445566:"
            + std::to_string(sqlInt("SELECT tsn FROM purchases WHERE id = $1", {m_pendingPurchase.toStdString()}));
        QCOMPARE(sqlInt("SELECT amount FROM transfers WHERE natural_key = $1", {"advance:" + online}), 120);
        QCOMPARE(sqlInt("SELECT count(*) FROM transfers WHERE natural_key = $1", {"recovery:" + online}), 0);
        QCOMPARE(sqlInt("SELECT shadow_balance FROM cards WHERE asn = $1", {lost}), 0);
        QCOMPARE(ledgerAudit(m_rig), 0);
        QVERIFY(depositWithReference(m_lostAsn, 300, QStringLiteral("counter-late-1")));
        QCOMPARE(fundingOf(m_lostAsn), 300);
        const qint64 newShadow = sqlInt("SELECT shadow_balance FROM cards WHERE asn = $1", {m_newAsn.toStdString()});
        const qint64 payable = merchantPayable();

        const QString batch = QUuid::createUuid().toString(QUuid::WithoutBraces);
        const auto settled = settle(batch, {first});
        QVERIFY2(settled.status == 200, settled.body.constData());
        QCOMPARE(settled.json.value(QStringLiteral("accepted")).toInt(), 1);
        QCOMPARE(merchantPayable(), payable + 250); // the merchant is paid, never refused
        const std::string key1 = "recovery:" + kPsam.toStdString() + ":1";
        QCOMPARE(sqlInt("SELECT count(*) FROM transfers WHERE natural_key = $1 AND kind = 'recovery'", {key1}), 1);
        QCOMPARE(sqlInt("SELECT amount FROM transfers WHERE natural_key = $1", {key1}), 250);
        QCOMPARE(fundingOf(m_lostAsn), 50);
        QCOMPARE(sqlInt("SELECT shadow_balance FROM cards WHERE asn = $1 AND state = 'closed'", {lost}), 0);
        QCOMPARE(sqlInt("SELECT recovered FROM cards WHERE asn = $1", {lost}), 250);
        QCOMPARE(sqlInt("SELECT shadow_balance FROM cards WHERE asn = $1", {m_newAsn.toStdString()}), newShadow);
        QCOMPARE(ledgerAudit(m_rig), 0);

        // Uploaded again (the kiosk lost the answer), and the same sale in another batch: nothing moves again.
        const qint64 transfers = sqlInt("SELECT count(*) FROM transfers");
        const auto again = settle(batch, {first});
        QCOMPARE(again.status, 200);
        QCOMPARE(again.json, settled.json);
        const auto other = settle(QUuid::createUuid().toString(QUuid::WithoutBraces), {first});
        QCOMPARE(other.status, 200);
        QCOMPARE(other.json.value(QStringLiteral("duplicates")).toInt(), 1);
        QCOMPARE(sqlInt("SELECT count(*) FROM transfers"), transfers);
        QCOMPARE(fundingOf(m_lostAsn), 50);
        QCOMPARE(merchantPayable(), payable + 250);

        // The funding account too small: the merchant is paid ¥2.00, ¥0.50 recovered, ¥1.50 advanced and owed.
        const qint64 clearing = sqlInt("SELECT balance FROM accounts WHERE kind = 'clearing'");
        const auto short2 = settle(QUuid::createUuid().toString(QUuid::WithoutBraces), {second});
        QCOMPARE(short2.status, 200);
        QCOMPARE(short2.json.value(QStringLiteral("accepted")).toInt(), 1);
        QCOMPARE(merchantPayable(), payable + 450);
        QCOMPARE(
            sqlInt("SELECT amount FROM transfers WHERE natural_key = $1", {"recovery:" + kPsam.toStdString() + ":2"}),
            50);
        QCOMPARE(sqlInt("SELECT amount FROM transfers WHERE natural_key = $1 AND debit_account_id = (SELECT id FROM"
                        " accounts WHERE kind = 'clearing')",
                     {"advance:" + kPsam.toStdString() + ":2"}),
            150);
        QCOMPARE(sqlInt("SELECT balance FROM accounts WHERE kind = 'clearing'"), clearing - 150);
        QCOMPARE(fundingOf(m_lostAsn), 0);
        QCOMPARE(sqlInt("SELECT shadow_balance FROM cards WHERE asn = $1", {lost}), 0);
        QCOMPARE(sqlInt("SELECT advanced FROM cards WHERE asn = $1", {lost}), 150 + 120);
        QCOMPARE(sqlInt("SELECT shadow_balance FROM cards WHERE asn = $1", {m_newAsn.toStdString()}), newShadow);
        const QJsonObject owed = receivableOf(m_lostAsn);
        QCOMPARE(owed.value(QStringLiteral("receivable")).toInteger(), 150 + 120); // the online payment's too
        QCOMPARE(owed.value(QStringLiteral("recovered")).toInteger(), 300);
        QCOMPARE(owed.value(QStringLiteral("replacedBy")).toString(), m_newAsn);
        QCOMPARE(owed.value(QStringLiteral("latePurchases")).toInteger(), 3);
        QCOMPARE(sqlInt("SELECT count(*) FROM audit_log WHERE action = 'card.late-purchase' AND asn = $1 AND outcome ="
                        " 'receivable' AND detail LIKE '%50 fen recovered from the funding account, 150 fen advanced "
                        "by the bank%'",
                     {lost}),
            1);
        QCOMPARE(ledgerAudit(m_rig), 0);
    }

    /// The account closed: CARD BLOCK terminates the key, the bank pays back ¥50.00 once; the outcome reported
    /// again (a lost answer's recovery) moves nothing, another status word is refused, and the terminated key
    /// cannot be closed twice.
    void closeTheAccount()
    {
        QVERIFY(!m_newAsn.isEmpty());
        const Run r = closeKey(kNewSerial);
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.json.value(QStringLiteral("asn")).toString(), m_newAsn);
        QCOMPARE(r.json.value(QStringLiteral("refunded")).toInteger(), 5000);
        QCOMPARE(r.json.value(QStringLiteral("before")).toObject().value(QStringLiteral("application")).toString(),
            QStringLiteral("active"));
        QCOMPARE(r.json.value(QStringLiteral("after")).toObject().value(QStringLiteral("application")).toString(),
            QStringLiteral("terminated"));
        m_closeCommand = r.json.value(QStringLiteral("commandId")).toString();
        QVERIFY(!m_closeCommand.isEmpty());
        const std::string asn = m_newAsn.toStdString();
        QCOMPARE(sqlInt("SELECT count(*) FROM cards WHERE asn = $1 AND state = 'closed' AND hotlisted AND"
                        " shadow_balance = 0",
                     {asn}),
            1);
        QCOMPARE(sqlInt("SELECT amount FROM transfers WHERE natural_key = $1", {"payout:" + asn}), 5000);
        QCOMPARE(
            sqlInt("SELECT a.balance FROM accounts a JOIN cards c ON c.account_id = a.id WHERE c.asn = $1", {asn}), 0);
        QCOMPARE(ledgerAudit(m_rig), 0);

        // The outcome reported again, as after a lost answer: the same record, no second payout.
        const QStringList outcome{QStringLiteral("outcome"),
            QStringLiteral("--command"),
            m_closeCommand,
            QStringLiteral("--status-word"),
            QStringLiteral("9000")};
        const Run again = branchctl(outcome, (kTellerPassword + QLatin1Char('\n')).toUtf8());
        QCOMPARE(again.exitCode, 0);
        QCOMPARE(again.json.value(QStringLiteral("outcome")).toString(), QStringLiteral("9000"));
        QCOMPARE(sqlInt("SELECT count(*) FROM transfers WHERE natural_key = $1", {"payout:" + asn}), 1);
        // Another status word for the same command: refused, the record stands.
        QStringList other = outcome;
        other[4] = QStringLiteral("6A81");
        const Run conflict = branchctl(other, (kTellerPassword + QLatin1Char('\n')).toUtf8());
        QCOMPARE(conflict.exitCode, 1);
        QCOMPARE(conflict.json.value(QStringLiteral("code")).toString(), QStringLiteral("state-conflict"));

        // The terminated key cannot be closed again: a clear refusal before any approval.
        const int approvals = static_cast<int>(sqlInt("SELECT count(*) FROM approvals"));
        const Run twice = closeKey(kNewSerial);
        QCOMPARE(twice.exitCode, 1);
        QVERIFY2(twice.json.value(QStringLiteral("error")).toString().contains(QStringLiteral("terminated")),
            twice.out.constData());
        QCOMPARE(sqlInt("SELECT count(*) FROM approvals"), approvals);
        QCOMPARE(sqlInt("SELECT count(*) FROM transfers WHERE natural_key = $1", {"payout:" + asn}), 1);
        QCOMPARE(ledgerAudit(m_rig), 0);
    }

    /// A late purchase of the closed account's key: a sale of ¥1.20 the key made offline before the closure reaches
    /// the bank after it, when the closed card's share holds nothing (closure paid back all the bank vouched for).
    /// The merchant is paid; the ¥1.00 that reached the funding account since (a deposit) is recovered once, the bank
    /// advances ¥0.20, owed; a re-upload moves nothing; the audit holds.
    void latePurchaseOfTheClosedAccount()
    {
        QVERIFY(!m_closeCommand.isEmpty());
        const std::string asn = m_newAsn.toStdString();
        QCOMPARE(sqlInt("SELECT shadow_balance FROM cards WHERE asn = $1 AND state = 'closed'", {asn}), 0);
        TestCard key(kMlk, kMtk, QByteArray::fromHex(m_newAsn.toLatin1()), kMpk);
        key.assumeBalance(5000);
        const QJsonObject sale = key.offlineSale(120, 3, QByteArray::fromHex(kPsam.toLatin1()), m_newAsn);
        QVERIFY(!sale.isEmpty());
        QVERIFY(depositWithReference(m_newAsn, 100, QStringLiteral("counter-late-2")));
        const qint64 payable = merchantPayable();
        const QString batch = QUuid::createUuid().toString(QUuid::WithoutBraces);
        const auto settled = settle(batch, {sale});
        QCOMPARE(settled.status, 200);
        QCOMPARE(settled.json.value(QStringLiteral("accepted")).toInt(), 1);
        QCOMPARE(merchantPayable(), payable + 120);
        const std::string key3 = "recovery:" + kPsam.toStdString() + ":3";
        QCOMPARE(sqlInt("SELECT amount FROM transfers WHERE natural_key = $1", {key3}), 100);
        QCOMPARE(
            sqlInt("SELECT amount FROM transfers WHERE natural_key = $1", {"advance:" + kPsam.toStdString() + ":3"}),
            20);
        QCOMPARE(fundingOf(m_newAsn), 0);
        QCOMPARE(sqlInt("SELECT shadow_balance FROM cards WHERE asn = $1", {asn}), 0);
        QCOMPARE(receivableOf(m_newAsn).value(QStringLiteral("receivable")).toInteger(), 20);
        QCOMPARE(ledgerAudit(m_rig), 0);
        const qint64 transfers = sqlInt("SELECT count(*) FROM transfers");
        QCOMPARE(settle(batch, {sale}).json, settled.json);
        QCOMPARE(sqlInt("SELECT count(*) FROM transfers"), transfers);
        QCOMPARE(sqlInt("SELECT count(*) FROM transfers WHERE natural_key = $1", {key3}), 1);
        QCOMPARE(ledgerAudit(m_rig), 0);
    }

    /// A pending unknown operation in the negative direction: the key paid a merchant's ¥5.00 order (DEBIT done),
    /// but skey-bank died before committing the confirmation, so the bank still holds the purchase `authorised`
    /// and its shadow balance says ¥30.00 while the key holds ¥25.00. Closing the account is refused until the key
    /// itself proves the payment (walletctl: GET TRANSACTION PROVE, MAC2 and TAC confirmed); then the closure pays
    /// back exactly what the key holds plus the funding account, and the merchant is paid once.
    void closureWaitsForTheKeysProof()
    {
        QString asn;
        QByteArray pin;
        QVERIFY(issueAndLoad(kThirdSerial, 5000, QStringLiteral("30.00"), &asn, &pin));
        const std::string a = asn.toStdString();
        QCOMPARE(sqlInt("SELECT shadow_balance FROM cards WHERE asn = $1", {a}), 3000);
        const QString link
            = merchantOrder(m_rig, 500, QStringLiteral("BRANCHCTL-0001"), QStringLiteral("1 x oolong tea"))
                  .value(QStringLiteral("paymentLink"))
                  .toString();
        QVERIFY(!link.isEmpty());

        // The bank dies before committing its 2nd mutating request: walletctl pay's confirmation (after the key's
        // DEBIT; the 1st is the authorisation).
        restartBank(QStringLiteral("crash-before-commit:2"));
        const Run pay = walletctl(kThirdSerial, {QStringLiteral("pay"), link, QStringLiteral("--yes")}, pin);
        QVERIFY2(pay.exitCode != 0, pay.out.constData());
        restartBank();
        QCOMPARE(sqlInt("SELECT count(*) FROM purchases WHERE asn = $1 AND state = 'authorised'", {a}), 1);
        QCOMPARE(sqlInt("SELECT shadow_balance FROM cards WHERE asn = $1", {a}), 3000); // the key holds 25.00

        // Closing now would pay min(shadow, key) and leave the payment unprovable for ever: refused, nothing done.
        const qint64 transfers = sqlInt("SELECT count(*) FROM transfers");
        const Run refused = closeKey(kThirdSerial);
        QCOMPARE(refused.exitCode, 1);
        QCOMPARE(refused.json.value(QStringLiteral("code")).toString(), QStringLiteral("operations-open"));
        QCOMPARE(refused.json.value(QStringLiteral("outcome")).toString(), QStringLiteral("not-done"));
        QVERIFY2(refused.json.value(QStringLiteral("error")).toString().contains(QStringLiteral("GET TRANSACTION")),
            refused.out.constData());
        QCOMPARE(sqlInt("SELECT count(*) FROM cards WHERE asn = $1 AND state = 'active'", {a}), 1);
        QCOMPARE(
            sqlInt("SELECT count(*) FROM maintenance_commands WHERE asn = $1 AND operation = 'card-block'", {a}), 0);
        QCOMPARE(sqlInt("SELECT count(*) FROM transfers"), transfers);

        // The key settles it: walletctl pay of the same order opens the key, which proves its DEBIT (GET
        // TRANSACTION PROVE: MAC2 and TAC), and the bank completes the purchase; the order is paid once.
        const Run settled = walletctl(kThirdSerial, {QStringLiteral("pay"), link, QStringLiteral("--yes")}, pin);
        QVERIFY2(settled.out.contains("already paid (TAC "), settled.out.constData());
        QCOMPARE(
            sqlInt("SELECT count(*) FROM purchases WHERE asn = $1 AND state = 'completed' AND amount = 500", {a}), 1);
        QCOMPARE(sqlInt("SELECT count(*) FROM purchases WHERE asn = $1 AND state = 'authorised'", {a}), 0);
        QCOMPARE(sqlInt("SELECT shadow_balance FROM cards WHERE asn = $1", {a}), 2500);
        QCOMPARE(ledgerAudit(m_rig), 0);

        const Run closed = closeKey(kThirdSerial);
        QCOMPARE(closed.exitCode, 0);
        // ¥25.00 the key holds (= the shadow balance now) + ¥20.00 left in the funding account.
        QCOMPARE(closed.json.value(QStringLiteral("refunded")).toInteger(), 4500);
        QCOMPARE(
            sqlInt("SELECT key_balance FROM maintenance_commands WHERE asn = $1 AND operation = 'card-block'", {a}),
            2500);
        QCOMPARE(sqlInt("SELECT amount FROM transfers WHERE natural_key = $1", {"closure:" + a}), 2500);
        QCOMPARE(sqlInt("SELECT shadow_balance FROM cards WHERE asn = $1 AND state = 'closed'", {a}), 0);
        QCOMPARE(ledgerAudit(m_rig), 0);
    }

    /// Known outcomes only: the key answered CARD BLOCK with 9000, but skey-bank died before committing the
    /// report (its 5th mutating request of `close`: sign-in, approval, decision, command, outcome). branchctl says
    /// the outcome is unknown (exit 3) and names the command to report; nothing is paid meanwhile. Reported with
    /// `branchctl outcome` (the key's own word, its life cycle terminated), the bank pays back once.
    void lostReportOfCardBlock()
    {
        QString asn;
        QByteArray pin;
        QVERIFY(issueAndLoad(kFourthSerial, 3000, QStringLiteral("10.00"), &asn, &pin));
        const std::string a = asn.toStdString();
        restartBank(QStringLiteral("crash-before-commit:5"));
        const Run lost = closeKey(kFourthSerial);
        QCOMPARE(lost.exitCode, 3);
        QCOMPARE(lost.json.value(QStringLiteral("outcome")).toString(), QStringLiteral("unknown"));
        QCOMPARE(lost.json.value(QStringLiteral("statusWord")).toString(), QStringLiteral("9000"));
        const QString error = lost.json.value(QStringLiteral("error")).toString();
        static const QRegularExpression command(
            QStringLiteral("branchctl outcome --command ([0-9a-f-]{36}) --status-word 9000"));
        const auto m = command.match(error);
        QVERIFY2(m.hasMatch(), qPrintable(error));
        restartBank();
        // Nothing paid, the bank's command unreported; the key itself is terminated.
        QCOMPARE(sqlInt("SELECT count(*) FROM maintenance_commands WHERE asn = $1 AND operation = 'card-block' AND"
                        " outcome IS NULL",
                     {a}),
            1);
        QCOMPARE(sqlInt("SELECT count(*) FROM transfers WHERE natural_key = $1", {"payout:" + a}), 0);
        QCOMPARE(sqlInt("SELECT count(*) FROM cards WHERE asn = $1 AND state = 'active'", {a}), 1);

        const QStringList report{QStringLiteral("outcome"),
            QStringLiteral("--command"),
            m.captured(1),
            QStringLiteral("--status-word"),
            QStringLiteral("9000")};
        const Run reported = branchctl(report, (kTellerPassword + QLatin1Char('\n')).toUtf8());
        QCOMPARE(reported.exitCode, 0);
        QCOMPARE(reported.json.value(QStringLiteral("refunded")).toInteger(), 3000); // ¥10.00 key + ¥20.00 account
        QCOMPARE(sqlInt("SELECT count(*) FROM cards WHERE asn = $1 AND state = 'closed'", {a}), 1);
        QCOMPARE(sqlInt("SELECT amount FROM transfers WHERE natural_key = $1", {"payout:" + a}), 3000);
        // Reported once more: the same record, nothing paid twice.
        const Run again = branchctl(report, (kTellerPassword + QLatin1Char('\n')).toUtf8());
        QCOMPARE(again.exitCode, 0);
        QCOMPARE(sqlInt("SELECT count(*) FROM transfers WHERE natural_key = $1", {"payout:" + a}), 1);
        QCOMPARE(ledgerAudit(m_rig), 0);
    }

    /// The key goes silent during CARD BLOCK (docs/branch.md "Closing an account"): the test runs the key's skey-sim
    /// itself (`branchctl --simulator`) and cuts its power at the NVM write of the command. First the cut comes before
    /// anything is written: branchctl says only that the outcome is unknown and being checked (exit 3, nothing paid,
    /// the bank's command without an outcome); at the next contact the key reads active, so `outcome --from-key`
    /// reports nothing ("did not run"), and the account is closed again. That time the key writes its termination
    /// and goes silent before answering: unknown again, and at the next contact the key's own life cycle
    /// (terminated) is reported as 9000, the bank pays back once; reading it again pays nothing twice.
    void keySilentDuringCardBlock()
    {
        QString asn;
        QByteArray pin;
        QVERIFY(issueAndLoad(kFifthSerial, 2500, QStringLiteral("15.00"), &asn, &pin));
        const std::string a = asn.toStdString();
        QProcess sim;
        sim.start(qEnvironmentVariable("SKEY_SIM_PATH"),
            {QStringLiteral("--nvm"),
                m_dir.filePath(QStringLiteral("keys/%1/token.nvm").arg(kFifthSerial)),
                QStringLiteral("--hid-port"),
                QStringLiteral("0"),
                QStringLiteral("--control-port"),
                QStringLiteral("0")});
        QVERIFY(sim.waitForStarted());
        QByteArray ready;
        for (int i = 0; i < 100 && !ready.contains('\n'); ++i) {
            sim.waitForReadyRead(200);
            ready += sim.readAllStandardOutput();
        }
        static const QRegularExpression ports(QStringLiteral("READY hid=(\\d+) control=(\\d+)"));
        const auto m = ports.match(QString::fromLatin1(ready));
        QVERIFY2(m.hasMatch(), ready.constData());
        const QString key = QStringLiteral("127.0.0.1:") + m.captured(1);
        const wallet::device::SimulatorControl control(static_cast<std::uint16_t>(m.captured(2).toUInt()));
        const QByteArray passwords
            = (kTellerPassword + QLatin1Char('\n') + kSupervisorPassword + QLatin1Char('\n')).toUtf8();
        const QStringList close{QStringLiteral("close"),
            QStringLiteral("--simulator"),
            key,
            QStringLiteral("--supervisor"),
            QStringLiteral("wang.supervisor")};

        // 1. Power off at CARD BLOCK's first NVM write, which then writes nothing: the key never answers.
        QVERIFY(control.send(QStringLiteral("power-cut-at 1 nothing")).ok());
        const Run silent = branchctl(close, passwords);
        QCOMPARE(silent.exitCode, 3);
        QCOMPARE(silent.json.value(QStringLiteral("outcome")).toString(), QStringLiteral("unknown"));
        QVERIFY(!silent.json.contains(QStringLiteral("refunded")));
        const QString said = silent.json.value(QStringLiteral("error")).toString();
        QVERIFY2(said.contains(QStringLiteral("outcome is unknown and is being checked")), qPrintable(said));
        QVERIFY2(!silent.out.contains("Pay the customer"), silent.out.constData());
        static const QRegularExpression command(
            QStringLiteral("branchctl outcome --command ([0-9a-f-]{36}) --from-key"));
        const auto first = command.match(said);
        QVERIFY2(first.hasMatch(), qPrintable(said));
        QCOMPARE(sqlInt("SELECT count(*) FROM maintenance_commands WHERE id = $1 AND operation = 'card-block' AND"
                        " outcome IS NULL",
                     {first.captured(1).toStdString()}),
            1);
        QCOMPARE(sqlInt("SELECT count(*) FROM cards WHERE asn = $1 AND state = 'active'", {a}), 1);
        QCOMPARE(
            sqlInt("SELECT count(*) FROM transfers WHERE natural_key IN ($1, $2)", {"closure:" + a, "payout:" + a}), 0);

        // The next contact: the key is back and reads active, so CARD BLOCK did not run: nothing reported or paid.
        QVERIFY(control.send(QStringLiteral("replug")).ok());
        const QStringList fromKey{QStringLiteral("outcome"),
            QStringLiteral("--command"),
            first.captured(1),
            QStringLiteral("--from-key"),
            QStringLiteral("--simulator"),
            key};
        const Run notRun = branchctl(fromKey, (kTellerPassword + QLatin1Char('\n')).toUtf8());
        QCOMPARE(notRun.exitCode, 1);
        QVERIFY2(notRun.json.value(QStringLiteral("error")).toString().contains(QStringLiteral("did not run")),
            notRun.out.constData());
        QCOMPARE(sqlInt("SELECT count(*) FROM maintenance_commands WHERE id = $1 AND outcome IS NULL",
                     {first.captured(1).toStdString()}),
            1);
        QCOMPARE(sqlInt("SELECT count(*) FROM transfers WHERE natural_key = $1", {"payout:" + a}), 0);

        // 2. Closed again: this time the key writes its termination (the 2nd write: the secure-messaging try is
        // spent first) and the power goes before it answers.
        QVERIFY(control.send(QStringLiteral("power-cut-at 2 full")).ok());
        const Run silentAgain = branchctl(close, passwords);
        QCOMPARE(silentAgain.exitCode, 3);
        QCOMPARE(silentAgain.json.value(QStringLiteral("outcome")).toString(), QStringLiteral("unknown"));
        const auto second = command.match(silentAgain.json.value(QStringLiteral("error")).toString());
        QVERIFY2(second.hasMatch(), silentAgain.out.constData());
        QVERIFY(second.captured(1) != first.captured(1));
        QCOMPARE(sqlInt("SELECT count(*) FROM transfers WHERE natural_key = $1", {"payout:" + a}), 0);
        QCOMPARE(sqlInt("SELECT count(*) FROM cards WHERE asn = $1 AND state = 'active'", {a}), 1);

        QVERIFY(control.send(QStringLiteral("replug")).ok());
        QStringList fromKey2 = fromKey;
        fromKey2[2] = second.captured(1);
        const Run resolved = branchctl(fromKey2, (kTellerPassword + QLatin1Char('\n')).toUtf8());
        QCOMPARE(resolved.exitCode, 0);
        QCOMPARE(resolved.json.value(QStringLiteral("outcome")).toString(), QStringLiteral("9000"));
        QCOMPARE(resolved.json.value(QStringLiteral("key")).toObject().value(QStringLiteral("lifeCycle")).toString(),
            QStringLiteral("terminated"));
        QCOMPARE(resolved.json.value(QStringLiteral("refunded")).toInteger(), 2500); // ¥15.00 key + ¥10.00 account
        QCOMPARE(sqlInt("SELECT count(*) FROM cards WHERE asn = $1 AND state = 'closed'", {a}), 1);
        QCOMPARE(sqlInt("SELECT amount FROM transfers WHERE natural_key = $1", {"payout:" + a}), 2500);
        const Run again = branchctl(fromKey2, (kTellerPassword + QLatin1Char('\n')).toUtf8());
        QCOMPARE(again.exitCode, 0);
        QCOMPARE(sqlInt("SELECT count(*) FROM transfers WHERE natural_key = $1", {"payout:" + a}), 1);
        // The first command never ran and can never run (its challenge is spent): it stays without an outcome.
        QCOMPARE(sqlInt("SELECT count(*) FROM maintenance_commands WHERE id = $1 AND outcome IS NULL",
                     {first.captured(1).toStdString()}),
            1);
        QCOMPARE(ledgerAudit(m_rig), 0);
        sim.terminate();
        QVERIFY(sim.waitForFinished(10000));
    }

    /// Without any key option branchctl uses the USB key through hidapi; with none plugged in (no USB here) it says
    /// so before anything reaches the key or the bank's services: "plug in a key", nothing done.
    void noUsbKeyPlugIn()
    {
        const int approvals = static_cast<int>(sqlInt("SELECT count(*) FROM approvals"));
        const Run r
            = branchctl({QStringLiteral("close"), QStringLiteral("--supervisor"), QStringLiteral("wang.supervisor")},
                (kTellerPassword + QLatin1Char('\n') + kSupervisorPassword + QLatin1Char('\n')).toUtf8());
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.json.value(QStringLiteral("error")).toString().contains(QStringLiteral("plug in a key")),
            r.out.constData());
        QCOMPARE(r.json.value(QStringLiteral("outcome")).toString(), QStringLiteral("not-done"));
        QCOMPARE(sqlInt("SELECT count(*) FROM approvals"), approvals);
    }

    /// The audit log (issue 13): `bankctl audit export` writes every row as CSV with who, the supervisor and the
    /// outcome of each staff action; a deleted row is named by `bankctl audit verify` (an edited one:
    /// test_bank_issuance).
    void auditExportAndADeletedRow()
    {
        const QString csv = m_dir.filePath(QStringLiteral("audit.csv"));
        QString out;
        QCOMPARE(
            m_rig.bankctl({QStringLiteral("audit"), QStringLiteral("export"), QStringLiteral("--out"), csv}, &out), 0);
        QFile f(csv);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = f.readAll().trimmed().split('\n');
        QCOMPARE(
            lines.first(), QByteArray("seq,time,terminal,staff,supervisor,action,asn,subject,outcome,detail,hash"));
        QCOMPARE(lines.size() - 1, sqlInt("SELECT count(*) FROM audit_log"));
        // The closure and the replacement: the teller, the approving supervisor, the outcome.
        const auto staffId = [&](const char* user) {
            auto r = m_rig.db().exec("SELECT id FROM staff WHERE username = $1", {std::string(user)});
            return r && r->rows() == 1 ? QByteArray::fromStdString(r->text(0, 0)) : QByteArray("?");
        };
        const auto row = [&](const QByteArray& action, const QString& asn) {
            for (const QByteArray& l : lines) {
                if (l.contains(",\"" + action + "\",") && l.contains(asn.toLatin1())) {
                    return l;
                }
            }
            return QByteArray();
        };
        const QByteArray closure = row("maintenance.card-block", m_newAsn);
        QVERIFY2(!closure.isEmpty(), lines.join('\n').constData());
        QVERIFY2(closure.contains("\"prepared\""), closure.constData());
        QVERIFY2(closure.contains(",\"" + staffId("li.teller") + "\",\"" + staffId("wang.supervisor") + "\","),
            closure.constData());
        QVERIFY2(!row("card.replaced", m_lostAsn).isEmpty(), lines.join('\n').constData());
        QCOMPARE(
            sqlInt("SELECT count(*) FROM audit_log WHERE action = 'maintenance.card-block' AND staff_id IS NOT NULL"
                   " AND supervisor_id IS NOT NULL AND staff_id <> supervisor_id"),
            5); // the closures above (the silent key's two CARD BLOCKs included)

        QCOMPARE(m_rig.bankctl({QStringLiteral("audit"), QStringLiteral("verify")}, &out), 0);
        const qint64 victim = sqlInt("SELECT min(seq) FROM audit_log WHERE action = 'card.replaced'");
        QVERIFY(victim > 0);
        QVERIFY(m_rig.db().exec("DELETE FROM audit_log WHERE seq = $1", {std::to_string(victim)}).ok());
        QCOMPARE(m_rig.bankctl({QStringLiteral("audit"), QStringLiteral("verify")}, &out), 1);
        const qint64 next = sqlInt("SELECT min(seq) FROM audit_log WHERE seq > $1", {std::to_string(victim)});
        QVERIFY2(
            out.contains(QStringLiteral("row %1: does not link to the row before it (a row was deleted").arg(next)),
            qPrintable(out));
    }

    void cleanupTestCase() { m_rig.stopServer(); }
};

SKEY_TEST_MAIN(TestBranchctlServices)

#include "TestBranchctlServices.moc"
