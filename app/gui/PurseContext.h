// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "core/bank/BankOrderPsam.h"
#include "core/channel/ApduChannel.h"
#include "core/issuer/LocalIssuerHost.h"
#include "core/psam/LocalPsam.h"
#include "core/purse/Clock.h"
#include "core/purse/PurseService.h"
#include "core/storage/TransactionStore.h"
#include "core/terminal/TerminalRoles.h"

#include <QString>

#include <memory>

namespace wallet::app {

/**
 * @brief The core services the wallet runs on the key-I/O thread, composed by core::TerminalRoles exactly as walletctl
 * composes them (same files in the data folder): the issuer for loads (the bank host when `bank-client.json` is in
 * the data folder, else the local demo issuer), the embedded PSAM (the merchant terminal for purchases), the SQLite
 * transaction mirror, and one PurseService per connected key. Created, used and destroyed on the worker thread only
 * (Qt Sql, Qt Network).
 */
class PurseContext
{
public:
    explicit PurseContext(QString dataDir);
    ~PurseContext();
    PurseContext(const PurseContext&) = delete;
    PurseContext& operator=(const PurseContext&) = delete;

    /// Opens the key store, issuer host, PSAM and mirror on first use. The mirror is optional: its failure is
    /// remembered (mirrorError) and history then shows the key's own log.
    [[nodiscard]] core::Result<void> ensureServices();
    /// The PurseService for `channel` (a new one, opened with open(), when the channel changed).
    [[nodiscard]] core::Result<core::PurseService*> purse(core::ApduChannel& channel);
    /// Forget the per-key service (the key went away or was re-issued).
    void forgetKey();
    /**
     * A PurseService for paying `order` through the bank host's acquirer (core::BankOrderPsam: the bank computes MAC1
     * and verifies MAC2 and the TAC), opened on `channel`; its open() settles this order's interrupted attempts by the
     * key's evidence. Replaces the previous order's. InvalidState when no bank host is configured.
     */
    [[nodiscard]] core::Result<core::PurseService*> orderPurse(
        core::ApduChannel& channel, const core::MerchantOrder& order);
    /// The order PSAM of the last orderPurse() (its receipt after a confirmation), or null.
    [[nodiscard]] core::BankOrderPsam* orderPsam() { return m_orderPsam.get(); }

    [[nodiscard]] core::TransactionStore* mirror() { return m_roles.mirror(); }
    /// Null when its file could not be opened (then rolesError() says why; the key stays readable).
    [[nodiscard]] core::LocalIssuerHost* issuer() { return m_roles.localIssuer(); }
    /// The wallet's own local bank host (no bank configured), else null.
    [[nodiscard]] core::LocalBankHost* localBank() { return m_roles.localBank(); }
    /// Non-null when loads go through a bank host.
    [[nodiscard]] core::BankIssuerHost* bank() { return m_roles.bank(); }
    [[nodiscard]] core::LocalPsam* psam() { return m_roles.localPsam(); }
    [[nodiscard]] const core::Error& rolesError() const { return m_roles.rolesError(); }
    [[nodiscard]] const core::IssuerMasterKeys& masterKeys() const { return m_roles.keys(); }
    [[nodiscard]] const core::Clock& clock() const { return m_clock; }
    [[nodiscard]] QString mirrorError() const { return m_roles.mirrorError().detail; }
    [[nodiscard]] QString dataDir() const { return m_dataDir; }

    /// Issues the blank key on `channel` from `profile` (core::TerminalRoles::issueKey: through the local bank host's
    /// issuance API by default) and forgets the per-key service.
    [[nodiscard]] core::Result<core::IssuanceResult> issueKey(
        core::ApduChannel& channel, const core::IssuanceProfile& profile);

    /// Opens a funding account at the demo issuer for `asn` if it has none (simulated keys issued elsewhere). With a
    /// bank host nothing is opened here: a key's funding account exists only if that bank issued the key (a legacy
    /// local bank folder holding the public demo keys opens a DEMO account, docs/bank.md §12).
    [[nodiscard]] core::Result<void> ensureFundingAccount(const QByteArray& asn);

private:
    QString m_dataDir;
    bool m_ready = false;
    core::TerminalRoles m_roles;
    core::SystemClock m_clock;
    core::ApduChannel* m_purseChannel = nullptr;
    std::unique_ptr<core::PurseService> m_purse;
    std::unique_ptr<core::BankOrderPsam> m_orderPsam;
    std::unique_ptr<core::PurseService> m_orderPurse; // after m_orderPsam: destroyed first
};

} // namespace wallet::app
