// SPDX-License-Identifier: Apache-2.0
// Issue 14: the wallet believes the cardholder CA's CRL only when its signature verifies with the CA certificate it
// kept (core::piv::CertificateService::revocationFromCrl, shared by walletctl cert list/show and the Certificates
// page). A CA, a cardholder certificate and CRLs are made here with Botan's own X509_CA (independent of the bank's
// DER code): valid, revoked (date and reason), a signature altered by one bit, a CRL of another key under the same
// name, no kept CA, a kept CA that did not issue the certificate, an out-of-date CRL.
#include "core/piv/CertificateService.h"

#include <botan/auto_rng.h>
#include <botan/ec_group.h>
#include <botan/ecdsa.h>
#include <botan/pkcs10.h>
#include <botan/x509_ca.h>
#include <botan/x509_crl.h>
#include <botan/x509self.h>

#include <QTest>

#include <chrono>
#include <memory>

using wallet::core::piv::CertificateService;
using wallet::core::piv::RevocationStatus;

namespace {

QByteArray qbytes(const std::vector<std::uint8_t>& v)
{
    return {reinterpret_cast<const char*>(v.data()), static_cast<qsizetype>(v.size())};
}

struct Ca
{
    Ca(Botan::RandomNumberGenerator& rng)
        : key(rng, Botan::EC_Group("secp256r1"))
    {
        Botan::X509_Cert_Options opts("SmartKey Bank Cardholder CA/CN/SmartKey Bank", 3650 * 24 * 3600);
        opts.CA_key();
        certificate = Botan::X509::create_self_signed_cert(opts, key, "SHA-256", rng);
        ca = std::make_unique<Botan::X509_CA>(certificate, key, "SHA-256", rng);
    }
    Botan::ECDSA_PrivateKey key;
    Botan::X509_Certificate certificate;
    std::unique_ptr<Botan::X509_CA> ca;
};

} // namespace

class TestCardholderCrl : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        m_ca = std::make_unique<Ca>(m_rng);
        m_other = std::make_unique<Ca>(m_rng); // the same name, another key
        Botan::ECDSA_PrivateKey leafKey(m_rng, Botan::EC_Group("secp256r1"));
        Botan::X509_Cert_Options lo("0000112233445566/CN/SmartKey cardholder");
        const Botan::PKCS10_Request req = Botan::X509::create_cert_req(lo, leafKey, "SHA-256", m_rng);
        const auto now = std::chrono::system_clock::now();
        m_leaf = m_ca->ca->sign_request(req,
            m_rng,
            Botan::X509_Time(now - std::chrono::hours(1)),
            Botan::X509_Time(now + std::chrono::hours(24 * 365)));
        m_leafDer = qbytes(m_leaf.BER_encode());
        m_caDer = qbytes(m_ca->certificate.BER_encode());
        m_empty = m_ca->ca->new_crl(m_rng, 24 * 3600);
        m_revoked = m_ca->ca->update_crl(m_empty, {Botan::CRL_Entry(m_leaf, Botan::KEY_COMPROMISE)}, m_rng, 24 * 3600);
    }

    void validWhenNotListed()
    {
        const auto st = CertificateService::revocationFromCrl(
            qbytes(m_empty.BER_encode()), m_leafDer, m_caDer, QDateTime::currentDateTimeUtc());
        QCOMPARE(st.state, RevocationStatus::State::Valid);
        QCOMPARE(st.word(), QStringLiteral("valid"));
    }

    void revokedWithDateAndReason()
    {
        const auto st = CertificateService::revocationFromCrl(
            qbytes(m_revoked.BER_encode()), m_leafDer, m_caDer, QDateTime::currentDateTimeUtc());
        QCOMPARE(st.state, RevocationStatus::State::Revoked);
        QCOMPARE(st.reason, QStringLiteral("keyCompromise"));
        QVERIFY2(qAbs(st.revokedAt.secsTo(QDateTime::currentDateTimeUtc())) < 300, qPrintable(st.revokedAt.toString()));
    }

    void alteredSignatureIsUnknown()
    {
        // One bit of the signature's last byte (the s value): still DER, no longer the CA's signature.
        QByteArray crl = qbytes(m_revoked.BER_encode());
        crl[crl.size() - 1] = static_cast<char>(crl.at(crl.size() - 1) ^ 0x01);
        const auto st = CertificateService::revocationFromCrl(crl, m_leafDer, m_caDer, QDateTime::currentDateTimeUtc());
        QCOMPARE(st.state, RevocationStatus::State::Unknown);
        QCOMPARE(st.why, RevocationStatus::Why::BadSignature);
        QVERIFY2(st.explanation.contains(QStringLiteral("signature does not verify")), qPrintable(st.explanation));
    }

    void crlOfAnotherKeyIsUnknown()
    {
        // A CRL that says "valid" (no entries), signed by another key under the CA's name: not believed.
        const Botan::X509_CRL forged = m_other->ca->new_crl(m_rng, 24 * 3600);
        const auto st = CertificateService::revocationFromCrl(
            qbytes(forged.BER_encode()), m_leafDer, m_caDer, QDateTime::currentDateTimeUtc());
        QCOMPARE(st.state, RevocationStatus::State::Unknown);
        QCOMPARE(st.why, RevocationStatus::Why::BadSignature);
    }

    void withoutKeptCaIsUnknown()
    {
        const auto st = CertificateService::revocationFromCrl(
            qbytes(m_revoked.BER_encode()), m_leafDer, {}, QDateTime::currentDateTimeUtc());
        QCOMPARE(st.state, RevocationStatus::State::Unknown);
        QCOMPARE(st.why, RevocationStatus::Why::NoIssuer);
        // A kept CA that did not issue the certificate is not an anchor for it either.
        const auto other = CertificateService::revocationFromCrl(qbytes(m_revoked.BER_encode()),
            m_leafDer,
            qbytes(m_other->certificate.BER_encode()),
            QDateTime::currentDateTimeUtc());
        QCOMPARE(other.why, RevocationStatus::Why::NotIssuer);
    }

    void outOfDateCrlIsUnknown()
    {
        const auto st = CertificateService::revocationFromCrl(
            qbytes(m_empty.BER_encode()), m_leafDer, m_caDer, QDateTime::currentDateTimeUtc().addDays(2));
        QCOMPARE(st.state, RevocationStatus::State::Unknown);
        QCOMPARE(st.why, RevocationStatus::Why::Stale);
    }

    void notACrlIsUnknown()
    {
        const auto st = CertificateService::revocationFromCrl(
            QByteArrayLiteral("not a CRL"), m_leafDer, m_caDer, QDateTime::currentDateTimeUtc());
        QCOMPARE(st.state, RevocationStatus::State::Unknown);
        QCOMPARE(st.why, RevocationStatus::Why::BadCrl);
    }

private:
    Botan::AutoSeeded_RNG m_rng;
    std::unique_ptr<Ca> m_ca;
    std::unique_ptr<Ca> m_other;
    Botan::X509_Certificate m_leaf;
    QByteArray m_leafDer;
    QByteArray m_caDer;
    Botan::X509_CRL m_empty;
    Botan::X509_CRL m_revoked;
};

QTEST_GUILESS_MAIN(TestCardholderCrl)
#include "TestCardholderCrl.moc"
