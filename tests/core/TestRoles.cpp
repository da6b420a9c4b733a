// SPDX-License-Identifier: Apache-2.0
// The issuer host and PSAM roles reproduce the golden flows of tests/data/vectors/pboc.json: MAC2 for the load,
// TAC verification, MAC1 for the purchase, MAC2/TAC verification and the acquirer's TAC check. Also declines,
// idempotence of the issuer ledger, tampered MACs, and the persistent TSN.
#include "core/issuer/LocalIssuerHost.h"
#include "core/keystore/KeyStore.h"
#include "core/psam/LocalPsam.h"
#include "support/Vectors.h"

#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

using namespace wallet::core;
using wallet::core::test::hex;

namespace {

struct FlowSteps
{
    QByteArray initCmd, initResp, secondCmd, secondResp;
};

/// The first two steps of a flow (INITIALIZE and its completion), split into command and response data.
FlowSteps stepsOf(const QJsonObject& flow)
{
    const QJsonArray steps = flow.value(QStringLiteral("steps")).toArray();
    FlowSteps s;
    s.initCmd = hex(steps.at(0).toObject().value(QStringLiteral("c")).toString());
    s.initResp = hex(steps.at(0).toObject().value(QStringLiteral("r")).toString()).chopped(2);
    s.secondCmd = hex(steps.at(1).toObject().value(QStringLiteral("c")).toString());
    s.secondResp = hex(steps.at(1).toObject().value(QStringLiteral("r")).toString()).chopped(2);
    return s;
}

IssuerMasterKeys keysFor(const QJsonObject& loadFlow)
{
    IssuerMasterKeys k = KeyStore::demoKeys();
    const QJsonObject mk = loadFlow.value(QStringLiteral("issuer_master_keys")).toObject();
    k.mlk = toSecure(hex(mk.value(QStringLiteral("MLK")).toString()));
    k.mpk = toSecure(hex(mk.value(QStringLiteral("MPK")).toString()));
    k.mtk = toSecure(hex(mk.value(QStringLiteral("MTK")).toString()));
    return k;
}

} // namespace

class TestRoles : public QObject
{
    Q_OBJECT

private slots:
    void goldenFlows_data();
    void goldenFlows();
    void issuerDeclines();
    void issuerIsIdempotentPerAsnAndAtc();
    void tsnPersistsAndIsNeverReused();
};

void TestRoles::goldenFlows_data()
{
    QTest::addColumn<QJsonObject>("loadFlow");
    QTest::addColumn<QJsonObject>("purchaseFlow");
    QTest::addColumn<int>("alg");
    const QJsonArray flows = test::loadVectors().value(QStringLiteral("flows")).toArray();
    QVERIFY2(flows.size() == 4, "golden flows not found");
    QTest::newRow("3DES") << flows.at(0).toObject() << flows.at(1).toObject() << 0;
    QTest::newRow("SM4") << flows.at(2).toObject() << flows.at(3).toObject() << 4;
}

void TestRoles::goldenFlows()
{
    QFETCH(QJsonObject, loadFlow);
    QFETCH(QJsonObject, purchaseFlow);
    QFETCH(int, alg);
    QTemporaryDir dir;
    const IssuerMasterKeys keys = keysFor(loadFlow);
    const QByteArray asn = hex(loadFlow.value(QStringLiteral("asn")).toString());

    // --- load: the issuer checks MAC1 and produces the vector's MAC2, then accepts the vector's TAC.
    auto issuer = LocalIssuerHost::open(dir.filePath(QStringLiteral("issuer.sqlite")), keys);
    CORE_VERIFY_OK(issuer);
    CORE_VERIFY_OK((*issuer)->registerCard(asn, Amount(500000), Amount(0)));
    const FlowSteps load = stepsOf(loadFlow);
    LoadRequest req;
    req.asn = asn;
    req.algorithm = static_cast<Algorithm>(alg);
    req.keyIndex = static_cast<std::uint8_t>(load.initCmd.at(5));
    req.amount = Amount(readU32(load.initCmd, 6));
    req.terminalId = load.initCmd.mid(10, 6);
    req.balanceBefore = Amount(readU32(load.initResp, 0));
    req.onlineAtc = static_cast<std::uint16_t>(readU16(load.initResp, 4));
    req.keyVersion = static_cast<std::uint8_t>(load.initResp.at(6));
    QCOMPARE(static_cast<int>(static_cast<std::uint8_t>(load.initResp.at(7))), alg);
    req.random = load.initResp.mid(8, 4);
    req.mac1 = load.initResp.mid(12, 4);
    req.date = load.secondCmd.mid(5, 4);
    req.time = load.secondCmd.mid(9, 3);
    auto auth = (*issuer)->authoriseLoad(req);
    CORE_VERIFY_OK(auth);
    QCOMPARE(auth->mac2.toHex().toUpper(), load.secondCmd.mid(12, 4).toHex().toUpper());
    auto account = (*issuer)->account(asn);
    CORE_VERIFY_OK(account);
    QCOMPARE(account->balance.fen(), 500000u - req.amount.fen());
    // A tampered TAC is refused, the real one accepted.
    QByteArray badTac = load.secondResp;
    badTac[0] = static_cast<char>(badTac[0] ^ 0x01);
    const Amount after(req.balanceBefore.fen() + req.amount.fen());
    auto rejected = (*issuer)->confirmLoad(asn, req.onlineAtc, after, badTac);
    QVERIFY(!rejected.ok());
    QCOMPARE(rejected.error().code, ErrorCode::VerificationFailed);
    CORE_VERIFY_OK((*issuer)->confirmLoad(asn, req.onlineAtc, after, load.secondResp));
    // A tampered MAC1 is refused before the ledger moves.
    LoadRequest tampered = req;
    tampered.onlineAtc = 1;
    tampered.mac1[3] = static_cast<char>(tampered.mac1[3] ^ 0x80);
    auto refused = (*issuer)->authoriseLoad(tampered);
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error().code, ErrorCode::VerificationFailed);
    QCOMPARE((*issuer)->account(asn)->balance.fen(), 500000u - req.amount.fen());

    // --- purchase: the PSAM makes the vector's MAC1 with the vector's TSN, verifies MAC2, keeps the TAC.
    const FlowSteps buy = stepsOf(purchaseFlow);
    auto psam = LocalPsam::open(dir.filePath(QStringLiteral("psam.sqlite")), buy.initCmd.mid(10, 6), keys.mpk);
    CORE_VERIFY_OK(psam);
    const std::uint32_t tsn = readU32(hex(purchaseFlow.value(QStringLiteral("tsn")).toString()), 0);
    CORE_VERIFY_OK((*psam)->setNextTsn(tsn));
    PurchaseRequest preq;
    preq.asn = asn;
    preq.algorithm = static_cast<Algorithm>(alg);
    preq.amount = Amount(readU32(buy.initCmd, 6));
    preq.balanceBefore = Amount(readU32(buy.initResp, 0));
    preq.offlineAtc = static_cast<std::uint16_t>(readU16(buy.initResp, 4));
    preq.keyVersion = static_cast<std::uint8_t>(buy.initResp.at(9));
    preq.random = buy.initResp.mid(11, 4);
    preq.date = buy.secondCmd.mid(9, 4);
    preq.time = buy.secondCmd.mid(13, 3);
    auto pauth = (*psam)->authorisePurchase(preq);
    CORE_VERIFY_OK(pauth);
    QCOMPARE(pauth->tsn, tsn);
    QCOMPARE(pauth->mac1.toHex().toUpper(), buy.secondCmd.mid(16, 4).toHex().toUpper());
    const QByteArray tac = buy.secondResp.left(4);
    const QByteArray mac2 = buy.secondResp.mid(4, 4);
    QByteArray badMac2 = mac2;
    badMac2[1] = static_cast<char>(badMac2[1] ^ 0x10);
    auto bad = (*psam)->confirmPurchase(tsn, badMac2, tac);
    QVERIFY(!bad.ok());
    QCOMPARE(bad.error().code, ErrorCode::VerificationFailed);
    CORE_VERIFY_OK((*psam)->confirmPurchase(tsn, mac2, tac));

    // --- settlement: export, parse back, the acquirer verifies each TAC with the TAC master key.
    auto pending = (*psam)->pendingSettlement();
    CORE_VERIFY_OK(pending);
    QCOMPARE(pending->size(), std::size_t(1));
    auto parsed = SettlementVerifier::fromJson(SettlementVerifier::toJson(*pending));
    CORE_VERIFY_OK(parsed);
    SettlementVerifier acquirer(keys.mtk);
    CORE_VERIFY_OK(acquirer.verify(parsed->at(0)));
    SettlementRecord forged = parsed->at(0);
    forged.amount = Amount(forged.amount.fen() + 1);
    QVERIFY(!acquirer.verify(forged).ok());
    CORE_VERIFY_OK((*psam)->markSettled({tsn}));
    QCOMPARE((*psam)->pendingSettlement()->size(), std::size_t(0));
}

void TestRoles::issuerDeclines()
{
    QTemporaryDir dir;
    const QJsonObject loadFlow = test::loadVectors().value(QStringLiteral("flows")).toArray().at(0).toObject();
    auto issuer = LocalIssuerHost::open(dir.filePath(QStringLiteral("issuer.sqlite")), keysFor(loadFlow));
    CORE_VERIFY_OK(issuer);
    const FlowSteps load = stepsOf(loadFlow);
    LoadRequest req;
    req.asn = hex(loadFlow.value(QStringLiteral("asn")).toString());
    req.amount = Amount(1000);
    req.terminalId = load.initCmd.mid(10, 6);
    req.keyVersion = 1;
    req.random = load.initResp.mid(8, 4);
    req.mac1 = load.initResp.mid(12, 4);
    req.date = load.secondCmd.mid(5, 4);
    req.time = load.secondCmd.mid(9, 3);

    auto unknown = (*issuer)->authoriseLoad(req);
    QVERIFY(!unknown.ok());
    QCOMPARE(unknown.error().code, ErrorCode::Declined);
    QVERIFY(unknown.error().detail.contains(QStringLiteral("unknown card")));

    CORE_VERIFY_OK((*issuer)->registerCard(req.asn, Amount(999), Amount(0)));
    auto poor = (*issuer)->authoriseLoad(req);
    QVERIFY(!poor.ok());
    QCOMPARE(poor.error().code, ErrorCode::Declined);
    QVERIFY(poor.error().detail.contains(QStringLiteral("insufficient funds")));

    CORE_VERIFY_OK((*issuer)->registerCard(req.asn, Amount(100000), Amount(500)));
    auto limit = (*issuer)->authoriseLoad(req);
    QVERIFY(!limit.ok());
    QVERIFY(limit.error().detail.contains(QStringLiteral("limit")));

    CORE_VERIFY_OK((*issuer)->registerCard(req.asn, Amount(100000), Amount(0)));
    CORE_VERIFY_OK((*issuer)->setBlocked(req.asn, true));
    auto blocked = (*issuer)->authoriseLoad(req);
    QVERIFY(!blocked.ok());
    QVERIFY(blocked.error().detail.contains(QStringLiteral("blocked")));
    QCOMPARE((*issuer)->account(req.asn)->balance.fen(), 100000u);
    CORE_VERIFY_OK((*issuer)->setBlocked(req.asn, false));
    CORE_VERIFY_OK((*issuer)->authoriseLoad(req));
    QCOMPARE((*issuer)->account(req.asn)->balance.fen(), 99000u);
}

void TestRoles::issuerIsIdempotentPerAsnAndAtc()
{
    QTemporaryDir dir;
    const QJsonObject loadFlow = test::loadVectors().value(QStringLiteral("flows")).toArray().at(0).toObject();
    const QString path = dir.filePath(QStringLiteral("issuer.sqlite"));
    const FlowSteps load = stepsOf(loadFlow);
    LoadRequest req;
    req.asn = hex(loadFlow.value(QStringLiteral("asn")).toString());
    req.amount = Amount(1000);
    req.terminalId = load.initCmd.mid(10, 6);
    req.keyVersion = 1;
    req.random = load.initResp.mid(8, 4);
    req.mac1 = load.initResp.mid(12, 4);
    req.date = load.secondCmd.mid(5, 4);
    req.time = load.secondCmd.mid(9, 3);
    {
        auto issuer = LocalIssuerHost::open(path, keysFor(loadFlow));
        CORE_VERIFY_OK(issuer);
        CORE_VERIFY_OK((*issuer)->registerCard(req.asn, Amount(5000), Amount(0)));
        for (int i = 0; i < 3; ++i) { // the same (ASN, ATC) authorised three times: one debit
            CORE_VERIFY_OK((*issuer)->authoriseLoad(req));
        }
        QCOMPARE((*issuer)->account(req.asn)->balance.fen(), 4000u);
    }
    {
        // Reopened (a crash between authorisation and credit): still one debit; a cancel gives it back once.
        auto issuer = LocalIssuerHost::open(path, keysFor(loadFlow));
        CORE_VERIFY_OK(issuer);
        CORE_VERIFY_OK((*issuer)->authoriseLoad(req));
        QCOMPARE((*issuer)->account(req.asn)->balance.fen(), 4000u);
        CORE_VERIFY_OK((*issuer)->cancelLoad(req.asn, 0));
        CORE_VERIFY_OK((*issuer)->cancelLoad(req.asn, 0));
        QCOMPARE((*issuer)->account(req.asn)->balance.fen(), 5000u);
        CORE_VERIFY_OK((*issuer)->authoriseLoad(req));
        CORE_VERIFY_OK((*issuer)->confirmLoad(req.asn, 0, Amount(1000), load.secondResp));
        QCOMPARE((*issuer)->account(req.asn)->balance.fen(), 4000u);
        auto again = (*issuer)->authoriseLoad(req); // a completed load is never authorised again
        QVERIFY(!again.ok());
        QCOMPARE(again.error().code, ErrorCode::Declined);
        QCOMPARE((*issuer)->account(req.asn)->balance.fen(), 4000u);
        auto entries = (*issuer)->loads(req.asn);
        CORE_VERIFY_OK(entries);
        QCOMPARE(entries->size(), std::size_t(1));
        QCOMPARE(entries->at(0).state, QStringLiteral("completed"));
    }
}

void TestRoles::tsnPersistsAndIsNeverReused()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("psam.sqlite"));
    PurchaseRequest req;
    req.asn = hex(QStringLiteral("0102030405060708"));
    req.amount = Amount(100);
    req.random = hex(QStringLiteral("01020304"));
    req.date = hex(QStringLiteral("20250101"));
    req.time = hex(QStringLiteral("120000"));
    std::uint32_t last = 0;
    for (int round = 0; round < 3; ++round) {
        auto psam = LocalPsam::open(path, hex(QStringLiteral("112233445566")), KeyStore::demoKeys().mpk);
        CORE_VERIFY_OK(psam);
        auto a = (*psam)->authorisePurchase(req);
        CORE_VERIFY_OK(a);
        QVERIFY(a->tsn > last);
        last = a->tsn;
    }
    QCOMPARE(last, 3u);
}

QTEST_GUILESS_MAIN(TestRoles)
#include "TestRoles.moc"
