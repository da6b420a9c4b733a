// SPDX-License-Identifier: Apache-2.0
// Helper for TestTransactionStore::sigkillDuringSync: syncs a deterministic token log of N records into a mirror
// file as a large backlog, <batch> new records per sync() (one transaction each), printing "synced <n>" after each
// commit (n = records 0..n-1 are committed) and "done" once all are in. The test kills it in the middle.
// Usage: test_core_mirror_sync_helper <mirror.sqlite> <records> <serial> <batch>
#include "core/storage/TransactionStore.h"

#include <QCoreApplication>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

using namespace wallet::core;

std::vector<TransactionRecord> tokenLog(int n);

std::vector<TransactionRecord> tokenLog(int n)
{
    std::vector<TransactionRecord> out;
    for (int i = 0; i < n; ++i) {
        QByteArray raw;
        appendU16(raw, static_cast<std::uint16_t>(i / 2));
        raw.append(QByteArray(3, '\0'));
        appendU32(raw, static_cast<std::uint32_t>(100 + i));
        raw.append(static_cast<char>(i % 2 == 0 ? 0x02 : 0x06));
        raw.append(QByteArray::fromHex("112233445566"));
        raw.append(bcdDate(QDate(2026, 1, 1).addDays(i / 10)));
        raw.append(bcdTime(QTime(0, 0).addSecs(i % 86400)));
        out.push_back(*TransactionRecord::decode(raw));
    }
    return out;
}

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    if (argc != 5) {
        return 2;
    }
    const auto log = tokenLog(std::atoi(argv[2]));
    const std::size_t batch = static_cast<std::size_t>(std::max(1, std::atoi(argv[4])));
    auto store = TransactionStore::open(QString::fromLocal8Bit(argv[1]));
    if (!store) {
        std::fprintf(stderr, "%s\n", qPrintable(store.error().detail));
        return 1;
    }
    std::puts("ready");
    std::fflush(stdout);
    for (std::size_t from = 0; from < log.size(); from += batch) {
        const std::size_t to = std::min(from + batch, log.size());
        const std::vector<TransactionRecord> window(
            log.begin() + static_cast<std::ptrdiff_t>(from), log.begin() + static_cast<std::ptrdiff_t>(to));
        auto r = (*store)->sync(QString::fromLocal8Bit(argv[3]), window);
        if (!r) {
            std::fprintf(stderr, "%s\n", qPrintable(r.error().detail));
            return 1;
        }
        std::printf("synced %zu\n", to);
        std::fflush(stdout);
    }
    std::puts("done");
    std::fflush(stdout);
    return 0;
}
