// SPDX-License-Identifier: Apache-2.0
#include "bank/server/Terminals.h"

#include "bank/Util.h"
#include "bank/server/JsonRequest.h"

#include <QRegularExpression>

#include <ctime>

namespace wallet::bank {

using core::ErrorCode;
using core::makeError;

namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; // Crockford base32
constexpr int kCodeLength = 20; // 100 bits

Reply unauthorised(const QString& code, const QString& title, const QString& detail, const QString& rid)
{
    return Reply::problemOf(401,
        code,
        title,
        detail,
        QStringLiteral("Ask the bank operator for a new enrolment code (bankctl terminal enrol-code); nothing was "
                       "changed."),
        rid);
}

Reply certificateRefused(const QString& code, const QString& title, const QString& detail)
{
    return Reply::problemOf(401,
        code,
        title,
        detail,
        QStringLiteral("Enrol this terminal again with a new code from the bank operator; nothing was changed."));
}

std::string micros(std::int64_t seconds)
{
    return std::to_string(seconds * 1000000LL);
}

} // namespace

QString Terminals::newCode()
{
    const QByteArray bytes = randomBytes(13); // 104 bits, 100 used
    QString code;
    int bit = 0;
    for (int i = 0; i < kCodeLength; ++i) {
        int v = 0;
        for (int b = 0; b < 5; ++b, ++bit) {
            v = (v << 1) | ((static_cast<unsigned char>(bytes[bit / 8]) >> (7 - bit % 8)) & 1);
        }
        if (i > 0 && i % 4 == 0) {
            code += QLatin1Char('-');
        }
        code += QLatin1Char(kAlphabet[v]);
    }
    return code;
}

std::optional<QString> Terminals::normaliseCode(const QString& typed)
{
    if (typed.size() > 64) {
        return std::nullopt;
    }
    QString out;
    for (QChar c : typed) {
        c = c.toUpper();
        if (c == QLatin1Char('-') || c == QLatin1Char(' ')) {
            continue;
        }
        if (c == QLatin1Char('I') || c == QLatin1Char('L')) {
            c = QLatin1Char('1');
        } else if (c == QLatin1Char('O')) {
            c = QLatin1Char('0');
        }
        if (c.unicode() > 127 || !std::strchr(kAlphabet, static_cast<char>(c.unicode())) || c.unicode() == 0) {
            return std::nullopt;
        }
        out += c;
    }
    if (out.size() != kCodeLength) {
        return std::nullopt;
    }
    return out;
}

QString Terminals::codeHash(const QString& normalised)
{
    return QString::fromStdString(sha256Hex(normalised.toStdString()));
}

Result<void> Terminals::checkIdAndKind(const QString& terminalId, const QString& kind)
{
    static const QRegularExpression id(QStringLiteral("^[0-9]{12}$"));
    if (!id.match(terminalId).hasMatch()) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("a terminal ID is 12 digits (6 BCD bytes)"));
    }
    if (!QStringList{QStringLiteral("wallet"),
            QStringLiteral("kiosk"),
            QStringLiteral("branch"),
            QStringLiteral("merchant"),
            QStringLiteral("monitor")}
             .contains(kind)) {
        return makeError(
            ErrorCode::InvalidInput, QStringLiteral("--role must be wallet, kiosk, branch, merchant or monitor"));
    }
    return {};
}

Reply Terminals::validateEnrolment(const QJsonObject& body, const QString& requestId)
{
    JsonRequest r(body, {QStringLiteral("csrPem")});
    (void)r.text(QStringLiteral("csrPem"), 200, 8192);
    if (r.ok()) {
        return {};
    }
    return Reply::problemOf(400,
        QStringLiteral("invalid-field"),
        QStringLiteral("A field is outside its allowed form"),
        r.errors().front().first + QStringLiteral(": ") + r.errors().front().second,
        QStringLiteral("Correct the field named in errors[]; nothing was changed."),
        requestId,
        {},
        r.errors());
}

Reply Terminals::enrol(
    PgConnection& db, const TerminalCa* ca, const QString& codeHash, const QJsonObject& body, const QString& rid)
{
    if (!ca) {
        Reply r = Reply::problemOf(503,
            QStringLiteral("ca-not-configured"),
            QStringLiteral("The bank host has no terminal CA"),
            QStringLiteral("tls/ca.pem and tls/ca.key are missing in the bank's data folder."),
            QStringLiteral("Ask the bank operator to run bankctl init; nothing was changed."),
            rid);
        r.retryAfter = 60;
        return r;
    }
    auto code = db.exec("SELECT e.terminal_id, t.kind, e.expires_at, CASE WHEN e.used_at IS NULL THEN 0 ELSE 1 END,"
                        " CASE WHEN t.revoked_at IS NULL THEN 0 ELSE 1 END FROM enrolment_codes e JOIN terminals t ON"
                        " t.terminal_id = e.terminal_id WHERE e.code_hash = $1 FOR UPDATE",
        {codeHash.toStdString()});
    if (!code) {
        Reply r = Reply::problemOf(503,
            QStringLiteral("unavailable"),
            QStringLiteral("The bank host cannot reach its database"),
            {},
            QStringLiteral("Retry with the same Idempotency-Key after Retry-After seconds."),
            rid);
        r.retryAfter = 1;
        return r;
    }
    if (code->rows() != 1) {
        return unauthorised(QStringLiteral("enrolment-code-invalid"),
            QStringLiteral("This enrolment code is not known"),
            QStringLiteral("No enrolment code matches the one sent."),
            rid);
    }
    const QString terminalId = QString::fromStdString(code->text(0, 0));
    const QString kind = QString::fromStdString(code->text(0, 1));
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    if (code->integer(0, 3) != 0) {
        return unauthorised(QStringLiteral("enrolment-code-used"),
            QStringLiteral("This enrolment code was used already"),
            QStringLiteral("The code for terminal %1 enrolled a terminal before; a code works once.").arg(terminalId),
            rid);
    }
    if (code->integer(0, 4) != 0) {
        return unauthorised(QStringLiteral("enrolment-code-invalid"),
            QStringLiteral("This terminal is revoked"),
            QStringLiteral("Terminal %1 was revoked; its ID is not enrolled again.").arg(terminalId),
            rid);
    }
    if (code->integer(0, 2) <= now * 1000000LL) {
        return unauthorised(QStringLiteral("enrolment-code-expired"),
            QStringLiteral("This enrolment code has expired"),
            QStringLiteral("The code for terminal %1 expired at %2.").arg(terminalId, rfc3339(code->integer(0, 2))),
            rid);
    }
    const QByteArray csr = body.value(QStringLiteral("csrPem")).toString().toUtf8();
    QString why;
    switch (TerminalCa::checkRequest(csr, &why)) {
    case TerminalCa::RequestProblem::None:
        break;
    case TerminalCa::RequestProblem::UnsupportedKey:
        return Reply::problemOf(422,
            QStringLiteral("unsupported-key"),
            QStringLiteral("The request's key is not supported"),
            why,
            QStringLiteral("Generate an EC P-256 key pair and send a request for it; the code is still unused."),
            rid);
    default:
        return Reply::problemOf(422,
            QStringLiteral("csr-invalid"),
            QStringLiteral("The certificate request is not valid"),
            why,
            QStringLiteral("Send a PKCS#10 request signed by its own key; the code is still unused."),
            rid);
    }
    auto issued = ca->issue(csr, terminalId, kind, now - 60, now + kValidityDays * 86400LL);
    if (!issued) {
        return Reply::problemOf(500,
            QStringLiteral("internal"),
            QStringLiteral("The bank CA did not sign"),
            {},
            QStringLiteral("Retry with the same Idempotency-Key; nothing was changed."),
            rid);
    }
    const std::string nowUs = std::to_string(nowMicros());
    const std::string serial = issued->serial.toStdString();
    for (const auto& [sql, params] : std::initializer_list<std::pair<const char*, PgParams>>{
             {"INSERT INTO terminal_certificates (serial, terminal_id, not_before, not_after, created_at) VALUES ($1,"
              " $2, $3, $4, $5)",
                 {serial, terminalId.toStdString(), micros(issued->notBefore), micros(issued->notAfter), nowUs}},
             {"UPDATE enrolment_codes SET used_at = $2, certificate_serial = $3 WHERE code_hash = $1",
                 {codeHash.toStdString(), nowUs, serial}},
             {"UPDATE terminals SET enrolled_at = $2 WHERE terminal_id = $1", {terminalId.toStdString(), nowUs}}}) {
        if (auto r = db.exec(sql, params); !r) {
            return Reply::problemOf(500,
                QStringLiteral("internal"),
                QStringLiteral("The enrolment could not be recorded"),
                {},
                QStringLiteral("Retry with the same Idempotency-Key; nothing was changed."),
                rid);
        }
    }
    return Reply::json(201,
        QJsonObject{{QStringLiteral("terminalId"), terminalId},
            {QStringLiteral("kind"), kind},
            {QStringLiteral("certificatePem"), QString::fromLatin1(issued->pem)},
            {QStringLiteral("caCertificatePem"), QString::fromLatin1(ca->certificatePem())},
            {QStringLiteral("certificateSerial"), issued->serial},
            {QStringLiteral("notAfter"), rfc3339(issued->notAfter * 1000000LL)}},
        "/v1/terminals/me");
}

std::optional<Reply> Terminals::checkCertificate(
    PgConnection& db, const QString& terminalId, const QString& serial, bool enrolledOnly)
{
    auto r = db.exec("SELECT CASE WHEN t.revoked_at IS NULL THEN 0 ELSE 1 END, CASE WHEN c.serial IS NULL THEN 0 ELSE"
                     " 1 END, CASE WHEN c.revoked_at IS NULL THEN 0 ELSE 1 END FROM terminals t LEFT JOIN"
                     " terminal_certificates c ON c.serial = $2 AND c.terminal_id = t.terminal_id WHERE"
                     " t.terminal_id = $1",
        {terminalId.toStdString(), serial.toStdString()});
    if (!r) {
        Reply u = Reply::problemOf(503,
            QStringLiteral("unavailable"),
            QStringLiteral("The bank host cannot reach its database"),
            {},
            QStringLiteral("Retry with the same Idempotency-Key after Retry-After seconds."));
        u.retryAfter = 1;
        return u;
    }
    if (r->rows() == 0) {
        if (!enrolledOnly) {
            return std::nullopt;
        }
        return certificateRefused(QStringLiteral("terminal-unknown"),
            QStringLiteral("This terminal is not enrolled"),
            QStringLiteral("Terminal %1 was never enrolled with this bank.").arg(terminalId));
    }
    if (r->integer(0, 0) != 0 || r->integer(0, 2) != 0) {
        return certificateRefused(QStringLiteral("certificate-revoked"),
            QStringLiteral("The client certificate is revoked"),
            QStringLiteral("Terminal %1: certificate serial %2 is revoked.").arg(terminalId, serial));
    }
    if (r->integer(0, 1) == 0) {
        return certificateRefused(QStringLiteral("certificate-unknown"),
            QStringLiteral("The client certificate was not issued to this terminal"),
            QStringLiteral("Terminal %1 is enrolled, but certificate serial %2 is not one the bank issued to it.")
                .arg(terminalId, serial));
    }
    return std::nullopt;
}

Reply Terminals::getOwn(PgConnection& db, const CallContext& call)
{
    auto r = db.exec("SELECT t.kind, t.label, c.serial, c.not_after, t.enrolled_at FROM terminals t JOIN"
                     " terminal_certificates c ON c.terminal_id = t.terminal_id WHERE t.terminal_id = $1 AND"
                     " c.serial = $2",
        {call.terminalId.toStdString(), call.certificateSerial.toStdString()});
    if (!r || r->rows() != 1 || r->isNull(0, 4)) {
        return Reply::problemOf(404,
            QStringLiteral("not-found"),
            QStringLiteral("This terminal was not enrolled"),
            QStringLiteral("Terminal %1's certificate was made outside enrolment.").arg(call.terminalId),
            QStringLiteral("Enrol the terminal to have it in the bank's registry."));
    }
    return Reply::json(200,
        QJsonObject{{QStringLiteral("terminalId"), call.terminalId},
            {QStringLiteral("kind"), QString::fromStdString(r->text(0, 0))},
            {QStringLiteral("label"), QString::fromStdString(r->text(0, 1))},
            {QStringLiteral("certificateSerial"), QString::fromStdString(r->text(0, 2))},
            {QStringLiteral("notAfter"), rfc3339(r->integer(0, 3))},
            {QStringLiteral("enrolledAt"), rfc3339(r->integer(0, 4))}});
}

Result<QString> Terminals::createCode(
    PgConnection& db, const QString& terminalId, const QString& kind, const QString& label, int hours)
{
    if (auto ok = checkIdAndKind(terminalId, kind); !ok) {
        return ok.error();
    }
    if (label.size() > 64) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("--label: at most 64 characters"));
    }
    PgTransaction tx(db);
    if (!tx.begun()) {
        return tx.begun().error();
    }
    const std::string now = std::to_string(nowMicros());
    const std::string id = terminalId.toStdString();
    auto row = db.exec("INSERT INTO terminals (terminal_id, kind, label, created_at) VALUES ($1, $2, $3, $4) ON"
                       " CONFLICT (terminal_id) DO NOTHING",
        {id, kind.toStdString(), (label.isEmpty() ? terminalId : label).toStdString(), now});
    if (!row) {
        return row.error();
    }
    auto t = db.exec("SELECT kind, CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END FROM terminals WHERE terminal_id ="
                     " $1 FOR UPDATE",
        {id});
    if (!t || t->rows() != 1) {
        return t ? makeError(ErrorCode::StorageError, QStringLiteral("terminal row missing")) : t.error();
    }
    if (t->integer(0, 1) != 0) {
        return makeError(ErrorCode::InvalidState,
            QStringLiteral("terminal %1 is revoked; a revoked ID is never enrolled again, choose another")
                .arg(terminalId));
    }
    if (QString::fromStdString(t->text(0, 0)) != kind) {
        return makeError(ErrorCode::InvalidState,
            QStringLiteral("terminal %1 is a %2 terminal, not %3")
                .arg(terminalId, QString::fromStdString(t->text(0, 0)), kind));
    }
    if (!label.isEmpty()) {
        if (auto l = db.exec("UPDATE terminals SET label = $2 WHERE terminal_id = $1", {id, label.toStdString()}); !l) {
            return l.error();
        }
    }
    // One open code per terminal: a new one ends the earlier unused ones.
    if (auto e = db.exec("UPDATE enrolment_codes SET expires_at = $2 WHERE terminal_id = $1 AND used_at IS NULL AND"
                         " expires_at > $2",
            {id, now});
        !e) {
        return e.error();
    }
    const QString code = newCode();
    const std::int64_t expires = nowMicros() + static_cast<std::int64_t>(hours) * 3600LL * 1000000LL;
    if (auto i = db.exec("INSERT INTO enrolment_codes (code_hash, terminal_id, expires_at, created_at) VALUES ($1,"
                         " $2, $3, $4)",
            {codeHash(*normaliseCode(code)).toStdString(), id, std::to_string(expires), now});
        !i) {
        return i.error();
    }
    if (auto c = tx.commit(); !c) {
        return c.error();
    }
    return code;
}

Result<void> Terminals::recordCertificate(
    PgConnection& db, const QString& terminalId, const QString& kind, const TerminalCa::Issued& issued)
{
    PgTransaction tx(db);
    if (!tx.begun()) {
        return tx.begun().error();
    }
    const std::string now = std::to_string(nowMicros());
    for (const auto& [sql, params] : std::initializer_list<std::pair<const char*, PgParams>>{
             {"INSERT INTO terminals (terminal_id, kind, label, created_at) VALUES ($1, $2, $1, $3) ON CONFLICT"
              " (terminal_id) DO NOTHING",
                 {terminalId.toStdString(), kind.toStdString(), now}},
             {"INSERT INTO terminal_certificates (serial, terminal_id, not_before, not_after, created_at) VALUES ($1,"
              " $2, $3, $4, $5)",
                 {issued.serial.toStdString(),
                     terminalId.toStdString(),
                     micros(issued.notBefore),
                     micros(issued.notAfter),
                     now}}}) {
        if (auto r = db.exec(sql, params); !r) {
            return r.error();
        }
    }
    return tx.commit();
}

Result<bool> Terminals::revoke(PgConnection& db, const QString& terminalId)
{
    PgTransaction tx(db);
    if (!tx.begun()) {
        return tx.begun().error();
    }
    const std::string now = std::to_string(nowMicros());
    const std::string id = terminalId.toStdString();
    auto t = db.exec(
        "UPDATE terminals SET revoked_at = $2 WHERE terminal_id = $1 AND revoked_at IS NULL RETURNING 1", {id, now});
    if (!t) {
        return t.error();
    }
    for (const char* sql : {"UPDATE terminal_certificates SET revoked_at = $2 WHERE terminal_id = $1 AND revoked_at IS"
                            " NULL",
             "UPDATE enrolment_codes SET expires_at = $2 WHERE terminal_id = $1 AND used_at IS NULL AND expires_at > "
             "$2"}) {
        if (auto r = db.exec(sql, {id, now}); !r) {
            return r.error();
        }
    }
    if (auto c = tx.commit(); !c) {
        return c.error();
    }
    return t->rows() == 1;
}

} // namespace wallet::bank
