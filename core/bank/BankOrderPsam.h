// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/bank/BankIssuerHost.h"
#include "core/bank/BankOrder.h"
#include "core/psam/Psam.h"

namespace wallet::core {

/**
 * @brief The bank host's acquirer as the PSAM of one merchant order (docs/bank.md §9.2, §10.2), so that
 * PurseService::purchase() runs its usual flow (INITIALIZE FOR PURCHASE → MAC1 → DEBIT → MAC2 + TAC, recovery by
 * the key's own evidence) with the bank computing MAC1 and verifying MAC2 and the TAC. Its terminal ID is the
 * merchant's online terminal ID from the signed order; the date and time in DEBIT are the bank's.
 *
 * Its records are the bank outbox's (BankIssuerHost): unconfirmed() lists this key's purchases at this merchant's
 * terminal still authorised there, which PurseService::open() resolves by the key's evidence (a higher offline ATC:
 * GET TRANSACTION PROVE → confirm; still N: abandon, and the order is open again). Settlement does not apply: the
 * bank moved the money on the confirmation.
 */
class BankOrderPsam final : public Psam
{
public:
    BankOrderPsam(BankIssuerHost& bank, MerchantOrder order)
        : m_bank(bank)
        , m_order(std::move(order))
    { }
    [[nodiscard]] QByteArray terminalId() const override { return m_order.terminalId; }
    [[nodiscard]] Result<PurchaseAuthorisation> authorisePurchase(const PurchaseRequest& request) override
    {
        if (request.amount != m_order.amount) {
            return makeError(ErrorCode::InvalidInput, QStringLiteral("the amount differs from the signed order's"));
        }
        return m_bank.authoriseOrderPurchase(request, m_order.terminalId, m_order.orderId, m_cardholderSignature);
    }
    /// Issue 14: the cardholder's slot 9A signature of the order (docs/bank-api.yaml `CardholderSignature`), made
    /// before the purchase starts (PIV and the purse share the channel, and SELECT ends INITIALIZE's session).
    void setCardholderSignature(QJsonObject signature) { m_cardholderSignature = std::move(signature); }
    [[nodiscard]] Result<void> confirmPurchase(
        std::uint32_t tsn, const QByteArray& mac2, const QByteArray& tac) override
    {
        auto r = m_bank.confirmOrderPurchase(m_order.terminalId, tsn, mac2, tac);
        if (!r) {
            return r.error();
        }
        m_receipt = *r;
        return {};
    }
    [[nodiscard]] Result<std::vector<UnconfirmedPurchase>> unconfirmed(const QByteArray& asn) override
    {
        return m_bank.openPurchases(asn, m_order.terminalId);
    }
    [[nodiscard]] Result<void> abandon(std::uint32_t tsn) override
    {
        return m_bank.abandonOrderPurchase(m_order.terminalId, tsn);
    }
    [[nodiscard]] Result<std::vector<SettlementRecord>> pendingSettlement() override
    {
        return std::vector<SettlementRecord>{};
    }
    [[nodiscard]] Result<void> markSettled(const std::vector<std::uint32_t>& tsns) override
    {
        (void)tsns;
        return {};
    }
    /// The bank's purchase after the confirmation (state, TAC, purchase id): the receipt.
    [[nodiscard]] const QJsonObject& receipt() const { return m_receipt; }
    [[nodiscard]] const MerchantOrder& order() const { return m_order; }

private:
    BankIssuerHost& m_bank;
    MerchantOrder m_order;
    QJsonObject m_receipt;
    QJsonObject m_cardholderSignature;
};

} // namespace wallet::core
