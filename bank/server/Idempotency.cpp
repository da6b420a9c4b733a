// SPDX-License-Identifier: Apache-2.0
#include "bank/server/Idempotency.h"

#include "bank/Util.h"

#include <openssl/crypto.h>

#include <QJsonDocument>

#include <unistd.h>

namespace wallet::bank {

Reply Idempotency::unavailable(const QString& requestId, const QString& detail)
{
    Reply r = Reply::problemOf(503,
        QStringLiteral("unavailable"),
        QStringLiteral("The bank host cannot serve this now"),
        detail,
        QStringLiteral("Retry with the same Idempotency-Key after Retry-After seconds; nothing was committed."),
        requestId);
    r.retryAfter = 1;
    return r;
}

FaultPlan FaultPlan::parse(const std::string& spec)
{
    FaultPlan f;
    std::size_t from = 0;
    while (from <= spec.size()) {
        const auto comma = spec.find(',', from);
        const std::string part = spec.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
        const auto colon = part.find(':');
        const std::string what = part.substr(0, colon);
        const int n = colon == std::string::npos ? 1 : std::atoi(part.c_str() + colon + 1);
        if (what == "group-hold") {
            f.groupHold = n;
        } else if (what == "crash-before-commit" || what == "crash-after-commit" || what == "fail-group-commit") {
            f.point = what == "crash-before-commit" ? Point::BeforeCommit
                : what == "crash-after-commit"      ? Point::AfterCommit
                                                    : Point::FailGroupCommit;
            f.atRequest = n;
        }
        if (comma == std::string::npos) {
            break;
        }
        from = comma + 1;
    }
    return f;
}

Idempotency::Idempotency(Hsm& hsm, FaultPlan fault)
    : m_hsm(hsm)
    , m_fault(fault)
{ }

void Idempotency::maybeCrash(FaultPlan::Point at, int request)
{
    if (m_fault.point == at && m_fault.atRequest == request) {
        _exit(86);
    }
}

std::optional<std::string> Idempotency::fingerprint(
    const std::string& method, const std::string& path, const QByteArray& canonicalBody)
{
    // An HMAC, not a plain hash: a body may carry a PIN (§6.1 item 1).
    auto fp = m_hsm.hmacSha256("fingerprint", QByteArray::fromStdString(method + "\n" + path + "\n") + canonicalBody);
    if (!fp) {
        return std::nullopt;
    }
    return "\\x" + fp->toHex().toStdString();
}

Reply Idempotency::run(PgConnection& db,
    const CallContext& call,
    const std::string& method,
    const std::string& path,
    const QByteArray& canonicalBody,
    const Operation& op,
    bool& replayed)
{
    replayed = false;
    const QString& rid = call.requestKey;
    const int request = nextRequest();
    const auto fpHex = fingerprint(method, path, canonicalBody);
    if (!fpHex) {
        return unavailable(rid, QStringLiteral("The HSM did not answer."));
    }
    PgTransaction tx(db);
    if (!tx.begun()) {
        return unavailable(rid, QStringLiteral("The ledger database did not answer."));
    }
    bool keep = false;
    Reply reply = execute(db, call, *fpHex, op, replayed, keep);
    if (!keep) {
        tx.rollback();
        return reply;
    }
    maybeCrash(FaultPlan::Point::BeforeCommit, request);
    if (auto c = tx.commit(); !c) {
        return unavailable(rid, QStringLiteral("The ledger database did not commit; nothing was changed."));
    }
    maybeCrash(FaultPlan::Point::AfterCommit, request);
    return reply;
}

Reply Idempotency::execute(PgConnection& db,
    const CallContext& call,
    const std::string& fpHex,
    const Operation& op,
    bool& replayed,
    bool& keep)
{
    replayed = false;
    keep = false;
    const QString& rid = call.requestKey;
    const std::string scope = call.terminalId.toStdString();
    const std::string key = call.requestKey.toLower().toStdString();
    auto claim = db.exec("INSERT INTO idempotency (scope, key, fingerprint, state, created_at) VALUES ($1, $2, $3,"
                         " 'running', $4) ON CONFLICT DO NOTHING RETURNING 1",
        {scope, key, fpHex, std::to_string(nowMicros())});
    if (!claim) {
        if (db.lastSqlState() == "55P03") {
            Reply r = Reply::problemOf(409,
                QStringLiteral("idempotency-key-in-flight"),
                QStringLiteral("This request id is still being processed"),
                QStringLiteral("Idempotency-Key %1 is held by a running request.").arg(rid),
                QStringLiteral("Retry after Retry-After seconds with the same request id."),
                rid);
            r.retryAfter = 1;
            return r;
        }
        return unavailable(rid, QStringLiteral("The ledger database did not answer."));
    }
    if (claim->rows() == 0) {
        auto stored = db.exec("SELECT fingerprint, status, response, location FROM idempotency WHERE scope = $1 AND"
                              " key = $2",
            {scope, key});
        if (!stored || stored->rows() != 1) {
            return unavailable(rid, QStringLiteral("The ledger database did not answer."));
        }
        const std::string storedFp = stored->text(0, 0);
        if (storedFp.size() != fpHex.size() || CRYPTO_memcmp(storedFp.data(), fpHex.data(), fpHex.size()) != 0) {
            return Reply::problemOf(422,
                QStringLiteral("idempotency-key-reused"),
                QStringLiteral("This request id was used for a different request"),
                QStringLiteral("Idempotency-Key %1 was first used with another body.").arg(rid),
                QStringLiteral(
                    "Use a new request id for a new request; repeat the first body to get the first answer."),
                rid);
        }
        Reply r;
        r.status = static_cast<int>(stored->integer(0, 1));
        r.body = QByteArray::fromStdString(stored->text(0, 2));
        r.problem = r.status >= 400;
        r.location = stored->isNull(0, 3) ? std::string() : stored->text(0, 3);
        replayed = true;
        return r;
    }
    if (auto sp = db.exec("SAVEPOINT operation"); !sp) {
        return unavailable(rid, QStringLiteral("The ledger database did not answer."));
    }
    Reply reply = op(db);
    if (!reply.storable()) {
        return reply;
    }
    if (reply.problem && !reply.commitEffects) {
        // A refusal leaves the ledger untouched (§6.2): only the stored answer remains.
        if (auto r = db.exec("ROLLBACK TO SAVEPOINT operation"); !r) {
            return unavailable(rid, QStringLiteral("The ledger database did not answer."));
        }
    }
    auto done = db.exec("UPDATE idempotency SET state = 'done', status = $3, response = $4, location = $5 WHERE"
                        " scope = $1 AND key = $2",
        {scope,
            key,
            std::to_string(reply.status),
            reply.body.toStdString(),
            reply.location.empty() ? std::nullopt : std::optional<std::string>(reply.location)});
    if (!done) {
        return unavailable(rid, QStringLiteral("The ledger database did not answer."));
    }
    keep = true;
    return reply;
}

} // namespace wallet::bank
