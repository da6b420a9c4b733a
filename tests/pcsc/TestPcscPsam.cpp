// SPDX-License-Identifier: Apache-2.0
// The kiosk's PSAM as a SAM in a second PC/SC reader (docs/psam.md): a private pcscd with vsmartcard vpcd, whose
// second slot (port + 1, reader "Virtual PCD 00 01") holds a second skey-sim, the SAM; the first slot holds the
// cardholder's key. The bank's personalisation of the SAM through PC/SC (CardPsam::personalise), then a full
// purchase by core's PurseService with device::PcscPsam against the simulated purse over PC/SC, the TAC checked
// by the acquirer's SettlementVerifier, settlement cleared on the card. Label pcsc; skips as test_pcsc does.
#include "PcscChannel.h"
#include "PcscRig.h"
#include "support/Skip.h"

#include "core/issuance/IssuanceProfile.h"
#include "core/issuer/LocalIssuerHost.h"
#include "core/keystore/KeyStore.h"
#include "core/psam/CardPsam.h"
#include "core/psam/LocalPsam.h"
#include "core/purse/PurseService.h"
#include "device/PcscApduChannel.h"
#include "device/PcscPsam.h"

#include <QTest>

using namespace wallet;
using namespace wallet::core;

namespace {

QString profilePath()
{
    return qEnvironmentVariable("SKEY_SOURCE_DIR") + QStringLiteral("/resources/profiles/demo-3des.json");
}

const char* kSamReader = "Virtual PCD 00 01";

/// A second skey-sim in vpcd's second slot (vpcd listens on consecutive ports, one per reader).
QString startSam(PcscRig& rig, std::unique_ptr<device::EmbeddedSimulator>& sam)
{
    device::SimulatorOptions o;
    o.dataDirectory = rig.dir.filePath(QStringLiteral("sam"));
    o.serialHex = QStringLiteral("534B000000005A01");
    o.pcsc = true;
    o.extraArguments = {QStringLiteral("--vpcd-port"), QString::number(rig.vpcdPort + 1)};
    sam = std::make_unique<device::EmbeddedSimulator>(o);
    if (auto s = sam->start(); !s) {
        return s.error().detail;
    }
    for (int i = 0; i < 100; ++i) {
        auto st = sam->control().send(QStringLiteral("status"));
        if (st && st.value().contains(QStringLiteral("pcsc=connected"))) {
            PcscChannel probe;
            return probe.open(kSamReader);
        }
        QThread::msleep(50);
    }
    return QStringLiteral("the SAM simulator did not attach to vpcd's second slot (port %1)").arg(rig.vpcdPort + 1);
}

} // namespace

class TestPcscPsam : public QObject
{
    Q_OBJECT

private slots:
    void purchaseWithTheSamInASecondReader()
    {
        PcscRig rig;
        const QString err = rig.start(profilePath());
        if (!rig.skipReason.isEmpty()) {
            SKEY_SKIP(rig.skipReason);
        }
        QVERIFY2(err.isEmpty(), qPrintable(err));
        std::unique_ptr<device::EmbeddedSimulator> samSim;
        const QString samErr = startSam(rig, samSim);
        QVERIFY2(samErr.isEmpty(), qPrintable(samErr));
        auto readers = device::PcscApduChannel::readers();
        QVERIFY(readers);
        QVERIFY2(readers->contains(QString::fromLatin1(kSamReader)), qPrintable(readers->join(QStringLiteral(", "))));

        const auto keys = KeyStore::demoKeys();
        const auto profile = IssuanceProfile::fromFile(profilePath());
        QVERIFY(profile);
        const QByteArray tid = QByteArray::fromHex("A1A2A3A4A5A6");
        {
            // A blank SAM is refused; the bank host personalises it over PC/SC with the card's transport key.
            QCOMPARE(device::PcscPsam::open(QString::fromLatin1(kSamReader)).error().code, ErrorCode::InvalidState);
            auto ch = device::PcscApduChannel::open(QString::fromLatin1(kSamReader));
            QVERIFY2(ch, qPrintable(ch ? QString() : ch.error().detail));
            auto p = CardPsam::personalise(**ch,
                secureFromHex(QStringLiteral("4B544B544B544B544B544B544B544B54")),
                {PsamMasterKey{1, profile->keyVersion, Algorithm::TripleDes, keys.mpk}},
                tid,
                1);
            QVERIFY2(p, qPrintable(p ? QString() : p.error().detail));
        }
        auto notThere = device::PcscPsam::open(QStringLiteral("No Such Reader"));
        QVERIFY(!notThere);
        QVERIFY2(
            notThere.error().detail.contains(QString::fromLatin1(kSamReader)), qPrintable(notThere.error().detail));

        auto sam = device::PcscPsam::open(QString::fromLatin1(kSamReader));
        QVERIFY2(sam, qPrintable(sam ? QString() : sam.error().detail));
        QCOMPARE((*sam)->terminalId(), tid);

        auto issuer = LocalIssuerHost::open(rig.dir.filePath(QStringLiteral("issuer.sqlite")), keys);
        QVERIFY(issuer);
        FixedClock clock(QDateTime(QDate(2026, 3, 14), QTime(10, 30, 0)));
        const Pin pin = *Pin::fromDigits("123456");
        {
            auto hid = rig.sim->makeChannel(); // the cardholder loads at home, over HID
            PurseService purse(*hid, **issuer, **sam, clock);
            QVERIFY(purse.open());
            QVERIFY((*issuer)->registerCard(purse.card().application.asn(), Amount(10000000), Amount(0)));
            QVERIFY(purse.load(Amount(5000), &pin));
        }
        QByteArray asn;
        QByteArray tac;
        {
            // The kiosk: the key in reader 00 00, the SAM in reader 00 01.
            PcscChannel key;
            const QString o = key.open("Virtual PCD 00 00");
            QVERIFY2(o.isEmpty(), qPrintable(o));
            PurseService purse(key, **issuer, **sam, clock);
            QVERIFY(purse.open());
            asn = purse.card().application.asn();
            clock.advanceSeconds(60);
            auto buy = purse.purchase(Amount(1234), &pin);
            QVERIFY2(buy, qPrintable(buy ? QString() : buy.error().detail));
            QCOMPARE(buy->balanceAfter.fen(), 3766u);
            QCOMPARE(buy->tsn, 1u);
            QCOMPARE(buy->terminalId, tid);
            tac = buy->tac;
        }
        // Settlement: what the SAM kept passes the acquirer's TAC check; acknowledged, it is cleared on the card.
        auto pending = (*sam)->pendingSettlement();
        QVERIFY(pending);
        QCOMPARE(pending->size(), std::size_t(1));
        QCOMPARE(pending->front().asn, asn);
        QCOMPARE(pending->front().tac.toHex(), tac.toHex());
        QCOMPARE(pending->front().terminalId, tid);
        auto verified = SettlementVerifier(keys.mtk).verify(pending->front());
        QVERIFY2(verified, qPrintable(verified ? QString() : verified.error().detail));
        QVERIFY((*sam)->markSettled({pending->front().tsn}));
        QVERIFY((*sam)->pendingSettlement()->empty());
        QCOMPARE((*sam)->status()->nextTsn, 2u);
    }
};

SKEY_TEST_MAIN(TestPcscPsam)
#include "TestPcscPsam.moc"
