// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bank/db/PgConnection.h"
#include "bank/hsm/Hsm.h"
#include "bank/issuance/Staff.h"
#include "bank/issuer/Issuer.h"
#include "bank/server/Reply.h"

#include <QJsonObject>
#include <QString>

#include <optional>

namespace wallet::bank {

/**
 * @brief The issuance authority's provisioning of a kiosk's SAM (issue 12; docs/bank.md §9.6, docs/psam.md, API tag
 * `psams`). A SAM is a blank SmartKey whose PSAM application holds the purchase master key: the bank personalises it
 * under the SAM's own transport key KT = diversify(`mkt.v1`, device serial), derived in the HSM for each command
 * and never stored, exactly as it opens a blank cardholder key (§8.6). The kiosk relays: it asks for the SAM
 * (its serial, from the manufacturer's lots), then for each of the four commands sends the SAM's fresh 4-byte
 * challenge and gets back one ready APDU (WRITE KEY of `mpk.v<n>` under KT, PUT DATA terminal ID, PUT DATA first
 * TSN, END PERSONALIZATION, each MACed under KT), and finally reports the SAM's GET STATUS. The kiosk never sees
 * a key. The terminal ID is the kiosk's PSAM terminal ID registered by `bankctl merchants add-psam`, so its
 * settlement batches are accepted. Kiosk certificates only.
 */
class PsamProvisioning
{
public:
    PsamProvisioning(Hsm& hsm, Staff& staff);

    static constexpr int kTotalSteps = 4;

    /// POST /v1/psams: 201 a new provisioning, 200 this kiosk's open one for the same SAM.
    [[nodiscard]] Reply create(PgConnection& db, const CallContext& call, const QJsonObject& body);
    /// POST /v1/psams/{serial}/steps: the command of `step` for the relayed challenge.
    [[nodiscard]] Reply step(PgConnection& db, const CallContext& call, const QString& serial, const QJsonObject& body);
    /// POST /v1/psams/{serial}/completion: the SAM's GET STATUS; → provisioned.
    [[nodiscard]] Reply complete(
        PgConnection& db, const CallContext& call, const QString& serial, const QJsonObject& body);
    /// GET /v1/psams/{serial}
    [[nodiscard]] Reply get(PgConnection& db, const CallContext& call, const QString& serial);

    [[nodiscard]] static Reply validateCreate(const QJsonObject& body, const QString& requestId);
    [[nodiscard]] static Reply validateStep(const QJsonObject& body, const QString& requestId);
    [[nodiscard]] static Reply validateCompletion(const QJsonObject& body, const QString& requestId);

private:
    [[nodiscard]] Reply reply(PgConnection& db, const QString& serial, int status, const QString& rid);
    /// The SAM's row under its lock for a step or the completion, or the refusal: none (404), another kiosk's
    /// (403), provisioned already (409, with `provisionedDetail`).
    struct Open
    {
        DbResult row;
        std::optional<Reply> refusal;
    };
    [[nodiscard]] Open lockOpen(
        PgConnection& db, const CallContext& call, const QString& serial, const QString& provisionedDetail);

    Hsm& m_hsm;
    Staff& m_staff;
};

} // namespace wallet::bank
