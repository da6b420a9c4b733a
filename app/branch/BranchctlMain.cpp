// SPDX-License-Identifier: Apache-2.0
// branchctl batch issue (issue 13, docs/branch.md "Batch issuance"): N blank keys from a CSV of customers, issued
// through the bank host's API exactly as smartkey-branch does (a `branch` certificate and a staff session), with a
// progress bar. Resumable without issuing anyone twice, because each key's state is held by the bank host: row i
// is always key i, and the bank answers a key's open job again (200: resumed, restarted at step 1, or only reported
// when the key already finished all steps) and refuses a key it issued (409 device-already-issued: skipped). Every
// job carries the batch id (the CSV's SHA-256 as a UUID).
//
// branchctl replace / close / outcome: replacing a lost key and closing an account, the desk's services
// (ServiceViewModel, IssueViewModel) on the command line through the same core code (core/issuance/BranchStation:
// approval, createReplacementJob + personalise, closeAccount, reportOutcome). The money moves at the bank only,
// under natural keys (`replacement:<lost ASN>`, `closure:<ASN>`, `payout:<ASN>`); every request id is kept across
// the retries of a lost answer; after CARD BLOCK only the key's own status word is reported, and a lost answer
// is said to be unknown, with the command to report it once known.
#include "core/bank/HttpsBankClient.h"
#include "core/issuance/BranchStation.h"
#include "core/purse/Amount.h"
#include "device/EmbeddedSimulator.h"
#include "device/HidApduChannel.h"
#include "device/HidapiTransport.h"
#include "device/UdpTransport.h"
#include "device/UsbKeyChoice.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTextStream>
#include <QUuid>

#include <botan/mem_ops.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace wallet;

namespace {

int batchFail(const QString& why)
{
    std::fprintf(stderr, "branchctl: %s\n", why.toLocal8Bit().constData());
    return 1;
}

using Options = std::map<std::string, std::string>;

QString opt(const Options& o, const char* name)
{
    const auto it = o.find(name);
    return it == o.end() ? QString() : QString::fromStdString(it->second);
}

/// Exit codes of replace, close and outcome: 0 done, 1 refused or failed (nothing done), 2 usage, 3 outcome unknown
/// (the key may have acted: the message says how to find out and report it).
enum Exit {
    Done = 0,
    Refused = 1,
    Usage = 2,
    Unknown = 3,
};

/// One result line: JSON (`--json`, one object on stdout, errors too) or text.
struct Output
{
    bool json = false;

    int done(QJsonObject o, const QString& text) const
    {
        if (json) {
            o.insert(QStringLiteral("ok"), true);
            std::printf("%s\n", QJsonDocument(o).toJson(QJsonDocument::Compact).constData());
        } else {
            std::printf("%s\n", text.toLocal8Bit().constData());
        }
        std::fflush(stdout);
        return Done;
    }

    int fail(const core::Error& e, const QString& context, std::optional<Exit> forced = {}) const
    {
        const Exit code = forced ? *forced : e.code == core::ErrorCode::OutcomeUnknown ? Unknown : Refused;
        if (json) {
            QJsonObject o{{QStringLiteral("ok"), false},
                {QStringLiteral("error"), context + QStringLiteral(": ") + e.detail},
                {QStringLiteral("outcome"), code == Unknown ? QStringLiteral("unknown") : QStringLiteral("not-done")},
                {QStringLiteral("exitCode"), static_cast<int>(code)}};
            const QString problem = core::bankProblemCode(e);
            if (!problem.isEmpty()) {
                o.insert(QStringLiteral("code"), problem);
            }
            if (e.statusWord != 0) {
                o.insert(QStringLiteral("statusWord"),
                    QStringLiteral("%1").arg(e.statusWord, 4, 16, QLatin1Char('0')).toUpper());
            }
            std::printf("%s\n", QJsonDocument(o).toJson(QJsonDocument::Compact).constData());
            std::fflush(stdout);
        } else {
            std::fprintf(
                stderr, "branchctl: %s: %s\n", context.toLocal8Bit().constData(), e.detail.toLocal8Bit().constData());
        }
        return code;
    }

    int usage(const QString& why) const
    {
        return fail(core::makeError(core::ErrorCode::InvalidInput, why), QStringLiteral("usage"), Usage);
    }
};

/// A channel for calls that need no key (sign-in, reporting an outcome).
struct NoKey final : core::ApduChannel
{
    core::Result<core::ResponseApdu> transmit(const core::CommandApdu&) override
    {
        return core::makeError(core::ErrorCode::NoDevice, QStringLiteral("no key"));
    }
    [[nodiscard]] QString description() const override { return QStringLiteral("no key"); }
};

/// POST /v1/staff/sessions with the password read from stdin; the session token goes to the client. The password
/// buffer is wiped.
core::Result<void> signIn(core::HttpsBankClient& bank, const QString& username, QString& password)
{
    NoKey noKey;
    core::BranchStation station(bank, noKey);
    auto s = station.call("POST",
        QStringLiteral("/v1/staff/sessions"),
        QJsonObject{{QStringLiteral("username"), username}, {QStringLiteral("password"), password}});
    password.fill(QLatin1Char('\0'));
    if (!s) {
        return s.error();
    }
    bank.setStaffSession(s->value(QStringLiteral("token")).toString().toLatin1());
    return {};
}

/// The key's state as branchctl shows it before and after a service (GET DATA life cycle, SELECT).
QJsonObject stateJson(const core::StationKeyState& k)
{
    static const char* const names[] = {"blank", "personalised", "blocked", "blocked-permanently", "terminated"};
    QJsonObject o{{QStringLiteral("deviceSerial"), k.deviceSerial},
        {QStringLiteral("lifeCycle"),
            k.lifeCycle >= 0 && k.lifeCycle <= 4 ? QString::fromLatin1(names[k.lifeCycle])
                                                 : QStringLiteral("%1").arg(k.lifeCycle)}};
    if (!k.asn.isEmpty()) {
        o.insert(QStringLiteral("asn"), k.asn);
    }
    if (!k.blank()) {
        o.insert(QStringLiteral("application"),
            k.lifeCycle == 4           ? QStringLiteral("terminated")
                : k.lifeCycle == 3     ? QStringLiteral("blocked-permanently")
                : k.selectSw == 0x9000 ? QStringLiteral("active")
                : k.selectSw == 0x6A81 ? QStringLiteral("blocked")
                                       : QStringLiteral("terminated"));
    }
    return o;
}

QString stateText(const QJsonObject& s)
{
    return s.value(QStringLiteral("asn")).toString().isEmpty()
        ? QStringLiteral("key %1, %2")
              .arg(s.value(QStringLiteral("deviceSerial")).toString(), s.value(QStringLiteral("lifeCycle")).toString())
        : QStringLiteral("key %1, ASN %2, application %3")
              .arg(s.value(QStringLiteral("deviceSerial")).toString(),
                  s.value(QStringLiteral("asn")).toString(),
                  s.value(QStringLiteral("application")).toString());
}

QString yuan(qint64 fen)
{
    return core::Amount(static_cast<std::uint32_t>(std::clamp<qint64>(fen, 0, 4294967295LL))).toDisplayString();
}

/// The bank client (from --bank-config) signed in as --username with the first stdin line.
core::Result<std::unique_ptr<core::HttpsBankClient>> connect(const Options& o, QTextStream& in)
{
    auto config = core::BankClientConfig::load(opt(o, "--bank-config"));
    if (!config) {
        return config.error();
    }
    auto bank = std::make_unique<core::HttpsBankClient>(*config);
    QString password = in.readLine();
    if (auto s = signIn(*bank, opt(o, "--username"), password); !s) {
        return s.error();
    }
    return bank;
}

/// The key on the desk, the station around it (the same BranchStation as smartkey-branch's) and the key's state
/// before the service. Members in this order: the station uses the channel, the channel the simulator.
struct Desk
{
    std::unique_ptr<device::EmbeddedSimulator> sim;
    std::unique_ptr<device::HidApduChannel> channel;
    std::unique_ptr<core::BranchStation> station;
    core::StationKeyState before;
};

/**
 * The key on the desk (docs/branch.md "USB keys at the desk"), from the options:
 *  - `--simulated-key <serial>`: skey-sim started with that serial, its NVM in <--keys-dir>/<serial> (the layout of
 *    `batch issue`), its KT derived from the development manufacturer key;
 *  - `--simulator 127.0.0.1:<port>`: a skey-sim already running (its HID port), as walletctl --sim;
 *  - otherwise a USB key through hidapi, like the wallet: the only one plugged in, or `--usb-key <serial or path>`
 *    among several (device::chooseUsbKey: none → "plug in a key", several → the list to choose from).
 */
core::Result<void> plugKey(const Options& o, Desk& d)
{
    if (!opt(o, "--simulated-key").isEmpty()) {
        if (opt(o, "--keys-dir").isEmpty()) {
            return core::makeError(core::ErrorCode::InvalidInput,
                QStringLiteral("--simulated-key needs --keys-dir <dir> (where the simulated keys' state is kept)"));
        }
        const QString serial = opt(o, "--simulated-key").toUpper();
        device::SimulatorOptions so;
        so.dataDirectory = QDir(opt(o, "--keys-dir")).filePath(serial);
        QDir().mkpath(so.dataDirectory);
        so.serialHex = serial;
        so.transportKeyHex.clear(); // derived from the development manufacturer key and the serial, as the bank expects
        d.sim = std::make_unique<device::EmbeddedSimulator>(so);
        if (auto s = d.sim->start(); !s) {
            return s.error();
        }
        d.channel = d.sim->makeChannel();
        return {};
    }
    if (const QString sim = opt(o, "--simulator"); !sim.isEmpty()) {
        static const QRegularExpression re(QStringLiteral("^(127\\.0\\.0\\.1|localhost):([0-9]{1,5})$"));
        const auto m = re.match(sim);
        const uint port = m.hasMatch() ? m.captured(2).toUInt() : 0;
        if (port == 0 || port > 65535) {
            return core::makeError(core::ErrorCode::InvalidInput,
                QStringLiteral(
                    "--simulator expects 127.0.0.1:<HID port> (a skey-sim on loopback), e.g. 127.0.0.1:21700"));
        }
        d.channel = std::make_unique<device::HidApduChannel>(
            std::make_unique<device::UdpTransport>(static_cast<std::uint16_t>(port)));
        return {};
    }
    auto keys = device::HidapiTransport::enumerate();
    if (!keys) {
        return keys.error();
    }
    auto key = device::chooseUsbKey(*keys, opt(o, "--usb-key"));
    if (!key) {
        return key.error();
    }
    d.channel = std::make_unique<device::HidApduChannel>(std::make_unique<device::HidapiTransport>(key->path));
    return {};
}

core::Result<Desk> openDesk(const Options& o, core::HttpsBankClient& bank)
{
    Desk d;
    if (auto plugged = plugKey(o, d); !plugged) {
        return plugged.error();
    }
    d.station = std::make_unique<core::BranchStation>(bank, *d.channel);
    auto before = d.station->readKey();
    if (!before) {
        return before.error();
    }
    d.before = *before;
    return d;
}

/// How the options name the key on the desk, for messages.
QString keyName(const Options& o)
{
    if (!opt(o, "--simulated-key").isEmpty()) {
        return QStringLiteral("simulated key %1").arg(opt(o, "--simulated-key").toUpper());
    }
    if (!opt(o, "--simulator").isEmpty()) {
        return QStringLiteral("simulated key at %1").arg(opt(o, "--simulator"));
    }
    return opt(o, "--usb-key").isEmpty() ? QStringLiteral("USB key")
                                         : QStringLiteral("USB key %1").arg(opt(o, "--usb-key"));
}

/// One stdin line into a wiped buffer (the line's QString is overwritten).
core::SecureBytes readSecret(QTextStream& in)
{
    QString line = in.readLine();
    QByteArray utf8 = line.toUtf8();
    core::SecureBytes b = core::toSecure(utf8);
    line.fill(QLatin1Char('\0'));
    utf8.fill('\0');
    return b;
}

QString missingOptions(const Options& o, std::initializer_list<const char*> names)
{
    QStringList missing;
    for (const char* n : names) {
        if (opt(o, n).isEmpty()) {
            missing << QString::fromLatin1(n);
        }
    }
    return missing.join(QStringLiteral(", "));
}

/**
 * branchctl replace: a new blank key for a lost one (docs/branch.md "Replacing a lost key"), as the desk does it:
 * the supervisor's approval `card-replacement` for the lost ASN, the bank's job for the new key, the 19 steps with
 * the customer's PIN, the completion that moves the lost key's shadow balance to the customer's funding account.
 * stdin: the teller's password, the supervisor's password, the customer's new PIN twice.
 */
int replaceKey(const Options& o, const Output& out)
{
    if (const QString m = missingOptions(
            o, {"--lost-asn", "--name", "--id-number", "--phone", "--bank-config", "--username", "--supervisor"});
        !m.isEmpty()) {
        return out.usage(QStringLiteral("replace needs %1 (see branchctl --help); nothing was done").arg(m));
    }
    static const QRegularExpression hex16(QStringLiteral("^[0-9A-F]{16}$"));
    const QString lostAsn = opt(o, "--lost-asn").toUpper();
    if (!hex16.match(lostAsn).hasMatch()
        || (!opt(o, "--simulated-key").isEmpty() && !hex16.match(opt(o, "--simulated-key").toUpper()).hasMatch())) {
        return out.usage(QStringLiteral("--lost-asn and --simulated-key are 16 hex digits; nothing was done"));
    }
    core::StationCustomer customer{opt(o, "--name").trimmed(),
        opt(o, "--id-type").isEmpty() ? 0 : opt(o, "--id-type").toInt(),
        opt(o, "--id-number").trimmed().toUpper(),
        opt(o, "--phone").trimmed()};
    if (const QString p = core::CustomerCheck::nameProblem(customer.name)
            + core::CustomerCheck::idProblem(customer.idType, customer.idNumber)
            + core::CustomerCheck::phoneProblem(customer.phone);
        !p.isEmpty()) {
        return out.usage(QStringLiteral("the customer's details are not valid (%1): check the name (at most 20 "
                                        "bytes), the ID number (a resident ID's last character is a check "
                                        "character) and the phone (+86…); nothing was done")
                             .arg(p));
    }
    core::StationProfile profile;
    profile.algorithm = opt(o, "--algorithm").isEmpty() ? QStringLiteral("3des") : opt(o, "--algorithm");
    const auto max
        = core::Amount::parse(opt(o, "--max-balance").isEmpty() ? QStringLiteral("1000.00") : opt(o, "--max-balance"));
    const auto limit
        = core::Amount::parse(opt(o, "--no-pin-limit").isEmpty() ? QStringLiteral("0.00") : opt(o, "--no-pin-limit"));
    if ((profile.algorithm != QLatin1String("3des") && profile.algorithm != QLatin1String("sm4")) || !max
        || max->isZero() || !limit || *limit > *max) {
        return out.usage(QStringLiteral("--algorithm is 3des or sm4, --max-balance and --no-pin-limit amounts in "
                                        "yuan (e.g. 1000.00), the limit no higher than the maximum; nothing was "
                                        "done"));
    }
    profile.maxBalance = max->fen();
    profile.noPinLimit = limit->fen();
    profile.purchaseNeedsTouch = o.count("--touch") > 0;

    QTextStream in(stdin);
    auto bank = connect(o, in);
    if (!bank) {
        return out.fail(bank.error(), QStringLiteral("sign-in"));
    }
    const core::SecureBytes supervisorPw = readSecret(in);
    // The customer's PIN twice (as on the desk's pad: 6 digits), kept as ASCII digits in a wiped buffer only.
    const core::SecureBytes pin1 = readSecret(in);
    const core::SecureBytes pin2 = readSecret(in);
    const bool sixDigits = pin1.size() == 6
        && std::all_of(pin1.begin(), pin1.end(), [](std::uint8_t c) { return c >= '0' && c <= '9'; });
    if (!sixDigits || pin1.size() != pin2.size()
        || !Botan::constant_time_compare(pin1.data(), pin2.data(), pin1.size())) {
        return out.usage(QStringLiteral("the customer's new PIN (stdin lines 3 and 4) is 6 digits, the same twice; "
                                        "nothing was done"));
    }
    const core::SecureBytes& pinDigits = pin1;

    auto desk = openDesk(o, **bank);
    if (!desk) {
        return out.fail(desk.error(), QStringLiteral("the key on the desk (%1)").arg(keyName(o)));
    }
    core::BranchStation& station = *desk->station;
    const core::StationKeyState* before = &desk->before;
    const QString serial = before->deviceSerial;
    if (!before->blank() && before->lifeCycle != 1) {
        return out.fail(core::makeError(core::ErrorCode::InvalidState,
                            QStringLiteral("key %1 is not blank (ASN %2): a replacement needs a blank key; nothing "
                                           "was done")
                                .arg(serial, before->asn)),
            QStringLiteral("replace"));
    }
    auto approval = station.approval(QStringLiteral("card-replacement"),
        lostAsn,
        core::BranchStation::approvalReason(QStringLiteral("card-replacement")),
        opt(o, "--supervisor"),
        supervisorPw);
    if (!approval) {
        return out.fail(approval.error(), QStringLiteral("supervisor approval (nothing was done)"));
    }
    auto job = station.createReplacementJob(serial, customer, profile, lostAsn, *approval);
    if (!job) {
        return out.fail(job.error(), QStringLiteral("replacement job (nothing was issued)"));
    }
    const QString jobId = job->value(QStringLiteral("jobId")).toString();
    // A key that finished all 19 steps before an earlier run stopped is only reported (the bank's open job for this
    // serial was answered again); a blank key runs the steps.
    auto done = before->blank() ? station.personalise(jobId, pinDigits) : station.completeJob(jobId);
    if (!done) {
        return out.fail(done.error(), QStringLiteral("personalising key %1 (job %2)").arg(serial, jobId));
    }
    auto after = station.readKey();
    const QJsonObject afterJson
        = after ? stateJson(*after) : QJsonObject{{QStringLiteral("error"), after.error().detail}};
    const qint64 carried = done->value(QStringLiteral("carriedBalance")).toInteger();
    const QString asn = done->value(QStringLiteral("asn")).toString();
    return out.done(QJsonObject{{QStringLiteral("operation"), QStringLiteral("replace")},
                        {QStringLiteral("lostAsn"), lostAsn},
                        {QStringLiteral("asn"), asn},
                        {QStringLiteral("deviceSerial"), serial},
                        {QStringLiteral("jobId"), jobId},
                        {QStringLiteral("approvalId"), *approval},
                        {QStringLiteral("carriedBalance"), carried},
                        {QStringLiteral("before"), stateJson(*before)},
                        {QStringLiteral("after"), afterJson}},
        QStringLiteral("Key %1 issued as ASN %2, replacing lost key %3: %4 moved to the customer's account, "
                       "ready to load onto the new key.\nbefore: %5\nafter:  %6")
            .arg(serial, asn, lostAsn, yuan(carried), stateText(stateJson(*before)), stateText(afterJson)));
}

/**
 * branchctl close: account closure (docs/branch.md "Closing an account"): the supervisor's approval
 * `account-closure`, GET BALANCE, CARD BLOCK, the key's status word reported; the bank pays back what it vouches
 * for and the funding account. stdin: the teller's password, the supervisor's password.
 */
int closeAccount(const Options& o, const Output& out)
{
    if (const QString m = missingOptions(o, {"--bank-config", "--username", "--supervisor"}); !m.isEmpty()) {
        return out.usage(QStringLiteral("close needs %1 (see branchctl --help); nothing was done").arg(m));
    }
    QTextStream in(stdin);
    auto bank = connect(o, in);
    if (!bank) {
        return out.fail(bank.error(), QStringLiteral("sign-in"));
    }
    const core::SecureBytes supervisorPw = readSecret(in);
    auto desk = openDesk(o, **bank);
    if (!desk) {
        return out.fail(desk.error(), QStringLiteral("the key on the desk (%1)").arg(keyName(o)));
    }
    core::BranchStation& station = *desk->station;
    const core::StationKeyState* before = &desk->before;
    const QString serial = before->deviceSerial;
    if (before->blank() || before->asn.isEmpty() || before->lifeCycle > 2) {
        return out.fail(core::makeError(core::ErrorCode::InvalidState,
                            QStringLiteral("key %1 is %2: only an issued, not terminated key's account is closed "
                                           "here; a lost key is replaced (branchctl replace). If an earlier close of "
                                           "this key ended with its outcome unknown, report it from the key: "
                                           "branchctl outcome --command <id> --from-key; nothing was done")
                                .arg(serial, stateText(stateJson(*before)))),
            QStringLiteral("close"));
    }
    const QString asn = before->asn;
    auto approval = station.approval(QStringLiteral("account-closure"),
        asn,
        core::BranchStation::approvalReason(QStringLiteral("account-closure")),
        opt(o, "--supervisor"),
        supervisorPw);
    if (!approval) {
        return out.fail(approval.error(), QStringLiteral("supervisor approval (nothing was done)"));
    }
    auto closed = station.closeAccount(asn, *approval);
    if (!closed) {
        return out.fail(closed.error(), QStringLiteral("closing account %1").arg(asn));
    }
    auto after = station.readKey();
    const QJsonObject afterJson
        = after ? stateJson(*after) : QJsonObject{{QStringLiteral("error"), after.error().detail}};
    const qint64 refunded = closed->value(QStringLiteral("refunded")).toInteger();
    return out.done(QJsonObject{{QStringLiteral("operation"), QStringLiteral("close")},
                        {QStringLiteral("asn"), asn},
                        {QStringLiteral("deviceSerial"), serial},
                        {QStringLiteral("approvalId"), *approval},
                        {QStringLiteral("commandId"), closed->value(QStringLiteral("commandId")).toString()},
                        {QStringLiteral("refunded"), refunded},
                        {QStringLiteral("before"), stateJson(*before)},
                        {QStringLiteral("after"), afterJson}},
        QStringLiteral("Account %1 closed: the key is terminated. Pay the customer %2.\nbefore: %3\nafter:  %4")
            .arg(asn, yuan(refunded), stateText(stateJson(*before)), stateText(afterJson)));
}

/**
 * branchctl outcome: reports a maintenance command's status word once it is known (after a lost answer or a key that
 * went silent). `--status-word <SW>`: the key's own answer, as read from it. `--from-key`: the key on the desk is read
 * instead (GET DATA life cycle, SELECT), for a CARD BLOCK whose answer never came: a terminated key (life cycle 04)
 * proves CARD BLOCK ran, and 9000 is reported (the bank then pays back once); a key that is not terminated did not
 * run it (and never can: its secure-messaging challenge is spent once the key is asked for another), so nothing is
 * reported or paid and the next step is to close the account again.
 */
int reportOutcome(const Options& o, const Output& out)
{
    static const QRegularExpression sw(QStringLiteral("^[0-9A-F]{4}$"));
    const bool fromKey = o.count("--from-key") > 0;
    if (const QString m = missingOptions(o, {"--command", "--bank-config", "--username"}); !m.isEmpty()
        || fromKey == !opt(o, "--status-word").isEmpty()
        || (!fromKey && !sw.match(opt(o, "--status-word").toUpper()).hasMatch())) {
        return out.usage(QStringLiteral("outcome needs --command <id>, either --status-word <4 hex digits, the key's "
                                        "own answer> or --from-key (read the key on the desk), --bank-config and "
                                        "--username; nothing was done"));
    }
    QTextStream in(stdin);
    auto bank = connect(o, in);
    if (!bank) {
        return out.fail(bank.error(), QStringLiteral("sign-in"));
    }
    QString statusWord = opt(o, "--status-word").toUpper();
    QJsonObject keyState;
    if (fromKey) {
        auto desk = openDesk(o, **bank);
        if (!desk) {
            return out.fail(desk.error(),
                QStringLiteral("reading the key on the desk (%1) for command %2; nothing was reported")
                    .arg(keyName(o), opt(o, "--command")));
        }
        keyState = stateJson(desk->before);
        if (desk->before.lifeCycle != 4) {
            return out.fail(core::makeError(core::ErrorCode::Declined,
                                QStringLiteral("%1: CARD BLOCK of command %2 did not run on this key (it never can "
                                               "now); nothing was reported or paid. Next step: close the account "
                                               "again (branchctl close)")
                                    .arg(stateText(keyState), opt(o, "--command"))),
                QStringLiteral("outcome"));
        }
        statusWord = QStringLiteral("9000"); // the key's own state: terminated, so CARD BLOCK ran
    }
    NoKey noKey;
    core::BranchStation station(**bank, noKey);
    auto r = station.reportOutcome(opt(o, "--command"), statusWord);
    if (!r) {
        return out.fail(r.error(), QStringLiteral("reporting command %1").arg(opt(o, "--command")));
    }
    QJsonObject answer = *r;
    answer.insert(QStringLiteral("operation"), QStringLiteral("outcome"));
    if (fromKey) {
        answer.insert(QStringLiteral("key"), keyState);
    }
    return out.done(answer,
        QStringLiteral("Command %1 (%2, ASN %3): outcome %4 recorded%5.")
            .arg(opt(o, "--command"),
                r->value(QStringLiteral("operation")).toString(),
                r->value(QStringLiteral("asn")).toString(),
                r->value(QStringLiteral("outcome")).toString(),
                r->contains(QStringLiteral("refunded"))
                    ? QStringLiteral("; pay the customer %1")
                          .arg(yuan(r->value(QStringLiteral("refunded")).toInteger()))
                    : QString()));
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
namespace {

const char* const kUsage
    = "usage:\n"
      "  branchctl batch issue --csv <customers.csv> --bank-config <branch bank-client.json> --username <teller>\n"
      "      --pin-mailer <file> --simulated-keys <first serial> --keys-dir <dir> [--profile-max <fen>]\n"
      "      stdin: the teller's password\n"
      "  branchctl replace --lost-asn <ASN> --name <name> [--id-type 0|1|2] --id-number <n> --phone <+86...>\n"
      "      <key> --bank-config <json> --username <teller>\n"
      "      --supervisor <user> [--algorithm 3des|sm4] [--max-balance <yuan>] [--no-pin-limit <yuan>] [--touch]\n"
      "      [--json]   stdin: the teller's password, the supervisor's password, the new PIN twice\n"
      "  branchctl close <key> --bank-config <json> --username <teller>\n"
      "      --supervisor <user> [--json]   stdin: the teller's password, the supervisor's password\n"
      "  branchctl outcome --command <id> (--status-word <SW> | --from-key <key>) --bank-config <json>\n"
      "      --username <teller> [--json]   stdin: the teller's password\n"
      "<key> (replace, close, outcome --from-key): --simulated-key <serial> --keys-dir <dir> (skey-sim started\n"
      "      here), --simulator 127.0.0.1:<HID port> (a skey-sim running), or nothing: the USB key plugged in\n"
      "      (several: --usb-key <serial or /dev/hidrawN>; none: \"plug in a key\")\n"
      "Exit codes (replace, close, outcome): 0 done, 1 refused (nothing done), 2 usage, 3 outcome unknown.\n";

int batchIssue(Options& opt);

} // namespace

int main(int argc, char** argv)
{
    if (argc == 2 && (std::string(argv[1]) == "--version" || std::string(argv[1]) == "-v")) {
        std::printf("branchctl %s\n", SKEY_VERSION); // one version everywhere (docs/packaging.md)
        return 0;
    }
    int qargc = 1;
    QCoreApplication app(qargc, argv);
    Options opt;
    std::vector<std::string> words;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--json" || a == "--touch" || a == "--help" || a == "--from-key") {
            opt[a] = "1"; // flags
        } else if (a.rfind("--", 0) == 0 && i + 1 < argc) {
            opt[a] = argv[++i];
        } else {
            words.push_back(a);
        }
    }
    Output out;
    out.json = opt.count("--json") > 0;
    if (opt.count("--help") > 0) {
        std::printf("%s", kUsage);
        return 0;
    }
    if (words == std::vector<std::string>{"batch", "issue"}) {
        return batchIssue(opt);
    }
    if (words == std::vector<std::string>{"replace"}) {
        return replaceKey(opt, out);
    }
    if (words == std::vector<std::string>{"close"}) {
        return closeAccount(opt, out);
    }
    if (words == std::vector<std::string>{"outcome"}) {
        return reportOutcome(opt, out);
    }
    std::fprintf(stderr, "%s", kUsage);
    return Usage;
}

namespace {

int batchIssue(Options& opt)
{
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
    if (auto signedIn = signIn(bank, QString::fromStdString(opt["--username"]), password); !signedIn) {
        return batchFail(signedIn.error().detail);
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
                "branchctl: key %s: %s\n",
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
                "branchctl: key %s: %s\n",
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
            std::fprintf(stderr, "branchctl: row %d: %s\n", i + 1, job.error().detail.toLocal8Bit().constData());
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
                std::fprintf(stderr, "branchctl: cannot write the PIN mailer\n");
                break;
            }
            done = station.personalise(jobId, pin);
        }
        if (!done) {
            ok = false;
            std::fprintf(stderr,
                "branchctl: row %d (key %s): %s\n",
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

} // namespace
