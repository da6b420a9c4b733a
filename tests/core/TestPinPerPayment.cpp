// SPDX-License-Identifier: Apache-2.0
// The PIN per money operation (issue 9 item 14): one VERIFY (the wallet's unlock) no longer covers later loads and
// payments. PurseService selects the purse again before each one, which clears the key's PIN state (spec §1), so
// the key asks for the PIN whenever its policy says so: every load (policy bit 0), and payments above the key's
// PIN-free limit; payments up to that limit still need none.
#include "support/Rig.h"
#include "support/Vectors.h"

#include <QTest>

using namespace wallet::core;
using namespace wallet::core::test;

class TestPinPerPayment : public QObject
{
    Q_OBJECT

private slots:
    void verifyAtUnlockDoesNotCoverALoad();
    void verifyDoesNotCoverAPaymentAboveTheLimit();
};

void TestPinPerPayment::verifyAtUnlockDoesNotCoverALoad()
{
    Rig rig;
    QCOMPARE(rig.openRoles(), QString());
    QCOMPARE(rig.issue("demo-3des.json"), QString());
    const Pin p = pin("123456");
    CORE_VERIFY_OK(rig.purse->verifyPin(p)); // the wallet's unlock
    QVERIFY(rig.purse->pinStatus()->verified);
    auto load = rig.purse->load(Amount(5000));
    QVERIFY(!load.ok());
    QCOMPARE(load.error().code, ErrorCode::PinRequired);
    QCOMPARE(rig.purse->balance()->fen(), 0u); // nothing moved
    CORE_VERIFY_OK(rig.purse->load(Amount(5000), &p));
    // The PIN given with that load does not carry over to the next one either.
    auto again = rig.purse->load(Amount(100));
    QVERIFY(!again.ok());
    QCOMPARE(again.error().code, ErrorCode::PinRequired);
    QCOMPARE(rig.purse->balance()->fen(), 5000u);
}

void TestPinPerPayment::verifyDoesNotCoverAPaymentAboveTheLimit()
{
    Rig rig;
    QCOMPARE(rig.openRoles(), QString());
    QCOMPARE(
        rig.issue("demo-3des.json", [](IssuanceProfile& profile) { profile.noPinLimit = Amount(2000); }), QString());
    const Pin p = pin("123456");
    CORE_VERIFY_OK(rig.purse->load(Amount(10000), &p));
    rig.clock.advanceSeconds(60);
    // Up to the PIN-free limit: no PIN, as the key's policy says.
    CORE_VERIFY_OK(rig.purse->purchase(Amount(2000)));
    // Above it: the PIN, even right after a VERIFY and a payment made with it.
    CORE_VERIFY_OK(rig.purse->verifyPin(p));
    CORE_VERIFY_OK(rig.purse->purchase(Amount(2001), &p));
    rig.clock.advanceSeconds(60);
    auto above = rig.purse->purchase(Amount(2001));
    QVERIFY(!above.ok());
    QCOMPARE(above.error().code, ErrorCode::PinRequired);
    QCOMPARE(rig.purse->balance()->fen(), 10000u - 2000u - 2001u);
}

QTEST_GUILESS_MAIN(TestPinPerPayment)
#include "TestPinPerPayment.moc"
