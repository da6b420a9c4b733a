// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <memory>

struct x509_st;
struct evp_pkey_st;

namespace wallet::bank {

class Hsm;
using core::Result;

/**
 * @brief The bank's own CA for terminals (docs/bank.md §3, §5): it signs the client certificates of enrolled
 * terminals (mutual TLS), the bank host's server certificate and the order-signing certificate; terminals pin its
 * certificate.
 *
 * Made by `bankctl init` when absent (ensureFiles):
 *   the key          an EC P-256 key pair `terminal-ca` generated in the bank's PKCS#11 token (private key sensitive,
 *                    not extractable): every certificate's to-be-signed part is hashed here and signed in the token
 *                    with CKM_ECDSA (C_Sign), so the CA key is never in a file or in this process;
 *   tls/ca.pem       the CA certificate (self-signed, 10 years, CN "SmartKey Bank Terminal CA");
 *   tls/server.pem   the server certificate for localhost, 127.0.0.1 and ::1 (825 days), signed by that CA;
 *   tls/server.key   its key, PKCS#8, mode 0600 (a file: it protects TLS sessions, not money, and OpenSSL's TLS
 *                    needs it in the process).
 * A folder made before the key moved into the token (or a test rig's CA from the openssl CLI) has the key as a file,
 * tls/ca.key (PKCS#8, 0600): it keeps working with that file, and `bankctl keys terminal-ca --import` moves it into
 * the token (importKeyFile). Existing certificates are never replaced (an operator's own CA stays).
 */
class TerminalCa
{
public:
    static constexpr const char* kCaCertificate = "tls/ca.pem";
    static constexpr const char* kCaKey = "tls/ca.key";
    static constexpr const char* kServerCertificate = "tls/server.pem";
    static constexpr const char* kServerKey = "tls/server.key";
    /// The CA's key pair in the token.
    static constexpr const char* kKeyLabel = "terminal-ca";

    struct Files
    {
        bool caCreated = false;
        bool serverCreated = false;
        QString caFingerprint; ///< SHA-256 of the CA certificate's DER, uppercase hex; empty without a CA file
        QString note; ///< why a file was not made (e.g. a CA certificate without its key)
    };
    /// Creates the CA (its key in `hsm`) and the server certificate in `dataDir` where absent (bankctl init).
    [[nodiscard]] static Result<Files> ensureFiles(const QString& dataDir, Hsm& hsm);
    /**
     * The migration of a folder whose CA key is the file tls/ca.key: the key is imported into `hsm` as `terminal-ca`
     * (sensitive, not extractable), a signature made in the token is checked against tls/ca.pem, and only then the
     * file is overwritten with zeros and removed. The CA certificate stays the same, so no terminal notices.
     */
    [[nodiscard]] static Result<void> importKeyFile(const QString& dataDir, Hsm& hsm);
    /// SHA-256 of a PEM certificate's DER, uppercase hex (64 digits), or an error.
    [[nodiscard]] static Result<QString> fingerprintOfPem(const QByteArray& pem);

    ~TerminalCa();
    TerminalCa(const TerminalCa&) = delete;
    TerminalCa& operator=(const TerminalCa&) = delete;
    /// The CA of a data folder: tls/ca.pem, and its key in `hsm` (`terminal-ca`), or the file tls/ca.key where one
    /// is (a folder not migrated yet). `hsm` may be null when the key is a file.
    [[nodiscard]] static Result<std::unique_ptr<TerminalCa>> load(const QString& dataDir, Hsm* hsm);
    /// A CA from a certificate and key file of an operator's own (`bankctl orders certify --ca-key`).
    [[nodiscard]] static Result<std::unique_ptr<TerminalCa>> loadFiles(const QString& certPath, const QString& keyPath);

    enum class RequestProblem { None, Malformed, BadSignature, UnsupportedKey };
    /**
     * A PKCS#10 request in PEM, checked: it parses, its own signature verifies with the key it carries (proof of
     * possession), and that key is EC P-256. Used by the enrolment endpoint and fuzzed (tests/bank/FuzzRequests.cpp).
     */
    [[nodiscard]] static RequestProblem checkRequest(const QByteArray& csrPem, QString* why = nullptr);

    struct Issued
    {
        QByteArray pem;
        QString serial; ///< uppercase hex, 32 digits
        std::int64_t notBefore = 0; ///< seconds since 1970
        std::int64_t notAfter = 0;
    };
    /// A client certificate for the request's key: subject OU=<kind>, CN=<terminal ID> (the request's own subject is
    /// ignored), CA:FALSE, digitalSignature, clientAuth, valid [notBefore, notAfter] (seconds since 1970).
    [[nodiscard]] Result<Issued> issue(const QByteArray& csrPem,
        const QString& terminalId,
        const QString& kind,
        std::int64_t notBefore,
        std::int64_t notAfter) const;
    [[nodiscard]] QByteArray certificatePem() const { return m_certPem; }
    [[nodiscard]] QString fingerprint() const { return m_fingerprint; }
    /// The CA certificate (the issuer name and key identifier of what it signs).
    [[nodiscard]] const x509_st* certificate() const { return m_cert; }
    /// Whether the key is in the token (else the file tls/ca.key).
    [[nodiscard]] bool keyInToken() const { return m_hsm != nullptr; }
    /**
     * Signs `cert` (built, issuer set, not signed) with ECDSA-SHA256: by the token (C_Sign over the SHA-256 of the
     * to-be-signed DER) or with the key file. Returns the signed certificate in DER, checked against the CA's public
     * key.
     */
    [[nodiscard]] Result<QByteArray> sign(x509_st* cert) const;

private:
    TerminalCa() = default;
    x509_st* m_cert = nullptr;
    evp_pkey_st* m_key = nullptr; ///< a key file's key, or null when the key is in the token
    Hsm* m_hsm = nullptr; ///< the token holding `terminal-ca`, or null
    QByteArray m_certPem;
    QString m_fingerprint;
};

/// The serial of a certificate as uppercase hex without leading zeros (as OpenSSL's BN_bn2hex), the key of
/// `terminal_certificates`.
[[nodiscard]] QString certificateSerialHex(const x509_st* certificate);

} // namespace wallet::bank
