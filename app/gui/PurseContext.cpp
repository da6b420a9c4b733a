// SPDX-License-Identifier: Apache-2.0
#include "app/gui/PurseContext.h"

#include <QDir>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcPurseCtx, "wallet.app.purse")

namespace wallet::app {

namespace {
// Funding opened for a simulated key the demo issuer has not seen (issued by skey-sim from a profile).
constexpr std::uint32_t kDemoFundingFen = 10000000; // ¥100,000.00
constexpr std::uint32_t kDemoPerLoadLimitFen = 1000000; // ¥10,000.00
} // namespace

PurseContext::PurseContext(QString dataDir)
    : m_dataDir(std::move(dataDir))
{ }

PurseContext::~PurseContext() = default;

core::Result<void> PurseContext::ensureServices()
{
    if (m_ready) {
        return {};
    }
    // The same composition as walletctl's (core::TerminalRoles): a damaged or locked ledger / PSAM store must not
    // hide the key's balance (issue 9 item 17), so stand-ins refuse money operations with the reason.
    core::TerminalRolesOptions options;
    options.dataDir = m_dataDir;
    options.needMoneyFiles = false;
    if (auto r = m_roles.open(options); !r) {
        return r.error();
    }
    for (const QString& n : m_roles.notices()) {
        qCInfo(lcPurseCtx).noquote() << n;
    }
    m_ready = true;
    return {};
}

core::Result<core::PurseService*> PurseContext::purse(core::ApduChannel& channel)
{
    if (auto ready = ensureServices(); !ready) {
        return ready.error();
    }
    if (m_purse && m_purseChannel == &channel) {
        return m_purse.get();
    }
    m_purse
        = std::make_unique<core::PurseService>(channel, m_roles.issuer(), m_roles.psam(), m_clock, m_roles.mirror());
    m_purseChannel = &channel;
    auto card = m_purse->open();
    if (!card) {
        m_purse.reset();
        m_purseChannel = nullptr;
        return card.error();
    }
    return m_purse.get();
}

void PurseContext::forgetKey()
{
    m_purse.reset();
    m_purseChannel = nullptr;
    m_orderPurse.reset();
}

core::Result<core::PurseService*> PurseContext::orderPurse(core::ApduChannel& channel, const core::MerchantOrder& order)
{
    if (auto ready = ensureServices(); !ready) {
        return ready.error();
    }
    if (!m_roles.bank()) {
        return core::makeError(core::ErrorCode::InvalidState, QStringLiteral("no bank host is configured"));
    }
    m_orderPurse.reset();
    m_orderPsam = std::make_unique<core::BankOrderPsam>(*m_roles.bank(), order);
    core::PursePolicy policy;
    policy.merchantName = order.merchantName;
    m_orderPurse = std::make_unique<core::PurseService>(
        channel, m_roles.issuer(), *m_orderPsam, m_clock, m_roles.mirror(), std::move(policy));
    // Also settles what an earlier attempt at this merchant left unknown, on the key's own evidence.
    if (auto card = m_orderPurse->open(); !card) {
        m_orderPurse.reset();
        return card.error();
    }
    return m_orderPurse.get();
}

core::Result<core::IssuanceResult> PurseContext::issueKey(
    core::ApduChannel& channel, const core::IssuanceProfile& profile)
{
    if (auto ready = ensureServices(); !ready) {
        return ready.error();
    }
    auto issued = m_roles.issueKey(channel, profile);
    forgetKey();
    return issued;
}

core::Result<void> PurseContext::ensureFundingAccount(const QByteArray& asn)
{
    if (auto ready = ensureServices(); !ready) {
        return ready.error();
    }
    if (core::LocalBankHost* local = m_roles.localBank(); local && local->legacyDemoKeys()) {
        // A legacy local bank folder (the public demo keys): a simulated key it has not seen gets a DEMO account.
        auto opened = local->ensureDemoAccount(asn, QStringLiteral("DEMO simulated key"), kDemoFundingFen);
        if (!opened) {
            return opened.error();
        }
        return {};
    }
    if (m_roles.bank()) {
        return {}; // the bank knows the keys it issued; it opens no account for others
    }
    core::LocalIssuerHost* issuer = m_roles.localIssuer();
    if (!issuer) {
        return m_roles.rolesError();
    }
    if (issuer->account(asn).ok()) {
        return {};
    }
    qCInfo(lcPurseCtx) << "opening a demo funding account for a simulated key";
    return issuer->registerCard(asn, core::Amount(kDemoFundingFen), core::Amount(kDemoPerLoadLimitFen));
}

} // namespace wallet::app
