// SPDX-License-Identifier: Apache-2.0
// The branch station end to end (issue 13, docs/branch.md), driven like a teller drives it: the real QML window of
// smartkey-branch (BranchRoot, under Xvfb) clicked and typed at with mouse and key events (tests/support/
// QuickDriver), its visible texts checked and screenshots saved, in the language of SKEY_BRANCH_LANGUAGE (en or
// zh_CN; ctest runs both). Behind it the real parts: PostgreSQL, SoftHSM2 and skey-bank (BankRig), a blank skey-sim
// key whose KT skey-sim derived from the development manufacturer key. After issuance walletctl loads and pays
// with the new key through the bank.
#include "app/branch/BranchRoot.h"
#include "branch/BranchTestSupport.h"
#include "core/purse/Clock.h"
#include "support/QuickDriver.h"
#include "support/Skip.h"

#include <QDir>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QQuickWindow>
#include <QStandardPaths>
#include <QTest>
#include <QUuid>
#include <QtQml/qqmlextensionplugin.h>

#include <cstdio>

Q_IMPORT_QML_PLUGIN(SmartKey_Branch_UiPlugin)

using namespace wallet;
using namespace wallet::bank::test;

namespace {

const QString kTellerPassword = QStringLiteral("teller long passphrase 1");
const QString kSupervisorPassword = QStringLiteral("supervisor passphrase 22");
const QString kSerial = QStringLiteral("534B000000000101");
const QString kReplacementSerial = QStringLiteral("534B000000000104");
const QString kAuditorPassword = QStringLiteral("auditor passphrase 333");
const QString kIdNumber = QStringLiteral("11010519491231002X");
const QString kBlockedSerial = QStringLiteral("534B000000000106");

} // namespace

class TestBranchStation : public QObject
{
    Q_OBJECT

private:
    BankRig m_rig;
    QTemporaryDir m_station;
    QString m_language = qEnvironmentVariable("SKEY_BRANCH_LANGUAGE", QStringLiteral("en"));
    QString m_shots;
    core::FixedClock m_clock{QDateTime(QDate(2026, 12, 2), QTime(9, 0), Qt::UTC)};
    std::unique_ptr<branch::BranchRoot> m_root;
    std::unique_ptr<test::QuickDriver> m_ui;
    QString m_asn;
    QString m_replacementAsn;

    [[nodiscard]] bool zh() const { return m_language == QLatin1String("zh_CN"); }
    [[nodiscard]] QString T(const char* en, const char* zhText) const
    {
        return zh() ? QString::fromUtf8(zhText) : QString::fromUtf8(en);
    }

    void shot(const QString& name)
    {
        m_ui->settle();
        const QImage img = m_root->window()->grabWindow();
        const QString path = QDir(m_shots).filePath(QStringLiteral("branch-%1-%2.png").arg(m_language, name));
        QVERIFY2(img.save(path), qPrintable(path));
    }

    QString writeConfig(const QString& dir, const QString& certificate)
    {
        return writeBankClientConfig(m_rig, dir, certificate);
    }

    int sqlInt(const std::string& sql, const std::vector<std::optional<std::string>>& params = {})
    {
        return static_cast<int>(sqlInteger(m_rig, sql, params));
    }

    bool clickIn(const char* name, const char* scope)
    {
        const bool ok = m_ui->click(QString::fromLatin1(name), QString::fromLatin1(scope));
        if (!ok) {
            qWarning("click %s in %s: %s", name, scope, qPrintable(m_ui->lastError()));
        }
        return ok;
    }

    bool click(const char* name)
    {
        const bool ok = m_ui->click(QString::fromLatin1(name));
        if (!ok) {
            qWarning("click %s: %s", name, qPrintable(m_ui->lastError()));
        }
        return ok;
    }

    /// The customer types on the pad (mouse clicks on its keys), then OK.
    bool typePin(const QString& pin, const QString& pad)
    {
        for (const QChar c : pin) {
            if (!m_ui->click(QStringLiteral("pinKey") + c, pad)) {
                qWarning("pin key: %s", qPrintable(m_ui->lastError()));
                return false;
            }
        }
        // The teller's screen shows dots only.
        const QString dots = m_ui->text(QStringLiteral("pinDots"), pad);
        if (dots != QStringLiteral("●●●●●●")) {
            qWarning("pad shows %s", qPrintable(dots));
            return false;
        }
        if (!m_ui->click(QStringLiteral("pinOk"), pad)) {
            qWarning("pin OK: %s", qPrintable(m_ui->lastError()));
            return false;
        }
        return true;
    }

    bool texts(const QString& name, const QString& contains, int timeoutMs = 60000)
    {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < timeoutMs) {
            if (m_ui->text(name).contains(contains)) {
                return true;
            }
            QTest::qWait(50);
        }
        qWarning("%s shows \"%s\", not \"%s\"", qPrintable(name), qPrintable(m_ui->text(name)), qPrintable(contains));
        return false;
    }

    struct Run
    {
        int exitCode = -1;
        QByteArray out;
    };
    Run walletctl(const QString& dataDir, const QStringList& args, const QByteArray& stdinData = {})
    {
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("WALLETCTL_PASSPHRASE"), QStringLiteral("test passphrase"));
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(WALLETCTL_PATH),
            QStringList{QStringLiteral("--json"),
                QStringLiteral("--data-dir"),
                dataDir,
                QStringLiteral("--bank-config"),
                QDir(m_station.path()).filePath(QStringLiteral("wallet/bank-client.json"))}
                + args);
        p.write(stdinData);
        p.closeWriteChannel();
        Run r;
        if (!p.waitForFinished(180000)) {
            p.kill();
            p.waitForFinished();
        }
        r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        r.out = p.readAll();
        return r;
    }

    void signIn(const QString& user, const QString& password)
    {
        QVERIFY(m_ui->waitShown(QStringLiteral("usernameField")));
        QVERIFY(m_ui->typeInto(QStringLiteral("usernameField"), user));
        QVERIFY(m_ui->typeInto(QStringLiteral("passwordField"), password));
        QVERIFY(click("signInButton"));
    }

private slots:
    void initTestCase()
    {
        if (auto missing = BankRig::missingPart()) {
            SKEY_SKIP(QStringLiteral("not on this machine: ") + *missing);
        }
        m_shots = qEnvironmentVariable("SKEY_SCREENSHOT_DIR", m_station.filePath(QStringLiteral("screenshots")));
        QDir().mkpath(m_shots);
        std::printf("screenshots in %s\n", qPrintable(m_shots));
        const QString up = m_rig.setUp();
        QVERIFY2(up.isEmpty(), qPrintable(up));
        QString out;
        QCOMPARE(m_rig.bankctl({QStringLiteral("keys"), QStringLiteral("init")}, &out), 0);
        QCOMPARE(m_rig.bankctl(
                     {QStringLiteral("keys"), QStringLiteral("manufacturer"), QStringLiteral("--development")}, &out),
            0);
        QVERIFY(addStaff(m_rig, QStringLiteral("li.teller"), QStringLiteral("teller"), kTellerPassword));
        QVERIFY(addStaff(m_rig, QStringLiteral("wang.supervisor"), QStringLiteral("supervisor"), kSupervisorPassword));
        QVERIFY(addStaff(m_rig, QStringLiteral("zhou.auditor"), QStringLiteral("auditor"), kAuditorPassword));
        // A merchant whose order the new key pays (walletctl pay), and the order-signing certificate.
        QVERIFY(m_rig.makeClientCertificate(QStringLiteral("shop"), QStringLiteral("/OU=merchant/CN=445566778899"))
                    .isEmpty());
        QCOMPARE(m_rig.bankctl({QStringLiteral("merchants"),
                                   QStringLiteral("add"),
                                   QStringLiteral("--name"),
                                   QStringLiteral("Demo Tea House"),
                                   QStringLiteral("--credential"),
                                   QStringLiteral("445566778899"),
                                   QStringLiteral("--terminal"),
                                   QStringLiteral("112233445566")},
                     &out),
            0);
        QCOMPARE(m_rig.bankctl({QStringLiteral("orders"),
                                   QStringLiteral("certify"),
                                   QStringLiteral("--ca-key"),
                                   m_rig.tlsPath(QStringLiteral("ca.key"))},
                     &out),
            0);
        const QString started = m_rig.startServer();
        QVERIFY2(started.isEmpty(), qPrintable(started));
        const QString config = writeConfig(m_station.path(), QStringLiteral("branch"));
        QVERIFY(!config.isEmpty());
        QDir().mkpath(m_station.filePath(QStringLiteral("wallet")));
        QVERIFY(!writeConfig(m_station.filePath(QStringLiteral("wallet")), QStringLiteral("client")).isEmpty());

        branch::BranchRoot::Options o;
        o.dataDir = m_station.filePath(QStringLiteral("station"));
        o.bankConfig = config;
        o.language = m_language;
        o.simulatedSerial = kSerial;
        o.idleSeconds = 300;
        o.clock = &m_clock;
        m_root = std::make_unique<branch::BranchRoot>(o);
        QVERIFY(m_root->createWindow());
        m_root->window()->resize(1100, 900);
        QVERIFY(QTest::qWaitForWindowExposed(m_root->window()));
        m_ui = std::make_unique<test::QuickDriver>(m_root->window());
    }

    void signInAndTimedOutSession()
    {
        QVERIFY(m_ui->waitShown(QStringLiteral("signInTitle")));
        QVERIFY(m_ui->shows(T("Branch station: staff sign-in", "网点工作站：员工登录")));
        // A wrong password: refused, still on the sign-in page.
        signIn(QStringLiteral("li.teller"), QStringLiteral("not the right one"));
        QVERIFY(texts(QStringLiteral("signInMessage"), T("Wrong user name or password.", "用户名或密码错误。")));
        QVERIFY(!m_ui->isShown(QStringLiteral("signedInAs")));
        shot(QStringLiteral("01-sign-in-refused"));
        signIn(QStringLiteral("li.teller"), kTellerPassword);
        QVERIFY(m_ui->waitShown(QStringLiteral("signedInAs")));
        QVERIFY(texts(QStringLiteral("signedInAs"), QStringLiteral("li.teller")));
        QVERIFY(m_ui->shows(T("teller", "柜员")));
        shot(QStringLiteral("02-signed-in"));
        // Five minutes without input (the injected clock moves, nothing waits): the session is over.
        m_clock.advanceSeconds(299);
        m_root->staff()->checkIdle();
        QVERIFY(m_ui->isShown(QStringLiteral("signedInAs")));
        m_clock.advanceSeconds(2);
        QVERIFY(m_ui->waitShown(QStringLiteral("signInTitle"), {}, 5000));
        QVERIFY(texts(QStringLiteral("signInMessage"), T("timed out", "超时")));
        QVERIFY(!m_ui->isShown(QStringLiteral("signedInAs")));
        shot(QStringLiteral("03-session-timed-out"));
        signIn(QStringLiteral("li.teller"), kTellerPassword);
        QVERIFY(m_ui->waitShown(QStringLiteral("signedInAs")));
    }

    void issueSimulatedKey()
    {
        QVERIFY(click("issueTab"));
        QVERIFY(click("detectKeyButton"));
        QVERIFY(texts(QStringLiteral("issueMessage"), kSerial));
        QVERIFY(texts(QStringLiteral("issueMessage"), T("Blank key", "空白密钥")));
        // The form checks each field: a resident ID number with a wrong check character, a phone without +86.
        QVERIFY(m_ui->typeInto(QStringLiteral("nameField"), QStringLiteral("Zhang San")));
        QVERIFY(m_ui->typeInto(QStringLiteral("idNumberField"), QStringLiteral("110105194912310021")));
        QVERIFY(m_ui->typeInto(QStringLiteral("phoneField"), QStringLiteral("13800138000")));
        QVERIFY(click("issueButton"));
        QVERIFY(texts(
            QStringLiteral("idNumberFieldError"), T("Not a valid resident ID number", "不是有效的居民身份证号码")));
        QVERIFY(texts(QStringLiteral("phoneFieldError"), QStringLiteral("+8613800138000")));
        shot(QStringLiteral("04-form-checked"));
        QCOMPARE(sqlInt("SELECT count(*) FROM issuance_jobs"), 0);
        QVERIFY(m_ui->typeInto(QStringLiteral("idNumberField"), QStringLiteral("11010519491231002X")));
        QVERIFY(m_ui->typeInto(QStringLiteral("phoneField"), QStringLiteral("+8613800138000")));
        QVERIFY(click("issueButton"));
        // The bank allocated the account; the customer sets the PIN twice on the pad.
        QVERIFY(m_ui->waitShown(QStringLiteral("issuePinPad"), {}, 60000));
        m_asn = m_root->issue()->asn();
        QVERIFY(m_asn.startsWith(QStringLiteral("8860")));
        QVERIFY(typePin(QStringLiteral("123456"), QStringLiteral("issuePinPad")));
        QVERIFY(texts(QStringLiteral("pinMessage"), T("Enter the same PIN again.", "请再次输入相同的密码。")));
        shot(QStringLiteral("05-pin-pad"));
        QVERIFY(typePin(QStringLiteral("123456"), QStringLiteral("issuePinPad")));
        QVERIFY(m_ui->waitShown(QStringLiteral("receiptLabel"), {}, 120000));
        QVERIFY(texts(QStringLiteral("issueMessage"), m_asn));
        shot(QStringLiteral("06-issued"));
        // No digit of the PIN on the teller's screen.
        for (const QString& t : m_ui->visibleTexts()) {
            QVERIFY2(!t.contains(QStringLiteral("123456")), qPrintable(t));
        }
        QCOMPARE(sqlInt("SELECT count(*) FROM cards WHERE asn = $1 AND state = 'active' AND device_serial = $2",
                     {m_asn.toStdString(), kSerial.toStdString()}),
            1);
        QVERIFY(sqlInt("SELECT count(*) FROM audit_log WHERE action = 'issuance.completed' AND asn = $1",
                    {m_asn.toStdString()})
            == 1);
        QFile receipt(m_root->issue()->receiptPath());
        QVERIFY(receipt.open(QIODevice::ReadOnly));
        const QByteArray pdf = receipt.readAll();
        QVERIFY(pdf.startsWith("%PDF"));
        QVERIFY(!pdf.contains("123456"));
        // The same key again: already issued, refused at the desk, and the bank refuses a second job.
        QVERIFY(click("detectKeyButton"));
        QVERIFY(texts(QStringLiteral("issueMessage"), T("already issued", "已经发行")));
    }

    /// A blank key whose KT was not made from the bank's manufacturer key (the spec's development KT): the key
    /// refuses step 1, the desk says so, and no card is written.
    void wrongTransportKeyRefused()
    {
        m_root->context().plugSimulatedKey(
            QStringLiteral("534B000000000103"), QStringLiteral("4B544B544B544B544B544B544B544B54"));
        QVERIFY(click("detectKeyButton"));
        QVERIFY(texts(QStringLiteral("issueMessage"), QStringLiteral("534B000000000103")));
        QVERIFY(m_ui->typeInto(QStringLiteral("idNumberField"), QStringLiteral("11010519491231002X")));
        QVERIFY(click("issueButton"));
        QVERIFY(m_ui->waitShown(QStringLiteral("issuePinPad"), {}, 60000));
        QVERIFY(typePin(QStringLiteral("111111"), QStringLiteral("issuePinPad")));
        QVERIFY(typePin(QStringLiteral("111111"), QStringLiteral("issuePinPad")));
        QVERIFY(texts(QStringLiteral("issueMessage"), T("refused the bank's transport key", "拒绝了银行的传输密钥")));
        shot(QStringLiteral("06b-wrong-kt-refused"));
        QCOMPARE(sqlInt("SELECT count(*) FROM cards WHERE device_serial = '534B000000000103'"), 0);
        QCOMPARE(sqlInt("SELECT count(*) FROM issuance_jobs WHERE device_serial = '534B000000000103' AND state ="
                        " 'failed'"),
            1);
    }

    void walletctlLoadsAndPaysWithTheNewKey()
    {
        QVERIFY(!m_asn.isEmpty());
        // Unplug: another key on the desk, so walletctl can open this key's state.
        m_root->context().plugSimulatedKey(QStringLiteral("534B000000000102"));
        m_root->context().worker().drain();
        QString out;
        QCOMPARE(m_rig.bankctl({QStringLiteral("accounts"),
                                   QStringLiteral("deposit"),
                                   QStringLiteral("--asn"),
                                   m_asn,
                                   QStringLiteral("--amount"),
                                   QStringLiteral("5000"),
                                   QStringLiteral("--reference"),
                                   QStringLiteral("counter-1")},
                     &out),
            0);
        const QString walletDir = QDir(m_root->context().keyDir(kSerial)).filePath(QStringLiteral(".."));
        const Run load = walletctl(
            walletDir, {QStringLiteral("load"), QStringLiteral("20.00"), QStringLiteral("--yes")}, "123456\n");
        QVERIFY2(load.exitCode == 0, load.out.constData());
        const QJsonObject order
            = merchantOrder(m_rig, 300, QStringLiteral("BRANCH-0001"), QStringLiteral("2 x jasmine tea"));
        QVERIFY2(!order.value(QStringLiteral("paymentLink")).toString().isEmpty(),
            QJsonDocument(order).toJson().constData());
        const Run pay = walletctl(walletDir,
            {QStringLiteral("pay"), order.value(QStringLiteral("paymentLink")).toString(), QStringLiteral("--yes")},
            "123456\n");
        QVERIFY2(pay.exitCode == 0, pay.out.constData());
        QCOMPARE(sqlInt("SELECT shadow_balance FROM cards WHERE asn = $1", {m_asn.toStdString()}), 1700);
        m_root->context().plugSimulatedKey(kSerial);
        m_root->context().worker().drain();
    }

    void servicesShowTheStateBeforeAndAfter()
    {
        QVERIFY(!m_asn.isEmpty());
        QVERIFY(click("servicesTab"));
        QVERIFY(click("readKeyButton"));
        QVERIFY(texts(QStringLiteral("stateBefore"), m_asn));
        QVERIFY(texts(QStringLiteral("stateBefore"), T("active", "正常")));
        // Temporary block, then unblock.
        QVERIFY(click("tempBlockButton"));
        QVERIFY(texts(QStringLiteral("stateAfter"), T("blocked", "已锁定")));
        shot(QStringLiteral("07-blocked"));
        QVERIFY(click("readKeyButton"));
        QVERIFY(texts(QStringLiteral("stateBefore"), T("blocked", "已锁定")));
        QVERIFY(click("unblockButton"));
        QVERIFY(texts(QStringLiteral("stateAfter"), T("active", "正常")));
        QCOMPARE(sqlInt("SELECT count(*) FROM cards WHERE asn = $1 AND state = 'active'", {m_asn.toStdString()}), 1);
        // The customer typed a wrong PIN three times at their wallet: the key's PIN is blocked (6983).
        bool blocked = false;
        m_root->context().run<int>(
            this,
            [](core::BranchStation& s) -> core::Result<int> {
                (void)s.sendRaw(QByteArray::fromHex("00A404000AD15600000145442F4550"));
                for (int i = 0; i < 3; ++i) {
                    (void)s.sendRaw(QByteArray::fromHex("0020000003999999"));
                }
                auto r = s.sendRaw(QByteArray::fromHex("0020000003123456"));
                return r ? int(r->sw()) : 0;
            },
            [&blocked](core::Result<int> sw) { blocked = sw && *sw == 0x6983; });
        QTRY_VERIFY_WITH_TIMEOUT(blocked, 30000);
        // PIN unblock only after the ID check is ticked; the customer types the current PIN.
        QVERIFY(click("pinUnblockButton"));
        QVERIFY(texts(QStringLiteral("serviceMessage"), T("Check the customer's ID document", "请先核验客户证件")));
        QVERIFY(click("idCheckedBox"));
        QVERIFY(click("pinUnblockButton"));
        QVERIFY(m_ui->waitShown(QStringLiteral("servicePinPad")));
        QVERIFY(typePin(QStringLiteral("123456"), QStringLiteral("servicePinPad")));
        QVERIFY(texts(QStringLiteral("serviceMessage"), T("Done: pin-unblock", "完成：pin-unblock")));
        QVERIFY(texts(QStringLiteral("stateAfter"), T("active", "正常")));
        QCOMPARE(sqlInt("SELECT count(*) FROM maintenance_commands WHERE asn = $1 AND operation = 'pin-unblock' AND"
                        " outcome = '9000'",
                     {m_asn.toStdString()}),
            1);
        // The bank recorded the ID check: who, which document, when; the document's number nowhere in the audit.
        QCOMPARE(sqlInt("SELECT count(*) FROM maintenance_commands m JOIN staff s ON s.id = m.staff_id WHERE m.asn = $1"
                        " AND m.operation = 'pin-unblock' AND m.id_document = 'resident-id' AND m.id_checked_at IS NOT"
                        " NULL AND s.username = 'li.teller'",
                     {m_asn.toStdString()}),
            1);
        QCOMPARE(sqlInt("SELECT count(*) FROM audit_log WHERE action = 'maintenance.pin-unblock' AND asn = $1 AND"
                        " detail = 'ID checked: resident-id'",
                     {m_asn.toStdString()}),
            1);
        QCOMPARE(sqlInt("SELECT count(*) FROM audit_log WHERE concat(detail, subject, outcome) LIKE $1",
                     {"%" + kIdNumber.toStdString() + "%"}),
            0);
        shot(QStringLiteral("08-pin-unblocked"));
    }

    void refusedSupervisorApproval()
    {
        const int before = sqlInt("SELECT count(*) FROM maintenance_commands");
        QVERIFY(click("pinReloadButton"));
        QVERIFY(m_ui->waitShown(QStringLiteral("approvalPanel")));
        QVERIFY(m_ui->typeInto(QStringLiteral("supervisorUser"), QStringLiteral("wang.supervisor")));
        QVERIFY(m_ui->typeInto(QStringLiteral("supervisorPassword"), QStringLiteral("not the supervisor pw")));
        QVERIFY(click("approveButton"));
        QVERIFY(texts(QStringLiteral("serviceMessage"), T("Nothing was done.", "未执行任何操作。")));
        QVERIFY(texts(QStringLiteral("serviceMessage"), T("not accepted", "未通过")));
        QVERIFY(!m_ui->isShown(QStringLiteral("servicePinPad")));
        shot(QStringLiteral("09-approval-refused"));
        // The supervisor refuses outright.
        QVERIFY(click("pinReloadButton"));
        QVERIFY(m_ui->typeInto(QStringLiteral("supervisorUser"), QStringLiteral("wang.supervisor")));
        QVERIFY(m_ui->typeInto(QStringLiteral("supervisorPassword"), kSupervisorPassword));
        QVERIFY(click("refuseButton"));
        QVERIFY(texts(QStringLiteral("serviceMessage"), T("The supervisor refused.", "主管已拒绝。")));
        QCOMPARE(sqlInt("SELECT count(*) FROM maintenance_commands"), before);
        QCOMPARE(sqlInt("SELECT count(*) FROM approvals WHERE state = 'refused'"), 1);
    }

    void pinReloadWithApproval()
    {
        QVERIFY(click("idDocPassport")); // this time the customer shows a passport
        QVERIFY(click("pinReloadButton"));
        QVERIFY(m_ui->typeInto(QStringLiteral("supervisorUser"), QStringLiteral("wang.supervisor")));
        QVERIFY(m_ui->typeInto(QStringLiteral("supervisorPassword"), kSupervisorPassword));
        shot(QStringLiteral("10-approval"));
        QVERIFY(click("approveButton"));
        QVERIFY(m_ui->waitShown(QStringLiteral("servicePinPad"), {}, 60000));
        QVERIFY(typePin(QStringLiteral("654321"), QStringLiteral("servicePinPad")));
        QVERIFY(typePin(QStringLiteral("654321"), QStringLiteral("servicePinPad")));
        QVERIFY(texts(QStringLiteral("serviceMessage"), T("Done: pin-reload", "完成：pin-reload")));
        QCOMPARE(sqlInt("SELECT count(*) FROM audit_log WHERE action = 'maintenance.pin-reload' AND supervisor_id IS"
                        " NOT NULL"),
            1);
        QCOMPARE(sqlInt("SELECT count(*) FROM maintenance_commands WHERE operation = 'pin-reload' AND outcome = '9000'"
                        " AND id_document = 'passport' AND id_checked_at IS NOT NULL"),
            1);
        shot(QStringLiteral("11-pin-reloaded"));
    }

    void reportLost()
    {
        QVERIFY(click("reportLostButton"));
        QVERIFY(texts(QStringLiteral("stateAfter"), T("hot-listed", "已列入黑名单")));
        QCOMPARE(sqlInt("SELECT count(*) FROM cards WHERE asn = $1 AND hotlisted", {m_asn.toStdString()}), 1);
        shot(QStringLiteral("12-reported-lost"));
        // A load is refused now.
        m_root->context().plugSimulatedKey(QStringLiteral("534B000000000102"));
        m_root->context().worker().drain();
        const QString walletDir = QDir(m_root->context().keyDir(kSerial)).filePath(QStringLiteral(".."));
        const Run load = walletctl(
            walletDir, {QStringLiteral("load"), QStringLiteral("1.00"), QStringLiteral("--yes")}, "654321\n");
        QVERIFY2(load.exitCode != 0, load.out.constData());
        QVERIFY2(load.out.contains("card-hotlisted"), load.out.constData());
    }

    /// The lost key is replaced: a new blank key, the same customer, the lost key's ASN, a supervisor's approval.
    /// The bank moves what it vouches for on the lost key (its shadow balance, ¥17.00 after the ¥3.00 purchase) to
    /// the customer's funding account, closes the lost key, and walletctl loads it onto the new key.
    void replaceLostKey()
    {
        QVERIFY(!m_asn.isEmpty());
        QCOMPARE(sqlInt("SELECT shadow_balance FROM cards WHERE asn = $1", {m_asn.toStdString()}), 1700);
        m_root->context().plugSimulatedKey(kReplacementSerial);
        m_root->context().worker().drain();
        QVERIFY(click("issueTab"));
        QVERIFY(click("detectKeyButton"));
        QVERIFY(texts(QStringLiteral("issueMessage"), kReplacementSerial));
        QVERIFY(m_ui->typeInto(QStringLiteral("nameField"), QStringLiteral("Zhang San")));
        QVERIFY(m_ui->typeInto(QStringLiteral("idNumberField"), kIdNumber));
        QVERIFY(m_ui->typeInto(QStringLiteral("phoneField"), QStringLiteral("+8613800138000")));
        QVERIFY(m_ui->typeInto(QStringLiteral("replacesAsnField"), m_asn));
        QVERIFY(click("issueButton"));
        QVERIFY(m_ui->waitShown(QStringLiteral("issueApprovalPanel")));
        QVERIFY(texts(QStringLiteral("approvalTitle"), T("replacing a lost key", "补发挂失密钥")));
        QVERIFY(m_ui->typeInto(
            QStringLiteral("supervisorUser"), QStringLiteral("wang.supervisor"), QStringLiteral("issueApprovalPanel")));
        QVERIFY(m_ui->typeInto(
            QStringLiteral("supervisorPassword"), kSupervisorPassword, QStringLiteral("issueApprovalPanel")));
        shot(QStringLiteral("13-replacement-approval"));
        QVERIFY(clickIn("approveButton", "issueApprovalPanel"));
        QVERIFY(m_ui->waitShown(QStringLiteral("issuePinPad"), {}, 60000));
        const QString newAsn = m_root->issue()->asn();
        QVERIFY(newAsn.startsWith(QStringLiteral("8860")) && newAsn != m_asn);
        QVERIFY(typePin(QStringLiteral("123456"), QStringLiteral("issuePinPad")));
        QVERIFY(typePin(QStringLiteral("123456"), QStringLiteral("issuePinPad")));
        QVERIFY(m_ui->waitShown(QStringLiteral("receiptLabel"), {}, 120000));
        QVERIFY(texts(QStringLiteral("issueMessage"), newAsn));
        QVERIFY(texts(QStringLiteral("issueMessage"), QStringLiteral("¥17.00")));
        QVERIFY(texts(QStringLiteral("issueMessage"), m_asn));
        shot(QStringLiteral("14-replaced"));
        const std::string oldAsn = m_asn.toStdString();
        QCOMPARE(sqlInt("SELECT count(*) FROM cards n JOIN cards o ON o.account_id = n.account_id WHERE n.asn = $1 AND"
                        " n.state = 'active' AND o.asn = $2 AND o.state = 'closed' AND o.hotlisted AND o.replaced_by"
                        " = $1 AND o.shadow_balance = 0 AND o.released = 1700",
                     {newAsn.toStdString(), oldAsn}),
            1);
        QCOMPARE(sqlInt("SELECT amount FROM transfers WHERE natural_key = $1", {"replacement:" + oldAsn}), 1700);
        QCOMPARE(sqlInt("SELECT count(*) FROM approvals WHERE operation = 'card-replacement' AND state = 'used'"), 1);
        QCOMPARE(sqlInt("SELECT count(*) FROM audit_log WHERE action = 'card.replaced' AND asn = $1", {oldAsn}), 1);
        QCOMPARE(ledgerAudit(m_rig), 0);
        // The new key carries the balance: ¥30.00 left in the account plus the ¥17.00 the lost key held.
        m_root->context().plugSimulatedKey(QStringLiteral("534B000000000102"));
        m_root->context().worker().drain();
        const QString walletDir = QDir(m_root->context().keyDir(kReplacementSerial)).filePath(QStringLiteral(".."));
        const Run load = walletctl(
            walletDir, {QStringLiteral("load"), QStringLiteral("47.00"), QStringLiteral("--yes")}, "123456\n");
        QVERIFY2(load.exitCode == 0, load.out.constData());
        QCOMPARE(sqlInt("SELECT shadow_balance FROM cards WHERE asn = $1", {newAsn.toStdString()}), 4700);
        QCOMPARE(ledgerAudit(m_rig), 0);
        m_replacementAsn = newAsn;
        m_root->context().plugSimulatedKey(kReplacementSerial);
        m_root->context().worker().drain();
    }

    /// Closing the account: a supervisor approves, the key's balance is read, CARD BLOCK terminates the key, and
    /// the bank pays back what the key held (¥47.00) and the (now empty) funding account.
    void closeAccount()
    {
        QVERIFY(!m_replacementAsn.isEmpty());
        QVERIFY(click("servicesTab"));
        QVERIFY(click("readKeyButton"));
        QVERIFY(texts(QStringLiteral("stateBefore"), m_replacementAsn));
        QVERIFY(texts(QStringLiteral("stateBefore"), T("active", "正常")));
        QVERIFY(click("closeAccountButton"));
        QVERIFY(m_ui->waitShown(QStringLiteral("approvalPanel")));
        QVERIFY(texts(QStringLiteral("approvalTitle"), T("closing the account", "销户")));
        QVERIFY(m_ui->typeInto(
            QStringLiteral("supervisorUser"), QStringLiteral("wang.supervisor"), QStringLiteral("approvalPanel")));
        QVERIFY(
            m_ui->typeInto(QStringLiteral("supervisorPassword"), kSupervisorPassword, QStringLiteral("approvalPanel")));
        QVERIFY(clickIn("approveButton", "approvalPanel"));
        QVERIFY(texts(QStringLiteral("serviceMessage"), T("Account closed", "已销户")));
        QVERIFY(texts(QStringLiteral("serviceMessage"), QStringLiteral("¥47.00")));
        QVERIFY(texts(QStringLiteral("stateAfter"), T("terminated", "已终止")));
        shot(QStringLiteral("15-account-closed"));
        const std::string asn = m_replacementAsn.toStdString();
        QCOMPARE(sqlInt("SELECT count(*) FROM cards WHERE asn = $1 AND state = 'closed' AND hotlisted AND"
                        " shadow_balance = 0 AND closed_at IS NOT NULL",
                     {asn}),
            1);
        QCOMPARE(sqlInt("SELECT refunded FROM maintenance_commands WHERE asn = $1 AND operation = 'card-block' AND"
                        " outcome = '9000' AND key_balance = 4700",
                     {asn}),
            4700);
        QCOMPARE(
            sqlInt("SELECT a.balance FROM accounts a JOIN cards c ON c.account_id = a.id WHERE c.asn = $1", {asn}), 0);
        QCOMPARE(sqlInt("SELECT amount FROM transfers WHERE natural_key = $1", {"payout:" + asn}), 4700);
        QCOMPARE(sqlInt("SELECT count(*) FROM audit_log WHERE action = 'account.closed' AND asn = $1", {asn}), 1);
        QCOMPARE(ledgerAudit(m_rig), 0);
    }

    /// A permanent block (spec: APPLICATION BLOCK with P2 = 01; the docs' "permanent block"): a freshly issued key,
    /// the supervisor approves on the same screen, the confirmation shows and the key reads "blocked permanently";
    /// afterwards the bank refuses every service for the key (an unblock: 409 state-conflict), and the screen says so.
    void permanentBlock()
    {
        m_root->context().plugSimulatedKey(kBlockedSerial);
        m_root->context().worker().drain();
        QVERIFY(click("issueTab"));
        QVERIFY(click("detectKeyButton"));
        QVERIFY(texts(QStringLiteral("issueMessage"), kBlockedSerial));
        QVERIFY(m_ui->typeInto(QStringLiteral("nameField"), QStringLiteral("Li Si")));
        QVERIFY(m_ui->typeInto(QStringLiteral("idNumberField"), kIdNumber));
        QVERIFY(m_ui->typeInto(QStringLiteral("phoneField"), QStringLiteral("+8613900139000")));
        QVERIFY(m_ui->typeInto(QStringLiteral("replacesAsnField"), QString()));
        QVERIFY(click("issueButton"));
        QVERIFY(m_ui->waitShown(QStringLiteral("issuePinPad"), {}, 60000));
        const QString asn = m_root->issue()->asn();
        QVERIFY(asn.startsWith(QStringLiteral("8860")));
        QVERIFY(typePin(QStringLiteral("135790"), QStringLiteral("issuePinPad")));
        QVERIFY(typePin(QStringLiteral("135790"), QStringLiteral("issuePinPad")));
        QVERIFY(m_ui->waitShown(QStringLiteral("receiptLabel"), {}, 120000));
        QVERIFY(texts(QStringLiteral("issueMessage"), asn));

        QVERIFY(click("servicesTab"));
        QVERIFY(click("readKeyButton"));
        QVERIFY(texts(QStringLiteral("stateBefore"), asn));
        QVERIFY(texts(QStringLiteral("stateBefore"), T("active", "正常")));
        const int commands = sqlInt("SELECT count(*) FROM maintenance_commands");
        QVERIFY(click("permBlockButton"));
        QVERIFY(m_ui->waitShown(QStringLiteral("approvalPanel")));
        QVERIFY(texts(QStringLiteral("approvalTitle"), T("permanent block", "永久锁定")));
        QVERIFY(texts(QStringLiteral("serviceMessage"), T("needs a supervisor", "需要主管")));
        // Nothing reached the key or the bank before the supervisor decides.
        QCOMPARE(sqlInt("SELECT count(*) FROM maintenance_commands"), commands);
        QVERIFY(m_ui->typeInto(
            QStringLiteral("supervisorUser"), QStringLiteral("wang.supervisor"), QStringLiteral("approvalPanel")));
        QVERIFY(
            m_ui->typeInto(QStringLiteral("supervisorPassword"), kSupervisorPassword, QStringLiteral("approvalPanel")));
        shot(QStringLiteral("15b-permanent-block-approval"));
        QVERIFY(clickIn("approveButton", "approvalPanel"));
        QVERIFY(texts(QStringLiteral("serviceMessage"), T("Blocked permanently", "已永久锁定")));
        QVERIFY(texts(QStringLiteral("serviceMessage"), T("Only a replacement key", "只能为客户补发新密钥")));
        QVERIFY(texts(QStringLiteral("stateAfter"), asn));
        QVERIFY(texts(QStringLiteral("stateAfter"), T("blocked permanently", "已永久锁定")));
        QVERIFY(!m_ui->isShown(QStringLiteral("approvalPanel")));
        shot(QStringLiteral("15c-blocked-permanently"));
        const std::string a = asn.toStdString();
        QCOMPARE(sqlInt("SELECT count(*) FROM cards WHERE asn = $1 AND state = 'blocked-permanently'", {a}), 1);
        QCOMPARE(sqlInt("SELECT count(*) FROM maintenance_commands WHERE asn = $1 AND operation ="
                        " 'application-block-permanent' AND outcome = '9000' AND approval_id IS NOT NULL",
                     {a}),
            1);
        QCOMPARE(sqlInt("SELECT count(*) FROM approvals WHERE operation = 'application-block-permanent' AND asn = $1"
                        " AND state = 'used'",
                     {a}),
            1);

        // Afterwards the bank refuses the key: an unblock is refused, and the screen says why; nothing changes.
        const int before = sqlInt("SELECT count(*) FROM maintenance_commands");
        QVERIFY(click("unblockButton"));
        QVERIFY(texts(QStringLiteral("serviceMessage"),
            T("Refused: the bank serves no key that is blocked permanently or terminated",
                "被拒绝：银行不为已永久锁定或已终止的密钥办理业务")));
        QVERIFY(texts(QStringLiteral("serviceMessage"), T("Only a replacement key", "只能为客户补发新密钥")));
        shot(QStringLiteral("15d-permanent-block-refused"));
        QCOMPARE(sqlInt("SELECT count(*) FROM maintenance_commands"), before);
        QCOMPARE(sqlInt("SELECT count(*) FROM cards WHERE asn = $1 AND state = 'blocked-permanently'", {a}), 1);
        // The key itself reads blocked for good.
        QVERIFY(click("readKeyButton"));
        QVERIFY(texts(QStringLiteral("stateBefore"), T("blocked permanently", "已永久锁定")));
    }

    /// A blank key whose serial the manufacturer never shipped to the bank (its KT is right: only the lot check
    /// stops it), and a staff member whose role may not issue: clear refusals, nothing written.
    void unknownSerialAndRoleRefused()
    {
        const QString foreign = QStringLiteral("534B0001000000A1");
        m_root->context().plugSimulatedKey(foreign);
        m_root->context().worker().drain();
        QVERIFY(click("issueTab"));
        QVERIFY(click("detectKeyButton"));
        QVERIFY(texts(QStringLiteral("issueMessage"), foreign));
        QVERIFY(m_ui->typeInto(QStringLiteral("replacesAsnField"), QString()));
        QVERIFY(click("issueButton"));
        QVERIFY(texts(QStringLiteral("issueMessage"), T("did not ship this key", "未向本行交付此密钥")));
        shot(QStringLiteral("16-unknown-serial-refused"));
        QCOMPARE(sqlInt("SELECT count(*) FROM issuance_jobs WHERE device_serial = $1", {foreign.toStdString()}), 0);
        QCOMPARE(sqlInt("SELECT count(*) FROM audit_log WHERE subject = $1 AND outcome = 'refused: device-unknown'",
                     {foreign.toStdString()}),
            1);

        // An auditor signs in, and is refused issuance.
        QVERIFY(click("signOutButton"));
        signIn(QStringLiteral("zhou.auditor"), kAuditorPassword);
        QVERIFY(m_ui->waitShown(QStringLiteral("signedInAs")));
        QVERIFY(texts(QStringLiteral("signedInAs"), T("auditor", "稽核员")));
        const QString blank = QStringLiteral("534B000000000105");
        m_root->context().plugSimulatedKey(blank);
        m_root->context().worker().drain();
        const int jobs = sqlInt("SELECT count(*) FROM issuance_jobs");
        QVERIFY(click("issueTab"));
        QVERIFY(click("detectKeyButton"));
        QVERIFY(texts(QStringLiteral("issueMessage"), blank));
        QVERIFY(click("issueButton"));
        QVERIFY(texts(QStringLiteral("issueMessage"), T("Your role may not issue keys", "您的角色无权发行密钥")));
        shot(QStringLiteral("17-role-refused"));
        QCOMPARE(sqlInt("SELECT count(*) FROM issuance_jobs"), jobs);
        QCOMPARE(sqlInt("SELECT count(*) FROM audit_log WHERE action = 'staff.role-refused' AND outcome ="
                        " 'refused: role-forbidden'"),
            1);
    }

    void cleanupTestCase()
    {
        m_ui.reset();
        m_root.reset();
        // The scene graph's textures and pixmaps are released by deferred deletes: let them run before exit.
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        QCoreApplication::processEvents();
        m_rig.stopServer();
    }
};

int main(int argc, char** argv)
{
    QGuiApplication app(argc, argv);
    if (qEnvironmentVariableIsEmpty("SKEY_SIM_PATH")) {
        std::fprintf(stderr, "SKIP: SKEY_SIM_PATH is not set (the skey-sim target)\n");
        return wallet::test::requireAll() ? 1 : wallet::test::kSkipExitCode; // CI never passes a skip
    }
    TestBranchStation t;
    return wallet::test::skipAwareExitCode(QTest::qExec(&t, argc, argv));
}

#include "TestBranchStation.moc"
