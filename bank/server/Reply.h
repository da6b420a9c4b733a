// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <string>
#include <utility>
#include <vector>

namespace wallet::bank {

/// One HTTP answer of the API: a JSON body, or an RFC 9457 problem (docs/bank.md §6.2).
struct Reply
{
    int status = 200;
    QByteArray body; ///< compact JSON
    bool problem = false;
    std::string location;
    int retryAfter = 0; ///< seconds, for 409 in-flight and 503
    /// A refusal whose facts must still be committed (docs/bank.md §9.1: a probe that proves the credit completes
    /// the load and answers 409 load-credited; §7.4: a key above its shadow balance is flagged for review). Money
    /// never moves under such a refusal.
    bool commitEffects = false;
    /// A body that is not JSON (the CRL, application/pkix-crl); empty: application/json or problem+json.
    std::string contentType;

    [[nodiscard]] static Reply json(int status, const QJsonObject& body, std::string location = {});
    /**
     * A problem: `type` is the tag URI tag:smartkey.example,2026:bank/<code>, plus the extensions `code`,
     * `nextStep` (in words a person understands), `requestId`, `state` and `errors[]` (JSON pointers).
     */
    [[nodiscard]] static Reply problemOf(int status,
        const QString& code,
        const QString& title,
        const QString& detail,
        const QString& nextStep,
        const QString& requestId = {},
        const QString& state = {},
        const std::vector<std::pair<QString, QString>>& errors = {});
    /// Stored by the idempotency record (§6.1 item 3): 2xx and the deterministic refusals; not 401/403/409
    /// in-flight/429/5xx.
    [[nodiscard]] bool storable() const;
};

/// Reply::problemOf with the code as a literal: what the bank's operations answer with (one helper for all of them).
[[nodiscard]] inline Reply problem(int status,
    const char* code,
    const QString& title,
    const QString& detail,
    const QString& next,
    const QString& rid,
    const QString& state = {})
{
    return Reply::problemOf(status, QLatin1String(code), title, detail, next, rid, state);
}

} // namespace wallet::bank
