// SPDX-License-Identifier: Apache-2.0
// The wallet's Certificates page against the real bank host (issue 14): the real composition root and QML window
// under Xvfb, driven with mouse clicks on items found by objectName (tests/support/QuickDriver), with the embedded
// simulated key issued beforehand by walletctl and registered at the bank (BankRig: PostgreSQL, SoftHSM2 with the
// cardholder CA key, skey-bank over mutual TLS; bank-client.json in the wallet's data folder).
// generate → apply (PIV PIN on the page's keypad) → stored on the key → listed (subject, issuer, validity,
// fingerprint: the bank's own record) → delete, each checked by the texts the window shows.
#include "app/gui/CompositionRoot.h"
#include "bank/support/BankRig.h"
#include "support/QuickDriver.h"
#include "support/Skip.h"

#include <QDir>
#include <QFile>
#include <QGuiApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtQml/qqmlextensionplugin.h>
#include <QtTest>

Q_IMPORT_QML_PLUGIN(SmartKey_WalletPlugin)
Q_IMPORT_QML_PLUGIN(SmartKey_Wallet_UiPlugin)

using wallet::app::AppViewModel;
using wallet::app::CompositionRoot;
using wallet::bank::test::BankRig;
using wallet::test::QuickDriver;

class TestCertificatesPage : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void generateApplyListDelete();
    void cleanupTestCase();

private:
    bool clickIn(const QString& name, const QString& scope = QStringLiteral("certificatesPage"))
    {
        const bool ok = m_ui->click(name, scope);
        if (!ok) {
            qWarning("%s", qPrintable(m_ui->lastError()));
        }
        return ok;
    }
    BankRig m_rig;
    QTemporaryDir m_dir;
    QString m_asn;
    std::unique_ptr<CompositionRoot> m_root;
    std::unique_ptr<QuickDriver> m_ui;
};

void TestCertificatesPage::initTestCase()
{
    if (const auto missing = BankRig::missingPart()) {
        SKEY_SKIP(*missing);
    }
    const QString up = m_rig.setUp();
    QVERIFY2(up.isEmpty(), qPrintable(up));
    const QString started = m_rig.startServer();
    QVERIFY2(started.isEmpty(), qPrintable(started));
    QVERIFY(QFile::setPermissions(
        m_rig.tlsPath(QStringLiteral("client.key")), QFileDevice::ReadOwner | QFileDevice::WriteOwner));
    const QString walletDir = m_dir.filePath(QStringLiteral("wallet"));
    QVERIFY(QDir().mkpath(walletDir));
    QFile config(QDir(walletDir).filePath(QStringLiteral("bank-client.json")));
    QVERIFY(config.open(QIODevice::WriteOnly));
    config.write(QJsonDocument(QJsonObject{{QStringLiteral("format"), QStringLiteral("smartkey-bank-client/1")},
                                   {QStringLiteral("url"), QStringLiteral("https://127.0.0.1:%1").arg(m_rig.port())},
                                   {QStringLiteral("caCertificate"), m_rig.tlsPath(QStringLiteral("ca.pem"))},
                                   {QStringLiteral("certificate"), m_rig.tlsPath(QStringLiteral("client.pem"))},
                                   {QStringLiteral("privateKey"), m_rig.tlsPath(QStringLiteral("client.key"))}})
                     .toJson());
    config.close();

    // The simulated key, issued by walletctl (its embedded simulator keeps the key in <dir>/simulator), then moved to
    // where the wallet's embedded simulator looks (<data>/simulated-key), and registered at the bank.
    const QString cliDir = m_dir.filePath(QStringLiteral("cli"));
    QProcess issue;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("WALLETCTL_PASSPHRASE"), QStringLiteral("test passphrase"));
    issue.setProcessEnvironment(env);
    issue.start(QStringLiteral(WALLETCTL_PATH),
        {QStringLiteral("--json"),
            QStringLiteral("--data-dir"),
            cliDir,
            QStringLiteral("issue"),
            QStringLiteral(WALLET_SOURCE_DIR "/resources/profiles/demo-3des.json")});
    QVERIFY(issue.waitForFinished(120000));
    const QByteArray out = issue.readAllStandardOutput();
    QVERIFY2(issue.exitCode() == 0, out + issue.readAllStandardError());
    m_asn = QJsonDocument::fromJson(out.trimmed().split('\n').last()).object().value(QStringLiteral("asn")).toString();
    QCOMPARE(m_asn.size(), 16);
    QVERIFY(QDir().rename(
        QDir(cliDir).filePath(QStringLiteral("simulator")), QDir(walletDir).filePath(QStringLiteral("simulated-key"))));
    QString said;
    QVERIFY2(m_rig.bankctl({QStringLiteral("cards"),
                               QStringLiteral("register"),
                               QStringLiteral("--asn"),
                               m_asn,
                               QStringLiteral("--holder"),
                               QStringLiteral("Test holder")},
                 &said)
            == 0,
        qPrintable(said));

    CompositionRoot::Options options;
    options.dataDir = walletDir;
    options.language = QStringLiteral("en");
    options.usb = false;
    m_root = std::make_unique<CompositionRoot>(options);
    QVERIFY(m_root->createWindow());
    QVERIFY(QTest::qWaitForWindowExposed(m_root->window()));
    m_ui = std::make_unique<QuickDriver>(m_root->window());
    // The key is found (the PIN page asks for the purse PIN); the Certificates page needs no purse PIN.
    QTRY_COMPARE_WITH_TIMEOUT(m_root->app()->page(), AppViewModel::Page::Pin, 60000);
}

void TestCertificatesPage::generateApplyListDelete()
{
    QVERIFY(m_ui->click(QStringLiteral("navCertificates")));
    QVERIFY(m_ui->waitShown(QStringLiteral("certificatesHeader")));
    QTRY_VERIFY_WITH_TIMEOUT(m_ui->isShown(QStringLiteral("certSlot9A")), 30000);
    QTRY_VERIFY(m_ui->textsOf(QStringLiteral("certKey"), QStringLiteral("certSlot9A")).value(0)
        == QStringLiteral("No key pair"));

    // Generate.
    QVERIFY(clickIn(QStringLiteral("certGenerate")));
    QTRY_VERIFY_WITH_TIMEOUT(m_ui->shows(QStringLiteral("A new key pair was made on the key.")), 30000);
    QCOMPARE(
        m_ui->text(QStringLiteral("certKey"), QStringLiteral("certSlot9A")), QStringLiteral("Key pair: ECC P-256"));
    QVERIFY(m_ui->isShown(QStringLiteral("certNone"), QStringLiteral("certSlot9A")));

    // Apply: the PIV PIN on the page's keypad, then the bank issues and the certificate is stored on the key.
    QTRY_VERIFY(m_ui->property(QStringLiteral("certApply"), "enabled", QStringLiteral("certificatesPage")).toBool());
    QVERIFY(clickIn(QStringLiteral("certApply")));
    QVERIFY(m_ui->waitShown(QStringLiteral("certPinPad")));
    for (const char c : QByteArrayLiteral("123456")) {
        QVERIFY2(m_ui->click(QStringLiteral("pad") + QLatin1Char(c), QStringLiteral("certPinPad")),
            qPrintable(m_ui->lastError()));
    }
    QVERIFY2(m_ui->click(QStringLiteral("padSubmit"), QStringLiteral("certPinPad")), qPrintable(m_ui->lastError()));
    QTRY_VERIFY_WITH_TIMEOUT(
        m_ui->shows(QStringLiteral("Your bank issued the certificate. It is stored on the key.")), 60000);
    QVERIFY2(m_ui->text(QStringLiteral("certError")).isEmpty(), qPrintable(m_ui->text(QStringLiteral("certError"))));

    // Listed: what the key holds is what the bank recorded.
    const QString slot = QStringLiteral("certSlot9A");
    QCOMPARE(
        m_ui->text(QStringLiteral("certSubject"), slot), QStringLiteral("O=SmartKey cardholder, CN=%1").arg(m_asn));
    QCOMPARE(m_ui->text(QStringLiteral("certIssuer"), slot),
        QStringLiteral("C=CN, O=SmartKey Bank, CN=SmartKey Bank Cardholder CA"));
    QVERIFY(m_ui->text(QStringLiteral("certValidity"), slot).contains(QStringLiteral(" – ")));
    auto row
        = m_rig.db().exec("SELECT sha256 FROM cardholder_certificates WHERE asn = '" + m_asn.toStdString() + "'", {});
    QVERIFY(row && row->rows() == 1);
    QString fingerprint = m_ui->text(QStringLiteral("certFingerprint"), slot);
    QVERIFY2(fingerprint.remove(QLatin1Char(':')).endsWith(QString::fromStdString(row->text(0, 0))),
        qPrintable(fingerprint));

    // Delete, after the confirmation.
    QVERIFY(clickIn(QStringLiteral("certDelete")));
    QTRY_VERIFY(m_ui->isShown(QStringLiteral("certDeleteConfirmYes")));
    QVERIFY(m_ui->click(QStringLiteral("certDeleteConfirmYes")));
    QTRY_VERIFY_WITH_TIMEOUT(m_ui->shows(QStringLiteral("The certificate was deleted from the key.")), 30000);
    QVERIFY(m_ui->isShown(QStringLiteral("certNone"), slot));
    QVERIFY(!m_ui->isShown(QStringLiteral("certSubject"), slot));
}

void TestCertificatesPage::cleanupTestCase()
{
    m_ui.reset();
    m_root.reset();
    m_rig.stopServer();
}

// QGuiApplication (a window), and exit 77 when a part was missing so that ctest shows it as Skipped.
int main(int argc, char** argv)
{
    QGuiApplication app(argc, argv);
    TestCertificatesPage tc;
    QTEST_SET_MAIN_SOURCE_PATH
    return wallet::test::skipAwareExitCode(QTest::qExec(&tc, argc, argv));
}
#include "TestCertificatesPage.moc"
