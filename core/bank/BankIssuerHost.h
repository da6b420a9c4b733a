// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/bank/BankClient.h"
#include "core/issuer/IssuerHost.h"
#include "core/psam/Psam.h"

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
    // Online purchases of merchant orders (docs/bank.md §9.2, §10.2): the bank is the PSAM. Filed in the same outbox
    // (table `purchases`, keyed by the bank's purchase id and by (terminal ID, TSN)).
    /// POST /v1/purchases for `orderId` after INITIALIZE FOR PURCHASE at the order's `terminalId`. Returns the TSN,
    /// MAC1 and the bank's date and time; checks `debitApdu` is exactly the DEBIT FOR PURCHASE they make.
    /// `cardholderSignature` (docs/bank-api.yaml `CardholderSignature`, issue 14) is sent when not empty.
    [[nodiscard]] Result<PurchaseAuthorisation> authoriseOrderPurchase(const PurchaseRequest& request,
        const QByteArray& terminalId,
        const QString& orderId,
        const QJsonObject& cardholderSignature = {});
    /// POST …/confirmation with MAC2 and the TAC: the bank verifies both, moves the money, marks the order paid.
    /// Returns the bank's purchase (the receipt).
    [[nodiscard]] Result<QJsonObject> confirmOrderPurchase(
        const QByteArray& terminalId, std::uint32_t tsn, const QByteArray& mac2, const QByteArray& tac);
    /// POST …/abandonment with the key's offline ATC and balance (it showed it never debited): the order opens again.
    [[nodiscard]] Result<void> abandonOrderPurchase(const QByteArray& terminalId, std::uint32_t tsn);
    /// This key's purchases at `terminalId` authorised by the bank and not yet completed or abandoned here.
    [[nodiscard]] Result<std::vector<UnconfirmedPurchase>> openPurchases(
        const QByteArray& asn, const QByteArray& terminalId) const;

    [[nodiscard]] Result<std::vector<BankLoad>> openLoads() const;
    [[nodiscard]] Result<int> openRequests() const;
    [[nodiscard]] const BankClient& client() const { return *m_client; }
    /// The wire itself, for calls that keep no outbox row (a certificate application's request id is derived from
    /// the request, core/piv/CertificateService).
    [[nodiscard]] BankClient& client() { return *m_client; }
    /// A GET of the API (no outbox: reads change nothing), e.g. an order.
    [[nodiscard]] Result<BankAnswer> get(const QString& path) { return m_client->send(BankCall{"GET", path, {}, {}}); }

private:
    BankIssuerHost(QString connection, std::unique_ptr<BankClient> client, QByteArray terminalId);
    QSqlDatabase db() const;
    /// Sends a POST with the outbox's request id for this exact request (a new one only for a new request), retrying
    /// an answer that did not arrive. `asn`/`atc`/`purpose` file it for replay by pendingLoads().
    [[nodiscard]] Result<BankAnswer> post(const QString& path,
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
    [[nodiscard]] Result<void> recordPurchase(const QJsonObject& purchase, const QJsonObject& request);
    struct PurchaseRow
    {
        QString purchaseId, state;
        std::uint16_t offlineAtc = 0;
        qint64 balanceBefore = 0;
        QByteArray asn;
    };
    [[nodiscard]] Result<PurchaseRow> findPurchase(const QByteArray& terminalId, std::uint32_t tsn) const;

    QString m_connection;
    std::unique_ptr<BankClient> m_client;
    QByteArray m_terminalId;
    QStringList m_creditedHere; ///< load ids whose CREDIT this run sent (their TAC's source is "credit")
    QStringList m_debitedHere; ///< purchase ids whose DEBIT this run sent (their TAC's source is "debit")
};

} // namespace wallet::core
