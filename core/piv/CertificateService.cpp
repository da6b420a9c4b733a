// SPDX-License-Identifier: Apache-2.0
#include "core/piv/CertificateService.h"

#include "core/bank/BankClient.h"

#include <botan/data_src.h>
#include <botan/pkix_types.h>
#include <botan/x509_crl.h>
#include <botan/x509cert.h>

#include <QCryptographicHash>
#include <QJsonArray>
#include <QStringList>

#include <exception>

namespace wallet::core::piv {

namespace {

QDateTime fromBotanTime(const Botan::X509_Time& t)
{
    return QDateTime::fromSecsSinceEpoch(
        static_cast<qint64>(std::chrono::system_clock::to_time_t(t.to_std_timepoint())), Qt::UTC);
}

/// "CN=…, O=…" in the certificate's order, with the short names of RFC 4514 for the common attributes.
QString dnText(const Botan::X509_DN& dn)
{
    QStringList parts;
    for (const auto& [oid, value] : dn.dn_info()) {
        const std::string id = oid.to_string();
        QString name = QString::fromStdString(id);
        if (id == "2.5.4.3") {
            name = QStringLiteral("CN");
        } else if (id == "2.5.4.10") {
            name = QStringLiteral("O");
        } else if (id == "2.5.4.11") {
            name = QStringLiteral("OU");
        } else if (id == "2.5.4.6") {
            name = QStringLiteral("C");
        } else if (id == "2.5.4.5") {
            name = QStringLiteral("serialNumber");
        }
        parts.append(name + QLatin1Char('=') + QString::fromStdString(value.value()));
    }
    return parts.join(QStringLiteral(", "));
}

x509::KeyType keyTypeOf(std::uint8_t alg)
{
    return alg == kAlgSm2 ? x509::KeyType::Sm2 : x509::KeyType::P256;
}

} // namespace

Result<CertificateDetails> describeCertificate(const QByteArray& der)
{
    try {
        Botan::DataSource_Memory src(
            reinterpret_cast<const std::uint8_t*>(der.constData()), static_cast<std::size_t>(der.size()));
        const Botan::X509_Certificate cert(src);
        CertificateDetails d;
        d.subject = dnText(cert.subject_dn());
        d.issuer = dnText(cert.issuer_dn());
        d.notBefore = fromBotanTime(cert.not_before());
        d.notAfter = fromBotanTime(cert.not_after());
        d.serialHex = QString::fromLatin1(toQByteArray(cert.serial_number()).toHex().toUpper());
        d.sha256Fingerprint
            = QString::fromLatin1(QCryptographicHash::hash(der, QCryptographicHash::Sha256).toHex(':').toUpper());
        // subjectPublicKey BIT STRING of an EC key: 00 ‖ 04 ‖ X ‖ Y (the uncompressed point).
        const QByteArray bits = toQByteArray(cert.subject_public_key_bitstring());
        d.publicPoint = bits;
        return d;
    } catch (const std::exception& e) {
        return makeError(ErrorCode::InvalidData,
            QStringLiteral("not a DER X.509 certificate: %1").arg(QString::fromLatin1(e.what())));
    }
}

CertificateService::CertificateService(ApduChannel& channel)
    : m_piv(channel)
{ }

Result<SecureBytes> CertificateService::managementKeyFromEnvironment(bool* isDefault)
{
    QByteArray hex = qgetenv("SKEY_PIV_MANAGEMENT_KEY");
    const bool fromDefault = hex.isEmpty();
    if (fromDefault) {
        hex = QByteArray(kDefaultManagementKeyHex);
    }
    if (isDefault) {
        *isDefault = fromDefault;
    }
    QByteArray key = QByteArray::fromHex(hex);
    wipe(hex);
    if (key.size() != 24) {
        wipe(key);
        return makeError(ErrorCode::InvalidInput, QStringLiteral("SKEY_PIV_MANAGEMENT_KEY: 48 hex digits"));
    }
    SecureBytes out = toSecure(key);
    wipe(key);
    return out;
}

x509::Name CertificateService::defaultSubject(const QString& asnHex)
{
    return {{QStringLiteral("O"), QStringLiteral("SmartKey cardholder")}, {QStringLiteral("CN"), asnHex}};
}

Result<void> CertificateService::open()
{
    return m_piv.select();
}

Result<QByteArray> CertificateService::generate(std::uint8_t slot, std::uint8_t alg, const SecureBytes& managementKey)
{
    if (!certificateTag(slot)) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("slots are 9a, 9c, 9d and 9e"));
    }
    if (alg != kAlgP256 && alg != kAlgSm2) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("key types: P-256 or SM2"));
    }
    if (auto a = m_piv.authenticate(managementKey); !a) {
        return a.error();
    }
    return m_piv.generate(slot, alg);
}

Result<QByteArray> CertificateService::request(std::uint8_t slot, const x509::Name& subject, const PinProvider& pin)
{
    auto meta = m_piv.keyMetadata(slot);
    if (!meta) {
        return meta.error();
    }
    if (!meta.value()) {
        return makeError(ErrorCode::NotFound,
            QStringLiteral("slot %1 holds no key pair: generate one first").arg(slot, 2, 16, QLatin1Char('0')));
    }
    const KeyMetadata key = *meta.value();
    if (key.alg != kAlgP256 && key.alg != kAlgSm2) {
        return makeError(
            ErrorCode::InvalidInput, QStringLiteral("certificate requests are made for P-256 and SM2 keys"));
    }
    auto name = x509::encodeName(subject);
    if (!name) {
        return name.error();
    }
    const x509::Signer signer
        = [&](const QByteArray& digest) -> Result<QByteArray> { return signDigest(slot, key, digest, pin); };
    return x509::certificationRequest(keyTypeOf(key.alg), name.value(), key.point, signer);
}

Result<QByteArray> CertificateService::signDigest(
    std::uint8_t slot, const KeyMetadata& key, const QByteArray& digest, const PinProvider& pin)
{
    auto verify = [&]() -> Result<void> {
        if (!pin) {
            return makeError(ErrorCode::PinRequired, QStringLiteral("the slot's key needs the PIV PIN"));
        }
        auto p = pin();
        if (!p) {
            return p.error();
        }
        return m_piv.verifyPin(p.value());
    };
    // 73-4 Part 1 §3.3.2: "always" needs VERIFY right before the signature; otherwise the key says 6982 when this
    // session has not verified the PIN yet, and nothing was signed.
    if (key.pinPolicy == PinPolicy::Always) {
        if (auto v = verify(); !v) {
            return v.error();
        }
    }
    auto s = m_piv.sign(slot, key.alg, digest);
    if (!s && s.error().code == ErrorCode::PinRequired && key.pinPolicy != PinPolicy::Always) {
        if (auto v = verify(); !v) {
            return v.error();
        }
        s = m_piv.sign(slot, key.alg, digest);
    }
    return s;
}

Result<CertificateService::CertifiedSignature> CertificateService::signWithCertificate(
    std::uint8_t slot, const QByteArray& message, const PinProvider& pin)
{
    auto state = this->slot(slot);
    if (!state) {
        return state.error();
    }
    if (!state->certificate || !state->details) {
        return makeError(ErrorCode::NotFound,
            QStringLiteral("slot %1 holds no certificate: apply for one first (walletctl cert apply)")
                .arg(slot, 2, 16, QLatin1Char('0')));
    }
    if (!state->key || state->key->alg != kAlgP256 || state->key->point != state->details->publicPoint) {
        return makeError(ErrorCode::InvalidInput,
            QStringLiteral("the certificate in slot %1 does not certify the slot's P-256 key")
                .arg(slot, 2, 16, QLatin1Char('0')));
    }
    const QByteArray digest = QCryptographicHash::hash(message, QCryptographicHash::Sha256);
    auto sig = signDigest(slot, *state->key, digest, pin);
    if (!sig) {
        return sig.error();
    }
    return CertifiedSignature{state->details->serialHex, *sig};
}

Result<bool> CertificateService::isRevoked(BankClient& bank, const QByteArray& certificateDer)
{
    BankCall call;
    call.path = QStringLiteral("/v1/cardholder-ca/crl");
    auto answer = bank.send(call);
    if (!answer) {
        return answer.error();
    }
    if (!answer->ok()) {
        return problemError(*answer, QStringLiteral("the bank's certificate revocation list"));
    }
    if (answer->raw.isEmpty()) {
        return makeError(ErrorCode::ProtocolError, QStringLiteral("the bank answered no CRL"));
    }
    try {
        const auto* crlBytes = reinterpret_cast<const std::uint8_t*>(answer->raw.constData());
        const Botan::X509_CRL crl(std::vector<std::uint8_t>(crlBytes, crlBytes + answer->raw.size()));
        const auto* certBytes = reinterpret_cast<const std::uint8_t*>(certificateDer.constData());
        const Botan::X509_Certificate cert(std::vector<std::uint8_t>(certBytes, certBytes + certificateDer.size()));
        if (!(crl.issuer_dn() == cert.issuer_dn())) {
            return makeError(ErrorCode::ProtocolError,
                QStringLiteral("the bank's CRL is not from the CA that issued this certificate"));
        }
        // Botan compares issuer and serial (RFC 5280 §5.3: an entry names a certificate of the CRL's issuer).
        return crl.is_revoked(cert);
    } catch (const std::exception& e) {
        return makeError(ErrorCode::ProtocolError,
            QStringLiteral("the bank's CRL does not parse: %1").arg(QString::fromLatin1(e.what())));
    }
}

Result<IssuedCertificate> CertificateService::apply(
    BankClient& bank, const QString& requestId, const QString& asnHex, std::uint8_t slot, const QByteArray& csr)
{
    BankCall call;
    call.method = QByteArrayLiteral("POST");
    call.path = QStringLiteral("/v1/cards/%1/certificates").arg(asnHex);
    call.requestId = requestId;
    call.body = QJsonObject{{QStringLiteral("slot"), QStringLiteral("%1").arg(slot, 2, 16, QLatin1Char('0')).toUpper()},
        {QStringLiteral("csr"), QString::fromLatin1(csr.toHex().toUpper())}};
    auto answer = bank.send(call);
    if (!answer) {
        return answer.error();
    }
    if (!answer->ok()) {
        return problemError(answer.value(), QStringLiteral("certificate application"));
    }
    IssuedCertificate out;
    out.replayed = answer->replayed;
    out.certificate = QByteArray::fromHex(answer->body.value(QStringLiteral("certificate")).toString().toLatin1());
    for (const auto& c : answer->body.value(QStringLiteral("chain")).toArray()) {
        out.chain.append(QByteArray::fromHex(c.toString().toLatin1()));
    }
    if (out.certificate.isEmpty()) {
        return makeError(ErrorCode::ProtocolError, QStringLiteral("the bank's answer has no certificate"));
    }
    return out;
}

Result<void> CertificateService::store(std::uint8_t slot, const QByteArray& der, const SecureBytes& managementKey)
{
    auto details = describeCertificate(der);
    if (!details) {
        return details.error();
    }
    auto meta = m_piv.keyMetadata(slot);
    if (!meta) {
        return meta.error();
    }
    if (!meta.value() || meta.value()->point != details->publicPoint) {
        return makeError(ErrorCode::InvalidData,
            QStringLiteral("this certificate is not for the key in slot %1; nothing was written")
                .arg(slot, 2, 16, QLatin1Char('0')));
    }
    if (auto a = m_piv.authenticate(managementKey); !a) {
        return a.error();
    }
    return m_piv.writeCertificate(slot, der);
}

Result<SlotState> CertificateService::slot(std::uint8_t slot)
{
    SlotState s;
    s.slot = slot;
    auto meta = m_piv.keyMetadata(slot);
    if (!meta) {
        return meta.error();
    }
    s.key = meta.value();
    auto cert = m_piv.readCertificate(slot);
    if (!cert) {
        return cert.error();
    }
    s.certificate = cert.value();
    if (s.certificate) {
        if (auto d = describeCertificate(*s.certificate)) {
            s.details = d.value();
        }
    }
    return s;
}

Result<std::vector<SlotState>> CertificateService::list()
{
    std::vector<SlotState> out;
    for (const auto s : kSlots) {
        auto one = slot(s);
        if (!one) {
            return one.error();
        }
        out.push_back(one.value());
    }
    return out;
}

Result<void> CertificateService::remove(std::uint8_t slot, const SecureBytes& managementKey)
{
    if (auto a = m_piv.authenticate(managementKey); !a) {
        return a.error();
    }
    return m_piv.deleteCertificate(slot);
}

} // namespace wallet::core::piv
