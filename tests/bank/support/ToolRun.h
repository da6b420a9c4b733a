// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace wallet::bank::test {

/// A finished program run as the bank tests read it: its exit code (-1: killed, crashed or timed out), stdout,
/// stderr, and stdout's last line as JSON (walletctl --json prints its answer last).
struct ToolRun
{
    int exitCode = -1;
    QJsonObject json;
    QByteArray out, err;
};

/// walletctl's arguments for a test wallet: `--json --data-dir <dataDir> --bank-config <bankConfig>`, then `args`.
[[nodiscard]] QStringList walletctlArgs(const QString& dataDir, const QString& bankConfig, const QStringList& args);
/// Starts walletctl (`program`, the test's WALLETCTL_PATH) with `args`, the test wallets' passphrase in
/// WALLETCTL_PASSPHRASE (never in argv), writes `stdinData` (a PIN) and closes stdin.
void startWalletctl(QProcess& p, const QString& program, const QStringList& args, const QByteArray& stdinData = {});
/// Waits up to `timeoutMs` for a started program (then kills it) and collects its run.
[[nodiscard]] ToolRun finishRun(QProcess& p, int timeoutMs);
/// startWalletctl, then finishRun.
[[nodiscard]] ToolRun runWalletctl(
    const QString& program, const QStringList& args, const QByteArray& stdinData = {}, int timeoutMs = 120000);
/// Any other program (openssl, sh), with the test's environment.
[[nodiscard]] ToolRun runTool(const QString& program, const QStringList& args, int timeoutMs = 60000);

} // namespace wallet::bank::test
