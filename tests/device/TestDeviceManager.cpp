// SPDX-License-Identifier: Apache-2.0
// DeviceManager, EmbeddedSimulator and SimulatorControl against the real skey-sim child process (label sim).
#include "device/DeviceManager.h"
#include "device/EmbeddedSimulator.h"
#include "device/HidapiTransport.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace wallet;
using namespace wallet::device;

namespace {
const QByteArray kGetData = QByteArray::fromHex("80CA000100");

SimulatorOptions options(const QTemporaryDir& dir, QStringList extra = {}, QString executable = {})
{
    SimulatorOptions o;
    o.dataDirectory = dir.path();
    o.extraArguments = std::move(extra);
    o.executable = std::move(executable);
    return o;
}

bool hasKey(const DeviceManager& m, const QString& id)
{
    const auto keys = m.keys();
    return std::any_of(keys.begin(), keys.end(), [&](const KeyEntry& k) { return k.id == id; });
}
} // namespace

class TestDeviceManager : public QObject
{
    Q_OBJECT
private slots:
    void simulatorComesAndGoes()
    {
        QTemporaryDir dir;
        EmbeddedSimulator sim(options(dir));
        auto started = sim.start();
        QVERIFY2(started, qPrintable(started ? QString() : started.error().detail));
        QVERIFY(sim.hidPort() != 0 && sim.controlPort() != 0);

        DeviceManager manager;
        manager.setUsbEnabled(false);
        manager.setPollInterval(100);
        manager.addSimulator(sim.hidPort());
        QList<QString> added;
        QList<QString> removed;
        QObject receiver; // queued signals die with it (declared after the lists it writes to)
        connect(
            &manager,
            &DeviceManager::keyAdded,
            &receiver,
            [&](const KeyEntry& k) { added << k.id; },
            Qt::QueuedConnection);
        connect(
            &manager,
            &DeviceManager::keyRemoved,
            &receiver,
            [&](const QString& id) { removed << id; },
            Qt::QueuedConnection);
        manager.start();
        const QString id = QStringLiteral("sim:%1").arg(sim.hidPort());
        QTRY_VERIFY_WITH_TIMEOUT(hasKey(manager, id), 5000);
        QCOMPARE(manager.state(), DeviceState::Simulated);
        QTRY_COMPARE_WITH_TIMEOUT(added, QList<QString>{id}, 2000);
        QVERIFY(manager.keys().first().simulated());
        QVERIFY(manager.keys().first().description.contains(QStringLiteral("INSECURE")));

        // Two host programs on one key: two channels, interleaved.
        auto a = manager.openChannel(id);
        auto b = manager.openChannel(id);
        QVERIFY(a && b);
        QVERIFY(a.value()->hello().cid != b.value()->hello().cid);
        for (int i = 0; i < 5; ++i) {
            QVERIFY(a.value()->transmitRaw(kGetData));
            QVERIFY(b.value()->ping(QByteArray(200, static_cast<char>(i)))); // ≤ the key's 261-byte buffer
        }

        // Unplug: the key disappears; replug: it comes back and the old channel recovers with a new CID.
        QVERIFY(sim.control().send(QStringLiteral("unplug")));
        QTRY_VERIFY_WITH_TIMEOUT(!hasKey(manager, id), 5000);
        QCOMPARE(manager.state(), DeviceState::NoKey);
        QTRY_COMPARE_WITH_TIMEOUT(removed, QList<QString>{id}, 2000);
        QVERIFY(!manager.openChannel(id));
        QVERIFY(sim.control().send(QStringLiteral("replug")));
        QTRY_VERIFY_WITH_TIMEOUT(hasKey(manager, id), 5000);
        QCOMPARE(manager.state(), DeviceState::Simulated);
        auto again = a.value()->transmitRaw(kGetData);
        QVERIFY2(again, qPrintable(again ? QString() : again.error().detail));
        manager.stop();
    }

    void controlPortCommands_data()
    {
        QTest::addColumn<QString>("command");
        QTest::addColumn<bool>("ok");
        QTest::newRow("status") << "status" << true;
        QTest::newRow("help") << "help" << true;
        QTest::newRow("touch-mode") << "touch-mode manual" << true;
        QTest::newRow("touch without request") << "touch accept" << false;
        QTest::newRow("bad touch") << "touch maybe" << false;
        QTest::newRow("power-cut-at") << "power-cut-at 5 partial" << true;
        QTest::newRow("power-cut-at 0") << "power-cut-at 0" << false;
        QTest::newRow("power-cut-at bad model") << "power-cut-at 3 sideways" << false;
        QTest::newRow("unknown") << "format c:" << false;
        QTest::newRow("empty") << "   " << false;
    }
    void controlPortCommands()
    {
        QFETCH(QString, command);
        QFETCH(bool, ok);
        QTemporaryDir dir;
        EmbeddedSimulator sim(options(dir));
        QVERIFY(sim.start());
        auto r = sim.control().send(command);
        QCOMPARE(bool(r), ok);
        if (ok && command == QLatin1String("status")) {
            QVERIFY(r.value().contains(QStringLiteral("plugged=1")));
            QVERIFY(r.value().contains(QStringLiteral("serial=") + sim.serialHex()));
        }
        // Whatever was sent, the token still answers.
        auto channel = sim.makeChannel();
        QVERIFY(channel->transmitRaw(kGetData));
    }

    void crashIsReported()
    {
        QTemporaryDir dir;
        EmbeddedSimulator sim(options(dir));
        QVERIFY(sim.start());
        int exitCode = -1;
        connect(&sim, &EmbeddedSimulator::exitedUnexpectedly, this, [&](int code, const QString&) { exitCode = code; });
        auto status = sim.control().send(QStringLiteral("status"));
        QVERIFY(status);
        // Kill the child behind the launcher's back (SIGKILL by pid, as a crash would end it).
        const QString pidText = QString::number(sim.processId());
        QVERIFY(QProcess::execute(QStringLiteral("kill"), {QStringLiteral("-9"), pidText}) == 0);
        QTRY_VERIFY_WITH_TIMEOUT(exitCode != -1, 5000);
        QVERIFY(!sim.isRunning());
        auto channel = sim.makeChannel();
        QVERIFY(!channel->connect()); // a clear error, no hang
    }

    void missingBinaryIsAClearError()
    {
        QTemporaryDir dir;
        EmbeddedSimulator sim(options(dir, {}, dir.filePath(QStringLiteral("no-such-sim"))));
        auto r = sim.start();
        QVERIFY(!r);
        QCOMPARE(r.error().code, core::ErrorCode::NoDevice);
        QVERIFY(r.error().detail.contains(QStringLiteral("not found")));
    }

    void portInUseIsRefused()
    {
        const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        QCOMPARE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        socklen_t len = sizeof addr;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
        const quint16 taken = ntohs(addr.sin_port);
        QTemporaryDir dir;
        EmbeddedSimulator sim(options(dir, {QStringLiteral("--hid-port"), QString::number(taken)}));
        auto r = sim.start();
        ::close(fd);
        QVERIFY(!r);
        QVERIFY2(r.error().detail.contains(QStringLiteral("code 3")), qPrintable(r.error().detail));
        QVERIFY(r.error().detail.contains(QStringLiteral("in use")));
    }

    void badNvmFileIsRefused()
    {
        QTemporaryDir dir;
        QFile f(dir.filePath(QStringLiteral("token.nvm")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("not a token image");
        f.close();
        EmbeddedSimulator sim(options(dir));
        auto r = sim.start();
        QVERIFY(!r);
        QVERIFY2(r.error().detail.contains(QStringLiteral("code 4")), qPrintable(r.error().detail));
    }

    void signalStopsCleanlyAndOptionsApply()
    {
        QTemporaryDir dir;
        QProcess sim;
        sim.start(EmbeddedSimulator::findExecutable(),
            {QStringLiteral("--hid-port"),
                QStringLiteral("0"),
                QStringLiteral("--control-port"),
                QStringLiteral("0"),
                QStringLiteral("--serial"),
                QStringLiteral("0102030405060708"),
                QStringLiteral("--seed"),
                QStringLiteral("9"),
                QStringLiteral("--nvm"),
                dir.filePath(QStringLiteral("t.nvm"))});
        QVERIFY(sim.waitForStarted());
        QByteArray out;
        for (int i = 0; i < 100 && !out.contains('\n'); ++i) {
            sim.waitForReadyRead(100);
            out += sim.readAllStandardOutput();
        }
        QVERIFY2(out.startsWith("SKEY-SIM READY hid="), out.constData());
        QVERIFY(out.contains("serial=0102030405060708"));
        const quint16 control = static_cast<quint16>(out.mid(out.indexOf("control=") + 8).split(' ').first().toUInt());
        auto status = SimulatorControl(control).send(QStringLiteral("status"));
        QVERIFY(status);
        QVERIFY(status.value().contains(QStringLiteral("serial=0102030405060708")));
        sim.terminate(); // SIGTERM
        QVERIFY(sim.waitForFinished(5000));
        QCOMPARE(sim.exitStatus(), QProcess::NormalExit);
        QCOMPARE(sim.exitCode(), 0);
        const QByteArray err = sim.readAllStandardError();
        QVERIFY(err.contains("SIMULATED KEY"));
        QVERIFY(err.contains("INSECURE, FOR DEVELOPMENT ONLY"));
        QVERIFY(QFile::exists(dir.filePath(QStringLiteral("t.nvm"))));
    }

    void badCommandLine_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QByteArray>("input");
        QTest::newRow("unknown option") << QStringList{QStringLiteral("--bogus")} << QByteArray();
        QTest::newRow("bad serial") << QStringList{QStringLiteral("--serial"), QStringLiteral("12")} << QByteArray();
        QTest::newRow("bad port") << QStringList{QStringLiteral("--hid-port"), QStringLiteral("70000")} << QByteArray();
        QTest::newRow("missing value") << QStringList{QStringLiteral("--nvm")} << QByteArray();
        QTest::newRow("bad touch") << QStringList{QStringLiteral("--touch"), QStringLiteral("maybe")} << QByteArray();
        // A key never goes on the command line: the old --kt HEX is refused; --kt-stdin checks its line.
        QTest::newRow("KT on argv") << QStringList{QStringLiteral("--kt"),
            QStringLiteral("4B544B544B544B544B544B544B544B54")}
                                    << QByteArray();
        QTest::newRow("short KT on stdin") << QStringList{QStringLiteral("--kt-stdin")} << QByteArray("4B544B54\n");
        QTest::newRow("no KT on stdin") << QStringList{QStringLiteral("--kt-stdin")} << QByteArray();
        QTest::newRow("profile in the simulator")
            << QStringList{QStringLiteral("--profile"), QStringLiteral("demo.json")} << QByteArray();
    }
    void badCommandLine()
    {
        QFETCH(QStringList, args);
        QFETCH(QByteArray, input);
        QProcess sim;
        sim.start(EmbeddedSimulator::findExecutable(), args);
        QVERIFY(sim.waitForStarted(5000));
        sim.write(input);
        sim.closeWriteChannel();
        QVERIFY(sim.waitForFinished(5000));
        QCOMPARE(sim.exitCode(), 2);
        QVERIFY(sim.readAllStandardError().contains("see --help"));
    }

    void helpExplainsEverything()
    {
        QProcess sim;
        sim.start(EmbeddedSimulator::findExecutable(), {QStringLiteral("--help")});
        QVERIFY(sim.waitForFinished(5000));
        QCOMPARE(sim.exitCode(), 0);
        const QByteArray help = sim.readAllStandardOutput();
        for (const char* word : {"--nvm",
                 "--kt-stdin",
                 "--serial",
                 "--seed",
                 "--hid-port",
                 "--control-port",
                 "--pcsc",
                 "power-cut-at",
                 "replug",
                 "Exit codes",
                 "INSECURE"}) {
            QVERIFY2(help.contains(word), word);
        }
    }

    void usbEnumerationRuns()
    {
        // No USB key is attached to the test machine: enumeration must work and simply find none (or real ones).
        auto keys = HidapiTransport::enumerate();
        QVERIFY(keys);
        for (const auto& k : keys.value()) {
            QCOMPARE(k.vendorId, skey::wire::kUsbVendorId);
        }
        HidapiTransport t(QStringLiteral("/dev/no-such-hidraw"));
        auto o = t.open();
        QVERIFY(!o);
        QCOMPARE(o.error().code, core::ErrorCode::NoDevice);
    }
};

QTEST_GUILESS_MAIN(TestDeviceManager)
#include "TestDeviceManager.moc"
