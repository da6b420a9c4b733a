// SPDX-License-Identifier: Apache-2.0
#include "core/bank/LocalBankHost.h"
#include "core/bank/BankIssuance.h"

#include "core/bank/TerminalEnrolment.h"
#include "core/process/ChildLifetime.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QSaveFile>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QThread>

#if defined(Q_OS_LINUX)
#include <unistd.h>
#endif

namespace wallet::core {
namespace {
Q_LOGGING_CATEGORY(lcLocalBank, "wallet.bank.local")

// The markers of a ready local bank folder: made by this wallet (`--local-demo`), or by an older one that imported the
// public DEMO master keys into a `--test` folder (kept working as it is, docs/bank.md §12).
constexpr const char* kLocalDemoMarker = ".local-demo";
constexpr const char* kLegacyDemoKeysMarker = ".demo-keys";
constexpr int kStartTimeoutMs = 30000;

bool portAnswers(quint16 port)
{
    QTcpSocket s;
    s.connectToHost(QStringLiteral("127.0.0.1"), port);
    const bool ok = s.waitForConnected(1000);
    s.abort();
    return ok;
}
} // namespace

LocalBankHost::LocalBankHost(QString bankDir, QObject* parent)
    : QObject(parent)
    , m_dir(std::move(bankDir))
{ }

LocalBankHost::~LocalBankHost()
{
    stop();
}

QString LocalBankHost::findExecutable(const QString& name, QStringList* searched)
{
    QStringList candidates;
    const QString env
        = qEnvironmentVariable(name == QStringLiteral("bankctl") ? "SKEY_BANKCTL_PATH" : "SKEY_BANK_PATH");
    if (!env.isEmpty()) {
        candidates << env;
    }
    if (QCoreApplication::instance()) {
        candidates << QDir(QCoreApplication::applicationDirPath()).filePath(name);
    }
    const QString onPath = QStandardPaths::findExecutable(name);
    candidates << (onPath.isEmpty() ? QStringLiteral("$PATH/") + name : onPath);
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

QUrl LocalBankHost::url() const
{
    return QUrl(QStringLiteral("https://127.0.0.1:%1").arg(m_port));
}

QString LocalBankHost::clientConfigFile() const
{
    return QDir(m_dir).filePath(QLatin1String(kClientFolder) + QStringLiteral("/bank-client.json"));
}

qint64 LocalBankHost::processId() const
{
    return m_process ? m_process->processId() : 0;
}

Result<int> LocalBankHost::bankctl(QStringList args, QByteArray* out, QByteArray* err) const
{
    args << QStringLiteral("--data") << m_dir;
    QProcess p;
    p.start(m_bankctl, args);
    if (!p.waitForStarted(5000)) {
        return makeError(
            ErrorCode::StorageError, QStringLiteral("cannot start %1: %2").arg(m_bankctl, p.errorString()));
    }
    p.closeWriteChannel();
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished(2000);
        return makeError(ErrorCode::Timeout, QStringLiteral("bankctl %1 did not finish").arg(args.first()));
    }
    if (out) {
        *out = p.readAllStandardOutput();
    }
    const QByteArray e = p.readAllStandardError();
    if (err) {
        *err = e;
    }
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

bool LocalBankHost::legacyDemoKeys(const QString& bankDir)
{
    return QFile::exists(QDir(bankDir).filePath(QLatin1String(kLegacyDemoKeysMarker)));
}

bool LocalBankHost::legacyDemoKeys() const
{
    return legacyDemoKeys(m_dir);
}

Result<void> LocalBankHost::initialise()
{
    const QDir dir(m_dir);
    if (legacyDemoKeys() || QFile::exists(dir.filePath(QLatin1String(kLocalDemoMarker)))) {
        return {};
    }
    QByteArray out;
    QByteArray err;
    const auto run = [&](const QStringList& args, const QString& what) -> Result<void> {
        auto rc = bankctl(args, &out, &err);
        if (!rc) {
            return rc.error();
        }
        // A step a stopped first start did already ("present, kept", "holds mkt.v1 already") is done.
        if (*rc != 0 && !err.contains("already")) {
            return makeError(ErrorCode::StorageError,
                QStringLiteral("%1 in %2 failed: %3").arg(what, m_dir, QString::fromUtf8(err).trimmed()));
        }
        return {};
    };
    if (!QFile::exists(dir.filePath(QStringLiteral("bank.json")))) {
        qCInfo(lcLocalBank).noquote() << "creating the local bank host in" << m_dir;
        if (auto r = run({QStringLiteral("init"), QStringLiteral("--local-demo")}, QStringLiteral("bankctl init"));
            !r) {
            return r;
        }
    } else {
        QFile config(dir.filePath(QStringLiteral("bank.json")));
        if (!config.open(QIODevice::ReadOnly)
            || !QJsonDocument::fromJson(config.readAll()).object().value(QStringLiteral("localDemo")).toBool()) {
            return makeError(ErrorCode::StorageError,
                QStringLiteral("%1 holds a bank folder that is not this wallet's local demo bank: move it away (the "
                               "wallet then makes a new one), or configure that bank with bank-client.json")
                    .arg(m_dir));
        }
    }
    // The bank's own keys, generated in its token (never the public demo values), and the manufacturer key that
    // opens simulated keys, with their serial lot: the bank issues the wallet's simulated key (docs/bank.md §12).
    if (auto r = run({QStringLiteral("keys"), QStringLiteral("init")}, QStringLiteral("bankctl keys init")); !r) {
        return r;
    }
    if (auto r = run({QStringLiteral("keys"), QStringLiteral("manufacturer"), QStringLiteral("--development")},
            QStringLiteral("bankctl keys manufacturer"));
        !r) {
        return r;
    }
    QFile marker(dir.filePath(QLatin1String(kLocalDemoMarker)));
    if (!marker.open(QIODevice::WriteOnly)) {
        return makeError(ErrorCode::StorageError, QStringLiteral("cannot write %1").arg(marker.fileName()));
    }
    marker.write("LOCAL DEMO bank: master keys generated in its token, development manufacturer key (simulated keys "
                 "only)\n");
    return {};
}

bool LocalBankHost::reuseRunning()
{
    QFile f(QDir(m_dir).filePath(QLatin1String(kPortFile)));
    if (!f.open(QIODevice::ReadOnly)) {
        return false;
    }
    const QList<QByteArray> parts = f.readAll().trimmed().split(' ');
    if (parts.size() != 2) {
        return false;
    }
    const qint64 pid = parts[0].toLongLong();
    const auto port = static_cast<quint16>(parts[1].toUInt());
    if (pid <= 0 || port == 0 || !ChildLifetime::isRunning(pid) || !portAnswers(port)) {
        return false;
    }
    m_port = port;
    qCInfo(lcLocalBank) << "reusing the local bank host of another wallet program, pid" << pid << "port" << port;
    return true;
}

Result<void> LocalBankHost::launch()
{
    QStringList searched;
    const QString exe = findExecutable(QStringLiteral("skey-bank"), &searched);
    if (exe.isEmpty()) {
        return makeError(ErrorCode::BankUnreachable,
            QStringLiteral("the local bank host (skey-bank) was not found; looked in: %1. Set SKEY_BANK_PATH to its "
                           "location, or configure a bank (bank-client.json).")
                .arg(searched.join(QStringLiteral(", "))));
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
        m_process = new QProcess(this);
        m_process->setProcessChannelMode(QProcess::SeparateChannels);
        // The bank never outlives the wallet, however the wallet ends (SIGKILL, a crash too): ChildLifetime.h.
        ChildLifetime::prepare(*m_process);
        m_process->start(
            exe, {QStringLiteral("--data"), m_dir, QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0")});
        if (!m_process->waitForStarted(5000)) {
            const QString why = m_process->errorString();
            delete m_process;
            m_process = nullptr;
            return makeError(ErrorCode::BankUnreachable, QStringLiteral("cannot start %1: %2").arg(exe, why));
        }
        if (!ChildLifetime::adopt(*m_process)) {
            qCWarning(lcLocalBank)
                << "skey-bank is not tied to the wallet's life: it may outlive a wallet that crashes";
        }
        m_process->closeWriteChannel();
        QByteArray out;
        QByteArray err;
        const QDeadlineTimer deadline(kStartTimeoutMs);
        while (!deadline.hasExpired() && m_port == 0) {
            m_process->waitForReadyRead(100);
            out.append(m_process->readAllStandardOutput());
            err.append(m_process->readAllStandardError());
            for (const QByteArray& line : out.split('\n')) {
                if (line.startsWith("listening 127.0.0.1:")) {
                    m_port = static_cast<quint16>(line.mid(20).trimmed().toUInt());
                }
            }
            if (m_port == 0 && m_process->state() != QProcess::Running) {
                break;
            }
        }
        if (m_port != 0) {
            QSaveFile pf(QDir(m_dir).filePath(QLatin1String(kPortFile)));
            if (pf.open(QIODevice::WriteOnly)) {
                pf.write(QByteArray::number(m_process->processId()) + ' ' + QByteArray::number(m_port) + '\n');
                pf.commit();
            }
            qCInfo(lcLocalBank) << "local bank host started, pid" << m_process->processId() << "port" << m_port;
            return {};
        }
        m_process->waitForFinished(3000);
        err.append(m_process->readAllStandardError());
        stop();
        // Another wallet program started it between our look at the port file and now: use that one.
        if (err.contains("already serving")) {
            QThread::msleep(500);
            const QDeadlineTimer wait(kStartTimeoutMs);
            while (!wait.hasExpired()) {
                if (reuseRunning()) {
                    return {};
                }
                QThread::msleep(200);
            }
            return makeError(ErrorCode::BankUnreachable,
                QStringLiteral("another program holds the local bank host in %1 but does not answer: %2")
                    .arg(m_dir, QString::fromUtf8(err).trimmed()));
        }
        if (attempt == 1 || deadline.hasExpired()) {
            return makeError(ErrorCode::BankUnreachable,
                QStringLiteral("the local bank host did not start: %1")
                    .arg(QString::fromUtf8(err).trimmed().right(600)));
        }
    }
    return makeError(ErrorCode::BankUnreachable, QStringLiteral("the local bank host did not start"));
}

Result<void> LocalBankHost::enrol()
{
    if (QFile::exists(clientConfigFile())) {
        return {};
    }
    const QString clientDir = QDir(m_dir).filePath(QLatin1String(kClientFolder));
    // A half-done earlier enrolment (no bank-client.json) is started again from scratch.
    QDir(clientDir).removeRecursively();
    QByteArray out;
    QByteArray err;
    auto rc = bankctl({QStringLiteral("terminal"),
                          QStringLiteral("enrol-code"),
                          QLatin1String(kTerminalId),
                          QStringLiteral("--role"),
                          QStringLiteral("wallet"),
                          QStringLiteral("--label"),
                          QStringLiteral("this wallet (local bank host)"),
                          QStringLiteral("--json")},
        &out,
        &err);
    if (!rc) {
        return rc.error();
    }
    if (*rc != 0) {
        return makeError(ErrorCode::BankUnreachable,
            QStringLiteral("the local bank host made no enrolment code: %1").arg(QString::fromUtf8(err).trimmed()));
    }
    const QJsonObject o = QJsonDocument::fromJson(out).object();
    out.fill('\0');
    QString code = o.value(QStringLiteral("code")).toString();
    auto enrolled = enrolTerminal(url(), code, o.value(QStringLiteral("caFingerprint")).toString(), clientDir);
    code.fill(QLatin1Char('\0'));
    if (!enrolled) {
        return makeError(enrolled.error().code,
            QStringLiteral("the wallet could not enrol at its local bank host: %1").arg(enrolled.error().detail));
    }
    qCInfo(lcLocalBank) << "the wallet is enrolled at its local bank host as terminal" << kTerminalId;
    return {};
}

Result<void> LocalBankHost::start()
{
    if (m_port != 0) {
        return {};
    }
    QStringList searched;
    m_bankctl = findExecutable(QStringLiteral("bankctl"), &searched);
    if (m_bankctl.isEmpty()) {
        return makeError(ErrorCode::BankUnreachable,
            QStringLiteral("the local bank host's tool (bankctl) was not found; looked in: %1. Set SKEY_BANKCTL_PATH "
                           "to its location, or configure a bank (bank-client.json).")
                .arg(searched.join(QStringLiteral(", "))));
    }
    if (!QDir().mkpath(m_dir)) {
        return makeError(ErrorCode::StorageError, QStringLiteral("cannot create %1").arg(m_dir));
    }
    QFile::setPermissions(m_dir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    if (!reuseRunning()) {
        if (auto init = initialise(); !init) {
            return init.error();
        }
        if (auto up = launch(); !up) {
            return up.error();
        }
    }
    return enrol();
}

void LocalBankHost::stop()
{
    if (!m_process) {
        m_port = 0;
        return;
    }
    const qint64 pid = m_process->processId();
    if (m_process->state() != QProcess::NotRunning) {
        m_process->terminate();
        if (!m_process->waitForFinished(5000)) {
            m_process->kill();
            m_process->waitForFinished(2000);
        }
    }
    // Our port file only: another program's bank keeps its own.
    QFile pf(QDir(m_dir).filePath(QLatin1String(kPortFile)));
    if (pf.open(QIODevice::ReadOnly) && pf.readAll().startsWith(QByteArray::number(pid) + ' ')) {
        pf.close();
        pf.remove();
    }
    delete m_process;
    m_process = nullptr;
    m_port = 0;
}

Result<IssuanceResult> LocalBankHost::issueSimulatedKey(
    BankClient& bank, ApduChannel& key, const IssuanceProfile& profile)
{
    auto issued = issueThroughBank(bank, key, profile);
    if (!issued) {
        return issued.error();
    }
    const QString asn = QString::fromLatin1(issued->asn.toHex().toUpper());
    qCInfo(lcLocalBank).noquote() << "the local bank host issued the simulated key"
                                  << QString::fromLatin1(issued->deviceSerial.toHex().toUpper()) << "as ASN" << asn;
    if (auto funded = depositDemoFunding(asn, profile.initialFunding.fen()); !funded) {
        return funded.error();
    }
    return issued;
}

Result<void> LocalBankHost::depositDemoFunding(const QString& asnHex, qint64 fen)
{
    if (fen <= 0) {
        return {};
    }
    QByteArray out;
    QByteArray err;
    auto rc = bankctl({QStringLiteral("accounts"),
                          QStringLiteral("deposit"),
                          QStringLiteral("--asn"),
                          asnHex,
                          QStringLiteral("--amount"),
                          QString::number(fen),
                          QStringLiteral("--reference"),
                          QStringLiteral("DEMO funding ") + asnHex},
        &out,
        &err);
    if (!rc) {
        return rc.error();
    }
    if (*rc != 0) {
        return makeError(ErrorCode::Declined,
            QStringLiteral("the local bank host did not fund the demo account: %1")
                .arg(QString::fromUtf8(err).trimmed()));
    }
    qCInfo(lcLocalBank).noquote() << "DEMO funding deposited at the local bank host for card" << asnHex;
    return {};
}

Result<bool> LocalBankHost::ensureDemoAccount(const QByteArray& asn, const QString& holder, qint64 fen)
{
    const QString asnHex = QString::fromLatin1(asn.toHex().toUpper());
    QByteArray out;
    QByteArray err;
    auto rc = bankctl({QStringLiteral("cards"),
                          QStringLiteral("register"),
                          QStringLiteral("--asn"),
                          asnHex,
                          QStringLiteral("--holder"),
                          holder.left(64)},
        &out,
        &err);
    if (!rc) {
        return rc.error();
    }
    if (*rc != 0) {
        if (err.contains("exists already")) {
            return false;
        }
        return makeError(ErrorCode::Declined,
            QStringLiteral("the local bank host did not open the demo account: %1")
                .arg(QString::fromUtf8(err).trimmed()));
    }
    if (auto funded = depositDemoFunding(asnHex, fen); !funded) {
        return funded.error();
    }
    qCInfo(lcLocalBank).noquote() << "DEMO funding account opened at the local bank host for card" << asnHex;
    return true;
}

} // namespace wallet::core
