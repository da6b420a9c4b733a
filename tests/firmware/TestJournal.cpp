// SPDX-License-Identifier: Apache-2.0
// The storage journal on its own: a random-commit model test with power cuts and remounts (including pages that
// garbage collection erases), and mount() on arbitrary and corrupted NVM images (never crashes, never invents an
// item whose entry does not check). With secret items, no value of a secret that is not its current value (replaced,
// or written by a commit that a cut undid) stays anywhere in the raw NVM image once commit() or power-on's scrub()
// returned.
#include "Bytes.h"
#include "HostNvm.h"
#include "Journal.h"

#include <QtTest>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <vector>

using namespace skey;
using host::HostNvm;
using host::TearModel;

namespace {

using Value = std::vector<std::uint8_t>;
using State = std::map<std::uint8_t, Value>;

State readAll(Journal& j)
{
    State s;
    for (std::size_t id = 0; id < kItemCount; ++id) {
        std::array<std::uint8_t, kMaxItemSize> buf{};
        std::size_t n = 0;
        if (j.read(static_cast<std::uint8_t>(id), buf, n) != StoreStatus::Ok) {
            qFatal("read failed");
        }
        if (n != 0) {
            s[static_cast<std::uint8_t>(id)] = Value(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
        }
    }
    return s;
}

/// How many NVM writes (programs + erases) committing `b` takes from the current image: the same commit on a copy.
std::uint64_t writesOfCommit(
    const HostNvm& nvm, std::size_t pageSize, std::size_t pageCount, const JournalBatch& b, const ItemSet* secrets)
{
    HostNvm scratch(pageSize, pageCount);
    scratch.setImage(nvm.image());
    auto j = std::make_unique<Journal>(scratch, secrets);
    if (j->mount() != StoreStatus::Ok) {
        return 0;
    }
    const std::uint64_t before = scratch.counters().programs + scratch.counters().erases;
    (void)j->commit(b);
    return scratch.counters().programs + scratch.counters().erases - before;
}

} // namespace

class TestJournal : public QObject
{
    Q_OBJECT

private slots:
    void randomCommitsWithCuts_data();
    void randomCommitsWithCuts();
    void mountArbitraryImages();
    void mountCorruptedEntries();
    void eccTornEntryIsATornTail();
};

void TestJournal::randomCommitsWithCuts_data()
{
    QTest::addColumn<int>("pageSize");
    QTest::addColumn<int>("pageCount");
    QTest::addColumn<bool>("secrets");
    QTest::newRow("8 x 256") << 256 << 8 << false;
    QTest::newRow("16 x 512") << 512 << 16 << false;
    QTest::newRow("6 x 2048") << 2048 << 6 << false;
    QTest::newRow("8 x 256, secrets") << 256 << 8 << true;
    QTest::newRow("16 x 512, secrets") << 512 << 16 << true;
    QTest::newRow("6 x 2048, secrets") << 2048 << 6 << true;
}

void TestJournal::randomCommitsWithCuts()
{
    QFETCH(int, pageSize);
    QFETCH(int, pageCount);
    QFETCH(bool, secrets);
    // Ids 0..5 are secret: their values are 12..40 random bytes, so finding one in the image is no accident.
    constexpr ItemSet kSecrets = ItemSet{}.addRange(0, 5);
    const ItemSet* secretSet = secrets ? &kSecrets : nullptr;
    HostNvm nvm(static_cast<std::size_t>(pageSize), static_cast<std::size_t>(pageCount));
    Journal j(nvm, secretSet);
    QCOMPARE(j.mount(), StoreStatus::Ok);
    std::vector<Value> secretValues; // values secret ids were given (committed or not) and not yet seen gone
    int secretChecks = 0;
    auto noStaleSecret = [&](const State& current, int step) {
        if (!secrets) {
            return true;
        }
        // A value once replaced and gone can never come back (nothing writes it again): it leaves the list.
        std::vector<Value> keep;
        bool ok = true;
        for (const Value& v : secretValues) {
            const bool live = std::any_of(current.begin(), current.end(), [&](const auto& kv) {
                return kSecrets.contains(kv.first) && kv.second == v;
            });
            const bool inImage
                = std::search(nvm.image().begin(), nvm.image().end(), v.begin(), v.end()) != nvm.image().end();
            ++secretChecks;
            if (inImage != live) {
                qWarning("step %d: a %s secret value is %s the NVM image",
                    step,
                    live ? "current" : "replaced",
                    inImage ? "still in" : "missing from");
                ok = false;
            }
            if (live || inImage) {
                keep.push_back(v);
            }
        }
        secretValues.swap(keep);
        return ok;
    };
    std::mt19937 rng(1234);
    State model;
    int cuts = 0;
    int armed = 0;
    int commits = 0;
    constexpr int kSteps = 6000;
    for (int step = 0; step < kSteps; ++step) {
        // A batch of 1..4 items among 24 ids (so that pages hold superseded and live copies), 1..40 bytes each.
        JournalBatch b;
        State next = model;
        const int items = 1 + static_cast<int>(rng() % 4);
        for (int i = 0; i < items; ++i) {
            const auto id = static_cast<std::uint8_t>(rng() % 24);
            Value v(secrets && kSecrets.contains(id) ? 12 + rng() % 29 : 1 + rng() % 40);
            for (auto& x : v) {
                x = static_cast<std::uint8_t>(rng());
            }
            if (secrets && kSecrets.contains(id)) {
                secretValues.push_back(v);
            }
            QVERIFY(b.add(id, v));
            next[id] = v; // a later add of the same id wins
        }
        // 1 commit in 8 is cut, at one of the NVM writes it really makes (entry program, or garbage collection's
        // copies and erase), with a random TearModel.
        const bool cut = rng() % 8 == 0;
        if (cut) {
            // A clean remount first, so the live journal and the copy that counts the writes start alike.
            QCOMPARE(j.mount(), StoreStatus::Ok);
            const std::uint64_t writes = writesOfCommit(
                nvm, static_cast<std::size_t>(pageSize), static_cast<std::size_t>(pageCount), b, secretSet);
            QVERIFY2(writes > 0, "a commit that writes nothing");
            nvm.armPowerCut(1 + rng() % writes, static_cast<TearModel>(rng() % host::kTearModelCount));
            ++armed;
        }
        const StoreStatus s = j.commit(b);
        nvm.disarmPowerCut();
        QCOMPARE(nvm.powerLost(), cut); // every armed cut fired, no other
        if (nvm.powerLost()) {
            ++cuts;
            nvm.powerRestore();
            QCOMPARE(j.mount(), StoreStatus::Ok);
            if (secrets) {
                QCOMPARE(j.scrub(), StoreStatus::Ok); // power-on's second step (CardOs::powerOn)
                QCOMPARE(j.pagesWithSupersededSecrets(), std::size_t(0));
            }
            const State after = readAll(j);
            QVERIFY2(after == model || after == next, qPrintable(QString("mixed state at step %1").arg(step)));
            model = after;
            QVERIFY(noStaleSecret(model, step));
        } else {
            QCOMPARE(s, StoreStatus::Ok);
            model = next;
            ++commits;
            if (rng() % 16 == 0) { // a clean reset now and then
                QCOMPARE(j.mount(), StoreStatus::Ok);
            }
            QVERIFY(readAll(j) == model);
            QVERIFY(noStaleSecret(model, step));
        }
    }
    if (secrets) {
        QVERIFY(secretChecks > 10000); // the check ran, over many replaced values
    }
    // The documented rate: about 1 commit in 8 (binomial, mean 750 of 6,000, sd 26: 650..850 is ±4 sd).
    QCOMPARE(cuts, armed);
    QVERIFY2(cuts >= kSteps / 8 - 100 && cuts <= kSteps / 8 + 100, qPrintable(QString::number(cuts)));
    QVERIFY(nvm.counters().erases > 10); // garbage collection ran
    qInfo("%d commits, %d power cuts, %llu erases",
        commits,
        cuts,
        static_cast<unsigned long long>(nvm.counters().erases));
}

void TestJournal::mountArbitraryImages()
{
    std::mt19937 rng(99);
    HostNvm nvm(256, 8);
    for (int round = 0; round < 2000; ++round) {
        std::vector<std::uint8_t> image(256 * 8);
        const int mode = round % 3;
        for (auto& x : image) {
            x = mode == 0 ? static_cast<std::uint8_t>(rng())
                          : (rng() % 4 == 0 ? static_cast<std::uint8_t>(rng()) : 0xFF);
        }
        if (mode == 2) {
            // Valid page headers over random content, so the entry parser sees garbage behind good headers.
            for (std::size_t p = 0; p < 8; ++p) {
                std::uint8_t* h = image.data() + p * 256;
                const std::uint32_t seq = 1 + rng() % 5;
                putBe32(h, 0x534B4A31u);
                putBe32(h + 4, seq);
                putBe32(h + 8, crc32(std::span<const std::uint8_t>(h, 8)));
            }
        }
        nvm.setImage(image);
        Journal j(nvm);
        QCOMPARE(j.mount(), StoreStatus::Ok);
        (void)readAll(j);
        // The store stays usable: a commit on top of garbage is read back after a remount.
        JournalBatch b;
        const Value v{1, 2, 3};
        QVERIFY(b.add(7, v));
        QCOMPARE(j.commit(b), StoreStatus::Ok);
        QCOMPARE(j.mount(), StoreStatus::Ok);
        QVERIFY(readAll(j).at(7) == v);
        // ... and keeps working through garbage collection: enough commits to recycle every page.
        for (int c = 0; c < 40; ++c) {
            JournalBatch more;
            const Value w(40, static_cast<std::uint8_t>(c));
            QVERIFY(more.add(static_cast<std::uint8_t>(8 + c % 3), w));
            QCOMPARE(j.commit(more), StoreStatus::Ok);
        }
        QCOMPARE(j.mount(), StoreStatus::Ok);
        QVERIFY(readAll(j).at(7) == v);
    }
}

void TestJournal::mountCorruptedEntries()
{
    // Flip bits inside committed entries: the damaged entry (and what follows it in that page) is ignored, nothing
    // else changes, and no value that was never written appears.
    std::mt19937 rng(7);
    for (int round = 0; round < 300; ++round) {
        HostNvm nvm(512, 8);
        Journal j(nvm);
        QCOMPARE(j.mount(), StoreStatus::Ok);
        std::vector<State> history{State{}};
        for (int c = 0; c < 5; ++c) {
            JournalBatch b;
            State next = history.back();
            const auto id = static_cast<std::uint8_t>(c);
            const Value v(8, static_cast<std::uint8_t>(0x10 * (c + 1)));
            QVERIFY(b.add(id, v));
            next[id] = v;
            QCOMPARE(j.commit(b), StoreStatus::Ok);
            history.push_back(next);
        }
        const std::vector<std::uint8_t> before = nvm.image();
        std::vector<std::uint8_t> image = before;
        // One bit flipped (XOR: it always changes) inside the entries written to the first page: after the 16-byte
        // page header, before the erased tail.
        std::size_t used = 512;
        while (used > 16 && image[used - 1] == 0xFF) {
            --used;
        }
        QVERIFY(used > 16 + 5 * 8);
        const std::size_t at = 16 + rng() % (used - 16);
        image[at] = static_cast<std::uint8_t>(image[at] ^ (1u << (rng() % 8)));
        QVERIFY(image != before);
        nvm.setImage(image);
        Journal again(nvm);
        QCOMPARE(again.mount(), StoreStatus::Ok);
        const State s = readAll(again);
        bool isPrefix = false;
        for (const State& h : history) {
            isPrefix = isPrefix || s == h;
        }
        QVERIFY2(isPrefix, "a corrupted entry produced a state that was never committed");
    }
}

void TestJournal::eccTornEntryIsATornTail()
{
    // Flash with ECC (STM32L4): a cut program leaves a double word that faults on every read. mount() must take it
    // for a torn tail (old state, page closed) and the journal must go on committing; a cut erase likewise.
    for (const std::size_t pageSize : {std::size_t(256), std::size_t(2048)}) {
        HostNvm nvm(pageSize, 6);
        Journal j(nvm);
        QCOMPARE(j.mount(), StoreStatus::Ok);
        JournalBatch first;
        const Value a(40, 0x11);
        QVERIFY(first.add(1, a));
        QCOMPARE(j.commit(first), StoreStatus::Ok);
        JournalBatch second;
        const Value b(40, 0x22);
        QVERIFY(second.add(1, b));
        nvm.armPowerCut(1, TearModel::EccTorn);
        QCOMPARE(j.commit(second), StoreStatus::PowerLost);
        nvm.powerRestore();
        QCOMPARE(nvm.unreadableDoubleWords(), std::size_t(1));
        std::array<std::uint8_t, 8> probe{};
        bool faultSeen = false;
        for (std::size_t at = 0; at < pageSize * 6; at += 8) {
            faultSeen = faultSeen || nvm.read(at, probe) == hal::NvmStatus::Fault;
        }
        QVERIFY(faultSeen);
        QCOMPARE(j.mount(), StoreStatus::Ok);
        QVERIFY(readAll(j).at(1) == a);
        // Keeps working: through garbage collection, which erases the page with the bad double word.
        for (int c = 0; c < 200; ++c) {
            JournalBatch more;
            QVERIFY(more.add(static_cast<std::uint8_t>(2 + c % 5), Value(60, static_cast<std::uint8_t>(c))));
            QCOMPARE(j.commit(more), StoreStatus::Ok);
        }
        QCOMPARE(nvm.unreadableDoubleWords(), std::size_t(0));
        QCOMPARE(j.mount(), StoreStatus::Ok);
        QVERIFY(readAll(j).at(1) == a);
        // A cut erase (of a free page, before it is opened) leaves half of it unreadable: still mounts, and the page
        // is erased again before use. (Cuts inside garbage collection under this model: randomCommitsWithCuts.)
        std::size_t freePage = 6;
        for (std::size_t p = 0; p < 6 && freePage == 6; ++p) {
            std::array<std::uint8_t, 16> h{};
            QCOMPARE(nvm.read(p * pageSize, h), hal::NvmStatus::Ok);
            freePage = std::all_of(h.begin(), h.end(), [](std::uint8_t x) { return x == 0xFF; }) ? p : 6;
        }
        QVERIFY(freePage < 6);
        const State before = readAll(j);
        nvm.armPowerCut(1, TearModel::EccTorn);
        QCOMPARE(nvm.erase(freePage), hal::NvmStatus::PowerLost);
        nvm.powerRestore();
        QVERIFY(nvm.unreadableDoubleWords() > 0);
        QCOMPARE(j.mount(), StoreStatus::Ok);
        for (int c = 0; c < 100; ++c) {
            JournalBatch more;
            QVERIFY(more.add(static_cast<std::uint8_t>(9), Value(60, static_cast<std::uint8_t>(c))));
            QCOMPARE(j.commit(more), StoreStatus::Ok);
        }
        QCOMPARE(j.mount(), StoreStatus::Ok);
        State expected = before;
        expected[9] = Value(60, 99);
        QVERIFY(readAll(j) == expected);
    }
}

QTEST_GUILESS_MAIN(TestJournal)
#include "TestJournal.moc"
