// SPDX-License-Identifier: Apache-2.0
#include "core/piv/RevocationCheck.h"

#include <utility>

namespace wallet::core::piv {

RevocationCheck::RevocationCheck(BankClient* bank, QString dataDir)
    : m_bank(bank)
    , m_dataDir(std::move(dataDir))
{ }

RevocationStatus RevocationCheck::status(const QByteArray& certificateDer, const QDateTime& nowUtc)
{
    RevocationStatus st;
    if (!m_bank) {
        st.explanation = QStringLiteral("no bank host is configured");
        return st;
    }
    if (!m_crl) {
        m_crl = CertificateService::fetchCrl(*m_bank);
    }
    if (!*m_crl) {
        st.why = RevocationStatus::Why::BankUnreachable;
        st.explanation = m_crl->error().detail;
        return st;
    }
    QByteArray ca = CertificateService::keptIssuer(m_dataDir);
    if (!ca.isEmpty() && !CertificateService::issuedBy(certificateDer, ca)) {
        // The bank rolled its cardholder CA over: the kept certificate did not issue this one. The bank's current CA
        // certificate is fetched as below and replaces the kept one only if it did; otherwise the kept one stays.
        ca.clear();
    }
    if (ca.isEmpty()) {
        // Trust: the answer comes over the connection whose server certificate is checked against the bank CA
        // pinned at enrolment; the CA certificate is kept only when it signed the cardholder's certificate.
        if (!m_fetchedIssuer) {
            m_fetchedIssuer = CertificateService::fetchIssuer(*m_bank);
        }
        if (!*m_fetchedIssuer) {
            st.why = RevocationStatus::Why::NoIssuer;
            st.explanation = QStringLiteral("the wallet keeps no cardholder CA certificate and could not fetch the "
                                            "bank's: %1")
                                 .arg(m_fetchedIssuer->error().detail);
            return st;
        }
        IssuedCertificate issued;
        issued.certificate = certificateDer;
        issued.chain = {**m_fetchedIssuer};
        if (auto kept = CertificateService::keepIssuer(m_dataDir, issued);
            !kept && kept.error().code != ErrorCode::StorageError) {
            st.why = RevocationStatus::Why::NotIssuer;
            st.explanation = QStringLiteral("the cardholder CA certificate the bank serves did not issue this "
                                            "certificate (%1); it was not kept")
                                 .arg(kept.error().detail);
            return st;
        }
        ca = **m_fetchedIssuer; // verified above; used for this check even when the data folder is not writable
    }
    return CertificateService::revocationFromCrl(**m_crl, certificateDer, ca, nowUtc);
}

} // namespace wallet::core::piv
