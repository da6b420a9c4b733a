// SPDX-License-Identifier: Apache-2.0
// Issue 14: the wallet believes the cardholder CA's CRL only when its signature verifies with the CA certificate it
// kept (core::piv::CertificateService::revocationFromCrl, shared by walletctl cert list/show and the Certificates
// page). A CA, a cardholder certificate and CRLs are made here with Botan's own X509_CA (independent of the bank's
// DER code): valid, revoked (date and reason), a signature altered by one bit, a CRL of another key under the same
// name, no kept CA, a kept CA that did not issue the certificate, an out-of-date CRL.
// RevocationCheck against an in-process bank: with no kept CA certificate it fetches the bank's (GET
// /v1/cardholder-ca/certificate) and keeps it only when it issued the certificate; another CA, a wrong `sha256` or no
// answer leave nothing kept and the status Unknown; a kept one is used as it is and never replaced.
#include "core/bank/BankClient.h"
#include "core/piv/CertificateService.h"
#include "core/piv/RevocationCheck.h"

#include <botan/auto_rng.h>
#include <botan/ec_group.h>
#include <botan/ecdsa.h>
#include <botan/pkcs10.h>
#include <botan/x509_ca.h>
#include <botan/x509_crl.h>
#include <botan/x509self.h>

#include <QCryptographicHash>
#include <QFile>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <chrono>
#include <memory>

using wallet::core::piv::CertificateService;
using wallet::core::piv::RevocationCheck;
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

    void fetchedCaKeptOnlyWhenItIssued_data()
    {
        QTest::addColumn<QString>("served"); // the CA certificate the bank serves: "ca", "other", "bad-sha", "none"
        QTest::addColumn<bool>("keptBefore"); // the right CA certificate is kept already
        QTest::addColumn<int>("state"); // RevocationStatus::State
        QTest::addColumn<int>("why");
        QTest::addColumn<bool>("keptAfter"); // the right CA certificate is in the data folder afterwards
        QTest::addColumn<int>("caFetches");
        using S = RevocationStatus::State;
        using W = RevocationStatus::Why;
        QTest::newRow("none kept, the bank's CA: fetched, kept, valid")
            << "ca" << false << int(S::Valid) << int(W::None) << true << 1;
        QTest::newRow("none kept, another CA served: unknown, nothing kept")
            << "other" << false << int(S::Unknown) << int(W::NotIssuer) << false << 1;
        QTest::newRow("none kept, sha256 not the certificate's: unknown, nothing kept")
            << "bad-sha" << false << int(S::Unknown) << int(W::NoIssuer) << false << 1;
        QTest::newRow("none kept, the bank cannot say: unknown")
            << "none" << false << int(S::Unknown) << int(W::NoIssuer) << false << 1;
        QTest::newRow("kept: never fetched, never replaced")
            << "other" << true << int(S::Valid) << int(W::None) << true << 0;
    }

    void fetchedCaKeptOnlyWhenItIssued()
    {
        QFETCH(QString, served);
        QFETCH(bool, keptBefore);
        QFETCH(int, state);
        QFETCH(int, why);
        QFETCH(bool, keptAfter);
        QFETCH(int, caFetches);
        QTemporaryDir data;
        QVERIFY(data.isValid());
        if (keptBefore) {
            wallet::core::piv::IssuedCertificate issued{m_leafDer, {m_caDer}, false};
            QVERIFY(CertificateService::keepIssuer(data.path(), issued));
        }
        const QByteArray otherDer = qbytes(m_other->certificate.BER_encode());
        int fetches = 0;
        wallet::core::InProcessBankClient bank(
            [&](const wallet::core::BankCall& call) -> wallet::core::Result<wallet::core::BankAnswer> {
                wallet::core::BankAnswer a;
                a.status = 200;
                if (call.path == QStringLiteral("/v1/cardholder-ca/crl")) {
                    a.raw = qbytes(m_empty.BER_encode());
                    return a;
                }
                if (call.path != QStringLiteral("/v1/cardholder-ca/certificate")) {
                    a.status = 404;
                    return a;
                }
                ++fetches;
                if (served == QStringLiteral("none")) {
                    a.status = 503;
                    a.body = {{QStringLiteral("code"), QStringLiteral("ca-not-configured")}};
                    return a;
                }
                const QByteArray der = served == QStringLiteral("other") ? otherDer : m_caDer;
                QByteArray sha = QCryptographicHash::hash(der, QCryptographicHash::Sha256).toHex().toUpper();
                if (served == QStringLiteral("bad-sha")) {
                    sha[0] = sha[0] == '0' ? '1' : '0';
                }
                a.body = {{QStringLiteral("certificate"), QString::fromLatin1(der.toHex().toUpper())},
                    {QStringLiteral("sha256"), QString::fromLatin1(sha)}};
                return a;
            });
        RevocationCheck check(&bank, data.path());
        const RevocationStatus st = check.status(m_leafDer, QDateTime::currentDateTimeUtc());
        QVERIFY2(int(st.state) == state && int(st.why) == why, qPrintable(st.explanation));
        QCOMPARE(CertificateService::keptIssuer(data.path()) == m_caDer, keptAfter);
        if (!keptAfter) {
            QVERIFY(!QFile::exists(data.filePath(QString::fromLatin1(CertificateService::kIssuerFile))));
        }
        // A second certificate of the same listing: the CA certificate is not fetched again.
        (void)check.status(m_leafDer, QDateTime::currentDateTimeUtc());
        QCOMPARE(fetches, caFetches);
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
