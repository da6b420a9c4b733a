// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/issuer/IssuerHost.h"

namespace wallet::kiosk {

/// A kiosk never loads keys nor maintains them: every load or maintenance request is refused, and there are never
/// loads of its own to reconcile (so PurseService::open() reconciles only the PSAM's purchases).
class KioskIssuerHost final : public core::IssuerHost
{
public:
    [[nodiscard]] core::Result<core::LoadAuthorisation> authoriseLoad(const core::LoadRequest&) override
    {
        return refused();
    }
    [[nodiscard]] core::Result<void> confirmLoad(
        const QByteArray&, std::uint16_t, core::Amount, const QByteArray&) override
    {
        return refused();
    }
    [[nodiscard]] core::Result<void> cancelLoad(const QByteArray&, std::uint16_t) override { return refused(); }
    [[nodiscard]] core::Result<std::vector<core::PendingLoad>> pendingLoads(const QByteArray&) override
    {
        return std::vector<core::PendingLoad>{};
    }
    [[nodiscard]] core::Result<void> disputeLoad(const QByteArray&, std::uint16_t, const QString&) override
    {
        return refused();
    }
    [[nodiscard]] core::Result<core::CommandApdu> maintenanceCommand(const core::MaintenanceRequest&) override
    {
        return refused();
    }

private:
    static core::Error refused()
    {
        return core::makeError(core::ErrorCode::Declined, QStringLiteral("a kiosk does not load or maintain keys"));
    }
};

} // namespace wallet::kiosk
