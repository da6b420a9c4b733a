// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bank/db/PgConnection.h"
#include "bank/issuer/Issuer.h"
#include "bank/server/Idempotency.h"
#include "bank/server/Reply.h"

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace wallet::bank {

/**
 * @brief Group commit of mutating requests (docs/bank.md §7.3 "Decision: group commit"). Worker threads hand a
 * prepared request (its fingerprint and HSM work already done, outside any transaction) to one of a few committers;
 * each committer owns one database connection and runs what has queued up, at most `maxGroup` requests, in ONE
 * transaction: per request a `SAVEPOINT request`, then Idempotency::execute (claim the request id, the operation
 * under its own savepoint, the stored answer); a request whose writes may not stay (a 5xx, a 409 in flight, a replay)
 * is rolled back to its savepoint. Then one COMMIT, one WAL flush, and only then every answer. A lone request never
 * waits: the committer takes whatever is queued the moment it is free, so groups form only while a COMMIT is under
 * way. When the group's transaction fails (a statement that leaves the connection unusable, the COMMIT itself,
 * a lost connection), no answer of it is given: each request runs again alone, in its own transaction, and a
 * request that fails alone answers 503 unstored (a group whose BEGIN failed, with no connection or without SQLite's
 * write lock within its busy timeout, answers 503 to each at once: nothing ran); because the request id is claimed in
 * the same transaction as the effects, a COMMIT that did land before the connection broke makes the retry a replay of
 * the stored answer, never a second movement. Requests of one key go to one committer (the caller's route: the key's
 * float bucket), so the groups of two committers of one host never wait on each other's card or float rows.
 */
class GroupCommit
{
public:
    struct Options
    {
        int committers = 1;
        int maxGroup = 32;
    };
    GroupCommit(std::string conninfo, Idempotency& idempotency, Options options);
    ~GroupCommit();
    GroupCommit(const GroupCommit&) = delete;
    GroupCommit& operator=(const GroupCommit&) = delete;

    /// Runs one request in the next group of committer `route % committers` and waits until its group committed
    /// (or it was answered alone). `request` is its number for the fault plan (Idempotency::nextRequest).
    [[nodiscard]] Reply submit(unsigned route,
        const CallContext& call,
        const std::string& fingerprintHex,
        int request,
        const Idempotency::Operation& op,
        bool& replayed);
    void stop();

private:
    struct Item;
    struct Committer;
    void loop(Committer& c);
    void runGroup(Committer& c, std::vector<Item*>& items);
    /// Committed: every item has its answer. NotBegun: BEGIN failed, nothing ran. Failed: rolled back, no answer.
    enum class Outcome { Committed, NotBegun, Failed };
    [[nodiscard]] Outcome tryGroup(Db& db, const std::vector<Item*>& items);

    std::string m_conninfo;
    Idempotency& m_idempotency;
    Options m_options;
    std::vector<std::unique_ptr<Committer>> m_committers;
};

} // namespace wallet::bank
