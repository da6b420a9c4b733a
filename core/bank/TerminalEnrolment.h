// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"

#include <QString>
#include <QUrl>

namespace wallet::core {

/// What a finished enrolment wrote (docs/core.md "Enrolling a terminal").
struct TerminalEnrolment
{
    QString terminalId; ///< 12 digits, the certificate's CN
    QString kind; ///< the certificate's OU
    QString caFingerprint; ///< SHA-256 of the pinned bank CA certificate, uppercase hex
    QString notAfter; ///< the certificate's expiry, RFC 3339
    QString configFile; ///< <data>/bank-client.json
};

/**
 * @brief Enrols this terminal with a bank host (docs/bank.md §3, API `enrolTerminal`): generates an EC P-256 key
 * pair here, sends a PKCS#10 request with the operator's one-time `code` to `POST /v1/terminals/enrolments`, and
 * stores in `dataDir`: `terminal.key` (PKCS#8, mode 0600, created exclusively), `terminal.pem`, `bank-ca.pem` (the
 * CA to pin) and `bank-client.json`. Nothing is overwritten: with any of them present it refuses before contacting
 * the bank, so the code is not spent.
 *
 * Trust: before enrolment the terminal has no CA. The TLS server certificate is accepted for this one request and
 * then checked: it must be signed by the CA the bank answers, and that CA's SHA-256 fingerprint must equal
 * `expectedCaFingerprint` when given (what `bankctl terminal enrol-code` prints). Without it the CA is trusted on
 * first use, and its fingerprint is returned to be compared by a person. The issued certificate must carry this
 * key. Finally `GET /v1/terminals/me` with the new certificate and only the pinned CA proves the whole setup.
 * Retries of a lost answer reuse the same request id, so a code is never spent without its certificate arriving.
 */
[[nodiscard]] Result<TerminalEnrolment> enrolTerminal(const QUrl& bank,
    const QString& code,
    const QString& expectedCaFingerprint,
    const QString& dataDir,
    int timeoutMs = 15000);

} // namespace wallet::core
