// SPDX-License-Identifier: Apache-2.0
#include "bank/server/GroupCommit.h"

#include <algorithm>
#include <chrono>
#include <future>

namespace wallet::bank {

struct GroupCommit::Item
{
    const CallContext* call = nullptr;
    const std::string* fingerprintHex = nullptr;
    int request = 0;
    const Idempotency::Operation* op = nullptr;
    // Set by a group that committed (or by the answer alone), then `done` is fulfilled.
    Reply reply;
    bool replayed = false;
    bool keep = false;
    std::promise<void> done;
};

struct GroupCommit::Committer
{
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<Item*> queue;
    bool stopping = false;
    std::unique_ptr<Db> db;
    std::thread thread;
};

GroupCommit::GroupCommit(std::string conninfo, Idempotency& idempotency, Options options)
    : m_conninfo(std::move(conninfo))
    , m_idempotency(idempotency)
    , m_options(options)
{
    m_options.committers = std::max(1, m_options.committers);
    m_options.maxGroup = std::max(1, m_options.maxGroup);
    for (int i = 0; i < m_options.committers; ++i) {
        m_committers.push_back(std::make_unique<Committer>());
    }
    for (auto& c : m_committers) {
        c->thread = std::thread([this, committer = c.get()] { loop(*committer); });
    }
}

GroupCommit::~GroupCommit()
{
    stop();
}

void GroupCommit::stop()
{
    for (auto& c : m_committers) {
        {
            std::lock_guard lock(c->mutex);
            c->stopping = true;
        }
        c->wake.notify_all();
    }
    for (auto& c : m_committers) {
        if (c->thread.joinable()) {
            c->thread.join();
        }
    }
}

Reply GroupCommit::submit(unsigned route,
    const CallContext& call,
    const std::string& fingerprintHex,
    int request,
    const Idempotency::Operation& op,
    bool& replayed)
{
    Item item;
    item.call = &call;
    item.fingerprintHex = &fingerprintHex;
    item.request = request;
    item.op = &op;
    auto answered = item.done.get_future();
    Committer& c = *m_committers[route % m_committers.size()];
    {
        std::lock_guard lock(c.mutex);
        if (c.stopping) {
            return Idempotency::unavailable(call.requestKey, QStringLiteral("The bank host is stopping."));
        }
        c.queue.push_back(&item);
    }
    c.wake.notify_one();
    answered.wait();
    replayed = item.replayed;
    return item.reply;
}

void GroupCommit::loop(Committer& c)
{
    std::vector<Item*> group;
    for (;;) {
        group.clear();
        {
            std::unique_lock lock(c.mutex);
            c.wake.wait(lock, [&] { return c.stopping || !c.queue.empty(); });
            if (c.queue.empty()) {
                return; // stopping, and nobody waits
            }
            // Tests only (FaultPlan group-hold): a group of a known size.
            if (const int hold = m_idempotency.faultPlan().groupHold; hold > 1) {
                c.wake.wait_for(lock, std::chrono::seconds(10), [&] {
                    return c.stopping || static_cast<int>(c.queue.size()) >= hold;
                });
            }
            // Whatever queued while the last group committed, at most maxGroup: a lone request never waits.
            while (!c.queue.empty() && static_cast<int>(group.size()) < m_options.maxGroup) {
                group.push_back(c.queue.front());
                c.queue.pop_front();
            }
        }
        runGroup(c, group);
    }
}

void GroupCommit::runGroup(Committer& c, std::vector<Item*>& items)
{
    auto connection = [&]() -> Db* {
        if (c.db && !c.db->healthy()) {
            c.db.reset();
        }
        if (!c.db) {
            auto db = Db::connect(m_conninfo);
            if (!db) {
                return nullptr;
            }
            c.db = std::move(db.value());
        }
        return c.db.get();
    };
    auto answer = [](Item* item) { item->done.set_value(); };
    Db* db = connection();
    const Outcome outcome = db ? tryGroup(*db, items) : Outcome::NotBegun;
    if (outcome == Outcome::Committed) {
        for (Item* item : items) {
            answer(item);
        }
        return;
    }
    if (outcome == Outcome::NotBegun) {
        // Nothing ran (no connection, or the write lock not had within its timeout): retrying each alone would only
        // wait as long again per request.
        for (Item* item : items) {
            item->replayed = false;
            item->reply = Idempotency::unavailable(
                item->call->requestKey, QStringLiteral("The ledger database did not answer."));
            answer(item);
        }
        return;
    }
    // The group's transaction did not commit: none of its answers was given. Each request alone, in its own
    // transaction; a COMMIT that landed after all (a connection lost at the acknowledgement) is found as the stored
    // answer of its request id.
    for (Item* item : items) {
        db = connection();
        if (items.size() == 1 || !db || tryGroup(*db, {item}) != Outcome::Committed) {
            item->replayed = false;
            item->reply = Idempotency::unavailable(item->call->requestKey,
                db ? QStringLiteral("The ledger database did not commit; nothing was changed.")
                   : QStringLiteral("The ledger database did not answer."));
        }
        answer(item);
    }
}

GroupCommit::Outcome GroupCommit::tryGroup(Db& db, const std::vector<Item*>& items)
{
    DbTransaction tx(db);
    if (!tx.begun()) {
        return Outcome::NotBegun;
    }
    struct Answer
    {
        Reply reply;
        bool replayed = false;
        bool keep = false;
    };
    std::vector<Answer> outcomes(items.size());
    bool anyKept = false;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const Item& item = *items[i];
        // Each request under its own savepoint: what may not stay is rolled back to it, the others' effects stay.
        if (!db.exec("SAVEPOINT request")) {
            return Outcome::Failed;
        }
        Answer& o = outcomes[i];
        o.reply = m_idempotency.execute(db, *item.call, *item.fingerprintHex, *item.op, o.replayed, o.keep);
        if (!o.keep && !db.exec("ROLLBACK TO SAVEPOINT request")) {
            return Outcome::Failed;
        }
        if (!db.exec("RELEASE SAVEPOINT request")) {
            return Outcome::Failed;
        }
        anyKept = anyKept || o.keep;
    }
    if (anyKept) {
        // The fault plan's crash points (FaultPlan): the n-th request's group dies before or after its one COMMIT.
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (outcomes[i].keep) {
                m_idempotency.maybeCrash(FaultPlan::Point::BeforeCommit, items[i]->request);
            }
        }
        const FaultPlan& fault = m_idempotency.faultPlan();
        const bool failCommit = fault.point == FaultPlan::Point::FailGroupCommit && items.size() > 1
            && std::any_of(
                items.begin(), items.end(), [&](const Item* item) { return item->request == fault.atRequest; });
        if (failCommit || !tx.commit()) {
            return Outcome::Failed;
        }
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (outcomes[i].keep) {
                m_idempotency.maybeCrash(FaultPlan::Point::AfterCommit, items[i]->request);
            }
        }
    } else {
        tx.rollback();
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
        items[i]->reply = std::move(outcomes[i].reply);
        items[i]->replayed = outcomes[i].replayed;
        items[i]->keep = outcomes[i].keep;
    }
    return Outcome::Committed;
}

} // namespace wallet::bank
