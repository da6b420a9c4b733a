// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "core/bank/BankIssuerHost.h"
#include "core/bank/LocalBankHost.h"
#include "core/issuer/LocalIssuerHost.h"
#include "core/keystore/IssuerKeys.h"
#include "core/psam/LocalPsam.h"
#include "core/storage/TransactionStore.h"

#include <QStringList>

#include <memory>

namespace wallet::core {

struct TerminalRolesOptions
{
    QString dataDir;
    /// The key store's passphrase; empty: the demo passphrase (announced in notices()).
    SecureBytes passphrase;
    /// The bank client's configuration; empty: `<dataDir>/bank-client.json` when that file exists, else the wallet's
    /// own local bank host in `<dataDir>/bank/` (LocalBankHost, started as a child process).
    QString bankConfig;
    bool needMirror = false; ///< a mirror that does not open is an error (else a notice and no mirror)
    /// false (balance, info, history): a damaged issuer ledger or PSAM store is a notice and a stand-in that refuses
    /// money operations with the reason, so the key's balance stays readable (issue 9 item 17).
    bool needMoneyFiles = true;
};

/**
 * @brief The one composition of a terminal's roles (docs/architecture.md: "one composition per executable, from the
 * same pieces"), used by the wallet GUI (PurseContext) and walletctl (CliApp): the same file names in the same data
 * folder, the same passphrase rule, the same stand-ins.
 *
 * In `dataDir`: `issuer-keys.json` (key store), `issuer-ledger.sqlite` (the local demo issuer), `psam.sqlite`,
 * `mirror.sqlite`; with a bank configured, loads go to the bank host (`BankIssuerHost`, outbox
 * `bank-outbox.sqlite`); with none configured, to the wallet's own local bank host in `bank/` (LocalBankHost). The
 * local issuer stays for issuance and card maintenance until the bank does those too.
 * Created, used and destroyed on one thread (Qt Sql, Qt Network).
 */
class TerminalRoles
{
public:
    static constexpr const char* kKeyStoreFile = "issuer-keys.json";
    static constexpr const char* kIssuerLedgerFile = "issuer-ledger.sqlite";
    static constexpr const char* kPsamFile = "psam.sqlite";
    static constexpr const char* kMirrorFile = "mirror.sqlite";
    static constexpr const char* kBankConfigFile = "bank-client.json";
    static constexpr const char* kBankOutboxFile = "bank-outbox.sqlite";
    /// The demo passphrase: it only ever protects the public demo keys (announced when used).
    static constexpr const char* kDemoPassphrase = "smartkey-demo-passphrase";
    /// The local PSAM's terminal ID (6 bytes, 12 BCD digits).
    [[nodiscard]] static QByteArray demoTerminalId();

    enum class BankMode : std::uint8_t { Configured, LocalBankHost, DemoIssuerForTests };
    /// What open() will use for loads in `dataDir` (no file is touched): a bank-client.json (or `bankConfig`) →
    /// Configured; else SKEY_WALLET_LOCAL_ISSUER=1 (tests only) → the in-process demo issuer; else the local bank host.
    [[nodiscard]] static BankMode bankMode(const QString& dataDir, const QString& bankConfig = {});
    /// Whether a blank simulated key of `dataDir` is issued by the wallet's own local bank host (LocalBankHost mode
    /// with a folder that is not a legacy demo-keys one): the simulated key must then be manufactured with the KT
    /// derived from the development manufacturer key (skey-sim's default), as the bank derives it, instead of the
    /// demo profile's KT. No file is touched.
    [[nodiscard]] static bool localBankIssuesKeys(const QString& dataDir, const QString& bankConfig = {});

    TerminalRoles();
    ~TerminalRoles();
    TerminalRoles(const TerminalRoles&) = delete;
    TerminalRoles& operator=(const TerminalRoles&) = delete;

    [[nodiscard]] Result<void> open(const TerminalRolesOptions& options);
    /**
     * Issues the blank key on `key` (walletctl issue, the wallet's "Issue with the demo profile"): through the local
     * bank host's issuance API when it issues keys (localBankIssuesKeys(); the bank's own keys, a DEMO funding account
     * there with the profile's initial funding); through a configured bank's issuance API
     * (issuesThroughConfiguredBank(): issueThroughBank, no funding deposited; a bank that does not allow a wallet to
     * issue refuses with the next step); else, personalised here from `profile` with this terminal's demo master keys
     * and registered with the demo issuer (SKEY_WALLET_LOCAL_ISSUER=1 tests, also with a configured test bank that
     * registers the card itself) or with a legacy local bank folder (docs/bank.md §12).
     */
    [[nodiscard]] Result<IssuanceResult> issueKey(ApduChannel& key, const IssuanceProfile& profile);

    /// Whether issueKey() goes to a configured bank's issuance API (a bank-client.json, SKEY_WALLET_LOCAL_ISSUER
    /// not 1): the bank then keeps the funding account, and nothing is deposited by the terminal.
    [[nodiscard]] bool issuesThroughConfiguredBank() const;

    /// What to tell the user (demo keys created, a file unavailable, the bank used), in order.
    [[nodiscard]] const QStringList& notices() const { return m_notices; }

    /// The issuer for loads: the bank host when configured, else the local issuer, else its stand-in.
    [[nodiscard]] IssuerHost& issuer();
    [[nodiscard]] Psam& psam();
    [[nodiscard]] LocalIssuerHost* localIssuer() { return m_issuer.get(); }
    [[nodiscard]] BankIssuerHost* bank() { return m_bank.get(); }
    /// The wallet's own local bank host when no bank is configured (null with a configured bank, or in tests that
    /// set SKEY_WALLET_LOCAL_ISSUER=1: then loads go to the in-process demo issuer, a test-only path).
    [[nodiscard]] LocalBankHost* localBank() { return m_localBank.get(); }
    [[nodiscard]] LocalPsam* localPsam() { return m_psam.get(); }
    [[nodiscard]] TransactionStore* mirror() { return m_mirror.get(); }
    [[nodiscard]] const Error& mirrorError() const { return m_mirrorError; }
    /// The first issuer/PSAM file that could not be opened (when a stand-in replaced it).
    [[nodiscard]] const Error& rolesError() const { return m_rolesError; }
    [[nodiscard]] const IssuerMasterKeys& keys() const { return m_keys; }
    [[nodiscard]] QString dataDir() const { return m_dataDir; }

private:
    QString m_dataDir;
    QStringList m_notices;
    IssuerMasterKeys m_keys;
    std::unique_ptr<LocalIssuerHost> m_issuer;
    std::unique_ptr<LocalBankHost> m_localBank; // before m_bank: destroyed after the client that talks to it
    std::unique_ptr<BankIssuerHost> m_bank;
    std::unique_ptr<LocalPsam> m_psam;
    std::unique_ptr<IssuerHost> m_issuerStandIn;
    std::unique_ptr<Psam> m_psamStandIn;
    std::unique_ptr<TransactionStore> m_mirror;
    Error m_mirrorError{ErrorCode::StorageError, 0, QStringLiteral("the history mirror is unavailable"), -1};
    Error m_rolesError{ErrorCode::None, 0, {}, -1};
};

} // namespace wallet::core
