// SPDX-License-Identifier: Apache-2.0
// Issue 11, "Figures": load authorisations per second with p50 and p99, through the real bank host. A program that
// prints figures, never a test (nothing here asserts on time; it fails only when a load is refused or the ledger is
// wrong afterwards).
//
// The rig is the tests' (BankRig): a PostgreSQL cluster started by this program as the postgres user (or, with
// --db sqlite, the embedded default's SQLite file), a SoftHSM2 token with the golden-vector masters, and skey-bank over
// HTTPS with mutual TLS on loopback: one instance, or with --instances 2 two on the same PostgreSQL. N client threads
// are N terminals, each with its own client certificate (terminal ID), its own key (TestCard: the key's side of
// INITIALIZE/CREDIT FOR LOAD, Botan) and its own kept-alive TLS connection to one instance (client i → instance
// i mod instances). Each load is what a terminal does: INITIALIZE on the key, POST /v1/loads (authorise: MAC1
// verified and MAC2 made in the HSM, the funding account debited), CREDIT on the key, POST /v1/loads/{id}/confirmation
// (the TAC verified, the load completed). A request without an answer, 409 in flight or 5xx is sent again with the
// same request id (exactly once, docs/bank.md §6.1) and counted as a retry.
//
//   bench_bank_loads [--db postgresql|sqlite] [--instances 1|2] [--clients 1,4,8,16] [--seconds 10] [--group-max N]
//
// --group-max sets SKEY_BANK_GROUP_MAX for the bank hosts (docs/bank.md §7.3 group commit: at most N requests a
// transaction, default 32; 1 = every request its own transaction, as before group commit), for a comparison on the
// same machine at the same hour.
//
// Prints one line per client count: authorisations/s (= completed loads/s: each load is one authorisation and one
// confirmation), HTTP requests/s (twice that), and the p50/p99 latency in ms of the authorisation, of the confirmation
// and of the whole load (both requests; the key's steps are microseconds).
#include "bank/support/BankRig.h"
#include "bank/support/TestCard.h"
#include "bench/bank/BenchBuildKind.h"

#include <httplib.h>

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QThread>
#include <QUuid>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

using namespace wallet;
using namespace wallet::bank::test;

namespace {

using Clock = std::chrono::steady_clock;

constexpr qint64 kDeposit = 4000000000LL; // fen per key: far more than any run loads
constexpr std::uint32_t kAmount = 100; // fen per load

QString hex(const QByteArray& b)
{
    return QString::fromLatin1(b.toHex().toUpper());
}

QString asnOf(int i)
{
    return QStringLiteral("0901%1").arg(i, 12, 10, QLatin1Char('0'));
}

/// Client i's terminal ID: 12 BCD digits, its certificate's CN.
QString terminalOf(int i)
{
    return QStringLiteral("7700000000%1").arg(i, 2, 10, QLatin1Char('0'));
}

/// docs/bank.md §7.1: the purse-float bucket of a key is the first byte of SHA-256(ASN) mod 64.
int bucketOf(const QString& asn)
{
    return static_cast<unsigned char>(
               QCryptographicHash::hash(QByteArray::fromHex(asn.toLatin1()), QCryptographicHash::Sha256).at(0))
        % 64;
}

using wallet::bench::buildKind;

/// One terminal: its key, its connection, its latencies.
struct Client
{
    int index = 0;
    int port = 0;
    QString asn;
    QString terminal;
    std::unique_ptr<TestCard> card;
    std::unique_ptr<httplib::SSLClient> http;
    std::vector<double> authoriseMs, confirmMs, loadMs;
    int retries = 0;
    QString error;
};

struct Answer
{
    int status = 0;
    QJsonObject json;
};

/// POST with a request id kept across retries (no answer, 409 in flight, 5xx: the same request again).
Answer post(Client& c, const std::string& path, const QJsonObject& body)
{
    const std::string payload = QJsonDocument(body).toJson(QJsonDocument::Compact).toStdString();
    const std::string id = QUuid::createUuid().toString(QUuid::WithoutBraces).toStdString();
    for (int attempt = 0; attempt < 20; ++attempt) {
        auto res = c.http->Post(path.c_str(), httplib::Headers{{"Idempotency-Key", id}}, payload, "application/json");
        if (res && res->status != 409 && res->status < 500) {
            return {res->status, QJsonDocument::fromJson(QByteArray::fromStdString(res->body)).object()};
        }
        ++c.retries;
        if (res) {
            QThread::msleep(20);
        }
    }
    return {};
}

double msSince(Clock::time_point t0)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

/// One load as a terminal does it. Empty, or what went wrong.
QString load(Client& c, bool record)
{
    const auto t0 = Clock::now();
    const auto init = c.card->initializeForLoad(kAmount, QByteArray::fromHex(c.terminal.toLatin1()));
    const QJsonObject body = TestCard::authoriseLoadBody(
        QByteArray::fromHex(c.asn.toLatin1()), init, kAmount, QByteArray::fromHex(c.terminal.toLatin1()));
    const auto ta = Clock::now();
    const Answer a = post(c, "/v1/loads", body);
    const double authoriseMs = msSince(ta);
    if (a.status != 201 && a.status != 200) {
        return QStringLiteral("authorise answered %1 %2")
            .arg(a.status)
            .arg(QString::fromUtf8(QJsonDocument(a.json).toJson(QJsonDocument::Compact)));
    }
    const auto tac
        = c.card->creditForLoad(QByteArray::fromHex(a.json.value(QStringLiteral("date")).toString().toLatin1()),
            QByteArray::fromHex(a.json.value(QStringLiteral("time")).toString().toLatin1()),
            QByteArray::fromHex(a.json.value(QStringLiteral("mac2")).toString().toLatin1()));
    if (!tac) {
        return QStringLiteral("the key refused MAC2");
    }
    const auto tc = Clock::now();
    const Answer k = post(c,
        QStringLiteral("/v1/loads/%1/confirmation")
            .arg(a.json.value(QStringLiteral("loadId")).toString())
            .toStdString(),
        {{QStringLiteral("tac"), hex(*tac)}, {QStringLiteral("source"), QStringLiteral("credit")}});
    const double confirmMs = msSince(tc);
    if (k.status != 200 || k.json.value(QStringLiteral("state")).toString() != QStringLiteral("completed")) {
        return QStringLiteral("confirmation answered %1").arg(k.status);
    }
    if (record) {
        c.authoriseMs.push_back(authoriseMs);
        c.confirmMs.push_back(confirmMs);
        c.loadMs.push_back(msSince(t0));
    }
    return {};
}

double percentile(std::vector<double>& v, double p)
{
    if (v.empty()) {
        return 0;
    }
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

/// The machine's 1-minute load average now (/proc/loadavg), printed with each row: the machine is shared.
std::string loadAverage()
{
    QFile f(QStringLiteral("/proc/loadavg"));
    if (!f.open(QIODevice::ReadOnly)) {
        return "?";
    }
    return f.readLine().split(' ').value(0).toStdString();
}

int fail(const QString& why)
{
    std::fprintf(stderr, "bench_bank_loads: %s\n", qPrintable(why));
    return 1;
}

} // namespace

int main(int argc, char** argv)
{
    std::signal(SIGPIPE, SIG_IGN); // a kept-alive connection the server closed is an error to retry, not the end
    QCoreApplication app(argc, argv);
    QString db = qEnvironmentVariable("SKEY_BANK_DB", QStringLiteral("postgresql"));
    int instances = 1;
    QList<int> clientCounts{1, 4, 8, 16};
    int seconds = 10;
    const QStringList args = app.arguments();
    for (int i = 1; i < args.size(); ++i) {
        const QString& a = args[i];
        const QString v = args.value(i + 1);
        if (a == QStringLiteral("--db")) {
            db = v;
        } else if (a == QStringLiteral("--instances")) {
            instances = v.toInt();
        } else if (a == QStringLiteral("--clients")) {
            clientCounts.clear();
            for (const QString& n : v.split(QLatin1Char(','))) {
                clientCounts << n.toInt();
            }
        } else if (a == QStringLiteral("--seconds")) {
            seconds = v.toInt();
        } else if (a == QStringLiteral("--group-max")) {
            qputenv("SKEY_BANK_GROUP_MAX", v.toLatin1()); // inherited by skey-bank (BankRig::startInstance)
        } else {
            std::fprintf(stderr,
                "usage: bench_bank_loads [--db postgresql|sqlite] [--instances 1|2] [--clients 1,4,8,16] "
                "[--seconds 10] [--group-max N]\n");
            return 2;
        }
        ++i;
    }
    if (db != QStringLiteral("postgresql") && db != QStringLiteral("sqlite")) {
        return fail(QStringLiteral("--db is postgresql or sqlite"));
    }
    if (instances < 1 || instances > 2 || (instances == 2 && db == QStringLiteral("sqlite"))) {
        return fail(QStringLiteral("--instances is 1 or 2, and 2 only on PostgreSQL (one skey-bank per SQLite file)"));
    }
    const int maxClients = *std::max_element(clientCounts.begin(), clientCounts.end());
    if (maxClients < 1 || maxClients > 99 || seconds < 1) {
        return fail(QStringLiteral("--clients takes 1..99 each, --seconds at least 1"));
    }
    qputenv("SKEY_BANK_DB", db.toLatin1());
    if (!qEnvironmentVariableIsSet("SKEY_SHARED_DIR")) {
        qputenv("SKEY_SHARED_DIR", QByteArrayLiteral(SKEY_BENCH_SHARED_DIR));
    }
    if (auto missing = BankRig::missingPart()) {
        return fail(*missing + QStringLiteral(" not found (scripts/setup-deps.sh installs it)"));
    }

    BankRig rig;
    if (const QString e = rig.setUp(); !e.isEmpty()) {
        return fail(e);
    }
    QSet<int> buckets;
    for (int i = 0; i < maxClients; ++i) {
        if (const QString e = rig.registerCard(
                asnOf(i), QStringLiteral("Bench %1").arg(i), kDeposit, QStringLiteral("BENCH-%1").arg(i));
            !e.isEmpty()) {
            return fail(e);
        }
        if (const QString e = rig.makeClientCertificate(
                QStringLiteral("bench%1").arg(i), QStringLiteral("/OU=wallet/CN=") + terminalOf(i));
            !e.isEmpty()) {
            return fail(e);
        }
        buckets.insert(bucketOf(asnOf(i)));
    }
    if (const QString e = rig.startServer(); !e.isEmpty()) {
        return fail(e);
    }
    std::vector<int> ports{rig.port()};
    QProcess second;
    if (instances == 2) {
        QString why;
        const int port = rig.startInstance(second, QStringLiteral("127.0.0.1:0"), {}, &why);
        if (port <= 0) {
            return fail(why);
        }
        ports.push_back(port);
    }
    const QString settings = rig.sqlite() ? QStringLiteral("SQLite (WAL, synchronous=FULL, one writer)")
                                          : QStringLiteral("PostgreSQL %1, synchronous_commit=%2, fsync=%3")
                                                .arg(rig.sqlText("SHOW server_version"),
                                                    rig.sqlText("SHOW synchronous_commit"),
                                                    rig.sqlText("SHOW fsync"));
    std::printf("bench_bank_loads: %s, %d skey-bank instance(s), group commit %s, %s build, %d s per row, %u fen a "
                "load, %d keys in %d float buckets\n",
        qPrintable(settings),
        instances,
        qPrintable(qEnvironmentVariable("SKEY_BANK_GROUP_MAX") == QStringLiteral("1")
                ? QStringLiteral("off")
                : QStringLiteral("up to %1 a transaction")
                      .arg(qEnvironmentVariable("SKEY_BANK_GROUP_MAX", QStringLiteral("32")))),
        buildKind(),
        seconds,
        kAmount,
        maxClients,
        static_cast<int>(buckets.size()));
    std::printf("%7s %7s %8s %8s %9s %9s %9s %9s %9s %9s %7s %9s %6s\n",
        "clients",
        "loads",
        "auth/s",
        "req/s",
        "auth p50",
        "auth p99",
        "conf p50",
        "conf p99",
        "load p50",
        "load p99",
        "retries",
        "req/flush",
        "load1");
    std::fflush(stdout);

    std::vector<std::unique_ptr<TestCard>> cards;
    for (int i = 0; i < maxClients; ++i) {
        cards.push_back(std::make_unique<TestCard>(QByteArray::fromHex("00112233445566778899AABBCCDDEEFF"),
            QByteArray::fromHex("404142434445464748494A4B4C4D4E4F"),
            QByteArray::fromHex(asnOf(i).toLatin1())));
    }
    qint64 expectedLoads = 0;
    int status = 0;
    for (const int n : clientCounts) {
        std::vector<Client> clients(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) {
            Client& c = clients[static_cast<std::size_t>(i)];
            c.index = i;
            c.port = ports[static_cast<std::size_t>(i) % ports.size()];
            c.asn = asnOf(i);
            c.terminal = terminalOf(i);
            c.card = std::move(cards[static_cast<std::size_t>(i)]);
            const QString name = QStringLiteral("bench%1").arg(i);
            c.http = std::make_unique<httplib::SSLClient>("127.0.0.1",
                c.port,
                rig.tlsPath(name + QStringLiteral(".pem")).toStdString(),
                rig.tlsPath(name + QStringLiteral(".key")).toStdString());
            c.http->set_ca_cert_path(rig.tlsPath(QStringLiteral("ca.pem")).toStdString().c_str());
            c.http->enable_server_certificate_verification(true);
            c.http->set_keep_alive(true);
            c.http->set_tcp_nodelay(true);
            c.http->set_connection_timeout(5, 0);
            c.http->set_read_timeout(30, 0);
        }
        // PostgreSQL's WAL flushes during the row (pg_stat_wal.wal_sync, PostgreSQL 14+): requests per flush shows
        // how many commits group commit put into one.
        auto walSyncs = [&rig] { return rig.sqlite() ? -1 : rig.sqlInt("SELECT wal_sync FROM pg_stat_wal"); };
        const qint64 syncsBefore = walSyncs();
        std::atomic<int> ready{0};
        std::atomic<bool> go{false};
        Clock::time_point end;
        std::vector<std::thread> threads;
        std::vector<qint64> counts(static_cast<std::size_t>(n), 0);
        for (int i = 0; i < n; ++i) {
            threads.emplace_back([&, i] {
                Client& c = clients[static_cast<std::size_t>(i)];
                // Warm-up, not counted: the TLS handshake and the first touch of the key's rows.
                c.error = load(c, false);
                ++ready;
                while (!go.load()) {
                    std::this_thread::yield();
                }
                while (c.error.isEmpty() && Clock::now() < end) {
                    c.error = load(c, true);
                }
                counts[static_cast<std::size_t>(i)] = static_cast<qint64>(c.loadMs.size());
            });
        }
        while (ready.load() < n) {
            QThread::msleep(10);
        }
        const auto start = Clock::now();
        end = start + std::chrono::seconds(seconds);
        go = true;
        for (auto& t : threads) {
            t.join();
        }
        const double wall = std::chrono::duration<double>(Clock::now() - start).count();
        const qint64 syncs = syncsBefore < 0 ? -1 : walSyncs() - syncsBefore;
        std::vector<double> auth, conf, full;
        qint64 loads = 0;
        int retries = 0;
        for (Client& c : clients) {
            if (!c.error.isEmpty()) {
                std::fprintf(stderr, "client %d (%s): %s\n", c.index, qPrintable(c.asn), qPrintable(c.error));
                status = 1;
            }
            auth.insert(auth.end(), c.authoriseMs.begin(), c.authoriseMs.end());
            conf.insert(conf.end(), c.confirmMs.begin(), c.confirmMs.end());
            full.insert(full.end(), c.loadMs.begin(), c.loadMs.end());
            loads += static_cast<qint64>(c.loadMs.size());
            retries += c.retries;
            expectedLoads += static_cast<qint64>(c.loadMs.size()) + 1; // + the warm-up
            cards[static_cast<std::size_t>(c.index)] = std::move(c.card);
        }
        // Authorisations/s counts the authorisations of completed loads only (each load is one authorisation and
        // one confirmation, so the server answered twice that many requests).
        const std::string perFlush = syncs > 0
            ? QString::number(2.0 * static_cast<double>(loads) / static_cast<double>(syncs), 'f', 1).toStdString()
            : std::string("-");
        std::printf("%7d %7lld %8.0f %8.0f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %7d %9s %6s\n",
            n,
            static_cast<long long>(loads),
            static_cast<double>(loads) / wall,
            2.0 * static_cast<double>(loads) / wall,
            percentile(auth, 0.50),
            percentile(auth, 0.99),
            percentile(conf, 0.50),
            percentile(conf, 0.99),
            percentile(full, 0.50),
            percentile(full, 0.99),
            retries,
            perFlush.c_str(),
            loadAverage().c_str());
        std::fflush(stdout);
        if (status != 0) {
            break;
        }
    }

    // The money is right afterwards (counts, not time): every load completed once, the ledger balances.
    const qint64 completed = rig.sqlInt("SELECT count(*) FROM loads WHERE state = 'completed'");
    const qint64 open = rig.sqlInt("SELECT count(*) FROM loads WHERE state <> 'completed'");
    const qint64 sum = rig.sqlInt("SELECT COALESCE(sum(amount), 0) FROM postings");
    std::printf("ledger: %lld loads completed (%lld expected), %lld open, postings sum %lld\n",
        static_cast<long long>(completed),
        static_cast<long long>(expectedLoads),
        static_cast<long long>(open),
        static_cast<long long>(sum));
    if (completed != expectedLoads || open != 0 || sum != 0) {
        status = 1;
    }
    if (second.state() != QProcess::NotRunning) {
        second.terminate();
        if (!second.waitForFinished(30000)) {
            second.kill();
            second.waitForFinished(5000);
        }
    }
    return status;
}
