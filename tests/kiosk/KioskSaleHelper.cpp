// SPDX-License-Identifier: Apache-2.0
// Helper for TestKioskStoreKill: the kiosk's sale and settlement path without the window, in a process the test
// SIGKILLs at random points. With the simulated key on <hid-port> it first reconciles (the key's proof settles the
// PSAM's open purchases; open sales follow), then makes <sales> sales of 1..9 fen, uploading a settlement batch after
// every third, and prints "sale <id> <fen> done" after each sale's commit and "uploaded <n>" after each batch the bank
// answered. <sales> = 0: reconcile and upload only. Exit 0 when all went through.
// Usage: kiosk-sale-helper <data-dir> <hid-port> <bank-client.json> <sales> <seed>
#include "app/kiosk/KioskIssuerHost.h"
#include "app/kiosk/SaleStore.h"
#include "app/kiosk/Settlement.h"
#include "core/bank/HttpsBankClient.h"
#include "core/keystore/KeyStore.h"
#include "core/psam/LocalPsam.h"
#include "core/purse/Pin.h"
#include "core/purse/PurseService.h"
#include "core/storage/TransactionStore.h"
#include "device/HidApduChannel.h"
#include "device/UdpTransport.h"

#include <QCoreApplication>
#include <QDir>

#include <cstdio>
#include <cstdlib>

using namespace wallet;

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    if (argc != 6) {
        return 2;
    }
    const QString dir = QString::fromLocal8Bit(argv[1]);
    const auto port = static_cast<std::uint16_t>(std::atoi(argv[2]));
    const int sales = std::atoi(argv[4]);
    std::srand(static_cast<unsigned>(std::atoi(argv[5])));
    auto fail = [](const QString& why) {
        std::fprintf(stderr, "%s\n", qPrintable(why));
        return 1;
    };
    auto store = kiosk::SaleStore::open(QDir(dir).filePath(QStringLiteral("sales.sqlite")));
    if (!store) {
        return fail(store.error().detail);
    }
    auto psam = core::LocalPsam::open(QDir(dir).filePath(QStringLiteral("psam.sqlite")),
        QByteArray::fromHex("223344556677"),
        core::KeyStore::demoKeys().mpk);
    if (!psam) {
        return fail(psam.error().detail);
    }
    auto mirror = core::TransactionStore::open(QDir(dir).filePath(QStringLiteral("mirror.sqlite")));
    if (!mirror) {
        return fail(mirror.error().detail);
    }
    auto bankConfig = core::BankClientConfig::load(QString::fromLocal8Bit(argv[3]));
    if (!bankConfig) {
        return fail(bankConfig.error().detail);
    }
    core::HttpsBankClient bank(*bankConfig, 10000);
    kiosk::KioskIssuerHost issuer;
    device::HidApduChannel channel(std::make_unique<device::UdpTransport>(port));
    if (auto c = channel.connect(); !c) {
        return fail(c.error().detail);
    }
    core::SystemClock clock;
    core::PurseService purse(channel, issuer, **psam, clock, mirror->get());
    auto card = purse.open(); // settles the PSAM's open purchases with the key's proof
    if (!card) {
        return fail(card.error().detail);
    }
    const QByteArray asn = card->application.asn();
    if (auto r = kiosk::Settlement::reconcile(**store, **psam, asn, clock.now()); !r) {
        return fail(r.error().detail);
    }
    std::puts("ready");
    std::fflush(stdout);
    auto upload = [&]() -> bool {
        auto u = kiosk::Settlement::upload(**store, bank, **psam, clock.now());
        if (!u) {
            std::fprintf(stderr, "upload: %s\n", qPrintable(u.error().detail));
            return false;
        }
        std::printf("uploaded %d\n", u->records);
        std::fflush(stdout);
        return true;
    };
    for (int i = 1; i <= sales; ++i) {
        const auto fen = static_cast<std::uint32_t>(1 + std::rand() % 9);
        auto id = (*store)->begin(card->device.serialHex(), asn, core::Amount(fen), clock.now());
        if (!id) {
            return fail(id.error().detail);
        }
        auto pin = core::Pin::fromDigits("123456"); // the demo profile asks the PIN for every purchase
        auto r = purse.purchase(core::Amount(fen), &*pin);
        if (!r) {
            return fail(QStringLiteral("purchase: ") + r.error().detail);
        }
        auto pending = (*psam)->pendingSettlement();
        if (!pending) {
            return fail(pending.error().detail);
        }
        for (const auto& p : *pending) {
            if (p.tsn == r->tsn) {
                if (auto c = (*store)->complete(*id, p); !c) {
                    return fail(c.error().detail);
                }
            }
        }
        std::printf("sale %lld %u done\n", static_cast<long long>(*id), fen);
        std::fflush(stdout);
        if (i % 3 == 0 && !upload()) {
            return 1;
        }
    }
    return upload() ? 0 : 1;
}
