// SPDX-License-Identifier: Apache-2.0
#include "device/EmbeddedSimulator.h"

#include "core/issuance/IssuanceProfile.h"
#include "core/issuance/Personaliser.h"
#include "core/process/ChildLifetime.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QStandardPaths>

Q_LOGGING_CATEGORY(lcSim, "wallet.device.simulator")

namespace wallet::device {

using core::ErrorCode;
using core::makeError;

EmbeddedSimulator::EmbeddedSimulator(SimulatorOptions options, QObject* parent)
    : QObject(parent)
    , m_options(std::move(options))
{ }

EmbeddedSimulator::~EmbeddedSimulator()
{
    stop();
}

QString EmbeddedSimulator::findExecutable(QStringList* searched)
{
    QStringList candidates;
    const QString env = qEnvironmentVariable("SKEY_SIM_PATH");
    if (!env.isEmpty()) {
        candidates << env;
    }
    if (QCoreApplication::instance()) {
        candidates << QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("skey-sim"));
    }
    // Then PATH (the installed smartkey-simulator package puts it in /usr/bin). Never a compiled-in build path:
    // the build tree links skey-sim beside smartkey-wallet and walletctl, and ctest sets SKEY_SIM_PATH.
    const QString onPath = QStandardPaths::findExecutable(QStringLiteral("skey-sim"));
    candidates << (onPath.isEmpty() ? QStringLiteral("$PATH/skey-sim") : onPath);
    if (searched) {
        *searched = candidates;
    }
    for (const auto& c : candidates) {
        const QFileInfo fi(c);
        if (fi.isFile() && fi.isExecutable()) {
            return fi.absoluteFilePath();
        }
    }
    return {};
}

QString EmbeddedSimulator::nvmPath() const
{
    return QDir(m_options.dataDirectory).filePath(QStringLiteral("token.nvm"));
}

bool EmbeddedSimulator::isRunning() const
{
    return m_process && m_process->state() == QProcess::Running && m_hidPort != 0;
}

QString EmbeddedSimulator::log() const
{
    if (m_process) {
        m_stderr.append(m_process->readAllStandardError());
    }
    return QString::fromUtf8(m_stderr);
}

core::Result<void> EmbeddedSimulator::start()
{
    if (isRunning()) {
        return {};
    }
    QStringList searched;
    const QString exe = m_options.executable.isEmpty() ? findExecutable(&searched) : m_options.executable;
    if (exe.isEmpty() || !QFileInfo(exe).isExecutable()) {
        return makeError(ErrorCode::NoDevice,
            QStringLiteral("the key simulator (skey-sim) was not found; looked in: %1. "
                           "Set SKEY_SIM_PATH to its location.")
                .arg(searched.isEmpty() ? exe : searched.join(QStringLiteral(", "))));
    }
    // A profile is read here, on the terminal's side: the simulator only holds a token (and its KT), and the key is
    // issued below through the real §6 APDUs over its HID port, as a branch terminal would over USB.
    std::optional<core::IssuanceProfile> profile;
    if (!m_options.profilePath.isEmpty()) {
        auto read = core::IssuanceProfile::fromFile(m_options.profilePath);
        if (!read) {
            return makeError(ErrorCode::InvalidInput,
                QStringLiteral("the simulated key's profile '%1' cannot be used: %2")
                    .arg(m_options.profilePath, read.error().detail));
        }
        profile = std::move(read.value());
    }
    // The KT a blank token is manufactured with goes on standard input, never on the command line.
    QByteArray ktHex = m_options.transportKeyHex.toLatin1();
    if (ktHex.isEmpty() && profile && !profile->transportKey.empty()) {
        ktHex = QByteArray(reinterpret_cast<const char*>(profile->transportKey.data()),
            static_cast<qsizetype>(profile->transportKey.size()))
                    .toHex()
                    .toUpper();
    }
    if (m_options.dataDirectory.isEmpty() || !QDir().mkpath(m_options.dataDirectory)) {
        return makeError(ErrorCode::StorageError,
            QStringLiteral("cannot create the simulator data directory '%1'").arg(m_options.dataDirectory));
    }
    if (m_options.developmentLotSerial && m_options.serialHex.isEmpty() && !QFile::exists(nvmPath())) {
        const quint32 low = QRandomGenerator::system()->generate();
        m_options.serialHex = QStringLiteral("534B0000%1").arg(low, 8, 16, QLatin1Char('0')).toUpper();
    }
    core::Result<void> started;
    if (profile && m_options.pcsc) {
        // Issued with PC/SC off first: pcscd powers the card on as soon as vpcd sees it, and a power-on ends the
        // personalisation session half-way. The NVM file keeps the issued token (and its serial) for the second run.
        started = launch(exe, false, ktHex);
        if (started) {
            started = issue(*profile);
        }
        if (started) {
            stop();
            started = launch(exe, true, ktHex);
        }
    } else {
        started = launch(exe, m_options.pcsc, ktHex);
        if (started && profile) {
            started = issue(*profile);
        }
    }
    ktHex.fill('\0');
    return started;
}

core::Result<void> EmbeddedSimulator::launch(const QString& exe, bool pcsc, const QByteArray& ktHex)
{
    QStringList args{QStringLiteral("--hid-port"),
        QStringLiteral("0"),
        QStringLiteral("--control-port"),
        QStringLiteral("0"),
        QStringLiteral("--nvm"),
        nvmPath(),
        QStringLiteral("--touch"),
        m_options.touchMode};
    if (!m_options.serialHex.isEmpty()) {
        args << QStringLiteral("--serial") << m_options.serialHex;
    }
    if (!ktHex.isEmpty()) {
        args << QStringLiteral("--kt-stdin");
    }
    if (m_options.seed) {
        args << QStringLiteral("--seed") << QString::number(*m_options.seed);
    }
    if (pcsc) {
        args << QStringLiteral("--pcsc");
    }
    args << m_options.extraArguments;

    delete m_process;
    m_process = new QProcess(this);
    m_stdout.clear();
    m_stderr.clear();
    m_hidPort = m_controlPort = 0;
    // The simulated key never outlives the wallet (issue 17 item 13), however the wallet ended (SIGKILL, a crash):
    // PR_SET_PDEATHSIG on Linux, a kill-on-close job object on Windows (core/process/ChildLifetime.h).
    core::ChildLifetime::prepare(*m_process);
    m_process->start(exe, args);
    if (!m_process->waitForStarted(5000)) {
        const QString why = m_process->errorString();
        delete m_process;
        m_process = nullptr;
        return makeError(ErrorCode::NoDevice, QStringLiteral("cannot start %1: %2").arg(exe, why));
    }
    if (!core::ChildLifetime::adopt(*m_process)) {
        qCWarning(lcSim) << "skey-sim is not tied to the wallet's life: it may outlive a wallet that crashes";
    }
    if (!ktHex.isEmpty()) {
        m_process->write(ktHex);
        m_process->write("\n");
    }
    m_process->closeWriteChannel();
    const QDeadlineTimer deadline(m_options.startTimeoutMs);
    while (!deadline.hasExpired()) {
        m_process->waitForReadyRead(static_cast<int>(std::min<qint64>(100, deadline.remainingTime())));
        m_stdout.append(m_process->readAllStandardOutput());
        m_stderr.append(m_process->readAllStandardError());
        // READY line: "SKEY-SIM READY hid=<port> control=<port> pcsc=<on|off> serial=<hex>"
        for (const QByteArray& line : m_stdout.split('\n')) {
            if (!line.startsWith("SKEY-SIM READY ")) {
                continue;
            }
            for (const QByteArray& field : line.mid(15).trimmed().split(' ')) {
                const int eq = field.indexOf('=');
                const QByteArray key = field.left(eq);
                const QByteArray value = field.mid(eq + 1);
                if (key == "hid") {
                    m_hidPort = static_cast<quint16>(value.toUInt());
                } else if (key == "control") {
                    m_controlPort = static_cast<quint16>(value.toUInt());
                } else if (key == "serial") {
                    m_serial = QString::fromLatin1(value);
                }
            }
        }
        if (m_hidPort != 0 && m_controlPort != 0) {
            connect(m_process, &QProcess::finished, this, [this](int code, QProcess::ExitStatus) {
                if (!m_stopping) {
                    qCWarning(lcSim) << "skey-sim exited unexpectedly with" << code;
                    emit exitedUnexpectedly(code, log());
                }
            });
            qCInfo(lcSim) << "skey-sim ready: HID 127.0.0.1:" << m_hidPort << "control" << m_controlPort;
            return {};
        }
        if (m_process->state() != QProcess::Running) {
            m_stderr.append(m_process->readAllStandardError());
            const int code = m_process->exitCode();
            const QString text = QString::fromUtf8(m_stderr).trimmed();
            delete m_process;
            m_process = nullptr;
            return makeError(
                ErrorCode::NoDevice, QStringLiteral("skey-sim exited with code %1: %2").arg(code).arg(text.right(600)));
        }
    }
    stop();
    return makeError(
        ErrorCode::Timeout, QStringLiteral("skey-sim did not report ready within %1 ms").arg(m_options.startTimeoutMs));
}

core::Result<void> EmbeddedSimulator::issue(const core::IssuanceProfile& profile)
{
    auto channel = makeChannel();
    if (auto hello = channel->connect(); !hello) {
        stop();
        return makeError(hello.error().code,
            QStringLiteral("the simulated key does not answer on its HID port: %1").arg(hello.error().detail));
    }
    auto issued = core::Personaliser(*channel).personalise(profile);
    channel->disconnect();
    if (!issued) {
        if (issued.error().code == ErrorCode::InvalidState) {
            qCInfo(lcSim) << "the simulated key is already issued; profile" << profile.name << "not applied";
            return {};
        }
        stop();
        return makeError(issued.error().code,
            QStringLiteral("the simulated key could not be issued from the profile '%1': %2")
                .arg(m_options.profilePath, issued.error().detail));
    }
    qCInfo(lcSim) << "simulated key issued from profile" << profile.name << "ASN" << issued->asn.toHex().toUpper();
    // Personalisation ends with a fresh power-on, as at the branch.
    if (auto reset = control().send(QStringLiteral("reset")); !reset) {
        stop();
        return makeError(reset.error().code,
            QStringLiteral("the simulated key did not power-cycle after issuance: %1").arg(reset.error().detail));
    }
    return {};
}

void EmbeddedSimulator::stop()
{
    if (!m_process) {
        return;
    }
    m_stopping = true;
    if (m_process->state() != QProcess::NotRunning) {
        m_process->terminate();
        if (!m_process->waitForFinished(3000)) {
            m_process->kill();
            m_process->waitForFinished(2000);
        }
    }
    m_stderr.append(m_process->readAllStandardError());
    delete m_process;
    m_process = nullptr;
    m_hidPort = m_controlPort = 0;
    m_stopping = false;
}

std::unique_ptr<UdpTransport> EmbeddedSimulator::makeTransport() const
{
    return std::make_unique<UdpTransport>(m_hidPort);
}

std::unique_ptr<HidApduChannel> EmbeddedSimulator::makeChannel(HidChannelOptions options) const
{
    return std::make_unique<HidApduChannel>(makeTransport(), options);
}

} // namespace wallet::device
