// SPDX-License-Identifier: Apache-2.0
#include "app/gui/PurseContext.h"

#include "core/issuer/UnavailableIssuerHost.h"
#include "core/psam/UnavailablePsam.h"

#include "core/keystore/KeyStore.h"

#include <QDir>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcPurseCtx, "wallet.app.purse")

namespace wallet::app {

namespace {
// The demo bank's terminal ID (6 bytes, 12 BCD digits) and the passphrase of its local key store. The key store only
// ever holds the public demo keys: this wallet's embedded issuer exists for the simulated key (docs/app.md).
const QByteArray kTerminalId = QByteArray::fromHex("112233445566");
constexpr char kDemoPassphrase[] = "smartkey-demo-issuer";
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
    QDir().mkpath(m_dataDir);
    const QDir dir(m_dataDir);
    const core::SecureBytes passphrase(std::begin(kDemoPassphrase), std::end(kDemoPassphrase) - 1);
    auto keys = core::KeyStore::openOrCreateDemo(dir.filePath(QStringLiteral("issuer-keys.bin")), passphrase);
    if (!keys) {
        return keys.error();
    }
    m_keys = keys->keys;
    if (keys->createdDemoKeys) {
        qCInfo(lcPurseCtx) << "created the demo issuer key store (public demo keys, never for real money)";
    }
    // A damaged or locked ledger / PSAM store must not hide the key's balance (issue 9 item 17): a stand-in that
    // refuses money operations with the reason takes its place; the files are never moved or replaced.
    auto issuer = core::LocalIssuerHost::open(dir.filePath(QStringLiteral("issuer-ledger.sqlite")), m_keys);
    if (issuer) {
        m_issuer = std::move(issuer.value());
    } else {
        qCWarning(lcPurseCtx) << "issuer ledger unavailable:" << issuer.error().detail;
        m_rolesError = issuer.error();
        m_issuerStandIn = std::make_unique<core::UnavailableIssuerHost>(issuer.error());
    }
    auto psam = core::LocalPsam::open(dir.filePath(QStringLiteral("psam.sqlite")), kTerminalId, m_keys.mpk);
    if (psam) {
        m_psam = std::move(psam.value());
    } else {
        qCWarning(lcPurseCtx) << "PSAM store unavailable:" << psam.error().detail;
        m_rolesError = psam.error();
        m_psamStandIn = std::make_unique<core::UnavailablePsam>(kTerminalId, psam.error());
    }
    auto mirror = core::TransactionStore::open(dir.filePath(QStringLiteral("mirror.sqlite")));
    if (mirror) {
        m_mirror = std::move(mirror.value());
    } else {
        m_mirrorError = mirror.error().detail;
        qCWarning(lcPurseCtx) << "transaction mirror unavailable:" << m_mirrorError;
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
    core::IssuerHost& issuer = m_issuer ? static_cast<core::IssuerHost&>(*m_issuer) : *m_issuerStandIn;
    core::Psam& psam = m_psam ? static_cast<core::Psam&>(*m_psam) : *m_psamStandIn;
    m_purse = std::make_unique<core::PurseService>(channel, issuer, psam, m_clock, m_mirror.get());
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
}

core::Result<void> PurseContext::ensureFundingAccount(const QByteArray& asn)
{
    if (auto ready = ensureServices(); !ready) {
        return ready.error();
    }
    if (!m_issuer) {
        return m_rolesError;
    }
    if (m_issuer->account(asn).ok()) {
        return {};
    }
    qCInfo(lcPurseCtx) << "opening a demo funding account for a simulated key";
    return m_issuer->registerCard(asn, core::Amount(kDemoFundingFen), core::Amount(kDemoPerLoadLimitFen));
}

} // namespace wallet::app
