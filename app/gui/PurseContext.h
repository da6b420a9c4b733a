// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "core/channel/ApduChannel.h"
#include "core/issuer/LocalIssuerHost.h"
#include "core/psam/LocalPsam.h"
#include "core/purse/Clock.h"
#include "core/purse/PurseService.h"
#include "core/storage/TransactionStore.h"

#include <QString>

#include <memory>

namespace wallet::app {

/**
 * @brief The core services the wallet runs on the key-I/O thread: the demo issuer host (the simulated bank that
 * authorises loads), the embedded PSAM (the merchant terminal for purchases), the SQLite transaction mirror, and one
 * PurseService per connected key. Created, used and destroyed on the worker thread only (Qt Sql rule).
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

    [[nodiscard]] core::TransactionStore* mirror() { return m_mirror.get(); }
    /// Null when its file could not be opened (then rolesError() says why; the key stays readable).
    [[nodiscard]] core::LocalIssuerHost* issuer() { return m_issuer.get(); }
    [[nodiscard]] core::LocalPsam* psam() { return m_psam.get(); }
    [[nodiscard]] const core::Error& rolesError() const { return m_rolesError; }
    [[nodiscard]] const core::IssuerMasterKeys& masterKeys() const { return m_keys; }
    [[nodiscard]] const core::Clock& clock() const { return m_clock; }
    [[nodiscard]] QString mirrorError() const { return m_mirrorError; }
    [[nodiscard]] QString dataDir() const { return m_dataDir; }

    /// Opens a funding account at the demo issuer for `asn` if it has none (simulated keys issued elsewhere).
    [[nodiscard]] core::Result<void> ensureFundingAccount(const QByteArray& asn);

private:
    QString m_dataDir;
    bool m_ready = false;
    core::IssuerMasterKeys m_keys;
    std::unique_ptr<core::LocalIssuerHost> m_issuer;
    std::unique_ptr<core::LocalPsam> m_psam;
    std::unique_ptr<core::IssuerHost> m_issuerStandIn;
    std::unique_ptr<core::Psam> m_psamStandIn;
    core::Error m_rolesError;
    std::unique_ptr<core::TransactionStore> m_mirror;
    QString m_mirrorError;
    core::SystemClock m_clock;
    core::ApduChannel* m_purseChannel = nullptr;
    std::unique_ptr<core::PurseService> m_purse;
};

} // namespace wallet::app
