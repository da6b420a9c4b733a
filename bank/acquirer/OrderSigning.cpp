// SPDX-License-Identifier: Apache-2.0
#include "bank/acquirer/OrderSigning.h"

#include "bank/Util.h"
#include "bank/ca/TerminalCa.h"
#include "core/crypto/X509Der.h"

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

Result<QByteArray> OrderSigning::certify(Hsm& hsm, const TerminalCa& ca, int days)
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
    X509* caCert = const_cast<X509*>(ca.certificate()); // the name getter and X509V3_set_ctx take non-const
    X509Ptr cert(X509_new());
    const QByteArray serial = randomBytes(16);
    BIGNUM* bn = BN_bin2bn(reinterpret_cast<const unsigned char*>(serial.constData()), 15, nullptr);
    const bool ok = cert && bn && X509_set_version(cert.get(), 2) == 1
        && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr
        && X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60) != nullptr
        && X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 86400) != nullptr
        && X509_set_issuer_name(cert.get(), X509_get_subject_name(caCert)) == 1
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
    X509V3_set_ctx(&ctx, caCert, cert.get(), nullptr, nullptr, 0);
    for (const auto& [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:FALSE"},
             std::pair{NID_key_usage, "critical,digitalSignature"}}) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
        if (!ext || X509_add_ext(cert.get(), ext, -1) != 1) {
            X509_EXTENSION_free(ext);
            return sslError(QStringLiteral("cannot add an extension"));
        }
        X509_EXTENSION_free(ext);
    }
    auto der = ca.sign(cert.get());
    if (!der) {
        return der.error();
    }
    return core::x509::toPem(*der, "CERTIFICATE");
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
