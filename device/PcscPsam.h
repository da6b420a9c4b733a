// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/psam/CardPsam.h"
#include "device/PcscApduChannel.h"

#include <memory>

namespace wallet::device {

/**
 * @brief The kiosk's PSAM: the PSAM card application (docs/psam.md) in a SAM in a PC/SC reader, chosen by name
 * from the configuration. The purchase master key never leaves the card; this class only moves APDUs
 * (core::CardPsam) over pcsc-lite (PcscApduChannel). Drop-in for core::LocalPsam behind core::Psam.
 */
class PcscPsam final : public core::Psam
{
public:
    /// Connects to the SAM in `readerName` (exact, or the one reader whose name contains it) and selects the PSAM.
    [[nodiscard]] static core::Result<std::unique_ptr<PcscPsam>> open(const QString& readerName);

    [[nodiscard]] QByteArray terminalId() const override { return m_psam->terminalId(); }
    [[nodiscard]] core::Result<core::PurchaseAuthorisation> authorisePurchase(
        const core::PurchaseRequest& request) override
    {
        return m_psam->authorisePurchase(request);
    }
    [[nodiscard]] core::Result<void> confirmPurchase(
        std::uint32_t tsn, const QByteArray& mac2, const QByteArray& tac) override
    {
        return m_psam->confirmPurchase(tsn, mac2, tac);
    }
    [[nodiscard]] core::Result<std::vector<core::UnconfirmedPurchase>> unconfirmed(const QByteArray& asn) override
    {
        return m_psam->unconfirmed(asn);
    }
    [[nodiscard]] core::Result<void> abandon(std::uint32_t tsn) override { return m_psam->abandon(tsn); }
    [[nodiscard]] core::Result<std::vector<core::SettlementRecord>> pendingSettlement() override
    {
        return m_psam->pendingSettlement();
    }
    [[nodiscard]] core::Result<void> markSettled(const std::vector<std::uint32_t>& tsns) override
    {
        return m_psam->markSettled(tsns);
    }
    [[nodiscard]] core::Result<void> setAside(std::uint32_t tsn, const QString& reason) override
    {
        return m_psam->setAside(tsn, reason);
    }
    [[nodiscard]] core::Result<core::PsamCardStatus> status() { return m_psam->status(); }
    [[nodiscard]] QString description() const { return m_channel->description(); }

private:
    PcscPsam(std::unique_ptr<PcscApduChannel> channel, std::unique_ptr<core::CardPsam> psam)
        : m_channel(std::move(channel))
        , m_psam(std::move(psam))
    { }
    std::unique_ptr<PcscApduChannel> m_channel; ///< declared first: destroyed after m_psam, which refers to it
    std::unique_ptr<core::CardPsam> m_psam;
};

} // namespace wallet::device
