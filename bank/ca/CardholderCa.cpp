// SPDX-License-Identifier: Apache-2.0
#include "bank/ca/CardholderCa.h"

#include "bank/Util.h"
#include "bank/db/PgConnection.h"
#include "bank/server/JsonRequest.h"
#include "core/crypto/X509Der.h"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QJsonArray>

#include <memory>

namespace wallet::bank {

using core::ErrorCode;
using core::makeError;

namespace {

template <typename T, void (*F)(T*)>
struct Release
{
    void operator()(T* p) const { F(p); }
};
using ReqPtr = std::unique_ptr<X509_REQ, Release<X509_REQ, X509_REQ_free>>;
using CertPtr = std::unique_ptr<X509, Release<X509, X509_free>>;

const QString kHex = QStringLiteral("0123456789ABCDEF");

core::x509::Name caName()
{
    return {{QStringLiteral("C"), QStringLiteral("CN")},
        {QStringLiteral("O"), QStringLiteral("SmartKey Bank")},
        {QStringLiteral("CN"), QStringLiteral("SmartKey Bank Cardholder CA")}};
}

/// The HSM's CKM_ECDSA (r ‖ s) as the DER signature X.509 wants.
core::x509::Signer hsmSigner(Hsm& hsm)
{
    return [&hsm](const QByteArray& digest) -> Result<QByteArray> {
        auto rs = hsm.ecdsaSign(CardholderCa::kKeyLabel, digest);
        if (!rs) {
            return rs.error();
        }
        return core::x509::ecdsaRawToDer(*rs);
    };
}

/// Serial numbers: 16 random bytes, top bit clear (positive, RFC 5280 §4.1.2.2), never 0.
QByteArray newSerial()
{
    QByteArray s = randomBytes(16);
    s[0] = static_cast<char>((static_cast<unsigned char>(s[0]) & 0x7F) | 0x10);
    return s;
}

Reply problem(int status,
    const QString& code,
    const QString& title,
    const QString& detail,
    const QString& next,
    const QString& rid)
{
    return Reply::problemOf(status, code, title, detail, next, rid);
}

Reply dbUnavailable(const QString& rid)
{
    Reply r = problem(503,
        QStringLiteral("unavailable"),
        QStringLiteral("The bank host cannot serve this now"),
        QStringLiteral("The ledger database or the HSM did not answer."),
        QStringLiteral("Retry with the same Idempotency-Key after Retry-After seconds; nothing was issued."),
        rid);
    r.retryAfter = 1;
    return r;
}

} // namespace

Result<QByteArray> CardholderCa::selfCertify(Hsm& hsm, int days)
{
    auto point = hsm.ecPublicPoint(kKeyLabel);
    if (!point) {
        return point.error();
    }
    auto name = core::x509::encodeName(caName());
    if (!name) {
        return name.error();
    }
    core::x509::CertificateFields f;
    f.serial = newSerial();
    f.issuerDer = *name;
    f.subjectDer = *name;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    f.notBefore = now.addSecs(-60);
    f.notAfter = now.addDays(days);
    f.subjectPoint = *point;
    f.issuerPoint = *point;
    f.ca = true;
    return core::x509::certificate(f, hsmSigner(hsm));
}

Result<QByteArray> CardholderCa::loadCertificate(const QString& pemPath)
{
    QFile file(pemPath);
    if (!file.open(QIODevice::ReadOnly)) {
        return makeError(ErrorCode::NotFound,
            QStringLiteral("no cardholder CA certificate %1: run `bankctl keys init`").arg(pemPath));
    }
    const QByteArray pem = file.readAll();
    BIO* bio = BIO_new_mem_buf(pem.constData(), static_cast<int>(pem.size()));
    CertPtr cert(bio ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr);
    BIO_free(bio);
    if (!cert) {
        return makeError(ErrorCode::InvalidData, QStringLiteral("%1 is not a PEM certificate").arg(pemPath));
    }
    unsigned char* der = nullptr;
    const int n = i2d_X509(cert.get(), &der);
    if (n <= 0) {
        return makeError(ErrorCode::CryptoError, QStringLiteral("cannot encode %1").arg(pemPath));
    }
    QByteArray out(reinterpret_cast<const char*>(der), n);
    OPENSSL_free(der);
    return out;
}

CardholderCa::CardholderCa(Hsm& hsm, QByteArray caDer)
    : m_hsm(hsm)
    , m_caDer(std::move(caDer))
{
    if (m_caDer.isEmpty()) {
        return;
    }
    const auto* p = reinterpret_cast<const unsigned char*>(m_caDer.constData());
    CertPtr ca(d2i_X509(nullptr, &p, m_caDer.size()));
    if (!ca) {
        m_caDer.clear();
        return;
    }
    unsigned char* name = nullptr;
    const int n = i2d_X509_NAME(X509_get_subject_name(ca.get()), &name);
    if (n > 0) {
        m_caSubject = QByteArray(reinterpret_cast<const char*>(name), n);
        OPENSSL_free(name);
    }
    if (auto point = m_hsm.ecPublicPoint(kKeyLabel)) {
        m_caPoint = *point;
    }
}

Reply CardholderCa::validate(const QJsonObject& body, const QString& requestId)
{
    JsonRequest j(body, {QStringLiteral("slot"), QStringLiteral("csr")});
    (void)j.oneOf(QStringLiteral("slot"),
        {QStringLiteral("9A"), QStringLiteral("9C"), QStringLiteral("9D"), QStringLiteral("9E")});
    const QString csr = body.value(QStringLiteral("csr")).toString();
    static const QRegularExpression hex(QStringLiteral("^([0-9A-F]{2})+$"));
    if (j.ok() && (csr.size() < 200 || csr.size() > 4096 || !hex.match(csr).hasMatch())) {
        return Reply::problemOf(400,
            QStringLiteral("invalid-field"),
            QStringLiteral("A field is outside its allowed form"),
            QStringLiteral("/csr: the DER request in uppercase hex digits, 100 to 2,048 bytes"),
            QStringLiteral("Correct the field named in errors[]; nothing was changed."),
            requestId,
            {},
            {{QStringLiteral("/csr"), QStringLiteral("uppercase hex, 200 to 4096 digits")}});
    }
    if (!j.ok()) {
        return Reply::problemOf(400,
            QStringLiteral("invalid-field"),
            QStringLiteral("A field is outside its allowed form"),
            j.errors().front().first + QStringLiteral(": ") + j.errors().front().second,
            QStringLiteral("Correct the field named in errors[]; nothing was changed."),
            requestId,
            {},
            j.errors());
    }
    return Reply{};
}

Reply CardholderCa::issue(PgConnection& db, const CallContext& call, const QString& asn, const QJsonObject& body)
{
    const QString& rid = call.requestKey;
    if (m_caDer.isEmpty() || m_caPoint.isEmpty()) {
        return problem(503,
            QStringLiteral("ca-not-configured"),
            QStringLiteral("The cardholder CA is not set up"),
            QStringLiteral("The bank host has no cardholder CA certificate (%1).")
                .arg(QString::fromLatin1(kCertificateFile)),
            QStringLiteral("Ask the bank operator to run `bankctl keys init`; nothing was issued."),
            rid);
    }
    // Proof of possession: the request verifies with the public key it carries (RFC 2986 §3), an ECDSA-SHA256
    // signature by a P-256 key.
    const QByteArray der = QByteArray::fromHex(body.value(QStringLiteral("csr")).toString().toLatin1());
    const auto* p = reinterpret_cast<const unsigned char*>(der.constData());
    ReqPtr req(d2i_X509_REQ(nullptr, &p, der.size()));
    const bool complete = req && p == reinterpret_cast<const unsigned char*>(der.constData()) + der.size();
    EVP_PKEY* pub = req ? X509_REQ_get0_pubkey(req.get()) : nullptr;
    if (!complete || !pub) {
        return problem(422,
            QStringLiteral("csr-invalid"),
            QStringLiteral("The certificate request does not verify"),
            QStringLiteral("The request is not DER PKCS#10."),
            QStringLiteral("Make the request again on the key (walletctl cert request); nothing was issued."),
            rid);
    }
    // The key type first: an SM2 request would also fail the signature check below (OpenSSL verifies SM2 with an
    // empty identity unless told otherwise), and "unsupported" is the answer that tells the cardholder what to do.
    char group[32] = {};
    std::size_t groupLen = 0;
    const bool p256 = EVP_PKEY_get_base_id(pub) == EVP_PKEY_EC
        && EVP_PKEY_get_utf8_string_param(pub, "group", group, sizeof group, &groupLen) == 1
        && std::string(group) == "prime256v1" && X509_REQ_get_signature_nid(req.get()) == NID_ecdsa_with_SHA256;
    if (!p256) {
        return problem(422,
            QStringLiteral("unsupported-key"),
            QStringLiteral("This kind of key is not certified here"),
            QStringLiteral("The cardholder CA certifies EC P-256 keys with ECDSA-SHA256 requests (got %1).")
                .arg(QString::fromLatin1(group)),
            QStringLiteral("Generate a P-256 key pair in the slot and apply again; nothing was issued."),
            rid);
    }
    if (X509_REQ_verify(req.get(), pub) != 1) {
        return problem(422,
            QStringLiteral("csr-invalid"),
            QStringLiteral("The certificate request does not verify"),
            QStringLiteral("The request is not DER PKCS#10, or its signature does not verify with its own key."),
            QStringLiteral("Make the request again on the key (walletctl cert request); nothing was issued."),
            rid);
    }
    unsigned char* spki = nullptr;
    const int spkiLen = i2d_PUBKEY(pub, &spki);
    const QByteArray point
        = spkiLen >= 65 ? QByteArray(reinterpret_cast<const char*>(spki) + spkiLen - 65, 65) : QByteArray();
    OPENSSL_free(spki);
    if (point.size() != 65 || point.at(0) != '\x04') {
        return problem(422,
            QStringLiteral("unsupported-key"),
            QStringLiteral("This kind of key is not certified here"),
            QStringLiteral("The request's public key is not an uncompressed P-256 point."),
            QStringLiteral("Make the request again on the key; nothing was issued."),
            rid);
    }

    auto card = db.exec("SELECT state, hotlisted FROM cards WHERE asn = $1 FOR NO KEY UPDATE", {asn.toStdString()});
    if (!card) {
        return dbUnavailable(rid);
    }
    if (card->rows() != 1) {
        return problem(404,
            QStringLiteral("unknown-card"),
            QStringLiteral("This key was not issued by this bank"),
            QStringLiteral("No card with ASN %1.").arg(asn),
            QStringLiteral("Apply with a key this bank issued; nothing was issued."),
            rid);
    }
    if (card->text(0, 0) != "active" || card->boolean(0, 1)) {
        return problem(422,
            QStringLiteral("card-not-active"),
            QStringLiteral("This key cannot get a certificate now"),
            QStringLiteral("Card %1 is blocked, closed or on the hot-list.").arg(asn),
            QStringLiteral("Ask the bank about the key's state; nothing was issued."),
            rid);
    }

    auto subject = core::x509::encodeName(
        {{QStringLiteral("O"), QStringLiteral("SmartKey cardholder")}, {QStringLiteral("CN"), asn}});
    if (!subject) {
        return dbUnavailable(rid);
    }
    core::x509::CertificateFields f;
    f.serial = newSerial();
    f.issuerDer = m_caSubject;
    f.subjectDer = *subject;
    const std::int64_t now = nowMicros();
    const QDateTime nowTime = QDateTime::fromMSecsSinceEpoch(now / 1000, Qt::UTC);
    f.notBefore = nowTime.addSecs(-60);
    f.notAfter = nowTime.addDays(kValidityDays);
    f.subjectPoint = point;
    f.issuerPoint = m_caPoint;
    auto cert = core::x509::certificate(f, hsmSigner(m_hsm));
    if (!cert) {
        return dbUnavailable(rid);
    }
    const QString slot = body.value(QStringLiteral("slot")).toString();
    const QString serialHex = hexUpper(f.serial);
    const QString sha256 = hexUpper(QCryptographicHash::hash(*cert, QCryptographicHash::Sha256));
    const std::int64_t notBefore = f.notBefore.toMSecsSinceEpoch() * 1000;
    const std::int64_t notAfter = f.notAfter.toMSecsSinceEpoch() * 1000;
    auto ins = db.exec("INSERT INTO cardholder_certificates (serial, asn, slot, public_key, terminal_id, not_before,"
                       " not_after, sha256, der, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        {serialHex.toStdString(),
            asn.toStdString(),
            slot.toStdString(),
            hexUpper(point).toStdString(),
            call.terminalId.toStdString(),
            std::to_string(notBefore),
            std::to_string(notAfter),
            sha256.toStdString(),
            hexUpper(*cert).toStdString(),
            std::to_string(now)});
    if (!ins) {
        return dbUnavailable(rid);
    }
    return Reply::json(201,
        QJsonObject{{QStringLiteral("asn"), asn},
            {QStringLiteral("slot"), slot},
            {QStringLiteral("serial"), serialHex},
            {QStringLiteral("subject"), QStringLiteral("O=SmartKey cardholder, CN=%1").arg(asn)},
            {QStringLiteral("notBefore"), rfc3339(notBefore)},
            {QStringLiteral("notAfter"), rfc3339(notAfter)},
            {QStringLiteral("sha256"), sha256},
            {QStringLiteral("certificate"), hexUpper(*cert)},
            {QStringLiteral("chain"), QJsonArray{hexUpper(m_caDer)}}});
}

} // namespace wallet::bank
