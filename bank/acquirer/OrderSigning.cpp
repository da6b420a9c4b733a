// SPDX-License-Identifier: Apache-2.0
#include "bank/acquirer/OrderSigning.h"

#include "bank/Util.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

#include <memory>

namespace wallet::bank {

using core::ErrorCode;
using core::makeError;

namespace {

template <typename T, void (*F)(T*)>
struct Free
{
    void operator()(T* p) const { F(p); }
};
using PKeyPtr = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Free<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Free<BIO, BIO_free_all>>;

core::Error sslError(const QString& what)
{
    return makeError(ErrorCode::CryptoError, QStringLiteral("order signing: %1").arg(what));
}

QByteArray b64url(const QByteArray& b)
{
    return b.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

} // namespace

Result<QByteArray> OrderSigning::certify(Hsm& hsm, const QString& caKeyPem, const QString& caCertPem, int days)
{
    auto point = hsm.ecPublicPoint(kKeyLabel);
    if (!point) {
        return point.error();
    }
    // SubjectPublicKeyInfo of an uncompressed P-256 point: fixed header (id-ecPublicKey, prime256v1) ‖ point.
    const QByteArray spki = QByteArray::fromHex("3059301306072A8648CE3D020106082A8648CE3D030107034200") + *point;
    const auto* p = reinterpret_cast<const unsigned char*>(spki.constData());
    PKeyPtr pub(d2i_PUBKEY(nullptr, &p, spki.size()));
    if (!pub) {
        return sslError(QStringLiteral("the token's public key does not parse"));
    }
    BioPtr keyBio(BIO_new_file(caKeyPem.toLocal8Bit().constData(), "r"));
    PKeyPtr caKey(keyBio ? PEM_read_bio_PrivateKey(keyBio.get(), nullptr, nullptr, nullptr) : nullptr);
    BioPtr certBio(BIO_new_file(caCertPem.toLocal8Bit().constData(), "r"));
    X509Ptr ca(certBio ? PEM_read_bio_X509(certBio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!caKey || !ca) {
        return sslError(QStringLiteral("cannot read the CA key %1 or certificate %2").arg(caKeyPem, caCertPem));
    }
    X509Ptr cert(X509_new());
    const QByteArray serial = randomBytes(16);
    BIGNUM* bn = BN_bin2bn(reinterpret_cast<const unsigned char*>(serial.constData()), 15, nullptr);
    const bool ok = cert && bn && X509_set_version(cert.get(), 2) == 1
        && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr
        && X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60) != nullptr
        && X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 86400) != nullptr
        && X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.get())) == 1
        && X509_set_pubkey(cert.get(), pub.get()) == 1;
    BN_free(bn);
    if (!ok) {
        return sslError(QStringLiteral("cannot build the certificate"));
    }
    X509_NAME* subject = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(
        subject, "OU", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("order-signing"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(
        subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("SmartKey bank order signing"), -1, -1, 0);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, ca.get(), cert.get(), nullptr, nullptr, 0);
    for (const auto& [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:FALSE"},
             std::pair{NID_key_usage, "critical,digitalSignature"}}) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
        if (!ext || X509_add_ext(cert.get(), ext, -1) != 1) {
            X509_EXTENSION_free(ext);
            return sslError(QStringLiteral("cannot add an extension"));
        }
        X509_EXTENSION_free(ext);
    }
    if (X509_sign(cert.get(), caKey.get(), EVP_sha256()) <= 0) {
        return sslError(QStringLiteral("the CA key did not sign"));
    }
    BioPtr out(BIO_new(BIO_s_mem()));
    if (!out || PEM_write_bio_X509(out.get(), cert.get()) != 1) {
        return sslError(QStringLiteral("cannot write PEM"));
    }
    char* data = nullptr;
    const long n = BIO_get_mem_data(out.get(), &data);
    return QByteArray(data, static_cast<int>(n));
}

Result<QByteArray> OrderSigning::loadCertificateDer(const QString& pemPath)
{
    BioPtr bio(BIO_new_file(pemPath.toLocal8Bit().constData(), "r"));
    X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!cert) {
        return makeError(ErrorCode::NotFound,
            QStringLiteral("no order-signing certificate %1: run `bankctl orders certify --ca-key <CA key>`")
                .arg(pemPath));
    }
    unsigned char* der = nullptr;
    const int n = i2d_X509(cert.get(), &der);
    if (n <= 0) {
        return sslError(QStringLiteral("cannot encode the certificate"));
    }
    QByteArray out(reinterpret_cast<const char*>(der), n);
    OPENSSL_free(der);
    return out;
}

Result<QString> OrderSigning::sign(Hsm& hsm, const QByteArray& certificateDer, const QJsonObject& payload)
{
    const QJsonObject header{{QStringLiteral("alg"), QStringLiteral("ES256")},
        {QStringLiteral("typ"), QStringLiteral("skey-order+jwt")},
        {QStringLiteral("x5c"), QJsonArray{QString::fromLatin1(certificateDer.toBase64())}}};
    const QByteArray input = b64url(QJsonDocument(header).toJson(QJsonDocument::Compact)) + '.'
        + b64url(QJsonDocument(payload).toJson(QJsonDocument::Compact));
    auto sig = hsm.ecdsaSign(kKeyLabel, QCryptographicHash::hash(input, QCryptographicHash::Sha256));
    if (!sig) {
        return sig.error();
    }
    return QString::fromLatin1(input + '.' + b64url(*sig));
}

} // namespace wallet::bank
