// SPDX-License-Identifier: Apache-2.0
// Starts the real smartkey-wallet executable on a virtual X screen (Xvfb) against its embedded simulated key and
// checks what the window shows; and checks that without any display it explains how to run headless.
#include "support/QmlWarnings.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <cstdio>

class TestWalletStartup : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void showsTheSimulatedKey_data();
    void showsTheSimulatedKey();
    void explainsHeadlessWithoutDisplay();

private:
    QString m_app;
    QString m_xvfbRun;
};

void TestWalletStartup::initTestCase()
{
    m_app = QStringLiteral(WALLET_APP_PATH);
    QVERIFY2(QFile::exists(m_app), qPrintable(m_app));
    m_xvfbRun = QStandardPaths::findExecutable(QStringLiteral("xvfb-run"));
    QVERIFY2(!m_xvfbRun.isEmpty(), "xvfb-run is missing: run scripts/setup-deps.sh");
}

void TestWalletStartup::showsTheSimulatedKey_data()
{
    QTest::addColumn<QString>("lang");
    QTest::addColumn<QString>("expected"); // a regular expression one line of the dump must match
    QTest::addColumn<QString>("banner");
    QTest::newRow("en") << QStringLiteral("en")
                        << QStringLiteral("^Simulated key — serial [0-9A-F]{16}, firmware \\d+\\.\\d+\\.\\d+, blank$")
                        << QStringLiteral("SIMULATED KEY");
    QTest::newRow("zh_CN") << QStringLiteral("zh_CN")
                           << QStringLiteral("^模拟密钥 — 序列号 [0-9A-F]{16}，固件 \\d+\\.\\d+\\.\\d+，空白$")
                           << QStringLiteral("仅用于测试和演示");
}

void TestWalletStartup::showsTheSimulatedKey()
{
    QFETCH(QString, lang);
    QFETCH(QString, expected);
    QFETCH(QString, banner);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString dump = dir.filePath(QStringLiteral("texts.txt"));
    const QString shots = dir.filePath(QStringLiteral("shots"));

    QProcess app;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("QT_QPA_PLATFORM")); // the real xcb platform, on the virtual screen
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    app.setProcessEnvironment(env);
    app.start(m_xvfbRun,
        {QStringLiteral("-a"),
            QStringLiteral("-s"),
            QStringLiteral("-screen 0 1280x800x24"),
            m_app,
            QStringLiteral("--no-usb"),
            QStringLiteral("--data-dir"),
            dir.filePath(QStringLiteral("data")),
            QStringLiteral("--lang"),
            lang,
            QStringLiteral("--selftest-dump"),
            dump,
            QStringLiteral("--screenshot"),
            shots});
    QVERIFY(app.waitForStarted());
    QVERIFY2(app.waitForFinished(90000), "the wallet did not finish its self-test");
    const QString err = QString::fromLocal8Bit(app.readAllStandardError());
    std::fputs(qPrintable(err), stderr); // the wallet's own log, as before
    QCOMPARE(app.exitStatus(), QProcess::NormalExit);
    QCOMPARE(app.exitCode(), 0);
    // Issue 17 item 14: the real executable's start and every text of its first page without one QML warning.
    QStringList qmlWarnings;
    for (const QString& line : err.split(QLatin1Char('\n'))) {
        if (wallet::test::QmlWarnings::isQmlMessage(nullptr, nullptr, line)) {
            qmlWarnings << line;
        }
    }
    QVERIFY2(qmlWarnings.isEmpty(), qPrintable(QStringLiteral("QML warnings:\n") + qmlWarnings.join('\n')));

    QFile file(dump);
    QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(dump));
    const QStringList lines = QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'));
    const QRegularExpression want(expected);
    bool found = false;
    for (const QString& line : lines) {
        found = found || want.match(line).hasMatch();
    }
    QVERIFY2(found, qPrintable(QStringLiteral("no line matches %1 in:\n%2").arg(expected, lines.join('\n'))));
    bool bannerShown = false;
    for (const QString& line : lines) {
        bannerShown = bannerShown || line.contains(banner);
    }
    QVERIFY2(bannerShown, "the simulated-key banner is missing");
    const QImage shot(QDir(shots).filePath(QStringLiteral("wallet.png")));
    QVERIFY(!shot.isNull());
    QVERIFY(shot.width() >= 800 && shot.height() >= 500);
    qInfo() << "screenshot:" << QDir(shots).filePath(QStringLiteral("wallet.png"));
}

void TestWalletStartup::explainsHeadlessWithoutDisplay()
{
    QProcess app;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("QT_QPA_PLATFORM"));
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    app.setProcessEnvironment(env);
    app.start(m_app, {QStringLiteral("--no-usb"), QStringLiteral("--no-simulator")});
    QVERIFY(app.waitForStarted());
    QVERIFY(app.waitForFinished(30000));
    QCOMPARE(app.exitStatus(), QProcess::NormalExit); // no crash
    QCOMPARE(app.exitCode(), 2);
    const QString err = QString::fromLocal8Bit(app.readAllStandardError());
    QVERIFY2(err.contains(QLatin1String("xvfb-run")), qPrintable(err));
    QVERIFY2(err.contains(QLatin1String("QT_QPA_PLATFORM=offscreen")), qPrintable(err));
}

QTEST_GUILESS_MAIN(TestWalletStartup)
#include "TestWalletStartup.moc"
