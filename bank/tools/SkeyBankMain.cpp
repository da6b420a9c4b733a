// SPDX-License-Identifier: Apache-2.0
// skey-bank: the bank host's HTTPS server (docs/bank.md §4, §5).
//   skey-bank --data <dir> [--listen 127.0.0.1:0]
// Prints `listening <host>:<port>` on stdout once it accepts. Binds loopback unless told otherwise.
#include "bank/db/Migrations.h"
#include "bank/db/PgConnection.h"
#include "bank/db/SqliteDb.h"
#include "bank/server/BankServer.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

using namespace wallet::bank;

namespace {

int usage()
{
    std::fprintf(stderr, "usage: skey-bank --data <dir> [--listen <host>:<port>]   (port 0 picks a free one)\n");
    return 2;
}

int fail(const wallet::core::Error& e)
{
    std::fprintf(stderr, "skey-bank: %s\n", e.detail.toLocal8Bit().constData());
    return 1;
}

} // namespace

int main(int argc, char** argv)
{
    QString data;
    std::string listen = "127.0.0.1:0";
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--version")) {
            std::printf("skey-bank %s\n", WALLET_VERSION);
            return 0;
        }
        if (!std::strcmp(argv[i], "--data") && i + 1 < argc) {
            data = QString::fromLocal8Bit(argv[++i]);
        } else if (!std::strcmp(argv[i], "--listen") && i + 1 < argc) {
            listen = argv[++i];
        } else {
            return usage();
        }
    }
    const auto colon = listen.rfind(':');
    if (data.isEmpty() || colon == std::string::npos) {
        return usage();
    }
    const std::string host = listen.substr(0, colon);
    const int port = std::atoi(listen.c_str() + colon + 1);

    auto config = BankConfig::load(data);
    if (!config) {
        return fail(config.error());
    }
    FaultPlan fault;
    if (const char* f = std::getenv("SKEY_BANK_FAULT"); f && *f) {
        if (!config->test) {
            std::fprintf(stderr, "skey-bank: SKEY_BANK_FAULT is honoured only in test folders (bankctl init --test)\n");
            return 2;
        }
        fault = FaultPlan::parse(f);
    }
    if (Db::isSqlite(config->conninfo)) {
        // One bank host per SQLite file (docs/bank.md §7.3): a second one is refused here, by name. The lock is held
        // until this process exits; bankctl may still work on the file beside it (SQLite serialises the writers).
        if (auto lock = SqliteDb::lockServer(Db::sqlitePath(config->conninfo)); !lock) {
            return fail(lock.error());
        }
    }
    {
        auto db = PgConnection::connect(config->conninfo);
        if (!db) {
            return fail(db.error());
        }
        if (auto m = Migrations::check(**db); !m) {
            return fail(m.error());
        }
    }
    auto hsm = config->openHsm();
    if (!hsm) {
        return fail(hsm.error());
    }
    for (const char* label : {"fingerprint", "mlk.v1", "mtk.v1", "mpk.v1"}) {
        auto has = (*hsm)->hasKey(label);
        if (!has || !*has) {
            std::fprintf(stderr, "skey-bank: the token has no key %s: run `bankctl keys init --data <dir>`\n", label);
            return 1;
        }
    }
    // A terminal that hangs up while its answer is being written (OpenSSL writes with write(2), not MSG_NOSIGNAL)
    // is an error on that connection, not the end of the server.
    std::signal(SIGPIPE, SIG_IGN);
    // Signals go to one waiting thread, which stops the server (no work in a signal handler).
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGTERM);
    sigaddset(&stopSignals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

    BankServer server(std::move(config.value()), std::move(hsm.value()), fault);
    auto bound = server.bind(host, port);
    if (!bound) {
        return fail(bound.error());
    }
    std::thread stopper([&] {
        int sig = 0;
        sigwait(&stopSignals, &sig);
        server.stop();
    });
    stopper.detach();
    std::printf("listening %s:%d\n", host.c_str(), *bound);
    std::fflush(stdout);
    server.run();
    return 0;
}
