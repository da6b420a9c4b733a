// SPDX-License-Identifier: Apache-2.0
// Transport figures (not a test: prints numbers, asserts nothing about time). See docs/transport.md "Figures".
//   bench_transport [--apdus N] [--replugs N] [--pcsc]
// 1. APDU round trips per second over loopback UDP (GET BALANCE through HidApduChannel → skey-sim).
// 2. HID reports per purse APDU over a whole load + purchase (PurseService), each way.
// 3. Time from a simulated replug to "key present" in the DeviceManager, at poll intervals 1000 ms and 100 ms.
// 4. With --pcsc: APDU round trips per second over PC/SC (private pcscd + vpcd + skey-sim --pcsc).
#include "PcscChannel.h"
#include "PcscRig.h"

#include "core/issuer/LocalIssuerHost.h"
#include "core/keystore/KeyStore.h"
#include "core/psam/LocalPsam.h"
#include "core/purse/PurseService.h"
#include "device/DeviceManager.h"
#include "device/EmbeddedSimulator.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QThread>

#include <algorithm>
#include <cstdio>

using namespace wallet;
using namespace wallet::core;
using namespace wallet::device;

namespace {

QString profilePath()
{
    const QString root = qEnvironmentVariable("SKEY_SOURCE_DIR", QStringLiteral(WALLET_SOURCE_DIR));
    return root + QStringLiteral("/resources/profiles/demo-3des.json");
}

/// Counts the APDUs that pass.
class CountingChannel final : public ApduChannel
{
public:
    explicit CountingChannel(ApduChannel& inner)
        : m_inner(inner)
    { }
    Result<ResponseApdu> transmit(const CommandApdu& c) override
    {
        ++count;
        return m_inner.transmit(c);
    }
    QString description() const override { return m_inner.description(); }
    int count = 0;

private:
    ApduChannel& m_inner;
};

template <typename Channel>
double roundTrips(Channel& channel, int n)
{
    const QByteArray select = QByteArray::fromHex("00A404000AD15600000145442F455000");
    const QByteArray balance = QByteArray::fromHex("805C000204");
    if (!channel.transmitRaw(select)) {
        return 0;
    }
    QElapsedTimer t;
    t.start();
    for (int i = 0; i < n; ++i) {
        auto r = channel.transmitRaw(balance);
        if (!r || !r->endsWith(QByteArray::fromHex("9000"))) {
            std::fprintf(stderr, "GET BALANCE failed at %d\n", i);
            return 0;
        }
    }
    return n * 1000.0 / std::max<qint64>(1, t.elapsed());
}

EmbeddedSimulator* startSim(QTemporaryDir& dir, QObject* parent)
{
    SimulatorOptions o;
    o.dataDirectory = dir.path();
    o.profilePath = profilePath();
    o.touchMode = QStringLiteral("accept");
    auto* sim = new EmbeddedSimulator(o, parent);
    if (auto s = sim->start(); !s) {
        std::fprintf(stderr, "cannot start skey-sim: %s\n", qPrintable(s.error().detail));
        return nullptr;
    }
    return sim;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    int apdus = 2000;
    int replugs = 10;
    bool pcsc = false;
    const QStringList args = app.arguments();
    for (int i = 1; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--apdus") && i + 1 < args.size()) {
            apdus = args[++i].toInt();
        } else if (args[i] == QLatin1String("--replugs") && i + 1 < args.size()) {
            replugs = args[++i].toInt();
        } else if (args[i] == QLatin1String("--pcsc")) {
            pcsc = true;
        }
    }
    QTemporaryDir dir;
    EmbeddedSimulator* sim = startSim(dir, &app);
    if (!sim) {
        return 1;
    }

    // 1. UDP round trips.
    {
        auto channel = sim->makeChannel();
        const double rate = roundTrips(*channel, apdus);
        std::printf("udp: %d GET BALANCE round trips: %.0f APDU/s (%.3f ms each)\n", apdus, rate, 1000.0 / rate);
    }

    // 2. Reports per purse APDU over load + purchase.
    {
        auto channel = sim->makeChannel();
        CountingChannel counting(*channel);
        const auto keys = KeyStore::demoKeys();
        auto issuer = LocalIssuerHost::open(dir.filePath(QStringLiteral("issuer.sqlite")), keys);
        auto psam = LocalPsam::open(
            dir.filePath(QStringLiteral("psam.sqlite")), QByteArray::fromHex("112233445566"), keys.mpk);
        FixedClock clock(QDateTime(QDate(2026, 3, 14), QTime(10, 30, 0)));
        PurseService purse(counting, **issuer, **psam, clock);
        if (!purse.open()) {
            return 1;
        }
        (void)(*issuer)->registerCard(purse.card().application.asn(), Amount(10000000), Amount(0));
        const Pin pin = *Pin::fromDigits("123456");
        const auto sent0 = channel->reportsSent();
        const auto received0 = channel->reportsReceived();
        const int apdu0 = counting.count;
        const bool ok = purse.load(Amount(5000), &pin) && purse.purchase(Amount(1234), &pin) && purse.history();
        const int n = counting.count - apdu0;
        std::printf("reports per purse APDU (load + purchase + history, %d APDUs%s): %.2f out, %.2f in\n",
            n,
            ok ? "" : ", FLOW FAILED",
            double(channel->reportsSent() - sent0) / n,
            double(channel->reportsReceived() - received0) / n);
    }

    // 3. Replug → present in the DeviceManager.
    for (int interval : {1000, 100}) {
        DeviceManager manager;
        manager.setUsbEnabled(false);
        manager.setPollInterval(interval);
        manager.addSimulator(sim->hidPort());
        manager.start();
        auto present = [&] { return !manager.keys().isEmpty(); };
        auto waitFor = [&](bool want, int ms) {
            QElapsedTimer t;
            t.start();
            while (present() != want && t.elapsed() < ms) {
                QThread::msleep(1);
            }
            return present() == want;
        };
        waitFor(true, 5000);
        std::vector<qint64> times;
        for (int i = 0; i < replugs; ++i) {
            (void)sim->control().send(QStringLiteral("unplug"));
            if (!waitFor(false, 5000)) {
                break;
            }
            QThread::msleep(static_cast<unsigned long>(37 * i % interval)); // spread over the poll phase
            QElapsedTimer t;
            t.start();
            (void)sim->control().send(QStringLiteral("replug"));
            if (!waitFor(true, 5000)) {
                break;
            }
            times.push_back(t.elapsed());
        }
        manager.stop();
        std::sort(times.begin(), times.end());
        if (!times.empty()) {
            std::printf("replug -> connected (poll %d ms, %zu replugs): median %lld ms, max %lld ms\n",
                interval,
                times.size(),
                static_cast<long long>(times[times.size() / 2]),
                static_cast<long long>(times.back()));
        }
    }
    delete sim;

    // 4. PC/SC round trips.
    if (pcsc) {
        PcscRig rig;
        const QString err = rig.start(profilePath());
        if (!rig.skipReason.isEmpty() || !err.isEmpty()) {
            std::printf("pcsc: not measured (%s)\n", qPrintable(rig.skipReason.isEmpty() ? err : rig.skipReason));
            return 0;
        }
        PcscChannel channel;
        if (const QString o = channel.open("Virtual PCD 00 00"); !o.isEmpty()) {
            std::printf("pcsc: not measured (%s)\n", qPrintable(o));
            return 0;
        }
        const int n = std::max(1, apdus / 4);
        const double rate = roundTrips(channel, n);
        std::printf("pcsc: %d GET BALANCE round trips: %.0f APDU/s (%.3f ms each)\n", n, rate, 1000.0 / rate);
    }
    return 0;
}
