// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/issuer/IssuerHost.h"

namespace wallet::core {

/**
 * @brief Stands in for an issuer host that could not be opened (a damaged or locked ledger file): every call
 * answers the reason, so PurseService still opens the key and reads its balance and log (issue 9 item 17), while
 * loads and their reconciliation wait until the ledger is usable again. Nothing is written anywhere.
 */
class UnavailableIssuerHost final : public IssuerHost
{
public:
    explicit UnavailableIssuerHost(Error why)
        : m_why(std::move(why))
    { }
    [[nodiscard]] Result<LoadAuthorisation> authoriseLoad(const LoadRequest&) override { return m_why; }
    [[nodiscard]] Result<void> confirmLoad(const QByteArray&, std::uint16_t, Amount, const QByteArray&) override
    {
        return m_why;
    }
    [[nodiscard]] Result<void> cancelLoad(const QByteArray&, std::uint16_t) override { return m_why; }
    [[nodiscard]] Result<std::vector<PendingLoad>> pendingLoads(const QByteArray&) override { return m_why; }
    [[nodiscard]] Result<void> disputeLoad(const QByteArray&, std::uint16_t, const QString&) override { return m_why; }
    [[nodiscard]] Result<CommandApdu> maintenanceCommand(const MaintenanceRequest&) override { return m_why; }

private:
    Error m_why;
};

} // namespace wallet::core
