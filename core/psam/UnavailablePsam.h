// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/psam/Psam.h"

namespace wallet::core {

/**
 * @brief Stands in for a PSAM whose store could not be opened (damaged or locked file): every call answers the
 * reason, so the key's balance and log stay readable (issue 9 item 17) while purchases wait. Its terminal ID is
 * the configured one, so nothing else changes; nothing is written anywhere.
 */
class UnavailablePsam final : public Psam
{
public:
    UnavailablePsam(QByteArray terminalId, Error why)
        : m_terminalId(std::move(terminalId))
        , m_why(std::move(why))
    { }
    [[nodiscard]] QByteArray terminalId() const override { return m_terminalId; }
    [[nodiscard]] Result<PurchaseAuthorisation> authorisePurchase(const PurchaseRequest&) override { return m_why; }
    [[nodiscard]] Result<void> confirmPurchase(std::uint32_t, const QByteArray&, const QByteArray&) override
    {
        return m_why;
    }
    [[nodiscard]] Result<std::vector<UnconfirmedPurchase>> unconfirmed(const QByteArray&) override { return m_why; }
    [[nodiscard]] Result<void> abandon(std::uint32_t) override { return m_why; }
    [[nodiscard]] Result<std::vector<SettlementRecord>> pendingSettlement() override { return m_why; }
    [[nodiscard]] Result<void> markSettled(const std::vector<std::uint32_t>&) override { return m_why; }

private:
    QByteArray m_terminalId;
    Error m_why;
};

} // namespace wallet::core
