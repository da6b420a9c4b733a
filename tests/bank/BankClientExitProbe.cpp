// SPDX-License-Identifier: Apache-2.0
// A whole life of a bank client, for test_bank_client_exit: load bank-client.json, one HTTPS call through
// HttpsBankClient (its QNetworkAccessManager, the Qt HTTP thread, OpenSSL), then return from main. Run under the
// sanitizers, LeakSanitizer checks the exit (the OpenSSL exit leak, docs/branch.md).
#include "core/bank/HttpsBankClient.h"

#include <QCoreApplication>

#include <cstdio>

using namespace wallet;

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    if (argc != 3) {
        std::fprintf(stderr, "usage: bank_client_exit_probe <bank-client.json> <GET path>\n");
        return 2;
    }
    auto config = core::BankClientConfig::load(QString::fromLocal8Bit(argv[1]));
    if (!config) {
        std::fprintf(stderr, "%s\n", config.error().detail.toLocal8Bit().constData());
        return 1;
    }
    core::HttpsBankClient client(*config);
    auto answer = client.send(core::BankCall{QByteArrayLiteral("GET"), QString::fromLatin1(argv[2]), {}, {}});
    if (!answer) {
        std::fprintf(stderr, "%s\n", answer.error().detail.toLocal8Bit().constData());
        return 1;
    }
    std::printf("status %d\n", answer->status);
    return 0;
}
