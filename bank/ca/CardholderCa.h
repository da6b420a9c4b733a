// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bank/hsm/Hsm.h"
#include "bank/issuer/Issuer.h"
#include "bank/server/Reply.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace wallet::bank {

class Db;
using PgConnection = Db;

/**
 * @brief The bank CA for cardholders (docs/bank.md §13, issue 14; API `issueCardholderCertificate`): certificates
 * for key pairs generated in a SmartKey's PIV slot. The CA key is the EC P-256 key `cardholder-ca` in the HSM
 * (sensitive, not extractable); its self-signed certificate is made by `bankctl keys init` through the same DER
 * code the wallet uses for its requests (core/crypto/X509Der), signed by the HSM. Certificates are kept in the
 * ledger database (`cardholder_certificates`), so that the bank can check what the cardholder signs later.
 */
class CardholderCa
{
public:
    static constexpr const char* kKeyLabel = "cardholder-ca";
    static constexpr const char* kCertificateFile = "tls/cardholder-ca.pem";
    static constexpr int kValidityDays = 365;

    /// The CA's self-signed certificate (DER) for the HSM key, valid `days`.
    [[nodiscard]] static Result<QByteArray> selfCertify(Hsm& hsm, int days);
    /// The CA certificate (DER) from its PEM file, or an error naming the fix.
    [[nodiscard]] static Result<QByteArray> loadCertificate(const QString& pemPath);

    /// `caDer` empty: no CA certificate yet, every application answers 503 `ca-not-configured`.
    CardholderCa(Hsm& hsm, QByteArray caDer);

    [[nodiscard]] static Reply validate(const QJsonObject& body, const QString& requestId);
    /// Verifies the request (its own signature, P-256, ECDSA-SHA256), checks the card, issues and records.
    [[nodiscard]] Reply issue(PgConnection& db, const CallContext& call, const QString& asn, const QJsonObject& body);

private:
    Hsm& m_hsm;
    QByteArray m_caDer;
    QByteArray m_caSubject; ///< the CA certificate's subject Name, DER (the issuer of what it signs)
    QByteArray m_caPoint;
};

} // namespace wallet::bank
