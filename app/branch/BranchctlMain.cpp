// SPDX-License-Identifier: Apache-2.0
// branchctl batch issue (issue 13, docs/branch.md "Batch issuance"): N blank keys from a CSV of customers, issued
// through the bank host's API exactly as smartkey-branch does (a `branch` certificate and a staff session), with a
// progress bar. Resumable without issuing anyone twice, because each key's state is held by the bank host: row i
// is always key i, and the bank answers a key's open job again (200: resumed, restarted at step 1, or only reported
// when the key already finished all steps) and refuses a key it issued (409 device-already-issued: skipped). Every
// job carries the batch id (the CSV's SHA-256 as a UUID).
#include "core/bank/HttpsBankClient.h"
#include "core/issuance/BranchStation.h"
#include "device/EmbeddedSimulator.h"
#include "device/HidApduChannel.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTextStream>
#include <QUuid>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace wallet;

namespace {

int batchFail(const QString& why)
{
    std::fprintf(stderr, "bankctl: %s\n", why.toLocal8Bit().constData());
    return 1;
}

struct Row
{
    core::StationCustomer customer;
};

/// name,idType,idNumber,phone (a header line starting with "name" is skipped).
std::optional<std::vector<Row>> readCsv(const QString& path, QString* why)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly | QIODevice::Text)) {
        *why = QStringLiteral("cannot read %1").arg(path);
        return std::nullopt;
    }
    std::vector<Row> rows;
    int line = 0;
    QTextStream in(&f);
    while (!in.atEnd()) {
        const QString l = in.readLine().trimmed();
        ++line;
        if (l.isEmpty() || (line == 1 && l.startsWith(QLatin1String("name")))) {
            continue;
        }
        const QStringList c = l.split(QLatin1Char(','));
        if (c.size() != 4) {
            *why = QStringLiteral("%1 line %2: expected name,idType,idNumber,phone").arg(path).arg(line);
            return std::nullopt;
        }
        Row r;
        r.customer = core::StationCustomer{c[0].trimmed(), c[1].trimmed().toInt(), c[2].trimmed(), c[3].trimmed()};
        const QString p = core::CustomerCheck::nameProblem(r.customer.name)
            + core::CustomerCheck::idProblem(r.customer.idType, r.customer.idNumber)
            + core::CustomerCheck::phoneProblem(r.customer.phone);
        if (!p.isEmpty()) {
            *why = QStringLiteral("%1 line %2: %3").arg(path).arg(line).arg(p);
            return std::nullopt;
        }
        rows.push_back(r);
    }
    return rows;
}

void progressBar(int done, int total, const QString& what)
{
    const int width = 30;
    const int filled = total > 0 ? done * width / total : width;
    std::printf("[%s%s] %d/%d %s\n",
        std::string(static_cast<size_t>(filled), '#').c_str(),
        std::string(static_cast<size_t>(width - filled), '-').c_str(),
        done,
        total,
        what.toLocal8Bit().constData());
    std::fflush(stdout);
}

} // namespace

/**
 * branchctl batch issue --csv <customers.csv> --bank-config <branch bank-client.json> --username <u>
 *   --pin-mailer <file> --simulated-keys <first serial, 16 hex> --keys-dir <dir> [--profile-max <fen>]
 * The staff password comes on stdin.
 */
int main(int argc, char** argv)
{
    if (argc == 2 && (std::string(argv[1]) == "--version" || std::string(argv[1]) == "-v")) {
        std::printf("branchctl %s\n", SKEY_VERSION); // one version everywhere (docs/packaging.md)
        return 0;
    }
    int qargc = 1;
    QCoreApplication app(qargc, argv);
    std::map<std::string, std::string> opt;
    std::vector<std::string> words;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a.rfind("--", 0) == 0 && i + 1 < argc) {
            opt[a] = argv[++i];
        } else {
            words.push_back(a);
        }
    }
    if (words != std::vector<std::string>{"batch", "issue"}) {
        std::fprintf(stderr,
            "usage: branchctl batch issue --csv <customers.csv> --bank-config <branch bank-client.json> --username <u>"
            " --pin-mailer <file> --simulated-keys <first serial> --keys-dir <dir> [--profile-max <fen>]"
            "   (password on stdin)\n");
        return 2;
    }
    const QString csvPath = QString::fromStdString(opt["--csv"]);
    const QString serialBase = QString::fromStdString(opt["--simulated-keys"]);
    const QString keysDir = QString::fromStdString(opt["--keys-dir"]);
    const QString mailerPath = QString::fromStdString(opt["--pin-mailer"]);
    if (csvPath.isEmpty() || opt["--bank-config"].empty() || opt["--username"].empty() || mailerPath.isEmpty()
        || serialBase.size() != 16 || keysDir.isEmpty()) {
        return batchFail(QStringLiteral("batch issue needs --csv, --bank-config, --username, --pin-mailer, "
                                        "--simulated-keys <first serial> and --keys-dir (USB keys: not yet)"));
    }
    QTextStream in(stdin);
    QString password = in.readLine();
    QString why;
    const auto rows = readCsv(csvPath, &why);
    if (!rows) {
        return batchFail(why);
    }
    QFile csv(csvPath);
    (void)csv.open(QIODevice::ReadOnly);
    // The batch id: the CSV's SHA-256 as a UUID, so the same file resumes the same batch.
    QByteArray h = QCryptographicHash::hash(csv.readAll(), QCryptographicHash::Sha256).left(16);
    h[6] = static_cast<char>((h[6] & 0x0F) | 0x50);
    h[8] = static_cast<char>((h[8] & 0x3F) | 0x80);
    const QString batchId = QUuid::fromRfc4122(h).toString(QUuid::WithoutBraces);
    auto bankConfig = core::BankClientConfig::load(QString::fromStdString(opt["--bank-config"]));
    if (!bankConfig) {
        return batchFail(bankConfig.error().detail);
    }
    core::HttpsBankClient bank(*bankConfig);
    // Sign in (the password from stdin goes only into the request body).
    struct NoKey final : core::ApduChannel
    {
        core::Result<core::ResponseApdu> transmit(const core::CommandApdu&) override
        {
            return core::makeError(core::ErrorCode::NoDevice, QStringLiteral("no key"));
        }
        [[nodiscard]] QString description() const override { return QStringLiteral("no key"); }
    } noKey;
    {
        core::BranchStation signIn(bank, noKey);
        auto s = signIn.call("POST",
            QStringLiteral("/v1/staff/sessions"),
            QJsonObject{{QStringLiteral("username"), QString::fromStdString(opt["--username"])},
                {QStringLiteral("password"), password}});
        password.fill(QLatin1Char('\0'));
        if (!s) {
            return batchFail(s.error().detail);
        }
        bank.setStaffSession(s->value(QStringLiteral("token")).toString().toLatin1());
    }
    const int fd = ::open(mailerPath.toLocal8Bit().constData(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd < 0) {
        return batchFail(QStringLiteral("cannot open the PIN mailer file %1").arg(mailerPath));
    }
    ::fchmod(fd, 0600);
    const int total = static_cast<int>(rows->size());
    std::printf("batch %s: %d customers\n", batchId.toLatin1().constData(), total);
    int issued = 0;
    int skipped = 0;
    std::vector<qint64> times;
    QElapsedTimer all;
    all.start();
    bool ok = true;
    const quint64 base = serialBase.toULongLong(nullptr, 16);
    for (int i = 0; i < total; ++i) {
        const core::StationCustomer& c = (*rows)[static_cast<size_t>(i)].customer;
        QElapsedTimer t;
        t.start();
        const QString serial
            = QStringLiteral("%1").arg(base + static_cast<quint64>(i), 16, 16, QLatin1Char('0')).toUpper();
        device::SimulatorOptions so;
        so.dataDirectory = QDir(keysDir).filePath(serial);
        QDir().mkpath(so.dataDirectory);
        so.serialHex = serial;
        so.transportKeyHex.clear(); // derived from the development manufacturer key and the serial
        device::EmbeddedSimulator sim(so);
        if (auto s = sim.start(); !s) {
            ok = false;
            std::fprintf(stderr,
                "bankctl: key %s: %s\n",
                serial.toLatin1().constData(),
                s.error().detail.toLocal8Bit().constData());
            break;
        }
        auto channel = sim.makeChannel();
        core::BranchStation station(bank, *channel);
        auto key = station.readKey();
        if (!key) {
            ok = false;
            std::fprintf(stderr,
                "bankctl: key %s: %s\n",
                serial.toLatin1().constData(),
                key.error().detail.toLocal8Bit().constData());
            break;
        }
        core::StationProfile profile;
        profile.maxBalance = opt["--profile-max"].empty() ? 100000 : std::stoll(opt["--profile-max"]);
        auto job = station.createJob(serial, c, profile, batchId);
        if (!job && job.error().detail.contains(QLatin1String("device-already-issued"))) {
            ++skipped; // issued by an earlier run: the bank says so, nothing is written
            progressBar(i + 1, total, QStringLiteral("already issued: key %1").arg(serial));
            continue;
        }
        if (!job) {
            ok = false;
            std::fprintf(stderr, "bankctl: row %d: %s\n", i + 1, job.error().detail.toLocal8Bit().constData());
            break;
        }
        const QString jobId = job->value(QStringLiteral("jobId")).toString();
        const QString asn = job->value(QStringLiteral("asn")).toString();
        core::Result<QJsonObject> done = QJsonObject();
        if (!key->blank()) {
            done = station.completeJob(jobId); // the key finished before the last run stopped: report it
        } else {
            // The initial PIN for the sealed PIN mailer: written (and synced) before the key gets it.
            core::SecureBytes pin(6);
            for (auto& d : pin) {
                d = static_cast<std::uint8_t>('0' + QRandomGenerator::system()->bounded(10));
            }
            QByteArray line = asn.toLatin1() + ',' + jobId.toLatin1() + ','
                + QByteArray(reinterpret_cast<const char*>(pin.data()), 6) + '\n';
            const bool written = ::write(fd, line.constData(), static_cast<size_t>(line.size())) == line.size();
            line.fill('\0');
            if (!written || ::fsync(fd) != 0) {
                ok = false;
                std::fprintf(stderr, "bankctl: cannot write the PIN mailer\n");
                break;
            }
            done = station.personalise(jobId, pin);
        }
        if (!done) {
            ok = false;
            std::fprintf(stderr,
                "bankctl: row %d (key %s): %s\n",
                i + 1,
                serial.toLatin1().constData(),
                done.error().detail.toLocal8Bit().constData());
            break;
        }
        times.push_back(t.elapsed());
        ++issued;
        progressBar(i + 1, total, QStringLiteral("issued: key %1 ASN %2 (%3 ms)").arg(serial, asn).arg(t.elapsed()));
    }
    ::close(fd);
    std::sort(times.begin(), times.end());
    const qint64 median = times.empty() ? 0 : times[times.size() / 2];
    std::printf("figure: batch %s: %d issued now, %d already issued, %lld ms in all, median %lld ms per key\n",
        batchId.toLatin1().constData(),
        issued,
        skipped,
        static_cast<long long>(all.elapsed()),
        static_cast<long long>(median));
    return ok ? 0 : 1;
}
