// SPDX-License-Identifier: Apache-2.0
#include "CliApp.h"

#include "InProcessKey.h"
#include "core/purse/DeviceInfo.h"

#include <QCommandLineParser>
#include <QDir>
#include <QJsonDocument>
#include <QStandardPaths>
#include <QTextStream>

#include <cstdio>

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
  balance                       the purse balance
  load AMOUNT                   load money (e.g. 12.34 = 12 yuan 34 fen) through the issuer host
  purchase AMOUNT               pay AMOUNT through the local PSAM
  history [--type load|purchase] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--limit N] [--offset N]
  export FILE.csv               export the mirrored history as CSV
  issue PROFILE.json            personalise a blank key from a profile
  settle FILE.json              export the PSAM's purchases (records + TAC) for the acquirer

Exit codes: 0 ok, 1 usage or bad input, 2 no key / transport, 3 refused by the key (PIN, blocked, balance, limit),
4 declined by the issuer host or PSAM, 5 storage (mirror, key store), 6 a MAC/TAC did not verify, 7 internal.)";

} // namespace

int CliApp::run(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("SmartKey Wallet command-line tool") +
                                     QString::fromLatin1(kHelpTail));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("Machine-readable JSON output."));
    const QCommandLineOption simOpt(QStringLiteral("sim"), QStringLiteral("Use a running simulator at HOST:PORT."),
                                    QStringLiteral("HOST:PORT"));
    const QCommandLineOption inProcessOpt(
        QStringLiteral("in-process"),
        QStringLiteral("Development aid: run a simulated key inside walletctl (state kept in --nvm)."));
    const QCommandLineOption nvmOpt(QStringLiteral("nvm"), QStringLiteral("NVM image file for --in-process."),
                                    QStringLiteral("FILE"));
    const QCommandLineOption dataOpt(QStringLiteral("data-dir"),
                                     QStringLiteral("Where the mirror, issuer ledger, PSAM state and key store live."),
                                     QStringLiteral("DIR"));
    parser.addOptions({jsonOpt, simOpt, inProcessOpt, nvmOpt, dataOpt});
    parser.setOptionsAfterPositionalArgumentsMode(QCommandLineParser::ParseAsOptions);
    parser.addPositionalArgument(QStringLiteral("command"), QStringLiteral("info, pin, balance, load, purchase, "
                                                                           "history, export, issue, settle"));
    // Command-specific options are declared here too so that one parser validates the whole line.
    const QCommandLineOption typeOpt(QStringLiteral("type"), QStringLiteral("history: load or purchase."),
                                     QStringLiteral("TYPE"));
    const QCommandLineOption fromOpt(QStringLiteral("from"), QStringLiteral("history: first day (YYYY-MM-DD)."),
                                     QStringLiteral("DATE"));
    const QCommandLineOption toOpt(QStringLiteral("to"), QStringLiteral("history: last day (YYYY-MM-DD)."),
                                   QStringLiteral("DATE"));
    const QCommandLineOption limitOpt(QStringLiteral("limit"), QStringLiteral("history: rows per page."),
                                      QStringLiteral("N"));
    const QCommandLineOption offsetOpt(QStringLiteral("offset"), QStringLiteral("history: rows to skip."),
                                       QStringLiteral("N"));
    parser.addOptions({typeOpt, fromOpt, toOpt, limitOpt, offsetOpt});

    if (!parser.parse(arguments)) {
        err(parser.errorText());
        return static_cast<int>(ExitCode::Usage);
    }
    if (parser.isSet(QStringLiteral("help"))) {
        out(parser.helpText());
        return 0;
    }
    if (parser.isSet(QStringLiteral("version"))) {
        out(QStringLiteral("walletctl 0.1.0"));
        return 0;
    }
    m_json = parser.isSet(jsonOpt);
    m_sim = parser.value(simOpt);
    m_inProcess = parser.isSet(inProcessOpt);
    m_nvmPath = parser.value(nvmOpt);
    m_dataDir = parser.isSet(dataOpt) ? parser.value(dataOpt)
                                      : QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    m_history.type = parser.value(typeOpt);
    m_history.from = parser.value(fromOpt);
    m_history.to = parser.value(toOpt);
    m_history.limit = parser.value(limitOpt);
    m_history.offset = parser.value(offsetOpt);

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
    if (command == QStringLiteral("balance")) {
        return cmdBalance();
    }
    if (command == QStringLiteral("load")) {
        return cmdLoad(rest);
    }
    if (command == QStringLiteral("purchase")) {
        return cmdPurchase(rest);
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
        return ExitCode::Declined;
    case ErrorCode::StorageError:
        return ExitCode::Storage;
    case ErrorCode::BadMac:
    case ErrorCode::VerificationFailed:
    case ErrorCode::CryptoError:
        return ExitCode::Security;
    case ErrorCode::Internal:
        return ExitCode::Internal;
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

core::Result<std::unique_ptr<core::ApduChannel>> CliApp::openChannel()
{
    if (m_inProcess || m_sim.isEmpty()) {
        // Until device/ provides the simulator transport, the in-process key is the only way; it says so.
        QString path = m_nvmPath;
        if (path.isEmpty()) {
            QDir().mkpath(m_dataDir);
            path = QDir(m_dataDir).filePath(QStringLiteral("inprocess-key.nvm"));
        }
        auto key = std::make_unique<InProcessKey>(path);
        if (!key->loadError().isEmpty()) {
            return core::makeError(core::ErrorCode::NoDevice,
                                   QStringLiteral("in-process key image %1: %2").arg(path, key->loadError()));
        }
        m_channelNote = QStringLiteral("Using the simulated key (in-process, state in %1)").arg(path);
        return std::unique_ptr<core::ApduChannel>(std::move(key));
    }
    return core::makeError(core::ErrorCode::NoDevice, QStringLiteral("--sim needs the device layer, not built"));
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
    const QJsonObject json{{QStringLiteral("serial"), info->serialHex()},
                           {QStringLiteral("firmware"), info->firmwareVersion()},
                           {QStringLiteral("lifeCycle"), core::lifeCycleName(info->lifeCycle)},
                           {QStringLiteral("hidProtocol"), info->hidProtocol},
                           {QStringLiteral("capabilities"), info->capabilities},
                           {QStringLiteral("simulated"), true},
                           {QStringLiteral("channel"), (*channel)->description()}};
    emitResult(json, QStringLiteral("Simulated key — serial %1, firmware %2, %3")
                         .arg(info->serialHex(), info->firmwareVersion(), core::lifeCycleName(info->lifeCycle)));
    return 0;
}

int CliApp::cmdPin(const QStringList&) { return fail(core::makeError(core::ErrorCode::Internal, QStringLiteral("pin: not built yet"))); }
int CliApp::cmdBalance() { return fail(core::makeError(core::ErrorCode::Internal, QStringLiteral("balance: not built yet"))); }
int CliApp::cmdLoad(const QStringList&) { return fail(core::makeError(core::ErrorCode::Internal, QStringLiteral("load: not built yet"))); }
int CliApp::cmdPurchase(const QStringList&) { return fail(core::makeError(core::ErrorCode::Internal, QStringLiteral("purchase: not built yet"))); }
int CliApp::cmdHistory(const QStringList&) { return fail(core::makeError(core::ErrorCode::Internal, QStringLiteral("history: not built yet"))); }
int CliApp::cmdExport(const QStringList&) { return fail(core::makeError(core::ErrorCode::Internal, QStringLiteral("export: not built yet"))); }
int CliApp::cmdIssue(const QStringList&) { return fail(core::makeError(core::ErrorCode::Internal, QStringLiteral("issue: not built yet"))); }
int CliApp::cmdSettle(const QStringList&) { return fail(core::makeError(core::ErrorCode::Internal, QStringLiteral("settle: not built yet"))); }

} // namespace wallet::app::cli
