// SPDX-License-Identifier: Apache-2.0
// The exit of a program that called the bank over HTTPS, in a loop (docs/branch.md "Exit of the bank clients under
// LeakSanitizer"): bank_client_exit_probe makes one call through HttpsBankClient and returns from main, N times
// (SKEY_CLIENT_EXIT_RUNS, default 20). Each run inherits this test's sanitizer options (a leak at exit aborts it,
// abort_on_error=1), so a run that does not exit 0 with the bank's answer fails the test. Before the fix
// (core/bank/HttpsBankClient.cpp: OpenSSL's atexit clean-up off) about two runs in three leaked the Qt HTTP thread's
// OpenSSL state.
#include "bank/support/BankRig.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cstdio>

using namespace wallet::bank::test;

class TestBankClientExit : public QObject
{
    Q_OBJECT

    BankRig m_rig;
    QTemporaryDir m_dir;

private slots:
    void initTestCase()
    {
        const QString up = m_rig.setUp();
        QVERIFY2(up.isEmpty(), qPrintable(up));
        const QString started = m_rig.startServer();
        QVERIFY2(started.isEmpty(), qPrintable(started));
        QVERIFY(QFile::setPermissions(
            m_rig.tlsPath(QStringLiteral("client.key")), QFileDevice::ReadOwner | QFileDevice::WriteOwner));
        QFile config(m_dir.filePath(QStringLiteral("bank-client.json")));
        QVERIFY(config.open(QIODevice::WriteOnly | QIODevice::Truncate));
        config.write(
            QJsonDocument(QJsonObject{{QStringLiteral("format"), QStringLiteral("smartkey-bank-client/1")},
                              {QStringLiteral("url"), QStringLiteral("https://127.0.0.1:%1").arg(m_rig.port())},
                              {QStringLiteral("caCertificate"), m_rig.tlsPath(QStringLiteral("ca.pem"))},
                              {QStringLiteral("certificate"), m_rig.tlsPath(QStringLiteral("client.pem"))},
                              {QStringLiteral("privateKey"), m_rig.tlsPath(QStringLiteral("client.key"))}})
                .toJson());
    }

    void everyExitIsClean()
    {
        const int runs = qEnvironmentVariableIsSet("SKEY_CLIENT_EXIT_RUNS")
            ? qEnvironmentVariableIntValue("SKEY_CLIENT_EXIT_RUNS")
            : 20;
        int bad = 0;
        QByteArray firstBad;
        for (int i = 0; i < runs; ++i) {
            QProcess p;
            p.setProcessChannelMode(QProcess::MergedChannels);
            p.start(QStringLiteral(PROBE_PATH),
                {m_dir.filePath(QStringLiteral("bank-client.json")), QStringLiteral("/v1/terminals/me")});
            QVERIFY(p.waitForFinished(120000));
            const QByteArray out = p.readAll();
            const bool clean = p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0 && out.contains("status ");
            if (!clean) {
                ++bad;
                if (firstBad.isEmpty()) {
                    firstBad = out.left(3000);
                }
            }
        }
        std::printf("figure: %d of %d bank-client exits not clean\n", bad, runs);
        QVERIFY2(bad == 0, firstBad.constData());
    }

    void cleanupTestCase() { m_rig.stopServer(); }
};

SKEY_BANK_TEST_MAIN(TestBankClientExit)
#include "TestBankClientExit.moc"
