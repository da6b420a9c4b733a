// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bank/db/PgConnection.h"
#include "bank/issuer/Issuer.h"
#include "bank/server/Reply.h"

#include "core/crypto/Bytes.h"

#include <QJsonObject>

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace wallet::bank {

/// A signed-in staff member (from the bearer token of a branch station, docs/bank.md §3).
struct StaffIdentity
{
    QString staffId;
    QString username;
    QString role; ///< teller | supervisor | auditor (signs in, services no key)
    QString sessionId;
};

/// One audit-log row (issue 13): who, where, what, on which key, the supervisor if any, and the outcome.
struct AuditEntry
{
    QString terminalId;
    QString staffId;
    QString supervisorId;
    QString action; ///< e.g. "issuance.job-created", "maintenance.pin-unblock", "staff.sign-in"
    QString asn;
    QString subject; ///< the job, command, approval or session id
    QString outcome; ///< "ok", "refused: <code>", a status word, …
    QString detail; ///< never a PIN, password, key or ID number
};

/**
 * @brief Staff, sessions, dual control and the audit log (docs/bank.md §3; issue 13).
 *
 * Credentials are Argon2id hashes (Botan; own random salt per staff member; m = 19 MiB, t = 2, p = 1 as OWASP
 * recommends), never the password. A session token is 32 random bytes (base64url); the bank keeps only its SHA-256
 * and binds it to the station's certificate (terminal ID). Sessions end after 10 minutes without a call or 8 hours.
 * Five wrong passwords lock the account for 15 minutes, doubling with each lock.
 *
 * Refusals that must be remembered although their request's transaction rolls back (a wrong password, an audited
 * refusal) are written on a second, short-lived connection (`conninfo`), so they are never undone with it.
 */
class Staff
{
public:
    static constexpr std::int64_t kIdleMicros = 10LL * 60 * 1000 * 1000;
    static constexpr std::int64_t kAbsoluteMicros = 8LL * 3600 * 1000 * 1000;
    static constexpr std::int64_t kApprovalMicros = 5LL * 60 * 1000 * 1000;
    static constexpr int kMaxFailures = 5;

    explicit Staff(std::string conninfo);

    /// `bankctl staff add`: a new staff member with an Argon2id hash of `password` (12..128 bytes).
    [[nodiscard]] static Result<QString> add(PgConnection& db,
        const QString& username,
        const QString& displayName,
        const QString& role,
        const core::SecureBytes& password);
    [[nodiscard]] static bool verifyPassword(const std::string& stored, const QByteArray& password);

    /// POST /v1/staff/sessions (signIn).
    [[nodiscard]] Reply signIn(PgConnection& db, const CallContext& call, const QJsonObject& body);
    /// GET /v1/staff/sessions/current, DELETE /v1/staff/sessions/current.
    [[nodiscard]] Reply currentSession(PgConnection& db, const CallContext& call, const StaffIdentity& who);
    [[nodiscard]] Reply signOut(PgConnection& db, const CallContext& call, const StaffIdentity& who);
    /**
     * The staff member behind `authorization` ("Bearer <token>") on this station, or the 401/403 answer: only a
     * `branch` certificate, the station that signed in, a session neither idle 10 min nor older than 8 h. Records
     * the call (idle timer) in the caller's transaction.
     */
    [[nodiscard]] std::variant<StaffIdentity, Reply> authenticate(
        PgConnection& db, const CallContext& call, const std::string& authorization);

    /**
     * Issuance, maintenance, hot-listing and approvals are for tellers and supervisors: any other role (auditor)
     * gets 403 role-forbidden, audited apart as `staff.role-refused` with the request's `path` (nothing else is
     * written). Empty when allowed.
     */
    [[nodiscard]] std::optional<Reply> requireServiceRole(
        const CallContext& call, const StaffIdentity& who, const QString& path) const;

    /// POST /v1/approvals (requestApproval) and POST /v1/approvals/{id}/decision (decideApproval).
    [[nodiscard]] Reply requestApproval(
        PgConnection& db, const CallContext& call, const StaffIdentity& who, const QJsonObject& body);
    [[nodiscard]] Reply decideApproval(PgConnection& db,
        const CallContext& call,
        const StaffIdentity& who,
        const QString& approvalId,
        const QJsonObject& body);
    /**
     * Uses approval `approvalId` for `operation` on `asn` by `who` (in the caller's transaction): it must be
     * approved, for this operation and key, asked by `who`, unused and not expired. Returns the supervisor's id,
     * or the 403 answer (approval-required / approval-refused).
     */
    [[nodiscard]] std::variant<QString, Reply> useApproval(PgConnection& db,
        const CallContext& call,
        const StaffIdentity& who,
        const QString& approvalId,
        const QString& operation,
        const QString& asn);

    [[nodiscard]] static Reply validateCredential(const QJsonObject& body, const QString& requestId);
    [[nodiscard]] static Reply validateApprovalRequest(const QJsonObject& body, const QString& requestId);
    [[nodiscard]] static Reply validateDecision(const QJsonObject& body, const QString& requestId);
    [[nodiscard]] static Reply validateEmpty(const QJsonObject& body, const QString& requestId);

    /// Appends one row to the hash-chained audit log in the caller's transaction.
    [[nodiscard]] static Result<void> audit(PgConnection& db, const AuditEntry& e);
    /// The same on a connection of its own, committed at once (for refusals whose transaction rolls back).
    void auditApart(const AuditEntry& e) const;
    /// `bankctl audit verify`: one line per row whose hash or link does not hold; empty when the chain is whole.
    [[nodiscard]] static Result<std::vector<std::string>> verifyAudit(PgConnection& db);

private:
    [[nodiscard]] std::optional<Reply> recordFailure(const CallContext& call, const QString& staffId) const;

    std::string m_conninfo;
};

/// The 503 answer when the database or HSM fails inside an operation (nothing committed).
[[nodiscard]] Reply unavailableReply(const core::Error& e, const QString& requestId);
/// 400 invalid-field from a failed JsonRequest-style check list.
[[nodiscard]] Reply invalidReply(const std::vector<std::pair<QString, QString>>& errors, const QString& requestId);

} // namespace wallet::bank
