// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/issuer/IssuerHost.h"
#include "core/keystore/IssuerKeys.h"

#include <QSqlDatabase>

#include <memory>

namespace wallet::core {

/// A card's funding account at the issuer.
struct FundingAccount
{
    QByteArray asn;
    Amount balance;
    Amount perLoadLimit;
    bool blocked = false;
};

/// One load in the issuer's ledger.
struct LedgerEntry
{
    QByteArray asn;
    std::uint16_t onlineAtc = 0;
    Amount amount;
    QString state; ///< "authorised", "completed", "cancelled", "disputed"
    QByteArray tac;
    QString note; ///< why it is disputed (empty otherwise)
};

/**
 * @brief The embedded issuer host: master keys in memory (from the KeyStore), its own SQLite ledger file
 * (accounts + loads, WAL + synchronous=FULL). The funding account is debited in the same transaction that records
 * the authorisation (ASN, ATC) — exactly once; a cancel credits it back in one transaction.
 * Used on one thread (Qt Sql rule).
 */
class LocalIssuerHost final : public IssuerHost
{
public:
    ~LocalIssuerHost() override;
    [[nodiscard]] static Result<std::unique_ptr<LocalIssuerHost>> open(
        const QString& ledgerPath, IssuerMasterKeys keys);

    [[nodiscard]] Result<LoadAuthorisation> authoriseLoad(const LoadRequest& request) override;
    [[nodiscard]] Result<void> confirmLoad(
        const QByteArray& asn, std::uint16_t onlineAtc, Amount balanceAfter, const QByteArray& tac) override;
    [[nodiscard]] Result<void> cancelLoad(const QByteArray& asn, std::uint16_t onlineAtc) override;
    [[nodiscard]] Result<std::vector<PendingLoad>> pendingLoads(const QByteArray& asn) override;
    [[nodiscard]] Result<void> disputeLoad(
        const QByteArray& asn, std::uint16_t onlineAtc, const QString& reason) override;
    /// Every disputed or still authorised load of every card (walletctl pending).
    [[nodiscard]] Result<std::vector<PendingLoad>> allPendingLoads();
    /// Refuses cards it does not know and cards it blocked (Declined).
    [[nodiscard]] Result<CommandApdu> maintenanceCommand(const MaintenanceRequest& request) override;

    /// Opens (or updates) a card's funding account; issuance calls it. `algorithm` is the card's profile (the
    /// maintenance keys are diversified with it); a load also records the profile the card reported.
    [[nodiscard]] Result<void> registerCard(
        const QByteArray& asn, Amount funding, Amount perLoadLimit, Algorithm algorithm = Algorithm::TripleDes);
    [[nodiscard]] Result<void> setBlocked(const QByteArray& asn, bool blocked);
    [[nodiscard]] Result<FundingAccount> account(const QByteArray& asn) const;
    [[nodiscard]] Result<std::vector<LedgerEntry>> loads(const QByteArray& asn) const;

private:
    LocalIssuerHost(QString connection, IssuerMasterKeys keys);
    QSqlDatabase db() const;
    QString m_connection;
    IssuerMasterKeys m_keys;
};

} // namespace wallet::core
