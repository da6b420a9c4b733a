// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/psam/Psam.h"

#include <memory>
#include <optional>

namespace wallet::kiosk {

/**
 * @brief The kiosk's PSAM with what its last calls showed: whether the PSAM stopped answering (a SAM pulled out of
 * its reader, issue 12), and the key's answer to DEBIT that the PSAM could not check. Every call goes to the PSAM
 * unchanged; only the kiosk's worker thread calls it.
 *
 * Why here and not in PurseService: only the kiosk must tell "the SAM is gone" from "the key is gone" to the
 * customer, and keep the key's TAC and MAC2 when VERIFY MAC2 got no answer (docs/kiosk.md "SAM pulled mid-sale").
 */
class SamWatch final : public core::Psam
{
public:
    /// What the key answered to DEBIT FOR PURCHASE (TAC ‖ MAC2) for a TSN, not verified by the PSAM yet.
    struct KeyAnswer
    {
        std::uint32_t tsn = 0;
        QByteArray mac2;
        QByteArray tac;
    };

    explicit SamWatch(std::unique_ptr<core::Psam> psam);

    /// Forgets what earlier calls showed (before a sale).
    void clear();
    /// Puts `psam` in place of the one watched (a SAM that answers again after the kiosk started without it); the
    /// PurseService that holds this SamWatch keeps working with the new one.
    void replace(std::unique_ptr<core::Psam> psam);
    /// The last call failed because the PSAM did not answer (no card, removed, reader gone), not by a refusal.
    [[nodiscard]] bool lost() const { return m_lost; }
    /// The key's answer that a VERIFY MAC2 without an answer left unchecked, once.
    [[nodiscard]] std::optional<KeyAnswer> takeUnchecked();
    /// A PSAM error that says the PSAM was not there to answer.
    [[nodiscard]] static bool isLoss(const core::Error& e);

    [[nodiscard]] QByteArray terminalId() const override { return m_psam->terminalId(); }
    [[nodiscard]] core::Result<core::PurchaseAuthorisation> authorisePurchase(
        const core::PurchaseRequest& request) override;
    [[nodiscard]] core::Result<void> confirmPurchase(
        std::uint32_t tsn, const QByteArray& mac2, const QByteArray& tac) override;
    [[nodiscard]] core::Result<std::vector<core::UnconfirmedPurchase>> unconfirmed(const QByteArray& asn) override;
    [[nodiscard]] core::Result<void> abandon(std::uint32_t tsn) override;
    [[nodiscard]] core::Result<std::vector<core::SettlementRecord>> pendingSettlement() override;
    [[nodiscard]] core::Result<void> markSettled(const std::vector<std::uint32_t>& tsns) override;
    [[nodiscard]] core::Result<void> setAside(std::uint32_t tsn, const QString& reason) override;

private:
    template <typename T>
    T seen(T result);

    std::unique_ptr<core::Psam> m_psam;
    bool m_lost = false;
    std::optional<KeyAnswer> m_unchecked;
};

} // namespace wallet::kiosk
