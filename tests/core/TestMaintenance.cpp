// SPDX-License-Identifier: Apache-2.0
// Card maintenance through the issuer host against the real firmware in-process, in both profiles: PIN UNBLOCK
// (DPUK), RELOAD PIN (DRPK), APPLICATION BLOCK temporary/permanent and APPLICATION UNBLOCK (DAMK); and the profile's
// "purchase needs touch" policy bit (0x08) applied at issuance and enforced by the key during DEBIT.
#include "support/Rig.h"
#include "support/Vectors.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTest>

using namespace wallet::core;
using namespace wallet::core::test;

class TestMaintenance : public QObject
{
    Q_OBJECT

private slots:
    void pinUnblockThroughIssuer_data() { profiles(); }
    void pinUnblockThroughIssuer();
    void pinUnblockWhenNotBlocked_data() { profiles(); }
    void pinUnblockWhenNotBlocked();
    void reloadPin_data() { profiles(); }
    void reloadPin();
    void temporaryBlockAndUnblock_data() { profiles(); }
    void temporaryBlockAndUnblock();
    void permanentBlockTerminates_data() { profiles(); }
    void permanentBlockTerminates();
    void issuerRefusesUnknownOrBlockedCards();
    void issuerLearnsTheProfileFromALoad();
    void ledgerFromBeforeTheProfileColumnIsMigrated();
    void builderOverloadsMatchThe3desBuilders();
    void purchaseNeedsTouch_data() { profiles(); }
    void purchaseNeedsTouch();
    void touchFieldInProfileJson();

private:
    static void profiles()
    {
        QTest::addColumn<QString>("profile");
        QTest::newRow("3DES") << QStringLiteral("demo-3des.json");
        QTest::newRow("SM4") << QStringLiteral("demo-sm4.json");
    }
    static void blockPin(Rig& rig)
    {
        for (int i = 0; i < 3; ++i) {
            QVERIFY(!rig.purse->verifyPin(pin("000000")).ok());
        }
        QVERIFY(rig.purse->pinStatus()->blocked);
    }
};

void TestMaintenance::pinUnblockThroughIssuer()
{
    QFETCH(QString, profile);
    Rig rig;
    QCOMPARE(rig.openRoles(), QString());
    QCOMPARE(rig.issue(profile.toLatin1().constData()), QString());
    blockPin(rig);
    QCOMPARE(rig.purse->verifyPin(pin("123456")).error().code, ErrorCode::PinBlocked);

    // Another PIN than the card's: refused, still blocked.
    auto wrong = rig.purse->unblockPin(*rig.issuer, pin("654321"));
    QVERIFY(!wrong.ok());
    QCOMPARE(wrong.error().code, ErrorCode::InvalidData);
    QVERIFY(rig.purse->pinStatus()->blocked);

    CORE_VERIFY_OK(rig.purse->unblockPin(*rig.issuer, pin("123456")));
    auto status = rig.purse->pinStatus();
    CORE_VERIFY_OK(status);
    QVERIFY(!status->blocked);
    QCOMPARE(status->triesLeft, 3);
    const Pin p = pin("123456");
    CORE_VERIFY_OK(rig.purse->verifyPin(p));
    CORE_VERIFY_OK(rig.purse->load(Amount(500), &p));
    QCOMPARE(rig.purse->balance()->fen(), 500u);
}

void TestMaintenance::pinUnblockWhenNotBlocked()
{
    QFETCH(QString, profile);
    Rig rig;
    QCOMPARE(rig.openRoles(), QString());
    QCOMPARE(rig.issue(profile.toLatin1().constData()), QString());
    QCOMPARE(rig.purse->verifyPin(pin("000000")).error().triesLeft, 2);
    auto r = rig.purse->unblockPin(*rig.issuer, pin("123456"));
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, ErrorCode::ConditionsNotSatisfied);
    QCOMPARE(r.error().statusWord, std::uint16_t(0x6985));
    QVERIFY2(r.error().detail.contains(QStringLiteral("not blocked")), qPrintable(r.error().detail));
    QCOMPARE(rig.purse->pinStatus()->triesLeft, 2); // nothing changed
}

void TestMaintenance::reloadPin()
{
    QFETCH(QString, profile);
    Rig rig;
    QCOMPARE(rig.openRoles(), QString());
    QCOMPARE(rig.issue(profile.toLatin1().constData()), QString());
    QCOMPARE(rig.purse->verifyPin(pin("000000")).error().triesLeft, 2);
    CORE_VERIFY_OK(rig.purse->reloadPin(*rig.issuer, pin("8642")));
    QCOMPARE(rig.purse->pinStatus()->triesLeft, 3);
    auto old = rig.purse->verifyPin(pin("123456"));
    QVERIFY(!old.ok());
    QCOMPARE(old.error().code, ErrorCode::WrongPin);
    CORE_VERIFY_OK(rig.purse->verifyPin(pin("8642")));

    // A blocked PIN is replaced too (the cardholder forgot it): the new one works with full tries.
    blockPin(rig);
    CORE_VERIFY_OK(rig.purse->reloadPin(*rig.issuer, pin("97531")));
    QCOMPARE(rig.purse->pinStatus()->triesLeft, 3);
    const Pin p = pin("97531");
    CORE_VERIFY_OK(rig.purse->load(Amount(100), &p));
    // And survives a power cycle (it is in NVM).
    rig.token.powerCycle();
    rig.restartService();
    CORE_VERIFY_OK(rig.purse->open());
    CORE_VERIFY_OK(rig.purse->verifyPin(p));
}

void TestMaintenance::temporaryBlockAndUnblock()
{
    QFETCH(QString, profile);
    Rig rig;
    QCOMPARE(rig.openRoles(), QString());
    QCOMPARE(rig.issue(profile.toLatin1().constData()), QString());
    const Pin p = pin("123456");
    CORE_VERIFY_OK(rig.purse->load(Amount(1000), &p));

    // Unblocking a purse that is not blocked is refused with a clear error.
    auto notBlocked = rig.purse->unblockApplication(*rig.issuer);
    QVERIFY(!notBlocked.ok());
    QCOMPARE(notBlocked.error().code, ErrorCode::ConditionsNotSatisfied);

    CORE_VERIFY_OK(rig.purse->blockApplication(*rig.issuer, false));
    auto buy = rig.purse->purchase(Amount(100), &p);
    QVERIFY(!buy.ok());
    QCOMPARE(buy.error().code, ErrorCode::ApplicationBlocked);
    auto balance = rig.purse->balance(); // the key itself refuses (6A81), not only the service
    QVERIFY(!balance.ok());
    QCOMPARE(balance.error().code, ErrorCode::ApplicationBlocked);
    QCOMPARE(balance.error().statusWord, std::uint16_t(0x6A81));
    auto load = rig.purse->load(Amount(100), &p);
    QVERIFY(!load.ok());
    QCOMPARE(load.error().code, ErrorCode::ApplicationBlocked);
    rig.restartService();
    CORE_VERIFY_OK(rig.purse->open());
    QCOMPARE(rig.purse->checkValidity().problem, ValidityProblem::Blocked);
    QCOMPARE(rig.issuer->account(rig.asn)->balance.fen(), rig.profile.initialFunding.fen() - 1000u);

    CORE_VERIFY_OK(rig.purse->unblockApplication(*rig.issuer));
    rig.restartService();
    CORE_VERIFY_OK(rig.purse->open());
    QVERIFY2(rig.purse->checkValidity().ok(), qPrintable(rig.purse->checkValidity().reason));
    auto after = rig.purse->purchase(Amount(100), &p);
    CORE_VERIFY_OK(after);
    QCOMPARE(after->balanceAfter.fen(), 900u);
}

void TestMaintenance::permanentBlockTerminates()
{
    QFETCH(QString, profile);
    Rig rig;
    QCOMPARE(rig.openRoles(), QString());
    QCOMPARE(rig.issue(profile.toLatin1().constData()), QString());
    const Pin p = pin("123456");
    CORE_VERIFY_OK(rig.purse->load(Amount(1000), &p));
    CORE_VERIFY_OK(rig.purse->blockApplication(*rig.issuer, true));

    // Irreversible: the issuer's own unblock (and another block) find a terminated purse.
    auto unblock = rig.purse->unblockApplication(*rig.issuer);
    QVERIFY(!unblock.ok());
    QCOMPARE(unblock.error().code, ErrorCode::ApplicationTerminated);
    QCOMPARE(unblock.error().statusWord, std::uint16_t(0x9303));
    QCOMPARE(rig.purse->blockApplication(*rig.issuer, false).error().code, ErrorCode::ApplicationTerminated);
    auto buy = rig.purse->purchase(Amount(1), &p);
    QVERIFY(!buy.ok());
    QCOMPARE(buy.error().code, ErrorCode::ApplicationTerminated);

    rig.token.powerCycle();
    rig.restartService();
    auto reopened = rig.purse->open();
    QVERIFY(!reopened.ok());
    QCOMPARE(reopened.error().code, ErrorCode::ApplicationTerminated);
}

void TestMaintenance::issuerRefusesUnknownOrBlockedCards()
{
    Rig rig;
    QCOMPARE(rig.openRoles(), QString());
    QCOMPARE(rig.issue("demo-3des.json"), QString());
    const Pin p = pin("123456");
    MaintenanceRequest unknown;
    unknown.asn = QByteArray::fromHex("0102030405060708");
    unknown.operation = CardMaintenance::UnblockApplication;
    unknown.challenge = QByteArray(8, '\x11');
    auto u = rig.issuer->maintenanceCommand(unknown);
    QVERIFY(!u.ok());
    QCOMPARE(u.error().code, ErrorCode::Declined);
    MaintenanceRequest noPin;
    noPin.asn = rig.asn;
    noPin.operation = CardMaintenance::PinReload;
    QCOMPARE(rig.issuer->maintenanceCommand(noPin).error().code, ErrorCode::InvalidInput);

    // A card its issuer blocked gets no PIN back and no unblock; blocking it on the token is still allowed.
    CORE_VERIFY_OK(rig.issuer->setBlocked(rig.asn, true));
    blockPin(rig);
    auto r = rig.purse->unblockPin(*rig.issuer, p);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, ErrorCode::Declined);
    QVERIFY(rig.purse->pinStatus()->blocked);
    CORE_VERIFY_OK(rig.purse->blockApplication(*rig.issuer, false));
    QCOMPARE(rig.purse->unblockApplication(*rig.issuer).error().code, ErrorCode::Declined);
    CORE_VERIFY_OK(rig.issuer->setBlocked(rig.asn, false));
    CORE_VERIFY_OK(rig.purse->unblockApplication(*rig.issuer));
    CORE_VERIFY_OK(rig.purse->unblockPin(*rig.issuer, p));
    CORE_VERIFY_OK(rig.purse->verifyPin(p));
}

void TestMaintenance::issuerLearnsTheProfileFromALoad()
{
    // An SM4 card registered without its profile (the 3DES default): the maintenance MAC is wrong (6988, the key
    // counts nothing) until a load, whose MAC1 verified under SM4, records the card's profile at the issuer.
    Rig rig;
    QCOMPARE(rig.openRoles(), QString());
    QCOMPARE(rig.issue("demo-sm4.json"), QString());
    CORE_VERIFY_OK(rig.issuer->registerCard(rig.asn, rig.profile.initialFunding, Amount(0)));
    auto wrongProfile = rig.purse->blockApplication(*rig.issuer, false);
    QVERIFY(!wrongProfile.ok());
    QCOMPARE(wrongProfile.error().code, ErrorCode::BadMac);
    const Pin p = pin("123456");
    CORE_VERIFY_OK(rig.purse->load(Amount(100), &p));
    CORE_VERIFY_OK(rig.purse->blockApplication(*rig.issuer, false));
    CORE_VERIFY_OK(rig.purse->unblockApplication(*rig.issuer));
}

void TestMaintenance::ledgerFromBeforeTheProfileColumnIsMigrated()
{
    // A version-1 issuer ledger (no accounts.algorithm) opens, keeps its accounts and serves maintenance (3DES).
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("old-ledger.sqlite"));
    {
        QSqlDatabase d = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("v1"));
        d.setDatabaseName(path);
        QVERIFY(d.open());
        QSqlQuery q(d);
        QVERIFY(q.exec(QStringLiteral("CREATE TABLE accounts (asn TEXT PRIMARY KEY, balance INTEGER NOT NULL CHECK"
                                      " (balance >= 0), per_load_limit INTEGER NOT NULL, blocked INTEGER NOT NULL"
                                      " DEFAULT 0)")));
        QVERIFY(q.exec(QStringLiteral("CREATE TABLE loads (asn TEXT NOT NULL REFERENCES accounts (asn), atc INTEGER"
                                      " NOT NULL, amount INTEGER NOT NULL, state TEXT NOT NULL, algorithm INTEGER NOT"
                                      " NULL, terminal_id BLOB NOT NULL, date BLOB NOT NULL, time BLOB NOT NULL, tac"
                                      " BLOB, updated TEXT NOT NULL, PRIMARY KEY (asn, atc))")));
        QVERIFY(q.exec(QStringLiteral("INSERT INTO accounts VALUES ('534B000000000001', 12345, 0, 0)")));
        QVERIFY(q.exec(QStringLiteral("PRAGMA user_version=1")));
        d.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("v1"));
    auto host = LocalIssuerHost::open(path, KeyStore::demoKeys());
    CORE_VERIFY_OK(host);
    auto account = (*host)->account(QByteArray::fromHex("534B000000000001"));
    CORE_VERIFY_OK(account);
    QCOMPARE(account->balance.fen(), 12345u);
    MaintenanceRequest req;
    req.asn = QByteArray::fromHex("534B000000000001");
    req.operation = CardMaintenance::BlockApplication;
    req.challenge = QByteArray::fromHex("0102030405060708");
    auto cmd = (*host)->maintenanceCommand(req);
    CORE_VERIFY_OK(cmd);
    auto damk = CardCrypto::diversify(Algorithm::TripleDes, KeyStore::demoKeys().mamk, req.asn);
    CORE_VERIFY_OK(damk);
    auto expected = SecureMessaging::applicationBlock(Algorithm::TripleDes, *damk, req.challenge, false);
    CORE_VERIFY_OK(expected);
    QCOMPARE(cmd->encode(), expected->encode());
}

void TestMaintenance::builderOverloadsMatchThe3desBuilders()
{
    const SecureBytes key = secureFromHex(QStringLiteral("00112233445566778899AABBCCDDEEFF"));
    const QByteArray challenge = QByteArray::fromHex("0102030405060708");
    const SecureBytes pinBcd = pin("123456").bcd();
    auto a = SecureMessaging::pinUnblock(key, challenge, pinBcd);
    auto b = SecureMessaging::pinUnblock(Algorithm::TripleDes, key, challenge, pinBcd);
    CORE_VERIFY_OK(a);
    CORE_VERIFY_OK(b);
    QCOMPARE(b->encode(), a->encode());
    auto c = SecureMessaging::reloadPin(key, challenge, pinBcd);
    auto d = SecureMessaging::reloadPin(Algorithm::TripleDes, key, challenge, pinBcd);
    CORE_VERIFY_OK(c);
    CORE_VERIFY_OK(d);
    QCOMPARE(d->encode(), c->encode());
    auto e = SecureMessaging::applicationBlock(Algorithm::TripleDes, key, challenge, true);
    auto f = SecureMessaging::withMac(0x84, 0x1E, 0x00, 0x01, {}, key, challenge);
    CORE_VERIFY_OK(e);
    CORE_VERIFY_OK(f);
    QCOMPARE(e->encode(), f->encode());
    QCOMPARE(e->encode().left(5), QByteArray::fromHex("841E000104"));
    auto g = SecureMessaging::applicationUnblock(Algorithm::Sm4, key, challenge);
    CORE_VERIFY_OK(g);
    QCOMPARE(g->encode().left(5), QByteArray::fromHex("8418000004"));
    QVERIFY(g->encode() != SecureMessaging::applicationUnblock(Algorithm::TripleDes, key, challenge)->encode());
    // SM4 PIN UNBLOCK: ENC is one 16-byte block (len ‖ PIN ‖ 80 00…), then the MAC.
    auto h = SecureMessaging::pinUnblock(Algorithm::Sm4, key, challenge, pinBcd);
    CORE_VERIFY_OK(h);
    QCOMPARE(h->encode().size(), 5 + 16 + 4);
}

void TestMaintenance::purchaseNeedsTouch()
{
    QFETCH(QString, profile);
    for (const bool touch : {true, false}) {
        Rig rig;
        QCOMPARE(rig.openRoles(), QString());
        QCOMPARE(
            rig.issue(profile.toLatin1().constData(), [touch](IssuanceProfile& p) { p.purchaseNeedsTouch = touch; }),
            QString());
        QCOMPARE(rig.profile.policyFlags() & 0x08, touch ? 0x08 : 0x00);
        const Pin p = pin("123456");
        CORE_VERIFY_OK(rig.purse->load(Amount(1000), &p));
        rig.token.presence().setAutoAnswer(skey::hal::PresenceResult::Refused);
        auto buy = rig.purse->purchase(Amount(300), &p);
        if (touch) {
            QVERIFY(!buy.ok());
            QCOMPARE(buy.error().statusWord, std::uint16_t(0x6985));
            QVERIFY2(buy.error().detail.contains(QStringLiteral("touch")), qPrintable(buy.error().detail));
            QCOMPARE(rig.purse->balance()->fen(), 1000u); // no money moved
            auto pending = rig.psam->unconfirmed(rig.asn);
            CORE_VERIFY_OK(pending);
            QVERIFY(pending->empty()); // the PSAM's authorisation was abandoned, nothing to reconcile
            auto history = rig.purse->history();
            CORE_VERIFY_OK(history);
            QCOMPARE(history->size(), std::size_t(1)); // the load only
            rig.token.presence().setAutoAnswer(skey::hal::PresenceResult::Cancelled);
            auto cancelled = rig.purse->purchase(Amount(300), &p);
            QVERIFY(!cancelled.ok());
            QCOMPARE(cancelled.error().code, ErrorCode::Cancelled);
            QCOMPARE(rig.purse->balance()->fen(), 1000u);
            rig.token.presence().setAutoAnswer(skey::hal::PresenceResult::Confirmed);
            auto confirmed = rig.purse->purchase(Amount(300), &p);
            CORE_VERIFY_OK(confirmed);
            QCOMPARE(confirmed->balanceAfter.fen(), 700u);
        } else {
            CORE_VERIFY_OK(buy); // the key never asks: the refusal answer is never consulted
            QCOMPARE(buy->balanceAfter.fen(), 700u);
        }
    }
}

void TestMaintenance::touchFieldInProfileJson()
{
    QFile f(profilePath("demo-3des.json"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QJsonObject json = QJsonDocument::fromJson(f.readAll()).object();
    auto plain = IssuanceProfile::fromJson(json);
    CORE_VERIFY_OK(plain);
    QVERIFY(!plain->purchaseNeedsTouch);
    QCOMPARE(plain->policyFlags() & 0x08, 0);

    QJsonObject policy = json.value(QStringLiteral("policy")).toObject();
    policy.insert(QStringLiteral("purchaseNeedsTouch"), true);
    json.insert(QStringLiteral("policy"), policy);
    auto touch = IssuanceProfile::fromJson(json);
    CORE_VERIFY_OK(touch);
    QVERIFY(touch->purchaseNeedsTouch);
    QCOMPARE(touch->policyFlags(), std::uint8_t(plain->policyFlags() | 0x08));

    policy.insert(QStringLiteral("purchaseNeedsTouch"), QStringLiteral("yes"));
    json.insert(QStringLiteral("policy"), policy);
    auto bad = IssuanceProfile::fromJson(json);
    QVERIFY(!bad.ok());
    QCOMPARE(bad.error().code, ErrorCode::InvalidInput);
    QVERIFY2(bad.error().detail.contains(QStringLiteral("purchaseNeedsTouch")), qPrintable(bad.error().detail));
}

QTEST_GUILESS_MAIN(TestMaintenance)
#include "TestMaintenance.moc"
