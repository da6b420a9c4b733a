// SPDX-License-Identifier: Apache-2.0
#include "bank/issuance/Staff.h"

#include "bank/Util.h"
#include "bank/server/JsonRequest.h"

#include <botan/pwdhash.h>
#include <openssl/crypto.h>

#include <QJsonArray>
#include <QRegularExpression>
#include <QStringList>

namespace wallet::bank {

using core::ErrorCode;
using core::makeError;

namespace {

// OWASP's Argon2id minimum (m = 19 MiB, t = 2, p = 1); the parameters are stored with each hash.
constexpr std::size_t kArgonM = 19456;
constexpr std::size_t kArgonT = 2;
constexpr std::size_t kArgonP = 1;
constexpr std::int64_t kLockMicros = 15LL * 60 * 1000 * 1000;

std::string s(const QString& q)
{
    return q.toStdString();
}

QString q(const std::string& v)
{
    return QString::fromStdString(v);
}

std::optional<std::string> opt(const QString& v)
{
    return v.isEmpty() ? std::nullopt : std::optional<std::string>(v.toStdString());
}

QByteArray argon2id(const QByteArray& password, const QByteArray& salt, std::size_t m, std::size_t t, std::size_t p)
{
    auto family = Botan::PasswordHashFamily::create_or_throw("Argon2id");
    auto hash = family->from_params(m, t, p);
    QByteArray out(32, '\0');
    hash->derive_key(reinterpret_cast<std::uint8_t*>(out.data()),
        static_cast<std::size_t>(out.size()),
        password.constData(),
        static_cast<std::size_t>(password.size()),
        reinterpret_cast<const std::uint8_t*>(salt.constData()),
        static_cast<std::size_t>(salt.size()));
    return out;
}

QString tokenOf(const std::string& authorization)
{
    static const QRegularExpression re(QStringLiteral("^Bearer ([A-Za-z0-9_-]{43})$"));
    const auto m = re.match(q(authorization));
    return m.hasMatch() ? m.captured(1) : QString();
}

QJsonObject sessionJson(const PgResult& r, int row)
{
    // id, staff_id, username, display_name, role, terminal_id, last_seen_at, expires_at
    const std::int64_t idle = r.integer(row, 6) + Staff::kIdleMicros;
    const std::int64_t absolute = r.integer(row, 7);
    return QJsonObject{{QStringLiteral("staffId"), q(r.text(row, 1))},
        {QStringLiteral("username"), q(r.text(row, 2))},
        {QStringLiteral("displayName"), q(r.text(row, 3))},
        {QStringLiteral("role"), q(r.text(row, 4))},
        {QStringLiteral("stationTerminalId"), q(r.text(row, 5))},
        {QStringLiteral("idleExpiresAt"), rfc3339(std::min(idle, absolute))},
        {QStringLiteral("expiresAt"), rfc3339(absolute)}};
}

QJsonObject approvalJson(const PgResult& r, int row)
{
    // id, operation, asn, state, requested_by, decided_by, expires_at
    QJsonObject o{{QStringLiteral("approvalId"), q(r.text(row, 0))},
        {QStringLiteral("operation"), q(r.text(row, 1))},
        {QStringLiteral("asn"), q(r.text(row, 2))},
        {QStringLiteral("state"), q(r.text(row, 3))},
        {QStringLiteral("requestedBy"), q(r.text(row, 4))},
        {QStringLiteral("expiresAt"), rfc3339(r.integer(row, 6))}};
    if (!r.isNull(row, 5)) {
        o.insert(QStringLiteral("decidedBy"), q(r.text(row, 5)));
    }
    return o;
}

const char* kApprovalColumns = "id, operation, asn, state, requested_by, decided_by, expires_at";

/// A text field: present, a string, at most `maxLen` characters, matching `re` when given.
void text(JsonRequest& j,
    const QJsonObject& o,
    const QString& key,
    int maxLen,
    const QString& re,
    bool required,
    std::vector<std::pair<QString, QString>>& errors,
    const QString& prefix = {})
{
    (void)j;
    const QJsonValue v = o.value(key);
    if (v.isUndefined()) {
        if (required) {
            errors.emplace_back(prefix + QLatin1Char('/') + key, QStringLiteral("required"));
        }
        return;
    }
    if (!v.isString()) {
        errors.emplace_back(prefix + QLatin1Char('/') + key, QStringLiteral("must be a string"));
        return;
    }
    const QString t = v.toString();
    if (t.size() > maxLen || (!re.isEmpty() && !QRegularExpression(re).match(t).hasMatch())) {
        errors.emplace_back(prefix + QLatin1Char('/') + key, QStringLiteral("outside its allowed form"));
    }
}

} // namespace

Reply unavailableReply(const core::Error& e, const QString& requestId)
{
    Reply r = Reply::problemOf(503,
        QStringLiteral("unavailable"),
        QStringLiteral("The bank host cannot serve this now"),
        e.code == ErrorCode::CryptoError ? QStringLiteral("The HSM did not answer.")
                                         : QStringLiteral("The database did not answer."),
        QStringLiteral("Retry with the same Idempotency-Key after Retry-After seconds; nothing was committed."),
        requestId);
    r.retryAfter = 1;
    return r;
}

Reply invalidReply(const std::vector<std::pair<QString, QString>>& errors, const QString& requestId)
{
    return Reply::problemOf(400,
        QStringLiteral("invalid-field"),
        QStringLiteral("A field is outside its allowed form"),
        errors.front().first + QStringLiteral(": ") + errors.front().second,
        QStringLiteral("Correct the field named in errors[]; nothing was changed."),
        requestId,
        {},
        errors);
}

Staff::Staff(std::string conninfo)
    : m_conninfo(std::move(conninfo))
{ }

Result<QString> Staff::add(PgConnection& db,
    const QString& username,
    const QString& displayName,
    const QString& role,
    const core::SecureBytes& password)
{
    static const QRegularExpression user(QStringLiteral("^[a-z][a-z0-9._-]{1,31}$"));
    if (!user.match(username).hasMatch()) {
        return makeError(
            ErrorCode::InvalidInput, QStringLiteral("a username is 2..32 of a-z 0-9 . _ -, starting with a letter"));
    }
    if (role != QLatin1String("teller") && role != QLatin1String("supervisor") && role != QLatin1String("auditor")) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("the role is teller, supervisor or auditor"));
    }
    if (password.size() < 12 || password.size() > 128) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("a staff password has 12 to 128 bytes"));
    }
    const QByteArray salt = randomBytes(16);
    QByteArray pw(reinterpret_cast<const char*>(password.data()), static_cast<int>(password.size()));
    const QByteArray hash = argon2id(pw, salt, kArgonM, kArgonT, kArgonP);
    pw.fill('\0');
    // PHC-like: argon2id$m$t$p$salt$hash (hex), so the parameters can be raised later per row.
    const QString stored = QStringLiteral("argon2id$%1$%2$%3$%4$%5")
                               .arg(kArgonM)
                               .arg(kArgonT)
                               .arg(kArgonP)
                               .arg(QString::fromLatin1(salt.toHex()), QString::fromLatin1(hash.toHex()));
    const std::string id = uuidV7();
    auto r = db.exec("INSERT INTO staff (id, username, display_name, role, password_hash, created_at) VALUES ($1, $2,"
                     " $3, $4, $5, $6)",
        {id,
            s(username),
            s(displayName.isEmpty() ? username : displayName),
            s(role),
            s(stored),
            std::to_string(nowMicros())});
    if (!r) {
        if (db.lastSqlState() == "23505") {
            return makeError(ErrorCode::InvalidState,
                QStringLiteral("staff member %1 exists already; nothing was changed").arg(username));
        }
        return r.error();
    }
    return q(id);
}

bool Staff::verifyPassword(const std::string& stored, const QByteArray& password)
{
    const QStringList parts = q(stored).split(QLatin1Char('$'));
    if (parts.size() != 6 || parts[0] != QLatin1String("argon2id")) {
        return false;
    }
    const std::size_t m = parts[1].toULongLong();
    const std::size_t t = parts[2].toULongLong();
    const std::size_t p = parts[3].toULongLong();
    if (m < 8 || m > 1048576 || t < 1 || t > 16 || p < 1 || p > 16) {
        return false;
    }
    const QByteArray expected = QByteArray::fromHex(parts[5].toLatin1());
    const QByteArray got = argon2id(password, QByteArray::fromHex(parts[4].toLatin1()), m, t, p);
    return expected.size() == got.size() && CRYPTO_memcmp(expected.constData(), got.constData(), got.size()) == 0;
}

Reply Staff::validateCredential(const QJsonObject& body, const QString& requestId)
{
    std::vector<std::pair<QString, QString>> errors;
    JsonRequest j(body, {QStringLiteral("username"), QStringLiteral("password")});
    text(j, body, QStringLiteral("username"), 32, QStringLiteral("^[a-z][a-z0-9._-]{1,31}$"), true, errors);
    text(j, body, QStringLiteral("password"), 128, QStringLiteral("^.{12,}$"), true, errors);
    errors.insert(errors.begin(), j.errors().begin(), j.errors().end());
    return errors.empty() ? Reply{} : invalidReply(errors, requestId);
}

Reply Staff::validateApprovalRequest(const QJsonObject& body, const QString& requestId)
{
    std::vector<std::pair<QString, QString>> errors;
    JsonRequest j(body, {QStringLiteral("operation"), QStringLiteral("asn"), QStringLiteral("reason")});
    (void)j.oneOf(QStringLiteral("operation"),
        {QStringLiteral("pin-reload"),
            QStringLiteral("card-replacement"),
            QStringLiteral("account-closure"),
            QStringLiteral("application-block-permanent"),
            QStringLiteral("hotlist-removal")});
    (void)j.hex(QStringLiteral("asn"), 8);
    text(j, body, QStringLiteral("reason"), 200, {}, true, errors);
    errors.insert(errors.begin(), j.errors().begin(), j.errors().end());
    return errors.empty() ? Reply{} : invalidReply(errors, requestId);
}

Reply Staff::validateDecision(const QJsonObject& body, const QString& requestId)
{
    std::vector<std::pair<QString, QString>> errors;
    JsonRequest j(body,
        {QStringLiteral("username"),
            QStringLiteral("password"),
            QStringLiteral("decision"),
            QStringLiteral("comment")});
    text(j, body, QStringLiteral("username"), 32, QStringLiteral("^[a-z][a-z0-9._-]{1,31}$"), true, errors);
    text(j, body, QStringLiteral("password"), 128, QStringLiteral("^.{12,}$"), true, errors);
    (void)j.oneOf(QStringLiteral("decision"), {QStringLiteral("approve"), QStringLiteral("refuse")});
    text(j, body, QStringLiteral("comment"), 200, {}, false, errors);
    errors.insert(errors.begin(), j.errors().begin(), j.errors().end());
    return errors.empty() ? Reply{} : invalidReply(errors, requestId);
}

Reply Staff::validateEmpty(const QJsonObject& body, const QString& requestId)
{
    JsonRequest j(body, {});
    return j.ok() ? Reply{} : invalidReply(j.errors(), requestId);
}

std::optional<Reply> Staff::recordFailure(const CallContext& call, const QString& staffId) const
{
    // Apart from the request's transaction: it rolls back with the 401/403, the count must not (Db::runApart).
    Db::runApart(m_conninfo, [call, staffId](Db& db) {
        DbTransaction tx(db);
        if (!tx.begun()) {
            return;
        }
        const std::int64_t now = nowMicros();
        auto r = db.exec("UPDATE staff SET failed_attempts = failed_attempts + 1 WHERE id = $1 RETURNING"
                         " failed_attempts, lock_count",
            {s(staffId)});
        if (!r || r->rows() != 1) {
            return;
        }
        if (r->integer(0, 0) >= kMaxFailures) {
            const std::int64_t lockFor = kLockMicros << std::min<long long>(r->integer(0, 1), 10);
            (void)db.exec("UPDATE staff SET failed_attempts = 0, lock_count = lock_count + 1, locked_until = $2"
                          " WHERE id = $1",
                {s(staffId), std::to_string(now + lockFor)});
            AuditEntry e{call.terminalId,
                staffId,
                {},
                QStringLiteral("staff.locked"),
                {},
                staffId,
                QStringLiteral("locked"),
                QStringLiteral("%1 wrong passwords; locked for %2 min").arg(kMaxFailures).arg(lockFor / 60000000)};
            (void)audit(db, e);
        }
        (void)tx.commit();
    });
    return std::nullopt;
}

void Staff::auditApart(const AuditEntry& e) const
{
    Db::runApart(m_conninfo, [e](Db& db) {
        DbTransaction tx(db);
        if (tx.begun() && audit(db, e)) {
            (void)tx.commit();
        }
    });
}

std::optional<Reply> Staff::requireServiceRole(
    const CallContext& call, const StaffIdentity& who, const QString& path) const
{
    if (who.role == QLatin1String("teller") || who.role == QLatin1String("supervisor")) {
        return std::nullopt;
    }
    // Written apart: the request's own transaction writes nothing.
    auditApart({call.terminalId,
        who.staffId,
        {},
        QStringLiteral("staff.role-refused"),
        {},
        path,
        QStringLiteral("refused: role-forbidden"),
        QStringLiteral("role %1").arg(who.role)});
    return problem(403,
        "role-forbidden",
        QStringLiteral("Your role may not do this"),
        QStringLiteral("%1 (role %2) may not issue or service keys, hot-list them or ask for approvals.")
            .arg(who.username, who.role),
        QStringLiteral("A teller or a supervisor does this; nothing was changed."),
        call.requestKey);
}

Reply Staff::signIn(PgConnection& db, const CallContext& call, const QJsonObject& body)
{
    const QString& rid = call.requestKey;
    if (call.kind != QLatin1String("branch")) {
        return problem(403,
            "role-forbidden",
            QStringLiteral("Staff sign in only at a branch station"),
            QStringLiteral("Terminals of kind '%1' have no staff sessions.").arg(call.kind),
            QStringLiteral("Use a branch station; nothing was changed."),
            rid);
    }
    const QString username = body.value(QStringLiteral("username")).toString();
    QByteArray password = body.value(QStringLiteral("password")).toString().toUtf8();
    auto row = db.exec("SELECT id, role, password_hash, locked_until, active, display_name FROM staff WHERE"
                       " username = $1",
        {s(username)});
    if (!row) {
        password.fill('\0');
        return unavailableReply(row.error(), rid);
    }
    const std::int64_t now = nowMicros();
    auto wrong = [&](const QString& staffId) {
        if (!staffId.isEmpty()) {
            (void)recordFailure(call, staffId);
        }
        auditApart({call.terminalId,
            staffId,
            {},
            QStringLiteral("staff.sign-in"),
            {},
            username,
            QStringLiteral("refused: credentials-invalid"),
            {}});
        return problem(401,
            "credentials-invalid",
            QStringLiteral("Wrong username or password"),
            QStringLiteral("The username or the password is not right."),
            QStringLiteral("Type them again; after 5 wrong passwords the account is locked for 15 minutes."),
            rid);
    };
    if (row->rows() != 1 || !row->boolean(0, 4)) {
        password.fill('\0');
        return wrong({});
    }
    const QString staffId = q(row->text(0, 0));
    if (!row->isNull(0, 3) && row->integer(0, 3) > now) {
        password.fill('\0');
        Reply r = problem(429,
            "rate-limited",
            QStringLiteral("This staff account is locked"),
            QStringLiteral("Too many wrong passwords."),
            QStringLiteral("Wait until the lock ends, or ask a supervisor."),
            rid);
        r.retryAfter = static_cast<int>((row->integer(0, 3) - now) / 1000000 + 1);
        return r;
    }
    const bool ok = verifyPassword(row->text(0, 2), password);
    password.fill('\0');
    if (!ok) {
        return wrong(staffId);
    }
    const QByteArray token = randomBytes(32).toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
    const std::string sessionId = uuidV7();
    if (auto u = db.exec("UPDATE staff SET failed_attempts = 0 WHERE id = $1", {s(staffId)}); !u) {
        return unavailableReply(u.error(), rid);
    }
    auto ins = db.exec("INSERT INTO staff_sessions (id, token_sha256, staff_id, terminal_id, created_at,"
                       " last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $5, $6)",
        {sessionId,
            sha256Hex(token.toStdString()),
            s(staffId),
            s(call.terminalId),
            std::to_string(now),
            std::to_string(now + kAbsoluteMicros)});
    if (!ins) {
        return unavailableReply(ins.error(), rid);
    }
    if (auto a = audit(db,
            {call.terminalId,
                staffId,
                {},
                QStringLiteral("staff.sign-in"),
                {},
                q(sessionId),
                QStringLiteral("ok"),
                {}});
        !a) {
        return unavailableReply(a.error(), rid);
    }
    QJsonObject o{{QStringLiteral("token"), QString::fromLatin1(token)},
        {QStringLiteral("staffId"), staffId},
        {QStringLiteral("username"), username},
        {QStringLiteral("displayName"), q(row->text(0, 5))},
        {QStringLiteral("role"), q(row->text(0, 1))},
        {QStringLiteral("stationTerminalId"), call.terminalId},
        {QStringLiteral("idleExpiresAt"), rfc3339(now + kIdleMicros)},
        {QStringLiteral("expiresAt"), rfc3339(now + kAbsoluteMicros)}};
    return Reply::json(201, o, "/v1/staff/sessions/current");
}

std::variant<StaffIdentity, Reply> Staff::authenticate(
    PgConnection& db, const CallContext& call, const std::string& authorization)
{
    const QString& rid = call.requestKey;
    if (call.kind != QLatin1String("branch")) {
        return problem(403,
            "role-forbidden",
            QStringLiteral("Not allowed for this terminal"),
            QStringLiteral("Terminals of kind '%1' may not call this.").arg(call.kind),
            QStringLiteral("Use a branch station with a staff session; nothing was changed."),
            rid);
    }
    const QString token = tokenOf(authorization);
    auto expired = [&](const char* code, const QString& detail) {
        return problem(401,
            code,
            QStringLiteral("Sign in first"),
            detail,
            QStringLiteral("Sign in again at this station; nothing was changed."),
            rid);
    };
    if (token.isEmpty()) {
        return expired("session-missing", QStringLiteral("This call needs a staff session (Authorization: Bearer)."));
    }
    auto r = db.exec("SELECT s.id, s.staff_id, st.username, st.display_name, st.role, s.terminal_id,"
                     " s.last_seen_at, s.expires_at, s.ended_at IS NOT NULL, st.active FROM staff_sessions s JOIN"
                     " staff st ON st.id = s.staff_id WHERE s.token_sha256 = $1",
        {sha256Hex(token.toStdString())});
    if (!r) {
        return unavailableReply(r.error(), rid);
    }
    const std::int64_t now = nowMicros();
    if (r->rows() != 1 || r->boolean(0, 8) || !r->boolean(0, 9)) {
        return expired("session-expired", QStringLiteral("No open staff session for this token."));
    }
    if (q(r->text(0, 5)) != call.terminalId) {
        return expired("session-expired", QStringLiteral("This session belongs to another station."));
    }
    if (now >= r->integer(0, 7) || now - r->integer(0, 6) >= kIdleMicros) {
        return expired("session-expired",
            now >= r->integer(0, 7) ? QStringLiteral("The session is older than 8 hours.")
                                    : QStringLiteral("The session was idle for 10 minutes."));
    }
    if (auto u
        = db.exec("UPDATE staff_sessions SET last_seen_at = $2 WHERE id = $1", {r->text(0, 0), std::to_string(now)});
        !u) {
        return unavailableReply(u.error(), rid);
    }
    return StaffIdentity{q(r->text(0, 1)), q(r->text(0, 2)), q(r->text(0, 4)), q(r->text(0, 0))};
}

Reply Staff::currentSession(PgConnection& db, const CallContext& call, const StaffIdentity& who)
{
    auto r = db.exec("SELECT s.id, s.staff_id, st.username, st.display_name, st.role, s.terminal_id,"
                     " s.last_seen_at, s.expires_at FROM staff_sessions s JOIN staff st ON st.id = s.staff_id WHERE"
                     " s.id = $1",
        {s(who.sessionId)});
    if (!r || r->rows() != 1) {
        return unavailableReply(
            r ? core::Error{ErrorCode::StorageError, 0, QStringLiteral("no session")} : r.error(), call.requestKey);
    }
    return Reply::json(200, sessionJson(*r, 0));
}

Reply Staff::signOut(PgConnection& db, const CallContext& call, const StaffIdentity& who)
{
    if (auto u = db.exec(
            "UPDATE staff_sessions SET ended_at = $2 WHERE id = $1", {s(who.sessionId), std::to_string(nowMicros())});
        !u) {
        return unavailableReply(u.error(), call.requestKey);
    }
    if (auto a = audit(db,
            {call.terminalId,
                who.staffId,
                {},
                QStringLiteral("staff.sign-out"),
                {},
                who.sessionId,
                QStringLiteral("ok"),
                {}});
        !a) {
        return unavailableReply(a.error(), call.requestKey);
    }
    Reply r;
    r.status = 204;
    return r;
}

Reply Staff::requestApproval(
    PgConnection& db, const CallContext& call, const StaffIdentity& who, const QJsonObject& body)
{
    const QString& rid = call.requestKey;
    const QString asn = body.value(QStringLiteral("asn")).toString();
    auto card = db.exec("SELECT 1 FROM cards WHERE asn = $1", {s(asn)});
    if (!card) {
        return unavailableReply(card.error(), rid);
    }
    if (card->rows() != 1) {
        return problem(404,
            "unknown-card",
            QStringLiteral("This key was not issued by this bank"),
            QStringLiteral("No card with ASN %1.").arg(asn),
            QStringLiteral("Check the key; nothing was changed."),
            rid);
    }
    const std::string id = uuidV7();
    const std::int64_t now = nowMicros();
    auto ins = db.exec(std::string("INSERT INTO approvals (id, operation, asn, reason, state, requested_by,"
                                   " terminal_id, created_at, expires_at) VALUES ($1, $2, $3, $4, 'pending', $5, $6,"
                                   " $7, $8) RETURNING ")
            + kApprovalColumns,
        {id,
            s(body.value(QStringLiteral("operation")).toString()),
            s(asn),
            s(body.value(QStringLiteral("reason")).toString()),
            s(who.staffId),
            s(call.terminalId),
            std::to_string(now),
            std::to_string(now + kApprovalMicros)});
    if (!ins) {
        return unavailableReply(ins.error(), rid);
    }
    if (auto a = audit(db,
            {call.terminalId,
                who.staffId,
                {},
                QStringLiteral("approval.requested"),
                asn,
                q(id),
                QStringLiteral("pending"),
                body.value(QStringLiteral("operation")).toString()});
        !a) {
        return unavailableReply(a.error(), rid);
    }
    return Reply::json(201, approvalJson(*ins, 0), "/v1/approvals/" + id);
}

Reply Staff::decideApproval(PgConnection& db,
    const CallContext& call,
    const StaffIdentity& who,
    const QString& approvalId,
    const QJsonObject& body)
{
    const QString& rid = call.requestKey;
    auto ap = db.exec(
        std::string("SELECT ") + kApprovalColumns + " FROM approvals WHERE id = $1 FOR UPDATE", {s(approvalId)});
    if (!ap) {
        return unavailableReply(ap.error(), rid);
    }
    if (ap->rows() != 1) {
        return problem(404,
            "not-found",
            QStringLiteral("No such approval"),
            approvalId,
            QStringLiteral("Ask for a new approval; nothing was changed."),
            rid);
    }
    const QString asn = q(ap->text(0, 2));
    const QString username = body.value(QStringLiteral("username")).toString();
    QByteArray password = body.value(QStringLiteral("password")).toString().toUtf8();
    auto sup
        = db.exec("SELECT id, role, password_hash, locked_until, active FROM staff WHERE username = $1", {s(username)});
    if (!sup) {
        password.fill('\0');
        return unavailableReply(sup.error(), rid);
    }
    const std::int64_t now = nowMicros();
    auto refused = [&](const char* code, const QString& title, const QString& detail, const QString& supId) {
        auditApart({call.terminalId,
            who.staffId,
            supId,
            QStringLiteral("approval.decision"),
            asn,
            approvalId,
            QStringLiteral("refused: %1").arg(QLatin1String(code)),
            {}});
        return problem(403,
            code,
            title,
            detail,
            QStringLiteral("A supervisor other than the requester types their own username and password."),
            rid);
    };
    const bool known = sup->rows() == 1 && sup->boolean(0, 4) && (sup->isNull(0, 3) || sup->integer(0, 3) <= now);
    const bool ok = known && verifyPassword(sup->text(0, 2), password);
    password.fill('\0');
    if (!ok) {
        if (sup->rows() == 1) {
            (void)recordFailure(call, q(sup->text(0, 0)));
        }
        return refused("approver-credentials-invalid",
            QStringLiteral("The approver's credentials are wrong"),
            QStringLiteral("Wrong username or password, or the account is locked."),
            {});
    }
    const QString supId = q(sup->text(0, 0));
    if (supId == q(ap->text(0, 4))) {
        return refused("approval-same-person",
            QStringLiteral("Nobody approves their own request"),
            QStringLiteral("The approver asked for this approval."),
            supId);
    }
    if (q(sup->text(0, 1)) != QLatin1String("supervisor")) {
        return refused("role-forbidden",
            QStringLiteral("Only a supervisor approves"),
            QStringLiteral("%1 is not a supervisor.").arg(username),
            supId);
    }
    if (ap->text(0, 3) != "pending" || now >= ap->integer(0, 6)) {
        return Reply::problemOf(409,
            QStringLiteral("state-conflict"),
            QStringLiteral("This approval was decided"),
            QStringLiteral("Approval %1 is %2.")
                .arg(approvalId,
                    now >= ap->integer(0, 6) && ap->text(0, 3) == "pending" ? QStringLiteral("expired")
                                                                            : q(ap->text(0, 3))),
            QStringLiteral("Ask for a new approval."),
            rid,
            q(ap->text(0, 3)));
    }
    const bool approve = body.value(QStringLiteral("decision")).toString() == QLatin1String("approve");
    auto up = db.exec(std::string("UPDATE approvals SET state = $2, decided_by = $3, decided_at = $4 WHERE id = $1"
                                  " RETURNING ")
            + kApprovalColumns,
        {s(approvalId), approve ? "approved" : "refused", s(supId), std::to_string(now)});
    if (!up) {
        return unavailableReply(up.error(), rid);
    }
    if (auto a = audit(db,
            {call.terminalId,
                who.staffId,
                supId,
                QStringLiteral("approval.decision"),
                asn,
                approvalId,
                approve ? QStringLiteral("approved") : QStringLiteral("refused"),
                body.value(QStringLiteral("comment")).toString()});
        !a) {
        return unavailableReply(a.error(), rid);
    }
    return Reply::json(200, approvalJson(*up, 0));
}

std::variant<QString, Reply> Staff::useApproval(PgConnection& db,
    const CallContext& call,
    const StaffIdentity& who,
    const QString& approvalId,
    const QString& operation,
    const QString& asn)
{
    const QString& rid = call.requestKey;
    auto needed = [&](const QString& detail) {
        auditApart({call.terminalId,
            who.staffId,
            {},
            QStringLiteral("approval.use"),
            asn,
            approvalId,
            QStringLiteral("refused: approval-required"),
            operation});
        return problem(403,
            "approval-required",
            QStringLiteral("A supervisor's approval is needed"),
            detail,
            QStringLiteral("Ask for an approval of this operation on this key (POST /v1/approvals); a supervisor "
                           "decides it on this screen."),
            rid);
    };
    if (approvalId.isEmpty()) {
        return needed(QStringLiteral("%1 needs dual control (approvalId).").arg(operation));
    }
    auto ap = db.exec("SELECT operation, asn, state, requested_by, decided_by, expires_at FROM approvals WHERE"
                      " id = $1 FOR UPDATE",
        {s(approvalId)});
    if (!ap) {
        return unavailableReply(ap.error(), rid);
    }
    if (ap->rows() != 1) {
        return needed(QStringLiteral("No approval %1.").arg(approvalId));
    }
    if (ap->text(0, 2) == "refused") {
        auditApart({call.terminalId,
            who.staffId,
            q(ap->text(0, 4)),
            QStringLiteral("approval.use"),
            asn,
            approvalId,
            QStringLiteral("refused: approval-refused"),
            operation});
        return problem(403,
            "approval-refused",
            QStringLiteral("The supervisor refused this operation"),
            QStringLiteral("Approval %1 was refused.").arg(approvalId),
            QStringLiteral("Do not carry out the operation; ask the supervisor why."),
            rid);
    }
    if (ap->text(0, 2) != "approved" || q(ap->text(0, 0)) != operation || q(ap->text(0, 1)) != asn
        || q(ap->text(0, 3)) != who.staffId || nowMicros() >= ap->integer(0, 5)) {
        return needed(QStringLiteral("Approval %1 is not an unused, unexpired approval of %2 on key %3 asked by you.")
                          .arg(approvalId, operation, asn));
    }
    if (auto u = db.exec("UPDATE approvals SET state = 'used', used_at = $2 WHERE id = $1",
            {s(approvalId), std::to_string(nowMicros())});
        !u) {
        return unavailableReply(u.error(), rid);
    }
    return q(ap->text(0, 4));
}

namespace {

std::string auditRowText(const std::vector<std::optional<std::string>>& f)
{
    std::string t;
    for (const auto& v : f) {
        t += v.value_or("\x01null");
        t += '\x1f';
    }
    return t;
}

} // namespace

Result<void> Staff::audit(PgConnection& db, const AuditEntry& e)
{
    // One writer at a time extends the chain (a transaction-scoped advisory lock), so the links never fork.
    if (auto l = db.exec("SELECT pg_advisory_xact_lock(727572)"); !l) {
        return l.error();
    }
    auto last = db.exec("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1");
    if (!last) {
        return last.error();
    }
    const std::string prev = last->rows() == 1 ? last->text(0, 0) : std::string(64, '0');
    const std::string at = std::to_string(nowMicros());
    const std::vector<std::optional<std::string>> fields{at,
        opt(e.terminalId),
        opt(e.staffId),
        opt(e.supervisorId),
        s(e.action),
        opt(e.asn),
        opt(e.subject),
        s(e.outcome),
        opt(e.detail)};
    const std::string hash = sha256Hex(prev + "\n" + auditRowText(fields));
    PgParams params(fields.begin(), fields.end());
    params.push_back(prev);
    params.push_back(hash);
    auto ins = db.exec("INSERT INTO audit_log (at, terminal_id, staff_id, supervisor_id, action, asn, subject,"
                       " outcome, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        params);
    if (!ins) {
        return ins.error();
    }
    return {};
}

Result<std::vector<std::string>> Staff::verifyAudit(PgConnection& db)
{
    auto rows = db.exec("SELECT seq, at, terminal_id, staff_id, supervisor_id, action, asn, subject, outcome,"
                        " detail, prev_hash, hash FROM audit_log ORDER BY seq");
    if (!rows) {
        return rows.error();
    }
    std::vector<std::string> bad;
    std::string prev(64, '0');
    for (int i = 0; i < rows->rows(); ++i) {
        std::vector<std::optional<std::string>> f;
        for (int c = 1; c <= 9; ++c) {
            f.push_back(rows->isNull(i, c) ? std::nullopt : std::optional<std::string>(rows->text(i, c)));
        }
        const std::string seq = rows->text(i, 0);
        if (rows->text(i, 10) != prev) {
            bad.push_back("row " + seq + ": does not link to the row before it (a row was deleted or edited)");
        }
        if (sha256Hex(rows->text(i, 10) + "\n" + auditRowText(f)) != rows->text(i, 11)) {
            bad.push_back("row " + seq + ": its content does not match its hash (edited)");
        }
        prev = rows->text(i, 11);
    }
    return bad;
}

} // namespace wallet::bank
