// SPDX-License-Identifier: Apache-2.0
// bankctl: the bank operator's CLI (docs/bank.md). Commands of this slice:
//   bankctl init --data <dir> [--db sqlite:<file> | --db <PostgreSQL conninfo>] [--test | --local-demo]
//                [--pkcs11-module <path>]   (default sqlite:ledger.sqlite, inside <dir>; --local-demo: the wallet's
//                own demo bank: its wallet may issue its simulated key without staff, docs/bank.md §12)
//   bankctl keys init --data <dir>
//   bankctl keys import-test-vectors --data <dir> --vectors <pboc.json>     (test folders only)
//   bankctl cards register --data <dir> --asn <16 hex> --holder <name>      (test folders only: issuance is not built)
//   bankctl accounts deposit --data <dir> --asn <16 hex> --amount <fen> --reference <text>
//   bankctl audit ledger --data <dir>
//   bankctl merchants add --data <dir> --name <name> --credential <12 digits> --terminal <12 digits> [--first-tsn <n>]
//   bankctl merchants add-psam --data <dir> --merchant <name> --terminal <12 digits> --kiosk <12 digits>
//   bankctl merchants list --data <dir> [--json]
//   bankctl merchants policy --data <dir> --credential <12 digits> --cardholder-signature <required|optional>
//   bankctl certificates list --data <dir> [--asn <16 hex>] [--json]
//   bankctl certificates revoke --data <dir> --serial <32 hex> [--reason <RFC 5280 reason>]
//   bankctl orders certify --data <dir> [--ca-key <pem> [--ca-cert <pem>]] [--days <n>]
//   bankctl keys terminal-ca [import] --data <dir>  (where the terminal CA's key is; import: a tls/ca.key file into the
//                                                    token, the file wiped)
//   bankctl reports settlement --data <dir> [--json]
//   bankctl reports receivables --data <dir> [--json]   (closed cards' late purchases the funding account did not
//   cover) bankctl keys list --data <dir> [--json] bankctl keys manufacturer --data <dir> --components <2|3>   (key
//   ceremony: components on stdin, one a line) bankctl keys manufacturer --data <dir> --development        (the
//   simulator's development manufacturer key and
//                                                                 its serial lot 534B000000000000..534B0000FFFFFFFF)
//   bankctl devices add-lot --data <dir> --manufacturer <name> --first <serial> --last <serial>
//   bankctl staff add --data <dir> --username <u> --role <teller|supervisor|auditor> [--name <display name>]
//                                                               (password on stdin, never in argv)
//   bankctl staff list --data <dir> [--json]
//   bankctl issuance list --data <dir> [--state <s>] [--json]
//   bankctl issuance void --data <dir> --job <uuid>             (a job that never completed frees its serial)
//   bankctl audit verify --data <dir> [--json]
//   bankctl audit export --data <dir> --out <file.csv>
//   bankctl terminal enrol-code <terminal-id> --data <dir> --role <kind> [--label <text>] [--hours <n>] [--json]
//   bankctl terminal revoke <terminal-id> --data <dir>
//   bankctl terminal list --data <dir> [--json]
//   bankctl terminal require-enrolment on|off --data <dir>
//   bankctl terminal issue <terminal-id> --data <dir> --role <kind> --csr <pem> --out <pem> [--not-after <RFC 3339>]
//                                                               (test folders only: e.g. an expired certificate)
// Keys and PINs never appear in argv or output; the token PIN is in <dir>/hsm-pin (0600).
#include "bank/BankPaths.h"
#include "bank/Util.h"
#include "bank/acquirer/OrderSigning.h"
#include "bank/ca/CardholderCa.h"
#include "bank/ca/TerminalCa.h"
#include "bank/db/Migrations.h"
#include "bank/db/PgConnection.h"
#include "bank/db/SqliteDb.h"
#include "bank/issuance/Issuance.h"
#include "bank/issuance/Staff.h"
#include "bank/ledger/Ledger.h"
#include "bank/server/BankConfig.h"
#include "bank/server/Terminals.h"
#include "core/crypto/X509Der.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTextStream>

#include "core/crypto/CardCrypto.h"

#include <algorithm>
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
        "  bankctl init --data <dir> [--db sqlite:<file> | --db <PostgreSQL conninfo>] [--test | --local-demo]"
        " [--pkcs11-module <path>]\n"
        "      (default --db sqlite:ledger.sqlite, a file in <dir>; --local-demo: a wallet's own demo bank)\n"
        "  bankctl keys init --data <dir>\n"
        "  bankctl keys import-test-vectors --data <dir> --vectors <pboc.json>   (test folders only)\n"
        "  bankctl cards register --data <dir> --asn <16 hex digits> --holder <name>   (test folders only)\n"
        "  bankctl accounts deposit --data <dir> --asn <16 hex digits> --amount <fen> --reference <text>\n"
        "  bankctl audit ledger --data <dir>\n"
        "  bankctl merchants add --data <dir> --name <name> --credential <12 digits> --terminal <12 digits>"
        " [--first-tsn <n>] [--json]\n"
        "  bankctl merchants add-psam --data <dir> --merchant <name> --terminal <12 digits> --kiosk <12 digits>"
        " [--json]\n"
        "  bankctl merchants list --data <dir> [--json]\n"
        "  bankctl merchants policy --data <dir> --credential <12 digits> --cardholder-signature <required|optional>\n"
        "  bankctl certificates list --data <dir> [--asn <16 hex digits>] [--json]\n"
        "  bankctl certificates revoke --data <dir> --serial <32 hex digits> [--reason <keyCompromise|superseded|"
        "affiliationChanged|cessationOfOperation|unspecified>]\n"
        "  bankctl orders certify --data <dir> [--ca-key <pem> [--ca-cert <pem>]] [--days <n>]\n"
        "  bankctl keys terminal-ca [import] --data <dir>\n"
        "  bankctl reports settlement --data <dir> [--json]\n"
        "  bankctl reports receivables --data <dir> [--json]\n"
        "  bankctl keys list --data <dir> [--json]\n"
        "  bankctl keys manufacturer --data <dir> (--components <2|3> | --development)\n"
        "  bankctl devices add-lot --data <dir> --manufacturer <name> --first <serial> --last <serial>\n"
        "  bankctl staff add --data <dir> --username <u> --role <teller|supervisor|auditor> [--name <n>]  (password on "
        "stdin)\n"
        "  bankctl staff list --data <dir> [--json]\n"
        "  bankctl issuance list --data <dir> [--state <state>] [--json]\n"
        "  bankctl issuance void --data <dir> --job <uuid>\n"
        "  bankctl audit verify --data <dir> [--json]\n"
        "  bankctl audit export --data <dir> --out <file.csv>\n"
        "  bankctl terminal enrol-code <terminal-id> --data <dir> --role <wallet|kiosk|branch|merchant|monitor>"
        " [--label <text>] [--hours <1..168>] [--json]\n"
        "  bankctl terminal revoke <terminal-id> --data <dir>\n"
        "  bankctl terminal list --data <dir> [--json]\n"
        "  bankctl terminal require-enrolment on|off --data <dir>\n"
        "  bankctl terminal issue <terminal-id> --data <dir> --role <kind> --csr <pem> --out <pem>"
        " [--not-after <RFC 3339>]   (test folders only)\n");
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

int init(std::map<std::string, std::string>& opt, bool test, bool localDemo)
{
    const QString dir = QString::fromStdString(opt["--data"]);
    if (dir.isEmpty()) {
        return usage();
    }
    if (test && localDemo) {
        return fail(QStringLiteral("--test and --local-demo exclude each other: a local demo bank holds no public test "
                                   "keys; nothing was created"));
    }
    if (!QDir().mkpath(dir)
        || !QFile::setPermissions(dir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner)) {
        return fail(QStringLiteral("cannot create %1").arg(dir));
    }
    BankConfig c;
    c.dataDir = dir;
    c.setDatabase(opt["--db"].empty() ? std::string("sqlite:ledger.sqlite") : opt["--db"]);
    c.pkcs11Module = opt.count("--pkcs11-module") ? opt["--pkcs11-module"] : std::string(kSoftHsmModule);
    c.test = test;
    c.localDemo = localDemo;
    c.enrolledTerminalsOnly = !test; // §3: a deployment accepts enrolled terminals only
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
    // The SQLite file is created here and nowhere else (the server and the other commands refuse a missing one).
    auto db = Db::isSqlite(c.conninfo) ? SqliteDb::open(Db::sqlitePath(c.conninfo), true) : Db::connect(c.conninfo);
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
    // §5: the bank's own CA for terminals and the server certificate, where absent. Only paths and the CA's
    // fingerprint are printed, never a key.
    auto caHsm = c.openHsm();
    if (!caHsm) {
        return fail(caHsm.error());
    }
    auto files = TerminalCa::ensureFiles(dir, **caHsm);
    if (!files) {
        return fail(files.error());
    }
    if (files->caCreated) {
        std::printf("terminal CA created: %s/tls/ca.pem; its key \"%s\" is an EC P-256 key pair generated in the "
                    "token (private key sensitive, not extractable; certificates are signed in the token)\n",
            dir.toLocal8Bit().constData(),
            TerminalCa::kKeyLabel);
    } else if (QFile::exists(c.path(QString::fromLatin1(TerminalCa::kCaKey)))) {
        std::printf("note: the terminal CA's key is the file %s/%s; `bankctl keys terminal-ca import --data %s` moves "
                    "it into the token\n",
            dir.toLocal8Bit().constData(),
            TerminalCa::kCaKey,
            dir.toLocal8Bit().constData());
    }
    if (files->serverCreated) {
        std::printf("server certificate created for localhost, 127.0.0.1 and ::1: %s/tls/server.pem, key "
                    "server.key (mode 0600)\n",
            dir.toLocal8Bit().constData());
    }
    if (!files->note.isEmpty()) {
        std::printf("%s\n", files->note.toLocal8Bit().constData());
    }
    if (!files->caFingerprint.isEmpty()) {
        std::printf("terminal CA SHA-256 fingerprint: %s\n", files->caFingerprint.toLatin1().constData());
    }
    std::printf("schema version %d; clearing and 64 purse-float accounts present%s\n",
        *version,
        c.test ? "; marked as a TEST folder" : (c.localDemo ? "; marked as a LOCAL DEMO bank" : ""));
    return 0;
}

/// The EC P-256 key that signs payment orders (§8.2), generated once.
int orderSigningKey(Hsm& hsm)
{
    auto has = hsm.hasEcKey(OrderSigning::kKeyLabel);
    if (!has) {
        return fail(has.error());
    }
    if (*has) {
        std::printf("%s: present, kept\n", OrderSigning::kKeyLabel);
        return 0;
    }
    if (auto made = hsm.generateEcP256(OrderSigning::kKeyLabel); !made) {
        return fail(made.error());
    }
    std::printf("%s: EC P-256 key pair generated in the token (private key sensitive, not extractable); certify it "
                "with `bankctl orders certify`\n",
        OrderSigning::kKeyLabel);
    return 0;
}

/// The cardholder CA (docs/bank.md §13): an EC P-256 key in the token and its self-signed certificate in
/// <data>/tls/cardholder-ca.pem, both made once.
int cardholderCa(const BankConfig& c, Hsm& hsm)
{
    auto has = hsm.hasEcKey(CardholderCa::kKeyLabel);
    if (!has) {
        return fail(has.error());
    }
    if (!*has) {
        if (auto made = hsm.generateEcP256(CardholderCa::kKeyLabel); !made) {
            return fail(made.error());
        }
        std::printf("%s: EC P-256 key pair generated in the token (private key sensitive, not extractable)\n",
            CardholderCa::kKeyLabel);
    } else {
        std::printf("%s: present, kept\n", CardholderCa::kKeyLabel);
    }
    const QString path = c.path(QString::fromLatin1(CardholderCa::kCertificateFile));
    if (QFile::exists(path)) {
        std::printf("%s: present, kept\n", qPrintable(path));
        return 0;
    }
    auto der = CardholderCa::selfCertify(hsm, 10 * 365);
    if (!der) {
        return fail(der.error());
    }
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(core::x509::toPem(*der, "CERTIFICATE")) < 0) {
        return fail(core::makeError(core::ErrorCode::StorageError, QStringLiteral("cannot write %1").arg(path)));
    }
    std::printf(
        "cardholder CA certificate written to %s (self-signed by the token's key, 10 years)\n", qPrintable(path));
    return 0;
}

int keysInit(const BankConfig& c)
{
    auto hsm = c.openHsm();
    if (!hsm) {
        return fail(hsm.error());
    }
    // Every issuer master (docs/bank.md §8.2); the manufacturer's transport-key master `mkt.v1` comes from the
    // manufacturer (`bankctl keys manufacturer`), never generated here.
    for (const char* label :
        {"mlk.v1", "mtk.v1", "mpk.v1", "mamk.v1", "mpuk.v1", "mrpk.v1", "miak.v1", "meak.v1", "fingerprint"}) {
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
    if (const int rc = orderSigningKey(**hsm); rc != 0) {
        return rc;
    }
    return cardholderCa(c, **hsm);
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
        = {{"mlk.v1", QStringLiteral("MLK")}, {"mtk.v1", QStringLiteral("MTK")}, {"mpk.v1", QStringLiteral("MPK")}};
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
    if (const int rc = orderSigningKey(**hsm); rc != 0) {
        return rc;
    }
    return cardholderCa(c, **hsm);
}

int registerCard(const BankConfig& c, const std::string& asn, const std::string& holder)
{
    if (!c.test) {
        return fail(QStringLiteral("cards are written by issuance (the issuance API: a branch, or a local demo "
                                   "bank's self-service demo issuance); `cards register` works only in test folders"));
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

bool validTerminal(const std::string& t)
{
    static const QRegularExpression re(QStringLiteral("^[0-9]{12}$"));
    return re.match(QString::fromStdString(t)).hasMatch();
}

void printJson(const QJsonValue& v)
{
    const QByteArray out = v.isArray() ? QJsonDocument(v.toArray()).toJson(QJsonDocument::Indented)
                                       : QJsonDocument(v.toObject()).toJson(QJsonDocument::Indented);
    std::fwrite(out.constData(), 1, static_cast<std::size_t>(out.size()), stdout);
}

/// A merchant (§1 acquirer): its payable account, its credential (the CN of its `merchant` client certificate) and
/// its online terminal ID, whose TSN sequence the bank keeps as the PSAM of online purchases.
int merchantsAdd(std::map<std::string, std::string>& opt, const BankConfig& c, bool json)
{
    const std::string name = opt["--name"];
    const std::string credential = opt["--credential"];
    const std::string terminal = opt["--terminal"];
    const std::string firstTsn = opt.count("--first-tsn") ? opt["--first-tsn"] : std::string("1");
    if (name.empty() || name.size() > 64 || !validTerminal(credential) || !validTerminal(terminal)
        || firstTsn.size() > 10 || firstTsn.find_first_not_of("0123456789") != std::string::npos
        || std::stoll(firstTsn) > 4294967295LL) {
        return fail(QStringLiteral("--name 1 to 64 bytes, --credential and --terminal 12 digits, --first-tsn "
                                   "0..4294967295"));
    }
    auto db = connect(c);
    if (!db) {
        return fail(db.error());
    }
    PgTransaction tx(**db);
    auto account = Ledger::openAccount(**db, "merchant-payable", name);
    if (!account) {
        return fail(account.error());
    }
    const std::string id = uuidV7();
    const std::string now = std::to_string(nowMicros());
    auto m = (*db)->exec("INSERT INTO merchants (id, name, credential, account_id, created_at) VALUES ($1, $2, $3, $4,"
                         " $5)",
        {id, name, credential, *account, now});
    auto t = m ? (*db)->exec("INSERT INTO acquirer_terminals (terminal_id, kind, merchant_id, next_tsn, created_at)"
                             " VALUES ($1, 'online', $2, $3, $4)",
                 {terminal, id, firstTsn, now})
               : Result<PgResult>(m.error());
    if (!m || !t) {
        return fail((*db)->lastSqlState() == "23505"
                ? QStringLiteral("that credential or terminal ID is registered already; nothing was changed")
                : (!m ? m.error() : t.error()).detail);
    }
    if (auto cm = tx.commit(); !cm) {
        return fail(cm.error());
    }
    if (json) {
        printJson(QJsonObject{{QStringLiteral("merchantId"), QString::fromStdString(id)},
            {QStringLiteral("name"), QString::fromStdString(name)},
            {QStringLiteral("credential"), QString::fromStdString(credential)},
            {QStringLiteral("terminalId"), QString::fromStdString(terminal)},
            {QStringLiteral("accountId"), QString::fromStdString(*account)}});
    } else {
        std::printf("merchant %s (%s): credential %s, online terminal %s, payable account %s\n",
            name.c_str(),
            id.c_str(),
            credential.c_str(),
            terminal.c_str(),
            account->c_str());
    }
    return 0;
}

/// A kiosk's PSAM terminal ID, registered to the merchant it sells for and to the kiosk (certificate CN) that may
/// upload its settlement batches.
int merchantsAddPsam(std::map<std::string, std::string>& opt, const BankConfig& c, bool json)
{
    const std::string terminal = opt["--terminal"];
    const std::string kiosk = opt["--kiosk"];
    if (opt["--merchant"].empty() || !validTerminal(terminal) || !validTerminal(kiosk)) {
        return fail(QStringLiteral("--merchant <name>, --terminal and --kiosk 12 digits"));
    }
    auto db = connect(c);
    if (!db) {
        return fail(db.error());
    }
    auto m = (*db)->exec("SELECT id FROM merchants WHERE name = $1 OR id::text = $1", {opt["--merchant"]});
    if (!m || m->rows() != 1) {
        return fail(QStringLiteral("no merchant %1").arg(QString::fromStdString(opt["--merchant"])));
    }
    auto t = (*db)->exec("INSERT INTO acquirer_terminals (terminal_id, kind, merchant_id, kiosk, created_at) VALUES"
                         " ($1, 'psam', $2, $3, $4)",
        {terminal, m->text(0, 0), kiosk, std::to_string(nowMicros())});
    if (!t) {
        return fail((*db)->lastSqlState() == "23505"
                ? QStringLiteral("terminal %1 is registered already; nothing was changed")
                      .arg(QString::fromStdString(terminal))
                : t.error().detail);
    }
    if (json) {
        printJson(QJsonObject{{QStringLiteral("terminalId"), QString::fromStdString(terminal)},
            {QStringLiteral("merchantId"), QString::fromStdString(m->text(0, 0))},
            {QStringLiteral("kiosk"), QString::fromStdString(kiosk)}});
    } else {
        std::printf("PSAM terminal %s sells for merchant %s; kiosk %s uploads its batches\n",
            terminal.c_str(),
            m->text(0, 0).c_str(),
            kiosk.c_str());
    }
    return 0;
}

int merchantsList(const BankConfig& c, bool json)
{
    auto db = connect(c);
    if (!db) {
        return fail(db.error());
    }
    // SQLite before 3.44 has no ORDER BY inside an aggregate: its group_concat reads an ordered subquery in order.
    auto r = (*db)->exec((*db)->sqlite()
            ? "SELECT m.id, m.name, m.credential, a.balance, (SELECT group_concat(x, ',') FROM (SELECT t.terminal_id"
              " || ':' || t.kind AS x FROM acquirer_terminals t WHERE t.merchant_id = m.id ORDER BY t.terminal_id))"
              " FROM merchants m JOIN accounts a ON a.id = m.account_id ORDER BY m.name"
            : "SELECT m.id, m.name, m.credential, a.balance, (SELECT string_agg(t.terminal_id || ':' ||"
              " t.kind, ',' ORDER BY t.terminal_id) FROM acquirer_terminals t WHERE t.merchant_id = m.id)"
              " FROM merchants m JOIN accounts a ON a.id = m.account_id ORDER BY m.name");
    if (!r) {
        return fail(r.error());
    }
    QJsonArray all;
    for (int i = 0; i < r->rows(); ++i) {
        if (json) {
            all.append(QJsonObject{{QStringLiteral("merchantId"), QString::fromStdString(r->text(i, 0))},
                {QStringLiteral("name"), QString::fromStdString(r->text(i, 1))},
                {QStringLiteral("credential"), QString::fromStdString(r->text(i, 2))},
                {QStringLiteral("payableBalance"), r->integer(i, 3)},
                {QStringLiteral("terminals"), QString::fromStdString(r->text(i, 4))}});
        } else {
            std::printf("%s  %-24s credential %s  payable %lld fen  terminals %s\n",
                r->text(i, 0).c_str(),
                r->text(i, 1).c_str(),
                r->text(i, 2).c_str(),
                r->integer(i, 3),
                r->text(i, 4).c_str());
        }
    }
    if (json) {
        printJson(all);
    }
    return 0;
}

int ordersCertify(std::map<std::string, std::string>& opt, const BankConfig& c)
{
    const QString caCert
        = opt.count("--ca-cert") ? QString::fromStdString(opt["--ca-cert"]) : c.path(QStringLiteral("tls/ca.pem"));
    const int days = opt.count("--days") ? std::atoi(opt["--days"].c_str()) : 365;
    if (days < 1 || days > 3650) {
        return fail(QStringLiteral("--days 1..3650"));
    }
    auto hsm = c.openHsm();
    if (!hsm) {
        return fail(hsm.error());
    }
    // The bank's terminal CA (its key in the token, or tls/ca.key in a folder not migrated), or with --ca-key an
    // operator's own CA key file and --ca-cert its certificate.
    auto ca = opt["--ca-key"].empty() ? TerminalCa::load(c.dataDir, hsm->get())
                                      : TerminalCa::loadFiles(caCert, QString::fromStdString(opt["--ca-key"]));
    if (!ca) {
        return fail(ca.error());
    }
    auto pem = OrderSigning::certify(**hsm, **ca, days);
    if (!pem) {
        return fail(pem.error());
    }
    QDir().mkpath(c.path(QStringLiteral("tls")));
    QFile f(c.path(QString::fromLatin1(OrderSigning::kCertificateFile)));
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(*pem) != pem->size()) {
        return fail(QStringLiteral("cannot write %1").arg(f.fileName()));
    }
    std::printf("order-signing certificate written to %s (valid %d days); restart skey-bank to use it\n",
        f.fileName().toLocal8Bit().constData(),
        days);
    return 0;
}

/// `bankctl keys terminal-ca [import]` (docs/bank.md §5): where the terminal CA's key is and how it is protected;
/// `import` moves a key file tls/ca.key into the token (sensitive, not extractable) and wipes the file.
int keysTerminalCa(const BankConfig& c, bool import)
{
    auto hsm = c.openHsm();
    if (!hsm) {
        return fail(hsm.error());
    }
    if (import) {
        if (auto r = TerminalCa::importKeyFile(c.dataDir, **hsm); !r) {
            return fail(r.error());
        }
        std::printf("the terminal CA's key was imported into the token as \"%s\" (sensitive, not extractable), a "
                    "certificate signed in the token verified with %s, and %s was wiped and removed; restart "
                    "skey-bank\n",
            TerminalCa::kKeyLabel,
            qPrintable(c.path(QString::fromLatin1(TerminalCa::kCaCertificate))),
            qPrintable(c.path(QString::fromLatin1(TerminalCa::kCaKey))));
        return 0;
    }
    auto ca = TerminalCa::load(c.dataDir, hsm->get());
    if (!ca) {
        return fail(ca.error());
    }
    if (!(*ca)->keyInToken()) {
        std::printf("terminal CA %s: its key is the FILE %s (anyone who can read it can issue terminal "
                    "certificates); `bankctl keys terminal-ca import --data %s` moves it into the token\n",
            qPrintable((*ca)->fingerprint()),
            qPrintable(c.path(QString::fromLatin1(TerminalCa::kCaKey))),
            qPrintable(c.dataDir));
        return 0;
    }
    auto p = (*hsm)->privateKeyProtection(TerminalCa::kKeyLabel);
    if (!p) {
        return fail(p.error());
    }
    std::printf("terminal CA %s: key \"%s\" in the token, sensitive %s, extractable %s, always sensitive %s, never "
                "extractable %s\n",
        qPrintable((*ca)->fingerprint()),
        TerminalCa::kKeyLabel,
        p->sensitive ? "yes" : "no",
        p->extractable ? "yes" : "no",
        p->alwaysSensitive ? "yes" : "no",
        p->neverExtractable ? "yes" : "no");
    return 0;
}

int reportsSettlement(const BankConfig& c, bool json)
{
    auto db = connect(c);
    if (!db) {
        return fail(db.error());
    }
    auto b = (*db)->exec("SELECT id, kiosk, terminal_id, record_count, accepted, duplicates, rejected, accepted_amount,"
                         " received_at FROM settlement_batches ORDER BY received_at, id");
    auto e = (*db)->exec("SELECT batch_id, tsn, code, detail FROM settlement_exceptions ORDER BY batch_id, tsn");
    if (!b || !e) {
        return fail(!b ? b.error() : e.error());
    }
    QJsonArray batches;
    for (int i = 0; i < b->rows(); ++i) {
        QJsonArray exceptions;
        for (int k = 0; k < e->rows(); ++k) {
            if (e->text(k, 0) == b->text(i, 0)) {
                exceptions.append(QJsonObject{{QStringLiteral("tsn"), e->integer(k, 1)},
                    {QStringLiteral("code"), QString::fromStdString(e->text(k, 2))},
                    {QStringLiteral("detail"), QString::fromStdString(e->text(k, 3))}});
            }
        }
        batches.append(QJsonObject{{QStringLiteral("batchId"), QString::fromStdString(b->text(i, 0))},
            {QStringLiteral("kiosk"), QString::fromStdString(b->text(i, 1))},
            {QStringLiteral("terminalId"), QString::fromStdString(b->text(i, 2))},
            {QStringLiteral("recordCount"), b->integer(i, 3)},
            {QStringLiteral("accepted"), b->integer(i, 4)},
            {QStringLiteral("duplicates"), b->integer(i, 5)},
            {QStringLiteral("rejected"), b->integer(i, 6)},
            {QStringLiteral("acceptedAmount"), b->integer(i, 7)},
            {QStringLiteral("receivedAt"), rfc3339(b->integer(i, 8))},
            {QStringLiteral("exceptions"), exceptions}});
    }
    if (json) {
        printJson(batches);
        return 0;
    }
    for (const auto& v : batches) {
        const QJsonObject o = v.toObject();
        std::printf("batch %s kiosk %s terminal %s: %lld records, %lld accepted (%lld fen), %lld duplicate, %lld "
                    "rejected, received %s\n",
            qPrintable(o.value(QStringLiteral("batchId")).toString()),
            qPrintable(o.value(QStringLiteral("kiosk")).toString()),
            qPrintable(o.value(QStringLiteral("terminalId")).toString()),
            o.value(QStringLiteral("recordCount")).toInteger(),
            o.value(QStringLiteral("accepted")).toInteger(),
            o.value(QStringLiteral("acceptedAmount")).toInteger(),
            o.value(QStringLiteral("duplicates")).toInteger(),
            o.value(QStringLiteral("rejected")).toInteger(),
            qPrintable(o.value(QStringLiteral("receivedAt")).toString()));
        for (const auto& x : o.value(QStringLiteral("exceptions")).toArray()) {
            std::printf("  REJECTED TSN %lld %s: %s\n",
                x.toObject().value(QStringLiteral("tsn")).toInteger(),
                qPrintable(x.toObject().value(QStringLiteral("code")).toString()),
                qPrintable(x.toObject().value(QStringLiteral("detail")).toString()));
        }
    }
    std::printf("%lld batches\n", static_cast<long long>(batches.size()));
    return 0;
}

/// Late purchases of closed (replaced) cards (docs/branch.md "Late offline purchases", bank/issuance/LateRecovery.h):
/// every closed card that had one beyond what it still held, what its funding account gave back, and what the bank
/// advanced (the customer's debt). Exit 0 either way: a receivable is a record for the bank, not an error here.
int reportsReceivables(const BankConfig& c, bool json)
{
    auto db = connect(c);
    if (!db) {
        return fail(db.error());
    }
    auto r = (*db)->exec("SELECT c.asn, COALESCE(c.replaced_by, ''), c.recovered, c.advanced, a.balance, (SELECT"
                         " count(*) FROM audit_log l WHERE l.asn = c.asn AND l.action = 'card.late-purchase') FROM"
                         " cards c JOIN accounts a ON a.id = c.account_id WHERE c.recovered > 0 OR c.advanced > 0"
                         " ORDER BY c.asn");
    if (!r) {
        return fail(r.error());
    }
    QJsonArray cards;
    std::int64_t owed = 0;
    for (int i = 0; i < r->rows(); ++i) {
        owed += r->integer(i, 3);
        cards.append(QJsonObject{{QStringLiteral("asn"), QString::fromStdString(r->text(i, 0))},
            {QStringLiteral("replacedBy"), QString::fromStdString(r->text(i, 1))},
            {QStringLiteral("recovered"), r->integer(i, 2)},
            {QStringLiteral("receivable"), r->integer(i, 3)},
            {QStringLiteral("fundingBalance"), r->integer(i, 4)},
            {QStringLiteral("latePurchases"), r->integer(i, 5)}});
    }
    if (json) {
        printJson(
            QJsonObject{{QStringLiteral("cards"), cards}, {QStringLiteral("receivable"), static_cast<qint64>(owed)}});
        return 0;
    }
    for (const auto& v : cards) {
        const QJsonObject o = v.toObject();
        std::printf("card %s%s: %lld late purchases, %lld fen recovered from the funding account, %lld fen advanced by"
                    " the bank and owed (funding account now %lld fen)\n",
            qPrintable(o.value(QStringLiteral("asn")).toString()),
            o.value(QStringLiteral("replacedBy")).toString().isEmpty()
                ? ""
                : qPrintable(QStringLiteral(" (replaced by %1)").arg(o.value(QStringLiteral("replacedBy")).toString())),
            o.value(QStringLiteral("latePurchases")).toInteger(),
            o.value(QStringLiteral("recovered")).toInteger(),
            o.value(QStringLiteral("receivable")).toInteger(),
            o.value(QStringLiteral("fundingBalance")).toInteger());
    }
    std::printf("%lld fen owed by customers of closed cards%s\n",
        static_cast<long long>(owed),
        owed > 0 ? ": the bank collects it from the customer or writes it off (docs/branch.md)" : "");
    return 0;
}

bool g_json = false;

/// The development manufacturer key "SKEY-DEV-MFR-KEY" (docs/bank.md §8.6): the simulator derives its KT from it.
/// It protects simulated keys only; a bank that installs it can issue simulated keys, nothing else.
const char* kDevelopmentManufacturerKey = "534B45592D4445562D4D46522D4B4559";

QString kcv(const core::SecureBytes& key)
{
    auto block = core::CardCrypto::tdesEncryptBlock(key, QByteArray(8, '\0'));
    return block ? QString::fromLatin1(block->left(3).toHex().toUpper()) : QStringLiteral("??????");
}

int keysList(const BankConfig& c)
{
    auto hsm = c.openHsm();
    if (!hsm) {
        return fail(hsm.error());
    }
    QJsonArray keys;
    for (const char* label : {"mlk.v1",
             "mtk.v1",
             "mpk.v1",
             "mamk.v1",
             "mpuk.v1",
             "mrpk.v1",
             "miak.v1",
             "meak.v1",
             "mkt.v1",
             "fingerprint"}) {
        auto has = (*hsm)->hasKey(label);
        if (!has) {
            return fail(has.error());
        }
        keys.append(QJsonObject{{QStringLiteral("label"), QLatin1String(label)}, {QStringLiteral("present"), *has}});
        if (!g_json) {
            std::printf("%-12s %s\n", label, *has ? "present" : "MISSING");
        }
    }
    if (g_json) {
        printJson(keys);
    }
    return 0;
}

/// The serials of the development manufacturer's simulated keys (skey-sim): one lot, imported with its key.
const char* kDevelopmentLotFirst = "534B000000000000";
const char* kDevelopmentLotLast = "534B0000FFFFFFFF";

/// `bankctl devices add-lot`: a manufacturer's shipping list as one serial range (issue 13). Issuance refuses a
/// blank key whose serial is in no lot (422 device-unknown).
int addLot(const BankConfig& c, const QString& manufacturer, const QString& first, const QString& last)
{
    static const QRegularExpression serial(QStringLiteral("^[0-9A-F]{16}$"));
    if (manufacturer.trimmed().isEmpty() || !serial.match(first).hasMatch() || !serial.match(last).hasMatch()
        || first > last) {
        return fail(QStringLiteral("devices add-lot needs --manufacturer, --first and --last (16 uppercase hex "
                                   "digits, first <= last); nothing was changed"));
    }
    auto db = connect(c);
    if (!db) {
        return fail(db.error());
    }
    PgTransaction tx(**db);
    if (auto r = (*db)->exec("INSERT INTO device_lots (id, manufacturer, first_serial, last_serial, imported_at)"
                             " VALUES ($1, $2, $3, $4, $5)",
            {uuidV7(),
                manufacturer.trimmed().toStdString(),
                first.toStdString(),
                last.toStdString(),
                std::to_string(nowMicros())});
        !r) {
        return fail(r.error());
    }
    if (auto a = Staff::audit(**db,
            {{},
                {},
                {},
                QStringLiteral("devices.lot-added"),
                {},
                first + QLatin1Char('-') + last,
                QStringLiteral("ok"),
                manufacturer.trimmed()});
        !a) {
        return fail(a.error());
    }
    if (auto cm = tx.commit(); !cm) {
        return fail(cm.error());
    }
    std::printf("lot %s..%s of %s added\n",
        first.toLatin1().constData(),
        last.toLatin1().constData(),
        manufacturer.trimmed().toUtf8().constData());
    return 0;
}

int keysManufacturer(const BankConfig& c, std::map<std::string, std::string>& opt, bool development)
{
    auto hsm = c.openHsm();
    if (!hsm) {
        return fail(hsm.error());
    }
    if (auto has = (*hsm)->hasKey("mkt.v1"); !has || *has) {
        return fail(has ? QStringLiteral("the token holds mkt.v1 already; nothing was changed") : has.error().detail);
    }
    core::SecureBytes key;
    if (development) {
        key = core::secureFromHex(QString::fromLatin1(kDevelopmentManufacturerKey));
        std::fprintf(stderr,
            "bankctl: WARNING: the development manufacturer key opens SIMULATED keys only (skey-sim); a bank with it "
            "issues simulated keys.\n");
    } else {
        // The key ceremony (docs/bank.md §8.5): each custodian types one component (32 hex digits) and checks its
        // KCV; the components are XORed here in wiped memory and imported at once, non-extractable.
        const int n = std::atoi(opt["--components"].c_str());
        if (n < 2 || n > 3) {
            return fail(QStringLiteral("--components takes 2 or 3"));
        }
        key.assign(16, 0);
        QTextStream in(stdin);
        for (int i = 1; i <= n; ++i) {
            std::fprintf(stderr, "component %d of %d (32 hex digits): ", i, n);
            QString line = in.readLine().trimmed().toUpper();
            static const QRegularExpression hex32(QStringLiteral("^[0-9A-F]{32}$"));
            if (!hex32.match(line).hasMatch()) {
                line.fill(QLatin1Char('0'));
                return fail(QStringLiteral("component %1 is not 32 hex digits; nothing was imported").arg(i));
            }
            const core::SecureBytes part = core::secureFromHex(line);
            line.fill(QLatin1Char('0'));
            std::printf("component %d KCV %s\n", i, kcv(part).toLatin1().constData());
            for (std::size_t b = 0; b < 16; ++b) {
                key[b] ^= part[b];
            }
        }
    }
    if (auto r = (*hsm)->importDes2("mkt.v1", key); !r) {
        return fail(r.error());
    }
    const QString check = kcv(key);
    std::printf("mkt.v1: imported into the token (sensitive, not extractable), KCV %s\n", check.toLatin1().constData());
    if (development) {
        // The development manufacturer's keys are skey-sim's: their serials are the development lot.
        if (addLot(c,
                QLatin1String(Issuance::kDevelopmentManufacturer),
                QLatin1String(kDevelopmentLotFirst),
                QLatin1String(kDevelopmentLotLast))
            != 0) {
            return 1;
        }
    }
    if (auto db = connect(c)) {
        PgTransaction tx(**db);
        if (Staff::audit(**db,
                {{},
                    {},
                    {},
                    QStringLiteral("keys.manufacturer-imported"),
                    {},
                    QStringLiteral("mkt.v1"),
                    QStringLiteral("ok"),
                    QStringLiteral("%1, KCV %2")
                        .arg(development ? QStringLiteral("development key") : QStringLiteral("ceremony"), check)})) {
            (void)tx.commit();
        }
    }
    return 0;
}

int staffAdd(const BankConfig& c, std::map<std::string, std::string>& opt)
{
    // The password comes on stdin (never argv, which other users of the machine can read in /proc).
    QTextStream in(stdin);
    QString password = in.readLine();
    core::SecureBytes pw = core::toSecure(password.toUtf8());
    password.fill(QLatin1Char('\0'));
    auto db = connect(c);
    if (!db) {
        return fail(db.error());
    }
    PgTransaction tx(**db);
    auto id = Staff::add(**db,
        QString::fromStdString(opt["--username"]),
        QString::fromStdString(opt["--name"]),
        QString::fromStdString(opt["--role"]),
        pw);
    if (!id) {
        return fail(id.error());
    }
    if (auto a = Staff::audit(**db,
            {{},
                {},
                {},
                QStringLiteral("staff.added"),
                {},
                *id,
                QStringLiteral("ok"),
                QStringLiteral("%1 (%2)").arg(
                    QString::fromStdString(opt["--username"]), QString::fromStdString(opt["--role"]))});
        !a) {
        return fail(a.error());
    }
    if (auto cm = tx.commit(); !cm) {
        return fail(cm.error());
    }
    if (g_json) {
        printJson(QJsonObject{{QStringLiteral("staffId"), *id},
            {QStringLiteral("username"), QString::fromStdString(opt["--username"])},
            {QStringLiteral("role"), QString::fromStdString(opt["--role"])}});
    } else {
        std::printf("staff %s added as %s (id %s); the password is kept only as an Argon2id hash\n",
            opt["--username"].c_str(),
            opt["--role"].c_str(),
            id->toLatin1().constData());
    }
    return 0;
}

int staffList(const BankConfig& c)
{
    auto db = connect(c);
    if (!db) {
        return fail(db.error());
    }
    auto r = (*db)->exec("SELECT id, username, display_name, role, active, locked_until FROM staff ORDER BY username");
    if (!r) {
        return fail(r.error());
    }
    QJsonArray a;
    for (int i = 0; i < r->rows(); ++i) {
        a.append(QJsonObject{{QStringLiteral("staffId"), QString::fromStdString(r->text(i, 0))},
            {QStringLiteral("username"), QString::fromStdString(r->text(i, 1))},
            {QStringLiteral("displayName"), QString::fromStdString(r->text(i, 2))},
            {QStringLiteral("role"), QString::fromStdString(r->text(i, 3))},
            {QStringLiteral("active"), r->boolean(i, 4)},
            {QStringLiteral("locked"), !r->isNull(i, 5) && r->integer(i, 5) > nowMicros()}});
        if (!g_json) {
            std::printf("%-20s %-10s %s\n", r->text(i, 1).c_str(), r->text(i, 3).c_str(), r->text(i, 2).c_str());
        }
    }
    if (g_json) {
        printJson(a);
    }
    return 0;
}

int issuanceList(const BankConfig& c, const std::string& state)
{
    auto db = connect(c);
    if (!db) {
        return fail(db.error());
    }
    auto r = (*db)->exec("SELECT id, device_serial, asn, state, next_step, failure_sw, batch_id FROM issuance_jobs"
                         " WHERE ($1 = '' OR state = $1) ORDER BY created_at",
        {state});
    if (!r) {
        return fail(r.error());
    }
    QJsonArray a;
    for (int i = 0; i < r->rows(); ++i) {
        QJsonObject o{{QStringLiteral("jobId"), QString::fromStdString(r->text(i, 0))},
            {QStringLiteral("deviceSerial"), QString::fromStdString(r->text(i, 1))},
            {QStringLiteral("asn"), QString::fromStdString(r->text(i, 2))},
            {QStringLiteral("state"), QString::fromStdString(r->text(i, 3))},
            {QStringLiteral("nextStep"), static_cast<qint64>(r->integer(i, 4))}};
        if (!r->isNull(i, 5)) {
            o.insert(QStringLiteral("failureStatusWord"), QString::fromStdString(r->text(i, 5)));
        }
        if (!r->isNull(i, 6)) {
            o.insert(QStringLiteral("batchId"), QString::fromStdString(r->text(i, 6)));
        }
        a.append(o);
        if (!g_json) {
            std::printf("%s %s %s %-13s next %lld\n",
                r->text(i, 0).c_str(),
                r->text(i, 1).c_str(),
                r->text(i, 2).c_str(),
                r->text(i, 3).c_str(),
                static_cast<long long>(r->integer(i, 4)));
        }
    }
    if (g_json) {
        printJson(a);
    } else {
        std::printf("%d job(s)\n", r->rows());
    }
    return 0;
}

int issuanceVoid(const BankConfig& c, const std::string& job)
{
    auto db = connect(c);
    if (!db) {
        return fail(db.error());
    }
    PgTransaction tx(**db);
    auto r = (*db)->exec("UPDATE issuance_jobs SET state = 'voided', updated_at = $2 WHERE id::text = $1 AND state"
                         " NOT IN ('completed', 'voided') RETURNING asn",
        {job, std::to_string(nowMicros())});
    if (!r) {
        return fail(r.error());
    }
    if (r->rows() != 1) {
        return fail(QStringLiteral("no open job %1 (a completed job is never voided); nothing was changed")
                        .arg(QString::fromStdString(job)));
    }
    if (auto a = Staff::audit(**db,
            {{},
                {},
                {},
                QStringLiteral("issuance.voided"),
                QString::fromStdString(r->text(0, 0)),
                QString::fromStdString(job),
                QStringLiteral("ok"),
                QStringLiteral("bankctl")});
        !a) {
        return fail(a.error());
    }
    if (auto cm = tx.commit(); !cm) {
        return fail(cm.error());
    }
    std::printf("job %s voided; its device serial may start a new job\n", job.c_str());
    return 0;
}

/// Issue 14: whether a merchant's online payments must carry the cardholder's slot 9A signature.
int merchantsPolicy(std::map<std::string, std::string>& opt, const BankConfig& c)
{
    const std::string credential = opt["--credential"];
    const std::string policy = opt["--cardholder-signature"];
    if (!validTerminal(credential) || (policy != "required" && policy != "optional")) {
        return fail(QStringLiteral("--credential 12 digits, --cardholder-signature required or optional"));
    }
    auto db = connect(c);
    if (!db) {
        return fail(db.error());
    }
    PgTransaction tx(**db);
    auto r = (*db)->exec("UPDATE merchants SET cardholder_signature = $2 WHERE credential = $1 RETURNING id, name",
        {credential, policy == "required" ? std::string("true") : std::string("false")});
    if (!r) {
        return fail(r.error());
    }
    if (r->rows() != 1) {
        return fail(QStringLiteral("no merchant with credential %1; nothing was changed")
                        .arg(QString::fromStdString(credential)));
    }
    if (auto a = Staff::audit(**db,
            {{},
                {},
                {},
                QStringLiteral("merchant.cardholder-signature"),
                {},
                QString::fromStdString(r->text(0, 0)),
                QString::fromStdString(policy),
                QStringLiteral("bankctl")});
        !a) {
        return fail(a.error());
    }
    if (auto cm = tx.commit(); !cm) {
        return fail(cm.error());
    }
    std::printf("merchant %s: cardholder signature %s\n", r->text(0, 1).c_str(), policy.c_str());
    return 0;
}

int certificatesList(const BankConfig& c, const std::string& asn, bool json)
{
    if (!asn.empty() && !validAsn(asn)) {
        return fail(QStringLiteral("--asn: 16 uppercase hex digits"));
    }
    auto db = connect(c);
    if (!db) {
        return fail(db.error());
    }
    auto r = (*db)->exec("SELECT serial, asn, slot, not_before, not_after, sha256, revoked_at, revocation_reason FROM"
                         " cardholder_certificates WHERE $1 = '' OR asn = $1 ORDER BY created_at, serial",
        {asn});
    if (!r) {
        return fail(r.error());
    }
    QJsonArray rows;
    for (int i = 0; i < r->rows(); ++i) {
        QJsonObject row{{QStringLiteral("serial"), QString::fromStdString(r->text(i, 0))},
            {QStringLiteral("asn"), QString::fromStdString(r->text(i, 1))},
            {QStringLiteral("slot"), QString::fromStdString(r->text(i, 2))},
            {QStringLiteral("notBefore"), rfc3339(r->integer(i, 3))},
            {QStringLiteral("notAfter"), rfc3339(r->integer(i, 4))},
            {QStringLiteral("sha256"), QString::fromStdString(r->text(i, 5))}};
        if (!r->isNull(i, 6)) {
            row.insert(QStringLiteral("revokedAt"), rfc3339(r->integer(i, 6)));
            row.insert(QStringLiteral("reason"), QString::fromStdString(r->text(i, 7)));
        }
        if (!json) {
            std::printf("%s  %s  %s  until %s%s\n",
                r->text(i, 0).c_str(),
                r->text(i, 1).c_str(),
                r->text(i, 2).c_str(),
                row.value(QStringLiteral("notAfter")).toString().toUtf8().constData(),
                r->isNull(i, 6) ? ""
                                : QStringLiteral("  REVOKED %1 (%2)")
                                      .arg(row.value(QStringLiteral("revokedAt")).toString(),
                                          row.value(QStringLiteral("reason")).toString())
                                      .toUtf8()
                                      .constData());
        }
        rows.append(row);
    }
    if (json) {
        printJson(QJsonObject{{QStringLiteral("certificates"), rows}});
    }
    return 0;
}

/// Issue 14: the cardholder CA revokes a certificate. The acquirer refuses its signatures at once (it reads the
/// row), and the next GET /v1/cardholder-ca/crl lists it.
int certificatesRevoke(std::map<std::string, std::string>& opt, const BankConfig& c)
{
    const QString serial = QString::fromStdString(opt["--serial"]);
    const QString reason
        = opt.count("--reason") ? QString::fromStdString(opt["--reason"]) : QStringLiteral("unspecified");
    auto db = connect(c);
    if (!db) {
        return fail(db.error());
    }
    PgTransaction tx(**db);
    if (auto r = CardholderCa::revoke(**db, serial, reason); !r) {
        return fail(r.error());
    }
    if (auto a = Staff::audit(
            **db, {{}, {}, {}, QStringLiteral("certificate.revoked"), {}, serial, reason, QStringLiteral("bankctl")});
        !a) {
        return fail(a.error());
    }
    if (auto cm = tx.commit(); !cm) {
        return fail(cm.error());
    }
    std::printf("certificate %s revoked (%s)\n", serial.toUtf8().constData(), reason.toUtf8().constData());
    return 0;
}

int auditVerify(const BankConfig& c)
{
    auto db = connect(c);
    if (!db) {
        return fail(db.error());
    }
    auto bad = Staff::verifyAudit(**db);
    if (!bad) {
        return fail(bad.error());
    }
    if (g_json) {
        QJsonArray a;
        for (const auto& line : *bad) {
            a.append(QString::fromStdString(line));
        }
        printJson(QJsonObject{{QStringLiteral("intact"), bad->empty()}, {QStringLiteral("violations"), a}});
    } else {
        for (const auto& line : *bad) {
            std::printf("BROKEN %s\n", line.c_str());
        }
        std::printf("%s\n", bad->empty() ? "audit log chain intact" : "audit log chain BROKEN");
    }
    return bad->empty() ? 0 : 1;
}

int auditExport(const BankConfig& c, const std::string& outPath)
{
    auto db = connect(c);
    if (!db) {
        return fail(db.error());
    }
    auto r = (*db)->exec("SELECT seq, at, terminal_id, staff_id, supervisor_id, action, asn, subject, outcome, detail,"
                         " hash FROM audit_log ORDER BY seq");
    if (!r) {
        return fail(r.error());
    }
    QFile f(QString::fromStdString(outPath));
    if (outPath.empty() || !f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return fail(QStringLiteral("cannot write --out %1").arg(QString::fromStdString(outPath)));
    }
    auto field = [](const std::string& v) {
        QString t = QString::fromStdString(v);
        t.replace(QLatin1Char('"'), QStringLiteral("\"\""));
        return QLatin1Char('"') + t + QLatin1Char('"');
    };
    QTextStream out(&f);
    out << "seq,time,terminal,staff,supervisor,action,asn,subject,outcome,detail,hash\n";
    for (int i = 0; i < r->rows(); ++i) {
        QStringList cols;
        for (int col = 0; col < 11; ++col) {
            cols << (col == 1 ? rfc3339(r->integer(i, 1)) : field(r->isNull(i, col) ? std::string() : r->text(i, col)));
        }
        out << cols.join(QLatin1Char(',')) << '\n';
    }
    std::printf("%d audit rows written to %s\n", r->rows(), outPath.c_str());
    return 0;
}

int terminalEnrolCode(const BankConfig& c, const std::string& id, std::map<std::string, std::string>& opt, bool json)
{
    const int hours = opt.count("--hours") ? std::atoi(opt["--hours"].c_str()) : Terminals::kCodeHours;
    if (hours < 1 || hours > 168) {
        return fail(QStringLiteral("--hours 1..168"));
    }
    auto db = connect(c);
    if (!db) {
        return fail(db.error());
    }
    auto hsm = c.openHsm();
    if (!hsm) {
        return fail(hsm.error());
    }
    auto ca = TerminalCa::load(c.dataDir, hsm->get());
    if (!ca) {
        return fail(ca.error()); // a code the bank cannot honour would only waste the terminal's time
    }
    auto code = Terminals::createCode(**db,
        QString::fromStdString(id),
        QString::fromStdString(opt["--role"]),
        QString::fromStdString(opt["--label"]),
        hours);
    if (!code) {
        return fail(code.error());
    }
    const QString expires = rfc3339(nowMicros() + static_cast<std::int64_t>(hours) * 3600LL * 1000000LL);
    if (json) {
        printJson(QJsonObject{{QStringLiteral("terminalId"), QString::fromStdString(id)},
            {QStringLiteral("kind"), QString::fromStdString(opt["--role"])},
            {QStringLiteral("code"), *code},
            {QStringLiteral("expiresAt"), expires},
            {QStringLiteral("caFingerprint"), (*ca)->fingerprint()}});
        return 0;
    }
    // Shown once: only its SHA-256 is kept. Give it to the terminal's installer, not to a log.
    std::printf("enrolment code for terminal %s (%s): %s\nvalid until %s, once. Bank CA SHA-256 fingerprint: %s\n"
                "On the terminal: walletctl bank enrol <bank URL> - --ca-fingerprint <fingerprint>  (code on stdin)\n",
        id.c_str(),
        opt["--role"].c_str(),
        code->toLatin1().constData(),
        expires.toLatin1().constData(),
        (*ca)->fingerprint().toLatin1().constData());
    return 0;
}

int terminalRevoke(const BankConfig& c, const std::string& id)
{
    auto db = connect(c);
    if (!db) {
        return fail(db.error());
    }
    auto r = Terminals::revoke(**db, QString::fromStdString(id));
    if (!r) {
        return fail(r.error());
    }
    if (!*r) {
        return fail(
            QStringLiteral("no terminal %1 in the registry (or revoked already)").arg(QString::fromStdString(id)));
    }
    std::printf("terminal %s revoked: every certificate of it is refused from the next request on\n", id.c_str());
    return 0;
}

int terminalList(const BankConfig& c, bool json)
{
    auto db = connect(c);
    if (!db) {
        return fail(db.error());
    }
    auto r = (*db)->exec("SELECT t.terminal_id, t.kind, t.label, t.enrolled_at, t.revoked_at, (SELECT count(*) FROM"
                         " terminal_certificates x WHERE x.terminal_id = t.terminal_id) FROM terminals t ORDER BY 1");
    if (!r) {
        return fail(r.error());
    }
    QJsonArray all;
    for (int i = 0; i < r->rows(); ++i) {
        QJsonObject o{{QStringLiteral("terminalId"), QString::fromStdString(r->text(i, 0))},
            {QStringLiteral("kind"), QString::fromStdString(r->text(i, 1))},
            {QStringLiteral("label"), QString::fromStdString(r->text(i, 2))},
            {QStringLiteral("certificates"), r->integer(i, 5)}};
        if (!r->isNull(i, 3)) {
            o.insert(QStringLiteral("enrolledAt"), rfc3339(r->integer(i, 3)));
        }
        if (!r->isNull(i, 4)) {
            o.insert(QStringLiteral("revokedAt"), rfc3339(r->integer(i, 4)));
        }
        all.append(o);
        if (!json) {
            std::printf("%s %-8s %-24s %s%s\n",
                r->text(i, 0).c_str(),
                r->text(i, 1).c_str(),
                r->text(i, 2).c_str(),
                r->isNull(i, 3) ? "not enrolled" : "enrolled",
                r->isNull(i, 4) ? "" : ", REVOKED");
        }
    }
    if (json) {
        printJson(all);
    }
    return 0;
}

int terminalRequireEnrolment(BankConfig c, const std::string& onOff)
{
    if (onOff != "on" && onOff != "off") {
        return usage();
    }
    c.enrolledTerminalsOnly = onOff == "on";
    if (auto s = c.save(); !s) {
        return fail(s.error());
    }
    std::printf("enrolled terminals only: %s (restart skey-bank to apply)\n", onOff.c_str());
    return 0;
}

/// Test folders only: a certificate with a chosen validity (an expired one for the 401 tests), recorded like an
/// enrolment's.
int terminalIssue(const BankConfig& c, const std::string& id, std::map<std::string, std::string>& opt)
{
    if (!c.test) {
        return fail(QStringLiteral("terminal issue works only in a test folder (bankctl init --test)"));
    }
    if (auto ok = Terminals::checkIdAndKind(QString::fromStdString(id), QString::fromStdString(opt["--role"])); !ok) {
        return fail(ok.error());
    }
    QFile csr(QString::fromStdString(opt["--csr"]));
    if (opt["--out"].empty() || !csr.open(QIODevice::ReadOnly)) {
        return usage();
    }
    const std::int64_t now = nowMicros() / 1000000LL;
    std::int64_t notAfter = now + Terminals::kValidityDays * 86400LL;
    if (opt.count("--not-after")) {
        const QDateTime t = QDateTime::fromString(QString::fromStdString(opt["--not-after"]), Qt::ISODate);
        if (!t.isValid()) {
            return fail(QStringLiteral("--not-after: an RFC 3339 time, e.g. 2026-01-01T00:00:00Z"));
        }
        notAfter = t.toSecsSinceEpoch();
    }
    const std::int64_t notBefore = std::min(now - 60, notAfter - 86400);
    auto hsm = c.openHsm();
    if (!hsm) {
        return fail(hsm.error());
    }
    auto ca = TerminalCa::load(c.dataDir, hsm->get());
    if (!ca) {
        return fail(ca.error());
    }
    auto issued = (*ca)->issue(
        csr.readAll(), QString::fromStdString(id), QString::fromStdString(opt["--role"]), notBefore, notAfter);
    if (!issued) {
        return fail(issued.error());
    }
    auto db = connect(c);
    if (!db) {
        return fail(db.error());
    }
    if (auto r = Terminals::recordCertificate(
            **db, QString::fromStdString(id), QString::fromStdString(opt["--role"]), *issued);
        !r) {
        return fail(r.error());
    }
    QFile out(QString::fromStdString(opt["--out"]));
    if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate) || out.write(issued->pem) != issued->pem.size()) {
        return fail(QStringLiteral("cannot write %1").arg(out.fileName()));
    }
    std::printf("certificate %s for terminal %s written to %s\n",
        issued->serial.toLatin1().constData(),
        id.c_str(),
        opt["--out"].c_str());
    return 0;
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
    bool json = false;
    bool development = false;
    bool localDemo = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--test") {
            test = true;
        } else if (a == "--local-demo") {
            localDemo = true;
        } else if (a == "--json") {
            json = true;
            g_json = true;
        } else if (a == "--development") {
            development = true;
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
        return init(opt, test, localDemo);
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
    if (cmd == "keys terminal-ca") {
        if (words.size() > 3 || (words.size() == 3 && words[2] != "import")) {
            return usage();
        }
        return keysTerminalCa(*config, words.size() == 3);
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
    if (cmd == "merchants add") {
        return merchantsAdd(opt, *config, json);
    }
    if (cmd == "merchants add-psam") {
        return merchantsAddPsam(opt, *config, json);
    }
    if (cmd == "merchants list") {
        return merchantsList(*config, json);
    }
    if (cmd == "merchants policy") {
        return merchantsPolicy(opt, *config);
    }
    if (cmd == "certificates list") {
        return certificatesList(*config, opt["--asn"], json);
    }
    if (cmd == "certificates revoke") {
        return certificatesRevoke(opt, *config);
    }
    if (cmd == "orders certify") {
        return ordersCertify(opt, *config);
    }
    if (cmd == "reports settlement") {
        return reportsSettlement(*config, json);
    }
    if (cmd == "reports receivables") {
        return reportsReceivables(*config, json);
    }
    if (cmd == "keys list") {
        return keysList(*config);
    }
    if (cmd == "keys manufacturer") {
        return keysManufacturer(*config, opt, development);
    }
    if (cmd == "devices add-lot") {
        return addLot(*config,
            QString::fromStdString(opt["--manufacturer"]),
            QString::fromStdString(opt["--first"]),
            QString::fromStdString(opt["--last"]));
    }
    if (cmd == "staff add") {
        return staffAdd(*config, opt);
    }
    if (cmd == "staff list") {
        return staffList(*config);
    }
    if (cmd == "issuance list") {
        return issuanceList(*config, opt["--state"]);
    }
    if (cmd == "issuance void") {
        return issuanceVoid(*config, opt["--job"]);
    }
    if (cmd == "audit verify") {
        return auditVerify(*config);
    }
    if (cmd == "audit export") {
        return auditExport(*config, opt["--out"]);
    }
    const std::string arg = words.size() > 2 ? words[2] : std::string();
    if (cmd == "terminal enrol-code" && !arg.empty()) {
        return terminalEnrolCode(*config, arg, opt, json);
    }
    if (cmd == "terminal revoke" && !arg.empty()) {
        return terminalRevoke(*config, arg);
    }
    if (cmd == "terminal list") {
        return terminalList(*config, json);
    }
    if (cmd == "terminal require-enrolment") {
        return terminalRequireEnrolment(*config, arg);
    }
    if (cmd == "terminal issue" && !arg.empty()) {
        return terminalIssue(*config, arg, opt);
    }
    return usage();
}
