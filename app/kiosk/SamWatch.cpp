// SPDX-License-Identifier: Apache-2.0
#include "app/kiosk/SamWatch.h"

namespace wallet::kiosk {

using core::ErrorCode;
using core::Result;

SamWatch::SamWatch(std::unique_ptr<core::Psam> psam)
    : m_psam(std::move(psam))
{ }

void SamWatch::clear()
{
    m_lost = false;
    m_unchecked.reset();
}

void SamWatch::replace(std::unique_ptr<core::Psam> psam)
{
    m_psam = std::move(psam);
    clear();
}

std::optional<SamWatch::KeyAnswer> SamWatch::takeUnchecked()
{
    auto out = std::move(m_unchecked);
    m_unchecked.reset();
    return out;
}

bool SamWatch::isLoss(const core::Error& e)
{
    // PcscApduChannel: NoDevice when no card can be connected, Disconnected when a transmit found it gone.
    return e.code == ErrorCode::NoDevice || e.code == ErrorCode::Disconnected || e.code == ErrorCode::Timeout;
}

template <typename T>
T SamWatch::seen(T result)
{
    m_lost = !result && isLoss(result.error()); // the last call decides
    return result;
}

Result<core::PurchaseAuthorisation> SamWatch::authorisePurchase(const core::PurchaseRequest& request)
{
    return seen(m_psam->authorisePurchase(request));
}

Result<void> SamWatch::confirmPurchase(std::uint32_t tsn, const QByteArray& mac2, const QByteArray& tac)
{
    auto r = seen(m_psam->confirmPurchase(tsn, mac2, tac));
    if (!r && isLoss(r.error())) {
        m_unchecked = KeyAnswer{tsn, mac2, tac}; // the key paid or not: only the PSAM can check this answer
    } else if (r && m_unchecked && m_unchecked->tsn == tsn) {
        m_unchecked.reset();
    }
    return r;
}

Result<std::vector<core::UnconfirmedPurchase>> SamWatch::unconfirmed(const QByteArray& asn)
{
    return seen(m_psam->unconfirmed(asn));
}

Result<void> SamWatch::abandon(std::uint32_t tsn)
{
    return seen(m_psam->abandon(tsn));
}

Result<std::vector<core::SettlementRecord>> SamWatch::pendingSettlement()
{
    return seen(m_psam->pendingSettlement());
}

Result<void> SamWatch::markSettled(const std::vector<std::uint32_t>& tsns)
{
    return seen(m_psam->markSettled(tsns));
}

Result<void> SamWatch::setAside(std::uint32_t tsn, const QString& reason)
{
    return seen(m_psam->setAside(tsn, reason));
}

} // namespace wallet::kiosk
