// SPDX-License-Identifier: Apache-2.0
// The SQLite mirror: a sync of 10,000 token records (new rows, one durable transaction), its replay (0 changes),
// and history pages on a 1,000,000-row mirror (newest page, a type + date-range page, an amount filter, a count).
// Usage: bench_core_mirror [rows=1000000]
#include "core/storage/TransactionStore.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <vector>

using namespace wallet::core;

namespace {

std::vector<TransactionRecord> records(int first, int count)
{
    std::vector<TransactionRecord> out;
    out.reserve(static_cast<std::size_t>(count));
    for (int i = first; i < first + count; ++i) {
        QByteArray raw;
        appendU16(raw, static_cast<std::uint16_t>((i / 2) & 0xFFFF));
        raw.append(QByteArray(3, '\0'));
        appendU32(raw, static_cast<std::uint32_t>(100 + (i % 50000)));
        raw.append(static_cast<char>(i % 2 == 0 ? 0x02 : 0x06));
        raw.append(QByteArray::fromHex("112233445566"));
        raw.append(bcdDate(QDate(2020, 1, 1).addDays(i / 500)));
        raw.append(bcdTime(QTime(0, 0).addSecs((i * 7) % 86400)));
        out.push_back(*TransactionRecord::decode(raw));
    }
    return out;
}

double medianMs(const std::function<void()>& f, int reps)
{
    std::vector<double> v;
    QElapsedTimer t;
    for (int i = 0; i < reps; ++i) {
        t.start();
        f();
        v.push_back(static_cast<double>(t.nsecsElapsed()) / 1e6);
    }
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const int rows = argc > 1 ? std::max(20000, std::atoi(argv[1])) : 1000000;
    QTemporaryDir dir;
    {
        auto store = TransactionStore::open(dir.filePath(QStringLiteral("sync.sqlite"))).value();
        const auto batch = records(0, 10000);
        QElapsedTimer t;
        t.start();
        const int added = store->sync(QStringLiteral("534B000000000001"), batch).value();
        const double ms = static_cast<double>(t.nsecsElapsed()) / 1e6;
        std::printf(
            "sync of 10,000 new records: %.1f ms (%d added, %.0f records/s)\n", ms, added, 10000.0 / ms * 1000.0);
        t.start();
        const int again = store->sync(QStringLiteral("534B000000000001"), batch).value();
        const double ms2 = static_cast<double>(t.nsecsElapsed()) / 1e6;
        std::printf("replay of the same 10,000 records: %.1f ms (%d added)\n", ms2, again);
    }
    auto store = TransactionStore::open(dir.filePath(QStringLiteral("big.sqlite"))).value();
    QElapsedTimer fill;
    fill.start();
    // 65,536 ATC values per type per token: spread 1M rows over tokens like a shop's many customers.
    constexpr int kPerToken = 100000;
    for (int first = 0; first < rows; first += 10000) {
        const QString token = QStringLiteral("TOKEN%1").arg(first / kPerToken, 4, 10, QLatin1Char('0'));
        (void)store->sync(token, records(first % kPerToken, 10000));
    }
    std::printf("filled %d rows in %.1f s\n", rows, static_cast<double>(fill.elapsed()) / 1000.0);
    HistoryQuery newest;
    newest.limit = 50;
    std::printf(
        "history page (newest 50 of %d): median %.3f ms\n", rows, medianMs([&] { (void)store->history(newest); }, 50));
    HistoryQuery ranged;
    ranged.type = TransactionType::Purchase;
    ranged.from = QDate(2020, 3, 1);
    ranged.to = QDate(2020, 3, 31);
    ranged.limit = 50;
    std::printf("history page (purchases in one month, 50): median %.3f ms\n",
        medianMs([&] { (void)store->history(ranged); }, 50));
    HistoryQuery token;
    token.tokenSerial = QStringLiteral("TOKEN0003");
    token.limit = 50;
    token.offset = 500;
    std::printf("history page (one token, page 11 of 50): median %.3f ms\n",
        medianMs([&] { (void)store->history(token); }, 50));
    HistoryQuery amount;
    amount.minAmount = Amount(1000);
    amount.maxAmount = Amount(1100);
    amount.limit = 50;
    std::printf("history page (amount 10.00..11.00, 50): median %.3f ms\n",
        medianMs([&] { (void)store->history(amount); }, 20));
    std::printf("count (all rows): median %.3f ms\n", medianMs([&] { (void)store->count(HistoryQuery{}); }, 10));
    return 0;
}
