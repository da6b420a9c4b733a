// SPDX-License-Identifier: Apache-2.0
// Test support: a private pcscd (foreground child, its own reader.conf.d with vpcd on a free loopback port) and a
// skey-sim attached to it. pcscd 1.9 has a fixed socket (/run/pcscd/pcscd.comm): when a system pcscd is already
// running the rig refuses (the caller skips with the reason) rather than disturb it.
#pragma once

#include "PcscChannel.h"
#include "device/EmbeddedSimulator.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QThread>

#include <arpa/inet.h>
#include <csignal>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

struct PcscRig
{
    QTemporaryDir dir;
    QProcess pcscd;
    std::unique_ptr<wallet::device::EmbeddedSimulator> sim;
    quint16 vpcdPort = 0;
    QString skipReason;

    static quint16 freeTcpPort()
    {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t len = sizeof a;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        ::close(fd);
        return ntohs(a.sin_port);
    }

    static bool systemPcscdRunning()
    {
        QFile pid(QStringLiteral("/run/pcscd/pcscd.pid"));
        if (!pid.open(QIODevice::ReadOnly)) {
            return QFile::exists(QStringLiteral("/run/pcscd/pcscd.comm"));
        }
        const int p = pid.readAll().trimmed().toInt();
        return p > 0 && ::kill(p, 0) == 0;
    }

    /// Returns an error text; sets skipReason when the environment cannot host the test.
    QString start(const QString& profile)
    {
        if (QStandardPaths::findExecutable(QStringLiteral("pcscd")).isEmpty()
            && !QFile::exists(QStringLiteral("/usr/sbin/pcscd"))) {
            skipReason = QStringLiteral("pcscd is not installed (scripts/setup-deps.sh installs it)");
            return {};
        }
        if (!QFile::exists(QStringLiteral("/usr/lib/pcsc/drivers/serial/libifdvpcd.so"))) {
            skipReason = QStringLiteral("vsmartcard-vpcd is not installed (scripts/setup-deps.sh installs it)");
            return {};
        }
        if (systemPcscdRunning()) {
            skipReason
                = QStringLiteral("a system pcscd is running; pcscd 1.9 has one fixed socket, stop it to run this test");
            return {};
        }
        vpcdPort = freeTcpPort();
        QDir().mkpath(dir.filePath(QStringLiteral("reader.conf.d")));
        QFile conf(dir.filePath(QStringLiteral("reader.conf.d/vpcd")));
        if (!conf.open(QIODevice::WriteOnly)) {
            return QStringLiteral("cannot write the reader configuration");
        }
        const QByteArray port = "0x" + QByteArray::number(vpcdPort, 16).toUpper();
        conf.write("FRIENDLYNAME \"Virtual PCD\"\nDEVICENAME   /dev/null:" + port
            + "\nLIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID    " + port + "\n");
        conf.close();
        pcscd.setProcessChannelMode(QProcess::MergedChannels);
        pcscd.start(QStringLiteral("/usr/sbin/pcscd"),
            {QStringLiteral("-f"),
                QStringLiteral("-a"),
                QStringLiteral("-c"),
                dir.filePath(QStringLiteral("reader.conf.d"))});
        if (!pcscd.waitForStarted(5000)) {
            return QStringLiteral("pcscd did not start: %1").arg(pcscd.errorString());
        }
        for (int i = 0; i < 100 && !QFile::exists(QStringLiteral("/run/pcscd/pcscd.comm")); ++i) {
            QThread::msleep(50);
        }
        wallet::device::SimulatorOptions o;
        o.dataDirectory = dir.filePath(QStringLiteral("sim"));
        o.profilePath = profile;
        o.pcsc = true;
        o.touchMode = QStringLiteral("accept");
        o.extraArguments = {QStringLiteral("--vpcd-port"), QString::number(vpcdPort)};
        sim = std::make_unique<wallet::device::EmbeddedSimulator>(o);
        if (auto s = sim->start(); !s) {
            return s.error().detail;
        }
        for (int i = 0; i < 100; ++i) {
            auto st = sim->control().send(QStringLiteral("status"));
            if (st && st.value().contains(QStringLiteral("pcsc=connected"))) {
                // pcscd polls the reader: wait until it reports the card present.
                PcscChannel probe;
                return probe.open("Virtual PCD 00 00");
            }
            QThread::msleep(50);
        }
        return QStringLiteral("skey-sim did not attach to vpcd on port %1; pcscd said: %2")
            .arg(vpcdPort)
            .arg(QString::fromLocal8Bit(pcscd.readAll().right(800)));
    }

    ~PcscRig()
    {
        sim.reset(); // SIGTERM to skey-sim
        if (pcscd.state() != QProcess::NotRunning) {
            pcscd.terminate();
            if (!pcscd.waitForFinished(5000)) {
                pcscd.kill();
                pcscd.waitForFinished(2000);
            }
        }
    }
};
