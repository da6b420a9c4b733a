// SPDX-License-Identifier: Apache-2.0
#include "core/terminal/TerminalRoles.h"

#include "core/bank/BankIssuance.h"

#include "core/bank/HttpsBankClient.h"
#include "core/issuance/Personaliser.h"
#include "core/issuer/UnavailableIssuerHost.h"
#include "core/keystore/KeyStore.h"
#include "core/psam/UnavailablePsam.h"

#include <QDir>
#include <QFile>
#include <QLoggingCategory>

namespace wallet::core {
namespace {
Q_LOGGING_CATEGORY(lcRoles, "wallet.roles")
} // namespace

QByteArray TerminalRoles::demoTerminalId()
{
    return QByteArray::fromHex("112233445566");
}

TerminalRoles::BankMode TerminalRoles::bankMode(const QString& dataDir, const QString& bankConfig)
{
    if (!bankConfig.isEmpty() || QFile::exists(QDir(dataDir).filePath(QLatin1String(kBankConfigFile)))) {
        return BankMode::Configured;
    }
    if (qEnvironmentVariable("SKEY_WALLET_LOCAL_ISSUER") == QStringLiteral("1")) {
        return BankMode::DemoIssuerForTests;
    }
    return BankMode::LocalBankHost;
}

bool TerminalRoles::localBankIssuesKeys(const QString& dataDir, const QString& bankConfig)
{
    return bankMode(dataDir, bankConfig) == BankMode::LocalBankHost
        && !LocalBankHost::legacyDemoKeys(QDir(dataDir).filePath(QLatin1String(LocalBankHost::kFolder)));
}

Result<IssuanceResult> TerminalRoles::issueKey(ApduChannel& key, const IssuanceProfile& profile)
{
    if (m_localBank && m_bank && !m_localBank->legacyDemoKeys()) {
        return m_localBank->issueSimulatedKey(m_bank->client(), key, profile);
    }
    if (issuesThroughConfiguredBank()) {
        return issueThroughBank(m_bank->client(), key, profile);
    }
    if (!m_issuer) {
        return m_rolesError; // its ledger could not be opened: issue nothing it cannot register
    }
    // The card keys come from this terminal's key store, so that its demo issuer can authorise the loads.
    auto issued = Personaliser(key).personalise(profile, &m_keys);
    if (!issued) {
        return issued.error();
    }
    if (m_localBank) {
        // A legacy local bank folder (the public demo keys in its token): a clearly labelled DEMO funding account.
        const QString holder = profile.cardholder.name.isEmpty() ? QStringLiteral("DEMO holder")
                                                                 : QStringLiteral("DEMO ") + profile.cardholder.name;
        if (auto reg = m_localBank->ensureDemoAccount(issued->asn, holder, profile.initialFunding.fen()); !reg) {
            return reg.error();
        }
    } else if (auto reg = m_issuer->registerCard(issued->asn, profile.initialFunding, Amount(0), profile.algorithm);
               !reg) {
        return reg.error();
    }
    return issued;
}

bool TerminalRoles::issuesThroughConfiguredBank() const
{
    // A configured bank issues through its API, unless a test asks for the in-process demo keys (its test bank
    // registers the card itself with `bankctl cards register`, docs/bank.md §12).
    return m_bank && !m_localBank && qEnvironmentVariable("SKEY_WALLET_LOCAL_ISSUER") != QStringLiteral("1");
}

TerminalRoles::TerminalRoles() = default;
TerminalRoles::~TerminalRoles() = default;

IssuerHost& TerminalRoles::issuer()
{
    if (m_bank) {
        return *m_bank;
    }
    if (m_issuer) {
        return *m_issuer;
    }
    return *m_issuerStandIn;
}

Psam& TerminalRoles::psam()
{
    return m_psam ? static_cast<Psam&>(*m_psam) : *m_psamStandIn;
}

Result<void> TerminalRoles::open(const TerminalRolesOptions& options)
{
    m_dataDir = options.dataDir;
    QDir().mkpath(m_dataDir);
    const QDir dir(m_dataDir);
    const auto file = [&dir](const char* name) { return dir.filePath(QLatin1String(name)); };
    SecureBytes passphrase = options.passphrase;
    if (passphrase.empty()) {
        const char* demo = kDemoPassphrase;
        passphrase.assign(demo, demo + std::char_traits<char>::length(demo));
        m_notices << QStringLiteral("Note: key store opened with the demo passphrase (set WALLETCTL_PASSPHRASE for "
                                    "your own).");
    }
    auto keys = KeyStore::openOrCreateDemo(file(kKeyStoreFile), passphrase);
    if (!keys) {
        return keys.error();
    }
    if (keys->createdDemoKeys) {
        m_notices << QStringLiteral("Note: created DEMO issuer master keys in %1 — public test values, never for real "
                                    "money.")
                         .arg(file(kKeyStoreFile));
    }
    m_keys = std::move(keys->keys);
    // A damaged or locked ledger / PSAM store must not hide the key's balance: a stand-in refuses money operations
    // with the reason; the files are never moved or replaced.
    auto issuer = LocalIssuerHost::open(file(kIssuerLedgerFile), m_keys);
    if (issuer) {
        m_issuer = std::move(*issuer);
    } else if (options.needMoneyFiles) {
        return issuer.error();
    } else {
        m_notices << QStringLiteral("Warning: %1 — loads are unavailable until it is repaired; the balance is read "
                                    "from the key.")
                         .arg(issuer.error().detail);
        m_rolesError = issuer.error();
        m_issuerStandIn = std::make_unique<UnavailableIssuerHost>(issuer.error());
    }
    QString bankConfig = options.bankConfig;
    if (bankConfig.isEmpty() && QFile::exists(file(kBankConfigFile))) {
        bankConfig = file(kBankConfigFile);
    }
    // Without a configured bank the wallet runs its own local bank host (docs/bank.md §5 "Embedded default"); the
    // in-process demo issuer takes loads only in tests that ask for it (SKEY_WALLET_LOCAL_ISSUER=1).
    if (bankMode(m_dataDir, bankConfig) == BankMode::LocalBankHost) {
        m_localBank = std::make_unique<LocalBankHost>(dir.filePath(QLatin1String(LocalBankHost::kFolder)));
        if (auto up = m_localBank->start(); !up) {
            return up.error();
        }
        bankConfig = m_localBank->clientConfigFile();
    }
    if (!bankConfig.isEmpty()) {
        // Loads go to the bank host (docs/bank.md §9.1); nothing here authorises them.
        auto config = BankClientConfig::load(bankConfig);
        if (!config) {
            return config.error();
        }
        if (m_localBank) {
            config->url = m_localBank->url(); // a new port on every start
        }
        const QByteArray terminal = config->terminalId;
        const QString url = config->url.toString();
        auto bank = BankIssuerHost::open(
            file(kBankOutboxFile), std::make_unique<HttpsBankClient>(std::move(*config)), terminal);
        if (!bank) {
            return bank.error();
        }
        m_bank = std::move(*bank);
        if (m_localBank) {
            m_notices << QStringLiteral("Note: loads go through the wallet's local bank host %1 (a DEMO bank in %2) as "
                                        "terminal %3.")
                             .arg(url, m_localBank->bankDir(), QString::fromLatin1(terminal.toHex()));
        } else {
            m_notices << QStringLiteral("Note: loads go through the bank host %1 as terminal %2.")
                             .arg(url, QString::fromLatin1(terminal.toHex()));
        }
    }
    auto psam = LocalPsam::open(file(kPsamFile), demoTerminalId(), m_keys.mpk);
    if (psam) {
        m_psam = std::move(*psam);
    } else if (options.needMoneyFiles) {
        return psam.error();
    } else {
        m_notices << QStringLiteral("Warning: %1 — payments are unavailable until it is repaired; the balance is read "
                                    "from the key.")
                         .arg(psam.error().detail);
        if (m_rolesError.code == ErrorCode::None) {
            m_rolesError = psam.error();
        }
        m_psamStandIn = std::make_unique<UnavailablePsam>(demoTerminalId(), psam.error());
    }
    auto mirror = TransactionStore::open(file(kMirrorFile));
    if (mirror) {
        m_mirror = std::move(*mirror);
    } else if (options.needMirror) {
        return mirror.error();
    } else {
        m_mirrorError = mirror.error();
        m_notices << QStringLiteral("Warning: %1 — continuing without the history mirror.").arg(mirror.error().detail);
    }
    for (const QString& n : m_notices) {
        qCInfo(lcRoles).noquote() << n;
    }
    return {};
}

} // namespace wallet::core
