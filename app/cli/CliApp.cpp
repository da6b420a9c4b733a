// SPDX-License-Identifier: Apache-2.0
#include "CliApp.h"

#include "InProcessKey.h"
#include "PinReader.h"
#include "core/bank/TerminalEnrolment.h"
#include "core/issuance/IssuanceProfile.h"
#include "core/issuer/UnavailableIssuerHost.h"
#include "core/piv/CertificateService.h"
#include "core/psam/SettlementExport.h"
#include "core/psam/UnavailablePsam.h"
#include "core/purse/DeviceInfo.h"

#ifdef WALLETCTL_HAVE_DEVICE
#include "device/EmbeddedSimulator.h"
#include "device/HidApduChannel.h"
#include "device/HidapiTransport.h"
#include "device/UdpTransport.h"
#endif

#include <QFile>
#include <QJsonArray>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QJsonDocument>
#include <QStandardPaths>
#include <QTextStream>

#include <cstdio>

#include <unistd.h>

namespace wallet::app::cli {
namespace {

void out(const QString& text)
{
    QTextStream(stdout) << text << Qt::endl;
}

void err(const QString& text)
{
    QTextStream(stderr) << text << Qt::endl;
}

const char* kHelpTail = R"(
Commands:
  info                          device information (serial, firmware, life cycle)
  pin verify | pin change       verify or change the PIN (read without echo from the terminal, or from stdin)
  pin unblock                   unblock a blocked PIN through the issuer host (asks for the card's PIN)
  pin reload                    set a new PIN through the issuer host (tries reset; entered twice on a terminal)
  app block [--permanent]       block the purse through the issuer host; --permanent is irreversible and asks
                                for confirmation (type "block"), or --yes when stdin is not a terminal
  app unblock                   unblock a temporarily blocked purse through the issuer host
  balance                       the purse balance
  load AMOUNT [--yes]           load money (e.g. 12.34 = 12 yuan 34 fen; 1,250.00 with thousands commas) through
                                the issuer host; asks you to type "yes" to the parsed amount first, or --yes
                                (scripts: prints the parsed amount and goes on). With a bank configured
                                (--bank-config, or DATA-DIR/bank-client.json) the load goes to the bank host over
                                HTTPS with this terminal's certificate (docs/core.md, "The bank client")
  purchase AMOUNT [--yes]       pay AMOUNT through the local test PSAM (demo keys; tests only)
  pay LINK|CODE [--yes]         pay a merchant's order through the bank host's acquirer: smartkey://pay/<order id>
                                or its short code (K7QM-4XPA). Shows the merchant, amount and reference from the
                                order the bank signed, refuses an expired, paid or altered order before any APDU,
                                then asks for confirmation like load (needs a bank configured)
  history [--type load|purchase] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--limit N] [--offset N]
  export FILE.csv               export the mirrored history as CSV
  issue PROFILE.json            personalise a blank key from a profile
  settle FILE.json              export the PSAM's purchases (records + TAC) for the acquirer
  pending                       loads and payments whose outcome is being checked or disputed (no key needed)
  cert list                     the key's PIV slots: key type, certificate subject, issuer, validity
  cert show [--slot S] [--out FILE [--replace]]
                                one certificate's details (SHA-256 fingerprint); --out exports it as PEM (never over
                                an existing file without --replace)
  cert generate [--slot S] [--alg p256|sm2] [--touch never|always|cached] [--yes]
                                a new key pair on the key (--yes to replace one that is there); --touch sets the
                                slot's touch policy (each signature waits for the key's button; "cached" asks
                                every time too: the key has no clock)
  cert request [--slot S] [--out FILE]
                                a PKCS#10 request for the slot's key, signed on the key (CN = the purse's ASN)
  cert apply [--slot S] [--out FILE]
                                request, send it to the bank host's CA, store the issued certificate on the key
  cert import FILE [--slot S]   store a certificate (PEM or DER) for the slot's key
  bank enrol URL [CODE|-] [--ca-fingerprint HEX]
                                enrol this terminal with a bank host (https://host:port) with the one-time code
                                from `bankctl terminal enrol-code` (read from stdin when CODE is - or missing; a
                                code in argv is visible to other users of this machine until it is used): makes a
                                key pair here, stores terminal.key (0600), terminal.pem, the pinned bank-ca.pem and
                                bank-client.json in DATA-DIR; --ca-fingerprint (as bankctl printed it) refuses
                                another CA, without it the CA is trusted on first use and its fingerprint shown
  cert delete [--slot S] [--yes]
                                delete the slot's certificate (slots: 9a default, 9c, 9d, 9e; PIV PIN asked per the
                                slot's policy; management key from SKEY_PIV_MANAGEMENT_KEY, else the PIV default)

Exit codes: 0 ok, 1 usage or bad input, 2 no key / transport, 3 refused by the key (PIN, blocked, balance, limit),
4 declined by the issuer host or PSAM (or the bank host could not be reached), 5 storage (mirror, key store), 6 a MAC/TAC did not verify, 7 internal,
8 the load or payment was sent but its outcome is not known yet (do not repeat it; see walletctl pending).)";

/// The one AMOUNT argument of load and purchase, in fen and above zero.
core::Result<core::Amount> amountArgument(const QStringList& args, const QString& usage, const QString& zeroProblem)
{
    if (args.size() != 1) {
        return core::makeError(core::ErrorCode::InvalidInput, usage);
    }
    auto amount = core::Amount::parse(args[0]);
    if (!amount) {
        return amount.error();
    }
    if (amount->isZero()) {
        return core::makeError(core::ErrorCode::InvalidInput, zeroProblem);
    }
    return *amount;
}

} // namespace

int CliApp::run(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("SmartKey Wallet command-line tool") + QString::fromLatin1(kHelpTail));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("Machine-readable JSON output."));
    const QCommandLineOption simOpt(
        QStringLiteral("sim"), QStringLiteral("Use a running simulator at HOST:PORT."), QStringLiteral("HOST:PORT"));
    const QCommandLineOption inProcessOpt(QStringLiteral("in-process"),
        QStringLiteral("Development aid: run a simulated key inside walletctl (state kept in --nvm)."));
    const QCommandLineOption nvmOpt(
        QStringLiteral("nvm"), QStringLiteral("NVM image file for --in-process."), QStringLiteral("FILE"));
    const QCommandLineOption dataOpt(QStringLiteral("data-dir"),
        QStringLiteral("Where the mirror, issuer ledger, PSAM state and key store live."),
        QStringLiteral("DIR"));
    const QCommandLineOption bankOpt(QStringLiteral("bank-config"),
        QStringLiteral("The bank client's configuration file (URL, bank CA, this terminal's certificate and key "
                       "files; default DATA-DIR/bank-client.json when it exists)."),
        QStringLiteral("FILE"));
    parser.addOptions({jsonOpt, simOpt, inProcessOpt, nvmOpt, dataOpt, bankOpt});
    parser.setOptionsAfterPositionalArgumentsMode(QCommandLineParser::ParseAsOptions);
    parser.addPositionalArgument(QStringLiteral("command"),
        QStringLiteral("info, pin, app, balance, load, purchase, "
                       "history, export, issue, settle, pending, cert, bank"));
    // Command-specific options are declared here too so that one parser validates the whole line.
    const QCommandLineOption typeOpt(
        QStringLiteral("type"), QStringLiteral("history: load or purchase."), QStringLiteral("TYPE"));
    const QCommandLineOption fromOpt(
        QStringLiteral("from"), QStringLiteral("history: first day (YYYY-MM-DD)."), QStringLiteral("DATE"));
    const QCommandLineOption toOpt(
        QStringLiteral("to"), QStringLiteral("history: last day (YYYY-MM-DD)."), QStringLiteral("DATE"));
    const QCommandLineOption limitOpt(
        QStringLiteral("limit"), QStringLiteral("history: rows per page."), QStringLiteral("N"));
    const QCommandLineOption offsetOpt(
        QStringLiteral("offset"), QStringLiteral("history: rows to skip."), QStringLiteral("N"));
    parser.addOptions({typeOpt, fromOpt, toOpt, limitOpt, offsetOpt});
    const QCommandLineOption permanentOpt(
        QStringLiteral("permanent"), QStringLiteral("app block: block for good (irreversible)."));
    const QCommandLineOption yesOpt(QStringLiteral("yes"),
        QStringLiteral("load, purchase, app block --permanent: confirm without asking (scripts)."));
    parser.addOptions({permanentOpt, yesOpt});
    const QCommandLineOption slotOpt(
        QStringLiteral("slot"), QStringLiteral("cert: the PIV slot (9a, 9c, 9d, 9e)."), QStringLiteral("SLOT"));
    const QCommandLineOption algOpt(
        QStringLiteral("alg"), QStringLiteral("cert generate: p256 (default) or sm2."), QStringLiteral("ALG"));
    const QCommandLineOption outOpt(
        QStringLiteral("out"), QStringLiteral("cert: the file to write (PEM)."), QStringLiteral("FILE"));
    const QCommandLineOption replaceOpt(
        QStringLiteral("replace"), QStringLiteral("cert: replace the --out file when it exists."));
    const QCommandLineOption touchOpt(QStringLiteral("touch"),
        QStringLiteral("cert generate: the key's touch policy (never, always, cached)"),
        QStringLiteral("POLICY"));
    parser.addOptions({slotOpt, algOpt, outOpt, replaceOpt, touchOpt});
    const QCommandLineOption caFingerprintOpt(QStringLiteral("ca-fingerprint"),
        QStringLiteral("bank enrol: the bank CA's SHA-256 fingerprint as bankctl printed it."),
        QStringLiteral("HEX"));
    parser.addOption(caFingerprintOpt);

    if (!parser.parse(arguments)) {
        m_json = arguments.contains(QStringLiteral("--json"));
        QString text = parser.errorText();
        if (text.contains(QStringLiteral("Unknown option"))
            && arguments.join(QLatin1Char(' ')).contains(QStringLiteral(" -"))) {
            text += QStringLiteral(" (amounts are positive, e.g. 12.34)");
        }
        return fail(core::makeError(core::ErrorCode::InvalidInput, text));
    }
    if (parser.isSet(QStringLiteral("help"))) {
        out(parser.helpText());
        return 0;
    }
    if (parser.isSet(QStringLiteral("version"))) {
        out(QStringLiteral("walletctl ") + QCoreApplication::applicationVersion()); // from CMake (main.cpp)
        return 0;
    }
    m_json = parser.isSet(jsonOpt);
    m_sim = parser.value(simOpt);
    m_inProcess = parser.isSet(inProcessOpt);
    m_nvmPath = parser.value(nvmOpt);
    m_dataDir = parser.isSet(dataOpt) ? parser.value(dataOpt)
                                      : QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    m_bankConfig = parser.value(bankOpt);
    m_permanent = parser.isSet(permanentOpt);
    m_yes = parser.isSet(yesOpt);
    m_history.type = parser.value(typeOpt);
    m_history.from = parser.value(fromOpt);
    m_history.to = parser.value(toOpt);
    m_history.limit = parser.value(limitOpt);
    m_history.offset = parser.value(offsetOpt);
    m_cert.slot = parser.value(slotOpt);
    m_cert.alg = parser.value(algOpt);
    m_cert.out = parser.value(outOpt);
    m_cert.replace = parser.isSet(replaceOpt);
    m_cert.touch = parser.value(touchOpt);
    m_caFingerprint = parser.value(caFingerprintOpt);

    const QStringList pos = parser.positionalArguments();
    if (pos.isEmpty()) {
        err(QStringLiteral("walletctl: no command given; try walletctl --help"));
        return static_cast<int>(ExitCode::Usage);
    }
    const QString command = pos.first();
    const QStringList rest = pos.mid(1);
    if (command == QStringLiteral("info")) {
        return cmdInfo();
    }
    if (command == QStringLiteral("pin")) {
        return cmdPin(rest);
    }
    if (command == QStringLiteral("app")) {
        return cmdApp(rest);
    }
    if (command == QStringLiteral("balance")) {
        return cmdBalance();
    }
    if (command == QStringLiteral("load")) {
        return cmdLoad(rest);
    }
    if (command == QStringLiteral("purchase")) {
        return cmdPurchase(rest);
    }
    if (command == QStringLiteral("pay")) {
        return cmdPay(rest);
    }
    if (command == QStringLiteral("history")) {
        return cmdHistory(rest);
    }
    if (command == QStringLiteral("export")) {
        return cmdExport(rest);
    }
    if (command == QStringLiteral("issue")) {
        return cmdIssue(rest);
    }
    if (command == QStringLiteral("settle")) {
        return cmdSettle(rest);
    }
    if (command == QStringLiteral("pending")) {
        return cmdPending(rest);
    }
    if (command == QStringLiteral("cert")) {
        return cmdCert(rest);
    }
    if (command == QStringLiteral("bank")) {
        return cmdBank(rest);
    }
    err(QStringLiteral("walletctl: unknown command \"%1\"; try walletctl --help").arg(command));
    return static_cast<int>(ExitCode::Usage);
}

ExitCode CliApp::exitCodeFor(core::ErrorCode code)
{
    using core::ErrorCode;
    switch (code) {
    case ErrorCode::None:
        return ExitCode::Ok;
    case ErrorCode::InvalidInput:
    case ErrorCode::AmountOverflow:
    case ErrorCode::WrongPassphrase: // set WALLETCTL_PASSPHRASE to the right one
        return ExitCode::Usage;
    case ErrorCode::NoDevice:
    case ErrorCode::PermissionDenied:
    case ErrorCode::DeviceBusy:
    case ErrorCode::Timeout:
    case ErrorCode::Disconnected:
    case ErrorCode::ProtocolError:
    case ErrorCode::Cancelled:
        return ExitCode::NoKey;
    case ErrorCode::Declined:
    case ErrorCode::BankUnreachable: // nothing arrived at the bank: nothing moved
        return ExitCode::Declined;
    case ErrorCode::StorageError:
        return ExitCode::Storage;
    case ErrorCode::BadMac:
    case ErrorCode::VerificationFailed:
    case ErrorCode::CryptoError:
        return ExitCode::Security;
    case ErrorCode::Internal:
        return ExitCode::Internal;
    case ErrorCode::OutcomeUnknown:
        return ExitCode::Unknown;
    default:
        return ExitCode::Refused;
    }
}

int CliApp::fail(const core::Error& error)
{
    const ExitCode code = exitCodeFor(error.code);
    if (m_json) {
        QJsonObject o{{QStringLiteral("ok"), false},
            {QStringLiteral("error"), error.detail},
            {QStringLiteral("exitCode"), static_cast<int>(code)}};
        if (error.statusWord != 0) {
            o.insert(QStringLiteral("statusWord"),
                QStringLiteral("%1").arg(error.statusWord, 4, 16, QLatin1Char('0')).toUpper());
        }
        if (error.triesLeft >= 0) {
            o.insert(QStringLiteral("triesLeft"), error.triesLeft);
        }
        out(QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact)));
    } else {
        err(QStringLiteral("walletctl: ") + error.detail);
    }
    return static_cast<int>(code);
}

void CliApp::emitResult(const QJsonObject& json, const QString& text)
{
    if (m_json) {
        QJsonObject o = json;
        o.insert(QStringLiteral("ok"), true);
        out(QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact)));
    } else {
        out(text);
    }
}

namespace {

QString yuan(core::Amount a)
{
    return a.toDisplayString();
}

} // namespace

core::Result<void> CliApp::confirmMoney(const QString& what, core::Amount amount, const QString& typed)
{
    // Issue 9 item 13: the amount as parsed is shown, and agreed to, before any APDU. "12,50" never loads
    // ¥1,250.00 unseen: it is refused by the parser, and what is accepted is echoed back in yuan and fen.
    const QString sentence = what.arg(yuan(amount));
    if (m_yes) {
        notice(QStringLiteral("%1 (from \"%2\"; confirmed by --yes).").arg(sentence, typed));
        return {};
    }
    if (!stdinIsTerminal()) {
        return core::makeError(core::ErrorCode::InvalidInput,
            QStringLiteral("%1 needs a confirmation: stdin is not a terminal, so add --yes; nothing was sent to "
                           "the key")
                .arg(sentence));
    }
    const QString answer = askLine(QStringLiteral("%1? Type \"yes\" to continue: ").arg(sentence));
    if (answer.compare(QStringLiteral("yes"), Qt::CaseInsensitive) != 0) {
        return core::makeError(
            core::ErrorCode::Cancelled, QStringLiteral("not confirmed; nothing was sent to the key"));
    }
    return {};
}

void CliApp::notice(const QString& text)
{
    err(text); // notices go to stderr so that --json output stays machine-readable
}

core::Result<std::unique_ptr<core::ApduChannel>> CliApp::openChannel()
{
    if (m_inProcess) {
        QString path = m_nvmPath;
        if (path.isEmpty()) {
            QDir().mkpath(m_dataDir);
            path = QDir(m_dataDir).filePath(QStringLiteral("inprocess-key.nvm"));
        }
        auto key = std::make_unique<InProcessKey>(path);
        if (!key->loadError().isEmpty()) {
            return core::makeError(
                core::ErrorCode::NoDevice, QStringLiteral("in-process key image %1: %2").arg(path, key->loadError()));
        }
        m_channelNote = QStringLiteral("simulated key (in-process, state in %1)").arg(path);
        return std::unique_ptr<core::ApduChannel>(std::move(key));
    }
#ifdef WALLETCTL_HAVE_DEVICE
    if (!m_sim.isEmpty()) {
        const QStringList parts = m_sim.split(QLatin1Char(':'));
        bool portOk = false;
        const uint port = parts.size() == 2 ? parts[1].toUInt(&portOk) : 0;
        if (parts.size() != 2 || !portOk || port == 0 || port > 65535) {
            return core::makeError(
                core::ErrorCode::InvalidInput, QStringLiteral("--sim expects HOST:PORT, e.g. 127.0.0.1:21700"));
        }
        if (parts[0] != QStringLiteral("127.0.0.1") && parts[0] != QStringLiteral("localhost")) {
            return core::makeError(core::ErrorCode::InvalidInput,
                QStringLiteral("--sim: the simulator is reachable on loopback only (127.0.0.1)"));
        }
        m_channelNote = QStringLiteral("simulated key at 127.0.0.1:%1").arg(port);
        return std::unique_ptr<core::ApduChannel>(std::make_unique<device::HidApduChannel>(
            std::make_unique<device::UdpTransport>(static_cast<std::uint16_t>(port))));
    }
    auto keys = device::HidapiTransport::enumerate();
    if (keys && !keys->isEmpty()) {
        const auto& k = keys->first();
        if (!k.accessible) {
            return core::makeError(core::ErrorCode::PermissionDenied,
                QStringLiteral("a key is plugged in but this user may not open it. ")
                    + device::HidapiTransport::udevFixText());
        }
        m_channelNote = QStringLiteral("USB key %1").arg(k.path);
        return std::unique_ptr<core::ApduChannel>(
            std::make_unique<device::HidApduChannel>(std::make_unique<device::HidapiTransport>(k.path)));
    }
    // No key: the embedded simulated key, with its state kept in the data directory.
    const QString simDir = QDir(m_dataDir).filePath(QStringLiteral("simulator"));
    QDir().mkpath(simDir);
    device::SimulatorOptions options;
    options.dataDirectory = simDir;
    if (core::TerminalRoles::localBankIssuesKeys(m_dataDir, m_bankConfig)) {
        // Issued by the local bank host: KT from the development manufacturer key and the serial, as the bank
        // derives it (docs/firmware.md "Transport keys").
        options.transportKeyHex.clear();
        options.developmentLotSerial = true; // a serial of that manufacturer's lot
    }
    auto sim = std::make_unique<device::EmbeddedSimulator>(options);
    if (auto started = sim->start(); !started) {
        return started.error();
    }
    auto channel = sim->makeChannel();
    m_channelNote = QStringLiteral("no key found: using the embedded simulated key (state in %1)").arg(simDir);
    notice(QStringLiteral("Note: ") + m_channelNote + QStringLiteral("."));
    m_simulator = std::move(sim);
    return std::unique_ptr<core::ApduChannel>(std::move(channel));
#else
    return core::makeError(core::ErrorCode::NoDevice,
        QStringLiteral("this walletctl was built without the device layer; use --in-process"));
#endif
}

core::Result<void> CliApp::openRoles(bool needMirror, bool needMoneyFiles)
{
    core::TerminalRolesOptions options;
    options.dataDir = m_dataDir;
    QByteArray pass = qgetenv("WALLETCTL_PASSPHRASE");
    options.passphrase = core::toSecure(pass);
    pass.fill('\0');
    options.bankConfig = m_bankConfig;
    options.needMirror = needMirror;
    options.needMoneyFiles = needMoneyFiles;
    auto opened = m_roles.open(options);
    for (const QString& n : m_roles.notices()) {
        notice(n);
    }
    if (!opened) {
        core::Error e = opened.error();
        if (e.code == core::ErrorCode::WrongPassphrase) {
            e.detail += QStringLiteral(" (walletctl reads it from $WALLETCTL_PASSPHRASE)");
        }
        return e;
    }
    m_issuer = m_roles.localIssuer();
    m_bank = m_roles.bank();
    m_psam = m_roles.localPsam();
    m_mirror = m_roles.mirror();
    return {};
}

core::Result<void> CliApp::openPurse(bool needMoneyFiles)
{
    auto channel = openChannel();
    if (!channel) {
        return channel.error();
    }
    m_channel = std::move(*channel);
    if (auto r = openRoles(false, needMoneyFiles); !r) {
        return r.error();
    }
    m_purse = std::make_unique<core::PurseService>(*m_channel, m_roles.issuer(), m_roles.psam(), m_clock, m_mirror);
    auto card = m_purse->open(); // also settles what earlier runs left unknown, with the key's own proof
    if (!card) {
        return card.error();
    }
    notePending();
    return {};
}

void CliApp::notePending()
{
    if (!m_mirror || !m_purse) {
        return;
    }
    auto ops = m_mirror->pendingOperations(m_purse->card().device.serialHex(), false);
    if (!ops) {
        return;
    }
    int checking = 0;
    int disputed = 0;
    for (const auto& op : *ops) {
        checking += op.state == core::PendingState::Checking ? 1 : 0;
        disputed += op.state == core::PendingState::Disputed ? 1 : 0;
    }
    if (checking + disputed > 0) {
        notice(QStringLiteral("Note: this key has %1 operation(s) still being checked and %2 disputed; see walletctl "
                              "pending.")
                   .arg(checking)
                   .arg(disputed));
    }
}

template <typename R, typename F>
core::Result<R> CliApp::withPinIfNeeded(F&& run)
{
    // Try without the PIN; the key says 6982 when its policy needs it (nothing has moved at that point).
    auto first = run(nullptr);
    if (first || first.error().code != core::ErrorCode::PinRequired) {
        return first;
    }
    auto pin = readPin(QStringLiteral("PIN: "));
    if (!pin) {
        return pin.error();
    }
    return run(&*pin);
}

int CliApp::cmdInfo()
{
    auto channel = openChannel();
    if (!channel) {
        return fail(channel.error());
    }
    auto info = core::readDeviceInfo(**channel);
    if (!info) {
        return fail(info.error());
    }
    const bool simulated = m_inProcess || !m_sim.isEmpty() || m_simulator;
    const QString kind = simulated ? QStringLiteral("Simulated key") : QStringLiteral("Key");
    const QJsonObject json{{QStringLiteral("serial"), info->serialHex()},
        {QStringLiteral("firmware"), info->firmwareVersion()},
        {QStringLiteral("lifeCycle"), core::lifeCycleName(info->lifeCycle)},
        {QStringLiteral("hidProtocol"), info->hidProtocol},
        {QStringLiteral("capabilities"), info->capabilities},
        {QStringLiteral("simulated"), simulated},
        {QStringLiteral("channel"), (*channel)->description()}};
    emitResult(json,
        QStringLiteral("%1 — serial %2, firmware %3, %4")
            .arg(kind, info->serialHex(), info->firmwareVersion(), core::lifeCycleName(info->lifeCycle)));
    return 0;
}

int CliApp::cmdPin(const QStringList& args)
{
    const QString sub = args.value(0);
    if (args.size() == 1 && (sub == QStringLiteral("unblock") || sub == QStringLiteral("reload"))) {
        return cmdPinMaintenance(sub);
    }
    if (args.size() != 1 || (sub != QStringLiteral("verify") && sub != QStringLiteral("change"))) {
        return fail(core::makeError(core::ErrorCode::InvalidInput,
            QStringLiteral(
                "usage: walletctl pin verify|change|unblock|reload (the PIN is read from the terminal or stdin)")));
    }
    if (auto r = openPurse(); !r) {
        return fail(r.error());
    }
    if (sub == QStringLiteral("verify")) {
        auto pin = readPin(QStringLiteral("PIN: "));
        if (!pin) {
            return fail(pin.error());
        }
        if (auto v = m_purse->verifyPin(*pin); !v) {
            return fail(v.error());
        }
        emitResult({{QStringLiteral("verified"), true}}, QStringLiteral("PIN correct."));
        return 0;
    }
    auto oldPin = readPin(QStringLiteral("Current PIN: "));
    if (!oldPin) {
        return fail(oldPin.error());
    }
    auto newPin = readPin(QStringLiteral("New PIN: "));
    if (!newPin) {
        return fail(newPin.error());
    }
    auto again = readPin(QStringLiteral("New PIN again: "));
    if (!again) {
        return fail(again.error());
    }
    if (again->bcd() != newPin->bcd()) {
        return fail(
            core::makeError(core::ErrorCode::InvalidInput, QStringLiteral("the two new PINs differ; nothing changed")));
    }
    if (auto c = m_purse->changePin(*oldPin, *newPin); !c) {
        return fail(c.error());
    }
    emitResult({{QStringLiteral("changed"), true}}, QStringLiteral("PIN changed."));
    return 0;
}

int CliApp::cmdPinMaintenance(const QString& sub)
{
    if (auto r = openPurse(); !r) {
        return fail(r.error());
    }
    const bool tty = isatty(STDIN_FILENO) != 0;
    if (sub == QStringLiteral("unblock")) {
        // Spec §3: PIN UNBLOCK carries the card's own PIN (it must match); the issuer host encrypts and MACs it.
        auto pin = readPin(QStringLiteral("The card's PIN: "));
        if (!pin) {
            return fail(pin.error());
        }
        if (auto u = m_purse->unblockPin(*m_issuer, *pin); !u) {
            return fail(u.error());
        }
        auto status = m_purse->pinStatus();
        QJsonObject o{{QStringLiteral("unblocked"), true}};
        if (status) {
            o.insert(QStringLiteral("triesLeft"), status->triesLeft);
        }
        emitResult(o, QStringLiteral("PIN unblocked."));
        return 0;
    }
    auto newPin = readPin(QStringLiteral("New PIN: "));
    if (!newPin) {
        return fail(newPin.error());
    }
    if (tty) {
        auto again = readPin(QStringLiteral("New PIN again: "));
        if (!again) {
            return fail(again.error());
        }
        if (again->bcd() != newPin->bcd()) {
            return fail(core::makeError(
                core::ErrorCode::InvalidInput, QStringLiteral("the two new PINs differ; nothing changed")));
        }
    }
    if (auto r = m_purse->reloadPin(*m_issuer, *newPin); !r) {
        return fail(r.error());
    }
    auto status = m_purse->pinStatus();
    QJsonObject o{{QStringLiteral("reloaded"), true}};
    if (status) {
        o.insert(QStringLiteral("triesLeft"), status->triesLeft);
    }
    emitResult(o, QStringLiteral("New PIN set; the try counter is reset."));
    return 0;
}

int CliApp::cmdApp(const QStringList& args)
{
    const QString sub = args.value(0);
    if (args.size() != 1 || (sub != QStringLiteral("block") && sub != QStringLiteral("unblock"))
        || (m_permanent && sub != QStringLiteral("block")) || (m_yes && !m_permanent)) {
        return fail(core::makeError(core::ErrorCode::InvalidInput,
            QStringLiteral("usage: walletctl app block [--permanent [--yes]] | app unblock")));
    }
    if (auto r = openPurse(); !r) {
        return fail(r.error());
    }
    if (sub == QStringLiteral("unblock")) {
        if (auto r = m_purse->unblockApplication(*m_issuer); !r) {
            return fail(r.error());
        }
        emitResult({{QStringLiteral("blocked"), false}}, QStringLiteral("Purse unblocked."));
        return 0;
    }
    if (m_permanent && !m_yes) {
        // Irreversible: a person types the word; a script says --yes. Nothing is sent otherwise.
        if (isatty(STDIN_FILENO) == 0) {
            return fail(core::makeError(core::ErrorCode::InvalidInput,
                QStringLiteral("a permanent block cannot be undone: confirm with --yes (stdin is not a terminal);"
                               " nothing was changed")));
        }
        QTextStream(stderr) << QStringLiteral("This blocks purse %1 for good: it can never be used or unblocked "
                                              "again, and its balance stays on it. Type \"block\" to continue: ")
                                   .arg(m_purse->card().asnHex())
                            << Qt::flush;
        const QString answer = QTextStream(stdin).readLine().trimmed();
        if (answer != QStringLiteral("block")) {
            return fail(
                core::makeError(core::ErrorCode::Cancelled, QStringLiteral("not confirmed; nothing was changed")));
        }
    }
    if (auto r = m_purse->blockApplication(*m_issuer, m_permanent); !r) {
        return fail(r.error());
    }
    emitResult({{QStringLiteral("blocked"), true}, {QStringLiteral("permanent"), m_permanent}},
        m_permanent ? QStringLiteral("Purse blocked permanently.")
                    : QStringLiteral("Purse blocked (temporarily; walletctl app unblock lifts it)."));
    return 0;
}

int CliApp::cmdBank(const QStringList& args)
{
    if (args.value(0) != QStringLiteral("enrol") || args.size() < 2 || args.size() > 3) {
        return fail(core::makeError(core::ErrorCode::InvalidInput,
            QStringLiteral("usage: walletctl bank enrol URL [CODE|-] [--ca-fingerprint HEX]")));
    }
    QString code = args.value(2);
    if (code.isEmpty() || code == QStringLiteral("-")) {
        if (::isatty(STDIN_FILENO)) {
            err(QStringLiteral("Enrolment code:"));
        }
        code = QTextStream(stdin).readLine().trimmed();
    }
    auto enrolled = core::enrolTerminal(QUrl(args[1]), code, m_caFingerprint, m_dataDir);
    if (!enrolled) {
        return fail(enrolled.error());
    }
    emitResult({{QStringLiteral("terminalId"), enrolled->terminalId},
                   {QStringLiteral("kind"), enrolled->kind},
                   {QStringLiteral("caFingerprint"), enrolled->caFingerprint},
                   {QStringLiteral("notAfter"), enrolled->notAfter},
                   {QStringLiteral("config"), enrolled->configFile}},
        QStringLiteral("Enrolled as %1 terminal %2 (certificate valid until %3).\nBank CA pinned, SHA-256 %4%5\n"
                       "Configuration: %6")
            .arg(enrolled->kind,
                enrolled->terminalId,
                enrolled->notAfter,
                enrolled->caFingerprint,
                m_caFingerprint.isEmpty() ? QStringLiteral(" (trusted on first use: compare it with the bank's)")
                                          : QStringLiteral(" (as expected)"),
                enrolled->configFile));
    return 0;
}

int CliApp::cmdBalance()
{
    if (auto r = openPurse(false); !r) {
        return fail(r.error());
    }
    auto bal = m_purse->balance();
    if (!bal) {
        return fail(bal.error());
    }
    emitResult({{QStringLiteral("balance"), bal->toString()},
                   {QStringLiteral("balanceFen"), static_cast<qint64>(bal->fen())},
                   {QStringLiteral("asn"), m_purse->card().asnHex()}},
        QStringLiteral("Balance: %1").arg(yuan(*bal)));
    return 0;
}

int CliApp::cmdLoad(const QStringList& args)
{
    auto amount = amountArgument(args,
        QStringLiteral("usage: walletctl load AMOUNT (e.g. 12.34)"),
        QStringLiteral("the amount to load must be above 0.00"));
    if (!amount) {
        return fail(amount.error());
    }
    if (auto ok = confirmMoney(QStringLiteral("Load %1 onto the key"), *amount, args.value(0)); !ok) {
        return fail(ok.error());
    }
    if (auto r = openPurse(); !r) {
        return fail(r.error());
    }
    auto result = withPinIfNeeded<core::LoadResult>([&](const core::Pin* pin) { return m_purse->load(*amount, pin); });
    if (!result) {
        return fail(result.error());
    }
    if (m_mirror) {
        (void)m_purse->syncMirror();
    }
    emitResult({{QStringLiteral("amount"), result->amount.toString()},
                   {QStringLiteral("balance"), result->balanceAfter.toString()},
                   {QStringLiteral("atc"), result->atc},
                   {QStringLiteral("tac"), QString::fromLatin1(result->tac.toHex().toUpper())},
                   {QStringLiteral("recovered"), result->recovered}},
        QStringLiteral("Loaded %1. Balance %2.%3")
            .arg(yuan(result->amount),
                yuan(result->balanceAfter),
                result->recovered ? QStringLiteral(" (completed after a lost connection)") : QString()));
    return 0;
}

int CliApp::cmdPurchase(const QStringList& args)
{
    auto amount = amountArgument(args,
        QStringLiteral("usage: walletctl purchase AMOUNT (e.g. 12.34)"),
        QStringLiteral("the amount to pay must be above 0.00"));
    if (!amount) {
        return fail(amount.error());
    }
    // The local PSAM holds the public demo purchase key: a test tool (SKEY_WALLET_LOCAL_ISSUER=1, test banks with the
    // demo keys, a legacy local bank folder). A key the wallet's local bank issued pays merchants' orders through the
    // bank's acquirer (docs/bank.md §12 "walletctl purchase").
    if (core::TerminalRoles::localBankIssuesKeys(m_dataDir, m_bankConfig)) {
        return fail(core::makeError(core::ErrorCode::InvalidState,
            QStringLiteral("walletctl purchase pays a local test PSAM with the public demo keys, which a key issued by "
                           "this wallet's local bank does not accept: pay a merchant's order with `walletctl pay "
                           "<link|code>` instead; nothing was sent to the key")));
    }
    if (auto ok = confirmMoney(QStringLiteral("Pay %1 from the key"), *amount, args.value(0)); !ok) {
        return fail(ok.error());
    }
    if (auto r = openPurse(); !r) {
        return fail(r.error());
    }
    auto result
        = withPinIfNeeded<core::PurchaseResult>([&](const core::Pin* pin) { return m_purse->purchase(*amount, pin); });
    if (!result) {
        return fail(result.error());
    }
    if (m_mirror) {
        (void)m_purse->syncMirror();
    }
    emitResult({{QStringLiteral("amount"), result->amount.toString()},
                   {QStringLiteral("balance"), result->balanceAfter.toString()},
                   {QStringLiteral("atc"), result->atc},
                   {QStringLiteral("tsn"), static_cast<qint64>(result->tsn)},
                   {QStringLiteral("tac"), QString::fromLatin1(result->tac.toHex().toUpper())},
                   {QStringLiteral("recovered"), result->recovered}},
        QStringLiteral("Paid %1. Balance %2.%3")
            .arg(yuan(result->amount),
                yuan(result->balanceAfter),
                result->recovered ? QStringLiteral(" (completed after a lost connection)") : QString()));
    return 0;
}

int CliApp::cmdPay(const QStringList& args)
{
    if (args.size() != 1) {
        return fail(core::makeError(core::ErrorCode::InvalidInput,
            QStringLiteral("usage: walletctl pay smartkey://pay/<order id> | CODE (like K7QM-4XPA)")));
    }
    QString linkId;
    auto path = core::orderPathOf(args.first(), &linkId);
    if (!path) {
        return fail(path.error());
    }
    if (auto r = openRoles(false); !r) {
        return fail(r.error());
    }
    if (!m_bank) {
        return fail(core::makeError(core::ErrorCode::InvalidInput,
            QStringLiteral("paying a merchant's order needs the bank host: give --bank-config or put bank-client.json "
                           "in the data folder")));
    }
    // 1. The order as the bank signed it, checked against the pinned bank CA; refused before any APDU.
    const auto fetchOrder = [&]() -> core::Result<core::MerchantOrder> {
        auto fetched = m_bank->get(*path);
        if (!fetched) {
            return fetched.error();
        }
        if (!fetched->ok()) {
            return core::problemError(*fetched, QStringLiteral("the bank has no such order"));
        }
        auto o
            = core::verifySignedOrder(fetched->body, m_bank->client().pinnedCaDer(), QDateTime::currentDateTimeUtc());
        if (o && !linkId.isEmpty() && o->orderId != linkId) {
            return core::makeError(core::ErrorCode::VerificationFailed,
                QStringLiteral("the bank answered another order than the link's; nothing was sent to the key"));
        }
        return o;
    };
    auto order = fetchOrder();
    if (!order) {
        return fail(order.error());
    }
    const auto openKey = [&]() -> core::Result<void> {
        auto channel = openChannel();
        if (!channel) {
            return channel.error();
        }
        m_channel = std::move(*channel);
        m_orderPsam = std::make_unique<core::BankOrderPsam>(*m_bank, *order);
        core::PursePolicy policy;
        policy.merchantName = order->merchantName;
        m_purse = std::make_unique<core::PurseService>(
            *m_channel, m_roles.issuer(), *m_orderPsam, m_clock, m_mirror, std::move(policy));
        // Also settles what an earlier payment left unknown, on the key's own evidence (never on balances).
        if (auto card = m_purse->open(); !card) {
            return card.error();
        }
        notePending();
        return {};
    };
    if (order->state == QStringLiteral("checking")) {
        // An earlier attempt is unresolved: the key's evidence settles it (paid, or released), then look again.
        if (auto k = openKey(); !k) {
            return fail(k.error());
        }
        order = fetchOrder();
        if (!order) {
            return fail(order.error());
        }
    }
    if (auto ok = core::checkPayable(*order, QDateTime::currentDateTimeUtc()); !ok) {
        return fail(ok.error());
    }
    // 2. Merchant, amount and reference from the signed payload, agreed to before any APDU.
    QString merchant = order->merchantName;
    merchant.replace(
        QLatin1Char('%'), QChar(char16_t(0xFF05))); // the sentence goes through .arg(): no placeholder from it
    notice(QStringLiteral("Order %1 from %2: %3%4")
               .arg(order->reference,
                   order->merchantName,
                   yuan(order->amount),
                   order->description.isEmpty() ? QString()
                                                : QStringLiteral(" (") + order->description + QLatin1Char(')')));
    QString reference = order->reference;
    reference.replace(QLatin1Char('%'), QChar(char16_t(0xFF05)));
    if (auto ok = confirmMoney(QStringLiteral("Pay %1 to ") + merchant + QStringLiteral(" for order ") + reference,
            order->amount,
            args.first());
        !ok) {
        return fail(ok.error());
    }
    // 3. The key: PIN as its policy says, DEBIT with the bank's MAC1, then the bank verifies MAC2 and the TAC.
    if (!m_purse) {
        if (auto k = openKey(); !k) {
            return fail(k.error());
        }
    }
    if (order->cardholderSignatureRequired) {
        // Issue 14: the bank wants the cardholder identified: the key signs the order with PIV slot 9A (the PIV PIN
        // as the slot's policy says), before INITIALIZE FOR PURCHASE (selecting PIV would end its session).
        notice(QStringLiteral("The bank asks the key to sign this payment with its certificate (PIV slot 9A)."));
        core::piv::CertificateService certs(*m_channel);
        if (auto o = certs.open(); !o) {
            return fail(o.error());
        }
        const core::piv::PinProvider pin = [] { return readSecretLine(QStringLiteral("PIV PIN: ")); };
        auto signature = certs.signPaymentOrder(*order, m_purse->card().asnHex(), pin);
        if (!signature) {
            core::Error e = signature.error();
            e.detail += QStringLiteral(" (the payment needs the key's certificate; nothing was paid)");
            return fail(e);
        }
        m_orderPsam->setCardholderSignature(*signature);
    }
    auto result = withPinIfNeeded<core::PurchaseResult>(
        [&](const core::Pin* pin) { return m_purse->purchase(order->amount, pin); });
    if (!result) {
        core::Error e = result.error();
        if (e.code == core::ErrorCode::OutcomeUnknown) {
            e.detail += QStringLiteral(" The order shows \"checking\" meanwhile; it is never paid twice.");
        }
        return fail(e);
    }
    if (m_mirror) {
        (void)m_purse->syncMirror();
    }
    const QJsonObject& receipt = m_orderPsam->receipt();
    const QString tac = QString::fromLatin1(result->tac.toHex().toUpper());
    emitResult({{QStringLiteral("orderId"), order->orderId},
                   {QStringLiteral("merchant"), order->merchantName},
                   {QStringLiteral("reference"), order->reference},
                   {QStringLiteral("amount"), result->amount.toString()},
                   {QStringLiteral("balance"), result->balanceAfter.toString()},
                   {QStringLiteral("purchaseId"), receipt.value(QStringLiteral("purchaseId")).toString()},
                   {QStringLiteral("state"), receipt.value(QStringLiteral("state")).toString()},
                   {QStringLiteral("tsn"), static_cast<qint64>(result->tsn)},
                   {QStringLiteral("tac"), tac},
                   {QStringLiteral("recovered"), result->recovered}},
        QStringLiteral("Paid %1 to %2 for order %3. TAC %4, terminal TSN %5. Balance %6.%7")
            .arg(yuan(result->amount),
                order->merchantName,
                order->reference,
                tac,
                QString::number(result->tsn),
                yuan(result->balanceAfter),
                result->recovered ? QStringLiteral(" (completed after a lost connection)") : QString()));
    return 0;
}

namespace {

core::Result<core::HistoryQuery> parseQuery(
    const QString& type, const QString& from, const QString& to, const QString& limit, const QString& offset)
{
    core::HistoryQuery q;
    if (type == QStringLiteral("load")) {
        q.type = core::TransactionType::Load;
    } else if (type == QStringLiteral("purchase")) {
        q.type = core::TransactionType::Purchase;
    } else if (!type.isEmpty()) {
        return core::makeError(core::ErrorCode::InvalidInput, QStringLiteral("--type is load or purchase"));
    }
    for (const auto& [text, slot] : {std::pair{from, &q.from}, std::pair{to, &q.to}}) {
        if (!text.isEmpty()) {
            const QDate d = QDate::fromString(text, Qt::ISODate);
            if (!d.isValid()) {
                return core::makeError(
                    core::ErrorCode::InvalidInput, QStringLiteral("\"%1\" is not a date YYYY-MM-DD").arg(text));
            }
            *slot = d;
        }
    }
    bool ok = true;
    if (!limit.isEmpty()) {
        q.limit = limit.toInt(&ok);
        if (!ok || q.limit < 1 || q.limit > 1000) {
            return core::makeError(core::ErrorCode::InvalidInput, QStringLiteral("--limit is 1..1000"));
        }
    }
    if (!offset.isEmpty()) {
        q.offset = offset.toInt(&ok);
        if (!ok || q.offset < 0) {
            return core::makeError(core::ErrorCode::InvalidInput, QStringLiteral("--offset is 0 or more"));
        }
    }
    return q;
}

} // namespace

int CliApp::cmdHistory(const QStringList& args)
{
    if (!args.isEmpty()) {
        return fail(core::makeError(core::ErrorCode::InvalidInput,
            QStringLiteral("usage: walletctl history [--type ..] [--from ..] [--to ..] [--limit N] [--offset N]")));
    }
    auto query = parseQuery(m_history.type, m_history.from, m_history.to, m_history.limit, m_history.offset);
    if (!query) {
        return fail(query.error());
    }
    if (auto r = openPurse(false); !r) {
        return fail(r.error());
    }
    if (!m_mirror) {
        return fail(m_roles.mirrorError());
    }
    if (auto s = m_purse->syncMirror(); !s) {
        notice(QStringLiteral("Warning: could not read the key's log: ") + s.error().detail);
    }
    query->tokenSerial = m_purse->card().device.serialHex();
    auto rows = m_mirror->history(*query);
    if (!rows) {
        return fail(rows.error());
    }
    QJsonArray arr;
    QStringList lines;
    for (const auto& t : *rows) {
        arr.append(QJsonObject{{QStringLiteral("type"), core::transactionTypeName(t.type)},
            {QStringLiteral("atc"), t.atc},
            {QStringLiteral("amount"), t.amount.toString()},
            {QStringLiteral("dateTime"), t.when.toString(Qt::ISODate)},
            {QStringLiteral("terminalId"), QString::fromLatin1(t.terminalId.toHex().toUpper())},
            {QStringLiteral("tac"), QString::fromLatin1(t.tac.toHex().toUpper())},
            {QStringLiteral("madeHere"), t.madeHere}});
        lines << QStringLiteral("%1  %2  %3  #%4")
                     .arg(t.when.toString(QStringLiteral("yyyy-MM-dd hh:mm:ss")),
                         core::transactionTypeName(t.type).leftJustified(8),
                         (t.type == core::TransactionType::Load ? QStringLiteral("+") : QStringLiteral("-"))
                             + yuan(t.amount),
                         QString::number(t.atc));
    }
    emitResult({{QStringLiteral("transactions"), arr}},
        lines.isEmpty() ? QStringLiteral("No transactions.") : lines.join(QLatin1Char('\n')));
    return 0;
}

int CliApp::cmdExport(const QStringList& args)
{
    if (args.size() != 1) {
        return fail(core::makeError(core::ErrorCode::InvalidInput, QStringLiteral("usage: walletctl export FILE.csv")));
    }
    auto query = parseQuery(m_history.type, m_history.from, m_history.to, QString(), QString());
    if (!query) {
        return fail(query.error());
    }
    if (auto r = openPurse(false); !r) {
        return fail(r.error());
    }
    if (!m_mirror) {
        return fail(m_roles.mirrorError());
    }
    (void)m_purse->syncMirror();
    query->tokenSerial = m_purse->card().device.serialHex();
    auto n = m_mirror->exportCsv(*query, args[0]);
    if (!n) {
        return fail(n.error());
    }
    emitResult({{QStringLiteral("rows"), *n}, {QStringLiteral("file"), args[0]}},
        QStringLiteral("Exported %1 transactions to %2.").arg(*n).arg(args[0]));
    return 0;
}

int CliApp::cmdIssue(const QStringList& args)
{
    if (args.size() != 1) {
        return fail(
            core::makeError(core::ErrorCode::InvalidInput, QStringLiteral("usage: walletctl issue PROFILE.json")));
    }
    auto profile = core::IssuanceProfile::fromFile(args[0]);
    if (!profile) {
        return fail(profile.error());
    }
    auto channel = openChannel();
    if (!channel) {
        return fail(channel.error());
    }
    m_channel = std::move(*channel);
    if (auto r = openRoles(false); !r) {
        return fail(r.error());
    }
    // By default the wallet's own local bank host issues it (docs/bank.md §12 "Self-service demo issuance").
    auto issued = m_roles.issueKey(*m_channel, *profile);
    if (!issued) {
        return fail(issued.error());
    }
    const QString asn = QString::fromLatin1(issued->asn.toHex().toUpper());
    if (m_roles.issuesThroughConfiguredBank()) {
        // Issued by the configured bank: its funding account is the bank's, funded there (nothing deposited here).
        emitResult({{QStringLiteral("asn"), asn},
                       {QStringLiteral("serial"), QString::fromLatin1(issued->deviceSerial.toHex().toUpper())},
                       {QStringLiteral("issuedBy"), QStringLiteral("bank")}},
            QStringLiteral(
                "Issued key %1 (ASN %2) through the bank's issuance API; its funding account is at the bank.")
                .arg(QString::fromLatin1(issued->deviceSerial.toHex().toUpper()), asn));
        return 0;
    }
    emitResult({{QStringLiteral("asn"), asn},
                   {QStringLiteral("serial"), QString::fromLatin1(issued->deviceSerial.toHex().toUpper())},
                   {QStringLiteral("algorithm"),
                       profile->algorithm == core::Algorithm::Sm4 ? QStringLiteral("SM4") : QStringLiteral("3DES")},
                   {QStringLiteral("funding"), profile->initialFunding.toString()}},
        QStringLiteral("Issued key %1 (ASN %2, %3). Funding account opened with %4.")
            .arg(QString::fromLatin1(issued->deviceSerial.toHex().toUpper()),
                asn,
                profile->algorithm == core::Algorithm::Sm4 ? QStringLiteral("SM4") : QStringLiteral("3DES"),
                yuan(profile->initialFunding)));
    return 0;
}

int CliApp::cmdSettle(const QStringList& args)
{
    if (args.size() != 1) {
        return fail(
            core::makeError(core::ErrorCode::InvalidInput, QStringLiteral("usage: walletctl settle FILE.json")));
    }
    if (auto r = openRoles(false); !r) {
        return fail(r.error());
    }
    // The acquirer's check before anything leaves: every TAC must verify with the TAC master key; a bad one is
    // set aside and reported, the others are written durably and only then marked settled (issue 9 item 16).
    const core::SettlementVerifier acquirer(m_roles.keys().mtk);
    auto report = core::SettlementExport::run(*m_psam, acquirer, args[0]);
    if (!report) {
        return fail(report.error());
    }
    QJsonArray aside;
    for (const auto& a : report->setAside) {
        aside.append(QJsonObject{{QStringLiteral("tsn"), static_cast<qint64>(a.record.tsn)},
            {QStringLiteral("asn"), QString::fromLatin1(a.record.asn.toHex().toUpper())},
            {QStringLiteral("amount"), a.record.amount.toString()},
            {QStringLiteral("reason"), a.why.detail}});
        notice(QStringLiteral("Warning: purchase TSN %1 (%2) set aside, not exported: %3")
                   .arg(a.record.tsn)
                   .arg(yuan(a.record.amount), a.why.detail));
    }
    const core::Amount sum(
        static_cast<std::uint32_t>(std::min<std::uint64_t>(report->totalFen, core::Amount::kMaxFen)));
    emitResult({{QStringLiteral("purchases"), static_cast<qint64>(report->exported.size())},
                   {QStringLiteral("total"), sum.toString()},
                   {QStringLiteral("file"), args[0]},
                   {QStringLiteral("setAside"), aside}},
        QStringLiteral("Settled %1 purchases, %2 in total, to %3 (every TAC verified)%4.")
            .arg(report->exported.size())
            .arg(yuan(sum), args[0])
            .arg(report->setAside.empty()
                    ? QString()
                    : QStringLiteral("; %1 set aside because their TAC did not verify").arg(report->setAside.size())));
    return 0;
}

int CliApp::cmdPending(const QStringList& args)
{
    if (!args.isEmpty()) {
        return fail(core::makeError(core::ErrorCode::InvalidInput, QStringLiteral("usage: walletctl pending")));
    }
    // No key needed: what this terminal noted as unknown (and how the key settled it), and the issuer's open and
    // disputed loads. A key's operations are settled by its next use (any walletctl command that opens it).
    if (auto r = openRoles(true, false); !r) {
        return fail(r.error());
    }
    QJsonArray ops;
    QStringList lines;
    auto noted = m_mirror->pendingOperations(QString(), false);
    if (!noted) {
        return fail(noted.error());
    }
    for (const auto& op : *noted) {
        ops.append(QJsonObject{{QStringLiteral("serial"), op.tokenSerial},
            {QStringLiteral("asn"), QString::fromLatin1(op.asn.toHex().toUpper())},
            {QStringLiteral("type"), core::transactionTypeName(op.type)},
            {QStringLiteral("atc"), op.atc},
            {QStringLiteral("amount"), op.amount.toString()},
            {QStringLiteral("terminalId"), QString::fromLatin1(op.terminalId.toHex().toUpper())},
            {QStringLiteral("state"), core::pendingStateName(op.state)},
            {QStringLiteral("reason"), op.reason},
            {QStringLiteral("created"), op.created.toString(Qt::ISODate)},
            {QStringLiteral("resolved"), op.resolved.isValid() ? op.resolved.toString(Qt::ISODate) : QString()}});
        lines << QStringLiteral("%1  key %2  %3 %4 #%5  %6 — %7")
                     .arg(op.created.toLocalTime().toString(QStringLiteral("yyyy-MM-dd hh:mm:ss")),
                         op.tokenSerial,
                         core::transactionTypeName(op.type),
                         yuan(op.amount),
                         QString::number(op.atc),
                         core::pendingStateName(op.state),
                         op.reason);
    }
    QJsonArray loads;
    if (m_issuer) {
        auto open = m_issuer->allPendingLoads();
        if (!open) {
            return fail(open.error());
        }
        for (const auto& l : *open) {
            const QString state = l.disputed ? QStringLiteral("disputed") : QStringLiteral("authorised");
            loads.append(QJsonObject{{QStringLiteral("asn"), QString::fromLatin1(l.asn.toHex().toUpper())},
                {QStringLiteral("atc"), l.onlineAtc},
                {QStringLiteral("amount"), l.amount.toString()},
                {QStringLiteral("state"), state},
                {QStringLiteral("note"), l.note}});
            lines << QStringLiteral("issuer: card %1 load %2 #%3 %4%5")
                         .arg(QString::fromLatin1(l.asn.toHex().toUpper()),
                             yuan(l.amount),
                             QString::number(l.onlineAtc),
                             l.disputed ? QStringLiteral("DISPUTED") : QStringLiteral("debited, waiting for the key"),
                             l.note.isEmpty() ? QString() : QStringLiteral(" — ") + l.note);
        }
    }
    QJsonArray bankLoads;
    if (m_bank) {
        auto open = m_bank->openLoads();
        if (!open) {
            return fail(open.error());
        }
        for (const auto& l : *open) {
            bankLoads.append(QJsonObject{{QStringLiteral("loadId"), l.loadId},
                {QStringLiteral("asn"), QString::fromLatin1(l.asn.toHex().toUpper())},
                {QStringLiteral("atc"), l.onlineAtc},
                {QStringLiteral("amount"), l.amount.toString()},
                {QStringLiteral("state"), l.state}});
            lines << QStringLiteral("bank: card %1 load %2 #%3 %4")
                         .arg(QString::fromLatin1(l.asn.toHex().toUpper()),
                             yuan(l.amount),
                             QString::number(l.onlineAtc),
                             l.state == QStringLiteral("disputed") ? QStringLiteral("DISPUTED")
                                                                   : QStringLiteral("debited, waiting for the key"));
        }
        auto requests = m_bank->openRequests();
        if (requests && *requests > 0) {
            lines << QStringLiteral("bank: %1 request(s) without an answer yet (sent again, same request id, at the "
                                    "key's next use)")
                         .arg(*requests);
        }
    }
    emitResult({{QStringLiteral("operations"), ops},
                   {QStringLiteral("issuerLoads"), loads},
                   {QStringLiteral("bankLoads"), bankLoads}},
        lines.isEmpty() ? QStringLiteral("Nothing pending.") : lines.join(QLatin1Char('\n')));
    return 0;
}

} // namespace wallet::app::cli
