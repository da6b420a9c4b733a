// SPDX-License-Identifier: Apache-2.0
// Issue 11, "Figures": a full load end to end — wallet core → UDP simulator → bank host over TLS — median (goal: at
// most 10 ms). A program that prints figures, never a test (nothing here asserts on time; it fails only when a load
// fails or the bank and the key disagree afterwards).
//
// Every part is the real one, started by this program:
//   * the bank host: BankRig (tests/bank/support): PostgreSQL started as the postgres user (or, with --db sqlite, the
//     embedded default's SQLite file), a SoftHSM2 token with the golden-vector masters, skey-bank over HTTPS with
//     mutual TLS on loopback;
//   * the key: skey-sim (device::EmbeddedSimulator), issued at start from resources/profiles/demo-3des.json, reached
//     over its UDP HID port through device::HidApduChannel;
//   * the wallet core's load path as walletctl runs it: core::TerminalRoles with the bank configured
//     (bank-client.json → core::BankIssuerHost: its outbox, the HTTPS client over Qt Network with a kept-alive
//     connection) and the history mirror, and core::PurseService::load() with the PIN: VERIFY, INITIALIZE FOR LOAD,
//     POST /v1/loads (MAC1 verified and MAC2 made in the HSM, the funding account debited), CREDIT FOR LOAD,
//     POST /v1/loads/{id}/confirmation (the TAC verified in the bank, the load completed).
//
//   bench_full_load [--db postgresql|sqlite] [--loads 200] [--warmup 10] [--amount-fen 1]
//
// Prints the median, p90 and p99 in ms of the whole load, and its split: the key (every APDU over UDP, timed at the
// ApduChannel), the bank (authorise and confirm, each timed at the IssuerHost: the outbox write and the HTTPS round
// trip), and the rest (the mirror's pending operation and the core's own work).
#include "bank/support/BankRig.h"
#include "bench/bank/BenchBuildKind.h"

#include "core/purse/Clock.h"
#include "core/purse/Pin.h"
#include "core/purse/PurseService.h"
#include "core/terminal/TerminalRoles.h"
#include "device/EmbeddedSimulator.h"
#include "device/HidApduChannel.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QStringList>
#include <QTemporaryDir>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <vector>

using namespace wallet;
using namespace wallet::bank::test;

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

using wallet::bench::buildKind;

/// Times every APDU to the key.
class TimedChannel final : public core::ApduChannel
{
public:
    explicit TimedChannel(core::ApduChannel& inner)
        : m_inner(inner)
    { }
    core::Result<core::ResponseApdu> transmit(const core::CommandApdu& command) override
    {
        const auto t0 = Clock::now();
        auto r = m_inner.transmit(command);
        const double took = msSince(t0);
        ms += took;
        ++apdus;
        sent << QStringLiteral("%1%2")
                    .arg(command.cla(), 2, 16, QLatin1Char('0'))
                    .arg(command.ins(), 2, 16, QLatin1Char('0'))
                    .toUpper();
        if (trace) {
            std::fprintf(stderr, "apdu %02X %02X: %.2f ms\n", command.cla(), command.ins(), took);
        }
        return r;
    }
    QString description() const override { return m_inner.description(); }
    double ms = 0;
    int apdus = 0;
    QStringList sent; ///< CLA INS of each APDU since the last reset
    bool trace = qEnvironmentVariableIsSet("BENCH_TRACE");

private:
    core::ApduChannel& m_inner;
};

/// Times the bank's part of a load: authoriseLoad and confirmLoad of the BankIssuerHost (outbox + HTTPS).
class TimedIssuer final : public core::IssuerHost
{
public:
    explicit TimedIssuer(core::IssuerHost& inner)
        : m_inner(inner)
    { }
    core::Result<core::LoadAuthorisation> authoriseLoad(const core::LoadRequest& request) override
    {
        const auto t0 = Clock::now();
        auto r = m_inner.authoriseLoad(request);
        authoriseMs += msSince(t0);
        return r;
    }
    core::Result<void> confirmLoad(
        const QByteArray& asn, std::uint16_t onlineAtc, core::Amount balanceAfter, const QByteArray& tac) override
    {
        const auto t0 = Clock::now();
        auto r = m_inner.confirmLoad(asn, onlineAtc, balanceAfter, tac);
        confirmMs += msSince(t0);
        return r;
    }
    core::Result<void> cancelLoad(const QByteArray& asn, std::uint16_t onlineAtc) override
    {
        return m_inner.cancelLoad(asn, onlineAtc);
    }
    core::Result<void> cancelLoadOnKey(
        const QByteArray& asn, std::uint16_t onlineAtc, const core::KeyCommand& key) override
    {
        return m_inner.cancelLoadOnKey(asn, onlineAtc, key);
    }
    std::optional<QByteArray> terminalId() const override { return m_inner.terminalId(); }
    core::Result<std::vector<core::PendingLoad>> pendingLoads(const QByteArray& asn) override
    {
        return m_inner.pendingLoads(asn);
    }
    core::Result<void> disputeLoad(const QByteArray& asn, std::uint16_t onlineAtc, const QString& reason) override
    {
        return m_inner.disputeLoad(asn, onlineAtc, reason);
    }
    double authoriseMs = 0;
    double confirmMs = 0;

private:
    core::IssuerHost& m_inner;
};

double percentile(std::vector<double> v, double p)
{
    if (v.empty()) {
        return 0;
    }
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

void printRow(const char* name, const std::vector<double>& v)
{
    std::printf("  %-28s median %7.2f   p90 %7.2f   p99 %7.2f   (min %.2f, max %.2f)\n",
        name,
        percentile(v, 0.5),
        percentile(v, 0.9),
        percentile(v, 0.99),
        percentile(v, 0.0),
        percentile(v, 1.0));
}

int fail(const QString& why)
{
    std::fprintf(stderr, "bench_full_load: %s\n", qPrintable(why));
    return 1;
}

QString loadAverage()
{
    QFile f(QStringLiteral("/proc/loadavg"));
    if (!f.open(QIODevice::ReadOnly)) {
        return QStringLiteral("unknown");
    }
    return QString::fromLatin1(f.readAll()).section(QLatin1Char(' '), 0, 2);
}

} // namespace

int main(int argc, char** argv)
{
    std::signal(SIGPIPE, SIG_IGN);
    QCoreApplication app(argc, argv);
    const QString loadBefore = loadAverage();
    QString db = qEnvironmentVariable("SKEY_BANK_DB", QStringLiteral("postgresql"));
    int loads = 200;
    int warmup = 10;
    qint64 amountFen = 1;
    const QStringList args = app.arguments();
    for (int i = 1; i < args.size(); ++i) {
        const QString& a = args[i];
        const QString v = args.value(i + 1);
        bool ok = true;
        if (a == QStringLiteral("--db")) {
            db = v;
        } else if (a == QStringLiteral("--loads")) {
            loads = v.toInt(&ok);
        } else if (a == QStringLiteral("--warmup")) {
            warmup = v.toInt(&ok);
        } else if (a == QStringLiteral("--amount-fen")) {
            amountFen = v.toLongLong(&ok);
        } else {
            ok = false;
        }
        if (!ok) {
            std::fprintf(stderr,
                "usage: bench_full_load [--db postgresql|sqlite] [--loads 200] [--warmup 10] [--amount-fen 1]\n");
            return 2;
        }
        ++i;
    }
    if (db != QStringLiteral("postgresql") && db != QStringLiteral("sqlite")) {
        return fail(QStringLiteral("--db is postgresql or sqlite"));
    }
    if (loads < 1 || loads > 20000 || warmup < 0 || amountFen < 1 || amountFen * (loads + warmup) > 900000) {
        return fail(QStringLiteral("--loads 1..20000, --warmup ≥ 0, --amount-fen ≥ 1, and all loads together at most "
                                   "9,000.00 (the demo profile's maximum balance is 10,000.00)"));
    }
    qputenv("SKEY_BANK_DB", db.toLatin1());
    if (!qEnvironmentVariableIsSet("SKEY_SHARED_DIR")) {
        qputenv("SKEY_SHARED_DIR", QByteArrayLiteral(SKEY_BENCH_SHARED_DIR));
    }
    if (!qEnvironmentVariableIsSet("SKEY_SIM_PATH")) {
        qputenv("SKEY_SIM_PATH", QByteArrayLiteral(SKEY_BENCH_SIM_PATH));
    }
    // The real bank path, never the in-process demo issuer of the tests.
    qunsetenv("SKEY_WALLET_LOCAL_ISSUER");
    if (auto missing = BankRig::missingPart()) {
        return fail(*missing + QStringLiteral(" not found (scripts/setup-deps.sh installs it)"));
    }

    BankRig rig;
    if (const QString e = rig.setUp(); !e.isEmpty()) {
        return fail(e);
    }
    if (const QString e = rig.startServer(); !e.isEmpty()) {
        return fail(e);
    }
    QTemporaryDir wallet;
    if (!wallet.isValid()) {
        return fail(QStringLiteral("no temporary folder"));
    }
    const QString config = wallet.filePath(QStringLiteral("bank-client.json"));
    if (const QString e = rig.writeClientConfig(config); !e.isEmpty()) {
        return fail(e);
    }

    // The key: skey-sim over UDP, issued from the demo profile (the rig's bank holds its golden-vector masters).
    device::SimulatorOptions simOptions;
    simOptions.dataDirectory = wallet.filePath(QStringLiteral("simulator"));
    QDir().mkpath(simOptions.dataDirectory);
    simOptions.profilePath = QStringLiteral(SKEY_BENCH_SOURCE_DIR "/resources/profiles/demo-3des.json");
    device::EmbeddedSimulator sim(simOptions);
    if (auto started = sim.start(); !started) {
        return fail(QStringLiteral("skey-sim: ") + started.error().detail);
    }
    auto hid = sim.makeChannel();
    TimedChannel channel(*hid);

    core::TerminalRoles roles;
    core::TerminalRolesOptions roleOptions;
    roleOptions.dataDir = wallet.path();
    roleOptions.bankConfig = config;
    roleOptions.needMirror = true;
    if (auto opened = roles.open(roleOptions); !opened) {
        return fail(QStringLiteral("wallet roles: ") + opened.error().detail);
    }
    if (roles.bank() == nullptr) {
        return fail(QStringLiteral("the wallet did not configure the bank host"));
    }
    TimedIssuer issuer(*roles.bank());
    const core::SystemClock clock;
    core::PurseService purse(channel, issuer, roles.psam(), clock, roles.mirror());
    auto card = purse.open();
    if (!card) {
        return fail(QStringLiteral("open the key: ") + card.error().detail);
    }
    const QString asn = QString::fromLatin1(card->application.asn().toHex().toUpper());
    const qint64 deposit = amountFen * (loads + warmup);
    if (const QString e = rig.registerCard(asn, QStringLiteral("Bench holder"), deposit, QStringLiteral("BENCH"));
        !e.isEmpty()) {
        return fail(e);
    }
    auto pin = core::Pin::fromDigits("123456");
    if (!pin) {
        return fail(pin.error().detail);
    }
    auto before = purse.balance();
    if (!before) {
        return fail(QStringLiteral("balance: ") + before.error().detail);
    }

    std::vector<double> totalMs, keyMs, bankMs, authoriseMs, confirmMs, restMs;
    int apdusPerLoad = 0;
    QStringList apduNames;
    for (int i = 0; i < warmup + loads; ++i) {
        channel.ms = 0;
        channel.apdus = 0;
        channel.sent.clear();
        issuer.authoriseMs = 0;
        issuer.confirmMs = 0;
        const auto t0 = Clock::now();
        auto r = purse.load(core::Amount(amountFen), &*pin);
        const double total = msSince(t0);
        if (!r) {
            return fail(QStringLiteral("load %1: %2").arg(i).arg(r.error().detail));
        }
        if (r->recovered) {
            return fail(QStringLiteral("load %1 needed recovery (nothing may be lost on loopback)").arg(i));
        }
        if (i < warmup) {
            continue;
        }
        apdusPerLoad = channel.apdus;
        apduNames = channel.sent;
        totalMs.push_back(total);
        keyMs.push_back(channel.ms);
        authoriseMs.push_back(issuer.authoriseMs);
        confirmMs.push_back(issuer.confirmMs);
        bankMs.push_back(issuer.authoriseMs + issuer.confirmMs);
        restMs.push_back(total - channel.ms - issuer.authoriseMs - issuer.confirmMs);
    }

    // The key and the bank agree: every fen loaded is on the key, the funding account is empty, the ledger balances.
    auto after = purse.balance();
    if (!after) {
        return fail(QStringLiteral("balance: ") + after.error().detail);
    }
    if (after->fen() - before->fen() != deposit) {
        return fail(
            QStringLiteral("the key gained %1 fen, %2 were loaded").arg(after->fen() - before->fen()).arg(deposit));
    }
    QString audit;
    if (rig.bankctl({QStringLiteral("audit"), QStringLiteral("ledger")}, &audit) != 0) {
        return fail(QStringLiteral("bankctl audit ledger: ") + audit);
    }

    std::printf("bench_full_load: %d full loads of %lld fen (after %d warm-up loads), one terminal, one key, %s, "
                "build %s, load average before the run %s\n",
        loads,
        static_cast<long long>(amountFen),
        warmup,
        qPrintable(db),
        buildKind(),
        qPrintable(loadBefore));
    std::printf("  each load: %d APDUs to skey-sim over UDP (CLA INS: %s), 2 HTTPS requests (kept-alive mutual TLS)\n",
        apdusPerLoad,
        qPrintable(apduNames.join(QLatin1Char(' '))));
    std::printf("  times in ms:\n");
    printRow("full load", totalMs);
    printRow("key (APDUs over UDP)", keyMs);
    printRow("bank (authorise+confirm)", bankMs);
    printRow("  authorise (POST /v1/loads)", authoriseMs);
    printRow("  confirm (TAC)", confirmMs);
    printRow("rest (mirror, core)", restMs);
    std::printf("  key balance %lld -> %lld fen; bankctl audit ledger: ok; load average after %s\n",
        static_cast<long long>(before->fen()),
        static_cast<long long>(after->fen()),
        qPrintable(loadAverage()));
    return 0;
}
