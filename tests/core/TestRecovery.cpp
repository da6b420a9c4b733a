// SPDX-License-Identifier: Apache-2.0
// Spec §4 recovery: power cut at every NVM write of a load and of a purchase (every TearModel), lost responses,
// unplug before a command, and a key that does not come back. After each: the token balance, the issuer ledger,
// the PSAM and the mirror agree; no double load, no double charge.
#include "support/Rig.h"
#include "support/Vectors.h"

#include <QTest>

using namespace wallet::core;
using namespace wallet::core::test;
using skey::host::TearModel;

namespace {

constexpr std::uint32_t kStart = 10000; // balance before the transaction under test
constexpr std::uint32_t kAmount = 1234;

/// Issues a token, loads kStart, and returns the rig ready for the transaction under test.
std::unique_ptr<Rig> preparedRig(const char* profile)
{
    auto rig = std::make_unique<Rig>();
    if (!rig->openRoles().isEmpty() || !rig->issue(profile).isEmpty()) {
        return nullptr;
    }
    const Pin p = pin("123456");
    if (!rig->purse->load(Amount(kStart), &p)) {
        return nullptr;
    }
    rig->clock.advanceSeconds(30);
    return rig;
}

/// The invariants after any outcome: returns "" or what is wrong. `psamMisses` = purchases the PSAM never saw
/// completed (the key vanished after DEBIT).
QString checkAgreement(Rig& rig, int psamMisses = 0)
{
    // Read the token through a fresh session (the service under test may have given up).
    rig.restartService();
    if (auto o = rig.purse->open(); !o) {
        return QStringLiteral("reopen: ") + o.error().detail;
    }
    const auto bal = rig.purse->balance();
    const auto history = rig.purse->history();
    const auto funds = rig.issuer->account(rig.asn);
    const auto ledger = rig.issuer->loads(rig.asn);
    const auto settlement = rig.psam->pendingSettlement();
    if (!bal || !history || !funds || !ledger || !settlement) {
        return QStringLiteral("something unreadable");
    }
    std::uint64_t loadSum = 0;
    std::uint64_t purchaseSum = 0;
    int purchases = 0;
    for (const auto& r : *history) {
        if (r.type == TransactionType::Load) {
            loadSum += r.amount.fen();
        } else {
            purchaseSum += r.amount.fen();
            ++purchases;
        }
    }
    if (bal->fen() != loadSum - purchaseSum) {
        return QStringLiteral("token balance %1 != loads %2 - purchases %3")
            .arg(bal->fen())
            .arg(loadSum)
            .arg(purchaseSum);
    }
    // Issuer: the funding account lost exactly what the token gained by loads, once.
    const std::uint64_t debited = rig.profile.initialFunding.fen() - funds->balance.fen();
    if (debited != loadSum) {
        return QStringLiteral("issuer debited %1, token loaded %2").arg(debited).arg(loadSum);
    }
    std::uint64_t ledgerLoads = 0;
    for (const auto& e : *ledger) {
        if (e.state != QStringLiteral("cancelled")) {
            ledgerLoads += e.amount.fen();
        }
    }
    if (ledgerLoads != loadSum) {
        return QStringLiteral("issuer ledger has %1 in live loads, token %2").arg(ledgerLoads).arg(loadSum);
    }
    // PSAM: every purchase on the token is confirmed there with a TAC that verifies, and nothing else.
    if (static_cast<int>(settlement->size()) + psamMisses != purchases) {
        return QStringLiteral("PSAM holds %1 purchases, token made %2").arg(settlement->size()).arg(purchases);
    }
    SettlementVerifier acquirer(KeyStore::demoKeys().mtk);
    for (const auto& s : *settlement) {
        if (auto v = acquirer.verify(s); !v) {
            return v.error().detail;
        }
    }
    if (const auto open = rig.psam->unconfirmed(rig.asn); !open || !open->empty()) {
        return QStringLiteral("PSAM still has %1 unconfirmed purchases").arg(open ? open->size() : 999);
    }
    // Mirror: equals the token log after a sync, no duplicates.
    if (auto s = rig.purse->syncMirror(); !s) {
        return QStringLiteral("sync: ") + s.error().detail;
    }
    const auto rows = rig.mirror->count(HistoryQuery{});
    if (!rows || *rows != static_cast<qint64>(history->size())) {
        return QStringLiteral("mirror has %1 rows, token %2").arg(rows ? *rows : -1).arg(history->size());
    }
    return {};
}

} // namespace

class TestRecovery : public QObject
{
    Q_OBJECT

private slots:
    void powerCutAtEveryWrite_data();
    void powerCutAtEveryWrite();
    void lostResponse_data();
    void lostResponse();
    void keyDoesNotComeBackThenReconciles_data();
    void keyDoesNotComeBackThenReconciles();
};

void TestRecovery::powerCutAtEveryWrite_data()
{
    QTest::addColumn<QString>("profile");
    QTest::addColumn<bool>("isLoad");
    QTest::addColumn<int>("tear");
    for (const char* profile : {"demo-3des.json", "demo-sm4.json"}) {
        for (const bool isLoad : {true, false}) {
            for (const int tear : {0, 1, 2}) {
                QTest::addRow("%s %s tear%d", profile, isLoad ? "load" : "purchase", tear)
                    << QString::fromLatin1(profile) << isLoad << tear;
            }
        }
    }
}

void TestRecovery::powerCutAtEveryWrite()
{
    QFETCH(QString, profile);
    QFETCH(bool, isLoad);
    QFETCH(int, tear);
    const QByteArray profileName = profile.toLatin1();
    const Pin p = pin("123456");
    // How many NVM writes does the transaction make when nothing goes wrong?
    std::uint64_t writes = 0;
    {
        auto rig = preparedRig(profileName.constData());
        QVERIFY(rig);
        rig->token.nvm().resetCounters();
        if (isLoad) {
            CORE_VERIFY_OK(rig->purse->load(Amount(kAmount), &p));
        } else {
            CORE_VERIFY_OK(rig->purse->purchase(Amount(kAmount), &p));
        }
        writes = rig->token.nvm().counters().programs + rig->token.nvm().counters().erases;
        QVERIFY(writes > 0);
    }
    int recovered = 0;
    for (std::uint64_t n = 1; n <= writes + 1; ++n) {
        auto rig = preparedRig(profileName.constData());
        QVERIFY(rig);
        rig->token.nvm().armPowerCut(n, static_cast<TearModel>(tear));
        bool ok = false;
        bool wasRecovered = false;
        if (isLoad) {
            auto r = rig->purse->load(Amount(kAmount), &p);
            ok = r.ok();
            wasRecovered = ok && r->recovered;
        } else {
            auto r = rig->purse->purchase(Amount(kAmount), &p);
            ok = r.ok();
            wasRecovered = ok && r->recovered;
        }
        rig->token.nvm().disarmPowerCut();
        QVERIFY2(ok,
            qPrintable(QStringLiteral("cut at write %1 of %2: the transaction did not complete").arg(n).arg(writes)));
        recovered += wasRecovered ? 1 : 0;
        const QString agree = checkAgreement(*rig);
        QVERIFY2(agree.isEmpty(), qPrintable(QStringLiteral("cut at write %1: %2").arg(n).arg(agree)));
        const auto bal = rig->purse->balance();
        CORE_VERIFY_OK(bal);
        QCOMPARE(bal->fen(), isLoad ? kStart + kAmount : kStart - kAmount);
    }
    QVERIFY(recovered > 0); // the cuts really hit the transaction
}

void TestRecovery::lostResponse_data()
{
    QTest::addColumn<QString>("profile");
    QTest::addColumn<int>("ins");
    QTest::addColumn<bool>("beforeSend");
    for (const char* profile : {"demo-3des.json", "demo-sm4.json"}) {
        for (const int ins : {0x50, 0x52, 0x54, 0x5A}) {
            QTest::addRow("%s INS %02X response lost", profile, ins) << QString::fromLatin1(profile) << ins << false;
            QTest::addRow("%s INS %02X unplugged before", profile, ins) << QString::fromLatin1(profile) << ins << true;
        }
    }
}

void TestRecovery::lostResponse()
{
    QFETCH(QString, profile);
    QFETCH(int, ins);
    QFETCH(bool, beforeSend);
    const QByteArray profileName = profile.toLatin1();
    const Pin p = pin("123456");
    for (const bool isLoad : {true, false}) {
        auto rig = preparedRig(profileName.constData());
        QVERIFY(rig);
        bool fired = false;
        auto once = [&fired, ins](const CommandApdu& c) {
            if (!fired && c.ins() == ins) {
                fired = true;
                return true;
            }
            return false;
        };
        (beforeSend ? rig->channel.failBeforeSend : rig->channel.dropResponseIf) = once;
        bool ok = false;
        if (isLoad) {
            auto r = rig->purse->load(Amount(kAmount), &p);
            ok = r.ok();
            if (ok && fired && ins == 0x52 && !beforeSend) {
                QVERIFY(r->recovered);
            }
        } else {
            auto r = rig->purse->purchase(Amount(kAmount), &p);
            ok = r.ok();
            if (ok && fired && ins == 0x54 && !beforeSend) {
                QVERIFY(r->recovered);
            }
        }
        rig->channel.failBeforeSend = {};
        rig->channel.dropResponseIf = {};
        QVERIFY(ok);
        const QString agree = checkAgreement(*rig);
        QVERIFY2(agree.isEmpty(), qPrintable(agree));
        QCOMPARE(rig->purse->balance()->fen(), isLoad ? kStart + kAmount : kStart - kAmount);
    }
}

void TestRecovery::keyDoesNotComeBackThenReconciles_data()
{
    QTest::addColumn<bool>("isLoad");
    QTest::addColumn<bool>("commandReachedKey");
    QTest::newRow("load, credited, then gone") << true << true;
    QTest::newRow("load, never sent, gone") << true << false;
    QTest::newRow("purchase, debited, then gone") << false << true;
    QTest::newRow("purchase, never sent, gone") << false << false;
}

void TestRecovery::keyDoesNotComeBackThenReconciles()
{
    QFETCH(bool, isLoad);
    QFETCH(bool, commandReachedKey);
    const Pin p = pin("123456");
    auto rig = preparedRig("demo-3des.json");
    QVERIFY(rig);
    const int completion = isLoad ? 0x52 : 0x54;
    bool gone = false;
    rig->channel.dropResponseIf = [&](const CommandApdu& c) {
        if (commandReachedKey && c.ins() == completion) {
            gone = true;
            return true;
        }
        return false;
    };
    rig->channel.failBeforeSend = [&](const CommandApdu& c) {
        if (!commandReachedKey && c.ins() == completion) {
            gone = true;
        }
        return gone;
    };
    bool ok = isLoad ? rig->purse->load(Amount(kAmount), &p).ok() : rig->purse->purchase(Amount(kAmount), &p).ok();
    QVERIFY(!ok); // the key stayed away: the service says so
    rig->channel.dropResponseIf = {};
    rig->channel.failBeforeSend = {};
    // The key is back. The next load reconciles the issuer (an ATC that moved means the old load was credited).
    rig->restartService();
    CORE_VERIFY_OK(rig->purse->open());
    rig->clock.advanceSeconds(60);
    CORE_VERIFY_OK(rig->purse->load(Amount(1), &p));
    const auto bal = rig->purse->balance();
    CORE_VERIFY_OK(bal);
    std::uint32_t expected = kStart + 1;
    if (commandReachedKey) {
        expected = isLoad ? expected + kAmount : expected - kAmount;
    }
    QCOMPARE(bal->fen(), expected);
    // A purchase whose key vanished after the debit: the PSAM never saw MAC2/TAC during the transaction; the next
    // open() fetched the proof (GET TRANSACTION PROVE), the PSAM verified MAC2 and keeps the TAC for settlement.
    // Nothing is left half-open either way.
    const QString agree = checkAgreement(*rig);
    QVERIFY2(agree.isEmpty(), qPrintable(agree));
    QCOMPARE(rig->psam->unconfirmed(rig->asn)->size(), std::size_t(0));
    QVERIFY2(agree.isEmpty(), qPrintable(agree));
}

QTEST_GUILESS_MAIN(TestRecovery)
#include "TestRecovery.moc"
