// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/psam/Psam.h"

#include <QSqlDatabase>

#include <memory>

namespace wallet::core {

/**
 * @brief The embedded PSAM: holds the purchase master key MPK (to derive each card's DPK), a terminal ID, and a
 * TSN counter persisted in its own SQLite file before each use (a TSN is never reused, even after a crash).
 * Confirmed purchases (with TAC and MAC2) wait there for settlement. Used on one thread (Qt Sql rule).
 */
class LocalPsam final : public Psam
{
public:
    ~LocalPsam() override;
    [[nodiscard]] static Result<std::unique_ptr<LocalPsam>> open(
        const QString& path, const QByteArray& terminalId, SecureBytes purchaseMasterKey);

    [[nodiscard]] QByteArray terminalId() const override { return m_terminalId; }
    [[nodiscard]] Result<PurchaseAuthorisation> authorisePurchase(const PurchaseRequest& request) override;
    [[nodiscard]] Result<void> confirmPurchase(
        std::uint32_t tsn, const QByteArray& mac2, const QByteArray& tac) override;
    [[nodiscard]] Result<std::vector<UnconfirmedPurchase>> unconfirmed(const QByteArray& asn) override;
    [[nodiscard]] Result<void> abandon(std::uint32_t tsn) override;
    [[nodiscard]] Result<std::vector<SettlementRecord>> pendingSettlement() override;
    [[nodiscard]] Result<void> markSettled(const std::vector<std::uint32_t>& tsns) override;
    [[nodiscard]] Result<void> setAside(std::uint32_t tsn, const QString& reason) override;
    /// The next TSN that will be used (for tests and diagnostics).
    [[nodiscard]] Result<std::uint32_t> nextTsn() const;
    /// Tests force the TSN of a golden-vector flow.
    [[nodiscard]] Result<void> setNextTsn(std::uint32_t tsn);

private:
    LocalPsam(QString connection, QByteArray terminalId, SecureBytes mpk);
    QSqlDatabase db() const;
    QString m_connection;
    QByteArray m_terminalId;
    SecureBytes m_mpk;
};

/**
 * @brief The acquirer's check of a settlement file: recomputes each purchase TAC with the card's DTK (diversified
 * from the TAC master key MTK) over amount ‖ 06 ‖ terminal ‖ TSN ‖ date ‖ time (spec §5.2).
 */
class SettlementVerifier
{
public:
    explicit SettlementVerifier(SecureBytes tacMasterKey)
        : m_mtk(std::move(tacMasterKey))
    { }
    [[nodiscard]] Result<void> verify(const SettlementRecord& record) const;
    /// JSON export (what `walletctl settle` writes) and its parse.
    [[nodiscard]] static QByteArray toJson(const std::vector<SettlementRecord>& records);
    [[nodiscard]] static Result<std::vector<SettlementRecord>> fromJson(const QByteArray& json);

private:
    SecureBytes m_mtk;
};

} // namespace wallet::core
