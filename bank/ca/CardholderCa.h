// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bank/hsm/Hsm.h"
#include "bank/issuer/Issuer.h"
#include "bank/server/Reply.h"

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include <optional>

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

    /**
     * GET /v1/cardholder-ca/certificate (issue 14): the CA's own certificate (DER, uppercase hex) and its SHA-256,
     * for a wallet that holds a certificate from this CA but kept no CA certificate to check the CRL with. The bank
     * serves what it issues with (the same DER as `chain[0]` of an application's answer); 503 without a CA.
     */
    [[nodiscard]] Reply certificate() const;
    /// GET /v1/cardholder-ca/crl: a v2 CRL of every revoked cardholder certificate, signed by the HSM key now.
    [[nodiscard]] Reply crl(PgConnection& db);
    /// `bankctl certificates revoke`: marks the certificate revoked (reason: an RFC 5280 CRLReason name). NotFound
    /// for an unknown serial, InvalidState when it is revoked already (the first date and reason stay).
    [[nodiscard]] static Result<void> revoke(PgConnection& db, const QString& serialHex, const QString& reason);

    /**
     * Issue 14 "Identify the cardholder online": checks the cardholder's slot 9A signature of a payment order
     * (docs/bank-api.yaml `CardholderSignature`) before MAC1, inside the authorisation's transaction. `signature` is
     * the request's `cardholderSignature` (undefined when absent). Answers nothing when the payment may go on: no
     * signature and none required, or one that verifies with the public key of a certificate this CA issued for
     * slot 9A of `asn`, valid now and not revoked. Otherwise the problem to answer (nothing is charged).
     */
    [[nodiscard]] static std::optional<Reply> checkPaymentSignature(PgConnection& db,
        const QString& asn,
        const QString& orderId,
        qint64 amount,
        const QString& merchantId,
        const QString& terminalId,
        const QJsonValue& signature,
        bool required,
        const QString& requestId);

private:
    Hsm& m_hsm;
    QByteArray m_caDer;
    QByteArray m_caSubject; ///< the CA certificate's subject Name, DER (the issuer of what it signs)
    QByteArray m_caPoint;
};

} // namespace wallet::bank
