// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bank/ca/TerminalCa.h"
#include "bank/db/PgConnection.h"
#include "bank/issuer/Issuer.h"
#include "bank/server/Reply.h"

#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <optional>

namespace wallet::bank {

/**
 * @brief Terminal enrolment and the terminal registry (docs/bank.md §3 "Who may call", API tag `terminals`).
 *
 * The operator makes a one-time code for a terminal ID and kind (`bankctl terminal enrol-code`): 20 Crockford
 * base32 characters (100 random bits) shown once, stored only as its SHA-256, valid 24 h, single use. The terminal
 * sends the code (`Authorization: Bearer`) and a PKCS#10 request to `POST /v1/terminals/enrolments`, the one route
 * that needs no client certificate, and receives a certificate from the bank CA (OU = kind, CN = terminal ID, one
 * year) and the CA certificate to pin. Every certificate issued is recorded; every authenticated request looks its
 * serial up (checkCertificate).
 */
class Terminals
{
public:
    static constexpr int kCodeHours = 24;
    static constexpr int kValidityDays = 365;

    /// A fresh code, "XXXX-XXXX-XXXX-XXXX-XXXX" (Crockford base32).
    [[nodiscard]] static QString newCode();
    /// The code as stored and compared: upper case, hyphens and spaces dropped, I/L read as 1 and O as 0; nullopt
    /// unless it is 20 characters of the alphabet.
    [[nodiscard]] static std::optional<QString> normaliseCode(const QString& typed);
    /// SHA-256 of the normalised code, lowercase hex (the primary key of enrolment_codes).
    [[nodiscard]] static QString codeHash(const QString& normalised);
    /// The 12-digit terminal ID and kind of an enrol-code / issue command; an error names the problem.
    [[nodiscard]] static Result<void> checkIdAndKind(const QString& terminalId, const QString& kind);

    /// enrolTerminal's body: {"csrPem": "-----BEGIN CERTIFICATE REQUEST-----…"} (200..8192 characters).
    [[nodiscard]] static Reply validateEnrolment(const QJsonObject& body, const QString& requestId);
    /**
     * enrolTerminal, inside the idempotency runner's transaction: the code (locked) must exist, be unused, unexpired
     * and its terminal not revoked (else 401); the request must be a valid P-256 request (else 422, the code stays
     * unused); then the certificate is issued and recorded and the code marked used, in the same transaction.
     * `ca` null: 503 ca-not-configured.
     */
    [[nodiscard]] static Reply enrol(
        PgConnection& db, const TerminalCa* ca, const QString& codeHash, const QJsonObject& body, const QString& rid);

    /**
     * Every authenticated request, after the TLS verdict: the certificate's serial against the registry.
     * Terminal ID revoked or this certificate revoked → 401 certificate-revoked; the terminal enrolled (or invited)
     * but this serial not issued to it → 401 certificate-unknown; no such terminal → 401 terminal-unknown when
     * `enrolledOnly`, else accepted (certificates made by the operator outside enrolment, docs/bank.md §3).
     * nullopt: accepted.
     */
    [[nodiscard]] static std::optional<Reply> checkCertificate(
        PgConnection& db, const QString& terminalId, const QString& serial, bool enrolledOnly);

    /// getOwnTerminal (GET /v1/terminals/me).
    [[nodiscard]] static Reply getOwn(PgConnection& db, const CallContext& call);

    // ---- bankctl ----
    /// Creates (or finds) the terminal row and a new code valid `hours`; earlier unused codes of it expire now.
    [[nodiscard]] static Result<QString> createCode(
        PgConnection& db, const QString& terminalId, const QString& kind, const QString& label, int hours);
    /// Records a certificate issued outside the API (bankctl terminal issue, test folders).
    [[nodiscard]] static Result<void> recordCertificate(
        PgConnection& db, const QString& terminalId, const QString& kind, const TerminalCa::Issued& issued);
    /// Revokes the terminal and all its certificates; false when there is no such terminal.
    [[nodiscard]] static Result<bool> revoke(PgConnection& db, const QString& terminalId);
};

} // namespace wallet::bank
