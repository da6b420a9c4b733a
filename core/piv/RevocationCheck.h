// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "core/piv/CertificateService.h"

#include <QByteArray>
#include <QDateTime>
#include <QString>

#include <optional>

namespace wallet::core {
class BankClient;
} // namespace wallet::core

namespace wallet::core::piv {

/**
 * @brief Issue 14: the bank's word on the certificates of a key, for `walletctl cert list|show` and the Certificates
 * page (one object per listing; runs on the caller's worker thread).
 *
 * The CRL (GET /v1/cardholder-ca/crl) is fetched once and believed only when it verifies with the cardholder CA
 * certificate kept in the data folder (CertificateService::revocationFromCrl). When none is kept (a certificate
 * applied for before the wallet kept it), the CA certificate is fetched from the bank (GET
 * /v1/cardholder-ca/certificate) over the same pinned mutual-TLS connection and **kept (pinned) only when it verifies
 * the signature of the certificate being checked**: a CA that did not issue the cardholder's certificate is neither
 * kept nor used, and the status stays Unknown (NotIssuer). A kept CA certificate that did not issue the certificate
 * being checked (the bank rolled its cardholder CA over) is treated as none: the bank's current one is fetched and
 * replaces it only when it issued that certificate (docs/piv.md).
 */
class RevocationCheck
{
public:
    /// `bank` null: no bank host configured (every status is Unknown, NoBank).
    RevocationCheck(BankClient* bank, QString dataDir);

    [[nodiscard]] RevocationStatus status(const QByteArray& certificateDer, const QDateTime& nowUtc);

private:
    BankClient* m_bank;
    QString m_dataDir;
    std::optional<Result<QByteArray>> m_crl;
    std::optional<Result<QByteArray>> m_fetchedIssuer; ///< GET /v1/cardholder-ca/certificate, once
};

} // namespace wallet::core::piv
