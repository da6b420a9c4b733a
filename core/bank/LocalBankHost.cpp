// SPDX-License-Identifier: Apache-2.0
#include "core/bank/LocalBankHost.h"

#include "core/bank/TerminalEnrolment.h"
#include "core/process/ChildLifetime.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QSaveFile>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QThread>

#include <csignal>

#if defined(Q_OS_LINUX)
#include <unistd.h>
#endif

namespace wallet::core {
namespace {
Q_LOGGING_CATEGORY(lcLocalBank, "wallet.bank.local")

// The public DEMO issuer master keys of resources/profiles/demo-3des.json (the simulated key's profile and the
// wallet's demo key store): the local bank host is a demo bank and must derive the same card keys.
constexpr const char* kDemoMlk = "00112233445566778899AABBCCDDEEFF";
constexpr const char* kDemoMtk = "404142434445464748494A4B4C4D4E4F";
constexpr const char* kDemoMpk = "0123456789ABCDEFFEDCBA9876543210";
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

Result<void> LocalBankHost::initialise()
{
    const QDir dir(m_dir);
    if (QFile::exists(dir.filePath(QStringLiteral("bank.json")))
        && QFile::exists(dir.filePath(QStringLiteral(".demo-keys")))) {
        return {};
    }
    QByteArray out;
    QByteArray err;
    if (!QFile::exists(dir.filePath(QStringLiteral("bank.json")))) {
        qCInfo(lcLocalBank).noquote() << "creating the local bank host in" << m_dir;
        auto rc = bankctl({QStringLiteral("init"), QStringLiteral("--test")}, &out, &err);
        if (!rc) {
            return rc.error();
        }
        if (*rc != 0) {
            return makeError(ErrorCode::StorageError,
                QStringLiteral("bankctl init in %1 failed: %2").arg(m_dir, QString::fromUtf8(err).trimmed()));
        }
    }
    // The demo masters go through a file of mode 0600 in the bank's own folder, removed at once (never argv).
    const QString vectors = dir.filePath(QStringLiteral("demo-masters.json"));
    {
        QFile f(vectors);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            return makeError(ErrorCode::StorageError, QStringLiteral("cannot write %1").arg(vectors));
        }
        f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        const QJsonObject masters{{QStringLiteral("MLK"), QLatin1String(kDemoMlk)},
            {QStringLiteral("MTK"), QLatin1String(kDemoMtk)},
            {QStringLiteral("MPK"), QLatin1String(kDemoMpk)}};
        const QJsonObject flow{{QStringLiteral("name"), QStringLiteral("EP load 10.00 CNY (3DES, wallet demo)")},
            {QStringLiteral("issuer_master_keys"), masters}};
        f.write(QJsonDocument(QJsonObject{{QStringLiteral("flows"), QJsonArray{flow}}}).toJson());
    }
    auto rc
        = bankctl({QStringLiteral("keys"), QStringLiteral("import-test-vectors"), QStringLiteral("--vectors"), vectors},
            &out,
            &err);
    QFile::remove(vectors);
    if (!rc) {
        return rc.error();
    }
    if (*rc != 0 && !err.contains("already")) {
        return makeError(ErrorCode::StorageError,
            QStringLiteral("the local bank's demo keys could not be installed: %1")
                .arg(QString::fromUtf8(err).trimmed()));
    }
    QFile marker(dir.filePath(QStringLiteral(".demo-keys")));
    if (!marker.open(QIODevice::WriteOnly)) {
        return makeError(ErrorCode::StorageError, QStringLiteral("cannot write %1").arg(marker.fileName()));
    }
    marker.write("DEMO issuer master keys (public test values) are in this bank's token\n");
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
    if (pid <= 0 || port == 0 || ::kill(static_cast<pid_t>(pid), 0) != 0 || !portAnswers(port)) {
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
    rc = bankctl({QStringLiteral("accounts"),
                     QStringLiteral("deposit"),
                     QStringLiteral("--asn"),
                     asnHex,
                     QStringLiteral("--amount"),
                     QString::number(fen),
                     QStringLiteral("--reference"),
                     QStringLiteral("DEMO funding (local bank host)")},
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
    qCInfo(lcLocalBank).noquote() << "DEMO funding account opened at the local bank host for card" << asnHex;
    return true;
}

} // namespace wallet::core
