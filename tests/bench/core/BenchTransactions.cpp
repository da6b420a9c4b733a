// SPDX-License-Identifier: Apache-2.0
// Load and purchase end to end, timed per transaction: through the skey-sim simulator over loopback UDP
// (device::EmbeddedSimulator + HidApduChannel), and in-process (the firmware in this process) for comparison.
// Each transaction = VERIFY PIN + INITIALIZE + issuer/PSAM (SQLite, synchronous=FULL) + CREDIT/DEBIT + mirror row.
// Prints median, p99 and throughput. Usage: bench_core_transactions [iterations=200]
#include "HostToken.h"
#include "core/issuance/Personaliser.h"
#include "core/issuer/LocalIssuerHost.h"
#include "core/keystore/KeyStore.h"
#include "core/psam/LocalPsam.h"
#include "core/purse/PurseService.h"
#include "core/storage/TransactionStore.h"
#include "device/EmbeddedSimulator.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <span>
#include <vector>

using namespace wallet::core;

namespace {

class InProcess final : public ApduChannel
{
public:
    Result<ResponseApdu> transmit(const CommandApdu& c) override
    {
        const QByteArray raw = c.encode();
        const auto out = m_token.process(std::span<const std::uint8_t>(
            reinterpret_cast<const std::uint8_t*>(raw.constData()), static_cast<std::size_t>(raw.size())));
        return *ResponseApdu::parse(
            QByteArray(reinterpret_cast<const char*>(out.data()), static_cast<qsizetype>(out.size())));
    }
    QString description() const override { return QStringLiteral("in-process"); }

private:
    skey::host::HostToken m_token;
};

void report(const char* what, std::vector<double> ms)
{
    std::sort(ms.begin(), ms.end());
    double total = 0;
    for (double v : ms) {
        total += v;
    }
    const double median = ms[ms.size() / 2];
    const double p99 = ms[std::min(ms.size() - 1, static_cast<std::size_t>(static_cast<double>(ms.size()) * 0.99))];
    std::printf("%-40s n=%zu  median %.2f ms  p99 %.2f ms  throughput %.1f tx/s\n",
        what,
        ms.size(),
        median,
        p99,
        1000.0 * static_cast<double>(ms.size()) / total);
}

int run(ApduChannel& channel, const QString& dir, const char* label, int n)
{
    const IssuerMasterKeys keys = KeyStore::demoKeys();
    auto issuer = LocalIssuerHost::open(dir + QStringLiteral("/issuer.sqlite"), keys).value();
    auto psam
        = LocalPsam::open(dir + QStringLiteral("/psam.sqlite"), QByteArray::fromHex("112233445566"), keys.mpk).value();
    auto mirror = TransactionStore::open(dir + QStringLiteral("/mirror.sqlite")).value();
    const QString root = qEnvironmentVariable("SKEY_SOURCE_DIR", QStringLiteral(WALLET_SOURCE_DIR));
    auto profile = IssuanceProfile::fromFile(root + QStringLiteral("/resources/profiles/demo-3des.json")).value();
    profile.maxBalance = Amount(4000000000u);
    auto issued = Personaliser(channel).personalise(profile);
    if (!issued) {
        std::fprintf(stderr, "issue: %s\n", qPrintable(issued.error().detail));
        return 1;
    }
    (void)issuer->registerCard(issued->asn, Amount(4000000000u), Amount(0));
    SystemClock clock;
    PurseService purse(channel, *issuer, *psam, clock, mirror.get());
    (void)purse.open();
    const Pin pin = *Pin::fromDigits("123456");
    std::vector<double> loads;
    std::vector<double> purchases;
    QElapsedTimer t;
    for (int i = 0; i < n; ++i) {
        t.start();
        auto l = purse.load(Amount(1000), &pin);
        loads.push_back(static_cast<double>(t.nsecsElapsed()) / 1e6);
        t.start();
        auto p = purse.purchase(Amount(100), &pin);
        purchases.push_back(static_cast<double>(t.nsecsElapsed()) / 1e6);
        if (!l || !p) {
            std::fprintf(stderr, "transaction failed: %s\n", qPrintable(!l ? l.error().detail : p.error().detail));
            return 1;
        }
    }
    report((QByteArray(label) + " load").constData(), loads);
    report((QByteArray(label) + " purchase").constData(), purchases);
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const int n = argc > 1 ? std::max(10, std::atoi(argv[1])) : 200;
    int rc = 0;
    {
        QTemporaryDir dir;
        wallet::device::SimulatorOptions o;
        o.dataDirectory = dir.filePath(QStringLiteral("sim"));
        wallet::device::EmbeddedSimulator sim(o);
        if (auto s = sim.start(); !s) {
            std::fprintf(stderr, "simulator: %s\n", qPrintable(s.error().detail));
            rc = 1;
        } else {
            auto channel = sim.makeChannel();
            rc |= run(*channel, dir.path(), "UDP simulator (skey-sim)", n);
        }
    }
    {
        QTemporaryDir dir;
        InProcess channel;
        rc |= run(channel, dir.path(), "in-process firmware", n);
    }
    return rc;
}
