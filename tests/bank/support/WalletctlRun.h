// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bank/support/BankRig.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <functional>

namespace wallet::bank::test {

/// What a child program did: its exit code (-1: crashed or timed out), output, and the JSON of its last output line.
struct ProgramRun
{
    int exitCode = -1;
    QJsonObject json;
    QByteArray out;
    QByteArray err;
};

/// Runs `program` with `args`, writes `input` to its standard input and closes it, waits up to two minutes.
[[nodiscard]] ProgramRun runProgram(const QString& program, const QStringList& args, const QByteArray& input = {});

/**
 * @brief walletctl with its embedded simulated key in a wallet data folder, talking to a BankRig's skey-bank over
 * mutual TLS as the rig's wallet terminal (`client.pem`): `--json --data-dir <dir> --bank-config
 * <dir>/bank-client.json`, the passphrase of the key store from the environment.
 */
class WalletctlRun
{
public:
    WalletctlRun(QString walletctl, QString dataDir);
    /// Writes `bank-client.json` for the rig's current port (again after a restart). Empty on success.
    [[nodiscard]] QString configure(const BankRig& rig) const;
    [[nodiscard]] ProgramRun operator()(const QStringList& args, const QByteArray& input = {}) const;
    /**
     * The rig's database and data folder set up, skey-bank started, this wallet configured for it, its simulated key
     * issued with `profile` (`walletctl issue`) and registered at the bank (`bankctl cards register`). `beforeStart`
     * runs between the set-up and the start (the demo merchant, whose certificate skey-bank reads at start). The
     * key's ASN in `asn`. Empty on success, else what failed.
     */
    [[nodiscard]] QString startWithRegisteredKey(
        BankRig& rig, const QString& profile, QString* asn, const std::function<QString()>& beforeStart = {}) const;
    [[nodiscard]] QString file(const QString& name) const;

private:
    QString m_walletctl;
    QString m_dataDir;
};

} // namespace wallet::bank::test
