// SPDX-License-Identifier: Apache-2.0
// End to end over loopback UDP: the skey-sim child process (device::EmbeddedSimulator), device::HidApduChannel, and
// the core flows: issue → verify PIN → load → purchase → history in both profiles; then power cuts at NVM writes
// through the simulator's control port, with the key "replugged" after each, and the roles agreeing afterwards.
#include "core/issuance/Personaliser.h"
#include "core/issuer/LocalIssuerHost.h"
#include "core/keystore/KeyStore.h"
#include "core/psam/LocalPsam.h"
#include "core/purse/PurseService.h"
#include "core/storage/TransactionStore.h"
#include "device/EmbeddedSimulator.h"
#include "support/Vectors.h"

#include <algorithm>

#include <QTemporaryDir>
#include <QTest>

using namespace wallet::core;

namespace {

QString profilePath(const char* name)
{
    return qEnvironmentVariable("SKEY_SOURCE_DIR", QStringLiteral(WALLET_SOURCE_DIR))
        + QStringLiteral("/resources/profiles/") + QLatin1String(name);
}

/// After a transport failure, the "user" replugs the key (control port) before the next command.
class ReplugChannel final : public ApduChannel
{
public:
    ReplugChannel(ApduChannel& inner, wallet::device::SimulatorControl control)
        : m_inner(inner)
        , m_control(std::move(control))
    { }
    Result<ResponseApdu> transmit(const CommandApdu& c) override
    {
        if (m_replug) {
            m_replug = false;
            (void)m_control.send(QStringLiteral("replug"));
            ++replugs;
        }
        auto r = m_inner.transmit(c);
        if (!r) {
            m_replug = true;
        }
        return r;
    }
    QString description() const override { return m_inner.description(); }
    int replugs = 0;

private:
    ApduChannel& m_inner;
    wallet::device::SimulatorControl m_control;
    bool m_replug = false;
};

struct SimRig
{
    QTemporaryDir dir;
    std::unique_ptr<wallet::device::EmbeddedSimulator> sim;
    std::unique_ptr<wallet::device::HidApduChannel> hid;
    std::unique_ptr<ReplugChannel> channel;
    std::unique_ptr<LocalIssuerHost> issuer;
    std::unique_ptr<LocalPsam> psam;
    std::unique_ptr<TransactionStore> mirror;
    SystemClock clock;
    std::unique_ptr<PurseService> purse;
    IssuanceProfile profile;
    QByteArray asn;

    QString start(const char* profileFile)
    {
        wallet::device::SimulatorOptions o;
        o.dataDirectory = dir.filePath(QStringLiteral("sim"));
        sim = std::make_unique<wallet::device::EmbeddedSimulator>(o);
        if (auto s = sim->start(); !s) {
            return s.error().detail;
        }
        wallet::device::HidChannelOptions co;
        co.replyTimeoutMs = 400;
        hid = sim->makeChannel(co);
        channel = std::make_unique<ReplugChannel>(*hid, sim->control());
        const IssuerMasterKeys keys = KeyStore::demoKeys();
        issuer = LocalIssuerHost::open(dir.filePath(QStringLiteral("issuer.sqlite")), keys).value();
        psam = LocalPsam::open(
            dir.filePath(QStringLiteral("psam.sqlite")), QByteArray::fromHex("112233445566"), keys.mpk)
                   .value();
        mirror = TransactionStore::open(dir.filePath(QStringLiteral("mirror.sqlite"))).value();
        auto p = IssuanceProfile::fromFile(profilePath(profileFile));
        if (!p) {
            return p.error().detail;
        }
        profile = *p;
        auto issued = Personaliser(*channel).personalise(profile);
        if (!issued) {
            return issued.error().detail;
        }
        asn = issued->asn;
        if (auto r = issuer->registerCard(asn, profile.initialFunding, Amount(0)); !r) {
            return r.error().detail;
        }
        purse = std::make_unique<PurseService>(*channel, *issuer, *psam, clock, mirror.get());
        auto o2 = purse->open();
        return o2 ? QString() : o2.error().detail;
    }
};

} // namespace

class TestSimulatorFlows : public QObject
{
    Q_OBJECT

private slots:
    void fullFlowOverUdp_data();
    void fullFlowOverUdp();
    void powerCutsOverUdp();
};

void TestSimulatorFlows::fullFlowOverUdp_data()
{
    QTest::addColumn<QString>("profile");
    QTest::newRow("3DES") << QStringLiteral("demo-3des.json");
    QTest::newRow("SM4") << QStringLiteral("demo-sm4.json");
}

void TestSimulatorFlows::fullFlowOverUdp()
{
    QFETCH(QString, profile);
    SimRig rig;
    const QString started = rig.start(profile.toLatin1().constData());
    QVERIFY2(started.isEmpty(), qPrintable(started + QStringLiteral("\n") + (rig.sim ? rig.sim->log() : QString())));
    QCOMPARE(rig.purse->card().device.lifeCycle, LifeCycle::Personalized);
    const Pin pin = *Pin::fromDigits("123456");
    auto wrong = rig.purse->verifyPin(*Pin::fromDigits("654321"));
    QVERIFY(!wrong.ok());
    QCOMPARE(wrong.error().triesLeft, 2);
    CORE_VERIFY_OK(rig.purse->verifyPin(pin));
    auto load = rig.purse->load(Amount(20000), &pin);
    CORE_VERIFY_OK(load);
    QCOMPARE(load->balanceAfter.fen(), 20000u);
    auto buy = rig.purse->purchase(Amount(1999), &pin);
    CORE_VERIFY_OK(buy);
    QCOMPARE(buy->balanceAfter.fen(), 18001u);
    auto history = rig.purse->history();
    CORE_VERIFY_OK(history);
    QCOMPARE(history->size(), std::size_t(2));
    QCOMPARE(*rig.purse->syncMirror(), 0);
    QCOMPARE(*rig.mirror->count(HistoryQuery{}), qint64(2));
    QCOMPARE(rig.issuer->account(rig.asn)->balance.fen(), rig.profile.initialFunding.fen() - 20000u);
    SettlementVerifier acquirer(KeyStore::demoKeys().mtk);
    CORE_VERIFY_OK(acquirer.verify(rig.psam->pendingSettlement()->at(0)));
}

void TestSimulatorFlows::powerCutsOverUdp()
{
    SimRig rig;
    const QString started = rig.start("demo-3des.json");
    QVERIFY2(started.isEmpty(), qPrintable(started));
    const Pin pin = *Pin::fromDigits("123456");
    // NVM writes (programs + erases) so far, from the simulator's control port.
    auto nvmWrites = [&]() -> qint64 {
        const auto st = rig.sim->control().send(QStringLiteral("status"));
        if (!st) {
            return -1;
        }
        qint64 sum = 0;
        for (const QString& kv : st->split(QLatin1Char(' '))) {
            if (kv.startsWith(QStringLiteral("nvm-programs=")) || kv.startsWith(QStringLiteral("nvm-erases="))) {
                sum += kv.section(QLatin1Char('='), 1).toLongLong();
            }
        }
        return sum;
    };
    CORE_VERIFY_OK(rig.purse->load(Amount(50000), &pin));
    std::uint64_t loads = 50000;
    std::uint64_t purchases = 0;
    int transactions = 1;
    int purchaseCount = 0;
    int recovered = 0;
    int cutPoints = 0;
    std::uint32_t nextAmount = 100;
    auto run = [&](bool isLoad) -> Result<bool> {
        const Amount amount(nextAmount++);
        bool wasRecovered = false;
        if (isLoad) {
            auto r = rig.purse->load(amount, &pin);
            if (!r) {
                return r.error();
            }
            wasRecovered = r->recovered;
            loads += amount.fen();
        } else {
            auto r = rig.purse->purchase(amount, &pin);
            if (!r) {
                return r.error();
            }
            wasRecovered = r->recovered;
            purchases += amount.fen();
            ++purchaseCount;
        }
        ++transactions;
        return wasRecovered;
    };
    for (const bool isLoad : {true, false}) {
        // A clean transaction first, to learn how many NVM writes one makes (VERIFY's try counter, the journal).
        const qint64 before = nvmWrites();
        CORE_VERIFY_OK(run(isLoad));
        const qint64 writes = nvmWrites() - before;
        QVERIFY2(before >= 0 && writes >= 2, qPrintable(QString::number(writes)));
        // Then a cut at each of those writes, alternating the tear model: every armed cut must fire (a replug).
        for (qint64 n = 1; n <= writes; ++n) {
            const int replugsBefore = rig.channel->replugs;
            auto armed
                = rig.sim->control().send(QStringLiteral("power-cut-at %1 %2")
                                              .arg(n)
                                              .arg(n % 2 ? QStringLiteral("partial") : QStringLiteral("nothing")));
            CORE_VERIFY_OK(armed);
            const qint64 writesBefore = nvmWrites();
            auto r = run(isLoad);
            CORE_VERIFY_OK(r);
            recovered += *r ? 1 : 0;
            const qint64 made = nvmWrites() - writesBefore;
            (void)rig.sim->control().send(QStringLiteral("power-cut-at 1000000")); // disarm: far away
            if (rig.channel->replugs == replugsBefore) {
                // Garbage collection makes some transactions write more than others: a cut armed past the writes
                // this one made cannot fire. Any other silent cut is a failure.
                QVERIFY2(made < n,
                    qPrintable(QStringLiteral("%1: the cut at write %2 never fired, though the run made %3 writes")
                                   .arg(isLoad ? QStringLiteral("load") : QStringLiteral("purchase"))
                                   .arg(n)
                                   .arg(made)));
                continue;
            }
            ++cutPoints;
        }
    }
    QVERIFY(cutPoints >= 4);
    auto bal = rig.purse->balance();
    CORE_VERIFY_OK(bal);
    QCOMPARE(static_cast<std::uint64_t>(bal->fen()), loads - purchases);
    QCOMPARE(static_cast<std::uint64_t>(rig.profile.initialFunding.fen() - rig.issuer->account(rig.asn)->balance.fen()),
        loads);
    QCOMPARE(rig.psam->pendingSettlement()->size(), std::size_t(purchaseCount));
    CORE_VERIFY_OK(rig.purse->syncMirror());
    auto history = rig.purse->history();
    CORE_VERIFY_OK(history);
    // The token keeps its newest 10 records (cyclic SFI 0x18); the mirror keeps every transaction, once each.
    QCOMPARE(history->size(), std::size_t(std::min(transactions, 10)));
    QCOMPARE(*rig.mirror->count(HistoryQuery{}), qint64(transactions));
    CORE_VERIFY_OK(rig.purse->syncMirror());
    QCOMPARE(*rig.mirror->count(HistoryQuery{}), qint64(transactions));
    qInfo("power cuts over UDP: %d cut points (every NVM write of a load and of a purchase), %d replugs, %d "
          "transactions finished by recovery",
        cutPoints,
        rig.channel->replugs,
        recovered);
}

QTEST_GUILESS_MAIN(TestSimulatorFlows)
#include "TestSimulatorFlows.moc"
