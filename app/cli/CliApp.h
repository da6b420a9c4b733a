// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Error.h"
#include "core/bank/BankOrderPsam.h"
#include "core/channel/ApduChannel.h"
#include "core/issuer/LocalIssuerHost.h"
#include "core/keystore/KeyStore.h"
#include "core/psam/LocalPsam.h"
#include "core/purse/PurseService.h"
#include "core/storage/TransactionStore.h"
#include "core/terminal/TerminalRoles.h"

#include <QJsonObject>
#include <QStringList>

#include <memory>

namespace wallet::app::cli {

/// Exit codes of walletctl (documented in docs/core.md and `walletctl --help`).
enum class ExitCode : int {
    Ok = 0,
    Usage = 1, ///< bad command line or input (amount, PIN format)
    NoKey = 2, ///< no key / simulator unreachable / transport failure
    Refused = 3, ///< the key refused: wrong PIN, blocked, balance too low, limit
    Declined = 4, ///< the issuer host or the PSAM declined
    Storage = 5, ///< mirror database or key store problem
    Security = 6, ///< a MAC/TAC did not verify
    Internal = 7,
    Unknown = 8, ///< a load/purchase was sent and its outcome is not known yet: checked at the key's next use
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
    /// Key store, issuer ledger, PSAM, mirror (the mirror is optional: a damaged one is reported, not fatal).
    /// `needMoneyFiles` false (balance, info, history): a damaged issuer ledger or PSAM store is reported and
    /// replaced by a stand-in that refuses money operations, so the key's balance stays readable (issue 9 item 17).
    core::Result<void> openRoles(bool needMirror, bool needMoneyFiles = true);
    /// Channel + roles + PurseService::open().
    core::Result<void> openPurse(bool needMoneyFiles = true);
    /// stderr note about this key's operations still being checked or disputed (walletctl pending).
    void notePending();
    void notice(const QString& text);
    template <typename R, typename F>
    core::Result<R> withPinIfNeeded(F&& run);

    /// The parsed amount shown and agreed to before any APDU: typed "yes" on a terminal, or --yes (printed).
    core::Result<void> confirmMoney(const QString& what, core::Amount amount, const QString& typed);
    int cmdInfo();
    int cmdPin(const QStringList& args);
    int cmdBalance();
    int cmdLoad(const QStringList& args);
    int cmdPurchase(const QStringList& args);
    int cmdPay(const QStringList& args);
    int cmdHistory(const QStringList& args);
    int cmdExport(const QStringList& args);
    int cmdIssue(const QStringList& args);
    int cmdSettle(const QStringList& args);
    int cmdPending(const QStringList& args);
    int cmdPinMaintenance(const QString& sub);
    int cmdApp(const QStringList& args);
    int cmdCert(const QStringList& args); ///< CliCert.cpp
    int cmdBank(const QStringList& args); ///< bank enrol
    core::Result<core::SecureBytes> pivManagementKey();

    bool m_json = false;
    QString m_sim;
    bool m_inProcess = false;
    bool m_permanent = false; ///< app block --permanent
    bool m_yes = false; ///< --yes: the irreversible confirmation given on the command line (scripts)
    QString m_nvmPath;
    QString m_dataDir;
    QString m_channelNote;
    std::unique_ptr<QObject> m_simulator; ///< device::EmbeddedSimulator when the embedded key is used
    std::unique_ptr<core::ApduChannel> m_channel;
    core::TerminalRoles m_roles; ///< the terminal's roles, composed as the GUI composes them
    // Views into m_roles after openRoles() (null when unavailable).
    core::LocalIssuerHost* m_issuer = nullptr;
    core::BankIssuerHost* m_bank = nullptr; ///< loads go through the bank host when one is configured
    core::LocalPsam* m_psam = nullptr;
    core::TransactionStore* m_mirror = nullptr;
    QString m_caFingerprint; ///< bank enrol --ca-fingerprint
    QString m_bankConfig; ///< --bank-config (else TerminalRoles looks for <data-dir>/bank-client.json)
    core::SystemClock m_clock;
    std::unique_ptr<core::BankOrderPsam> m_orderPsam; ///< pay: the bank's acquirer as the PSAM of one order
    std::unique_ptr<core::PurseService> m_purse;
    struct HistoryArgs
    {
        QString type, from, to, limit, offset;
    } m_history;
    struct CertArgs
    {
        QString slot, alg, out, touch;
        bool replace = false;
    } m_cert;
};

} // namespace wallet::app::cli
