// SPDX-License-Identifier: Apache-2.0
// core::CardPsam (the PSAM card application behind core::Psam, docs/psam.md) against the real firmware: a second
// in-process token is the SAM, personalised by CardPsam::personalise with the issuer's MPK through real APDUs; the
// terminal's PurseService pays with it exactly as with LocalPsam. Checks: the same MAC1 as LocalPsam for the same
// request and TSN, the acquirer's TAC check of what the card keeps for settlement, settlement clearing, abandon,
// reconciliation list, and a wrong MAC2 refused.
#include "core/psam/CardPsam.h"
#include "support/Rig.h"
#include "support/Vectors.h"

#include <QTest>

using namespace wallet::core;
using namespace wallet::core::test;

class TestCardPsam : public QObject
{
    Q_OBJECT

private slots:
    void purchaseThroughTheCard_data();
    void purchaseThroughTheCard();
};

void TestCardPsam::purchaseThroughTheCard_data()
{
    QTest::addColumn<QString>("profile");
    QTest::newRow("3DES") << QStringLiteral("demo-3des.json");
    QTest::newRow("SM4") << QStringLiteral("demo-sm4.json");
}

void TestCardPsam::purchaseThroughTheCard()
{
    QFETCH(QString, profile);
    Rig rig;
    QCOMPARE(rig.openRoles(), QString());
    QCOMPARE(rig.issue(profile.toLatin1().constData()), QString());

    // The SAM: a second token; the bank's personalisation with the card's transport key (the development KT).
    skey::host::HostToken samToken({0x53, 0x4B, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02});
    InProcessChannel sam(samToken);
    const SecureBytes kt = secureFromHex(QStringLiteral("4B544B544B544B544B544B544B544B54"));
    const QByteArray tid = QByteArray::fromHex("112233445566");
    QCOMPARE(CardPsam::open(sam).error().code, ErrorCode::InvalidState); // blank: refused
    CORE_VERIFY_OK(CardPsam::personalise(sam,
        kt,
        {PsamMasterKey{1, rig.profile.keyVersion, Algorithm::TripleDes, KeyStore::demoKeys().mpk},
            PsamMasterKey{1, rig.profile.keyVersion, Algorithm::Sm4, KeyStore::demoKeys().mpk}},
        tid,
        500));
    QCOMPARE(
        CardPsam::personalise(sam, kt, {PsamMasterKey{1, 1, Algorithm::TripleDes, KeyStore::demoKeys().mpk}}, tid, 1)
            .error()
            .statusWord,
        std::uint16_t(0x6985)); // never twice
    auto card = CardPsam::open(sam);
    CORE_VERIFY_OK(card);
    QCOMPARE((*card)->terminalId(), tid);

    // The same request gives the same TSN and MAC1 from the card and from the software PSAM.
    PurchaseRequest req{rig.asn,
        rig.profile.algorithm,
        1,
        rig.profile.keyVersion,
        Amount(1000),
        Amount(250),
        3,
        QByteArray::fromHex("0A0B0C0D"),
        QByteArray::fromHex("20260314"),
        QByteArray::fromHex("103000")};
    CORE_VERIFY_OK(rig.psam->setNextTsn(500));
    auto viaCard = (*card)->authorisePurchase(req);
    auto viaSoftware = rig.psam->authorisePurchase(req);
    CORE_VERIFY_OK(viaCard);
    CORE_VERIFY_OK(viaSoftware);
    QCOMPARE(viaCard->tsn, 500u);
    QCOMPARE(viaCard->tsn, viaSoftware->tsn);
    QCOMPARE(viaCard->mac1.toHex(), viaSoftware->mac1.toHex());
    // That purchase never reached a key: it is open for reconciliation, then abandoned.
    auto open = (*card)->unconfirmed(rig.asn);
    CORE_VERIFY_OK(open);
    QCOMPARE(open->size(), std::size_t(1));
    QCOMPARE(open->front().tsn, 500u);
    QCOMPARE(open->front().amount.fen(), 250u);
    QCOMPARE((*card)->confirmPurchase(500, QByteArray(4, '\0'), QByteArray(4, '\0')).error().code,
        ErrorCode::VerificationFailed);
    CORE_VERIFY_OK((*card)->abandon(500));
    CORE_VERIFY_OK((*card)->abandon(500)); // idempotent
    QVERIFY((*card)->unconfirmed(rig.asn)->empty());

    // A real purchase by the terminal with the card PSAM.
    rig.purse = std::make_unique<PurseService>(rig.channel, *rig.issuer, **card, rig.clock, rig.mirror.get());
    CORE_VERIFY_OK(rig.purse->open());
    const Pin p = pin("123456");
    CORE_VERIFY_OK(rig.purse->verifyPin(p));
    CORE_VERIFY_OK(rig.purse->load(*Amount::parse(QStringLiteral("50.00")), &p));
    rig.clock.advanceSeconds(60);
    auto buy = rig.purse->purchase(*Amount::parse(QStringLiteral("12.34")), &p);
    CORE_VERIFY_OK(buy);
    QCOMPARE(buy->tsn, 501u);
    QCOMPARE(buy->terminalId, tid);
    QCOMPARE(rig.purse->balance()->fen(), 5000u - 1234u);

    // What the card keeps for settlement passes the acquirer's TAC check (MTK), and is cleared once acknowledged.
    auto pending = (*card)->pendingSettlement();
    CORE_VERIFY_OK(pending);
    QCOMPARE(pending->size(), std::size_t(1));
    const SettlementRecord& s = pending->front();
    QCOMPARE(s.tsn, 501u);
    QCOMPARE(s.amount.fen(), 1234u);
    QCOMPARE(s.asn, rig.asn);
    QCOMPARE(s.tac.toHex(), buy->tac.toHex());
    QCOMPARE(s.mac2.toHex(), buy->mac2.toHex());
    QCOMPARE(s.algorithm, rig.profile.algorithm);
    CORE_VERIFY_OK(SettlementVerifier(KeyStore::demoKeys().mtk).verify(s));
    SettlementRecord altered = s;
    altered.amount = Amount(1235);
    QVERIFY(!SettlementVerifier(KeyStore::demoKeys().mtk).verify(altered));
    CORE_VERIFY_OK((*card)->markSettled({501}));
    CORE_VERIFY_OK((*card)->markSettled({501})); // idempotent
    QVERIFY((*card)->pendingSettlement()->empty());
    auto st = (*card)->status();
    CORE_VERIFY_OK(st);
    QVERIFY(st->usedSlots.empty());
    QCOMPARE(st->nextTsn, 502u);
}

QTEST_GUILESS_MAIN(TestCardPsam)
#include "TestCardPsam.moc"
