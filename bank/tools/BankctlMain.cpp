// SPDX-License-Identifier: Apache-2.0
// bankctl: the bank operator's CLI (docs/bank.md). Commands of this slice:
//   bankctl init --data <dir> --db <conninfo> [--test] [--pkcs11-module <path>]
//   bankctl keys init --data <dir>
//   bankctl keys import-test-vectors --data <dir> --vectors <pboc.json>     (test folders only)
//   bankctl cards register --data <dir> --asn <16 hex> --holder <name>      (test folders only: issuance is not built)
//   bankctl accounts deposit --data <dir> --asn <16 hex> --amount <fen> --reference <text>
//   bankctl audit ledger --data <dir>
// Keys and PINs never appear in argv or output; the token PIN is in <dir>/hsm-pin (0600).
#include "bank/BankPaths.h"
#include "bank/Util.h"
#include "bank/db/Migrations.h"
#include "bank/db/PgConnection.h"
#include "bank/ledger/Ledger.h"
#include "bank/server/BankConfig.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <unistd.h>

using namespace wallet;
using namespace wallet::bank;

namespace {

int usage()
{
    std::fprintf(stderr,
        "usage:\n"
        "  bankctl init --data <dir> --db <conninfo> [--test] [--pkcs11-module <path>]\n"
        "  bankctl keys init --data <dir>\n"
        "  bankctl keys import-test-vectors --data <dir> --vectors <pboc.json>   (test folders only)\n"
        "  bankctl cards register --data <dir> --asn <16 hex digits> --holder <name>   (test folders only)\n"
        "  bankctl accounts deposit --data <dir> --asn <16 hex digits> --amount <fen> --reference <text>\n"
        "  bankctl audit ledger --data <dir>\n");
    return 2;
}

int fail(const QString& why)
{
    std::fprintf(stderr, "bankctl: %s\n", why.toLocal8Bit().constData());
    return 1;
}

int fail(const core::Error& e)
{
    return fail(e.detail);
}

/// The one strict amount parser: digits only, 1..4,294,967,295 fen (spec §0: 4 bytes on the key).
std::optional<std::int64_t> parseFen(const std::string& s)
{
    if (s.empty() || s.size() > 10 || s.find_first_not_of("0123456789") != std::string::npos) {
        return std::nullopt;
    }
    const std::int64_t v = std::stoll(s);
    if (v < 1 || v > 4294967295LL) {
        return std::nullopt;
    }
    return v;
}

bool validAsn(const std::string& asn)
{
    static const QRegularExpression re(QStringLiteral("^[0-9A-F]{16}$"));
    return re.match(QString::fromStdString(asn)).hasMatch();
}

Result<std::unique_ptr<PgConnection>> connect(const BankConfig& c)
{
    auto db = PgConnection::connect(c.conninfo);
    if (!db) {
        return db.error();
    }
    if (auto m = Migrations::check(**db); !m) {
        return m.error();
    }
    return std::move(db.value());
}

int init(std::map<std::string, std::string>& opt, bool test)
{
    const QString dir = QString::fromStdString(opt["--data"]);
    if (dir.isEmpty() || opt["--db"].empty()) {
        return usage();
    }
    if (!QDir().mkpath(dir)
        || !QFile::setPermissions(dir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner)) {
        return fail(QStringLiteral("cannot create %1").arg(dir));
    }
    BankConfig c;
    c.dataDir = dir;
    c.conninfo = opt["--db"];
    c.pkcs11Module = opt.count("--pkcs11-module") ? opt["--pkcs11-module"] : std::string(kSoftHsmModule);
    c.test = test;
    if (auto existing = BankConfig::load(dir); existing) {
        c = existing.value(); // a second init only applies missing migrations
    } else if (auto s = c.save(); !s) {
        return fail(s.error());
    }
    // The token: SoftHSM2's store inside this folder, its user PIN in hsm-pin (mode 0600, §8.1).
    if (!QFile::exists(c.path(QStringLiteral("hsm-pin")))) {
        if (c.pkcs11Module == kSoftHsmModule && !writeSoftHsmConfig(dir)) {
            return fail(QStringLiteral("cannot write %1/softhsm2.conf").arg(dir));
        }
        c.exportSoftHsmConfig();
        const QByteArray userPin = randomBytes(16).toHex();
        // The SO PIN is not kept: this token is never administered, only re-created.
        const QByteArray soPin = randomBytes(16).toHex();
        auto hsm = Hsm::load(c.pkcs11Module);
        if (!hsm) {
            return fail(hsm.error());
        }
        if (auto t = (*hsm)->initToken(c.tokenLabel, core::toSecure(soPin), core::toSecure(userPin)); !t) {
            return fail(t.error());
        }
        const QByteArray pinPath = c.path(QStringLiteral("hsm-pin")).toLocal8Bit();
        const int fd = ::open(pinPath.constData(), O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0 || ::write(fd, userPin.constData(), static_cast<std::size_t>(userPin.size())) != userPin.size()) {
            return fail(QStringLiteral("cannot write %1").arg(QString::fromLocal8Bit(pinPath)));
        }
        ::close(fd);
        std::printf("token \"%s\" created; its PIN is in %s/hsm-pin (mode 0600): this protects the keys from other "
                    "users of this machine, not from this user\n",
            c.tokenLabel.c_str(),
            dir.toLocal8Bit().constData());
    }
    auto db = PgConnection::connect(c.conninfo);
    if (!db) {
        return fail(db.error());
    }
    auto version = Migrations::apply(**db);
    if (!version) {
        return fail(version.error());
    }
    {
        PgTransaction tx(**db);
        if (auto a = Ledger::createSystemAccounts(**db); !a) {
            return fail(a.error());
        }
        if (auto cm = tx.commit(); !cm) {
            return fail(cm.error());
        }
    }
    std::printf("schema version %d; clearing and 64 purse-float accounts present%s\n",
        *version,
        c.test ? "; marked as a TEST folder" : "");
    return 0;
}

int keysInit(const BankConfig& c)
{
    auto hsm = c.openHsm();
    if (!hsm) {
        return fail(hsm.error());
    }
    for (const char* label : {"mlk.v1", "mtk.v1", "fingerprint"}) {
        auto has = (*hsm)->hasKey(label);
        if (!has) {
            return fail(has.error());
        }
        if (*has) {
            std::printf("%s: present, kept\n", label);
            continue;
        }
        auto made
            = std::strcmp(label, "fingerprint") == 0 ? (*hsm)->generateHmacKey(label) : (*hsm)->generateDes2(label);
        if (!made) {
            return fail(made.error());
        }
        std::printf("%s: generated in the token (sensitive, not extractable)\n", label);
    }
    return 0;
}

int importTestVectors(const BankConfig& c, const std::string& vectors)
{
    if (!c.test) {
        return fail(QStringLiteral("clear master keys are imported only into test folders (bankctl init --test)"));
    }
    QFile f(QString::fromStdString(vectors));
    if (!f.open(QIODevice::ReadOnly)) {
        return fail(QStringLiteral("cannot read %1").arg(f.fileName()));
    }
    QJsonObject masters;
    for (const auto& v : QJsonDocument::fromJson(f.readAll()).object().value(QStringLiteral("flows")).toArray()) {
        if (v.toObject()
                .value(QStringLiteral("name"))
                .toString()
                .startsWith(QStringLiteral("EP load 10.00 CNY (3DES"))) {
            masters = v.toObject().value(QStringLiteral("issuer_master_keys")).toObject();
        }
    }
    if (masters.isEmpty()) {
        return fail(QStringLiteral("%1 has no 3DES load flow with issuer_master_keys").arg(f.fileName()));
    }
    auto hsm = c.openHsm();
    if (!hsm) {
        return fail(hsm.error());
    }
    const std::pair<const char*, QString> keys[]
        = {{"mlk.v1", QStringLiteral("MLK")}, {"mtk.v1", QStringLiteral("MTK")}};
    for (const auto& [label, name] : keys) {
        auto has = (*hsm)->hasKey(label);
        if (has && *has) {
            return fail(QStringLiteral("the token has %1 already; nothing was changed").arg(QLatin1String(label)));
        }
        if (auto r = (*hsm)->importDes2(label, core::secureFromHex(masters.value(name).toString())); !r) {
            return fail(r.error());
        }
        std::printf("%s: imported from the golden vectors (TEST folder)\n", label);
    }
    if (auto has = (*hsm)->hasKey("fingerprint"); has && !*has) {
        if (auto r = (*hsm)->generateHmacKey("fingerprint"); !r) {
            return fail(r.error());
        }
    }
    return 0;
}

int registerCard(const BankConfig& c, const std::string& asn, const std::string& holder)
{
    if (!c.test) {
        return fail(QStringLiteral("cards are written by issuance, which is not built yet; `cards register` works "
                                   "only in test folders"));
    }
    if (!validAsn(asn) || holder.empty() || holder.size() > 64) {
        return fail(QStringLiteral("--asn needs 16 uppercase hex digits and --holder a name of 1 to 64 bytes"));
    }
    auto db = connect(c);
    if (!db) {
        return fail(db.error());
    }
    PgTransaction tx(**db);
    auto account = Ledger::openAccount(**db, "customer-funding", holder);
    if (!account) {
        return fail(account.error());
    }
    if (auto r = (*db)->exec("INSERT INTO cards (asn, account_id, algorithm, key_version, created_at) VALUES ($1, $2,"
                             " '3des', 1, $3)",
            {asn, *account, std::to_string(nowMicros())});
        !r) {
        return fail((*db)->lastSqlState() == "23505"
                ? QStringLiteral("card %1 exists already; nothing was changed").arg(QString::fromStdString(asn))
                : r.error().detail);
    }
    if (auto cm = tx.commit(); !cm) {
        return fail(cm.error());
    }
    std::printf("card %s registered (3des, key version 1), funding account %s\n", asn.c_str(), account->c_str());
    return 0;
}

int deposit(const BankConfig& c, const std::string& asn, const std::string& amountText, const std::string& reference)
{
    const auto amount = parseFen(amountText);
    if (!validAsn(asn) || !amount || reference.empty() || reference.size() > 64) {
        return fail(QStringLiteral("--asn needs 16 uppercase hex digits, --amount whole fen 1..4294967295, "
                                   "--reference 1 to 64 bytes"));
    }
    auto db = connect(c);
    if (!db) {
        return fail(db.error());
    }
    PgTransaction tx(**db);
    auto card = (*db)->exec("SELECT account_id FROM cards WHERE asn = $1", {asn});
    if (!card || card->rows() != 1) {
        return fail(QStringLiteral("no card %1").arg(QString::fromStdString(asn)));
    }
    auto clearing = Ledger::clearingAccount(**db);
    if (!clearing) {
        return fail(clearing.error());
    }
    TransferSpec t;
    t.kind = "deposit";
    t.debitAccount = *clearing;
    t.creditAccount = card->text(0, 0);
    t.amount = *amount;
    t.naturalKey = "deposit:" + reference; // a counter receipt is posted once
    auto transfer = Ledger::transfer(**db, t);
    if (!transfer) {
        return fail(transfer.error());
    }
    if (auto cm = tx.commit(); !cm) {
        return fail(cm.error());
    }
    std::printf("deposited %lld fen to the funding account of %s (transfer %s)\n",
        static_cast<long long>(*amount),
        asn.c_str(),
        transfer->c_str());
    return 0;
}

int auditLedger(const BankConfig& c)
{
    auto db = connect(c);
    if (!db) {
        return fail(db.error());
    }
    auto v = Ledger::audit(**db);
    if (!v) {
        return fail(v.error());
    }
    for (const auto& line : *v) {
        std::printf("VIOLATED %s\n", line.c_str());
    }
    std::printf("%s\n", v->empty() ? "ledger invariants hold" : "ledger invariants VIOLATED");
    return v->empty() ? 0 : 1;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2) {
        return usage();
    }
    if (!std::strcmp(argv[1], "--version")) {
        std::printf("bankctl %s\n", WALLET_VERSION);
        return 0;
    }
    std::vector<std::string> words;
    std::map<std::string, std::string> opt;
    bool test = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--test") {
            test = true;
        } else if (a.rfind("--", 0) == 0 && i + 1 < argc) {
            opt[a] = argv[++i];
        } else if (a.rfind("--", 0) == 0) {
            return usage();
        } else {
            words.push_back(a);
        }
    }
    const std::string cmd = words.empty() ? "" : words[0] + (words.size() > 1 ? " " + words[1] : "");
    if (cmd == "init") {
        return init(opt, test);
    }
    if (opt["--data"].empty()) {
        return usage();
    }
    auto config = BankConfig::load(QString::fromStdString(opt["--data"]));
    if (!config) {
        return fail(config.error());
    }
    if (cmd == "keys init") {
        return keysInit(*config);
    }
    if (cmd == "keys import-test-vectors") {
        return importTestVectors(*config, opt["--vectors"]);
    }
    if (cmd == "cards register") {
        return registerCard(*config, opt["--asn"], opt["--holder"]);
    }
    if (cmd == "accounts deposit") {
        return deposit(*config, opt["--asn"], opt["--amount"], opt["--reference"]);
    }
    if (cmd == "audit ledger") {
        return auditLedger(*config);
    }
    return usage();
}
