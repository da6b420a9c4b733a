// SPDX-License-Identifier: Apache-2.0
// Helper for TestTransactionStore::sigkillDuringSync: syncs a deterministic token log of N records into a mirror
// file, over and over (batches of growing size), printing "synced" after each commit, until killed.
// Usage: test_core_mirror_sync_helper <mirror.sqlite> <records> <serial>
#include "core/storage/TransactionStore.h"

#include <QCoreApplication>

#include <cstdio>

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
    if (argc != 4) {
        return 2;
    }
    const auto log = tokenLog(std::atoi(argv[2]));
    auto store = TransactionStore::open(QString::fromLocal8Bit(argv[1]));
    if (!store) {
        std::fprintf(stderr, "%s\n", qPrintable(store.error().detail));
        return 1;
    }
    std::puts("ready");
    std::fflush(stdout);
    for (std::size_t upto = 1;; upto = upto * 2 > log.size() ? 1 : upto * 2) {
        const std::vector<TransactionRecord> batch(
            log.begin(), log.begin() + static_cast<std::ptrdiff_t>(std::min(upto, log.size())));
        auto r = (*store)->sync(QString::fromLocal8Bit(argv[3]), batch);
        if (!r) {
            std::fprintf(stderr, "%s\n", qPrintable(r.error().detail));
            return 1;
        }
        std::puts("synced");
        std::fflush(stdout);
    }
}
