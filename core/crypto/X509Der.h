// SPDX-License-Identifier: Apache-2.0
// X.509 and PKCS#10 in DER for keys that never leave a token: the to-be-signed part is encoded here, its hash is
// signed where the key lives (the SmartKey's PIV slot through core/piv/PivClient, or the bank's HSM), and the
// signature is put around it. Botan's PK_Signer and X509_CA need the private key in the process, which a token key
// is not. Hand-written DER (RFC 5280, RFC 2986) keeps this independent of the Botan 2/3 ASN.1 API differences.
// Used by the wallet (certificate requests) and by the bank host's CA (cardholder certificates).
#pragma once

#include "core/Result.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QPair>
#include <QString>

#include <cstdint>
#include <functional>

namespace wallet::core::x509 {

/// Signs a digest where the key is: answers the DER ECDSA-Sig-Value (SEQUENCE { r, s }).
using Signer = std::function<Result<QByteArray>(const QByteArray& digest)>;

/// Key types: EC P-256 with ECDSA-SHA256 (the default), SM2 with SM2-with-SM3 (GM/T 0015).
enum class KeyType { P256, Sm2 };

/// A distinguished name as (attribute, value) pairs in order: "C", "O", "OU", "CN", "serialNumber".
using Name = QList<QPair<QString, QString>>;

[[nodiscard]] Result<QByteArray> encodeName(const Name& name);
/// SubjectPublicKeyInfo of an uncompressed point (04 ‖ X ‖ Y, 65 bytes).
[[nodiscard]] Result<QByteArray> subjectPublicKeyInfo(KeyType type, const QByteArray& point);
/// The digest the signer signs for this key type: SHA-256 of `tbs` (P-256), or SM3(Z ‖ tbs) with the default
/// identity "1234567812345678" (SM2, GM/T 0009 §5.5 / RFC 8998).
[[nodiscard]] Result<QByteArray> digestToSign(KeyType type, const QByteArray& point, const QByteArray& tbs);

/// A PKCS#10 CertificationRequest (RFC 2986) for `point`, signed through `sign`.
[[nodiscard]] Result<QByteArray> certificationRequest(
    KeyType type, const QByteArray& subjectDer, const QByteArray& point, const Signer& sign);

struct CertificateFields
{
    QByteArray serial; ///< positive, big-endian (≤ 20 bytes)
    QByteArray issuerDer; ///< the issuer's Name (its certificate's subject, raw)
    QByteArray subjectDer;
    QDateTime notBefore;
    QDateTime notAfter;
    KeyType subjectType = KeyType::P256;
    QByteArray subjectPoint;
    KeyType issuerType = KeyType::P256;
    QByteArray issuerPoint; ///< for the authority key identifier (and SM2's Z)
    bool ca = false; ///< CA: basicConstraints CA:TRUE, keyCertSign|cRLSign; else digitalSignature
};
/// An X.509 v3 certificate (RFC 5280 §4.1) signed by the issuer through `sign`.
[[nodiscard]] Result<QByteArray> certificate(const CertificateFields& fields, const Signer& sign);

/// One revoked certificate of a CRL.
struct RevokedEntry
{
    QByteArray serial; ///< positive, big-endian
    QDateTime revocationDate;
    int reasonCode = 0; ///< RFC 5280 §5.3.1 CRLReason: 0 unspecified (no extension written), 1 keyCompromise, …
};
struct CrlFields
{
    QByteArray issuerDer; ///< the issuer's Name (its certificate's subject, raw)
    QByteArray issuerPoint; ///< for the authority key identifier
    QDateTime thisUpdate;
    QDateTime nextUpdate;
    QByteArray crlNumber; ///< positive, big-endian (≤ 20 bytes)
    QList<RevokedEntry> revoked;
};
/// A v2 CRL (RFC 5280 §5.1) with CRL number and authority key identifier, ECDSA-SHA256, signed through `sign`.
[[nodiscard]] Result<QByteArray> certificateRevocationList(const CrlFields& fields, const Signer& sign);

/// r ‖ s (PKCS#11 CKM_ECDSA, JWS) to the DER ECDSA-Sig-Value.
[[nodiscard]] Result<QByteArray> ecdsaRawToDer(const QByteArray& rs);

/// PEM armour ("CERTIFICATE", "CERTIFICATE REQUEST"), 64-column base64.
[[nodiscard]] QByteArray toPem(const QByteArray& der, const char* label);

} // namespace wallet::core::x509
