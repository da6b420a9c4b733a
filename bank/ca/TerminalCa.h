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

using core::Result;

/**
 * @brief The bank's own CA for terminals (docs/bank.md §3, §5): it signs the client certificates of enrolled
 * terminals (mutual TLS) and the bank host's server certificate; terminals pin its certificate.
 *
 * Files in the data folder, made by `bankctl init` when absent (ensureFiles):
 *   tls/ca.pem      the CA certificate (EC P-256, self-signed, 10 years, CN "SmartKey Bank Terminal CA");
 *   tls/ca.key      its private key, PKCS#8 PEM, mode 0600 (a file, not the HSM: OpenSSL 3 signs with it directly;
 *                   docs/bank.md §5 says what that protects and what not);
 *   tls/server.pem  the server certificate for localhost, 127.0.0.1 and ::1 (825 days), signed by that CA;
 *   tls/server.key  its key, mode 0600.
 * Existing files are never replaced (an operator's own CA stays).
 */
class TerminalCa
{
public:
    static constexpr const char* kCaCertificate = "tls/ca.pem";
    static constexpr const char* kCaKey = "tls/ca.key";
    static constexpr const char* kServerCertificate = "tls/server.pem";
    static constexpr const char* kServerKey = "tls/server.key";

    struct Files
    {
        bool caCreated = false;
        bool serverCreated = false;
        QString caFingerprint; ///< SHA-256 of the CA certificate's DER, uppercase hex; empty without a CA file
        QString note; ///< why a file was not made (e.g. a CA certificate without its key)
    };
    /// Creates the CA and the server certificate in `dataDir` where absent (bankctl init).
    [[nodiscard]] static Result<Files> ensureFiles(const QString& dataDir);
    /// SHA-256 of a PEM certificate's DER, uppercase hex (64 digits), or an error.
    [[nodiscard]] static Result<QString> fingerprintOfPem(const QByteArray& pem);

    ~TerminalCa();
    TerminalCa(const TerminalCa&) = delete;
    TerminalCa& operator=(const TerminalCa&) = delete;
    /// The CA of a data folder (its certificate and key files).
    [[nodiscard]] static Result<std::unique_ptr<TerminalCa>> load(const QString& dataDir);

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

private:
    TerminalCa() = default;
    x509_st* m_cert = nullptr;
    evp_pkey_st* m_key = nullptr;
    QByteArray m_certPem;
    QString m_fingerprint;
};

/// The serial of a certificate as uppercase hex without leading zeros (as OpenSSL's BN_bn2hex), the key of
/// `terminal_certificates`.
[[nodiscard]] QString certificateSerialHex(const x509_st* certificate);

} // namespace wallet::bank
