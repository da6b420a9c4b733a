// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Error.h"
#include "core/channel/ApduChannel.h"

#include <QJsonObject>
#include <QStringList>

#include <memory>

namespace wallet::app::cli {

/// Exit codes of walletctl (documented in docs/core.md and `walletctl --help`).
enum class ExitCode : int {
    Ok = 0,
    Usage = 1,          ///< bad command line or input (amount, PIN format)
    NoKey = 2,          ///< no key / simulator unreachable / transport failure
    Refused = 3,        ///< the key refused: wrong PIN, blocked, balance too low, limit
    Declined = 4,       ///< the issuer host or the PSAM declined
    Storage = 5,        ///< mirror database or key store problem
    Security = 6,       ///< a MAC/TAC did not verify
    Internal = 7,
};

/// The walletctl command dispatcher. main() only builds a QCoreApplication and calls run().
class CliApp
{
public:
    int run(const QStringList& arguments);

private:
    int fail(const core::Error& error);
    void emitResult(const QJsonObject& json, const QString& text);
    static ExitCode exitCodeFor(core::ErrorCode code);
    core::Result<std::unique_ptr<core::ApduChannel>> openChannel();

    int cmdInfo();
    int cmdPin(const QStringList& args);
    int cmdBalance();
    int cmdLoad(const QStringList& args);
    int cmdPurchase(const QStringList& args);
    int cmdHistory(const QStringList& args);
    int cmdExport(const QStringList& args);
    int cmdIssue(const QStringList& args);
    int cmdSettle(const QStringList& args);

    bool m_json = false;
    QString m_sim;
    bool m_inProcess = false;
    QString m_nvmPath;
    QString m_dataDir;
    QString m_channelNote;
    struct HistoryArgs
    {
        QString type, from, to, limit, offset;
    } m_history;
};

} // namespace wallet::app::cli
