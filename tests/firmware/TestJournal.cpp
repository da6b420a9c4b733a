// SPDX-License-Identifier: Apache-2.0
// The storage journal on its own: a random-commit model test with power cuts and remounts (including pages that
// garbage collection erases), and mount() on arbitrary and corrupted NVM images (never crashes, never invents an
// item whose entry does not check).
#include "Bytes.h"
#include "HostNvm.h"
#include "Journal.h"

#include <QtTest>

#include <map>
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

} // namespace

class TestJournal : public QObject
{
    Q_OBJECT

private slots:
    void randomCommitsWithCuts_data();
    void randomCommitsWithCuts();
    void mountArbitraryImages();
    void mountCorruptedEntries();
};

void TestJournal::randomCommitsWithCuts_data()
{
    QTest::addColumn<int>("pageSize");
    QTest::addColumn<int>("pageCount");
    QTest::newRow("8 x 256") << 256 << 8;
    QTest::newRow("16 x 512") << 512 << 16;
    QTest::newRow("6 x 2048") << 2048 << 6;
}

void TestJournal::randomCommitsWithCuts()
{
    QFETCH(int, pageSize);
    QFETCH(int, pageCount);
    HostNvm nvm(static_cast<std::size_t>(pageSize), static_cast<std::size_t>(pageCount));
    Journal j(nvm);
    QCOMPARE(j.mount(), StoreStatus::Ok);
    std::mt19937 rng(1234);
    State model;
    int cuts = 0;
    int commits = 0;
    for (int step = 0; step < 6000; ++step) {
        // A batch of 1..4 items among 24 ids (so that pages hold superseded and live copies), 1..40 bytes each.
        JournalBatch b;
        State next = model;
        const int items = 1 + static_cast<int>(rng() % 4);
        for (int i = 0; i < items; ++i) {
            const auto id = static_cast<std::uint8_t>(rng() % 24);
            Value v(1 + rng() % 40);
            for (auto& x : v) {
                x = static_cast<std::uint8_t>(rng());
            }
            QVERIFY(b.add(id, v));
            next[id] = v; // a later add of the same id wins
        }
        const bool cut = rng() % 8 == 0;
        if (cut) {
            nvm.armPowerCut(1 + rng() % 3, static_cast<TearModel>(rng() % 3));
        }
        const StoreStatus s = j.commit(b);
        nvm.disarmPowerCut();
        if (nvm.powerLost()) {
            ++cuts;
            nvm.powerRestore();
            QCOMPARE(j.mount(), StoreStatus::Ok);
            const State after = readAll(j);
            QVERIFY2(after == model || after == next, qPrintable(QString("mixed state at step %1").arg(step)));
            model = after;
        } else {
            QCOMPARE(s, StoreStatus::Ok);
            model = next;
            ++commits;
            if (rng() % 16 == 0) { // a clean reset now and then
                QCOMPARE(j.mount(), StoreStatus::Ok);
            }
            QVERIFY(readAll(j) == model);
        }
    }
    QVERIFY(cuts > 100);
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
        const StoreStatus s = j.commit(b);
        if (s == StoreStatus::Ok) {
            QCOMPARE(j.mount(), StoreStatus::Ok);
            QVERIFY(readAll(j).at(7) == v);
        } else {
            QCOMPARE(s, StoreStatus::Full); // garbage that looks like live pages can fill the store; never a crash
        }
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
        std::vector<std::uint8_t> image = nvm.image();
        const std::size_t at = 16 + rng() % 120; // inside the entries of the first page
        image[at] = static_cast<std::uint8_t>(image[at] & ~(1u << (rng() % 8)));
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

QTEST_GUILESS_MAIN(TestJournal)
#include "TestJournal.moc"
