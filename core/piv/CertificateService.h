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
#include <QJsonObject>
#include <QString>

#include <functional>
#include <optional>
#include <vector>

namespace wallet::core {
class BankClient;
struct MerchantOrder;
} // namespace wallet::core

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

/**
 * Issue 14: what the bank's cardholder CA says about one certificate, from its CRL. `Unknown` carries why
 * (`explanation`): no bank host, the bank unreachable, no cardholder CA certificate kept in the data folder, a CRL that
 * does not parse, is not from the certificate's CA, or whose signature does not verify with the CA's key.
 */
struct RevocationStatus
{
    enum class State : std::uint8_t { Valid, Revoked, Unknown };
    /// Why the state is Unknown, for a wallet's own words.
    enum class Why : std::uint8_t { None, NoBank, BankUnreachable, NoIssuer, NotIssuer, BadCrl, BadSignature, Stale };
    State state = State::Unknown;
    Why why = Why::NoBank;
    QDateTime revokedAt; ///< UTC, when Revoked
    QString reason; ///< RFC 5280 CRLReason name ("keyCompromise", …), "unspecified" when the entry has none
    QString explanation; ///< why Unknown (English, for logs and walletctl; the wallet shows its own words)
    /// "valid", "revoked", "unknown" (walletctl's JSON `status`).
    [[nodiscard]] QString word() const;
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
    /// `touch`: the key's touch policy (tag AB; Default leaves the token's default, never).
    [[nodiscard]] Result<QByteArray> generate(std::uint8_t slot,
        std::uint8_t alg,
        const SecureBytes& managementKey,
        TouchPolicy touch = TouchPolicy::Default);
    /// A PKCS#10 request for the slot's key, signed on the key (PIN per the slot's policy through `pin`).
    [[nodiscard]] Result<QByteArray> request(std::uint8_t slot, const x509::Name& subject, const PinProvider& pin);
    /// Sends the request to the bank's CA; `requestId` (a UUID stored by the caller) makes it exactly once.
    [[nodiscard]] static Result<IssuedCertificate> apply(
        BankClient& bank, const QString& requestId, const QString& asnHex, std::uint8_t slot, const QByteArray& csr);
    /// The cardholder CA's CRL as the bank answers it (GET /v1/cardholder-ca/crl over the pinned mutual-TLS
    /// connection), DER. Nothing is checked here: revocationFromCrl() checks it.
    [[nodiscard]] static Result<QByteArray> fetchCrl(BankClient& bank);
    /**
     * The cardholder CA's own certificate as the bank serves it (GET /v1/cardholder-ca/certificate over the pinned
     * mutual-TLS connection), DER, after checking that the answer's `sha256` is its digest. Whether it issued a
     * given certificate is not checked here: RevocationCheck keeps it only when it did.
     */
    [[nodiscard]] static Result<QByteArray> fetchIssuer(BankClient& bank);
    /**
     * Issue 14: whether `certificateDer` is revoked according to `crlDer`. The CRL is believed only when its
     * signature verifies with the key of `caDer` (the cardholder CA certificate the wallet kept when the bank issued
     * a certificate, see keepIssuer()) and `caDer` is the certificate's issuer (its signature on the certificate
     * verifies too); otherwise Unknown with the reason. A CRL past its nextUpdate is Unknown as well.
     */
    [[nodiscard]] static RevocationStatus revocationFromCrl(
        const QByteArray& crlDer, const QByteArray& certificateDer, const QByteArray& caDer, const QDateTime& nowUtc);
    /// The cardholder CA certificate file the wallet keeps in its data folder (PEM).
    static constexpr const char* kIssuerFile = "cardholder-ca.pem";
    /**
     * Keeps the CA certificate of an application's answer (`chain[0]`) in `dataDir`/kIssuerFile, after checking that
     * it signed `issued.certificate` (so a CRL can later be checked against it). Replaces an older one only when the
     * new one verifies.
     */
    [[nodiscard]] static Result<void> keepIssuer(const QString& dataDir, const IssuedCertificate& issued);
    /// Whether `caDer` issued `certificateDer`: the certificate's issuer name is the CA's subject and the CA's key
    /// verifies its signature (VerificationFailed otherwise, ProtocolError when either does not parse).
    [[nodiscard]] static Result<void> issuedBy(const QByteArray& certificateDer, const QByteArray& caDer);
    /// The kept CA certificate (DER), empty when none.
    [[nodiscard]] static QByteArray keptIssuer(const QString& dataDir);
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
    /// The slot's state when it holds a certificate of its own P-256 key (what signWithCertificate() needs): NotFound
    /// (no certificate: apply first) or InvalidInput (it certifies another key) otherwise. Reads the key only.
    [[nodiscard]] Result<SlotState> certifiedSlot(std::uint8_t slot);
    /**
     * Issue 14 "Identify the cardholder online", shared by `walletctl pay` and the wallet's Pay page: signs the
     * payment message of `order` for the purse `asnHex` (core::cardholderPaymentMessage) with slot 9A and answers the
     * `cardholderSignature` object of the authorisation (docs/bank-api.yaml `CardholderSignature`:
     * certificateSerial, signature in uppercase hex). The purse must be selected again afterwards.
     */
    [[nodiscard]] Result<QJsonObject> signPaymentOrder(
        const MerchantOrder& order, const QString& asnHex, const PinProvider& pin);

private:
    /// GENERAL AUTHENTICATE of `digest`, with VERIFY first or after a 6982 as the slot's PIN policy demands.
    [[nodiscard]] Result<QByteArray> signDigest(
        std::uint8_t slot, const KeyMetadata& key, const QByteArray& digest, const PinProvider& pin);

    PivClient m_piv;
};

} // namespace wallet::core::piv
