// SPDX-License-Identifier: Apache-2.0
// The kiosk's session (issue 12, docs/kiosk.md "The session"): the real `smartkey-kiosk` alone under the `cage`
// Wayland compositor, started as installer/kiosk/smartkey-kiosk.service starts it (`cage -d -- smartkey-kiosk --config
// …`, QT_QPA_PLATFORM=wayland), on wlroots' headless backend with the pixman renderer (no GPU, no seat, no VT here).
// Checked: the kiosk reports its window full screen and exactly the size of cage's output; a screenshot of the output
// taken by `grim` (wlr-screencopy) is that size, its whole border is the kiosk's background (no pixel of cage's own
// black background: the kiosk covers the output) and the welcome screen is drawn on it; when the kiosk exits, cage
// exits too (systemd then restarts the unit). cage refuses to run as root, so a root run starts it as `nobody`.
// Label gui. Screenshot `cage-welcome.png` into $SKEY_SCREENSHOT_DIR or the temporary folder it prints.
#include "KioskTestKey.h"
#include "support/Skip.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QImage>
#include <QLibraryInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <csignal>
#include <pwd.h>
#include <unistd.h>

class TestKioskCage : public QObject
{
    Q_OBJECT

private slots:
    void kioskFillsCageOutput();

private:
    /// `program args` as the user that runs cage (nobody under root), with `env`.
    QStringList asSessionUser(const QString& program, const QStringList& args) const;
    bool m_root = ::geteuid() == 0;
};

QStringList TestKioskCage::asSessionUser(const QString& program, const QStringList& args) const
{
    if (!m_root) {
        return QStringList{program} + args;
    }
    return QStringList{QStringLiteral("setpriv"),
               QStringLiteral("--reuid=nobody"),
               QStringLiteral("--regid=nogroup"),
               QStringLiteral("--clear-groups"),
               program}
    + args;
}

void TestKioskCage::kioskFillsCageOutput()
{
    const QString cage = QStandardPaths::findExecutable(QStringLiteral("cage"));
    const QString grim = QStandardPaths::findExecutable(QStringLiteral("grim"));
    const QString kiosk = qEnvironmentVariable("SKEY_KIOSK_PATH");
    const QString waylandPlugin = QDir(QLibraryInfo::path(QLibraryInfo::PluginsPath))
                                      .filePath(QStringLiteral("platforms/libqwayland-generic.so"));
    if (cage.isEmpty() || grim.isEmpty() || QStandardPaths::findExecutable(QStringLiteral("Xwayland")).isEmpty()
        || !QFileInfo::exists(waylandPlugin)) {
        SKEY_SKIP(QStringLiteral("cage, grim, Xwayland or Qt's Wayland platform plugin not found"
                                 " (scripts/setup-deps.sh installs cage, grim, xwayland and qt6-wayland)"));
    }
    QVERIFY2(QFileInfo(kiosk).isExecutable(), "SKEY_KIOSK_PATH names no smartkey-kiosk");
    if (m_root && !::getpwnam("nobody")) {
        SKEY_SKIP(QStringLiteral("running as root without a 'nobody' user: cage refuses to run as root"));
    }

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString runtime = dir.filePath(QStringLiteral("runtime"));
    const QString kioskDir = dir.filePath(QStringLiteral("kiosk"));
    QVERIFY(QDir().mkpath(runtime));
    QVERIFY(QFile::setPermissions(runtime, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner));
    const auto config = kiosktest::writeConfig(kioskDir, QStringLiteral("en"));
    QVERIFY(!config.dataDir.isEmpty());
    if (m_root) {
        // The session user owns its runtime folder and the kiosk's data (as the unit's dedicated user would).
        QVERIFY(QFile::setPermissions(dir.path(),
            QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner | QFileDevice::ExeOther));
        QCOMPARE(QProcess::execute(QStringLiteral("chown"),
                     {QStringLiteral("-R"), QStringLiteral("nobody:nogroup"), runtime, kioskDir}),
            0);
    }

    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char* v : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XDG_RUNTIME_DIR"}) {
        env.remove(QString::fromLatin1(v));
    }
    env.insert(QStringLiteral("XDG_RUNTIME_DIR"), runtime);
    env.insert(QStringLiteral("HOME"), kioskDir);
    env.insert(QStringLiteral("WLR_BACKENDS"), QStringLiteral("headless"));
    env.insert(QStringLiteral("WLR_RENDERER"), QStringLiteral("pixman"));
    env.insert(QStringLiteral("WLR_LIBINPUT_NO_DEVICES"), QStringLiteral("1"));
    env.insert(QStringLiteral("XDG_SESSION_TYPE"), QStringLiteral("wayland"));
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("wayland")); // as the unit sets it
    env.insert(QStringLiteral("QT_QUICK_BACKEND"), QStringLiteral("software")); // no EGL on the pixman renderer
    env.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("wallet.kiosk.root.info=true"));

    // Exactly the unit's command line (installer/kiosk/smartkey-kiosk.service), the config path aside.
    const QStringList cmd = asSessionUser(cage,
        {QStringLiteral("-d"),
            QStringLiteral("--"),
            kiosk,
            QStringLiteral("--config"),
            QDir(kioskDir).filePath(QStringLiteral("kiosk.json"))});
    QProcess session;
    session.setProcessEnvironment(env);
    session.setProcessChannelMode(QProcess::MergedChannels);
    session.start(cmd.first(), cmd.mid(1));
    QVERIFY2(session.waitForStarted(), qPrintable(session.errorString()));
    QString log;
    auto stopSession = qScopeGuard([&session] {
        if (session.state() != QProcess::NotRunning) {
            session.terminate();
            if (!session.waitForFinished(10000)) {
                session.kill();
                session.waitForFinished();
            }
        }
    });

    // The kiosk's own report: full screen, its size equal to the output's.
    static const QRegularExpression shown(
        QStringLiteral("kiosk window (\\d+)x(\\d+) full-screen on a (\\d+)x(\\d+) screen"));
    QRegularExpressionMatch m;
    QElapsedTimer waited;
    waited.start();
    while (waited.elapsed() < 60000 && session.state() == QProcess::Running) {
        session.waitForReadyRead(200);
        log += QString::fromUtf8(session.readAll());
        QRegularExpressionMatchIterator it = shown.globalMatch(log);
        while (it.hasNext()) {
            m = it.next();
        }
        if (m.hasMatch() && m.captured(3).toInt() > 0 && m.captured(1) == m.captured(3)
            && m.captured(2) == m.captured(4)) {
            break;
        }
    }
    QVERIFY2(m.hasMatch(),
        qPrintable(
            QStringLiteral("the kiosk never reported a full-screen window; cage's output:\n") + log.right(3000)));
    QCOMPARE(m.captured(1) + QLatin1Char('x') + m.captured(2), m.captured(3) + QLatin1Char('x') + m.captured(4));
    const QSize output(m.captured(3).toInt(), m.captured(4).toInt());
    QVERIFY2(output.width() >= 640 && output.height() >= 480, qPrintable(log.right(2000)));

    // What the output shows, read back through wlr-screencopy: the kiosk everywhere, its welcome screen drawn.
    const QString shotFile = QDir(runtime).filePath(QStringLiteral("cage-welcome.png"));
    QImage image;
    waited.restart();
    QProcessEnvironment grimEnv = env;
    grimEnv.insert(QStringLiteral("WAYLAND_DISPLAY"), QStringLiteral("wayland-0"));
    const QColor background(QStringLiteral("#0f2a33")); // KioskMain.qml's window colour
    auto border = [&background](const QImage& img) {
        int off = 0;
        for (int x = 0; x < img.width(); ++x) {
            off += img.pixelColor(x, 0) != background;
            off += img.pixelColor(x, img.height() - 1) != background;
        }
        for (int y = 0; y < img.height(); ++y) {
            off += img.pixelColor(0, y) != background;
            off += img.pixelColor(img.width() - 1, y) != background;
        }
        return off;
    };
    int offBorder = -1;
    int drawn = 0;
    while (waited.elapsed() < 30000) {
        QProcess g;
        g.setProcessEnvironment(grimEnv);
        g.setProcessChannelMode(QProcess::MergedChannels);
        const QStringList gc = asSessionUser(grim, {shotFile});
        g.start(gc.first(), gc.mid(1));
        QVERIFY(g.waitForFinished(20000));
        QVERIFY2(g.exitCode() == 0, qPrintable(QString::fromUtf8(g.readAll())));
        image = QImage(shotFile).convertToFormat(QImage::Format_RGB32);
        if (!image.isNull()) {
            offBorder = border(image);
            drawn = 0;
            for (int y = 0; y < image.height(); y += 2) {
                for (int x = 0; x < image.width(); x += 2) {
                    drawn += image.pixelColor(x, y) != background;
                }
            }
            if (offBorder == 0 && drawn > 200) {
                break; // the first frame may still be empty: try again
            }
        }
        QThread::msleep(300);
    }
    QVERIFY2(!image.isNull(), "grim wrote no image");
    QString shots = qEnvironmentVariable("SKEY_SCREENSHOT_DIR");
    if (shots.isEmpty()) {
        shots = QDir::temp().filePath(QStringLiteral("skey-kiosk-cage"));
    }
    QDir().mkpath(shots);
    QFile::remove(QDir(shots).filePath(QStringLiteral("cage-welcome.png")));
    QVERIFY(QFile::copy(shotFile, QDir(shots).filePath(QStringLiteral("cage-welcome.png"))));
    QCOMPARE(image.size(), output);
    QVERIFY2(offBorder == 0,
        qPrintable(
            QStringLiteral("%1 border pixels are not the kiosk's background: the kiosk does not cover the output")
                .arg(offBorder)));
    QVERIFY2(
        drawn > 200, qPrintable(QStringLiteral("only %1 drawn pixels: the welcome screen is not shown").arg(drawn)));
    qInfo().noquote() << "kiosk under cage:" << output.width() << "x" << output.height() << "; screenshot in" << shots;

    // The kiosk exits (the operator's "Exit kiosk mode", here a SIGTERM to it): cage exits with it.
    bool signalled = false;
    QProcess pgrep;
    pgrep.start(QStringLiteral("pgrep"), {QStringLiteral("-P"), QString::number(session.processId())});
    QVERIFY(pgrep.waitForFinished());
    QStringList children = QString::fromLatin1(pgrep.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (const QString& pid : children) {
        QFile exe(QStringLiteral("/proc/%1/comm").arg(pid));
        if (exe.open(QIODevice::ReadOnly) && exe.readAll().trimmed() == "smartkey-kiosk") {
            signalled = ::kill(pid.toInt(), SIGTERM) == 0;
        }
    }
    QVERIFY2(signalled, "the kiosk is not cage's child");
    QVERIFY2(session.waitForFinished(20000), "cage kept running after the kiosk exited");
}

SKEY_TEST_MAIN(TestKioskCage)

#include "TestKioskCage.moc"
