// SPDX-License-Identifier: Apache-2.0
#include "bank/support/WalletctlRun.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QProcess>

#include <utility>

namespace wallet::bank::test {

namespace {

ProgramRun finish(QProcess& p, const QByteArray& input)
{
    p.write(input);
    p.closeWriteChannel();
    ProgramRun r;
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished();
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    r.json = QJsonDocument::fromJson(r.out.trimmed().split('\n').last()).object();
    return r;
}

} // namespace

ProgramRun runProgram(const QString& program, const QStringList& args, const QByteArray& input)
{
    QProcess p;
    p.start(program, args);
    return finish(p, input);
}

WalletctlRun::WalletctlRun(QString walletctl, QString dataDir)
    : m_walletctl(std::move(walletctl))
    , m_dataDir(std::move(dataDir))
{ }

QString WalletctlRun::file(const QString& name) const
{
    return QDir(m_dataDir).filePath(name);
}

QString WalletctlRun::configure(const BankRig& rig) const
{
    if (!QFile::setPermissions(
            rig.tlsPath(QStringLiteral("client.key")), QFileDevice::ReadOwner | QFileDevice::WriteOwner)) {
        return QStringLiteral("cannot make client.key owner-only");
    }
    QFile config(file(QStringLiteral("bank-client.json")));
    if (!QDir().mkpath(m_dataDir) || !config.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return QStringLiteral("cannot write %1").arg(config.fileName());
    }
    config.write(QJsonDocument(QJsonObject{{QStringLiteral("format"), QStringLiteral("smartkey-bank-client/1")},
                                   {QStringLiteral("url"), QStringLiteral("https://127.0.0.1:%1").arg(rig.port())},
                                   {QStringLiteral("caCertificate"), rig.tlsPath(QStringLiteral("ca.pem"))},
                                   {QStringLiteral("certificate"), rig.tlsPath(QStringLiteral("client.pem"))},
                                   {QStringLiteral("privateKey"), rig.tlsPath(QStringLiteral("client.key"))}})
                     .toJson());
    return {};
}

ProgramRun WalletctlRun::operator()(const QStringList& args, const QByteArray& input) const
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("WALLETCTL_PASSPHRASE"), QStringLiteral("test passphrase"));
    p.setProcessEnvironment(env);
    p.start(m_walletctl,
        QStringList{QStringLiteral("--json"),
            QStringLiteral("--data-dir"),
            m_dataDir,
            QStringLiteral("--bank-config"),
            file(QStringLiteral("bank-client.json"))}
            + args);
    return finish(p, input);
}

QString WalletctlRun::startWithRegisteredKey(
    BankRig& rig, const QString& profile, QString* asn, const std::function<QString()>& beforeStart) const
{
    if (QString e = rig.setUp(); !e.isEmpty()) {
        return e;
    }
    if (beforeStart) {
        if (QString e = beforeStart(); !e.isEmpty()) {
            return e;
        }
    }
    if (QString e = rig.startServer(); !e.isEmpty()) {
        return e;
    }
    if (QString e = configure(rig); !e.isEmpty()) {
        return e;
    }
    const ProgramRun issued = (*this)({QStringLiteral("issue"), profile});
    *asn = issued.json.value(QStringLiteral("asn")).toString();
    if (issued.exitCode != 0 || asn->size() != 16) {
        return QStringLiteral("walletctl issue: ") + QString::fromUtf8(issued.out + issued.err);
    }
    QString out;
    if (rig.bankctl(QStringLiteral("cards register --asn %1 --holder Holder").arg(*asn).split(QLatin1Char(' ')), &out)
        != 0) {
        return QStringLiteral("bankctl cards register: ") + out;
    }
    return {};
}

} // namespace wallet::bank::test
