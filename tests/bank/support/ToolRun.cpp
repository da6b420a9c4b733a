// SPDX-License-Identifier: Apache-2.0
#include "bank/support/ToolRun.h"

#include <QJsonDocument>
#include <QProcessEnvironment>

namespace wallet::bank::test {

QStringList walletctlArgs(const QString& dataDir, const QString& bankConfig, const QStringList& args)
{
    return QStringList{QStringLiteral("--json"),
               QStringLiteral("--data-dir"),
               dataDir,
               QStringLiteral("--bank-config"),
               bankConfig}
    + args;
}

void startWalletctl(QProcess& p, const QString& program, const QStringList& args, const QByteArray& stdinData)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("WALLETCTL_PASSPHRASE"), QStringLiteral("test passphrase"));
    p.setProcessEnvironment(env);
    p.start(program, args);
    p.write(stdinData);
    p.closeWriteChannel();
}

ToolRun finishRun(QProcess& p, int timeoutMs)
{
    ToolRun r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    r.json = QJsonDocument::fromJson(r.out.trimmed().split('\n').last()).object();
    return r;
}

ToolRun runWalletctl(const QString& program, const QStringList& args, const QByteArray& stdinData, int timeoutMs)
{
    QProcess p;
    startWalletctl(p, program, args, stdinData);
    return finishRun(p, timeoutMs);
}

ToolRun runTool(const QString& program, const QStringList& args, int timeoutMs)
{
    QProcess p;
    p.start(program, args);
    return finishRun(p, timeoutMs);
}

} // namespace wallet::bank::test
