// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/bank/BankClient.h"
#include "core/issuer/IssuerHost.h"

#include <QSqlDatabase>

#include <memory>

namespace wallet::core {

/// A load as this terminal knows it from the bank's answers (its outbox).
struct BankLoad
{
    QString loadId; ///< the bank's UUID
    QByteArray asn;
    std::uint16_t onlineAtc = 0;
    Amount amount;
    Amount balanceBefore;
    QString state; ///< authorised, completed, cancelled, disputed (disputed: this terminal gave up; the bank keeps
                   ///< it authorised, debited, for a person to decide)
};

/**
 * @brief The terminal's view of the issuer when a bank host is configured: the load flow of docs/bank.md §9.1 over
 * the bank's API (authoriseLoad → CREDIT on the key → confirmLoad with the TAC; after an unknown outcome the key's
 * proof confirms it, or a bank-chosen probe run on the key proves it was not credited and cancelLoad gives the
 * funds back). It holds no key: MAC2, the date and time come from the bank.
 *
 * **Outbox** (a SQLite file, mode 0600): every POST gets its request id (`Idempotency-Key`) written here before the
 * first attempt. A retry of the same request (same path and body), in this run or a later one, reuses it, so the
 * bank answers the first outcome instead of acting twice. A request that got no answer stays open and is sent
 * again by pendingLoads() (PurseService::open() → reconcile()), which is how a lost answer of the bank is settled.
 * The outbox also maps (ASN, online ATC) to the bank's load id. Used on one thread (Qt Sql, Qt Network).
 */
class BankIssuerHost final : public IssuerHost
{
public:
    ~BankIssuerHost() override;
    /// `terminalId`: the 6 bytes of this terminal's certificate CN (BankClientConfig::terminalId).
    [[nodiscard]] static Result<std::unique_ptr<BankIssuerHost>> open(
        const QString& outboxPath, std::unique_ptr<BankClient> client, QByteArray terminalId);

    [[nodiscard]] Result<LoadAuthorisation> authoriseLoad(const LoadRequest& request) override;
    [[nodiscard]] Result<void> confirmLoad(
        const QByteArray& asn, std::uint16_t onlineAtc, Amount balanceAfter, const QByteArray& tac) override;
    /// The bank cancels only on the key's evidence: InvalidState, use cancelLoadOnKey().
    [[nodiscard]] Result<void> cancelLoad(const QByteArray& asn, std::uint16_t onlineAtc) override;
    [[nodiscard]] Result<void> cancelLoadOnKey(
        const QByteArray& asn, std::uint16_t onlineAtc, const KeyCommand& key) override;
    /// Sends this card's open requests again (same ids), then lists its loads still authorised at the bank.
    [[nodiscard]] Result<std::vector<PendingLoad>> pendingLoads(const QByteArray& asn) override;
    /// Marks it here only: the bank keeps it authorised (the debit stays) for a person to decide.
    [[nodiscard]] Result<void> disputeLoad(
        const QByteArray& asn, std::uint16_t onlineAtc, const QString& reason) override;
    [[nodiscard]] std::optional<QByteArray> terminalId() const override { return m_terminalId; }

    /// Every load of this terminal not completed or cancelled, and how many requests still wait for an answer.
    [[nodiscard]] Result<std::vector<BankLoad>> openLoads() const;
    [[nodiscard]] Result<int> openRequests() const;
    [[nodiscard]] const BankClient& client() const { return *m_client; }

private:
    BankIssuerHost(QString connection, std::unique_ptr<BankClient> client, QByteArray terminalId);
    QSqlDatabase db() const;
    /// Sends a POST with the outbox's request id for this exact request (a new one only for a new request), retrying
    /// an answer that did not arrive. `asn`/`atc`/`purpose` file it for replay by pendingLoads().
    [[nodiscard]] Result<BankAnswer> post(
        const QString& path,
        const QJsonObject& body,
        const QByteArray& asn,
        std::uint16_t atc,
        const QString& purpose,
        const QString& loadId);
    /// What an answer of a replayed or fresh request means for the outbox's loads.
    [[nodiscard]] Result<void> apply(
        const QString& purpose, const QString& loadId, const QJsonObject& requestBody, const BankAnswer& answer);
    [[nodiscard]] Result<void> recordLoad(const QJsonObject& load, const QJsonObject& request);
    [[nodiscard]] Result<void> setLoadState(const QString& loadId, const QString& state, const QString& note = {});
    [[nodiscard]] Result<BankLoad> findLoad(const QByteArray& asn, std::uint16_t atc) const;
    [[nodiscard]] Result<void> settleOpenRequests(const QByteArray& asn);

    QString m_connection;
    std::unique_ptr<BankClient> m_client;
    QByteArray m_terminalId;
    QStringList m_creditedHere; ///< load ids whose CREDIT this run sent (their TAC's source is "credit")
};

} // namespace wallet::core
