// SPDX-License-Identifier: Apache-2.0
#include "bank/ca/TerminalCa.h"

#include "bank/Util.h"
#include "bank/hsm/Hsm.h"
#include "core/crypto/X509Der.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <QCryptographicHash>
#include <QDir>
#include <QFile>

#include <ctime>
#include <fcntl.h>
#include <unistd.h>

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
using ReqPtr = std::unique_ptr<X509_REQ, Free<X509_REQ, X509_REQ_free>>;
using BioPtr = std::unique_ptr<BIO, Free<BIO, BIO_free_all>>;

core::Error sslError(const QString& what)
{
    return makeError(ErrorCode::CryptoError, QStringLiteral("terminal CA: %1").arg(what));
}

QByteArray bioBytes(BIO* bio)
{
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    return QByteArray(data, static_cast<int>(n));
}

QByteArray pemOf(X509* cert)
{
    BioPtr out(BIO_new(BIO_s_mem()));
    if (!out || PEM_write_bio_X509(out.get(), cert) != 1) {
        return {};
    }
    return bioBytes(out.get());
}

QString fingerprintOf(X509* cert)
{
    unsigned char* der = nullptr;
    const int n = i2d_X509(cert, &der);
    if (n <= 0) {
        return {};
    }
    const QByteArray digest
        = QCryptographicHash::hash(QByteArray(reinterpret_cast<const char*>(der), n), QCryptographicHash::Sha256);
    OPENSSL_free(der);
    return QString::fromLatin1(digest.toHex().toUpper());
}

/// A positive 16-byte serial whose first byte is 0x40..0x7F, so its hex has exactly 32 digits.
bool setRandomSerial(X509* cert)
{
    QByteArray serial = randomBytes(16);
    serial[0] = static_cast<char>((static_cast<unsigned char>(serial[0]) & 0x3F) | 0x40);
    BIGNUM* bn = BN_bin2bn(reinterpret_cast<const unsigned char*>(serial.constData()), 16, nullptr);
    const bool ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != nullptr;
    BN_free(bn);
    return ok;
}

bool addExtension(X509* cert, X509* issuer, int nid, const char* value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    const bool ok = ext && X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

bool addName(X509_NAME* name, const char* field, const QByteArray& value)
{
    return X509_NAME_add_entry_by_txt(
               name, field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value.constData()), -1, -1, 0)
        == 1;
}

bool setValidity(X509* cert, std::int64_t notBefore, std::int64_t notAfter)
{
    ASN1_TIME* from = ASN1_TIME_set(nullptr, static_cast<time_t>(notBefore));
    ASN1_TIME* to = ASN1_TIME_set(nullptr, static_cast<time_t>(notAfter));
    const bool ok = from && to && X509_set1_notBefore(cert, from) == 1 && X509_set1_notAfter(cert, to) == 1;
    ASN1_TIME_free(from);
    ASN1_TIME_free(to);
    return ok;
}

/// Writes `data` to a new file of mode 0600 (created exclusively: an existing file is never replaced).
Result<void> writePrivate(const QString& path, const QByteArray& data)
{
    const QByteArray p = path.toLocal8Bit();
    const int fd = ::open(p.constData(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        return makeError(ErrorCode::StorageError, QStringLiteral("cannot create %1").arg(path));
    }
    const bool ok = ::write(fd, data.constData(), static_cast<std::size_t>(data.size())) == data.size();
    ::close(fd);
    if (!ok) {
        return makeError(ErrorCode::StorageError, QStringLiteral("cannot write %1").arg(path));
    }
    return {};
}

Result<void> writePublic(const QString& path, const QByteArray& data)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::NewOnly) || f.write(data) != data.size()) {
        return makeError(ErrorCode::StorageError, QStringLiteral("cannot write %1").arg(path));
    }
    return {};
}

QByteArray privateKeyPem(EVP_PKEY* key)
{
    BioPtr out(BIO_new(BIO_s_mem()));
    if (!out || PEM_write_bio_PrivateKey(out.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        return {};
    }
    QByteArray pem = bioBytes(out.get());
    return pem;
}

X509Ptr readCertificate(const QString& path)
{
    BioPtr bio(BIO_new_file(path.toLocal8Bit().constData(), "r"));
    return X509Ptr(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

PKeyPtr readKey(const QString& path)
{
    BioPtr bio(BIO_new_file(path.toLocal8Bit().constData(), "r"));
    return PKeyPtr(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

bool isP256(EVP_PKEY* key)
{
    if (!key || EVP_PKEY_is_a(key, "EC") != 1) {
        return false;
    }
    char group[64] = {};
    std::size_t len = 0;
    return EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) == 1
        && std::string(group, len) == "prime256v1";
}

QByteArray derOf(X509* cert)
{
    unsigned char* der = nullptr;
    const int n = i2d_X509(cert, &der);
    if (n <= 0) {
        return {};
    }
    QByteArray out(reinterpret_cast<const char*>(der), n);
    OPENSSL_free(der);
    return out;
}

/// DER tag ‖ length ‖ content.
QByteArray tlv(char tag, const QByteArray& content)
{
    QByteArray out(1, tag);
    const auto n = static_cast<std::uint32_t>(content.size());
    if (n < 0x80) {
        out.append(static_cast<char>(n));
    } else {
        QByteArray len;
        for (std::uint32_t v = n; v != 0; v >>= 8) {
            len.prepend(static_cast<char>(v & 0xFF));
        }
        out.append(static_cast<char>(0x80 | len.size()));
        out.append(len);
    }
    return out + content;
}

/// The public key of an uncompressed P-256 point (the token's `terminal-ca`).
PKeyPtr publicKeyOfPoint(const QByteArray& point)
{
    // SubjectPublicKeyInfo: fixed header (id-ecPublicKey, prime256v1) ‖ the point.
    const QByteArray spki = QByteArray::fromHex("3059301306072A8648CE3D020106082A8648CE3D030107034200") + point;
    const auto* p = reinterpret_cast<const unsigned char*>(spki.constData());
    return PKeyPtr(d2i_PUBKEY(nullptr, &p, spki.size()));
}

/// The uncompressed point of an EC public key (65 bytes), empty if it is not one.
QByteArray pointOf(EVP_PKEY* key)
{
    QByteArray point(65, '\0');
    std::size_t len = 0;
    if (!key
        || EVP_PKEY_get_octet_string_param(key,
               OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
               reinterpret_cast<unsigned char*>(point.data()),
               static_cast<std::size_t>(point.size()),
               &len)
            != 1
        || len != 65) {
        return {};
    }
    return point;
}

/**
 * Signs `cert` with ECDSA-SHA256 and returns it in DER, verified with `caPublic`. With `hsm`, in the token: the
 * algorithm identifiers (inside the to-be-signed part and outside) are set by a first signature with a throwaway
 * key, the to-be-signed part is encoded again, its SHA-256 signed by `terminal-ca` with CKM_ECDSA (C_Sign), and the
 * certificate assembled around it (RFC 5280 §4.1.1). Else with the key file's `fileKey`.
 */
Result<QByteArray> signCertificate(Hsm* hsm, EVP_PKEY* fileKey, X509* cert, EVP_PKEY* caPublic)
{
    QByteArray der;
    if (hsm == nullptr) {
        if (!fileKey || X509_sign(cert, fileKey, EVP_sha256()) <= 0) {
            return sslError(QStringLiteral("the CA key file did not sign"));
        }
        der = derOf(cert);
    } else {
        PKeyPtr throwaway(EVP_EC_gen("P-256"));
        if (!throwaway || X509_sign(cert, throwaway.get(), EVP_sha256()) <= 0) {
            return sslError(QStringLiteral("cannot encode the certificate to sign"));
        }
        unsigned char* tbs = nullptr;
        const int n = i2d_re_X509_tbs(cert, &tbs);
        if (n <= 0) {
            return sslError(QStringLiteral("cannot encode the to-be-signed certificate"));
        }
        const QByteArray tbsDer(reinterpret_cast<const char*>(tbs), n);
        OPENSSL_free(tbs);
        auto rs = hsm->ecdsaSign(TerminalCa::kKeyLabel, QCryptographicHash::hash(tbsDer, QCryptographicHash::Sha256));
        if (!rs) {
            return rs.error();
        }
        auto signature = core::x509::ecdsaRawToDer(*rs);
        if (!signature) {
            return signature.error();
        }
        // AlgorithmIdentifier ecdsa-with-SHA256 (1.2.840.10045.4.3.2), parameters absent (RFC 5758 §3.2).
        static const QByteArray kEcdsaSha256 = QByteArray::fromHex("300A06082A8648CE3D040302");
        der = tlv(0x30, tbsDer + kEcdsaSha256 + tlv(0x03, QByteArray(1, '\0') + *signature));
    }
    const auto* p = reinterpret_cast<const unsigned char*>(der.constData());
    X509Ptr parsed(d2i_X509(nullptr, &p, der.size()));
    if (!parsed || X509_verify(parsed.get(), caPublic) != 1) {
        return sslError(QStringLiteral("the signed certificate does not verify with the CA's public key"));
    }
    return der;
}

/// Overwrites a file with zeros, flushes it and removes it (the CA key file after its import into the token).
Result<void> wipeFile(const QString& path)
{
    const QByteArray p = path.toLocal8Bit();
    const int fd = ::open(p.constData(), O_WRONLY);
    if (fd < 0) {
        return makeError(ErrorCode::StorageError, QStringLiteral("cannot open %1 to wipe it").arg(path));
    }
    const off_t size = ::lseek(fd, 0, SEEK_END);
    ::lseek(fd, 0, SEEK_SET);
    const QByteArray zeros(static_cast<int>(size > 0 ? size : 0), '\0');
    const bool ok
        = ::write(fd, zeros.constData(), static_cast<std::size_t>(zeros.size())) == zeros.size() && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || ::unlink(p.constData()) != 0) {
        return makeError(ErrorCode::StorageError, QStringLiteral("cannot wipe and remove %1").arg(path));
    }
    return {};
}

} // namespace

QString certificateSerialHex(const x509_st* certificate)
{
    BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr);
    char* hex = bn ? BN_bn2hex(bn) : nullptr;
    QString out = hex ? QString::fromLatin1(hex).toUpper() : QString();
    OPENSSL_free(hex);
    BN_free(bn);
    return out;
}

Result<QString> TerminalCa::fingerprintOfPem(const QByteArray& pem)
{
    BioPtr bio(BIO_new_mem_buf(pem.constData(), static_cast<int>(pem.size())));
    X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!cert) {
        return sslError(QStringLiteral("not a PEM certificate"));
    }
    return fingerprintOf(cert.get());
}

Result<TerminalCa::Files> TerminalCa::ensureFiles(const QString& dataDir, Hsm& hsm)
{
    Files files;
    const QString tls = dataDir + QStringLiteral("/tls");
    if (!QDir().mkpath(tls)
        || !QFile::setPermissions(tls, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner)) {
        return makeError(ErrorCode::StorageError, QStringLiteral("cannot create %1").arg(tls));
    }
    const QString caCert = dataDir + QLatin1Char('/') + QLatin1String(kCaCertificate);
    const QString caKey = dataDir + QLatin1Char('/') + QLatin1String(kCaKey);
    const QString serverCert = dataDir + QLatin1Char('/') + QLatin1String(kServerCertificate);
    const QString serverKey = dataDir + QLatin1Char('/') + QLatin1String(kServerKey);
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));

    if (!QFile::exists(caCert) && !QFile::exists(caKey)) {
        // The key pair in the token (kept if an earlier init made it and stopped before the certificate).
        auto has = hsm.hasEcKey(kKeyLabel);
        if (!has) {
            return has.error();
        }
        if (!*has) {
            if (auto made = hsm.generateEcP256(kKeyLabel); !made) {
                return made.error();
            }
        }
        auto point = hsm.ecPublicPoint(kKeyLabel);
        if (!point) {
            return point.error();
        }
        PKeyPtr key = publicKeyOfPoint(*point);
        X509Ptr cert(X509_new());
        if (!key || !cert || X509_set_version(cert.get(), 2) != 1 || !setRandomSerial(cert.get())
            || !setValidity(cert.get(), now - 60, now + 10LL * 366 * 86400)
            || !addName(X509_get_subject_name(cert.get()), "O", "SmartKey Bank")
            || !addName(X509_get_subject_name(cert.get()), "CN", "SmartKey Bank Terminal CA")
            || X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1
            || X509_set_pubkey(cert.get(), key.get()) != 1
            || !addExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0")
            || !addExtension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign")
            || !addExtension(cert.get(), cert.get(), NID_subject_key_identifier, "hash")) {
            return sslError(QStringLiteral("cannot make the CA certificate"));
        }
        auto der = signCertificate(&hsm, nullptr, cert.get(), key.get());
        if (!der) {
            return der.error();
        }
        if (auto w = writePublic(caCert, core::x509::toPem(*der, "CERTIFICATE")); !w) {
            return w.error();
        }
        files.caCreated = true;
    }
    X509Ptr ca = readCertificate(caCert);
    if (ca) {
        files.caFingerprint = fingerprintOf(ca.get());
    }
    if (!QFile::exists(serverCert) && !QFile::exists(serverKey)) {
        auto signer = load(dataDir, &hsm);
        if (!signer) {
            files.note = QStringLiteral("no server certificate made: %1").arg(signer.error().detail);
            return files;
        }
        const X509* issuer = (*signer)->certificate();
        PKeyPtr key(EVP_EC_gen("P-256"));
        X509Ptr cert(X509_new());
        X509* issuerCert = const_cast<X509*>(issuer); // X509V3_set_ctx and the name getter take non-const
        if (!key || !cert || X509_set_version(cert.get(), 2) != 1 || !setRandomSerial(cert.get())
            || !setValidity(cert.get(), now - 60, now + 825LL * 86400)
            || !addName(X509_get_subject_name(cert.get()), "O", "SmartKey Bank")
            || !addName(X509_get_subject_name(cert.get()), "CN", "localhost")
            || X509_set_issuer_name(cert.get(), X509_get_subject_name(issuerCert)) != 1
            || X509_set_pubkey(cert.get(), key.get()) != 1
            || !addExtension(cert.get(), issuerCert, NID_basic_constraints, "critical,CA:FALSE")
            || !addExtension(cert.get(), issuerCert, NID_key_usage, "critical,digitalSignature")
            || !addExtension(cert.get(), issuerCert, NID_ext_key_usage, "serverAuth")
            || !addExtension(cert.get(), issuerCert, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1")
            || !addExtension(cert.get(), issuerCert, NID_subject_key_identifier, "hash")
            || !addExtension(cert.get(), issuerCert, NID_authority_key_identifier, "keyid")) {
            return sslError(QStringLiteral("cannot make the server certificate"));
        }
        auto der = (*signer)->sign(cert.get());
        if (!der) {
            return der.error();
        }
        const QByteArray keyPem = privateKeyPem(key.get());
        if (keyPem.isEmpty()) {
            return sslError(QStringLiteral("cannot encode the server key"));
        }
        if (auto w = writePrivate(serverKey, keyPem); !w) {
            return w.error();
        }
        if (auto w = writePublic(serverCert, core::x509::toPem(*der, "CERTIFICATE")); !w) {
            return w.error();
        }
        files.serverCreated = true;
    }
    return files;
}

Result<void> TerminalCa::importKeyFile(const QString& dataDir, Hsm& hsm)
{
    const QString certPath = dataDir + QLatin1Char('/') + QLatin1String(kCaCertificate);
    const QString keyPath = dataDir + QLatin1Char('/') + QLatin1String(kCaKey);
    if (!QFile::exists(keyPath)) {
        auto has = hsm.hasEcKey(kKeyLabel);
        if (has && *has) {
            return makeError(ErrorCode::InvalidState,
                QStringLiteral("the terminal CA key is in the token already (%1 does not exist): nothing to import")
                    .arg(keyPath));
        }
        return makeError(ErrorCode::NotFound, QStringLiteral("no %1 to import").arg(keyPath));
    }
    auto loaded = loadFiles(certPath, keyPath);
    if (!loaded) {
        return loaded.error();
    }
    EVP_PKEY* key = (*loaded)->m_key;
    if (!isP256(key)) {
        return makeError(ErrorCode::InvalidInput,
            QStringLiteral(
                "%1 is not an EC P-256 key; the token takes P-256 CA keys only. Keep the file, or make a new "
                "CA (terminals must then pin its certificate again)")
                .arg(keyPath));
    }
    BIGNUM* scalar = nullptr;
    if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &scalar) != 1) {
        return sslError(QStringLiteral("cannot read the private key of %1").arg(keyPath));
    }
    SecureBytes value(32);
    const bool ok = BN_bn2binpad(scalar, value.data(), 32) == 32;
    BN_clear_free(scalar);
    const QByteArray point = pointOf(key);
    if (!ok || point.isEmpty()) {
        return sslError(QStringLiteral("cannot read the key pair of %1").arg(keyPath));
    }
    if (auto imported = hsm.importEcP256(kKeyLabel, value, point); !imported) {
        return imported.error();
    }
    // Proof before the file goes: a certificate signed in the token verifies with the CA certificate's key.
    TerminalCa probe;
    probe.m_hsm = &hsm;
    probe.m_cert = X509_dup((*loaded)->m_cert);
    X509Ptr test(X509_new());
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    if (!test || X509_set_version(test.get(), 2) != 1 || !setRandomSerial(test.get())
        || !setValidity(test.get(), now, now + 60) || !addName(X509_get_subject_name(test.get()), "CN", "import check")
        || X509_set_issuer_name(test.get(), X509_get_subject_name(probe.m_cert)) != 1
        || X509_set_pubkey(test.get(), X509_get0_pubkey(probe.m_cert)) != 1) {
        return sslError(QStringLiteral("cannot build the import check"));
    }
    if (auto signedDer = probe.sign(test.get()); !signedDer) {
        return makeError(ErrorCode::CryptoError,
            QStringLiteral("the imported key does not sign for %1 (%2); %3 was kept")
                .arg(certPath, signedDer.error().detail, keyPath));
    }
    return wipeFile(keyPath);
}

TerminalCa::~TerminalCa()
{
    X509_free(m_cert);
    EVP_PKEY_free(m_key);
}

Result<std::unique_ptr<TerminalCa>> TerminalCa::loadFiles(const QString& certPath, const QString& keyPath)
{
    X509Ptr cert = readCertificate(certPath);
    PKeyPtr key = readKey(keyPath);
    if (!cert || !key) {
        return makeError(ErrorCode::NotFound,
            QStringLiteral("no terminal CA: %1 and %2 are needed (bankctl init makes them)").arg(certPath, keyPath));
    }
    if (X509_check_private_key(cert.get(), key.get()) != 1) {
        return sslError(QStringLiteral("%1 is not the key of %2").arg(keyPath, certPath));
    }
    std::unique_ptr<TerminalCa> ca(new TerminalCa);
    ca->m_certPem = pemOf(cert.get());
    ca->m_fingerprint = fingerprintOf(cert.get());
    ca->m_cert = cert.release();
    ca->m_key = key.release();
    return ca;
}

Result<std::unique_ptr<TerminalCa>> TerminalCa::load(const QString& dataDir, Hsm* hsm)
{
    const QString certPath = dataDir + QLatin1Char('/') + QLatin1String(kCaCertificate);
    const QString keyPath = dataDir + QLatin1Char('/') + QLatin1String(kCaKey);
    if (QFile::exists(keyPath)) {
        return loadFiles(certPath, keyPath); // a folder not migrated yet (docs/bank.md §5)
    }
    X509Ptr cert = readCertificate(certPath);
    if (!cert) {
        return makeError(
            ErrorCode::NotFound, QStringLiteral("no terminal CA: %1 is missing (bankctl init makes it)").arg(certPath));
    }
    if (hsm == nullptr) {
        return makeError(
            ErrorCode::InvalidState, QStringLiteral("the terminal CA's key is in the HSM, which is not open here"));
    }
    auto point = hsm->ecPublicPoint(kKeyLabel);
    if (!point) {
        return makeError(ErrorCode::NotFound,
            QStringLiteral(
                "no terminal CA key: neither %1 nor the key \"%2\" in the token (%3); bankctl init makes them")
                .arg(keyPath, QLatin1String(kKeyLabel), point.error().detail));
    }
    if (pointOf(X509_get0_pubkey(cert.get())) != *point) {
        return sslError(
            QStringLiteral("the token's key \"%1\" is not the key of %2").arg(QLatin1String(kKeyLabel), certPath));
    }
    std::unique_ptr<TerminalCa> ca(new TerminalCa);
    ca->m_certPem = pemOf(cert.get());
    ca->m_fingerprint = fingerprintOf(cert.get());
    ca->m_cert = cert.release();
    ca->m_hsm = hsm;
    return ca;
}

Result<QByteArray> TerminalCa::sign(x509_st* cert) const
{
    return signCertificate(m_hsm, m_key, cert, X509_get0_pubkey(m_cert));
}

TerminalCa::RequestProblem TerminalCa::checkRequest(const QByteArray& csrPem, QString* why)
{
    auto say = [why](RequestProblem p, const char* text) {
        if (why) {
            *why = QString::fromLatin1(text);
        }
        return p;
    };
    BioPtr bio(BIO_new_mem_buf(csrPem.constData(), static_cast<int>(csrPem.size())));
    ReqPtr req(bio ? PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!req) {
        return say(RequestProblem::Malformed, "not a PEM PKCS#10 certificate request");
    }
    EVP_PKEY* pub = X509_REQ_get0_pubkey(req.get());
    if (!pub) {
        return say(RequestProblem::Malformed, "the request carries no readable public key");
    }
    if (!isP256(pub)) {
        return say(RequestProblem::UnsupportedKey, "the key must be EC P-256");
    }
    if (X509_REQ_verify(req.get(), pub) != 1) {
        return say(RequestProblem::BadSignature, "the request's signature does not verify with its own key");
    }
    return RequestProblem::None;
}

Result<TerminalCa::Issued> TerminalCa::issue(const QByteArray& csrPem,
    const QString& terminalId,
    const QString& kind,
    std::int64_t notBefore,
    std::int64_t notAfter) const
{
    QString why;
    if (checkRequest(csrPem, &why) != RequestProblem::None) {
        return makeError(ErrorCode::InvalidInput, why);
    }
    BioPtr bio(BIO_new_mem_buf(csrPem.constData(), static_cast<int>(csrPem.size())));
    ReqPtr req(bio ? PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    EVP_PKEY* pub = req ? X509_REQ_get0_pubkey(req.get()) : nullptr;
    X509Ptr cert(X509_new());
    if (!pub || !cert || X509_set_version(cert.get(), 2) != 1 || !setRandomSerial(cert.get())
        || !setValidity(cert.get(), notBefore, notAfter)
        || !addName(X509_get_subject_name(cert.get()), "O", "SmartKey Bank terminals")
        || !addName(X509_get_subject_name(cert.get()), "OU", kind.toUtf8())
        || !addName(X509_get_subject_name(cert.get()), "CN", terminalId.toUtf8())
        || X509_set_issuer_name(cert.get(), X509_get_subject_name(m_cert)) != 1 || X509_set_pubkey(cert.get(), pub) != 1
        || !addExtension(cert.get(), m_cert, NID_basic_constraints, "critical,CA:FALSE")
        || !addExtension(cert.get(), m_cert, NID_key_usage, "critical,digitalSignature")
        || !addExtension(cert.get(), m_cert, NID_ext_key_usage, "clientAuth")
        || !addExtension(cert.get(), m_cert, NID_subject_key_identifier, "hash")
        || !addExtension(cert.get(), m_cert, NID_authority_key_identifier, "keyid")) {
        return sslError(QStringLiteral("cannot issue the terminal certificate"));
    }
    auto der = sign(cert.get());
    if (!der) {
        return der.error();
    }
    Issued out;
    out.pem = core::x509::toPem(*der, "CERTIFICATE");
    out.serial = certificateSerialHex(cert.get());
    out.notBefore = notBefore;
    out.notAfter = notAfter;
    return out;
}

} // namespace wallet::bank
