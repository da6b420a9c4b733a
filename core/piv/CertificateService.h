// SPDX-License-Identifier: Apache-2.0
// The wallet's certificate flows on the key's PIV application (issue 14, docs/piv.md "The wallet's certificates"):
// generate a key pair in a slot, make a certificate request signed by that key, apply to the bank host's CA, store
// the certificate on the key, list, show, export and delete. Shared by walletctl and the GUI's view model; runs on
// the caller's (worker) thread.
#pragma once

#include "core/Result.h"
#include "core/crypto/Bytes.h"
#include "core/crypto/X509Der.h"
#include "core/piv/PivClient.h"

#include <QByteArray>
#include <QDateTime>
#include <QString>

#include <functional>
#include <optional>
#include <vector>

namespace wallet::core {
class BankClient;
}

namespace wallet::core::piv {

/// What the Certificates page and `walletctl cert show` display.
struct CertificateDetails
{
    QString subject;
    QString issuer;
    QDateTime notBefore;
    QDateTime notAfter;
    QString serialHex;
    QString sha256Fingerprint; ///< upper-case hex pairs separated by ':' (as openssl x509 -fingerprint prints)
    QByteArray publicPoint; ///< the certified uncompressed point
};
/// Parses a DER certificate (Botan). SM2 certificates parse too (their signature is not checked here).
[[nodiscard]] Result<CertificateDetails> describeCertificate(const QByteArray& der);

struct SlotState
{
    std::uint8_t slot = 0;
    std::optional<KeyMetadata> key;
    std::optional<QByteArray> certificate; ///< DER
    std::optional<CertificateDetails> details;
};

/// The bank's answer to an application (POST /v1/certificates).
struct IssuedCertificate
{
    QByteArray certificate; ///< DER
    QList<QByteArray> chain; ///< the issuing CA's certificate(s), DER
    bool replayed = false;
};

/// Asked for the PIV PIN when the slot's policy needs it ("PIN: "); an error cancels.
using PinProvider = std::function<Result<SecureBytes>()>;

class CertificateService
{
public:
    explicit CertificateService(ApduChannel& channel);

    /// The management key: $SKEY_PIV_MANAGEMENT_KEY (48 hex digits), else the development default (`*isDefault`).
    [[nodiscard]] static Result<SecureBytes> managementKeyFromEnvironment(bool* isDefault = nullptr);
    /// The subject the wallet asks for: CN = the purse's ASN (hex), O = "SmartKey cardholder".
    [[nodiscard]] static x509::Name defaultSubject(const QString& asnHex);

    [[nodiscard]] Result<void> open();
    /// GENERATE in `slot` (P-256 or SM2), after the management-key authentication. Any certificate of the slot
    /// goes with the old key (the token deletes it in the same commit). Returns the public point.
    [[nodiscard]] Result<QByteArray> generate(std::uint8_t slot, std::uint8_t alg, const SecureBytes& managementKey);
    /// A PKCS#10 request for the slot's key, signed on the key (PIN per the slot's policy through `pin`).
    [[nodiscard]] Result<QByteArray> request(std::uint8_t slot, const x509::Name& subject, const PinProvider& pin);
    /// Sends the request to the bank's CA; `requestId` (a UUID stored by the caller) makes it exactly once.
    [[nodiscard]] static Result<IssuedCertificate> apply(
        BankClient& bank, const QString& requestId, const QString& asnHex, std::uint8_t slot, const QByteArray& csr);
    /**
     * Issue 14: whether the bank's cardholder CA revoked the certificate, from its CRL (GET
     * /v1/cardholder-ca/crl over the pinned mutual-TLS connection; the CRL's issuer must be the certificate's).
     * The CRL's own signature is not checked here: the wallet does not keep the cardholder CA's certificate, and
     * the answer comes from the bank it pins.
     */
    [[nodiscard]] static Result<bool> isRevoked(BankClient& bank, const QByteArray& certificateDer);
    /// PUT DATA of the certificate, refused unless it certifies the slot's key.
    [[nodiscard]] Result<void> store(std::uint8_t slot, const QByteArray& der, const SecureBytes& managementKey);
    [[nodiscard]] Result<std::vector<SlotState>> list();
    [[nodiscard]] Result<SlotState> slot(std::uint8_t slot);
    /// Deletes the slot's certificate object (PUT DATA 53 00). The key pair stays until the next GENERATE: PIV has
    /// no command that removes a key (docs/piv.md, Gaps).
    [[nodiscard]] Result<void> remove(std::uint8_t slot, const SecureBytes& managementKey);
    [[nodiscard]] PivClient& client() { return m_piv; }

    /// What the key signed for the bank, with the certificate that proves whose key it is.
    struct CertifiedSignature
    {
        QString certificateSerial; ///< uppercase hex, as the bank recorded it
        QByteArray signature; ///< DER ECDSA-Sig-Value
    };
    /**
     * Issue 14 "Identify the cardholder online": signs `message` with the key pair of `slot` (SHA-256 on the host,
     * ECDSA P-256 on the key, PIN as the slot's policy says) and names the slot's certificate. NotFound when the
     * slot holds no certificate, InvalidInput when it certifies another key or is not P-256.
     */
    [[nodiscard]] Result<CertifiedSignature> signWithCertificate(
        std::uint8_t slot, const QByteArray& message, const PinProvider& pin);

private:
    /// GENERAL AUTHENTICATE of `digest`, with VERIFY first or after a 6982 as the slot's PIN policy demands.
    [[nodiscard]] Result<QByteArray> signDigest(
        std::uint8_t slot, const KeyMetadata& key, const QByteArray& digest, const PinProvider& pin);

    PivClient m_piv;
};

} // namespace wallet::core::piv
