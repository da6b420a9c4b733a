// SPDX-License-Identifier: Apache-2.0
// A terminal around one in-process token: the real firmware (HostToken), an InProcessChannel with failure
// injection, a LocalIssuerHost, a LocalPsam and a TransactionStore in a temporary directory, a FixedClock.
#pragma once

#include "core/apdu/SecureMessaging.h"
#include "core/issuance/Personaliser.h"
#include "core/issuer/LocalIssuerHost.h"
#include "core/keystore/KeyStore.h"
#include "core/psam/LocalPsam.h"
#include "core/purse/PurseService.h"
#include "core/storage/TransactionStore.h"
#include "support/InProcessChannel.h"

#include <QTemporaryDir>

#include <memory>

namespace wallet::core::test {

inline QString profilePath(const char* name)
{
    const QString root = qEnvironmentVariable("SKEY_SOURCE_DIR", QStringLiteral(WALLET_SOURCE_DIR));
    return root + QStringLiteral("/resources/profiles/") + QLatin1String(name);
}

struct Rig
{
    QTemporaryDir dir;
    skey::host::HostToken token;
    InProcessChannel channel{token};
    FixedClock clock{QDateTime(QDate(2026, 3, 14), QTime(10, 30, 0))};
    std::unique_ptr<LocalIssuerHost> issuer;
    std::unique_ptr<LocalPsam> psam;
    std::unique_ptr<TransactionStore> mirror;
    std::unique_ptr<PurseService> purse;
    IssuanceProfile profile;
    QByteArray asn;

    /// Opens the roles; returns an error text or empty.
    QString openRoles(const IssuerMasterKeys& keys = KeyStore::demoKeys())
    {
        auto i = LocalIssuerHost::open(dir.filePath(QStringLiteral("issuer.sqlite")), keys);
        if (!i) {
            return i.error().detail;
        }
        issuer = std::move(*i);
        auto p = LocalPsam::open(
            dir.filePath(QStringLiteral("psam.sqlite")), QByteArray::fromHex("112233445566"), keys.mpk);
        if (!p) {
            return p.error().detail;
        }
        psam = std::move(*p);
        auto m = TransactionStore::open(dir.filePath(QStringLiteral("mirror.sqlite")));
        if (!m) {
            return m.error().detail;
        }
        mirror = std::move(*m);
        purse = std::make_unique<PurseService>(channel, *issuer, *psam, clock, mirror.get());
        return {};
    }

    /// Issues the token from a resources/profiles file (optionally edited) and registers it at the issuer.
    QString issue(const char* profileFile, const std::function<void(IssuanceProfile&)>& edit = {})
    {
        auto p = IssuanceProfile::fromFile(profilePath(profileFile));
        if (!p) {
            return p.error().detail;
        }
        profile = std::move(*p);
        if (edit) {
            edit(profile);
        }
        auto r = Personaliser(channel).personalise(profile);
        if (!r) {
            return r.error().detail;
        }
        asn = r->asn;
        if (auto reg = issuer->registerCard(asn, profile.initialFunding, Amount(0), profile.algorithm); !reg) {
            return reg.error().detail;
        }
        auto o = purse->open();
        return o ? QString() : o.error().detail;
    }

    /// Rebuilds the service (a terminal restart: new PurseService, same files and token).
    void restartService() { purse = std::make_unique<PurseService>(channel, *issuer, *psam, clock, mirror.get()); }
};

inline Pin pin(const char* digits)
{
    return *Pin::fromDigits(digits);
}

} // namespace wallet::core::test
