// SPDX-License-Identifier: Apache-2.0
// Exhaustive tearing: every state-changing command is run once cleanly (it must answer its expected status word),
// then again with the power cut at its 1st, 2nd, … NVM write under each TearModel, until it completes without
// reaching the cut; every scenario must reach at least one cut. After each cut the token is power-cycled and must hold
// the old or the new logical state (journal digest) or a declared legal intermediate one (a spent PIN or MAC try),
// never a mix, plus the purse invariants: balance old or new; ATC, record, proof and balance agree; PROVE answers iff
// committed; a PIN try is never regained. A write that fully landed is never lost: the state after a cut at write k
// under FullyWritten equals the state after a cut at write k+1 under NothingWritten, and the new state at the last.
// A command that replaces a secret (PIN, key, KT) names the old value's bytes: after the clean run, and after every
// cut once power-on recovery ran, they are either still the current value (the command did not commit) or nowhere in
// the raw NVM image (no superseded copy, no torn erase, no unreadable double word holds them).
#include "PsamClient.h"
#include "TokenDriver.h"

#include <QtTest>

#include <algorithm>
#include <functional>
#include <set>

using namespace skey;
using namespace skey::test;
using host::HostToken;
using host::TearModel;

namespace {

struct Scenario
{
    std::string name;
    std::function<void(HostToken&)> prelude; // volatile set-up, before the cut is armed
    std::function<Bytes(HostToken&)> command; // the state-changing command
    std::function<void(HostToken&)> intermediate; // optional: reaches a legal intermediate state
    std::function<void(HostToken&, bool committed)> check; // optional semantic check after recovery
    std::uint16_t sw = 0x9000; // what the clean run must answer
    Bytes superseded{}; // optional: the bytes of a secret the command replaces (see the header comment)
};

/// How often `needle` occurs in the raw NVM image (every byte, readable or not).
int occurrences(const std::vector<std::uint8_t>& image, const Bytes& needle)
{
    int n = 0;
    for (auto it = image.begin();; ++it) {
        it = std::search(it, image.end(), needle.begin(), needle.end());
        if (it == image.end()) {
            return n;
        }
        ++n;
    }
}

std::uint32_t digestOf(HostToken& t)
{
    std::uint32_t d = 0;
    if (t.os().journal().digest(d) != StoreStatus::Ok) {
        qFatal("digest failed");
    }
    return d;
}

const Bytes kKt = hex("4B544B544B544B544B544B544B544B54");
const Bytes kDamk = hex("505152535455565758595A5B5C5D5E5F");
const Bytes kDrpk = hex("3C1D8E2F4A5B6C7D9E0F1A2B3C4D5E6F");
const Bytes kWrongKey = hex("00000000000000000000000000000000");

/// A secure-messaging command with a wrong MAC: the legal intermediate state of every secure-messaging command is
/// "its try spent" (spec §6a: counted in NVM before the comparison), which this reaches.
void badSecureMac(HostToken& tok)
{
    if (swOf(Issuer(tok).sendSecure(hex("04D69500"), hex("00"), kWrongKey)) != 0x6988) {
        qFatal("the wrong-MAC command was not refused with 6988");
    }
}

/// ENC(len ‖ PIN ‖ 80 00…) under `key` (3DES): the cryptogram of PIN UNBLOCK and RELOAD PIN (spec §3).
Bytes pinCryptogram(Issuer& i, const Bytes& key, const Bytes& pinBcd)
{
    Bytes plain = cat({Bytes{static_cast<std::uint8_t>(pinBcd.size())}, pinBcd, hex("80")});
    while (plain.size() % 8 != 0) {
        plain.push_back(0);
    }
    Bytes enc(plain.size());
    (void)i.crypto().ecb(0x00, true, key16(key), plain, enc);
    return enc;
}

Bytes dataOf(const Bytes& r)
{
    return Bytes(r.begin(), r.end() - 2);
}

std::vector<std::uint8_t> imageOf(HostToken& t)
{
    return t.nvm().image();
}

void restore(HostToken& t, const std::vector<std::uint8_t>& image)
{
    t.nvm().powerRestore();
    t.nvm().setImage(image);
    t.nvm().resetCounters();
    t.powerCycle();
    t.rng().seed(42);
}

} // namespace

class TestTearing : public QObject
{
    Q_OBJECT

private:
    int m_cutPoints = 0;
    int m_scenarios = 0;
    bool runScenario(HostToken& t, const std::vector<std::uint8_t>& pre, const Scenario& s);

private slots:
    void personalization();
    void pinAndPurse();
    void purseThroughGarbageCollection();
    void psam();
    void cleanupTestCase();
};

bool TestTearing::runScenario(HostToken& t, const std::vector<std::uint8_t>& pre, const Scenario& s)
{
    // Clean run: the reference old and new states.
    restore(t, pre);
    if (s.prelude) {
        s.prelude(t);
    }
    const std::uint32_t before = digestOf(t);
    const Bytes cleanResponse = s.command(t);
    const std::uint32_t after = digestOf(t);
    if (swOf(cleanResponse) != s.sw) {
        qWarning() << s.name.c_str() << "clean run answered" << toHex(cleanResponse).c_str() << "expected"
                   << QString::number(s.sw, 16);
        return false;
    }
    if (!s.superseded.empty() && occurrences(t.nvm().image(), s.superseded) != 0) {
        qWarning() << s.name.c_str() << "the replaced secret is still in the NVM image after the clean run";
        return false;
    }
    int cuts = 0;
    std::vector<std::uint32_t> fullAt{0}; // [k]: the digest after a cut at write k, FullyWritten
    std::vector<std::uint32_t> nothingAt{0}; // [k]: the same, NothingWritten
    std::set<std::uint32_t> legal{before, after};
    if (s.intermediate) {
        restore(t, pre);
        if (s.prelude) {
            s.prelude(t);
        }
        s.intermediate(t);
        legal.insert(digestOf(t));
    }
    for (const TearModel model :
        {TearModel::NothingWritten, TearModel::PartlyWritten, TearModel::FullyWritten, TearModel::EccTorn}) {
        for (std::uint64_t k = 1;; ++k) {
            restore(t, pre);
            if (s.prelude) {
                s.prelude(t);
            }
            t.nvm().armPowerCut(k, model);
            const Bytes r = s.command(t);
            if (!t.nvm().powerLost()) {
                t.nvm().disarmPowerCut();
                if (r != cleanResponse) {
                    qWarning() << s.name.c_str() << "uncut run differs" << toHex(r).c_str()
                               << toHex(cleanResponse).c_str();
                    return false;
                }
                break;
            }
            if (swOf(r) != 0x6581) {
                qWarning() << s.name.c_str() << "cut command answered" << toHex(r).c_str();
                return false;
            }
            t.powerCycle();
            const std::uint32_t d = digestOf(t);
            if (legal.count(d) == 0) {
                qWarning() << s.name.c_str() << "mixed state after cut at write" << k << "model" << int(model);
                return false;
            }
            if (s.check) {
                s.check(t, d == after && before != after);
            }
            if (!s.superseded.empty() && (occurrences(t.nvm().image(), s.superseded) == 0) != (d == after)) {
                qWarning() << s.name.c_str() << "after a cut at write" << k << "model" << int(model)
                           << (d == after ? "the replaced secret is still in the NVM image"
                                          : "the current secret is missing from the NVM image");
                return false;
            }
            if (model == TearModel::FullyWritten) {
                fullAt.push_back(d);
            } else if (model == TearModel::NothingWritten) {
                nothingAt.push_back(d);
            }
            ++cuts;
            ++m_cutPoints;
            if (k > 200) {
                qWarning() << s.name.c_str() << "never completes";
                return false;
            }
        }
    }
    if (cuts == 0) {
        qWarning() << s.name.c_str() << "reached no NVM write: the scenario proves nothing";
        return false;
    }
    // A fully written write is never lost (nor undone by recovery).
    const std::size_t writes = fullAt.size() - 1;
    if (nothingAt.size() != fullAt.size()) {
        qWarning() << s.name.c_str() << "the tear models saw different numbers of writes";
        return false;
    }
    for (std::size_t k = 1; k <= writes; ++k) {
        const std::uint32_t expected = k < writes ? nothingAt[k + 1] : after;
        if (fullAt[k] != expected) {
            qWarning() << s.name.c_str() << "write" << k << "landed fully but its state is not there after the cut";
            return false;
        }
    }
    ++m_scenarios;
    return true;
}

void TestTearing::personalization()
{
    HostToken t;
    const std::vector<std::uint8_t> blank = imageOf(t);
    auto open = [](HostToken& tok) {
        Issuer i(tok);
        (void)i.send(hex("00A404000AD15600000145442F4550"));
        if (swOf(i.openPersonalization(kKt)) != 0x9000) {
            qFatal("personalisation session did not open");
        }
    };
    const Profile p = standardProfile();
    std::vector<Scenario> scenarios;
    for (const KeySpec& k : p.keys) {
        scenarios.push_back({"WRITE KEY " + std::to_string(k.type),
            open,
            [k](HostToken& tok) {
                Bytes plain{19, k.index, k.version, k.alg};
                plain.insert(plain.end(), k.key.begin(), k.key.end());
                return Issuer(tok).writeKey(kKt, k.type, plain);
            },
            badSecureMac,
            nullptr});
    }
    scenarios.push_back({"WRITE KEY PIN",
        open,
        [](HostToken& tok) { return Issuer(tok).writeKey(kKt, 0x3A, hex("0403123456")); },
        badSecureMac,
        nullptr});
    scenarios.push_back({"UPDATE BINARY 15 (KT)",
        open,
        [p](HostToken& tok) { return Issuer(tok).sendSecure(hex("04D69500"), p.sfi15, kKt); },
        badSecureMac,
        nullptr});
    for (std::uint8_t tag = 1; tag <= 6; ++tag) {
        const Bytes values[] = {{},
            hex("A00000000386980701"),
            hex("000F4240"),
            hex("00004E20"),
            hex("0B"),
            hex("14"),
            hex("4D7920507572736521")};
        const Bytes v = values[tag];
        scenarios.push_back({"PUT DATA " + std::to_string(tag),
            open,
            [tag, v](HostToken& tok) {
                return Issuer(tok).sendSecure({0x84, 0xDA, 0x00, tag}, v, kKt);
            },
            badSecureMac,
            nullptr});
    }
    // EXTERNAL AUTHENTICATE itself writes: the try before the comparison, its reset after (spec §6a).
    scenarios.push_back({"EXTERNAL AUTHENTICATE (KT)",
        [](HostToken& tok) { (void)Issuer(tok).send(hex("00A404000AD15600000145442F4550")); },
        [](HostToken& tok) { return Issuer(tok).openPersonalization(kKt); },
        [](HostToken& tok) {
            (void)tok.process(hex("0084000008"));
            (void)tok.process(hex("00820000080000000000000000"));
        },
        [](HostToken& tok, bool) { QVERIFY(tok.os().smFailures() <= 1); }});
    for (const auto& s : scenarios) {
        QVERIFY2(runScenario(t, blank, s), s.name.c_str());
    }
    // END PERSONALIZATION from a token holding every key.
    Profile noEnd = standardProfile();
    noEnd.end = false;
    restore(t, blank);
    QCOMPARE(Issuer(t).personalize(noEnd), std::uint16_t(0x9000));
    const std::vector<std::uint8_t> ready = imageOf(t);
    QVERIFY(runScenario(t,
        ready,
        {"END PERSONALIZATION",
            open,
            [](HostToken& tok) { return Issuer(tok).sendSecure(hex("84EA0000"), {}, kKt); },
            badSecureMac,
            [](HostToken& tok, bool committed) {
                QCOMPARE(tok.os().lifeCycle(), committed ? LifeCycle::Personalized : LifeCycle::Blank);
            },
            0x9000,
            kKt}));
    // WRITE KEY over an existing key (same type and index): the old key value leaves the NVM.
    const KeySpec dlk = noEnd.keys[0];
    QVERIFY(runScenario(t,
        ready,
        {"WRITE KEY (replace DLK)",
            open,
            [dlk](HostToken& tok) {
                Bytes plain{19, dlk.index, dlk.version, dlk.alg};
                const Bytes newKey = hex("F0E1D2C3B4A5968778695A4B3C2D1E0F");
                plain.insert(plain.end(), newKey.begin(), newKey.end());
                return Issuer(tok).writeKey(kKt, dlk.type, plain);
            },
            badSecureMac,
            nullptr,
            0x9000,
            dlk.key}));
    // WRITE KEY of the PIN over the profile's PIN.
    QVERIFY(runScenario(t,
        ready,
        {"WRITE KEY PIN (replace)",
            open,
            [](HostToken& tok) { return Issuer(tok).writeKey(kKt, 0x3A, hex("0403987654")); },
            badSecureMac,
            nullptr,
            0x9000,
            hex("123456FFFFFF")}));
}

void TestTearing::pinAndPurse()
{
    HostToken t;
    QCOMPARE(Issuer(t).personalize(standardProfile()), std::uint16_t(0x9000));
    {
        Terminal term(t);
        QCOMPARE(swOf(term.verify(hex("123456"))), std::uint16_t(0x9000));
        QCOMPARE(swOf(term.load(50000)), std::uint16_t(0x9000));
        QCOMPARE(swOf(term.purchase(100)), std::uint16_t(0x9000));
    }
    const std::vector<std::uint8_t> ready = imageOf(t);
    auto sel = [](HostToken& tok) { (void)Terminal(tok).select(); };
    auto selVerify = [](HostToken& tok) {
        Terminal term(tok);
        (void)term.select();
        (void)term.verify(hex("123456"));
    };
    auto wrongPin = [](HostToken& tok) { (void)Terminal(tok).verify(hex("999999")); };
    auto triesOf = [](HostToken& tok) {
        const Bytes r = tok.process(hex("00200000"));
        return swOf(r) == 0x6983 ? 0 : (swOf(r) & 0x0F);
    };
    std::vector<Scenario> scenarios;
    scenarios.push_back({"VERIFY wrong",
        sel,
        [](HostToken& tok) { return Terminal(tok).verify(hex("999999")); },
        nullptr,
        [&](HostToken& tok, bool committed) {
            // A try is never regained: 3 before, 2 after once the decrement is in NVM.
            QCOMPARE(triesOf(tok), committed ? 2 : 3);
        },
        0x63C2});
    scenarios.push_back({"VERIFY right",
        sel,
        [](HostToken& tok) { return Terminal(tok).verify(hex("123456")); },
        wrongPin,
        [&](HostToken& tok, bool) { QVERIFY(triesOf(tok) >= 2); }});
    scenarios.push_back({"CHANGE PIN",
        sel,
        [](HostToken& tok) { return tok.process(hex("805E0100071234 56FF654321")); },
        wrongPin,
        nullptr,
        0x9000,
        hex("123456FFFFFF")});
    scenarios.push_back({"RELOAD PIN (secure messaging)",
        sel,
        [](HostToken& tok) {
            Issuer i(tok);
            return i.sendSecure(hex("845E0000"), pinCryptogram(i, kDrpk, hex("654321")), kDrpk);
        },
        badSecureMac,
        [](HostToken& tok, bool committed) {
            QCOMPARE(swOf(Terminal(tok).verify(hex(committed ? "654321" : "123456"))), std::uint16_t(0x9000));
        },
        0x9000,
        hex("123456FFFFFF")});
    // CREDIT and DEBIT: INITIALIZE is the (volatile) prelude.
    auto purseCheck = [](std::uint8_t type, std::uint32_t oldBalance, std::uint32_t newBalance) {
        return [=](HostToken& tok, bool committed) {
            Terminal term(tok);
            (void)term.select();
            QCOMPARE(term.balance(), committed ? newBalance : oldBalance);
            // The purse ATCs after the setup: online 1, offline 1. Committed → N+1 = 2 and its proof exists.
            const Bytes prove = tok.process(cat({hex("805A00"), Bytes{type}, hex("020002 08")}));
            QCOMPARE(swOf(prove), std::uint16_t(committed ? 0x9000 : 0x9406));
            const Bytes rec = tok.process(hex("00B201C417"));
            QCOMPARE(swOf(rec), std::uint16_t(0x9000));
            // Record 1 holds N of the newest transaction of either type; committed: this one, with ATC N = 1.
            if (committed) {
                QCOMPARE(rec[9], type);
                QCOMPARE(rec[0] << 8 | rec[1], 1);
            }
        };
    };
    scenarios.push_back({"CREDIT",
        selVerify,
        [](HostToken& tok) {
            Terminal term(tok);
            tok.rng().force(hex("01020304"));
            const Bytes init = term.initLoad(1000);
            return term.credit(init, 1000);
        },
        [](HostToken& tok) { // the MAC try spent, before the comparison (spec §4 Decision 2026-12)
            Terminal term(tok);
            (void)term.credit(term.initLoad(1000), 1000, true);
        },
        purseCheck(0x02, 49900, 50900)});
    scenarios.push_back({"DEBIT",
        selVerify,
        [](HostToken& tok) {
            Terminal term(tok);
            tok.rng().force(hex("05060708"));
            const Bytes init = term.initPurchase(250);
            return term.debit(init, 250);
        },
        [](HostToken& tok) {
            Terminal term(tok);
            (void)term.debit(term.initPurchase(250), 250, true);
        },
        purseCheck(0x06, 49900, 49650)});
    scenarios.push_back({"DEBIT bad MAC (failure counter)",
        selVerify,
        [](HostToken& tok) {
            Terminal term(tok);
            const Bytes init = term.initPurchase(250);
            return term.debit(init, 250, true);
        },
        nullptr,
        [](HostToken& tok, bool committed) {
            // The try is in NVM whenever the comparison could have run.
            QCOMPARE(tok.os().macFailures(), std::uint8_t(committed ? 1 : 0));
        },
        0x9302});
    scenarios.push_back({"APPLICATION BLOCK temporary",
        sel,
        [](HostToken& tok) { return Issuer(tok).sendSecure(hex("841E0000"), {}, kDamk); },
        badSecureMac,
        nullptr});
    scenarios.push_back({"APPLICATION BLOCK permanent",
        sel,
        [](HostToken& tok) { return Issuer(tok).sendSecure(hex("841E0001"), {}, kDamk); },
        badSecureMac,
        nullptr});
    scenarios.push_back({"CARD BLOCK",
        sel,
        [](HostToken& tok) { return Issuer(tok).sendSecure(hex("84160000"), {}, kDamk); },
        badSecureMac,
        nullptr});
    scenarios.push_back({"UPDATE BINARY 16 (DAMK)",
        sel,
        [](HostToken& tok) { return Issuer(tok).sendSecure(hex("04D69600"), hex("0100 E5BCA0E4B889"), kDamk); },
        badSecureMac,
        nullptr});
    for (const auto& s : scenarios) {
        QVERIFY2(runScenario(t, ready, s), s.name.c_str());
    }

    // Third MAC failure: blocks the application in the same commit.
    restore(t, ready);
    {
        Terminal term(t);
        (void)term.select();
        (void)term.verify(hex("123456"));
        QCOMPARE(swOf(term.purchase(1, true)), std::uint16_t(0x9302));
        QCOMPARE(swOf(term.purchase(1, true)), std::uint16_t(0x9302));
    }
    const std::vector<std::uint8_t> twoFailures = imageOf(t);
    QVERIFY(runScenario(t,
        twoFailures,
        {"DEBIT 3rd bad MAC (blocks)",
            selVerify,
            [](HostToken& tok) { return Terminal(tok).purchase(1, true); },
            nullptr,
            [](HostToken& tok, bool committed) {
                QCOMPARE(tok.os().lifeCycle(), committed ? LifeCycle::BlockedTemporary : LifeCycle::Personalized);
            },
            0x9302}));
    // A good MAC after two failures: the third try is spent with a tentative block (so a cut during the comparison
    // leaves a blocked token, never an unblocked one with a free guess); the transaction undoes it in its own commit.
    QVERIFY(runScenario(t,
        twoFailures,
        {"DEBIT good after two bad MACs",
            selVerify,
            [](HostToken& tok) { return Terminal(tok).purchase(1); },
            [](HostToken& tok) { (void)Terminal(tok).purchase(1, true); },
            [](HostToken& tok, bool committed) {
                if (committed) {
                    QCOMPARE(tok.os().lifeCycle(), LifeCycle::Personalized);
                    QCOMPARE(tok.os().macFailures(), std::uint8_t(0));
                } else {
                    // Old state (2 failures) or the spent third try, which blocks.
                    QVERIFY(tok.os().macFailures() == 2
                        || (tok.os().macFailures() == 3 && tok.os().lifeCycle() == LifeCycle::BlockedTemporary));
                }
            }}));
    // APPLICATION UNBLOCK from a blocked token; PIN UNBLOCK from a blocked PIN.
    restore(t, twoFailures);
    selVerify(t);
    QCOMPARE(swOf(Terminal(t).purchase(1, true)), std::uint16_t(0x9302));
    const std::vector<std::uint8_t> blocked = imageOf(t);
    QVERIFY(runScenario(t,
        blocked,
        {"APPLICATION UNBLOCK",
            sel,
            [](HostToken& tok) { return Issuer(tok).sendSecure(hex("84180000"), {}, kDamk); },
            [](HostToken& tok) { (void)Issuer(tok).sendSecure(hex("84180000"), {}, kWrongKey); },
            nullptr}));
    restore(t, ready);
    for (int i = 0; i < 3; ++i) {
        (void)Terminal(t).verify(hex("999999"));
    }
    const std::vector<std::uint8_t> pinBlocked = imageOf(t);
    QVERIFY(runScenario(t,
        pinBlocked,
        {"PIN UNBLOCK",
            sel,
            [](HostToken& tok) {
                Issuer i(tok);
                Bytes enc(8);
                (void)i.crypto().ecb(
                    0x00, true, key16(hex("808182838485868788898A8B8C8D8E8F")), hex("0312345680000000"), enc);
                return i.sendSecure(hex("84240000"), enc, hex("808182838485868788898A8B8C8D8E8F"));
            },
            badSecureMac,
            nullptr}));
}

void TestTearing::purseThroughGarbageCollection()
{
    // A small NVM (16 pages of 512 bytes) so that the journal fills, collects and rotates within ~150 transactions:
    // the cut then also lands inside garbage collection (page erase, header, live-item copies).
    HostToken t(HostToken::kDefaultSerial, 512, 16);
    Profile p = standardProfile();
    p.policy = 0;
    QCOMPARE(Issuer(t).personalize(p), std::uint16_t(0x9000));
    {
        Terminal term(t);
        (void)term.select();
        QCOMPARE(swOf(term.load(900000)), std::uint16_t(0x9000));
    }
    const int before = m_cutPoints;
    std::uint64_t maxWrites = 0;
    std::uint32_t balance = 900000;
    std::uint16_t atcs[2] = {1, 0}; // online (one load so far), offline
    for (int i = 0; i < 160; ++i) {
        const std::vector<std::uint8_t> pre = imageOf(t);
        const bool load = i % 4 == 3;
        const std::uint32_t after = load ? balance + 7 : balance - 3;
        const std::uint16_t atc = atcs[load ? 0 : 1];
        Scenario s{load ? "CREDIT (GC)" : "DEBIT (GC)",
            [](HostToken& tok) { (void)Terminal(tok).select(); },
            [load](HostToken& tok) {
                Terminal term(tok);
                return load ? term.load(7) : term.purchase(3);
            },
            [load](HostToken& tok) {
                Terminal term(tok);
                (void)(load ? term.load(7, true) : term.purchase(3, true));
            },
            [=](HostToken& tok, bool committed) {
                // Balance old or new, and ATC, newest record and proof agree with it.
                Terminal term(tok);
                (void)term.select();
                QCOMPARE(term.balance(), committed ? after : balance);
                const std::uint8_t type = load ? 0x02 : 0x06;
                const Bytes prove = tok.process(cat({hex("805A00"),
                    Bytes{type},
                    hex("02"),
                    Bytes{static_cast<std::uint8_t>((atc + 1) >> 8), static_cast<std::uint8_t>(atc + 1)},
                    hex("08")}));
                QCOMPARE(swOf(prove), std::uint16_t(committed ? 0x9000 : 0x9406));
                const Bytes rec = tok.process(hex("00B201C417"));
                QCOMPARE(swOf(rec), std::uint16_t(0x9000));
                QCOMPARE(rec[9] == type && (rec[0] << 8 | rec[1]) == atc, committed);
                // Garbage collection copies the PIN and the keys forward: after recovery each is in NVM once.
                QCOMPARE(occurrences(tok.nvm().image(), hex("123456FFFFFF")), 1);
                QCOMPARE(occurrences(tok.nvm().image(), p.keys[0].key), 1);
            }};
        QVERIFY2(runScenario(t, pre, s), qPrintable(QString::number(i)));
        // Advance the base state by one clean transaction.
        restore(t, pre);
        Terminal term(t);
        (void)term.select();
        QCOMPARE(swOf(load ? term.load(7) : term.purchase(3)), std::uint16_t(0x9000));
        balance = after;
        ++atcs[load ? 0 : 1];
        maxWrites = std::max<std::uint64_t>(maxWrites, t.nvm().counters().programs + t.nvm().counters().erases);
    }
    QVERIFY(maxWrites > 2); // some transaction went through garbage collection (erase + header + copies)
    qInfo("garbage-collection run: %d cut points, at most %llu NVM writes in one transaction",
        m_cutPoints - before,
        static_cast<unsigned long long>(maxWrites));
}

/// The PSAM application (docs/psam.md): every command that moves the TSN or a settlement record, cut at every NVM
/// write. After recovery the TSN and the record list agree: a TSN is spent iff its record exists (so a MAC1 never
/// leaves with a TSN that could be given again), a confirmed record holds its TAC, a cleared one is gone.
void TestTearing::psam()
{
    HostToken t;
    PsamClient setup(t);
    QCOMPARE(setup.personalize(hex("0123456789ABCDEFFEDCBA9876543210"), hex("112233445566"), 7, false),
        std::uint16_t(0x9000));
    const std::vector<std::uint8_t> unfinished = imageOf(t);
    QCOMPARE(swOf(setup.end()), std::uint16_t(0x9000));
    const Bytes init = PsamClient::initApdu(
        hex("5E6F7A8B"), 0, 100, hex("20250101"), hex("120500"), 1, 1, 0x00, hex("0102030405060708"));
    // One purchase authorised (TSN 7) and its MAC2 computed by a second PSAM holding the same state: a clean copy.
    const std::vector<std::uint8_t> ready = imageOf(t);
    const Bytes mac1 = setup.init(init);
    QCOMPARE(swOf(mac1), std::uint16_t(0x9000));
    const std::vector<std::uint8_t> authorised = imageOf(t);
    // MAC2 of TSN 7: SESPK = 3DES(DPK, rnd ‖ ATC ‖ TSN[2..3]) with DPK the vectors' card key, over the amount.
    host::HostCrypto engine;
    PbocCrypto crypto(engine);
    KeyBuffer ses;
    const Bytes seed = hex("5E6F7A8B00000007");
    QVERIFY(crypto.sessionKey(
        0x00, key16(hex("A85CEB8CDADFF80836B1D1C24CE030D7")), std::span<const std::uint8_t, 8>(seed.data(), 8), ses));
    std::array<std::uint8_t, 4> m2{};
    QVERIFY(crypto.transactionMac(0x00, ses, hex("00000064"), m2));
    const Bytes mac2(m2.begin(), m2.end());
    QCOMPARE(swOf(setup.mac2(7, mac2, hex("C147F2A6"))), std::uint16_t(0x9000));
    const std::vector<std::uint8_t> confirmed = imageOf(t);

    auto sel = [](HostToken& tok) { (void)PsamClient(tok).select(); };
    auto agree = [](std::uint32_t tsnBefore) {
        return [tsnBefore](HostToken& tok, bool committed) {
            PsamClient p(tok);
            (void)p.select();
            const std::uint32_t next = p.nextTsn();
            QCOMPARE(next, committed ? tsnBefore + 1 : tsnBefore);
            // The record of the spent TSN exists iff the TSN moved.
            QCOMPARE(swOf(p.mac2(tsnBefore, hex("00000000"), hex("00000000"))),
                std::uint16_t(next == tsnBefore ? 0x6A83 : 0x9302));
        };
    };
    QVERIFY(runScenario(t,
        ready,
        {"PSAM INIT FOR PURCHASE (TSN 7 → 8 and the record)",
            sel,
            [init](HostToken& tok) { return PsamClient(tok).init(init); },
            nullptr,
            agree(7)}));
    // The second purchase lands in the same record item as the first (3 records per item).
    QVERIFY(runScenario(t,
        confirmed,
        {"PSAM INIT FOR PURCHASE beside a confirmed record",
            sel,
            [init](HostToken& tok) { return PsamClient(tok).init(init); },
            nullptr,
            [](HostToken& tok, bool committed) {
                PsamClient p(tok);
                (void)p.select();
                QCOMPARE(p.nextTsn(), committed ? 9u : 8u);
                QCOMPARE(dataOf(p.readRecord(1))[0], std::uint8_t(0x02)); // the confirmed one is untouched
            }}));
    QVERIFY(runScenario(t,
        authorised,
        {"PSAM VERIFY MAC2 (try, then the confirmed record with its TAC)",
            sel,
            [mac2](HostToken& tok) { return PsamClient(tok).mac2(7, mac2, hex("C147F2A6")); },
            [](HostToken& tok) { (void)PsamClient(tok).mac2(7, hex("00000000"), hex("00000000")); },
            [](HostToken& tok, bool committed) {
                PsamClient p(tok);
                (void)p.select();
                const Bytes rec = dataOf(p.readRecord(1));
                QCOMPARE(int(rec[0] & 0x03), committed ? 2 : 1);
                QCOMPARE(toHex(Bytes(rec.begin() + 32, rec.begin() + 36)), committed ? "C147F2A6" : "00000000");
                QCOMPARE(p.nextTsn(), 8u);
            }}));
    QVERIFY(runScenario(t,
        authorised,
        {"PSAM VERIFY MAC2 wrong (the try)",
            sel,
            [](HostToken& tok) { return PsamClient(tok).mac2(7, hex("00000000"), hex("00000000")); },
            nullptr,
            nullptr,
            0x9302}));
    QVERIFY(runScenario(t,
        confirmed,
        {"PSAM settled (record cleared)",
            sel,
            [](HostToken& tok) { return PsamClient(tok).recordState(0x01, 7); },
            nullptr,
            [](HostToken& tok, bool committed) {
                PsamClient p(tok);
                (void)p.select();
                QCOMPARE(p.recordCount(), committed ? 0 : 1);
            }}));
    QVERIFY(runScenario(t,
        authorised,
        {"PSAM abandoned",
            sel,
            [](HostToken& tok) { return PsamClient(tok).recordState(0x02, 7); },
            nullptr,
            nullptr}));
    QVERIFY(runScenario(t,
        unfinished,
        {"PSAM PUT DATA TSN",
            sel,
            [](HostToken& tok) { return PsamClient(tok).putTsn(1000); },
            [](HostToken& tok) {
                if (swOf(Issuer(tok).sendSecure(hex("84DA0002"), hex("000003E8"), kWrongKey)) != 0x6988) {
                    qFatal("the wrong-MAC PUT DATA was not refused");
                }
            },
            nullptr}));
}

void TestTearing::cleanupTestCase()
{
    qInfo("tearing: %d scenarios, %d power-cut points covered (each TearModel)", m_scenarios, m_cutPoints);
    QVERIFY(m_cutPoints > 0);
}

QTEST_GUILESS_MAIN(TestTearing)
#include "TestTearing.moc"
