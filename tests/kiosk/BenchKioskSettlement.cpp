// SPDX-License-Identifier: Apache-2.0
// Figure (issue 12): the settlement upload of N offline sales (default 10,000) from the kiosk to the real bank host,
// printed, never asserted (docs/kiosk.md "Figures"). The real parts: a private PostgreSQL cluster, SoftHSM2 with
// the golden-vector masters and skey-bank over HTTPS with mutual TLS (tests/bank/support/BankRig), the kiosk's own
// certificate and PSAM registered. The key's side is TestCard (in process, the golden MTK/MPK), loaded through the
// bank; each sale's TAC is the card's own. The sales are written into the kiosk's sales.sqlite (SaleStore) as Done
// sales, then the timed part is exactly what the kiosk runs: Settlement::upload (nextBatch, the JSON, the PUT, the
// bank verifying every TAC and posting, markUploaded, the PSAM's markSettled). Then the re-upload of the same batch
// (its answer lost: uploaded_at cleared), which the bank must answer from its stored result, posting nothing.
//
//   SKEY_SHARED_DIR=… SKEY_SOURCE_DIR=… build/asan-ubsan/tests/kiosk/kiosk-settlement-bench [records]
#include "app/kiosk/SaleStore.h"
#include "app/kiosk/Settlement.h"
#include "bank/support/BankRig.h"
#include "bank/support/TestCard.h"
#include "core/bank/HttpsBankClient.h"
#include "core/crypto/CardCrypto.h"
#include "core/keystore/KeyStore.h"
#include "core/psam/LocalPsam.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QUuid>

#include <cstdio>

#include <sys/resource.h>
#include <unistd.h>

using namespace wallet;
using wallet::bank::test::BankRig;
using wallet::bank::test::TestCard;

namespace {

const QString kAsn = QStringLiteral("0102030405060708");
const QByteArray kPsam = QByteArray::fromHex("223344556677");
const QByteArray kMlk = QByteArray::fromHex("00112233445566778899AABBCCDDEEFF");
const QByteArray kMpk = QByteArray::fromHex("0123456789ABCDEFFEDCBA9876543210");
const QByteArray kMtk = QByteArray::fromHex("404142434445464748494A4B4C4D4E4F");

int fail(const QString& why)
{
    std::fprintf(stderr, "kiosk-settlement-bench: %s\n", qPrintable(why));
    return 1;
}

QString bankConfig(BankRig& rig, const QString& dir, const QString& cert)
{
    QFile::setPermissions(rig.tlsPath(cert + QStringLiteral(".key")), QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    const QString path = QDir(dir).filePath(cert + QStringLiteral("-bank.json"));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return {};
    }
    f.write(QJsonDocument(QJsonObject{{QStringLiteral("format"), QStringLiteral("smartkey-bank-client/1")},
                              {QStringLiteral("url"), QStringLiteral("https://127.0.0.1:%1").arg(rig.port())},
                              {QStringLiteral("caCertificate"), rig.tlsPath(QStringLiteral("ca.pem"))},
                              {QStringLiteral("certificate"), rig.tlsPath(cert + QStringLiteral(".pem"))},
                              {QStringLiteral("privateKey"), rig.tlsPath(cert + QStringLiteral(".key"))}})
                .toJson());
    return path;
}

/// CPU seconds (user + system) of this process.
double selfCpu()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec)
        + static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/// CPU seconds of this process's child called `name` (skey-bank), from /proc; -1 when not found.
double childCpu(const QString& name)
{
    const QString self = QString::number(getpid());
    for (const QString& pid : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
        QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!f.open(QIODevice::ReadOnly)) {
            continue;
        }
        const QString stat = QString::fromLatin1(f.readAll());
        const int close = stat.lastIndexOf(QLatin1Char(')'));
        if (close < 0
            || stat.mid(stat.indexOf(QLatin1Char('(')) + 1, close - stat.indexOf(QLatin1Char('(')) - 1) != name) {
            continue;
        }
        const QStringList fields = stat.mid(close + 2).split(QLatin1Char(' '));
        if (fields.size() > 12 && fields.at(1) == self) { // state, ppid, …, utime (12), stime (13) after the name
            return (fields.at(11).toDouble() + fields.at(12).toDouble()) / static_cast<double>(sysconf(_SC_CLK_TCK));
        }
    }
    return -1;
}

qint64 sqlInt(BankRig& rig, const std::string& sql)
{
    auto r = rig.db().exec(sql, {});
    return r && r->rows() == 1 && !r->isNull(0, 0) ? r->integer(0, 0) : -1;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    std::setvbuf(stdout, nullptr, _IONBF, 0);
    if (auto missing = BankRig::missingPart()) {
        std::fprintf(stderr, "SKIP: %s not found\n", qPrintable(*missing));
        return 77;
    }
    const int n = argc > 1 ? std::atoi(argv[1]) : 10000;
    if (n < 1 || n > kiosk::Settlement::kMaxBatch) {
        return fail(QStringLiteral("records: 1 to 10000"));
    }
    BankRig rig;
    if (QString e = rig.setUp(); !e.isEmpty()) {
        return fail(e);
    }
    if (QString e = rig.makeClientCertificate(QStringLiteral("kiosk"), QStringLiteral("/OU=kiosk/CN=556677889900"));
        !e.isEmpty()) {
        return fail(e);
    }
    QString out;
    const QList<QStringList> setup{{QStringLiteral("cards"),
                                       QStringLiteral("register"),
                                       QStringLiteral("--asn"),
                                       kAsn,
                                       QStringLiteral("--holder"),
                                       QStringLiteral("Zhang San")},
        {QStringLiteral("accounts"),
            QStringLiteral("deposit"),
            QStringLiteral("--asn"),
            kAsn,
            QStringLiteral("--amount"),
            QString::number(n),
            QStringLiteral("--reference"),
            QStringLiteral("CASH-0001")},
        {QStringLiteral("merchants"),
            QStringLiteral("add"),
            QStringLiteral("--name"),
            QStringLiteral("Demo Tea House"),
            QStringLiteral("--credential"),
            QStringLiteral("445566778899"),
            QStringLiteral("--terminal"),
            QStringLiteral("112233445566")},
        {QStringLiteral("merchants"),
            QStringLiteral("add-psam"),
            QStringLiteral("--merchant"),
            QStringLiteral("Demo Tea House"),
            QStringLiteral("--terminal"),
            QStringLiteral("223344556677"),
            QStringLiteral("--kiosk"),
            QStringLiteral("556677889900")}};
    for (const QStringList& args : setup) {
        if (rig.bankctl(args, &out) != 0) {
            return fail(QStringLiteral("bankctl %1: %2").arg(args.join(QLatin1Char(' ')), out));
        }
    }
    if (QString e = rig.startServer(); !e.isEmpty()) {
        return fail(e);
    }
    QTemporaryDir dir;
    auto walletConfig = core::BankClientConfig::load(bankConfig(rig, dir.path(), QStringLiteral("client")));
    auto kioskConfig = core::BankClientConfig::load(bankConfig(rig, dir.path(), QStringLiteral("kiosk")));
    if (!walletConfig || !kioskConfig) {
        return fail(QStringLiteral("bank client configuration"));
    }
    core::HttpsBankClient wallet(*walletConfig, 60000);
    core::HttpsBankClient kioskBank(*kioskConfig, 120000);

    // The key holds n fen, loaded through the bank (so the bank's shadow balance covers every sale).
    TestCard card(kMlk, kMtk, QByteArray::fromHex(kAsn.toLatin1()), kMpk);
    const QByteArray online = QByteArray::fromHex("112233445566");
    const auto init = card.initializeForLoad(static_cast<std::uint32_t>(n), online);
    core::BankCall load;
    load.method = QByteArrayLiteral("POST");
    load.path = QStringLiteral("/v1/loads");
    load.requestId = QUuid::createUuid().toString(QUuid::WithoutBraces);
    load.body = {{QStringLiteral("asn"), kAsn},
        {QStringLiteral("algorithm"), QStringLiteral("3des")},
        {QStringLiteral("keyIndex"), 1},
        {QStringLiteral("keyVersion"), 1},
        {QStringLiteral("balanceBefore"), static_cast<qint64>(init.balance)},
        {QStringLiteral("amount"), n},
        {QStringLiteral("onlineAtc"), init.onlineAtc},
        {QStringLiteral("random"), QString::fromLatin1(init.random.toHex().toUpper())},
        {QStringLiteral("mac1"), QString::fromLatin1(init.mac1.toHex().toUpper())},
        {QStringLiteral("terminalId"), QStringLiteral("112233445566")}};
    auto loaded = wallet.send(load);
    if (!loaded || loaded->status != 201) {
        return fail(QStringLiteral("load refused: %1")
                        .arg(loaded ? QString::fromUtf8(QJsonDocument(loaded->body).toJson()) : loaded.error().detail));
    }
    const auto& lb = loaded->body;
    auto tac = card.creditForLoad(QByteArray::fromHex(lb.value(QStringLiteral("date")).toString().toLatin1()),
        QByteArray::fromHex(lb.value(QStringLiteral("time")).toString().toLatin1()),
        QByteArray::fromHex(lb.value(QStringLiteral("mac2")).toString().toLatin1()));
    if (!tac) {
        return fail(QStringLiteral("MAC2 of the load does not verify"));
    }
    core::BankCall confirm;
    confirm.method = QByteArrayLiteral("POST");
    confirm.path = QStringLiteral("/v1/loads/%1/confirmation").arg(lb.value(QStringLiteral("loadId")).toString());
    confirm.requestId = QUuid::createUuid().toString(QUuid::WithoutBraces);
    confirm.body = {{QStringLiteral("tac"), QString::fromLatin1(tac->toHex().toUpper())},
        {QStringLiteral("source"), QStringLiteral("credit")}};
    if (auto c = wallet.send(confirm); !c || !c->ok()) {
        return fail(QStringLiteral("load confirmation refused"));
    }

    // n offline sales of 1 fen at the kiosk's PSAM, each with the card's TAC, kept as Done sales.
    auto store = kiosk::SaleStore::open(QDir(dir.path()).filePath(QStringLiteral("sales.sqlite")));
    auto psam = core::LocalPsam::open(
        QDir(dir.path()).filePath(QStringLiteral("psam.sqlite")), kPsam, core::KeyStore::demoKeys().mpk);
    if (!store || !psam) {
        return fail(QStringLiteral("kiosk files"));
    }
    const QByteArray date = QByteArray::fromHex("20250102");
    const QByteArray time = QByteArray::fromHex("093000");
    auto dpk = core::CardCrypto::diversify(
        core::Algorithm::TripleDes, core::toSecure(kMpk), QByteArray::fromHex(kAsn.toLatin1()))
                   .value();
    QElapsedTimer prep;
    prep.start();
    {
        // Filled in one transaction (the set-up, not the figure; a real kiosk wrote each sale durably when made).
        QSqlDatabase db;
        for (const QString& name : QSqlDatabase::connectionNames()) {
            if (QSqlDatabase::database(name, false).databaseName().endsWith(QLatin1String("sales.sqlite"))) {
                db = QSqlDatabase::database(name, false);
            }
        }
        db.transaction();
        QSqlQuery q(db);
        q.prepare(QStringLiteral(
            "INSERT INTO sales (serial, asn, amount, state, tsn, offline_atc, terminal_id, card_date, card_time, tac,"
            " mac2, algorithm, created_at, day) VALUES ('bench', ?, 1, 'done', ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)"));
        for (int i = 0; i < n; ++i) {
            const std::uint32_t tsn = 1000 + static_cast<std::uint32_t>(i);
            const auto pi = card.initializeForPurchase(1, kPsam);
            auto ses = core::CardCrypto::sessionKey(
                core::Algorithm::TripleDes, dpk, core::CardCrypto::purchaseSeed(pi.random, pi.offlineAtc, tsn))
                           .value();
            QByteArray in;
            core::appendU32(in, 1);
            in.append('\x06');
            in.append(kPsam);
            in.append(date);
            in.append(time);
            auto d = card.debitForPurchase(tsn, date, time, core::CardCrypto::desMac(ses, in).value());
            if (!d) {
                return fail(QStringLiteral("the card refused sale %1").arg(i));
            }
            q.addBindValue(kAsn);
            q.addBindValue(static_cast<qint64>(tsn));
            q.addBindValue(pi.offlineAtc);
            q.addBindValue(QString::fromLatin1(kPsam.toHex().toUpper()));
            q.addBindValue(QStringLiteral("20250102"));
            q.addBindValue(QStringLiteral("093000"));
            q.addBindValue(QString::fromLatin1(d->tac.toHex().toUpper()));
            q.addBindValue(QString::fromLatin1(d->mac2.toHex().toUpper()));
            q.addBindValue(QStringLiteral("2026-12-03T08:00:00Z"));
            q.addBindValue(QStringLiteral("2026-12-03"));
            if (!q.exec()) {
                return fail(QStringLiteral("cannot write sale %1").arg(i));
            }
        }
        if (!db.commit()) {
            return fail(QStringLiteral("cannot commit the sales"));
        }
    }
    std::printf("set-up: %d sales made and written in %lld ms\n", n, static_cast<long long>(prep.elapsed()));

    std::printf("uploading\n");
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const qint64 before = sqlInt(rig, "SELECT count(*) FROM purchases WHERE terminal_id = '223344556677'");
    const double cpu0 = selfCpu();
    const double bank0 = childCpu(QStringLiteral("skey-bank"));
    QElapsedTimer timer;
    timer.start();
    auto first = kiosk::Settlement::upload(**store, kioskBank, **psam, now);
    const qint64 ms = timer.elapsed();
    const double kioskCpu = selfCpu() - cpu0;
    const double bankCpu = childCpu(QStringLiteral("skey-bank")) - bank0;
    if (!first) {
        return fail(QStringLiteral("upload: %1").arg(first.error().detail));
    }
    const qint64 after = sqlInt(rig, "SELECT count(*) FROM purchases WHERE terminal_id = '223344556677'");
    std::printf("FIGURE kiosk settlement upload of %d sales: %lld ms (%d batch(es), %d accepted, %d rejected; the bank"
                " has %lld more purchases)\n",
        n,
        static_cast<long long>(ms),
        first->batches,
        first->accepted,
        first->rejected,
        static_cast<long long>(after - before));
    std::printf("  CPU: the kiosk's side %.2f s, skey-bank %.2f s (the rest of the wall time: PostgreSQL, the token,"
                " and waiting for the shared cores)\n",
        kioskCpu,
        bankCpu);

    // The bank's answer lost: the kiosk sends the same batch again (same id), the bank answers its stored result.
    {
        QSqlDatabase db;
        for (const QString& name : QSqlDatabase::connectionNames()) {
            if (QSqlDatabase::database(name, false).databaseName().endsWith(QLatin1String("sales.sqlite"))) {
                db = QSqlDatabase::database(name, false);
            }
        }
        QSqlQuery q(db);
        q.exec(QStringLiteral("UPDATE batches SET uploaded_at = NULL"));
        q.exec(QStringLiteral("UPDATE sales SET settled = 0"));
    }
    const double cpu1 = selfCpu();
    const double bank1 = childCpu(QStringLiteral("skey-bank"));
    timer.restart();
    auto again = kiosk::Settlement::upload(**store, kioskBank, **psam, now);
    const qint64 replayMs = timer.elapsed();
    const double replayKioskCpu = selfCpu() - cpu1;
    const double replayBankCpu = childCpu(QStringLiteral("skey-bank")) - bank1;
    const qint64 afterReplay = sqlInt(rig, "SELECT count(*) FROM purchases WHERE terminal_id = '223344556677'");
    std::printf("FIGURE the same batch again (answer lost): %lld ms, %d accepted in the stored answer, %lld purchases"
                " posted by it\n",
        static_cast<long long>(replayMs),
        again ? again->accepted : -1,
        static_cast<long long>(afterReplay - after));
    std::printf("  CPU: the kiosk's side %.2f s, skey-bank %.2f s\n", replayKioskCpu, replayBankCpu);
    rig.stopServer();
    return first->accepted == n && afterReplay == after ? 0 : 1;
}
