// SPDX-License-Identifier: Apache-2.0
#include "bank/ca/CardholderCa.h"

#include "bank/Util.h"
#include "bank/db/PgConnection.h"
#include "bank/server/JsonRequest.h"
#include "core/bank/BankOrder.h"
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
using PkeyCtxPtr = std::unique_ptr<EVP_MD_CTX, Release<EVP_MD_CTX, EVP_MD_CTX_free>>;
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

/// RFC 5280 §5.3.1 CRLReason names bankctl accepts, with their codes.
int reasonCode(const QString& reason)
{
    static const QList<QPair<QString, int>> codes{{QStringLiteral("unspecified"), 0},
        {QStringLiteral("keyCompromise"), 1},
        {QStringLiteral("affiliationChanged"), 3},
        {QStringLiteral("superseded"), 4},
        {QStringLiteral("cessationOfOperation"), 5}};
    for (const auto& [name, code] : codes) {
        if (name == reason) {
            return code;
        }
    }
    return -1;
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

namespace {

Reply caNotConfigured()
{
    return problem(503,
        QStringLiteral("ca-not-configured"),
        QStringLiteral("The cardholder CA is not set up"),
        QStringLiteral("The bank host has no cardholder CA certificate (%1).")
            .arg(QString::fromLatin1(CardholderCa::kCertificateFile)),
        QStringLiteral("Ask the bank operator to run `bankctl keys init`."),
        {});
}

} // namespace

Reply CardholderCa::certificate() const
{
    if (m_caDer.isEmpty() || m_caPoint.isEmpty()) {
        return caNotConfigured();
    }
    return Reply::json(200,
        {{QStringLiteral("certificate"), hexUpper(m_caDer)},
            {QStringLiteral("sha256"), hexUpper(QCryptographicHash::hash(m_caDer, QCryptographicHash::Sha256))}});
}

Reply CardholderCa::crl(PgConnection& db)
{
    if (m_caDer.isEmpty() || m_caPoint.isEmpty()) {
        return caNotConfigured();
    }
    auto rows = db.exec("SELECT serial, revoked_at, revocation_reason FROM cardholder_certificates WHERE revoked_at IS"
                        " NOT NULL ORDER BY revoked_at, serial",
        {});
    if (!rows) {
        return dbUnavailable({});
    }
    core::x509::CrlFields f;
    f.issuerDer = m_caSubject;
    f.issuerPoint = m_caPoint;
    const std::int64_t now = nowMicros();
    f.thisUpdate = QDateTime::fromMSecsSinceEpoch(now / 1000, Qt::UTC);
    f.nextUpdate = f.thisUpdate.addDays(1);
    // The CRL number only grows (RFC 5280 §5.2.3): the time it was made, in microseconds.
    for (int shift = 56; shift >= 0; shift -= 8) {
        f.crlNumber.append(static_cast<char>((now >> shift) & 0xFF));
    }
    for (int i = 0; i < rows->rows(); ++i) {
        core::x509::RevokedEntry e;
        e.serial = QByteArray::fromHex(QByteArray::fromStdString(rows->text(i, 0)));
        e.revocationDate = QDateTime::fromMSecsSinceEpoch(rows->integer(i, 1) / 1000, Qt::UTC);
        e.reasonCode = std::max(0, reasonCode(QString::fromStdString(rows->text(i, 2))));
        f.revoked.append(e);
    }
    auto der = core::x509::certificateRevocationList(f, hsmSigner(m_hsm));
    if (!der) {
        return dbUnavailable({});
    }
    Reply r;
    r.status = 200;
    r.body = *der;
    r.contentType = "application/pkix-crl";
    return r;
}

Result<void> CardholderCa::revoke(PgConnection& db, const QString& serialHex, const QString& reason)
{
    static const QRegularExpression serialForm(QStringLiteral("^[0-9A-F]{32}$"));
    if (!serialForm.match(serialHex).hasMatch()) {
        return makeError(
            ErrorCode::InvalidInput, QStringLiteral("--serial: the certificate's 32 uppercase hex digits"));
    }
    if (reasonCode(reason) < 0) {
        return makeError(ErrorCode::InvalidInput,
            QStringLiteral("--reason: unspecified, keyCompromise, affiliationChanged, superseded or "
                           "cessationOfOperation"));
    }
    auto r = db.exec("UPDATE cardholder_certificates SET revoked_at = $2, revocation_reason = $3 WHERE serial = $1"
                     " AND revoked_at IS NULL RETURNING asn",
        {serialHex.toStdString(), std::to_string(nowMicros()), reason.toStdString()});
    if (!r) {
        return r.error();
    }
    if (r->rows() == 1) {
        return {};
    }
    auto known = db.exec("SELECT 1 FROM cardholder_certificates WHERE serial = $1", {serialHex.toStdString()});
    if (!known) {
        return known.error();
    }
    if (known->rows() == 0) {
        return makeError(
            ErrorCode::NotFound, QStringLiteral("no cardholder certificate %1; nothing was changed").arg(serialHex));
    }
    return makeError(ErrorCode::InvalidState,
        QStringLiteral("certificate %1 is revoked already; nothing was changed").arg(serialHex));
}

std::optional<Reply> CardholderCa::checkPaymentSignature(PgConnection& db,
    const QString& asn,
    const QString& orderId,
    qint64 amount,
    const QString& merchantId,
    const QString& terminalId,
    const QJsonValue& signature,
    bool required,
    const QString& rid)
{
    if (signature.isUndefined()) {
        if (!required) {
            return std::nullopt;
        }
        return problem(403,
            QStringLiteral("cardholder-signature-required"),
            QStringLiteral("The cardholder must sign this payment"),
            QStringLiteral("The merchant of order %1 takes payments signed with the key's certificate (PIV slot 9A)"
                           " only.")
                .arg(orderId),
            QStringLiteral("Get a certificate for the key (walletctl cert apply), then pay again and sign with it;"
                           " nothing was charged."),
            rid);
    }
    const QJsonObject s = signature.toObject();
    const QString serial = s.value(QStringLiteral("certificateSerial")).toString();
    const QByteArray sig = QByteArray::fromHex(s.value(QStringLiteral("signature")).toString().toLatin1());
    auto row = db.exec("SELECT der, revoked_at, not_before, not_after FROM cardholder_certificates WHERE serial = $1"
                       " AND asn = $2 AND slot = '9A'",
        {serial.toStdString(), asn.toStdString()});
    if (!row) {
        return dbUnavailable(rid);
    }
    if (row->rows() != 1) {
        return problem(422,
            QStringLiteral("cardholder-certificate-unknown"),
            QStringLiteral("The signing certificate is not this key's"),
            QStringLiteral("The cardholder CA issued no slot 9A certificate %1 to key %2.").arg(serial, asn),
            QStringLiteral("Sign with the certificate the bank issued to this key (walletctl cert apply); nothing"
                           " was charged."),
            rid);
    }
    if (!row->isNull(0, 1)) {
        return problem(403,
            QStringLiteral("cardholder-certificate-revoked"),
            QStringLiteral("The cardholder's certificate is revoked"),
            QStringLiteral("Certificate %1 of key %2 was revoked by the bank on %3.")
                .arg(serial, asn, rfc3339(row->integer(0, 1))),
            QStringLiteral("Apply for a new certificate on the key, or contact the bank; nothing was charged."),
            rid);
    }
    const std::int64_t now = nowMicros();
    if (now < row->integer(0, 2) || now > row->integer(0, 3)) {
        return problem(422,
            QStringLiteral("cardholder-certificate-expired"),
            QStringLiteral("The cardholder's certificate is not valid now"),
            QStringLiteral("Certificate %1 of key %2 is valid from %3 to %4.")
                .arg(serial, asn, rfc3339(row->integer(0, 2)), rfc3339(row->integer(0, 3))),
            QStringLiteral("Apply for a new certificate on the key; nothing was charged."),
            rid);
    }
    const QByteArray certDer = QByteArray::fromHex(QByteArray::fromStdString(row->text(0, 0)));
    const auto* p = reinterpret_cast<const unsigned char*>(certDer.constData());
    CertPtr cert(d2i_X509(nullptr, &p, certDer.size()));
    EVP_PKEY* pub = cert ? X509_get0_pubkey(cert.get()) : nullptr;
    if (!pub) {
        return dbUnavailable(rid); // our own record is unreadable: a fault, not the cardholder's
    }
    const QByteArray message
        = core::cardholderPaymentMessage(orderId, static_cast<std::uint32_t>(amount), merchantId, terminalId, asn);
    PkeyCtxPtr ctx(EVP_MD_CTX_new());
    const bool verified = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pub) == 1
        && EVP_DigestVerify(ctx.get(),
               reinterpret_cast<const unsigned char*>(sig.constData()),
               static_cast<std::size_t>(sig.size()),
               reinterpret_cast<const unsigned char*>(message.constData()),
               static_cast<std::size_t>(message.size()))
            == 1;
    if (!verified) {
        return problem(422,
            QStringLiteral("cardholder-signature-invalid"),
            QStringLiteral("The cardholder's signature does not verify"),
            QStringLiteral("The signature of order %1 does not verify with certificate %2 of key %3.")
                .arg(orderId, serial, asn),
            QStringLiteral("Sign the order again on the key and send the key's answer unchanged; nothing was charged."),
            rid);
    }
    return std::nullopt;
}

} // namespace wallet::bank
