// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bank/db/PgConnection.h"
#include "bank/hsm/Hsm.h"
#include "bank/issuer/Issuer.h"
#include "bank/server/Reply.h"

#include <atomic>
#include <functional>
#include <optional>
#include <string>

namespace wallet::bank {

/// Test-only faults (a data folder marked by `bankctl init --test`, env SKEY_BANK_FAULT): the process exits with
/// status 86 at the n-th mutating request, before or after its COMMIT (with group commit: its group's one COMMIT), as
/// a power cut or kill would; or the COMMIT of the group holding the n-th request fails (the group's transaction is
/// rolled back as a failed COMMIT would leave it, docs/bank.md §7.3). `group-hold:K` makes each committer wait
/// until K requests are queued (at most 10 s) before it runs a group, so a test knows which requests share one.
struct FaultPlan
{
    enum class Point { None, BeforeCommit, AfterCommit, FailGroupCommit };
    Point point = Point::None;
    int atRequest = 0;
    int groupHold = 0;
    /// Parses comma-separated parts: "crash-before-commit:N", "crash-after-commit:N", "fail-group-commit:N",
    /// "group-hold:K".
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
    /// The request's fingerprint as the `\x…` hex the table stores (HMAC in the HSM; §6.1 item 1), or nullopt
    /// when the HSM did not answer. Computed outside any transaction.
    [[nodiscard]] std::optional<std::string> fingerprint(
        const std::string& method, const std::string& path, const QByteArray& canonicalBody);
    /// The number of the next mutating request, counted for the fault plan.
    [[nodiscard]] int nextRequest() { return ++m_requests; }
    /// One request inside a transaction the caller opened (run() or a group, docs/bank.md §7.3): claim the request
    /// id, answer a stored first answer (`replayed`) or 422, or run `op` under SAVEPOINT operation and store its
    /// answer. `keep` is true when the request's writes must be committed with its answer; false when nothing may
    /// be kept (a replay, a 422 reuse, a 409 in flight, a 5xx): the caller rolls back what this request wrote.
    [[nodiscard]] Reply execute(PgConnection& db,
        const CallContext& call,
        const std::string& fingerprintHex,
        const Operation& op,
        bool& replayed,
        bool& keep);
    /// The test fault plan's crash point for request number `request` (FaultPlan).
    void maybeCrash(FaultPlan::Point at, int request);
    [[nodiscard]] const FaultPlan& faultPlan() const { return m_fault; }
    /// 503 unavailable, not stored: nothing was committed.
    [[nodiscard]] static Reply unavailable(const QString& requestId, const QString& detail);
    /// `replayed` is set when the answer is a stored first answer.
    [[nodiscard]] Reply run(PgConnection& db,
        const CallContext& call,
        const std::string& method,
        const std::string& path,
        const QByteArray& canonicalBody,
        const Operation& op,
        bool& replayed);

private:
    Hsm& m_hsm;
    FaultPlan m_fault;
    std::atomic<int> m_requests{0};
};

} // namespace wallet::bank
