// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bank/db/PgConnection.h"
#include "bank/hsm/Hsm.h"
#include "bank/issuer/Issuer.h"
#include "bank/server/Reply.h"

#include <atomic>
#include <functional>
#include <string>

namespace wallet::bank {

/// Test-only crash points (a data folder marked by `bankctl init --test`, env SKEY_BANK_FAULT): the process exits
/// with status 86 at the n-th mutating request, before or after its COMMIT, as a power cut or kill would.
struct FaultPlan
{
    enum class Point { None, BeforeCommit, AfterCommit };
    Point point = Point::None;
    int atRequest = 0;
    /// Parses "crash-before-commit:N" / "crash-after-commit:N".
    [[nodiscard]] static FaultPlan parse(const std::string& spec);
};

/**
 * @brief Exactly-once execution of one mutating request (docs/bank.md §6.1). In ONE transaction: claim the
 * request id (scope = the calling terminal) with its HMAC fingerprint (key `fingerprint` in the HSM), run the
 * operation, store its answer, COMMIT; only then is the answer sent. A request id that exists already answers the
 * stored first answer (same fingerprint) or 422 idempotency-key-reused; one whose first attempt still runs waits
 * for it (the unique index), at most lock_timeout (2 s), then 409 idempotency-key-in-flight. A refusal rolls back
 * the operation's effects to a savepoint (nothing moved) and is stored as the answer. 5xx answers are not stored.
 */
class Idempotency
{
public:
    Idempotency(Hsm& hsm, FaultPlan fault);

    using Operation = std::function<Reply(PgConnection&)>;
    /// `replayed` is set when the answer is a stored first answer.
    [[nodiscard]] Reply run(PgConnection& db,
        const CallContext& call,
        const std::string& method,
        const std::string& path,
        const QByteArray& canonicalBody,
        const Operation& op,
        bool& replayed);

private:
    void maybeCrash(FaultPlan::Point at, int request);

    Hsm& m_hsm;
    FaultPlan m_fault;
    std::atomic<int> m_requests{0};
};

} // namespace wallet::bank
