// SPDX-License-Identifier: Apache-2.0
#include "core/piv/CertificateService.h"

#include "core/bank/BankClient.h"
#include "core/bank/BankOrder.h"
#include "core/crypto/X509Der.h"

#include <botan/data_src.h>
#include <botan/pk_keys.h>
#include <botan/pkix_types.h>
#include <botan/x509_crl.h>
#include <botan/x509cert.h>

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QSaveFile>
#include <QStringList>

#include <exception>
#include <memory>

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

std::vector<std::uint8_t> bytesOf(const QByteArray& der)
{
    const auto* b = reinterpret_cast<const std::uint8_t*>(der.constData());
    return {b, b + der.size()};
}

QString reasonName(Botan::CRL_Code code)
{
    switch (code) {
    case Botan::KEY_COMPROMISE:
        return QStringLiteral("keyCompromise");
    case Botan::CA_COMPROMISE:
        return QStringLiteral("cACompromise");
    case Botan::AFFILIATION_CHANGED:
        return QStringLiteral("affiliationChanged");
    case Botan::SUPERSEDED:
        return QStringLiteral("superseded");
    case Botan::CESSATION_OF_OPERATION:
        return QStringLiteral("cessationOfOperation");
    case Botan::CERTIFICATE_HOLD:
        return QStringLiteral("certificateHold");
    case Botan::PRIVILEGE_WITHDRAWN:
        return QStringLiteral("privilegeWithdrawn");
    case Botan::AA_COMPROMISE:
        return QStringLiteral("aACompromise");
    default:
        return QStringLiteral("unspecified");
    }
}

/// The first CERTIFICATE of a PEM text, or the bytes as they are (DER).
QByteArray derOfPem(const QByteArray& all)
{
    const QByteArray begin = QByteArrayLiteral("-----BEGIN CERTIFICATE-----");
    const auto at = all.indexOf(begin);
    if (at < 0) {
        return all;
    }
    const auto end = all.indexOf("-----END CERTIFICATE-----", at);
    if (end < 0) {
        return {};
    }
    return QByteArray::fromBase64(all.mid(at + begin.size(), end - at - begin.size()).trimmed());
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

QString RevocationStatus::word() const
{
    switch (state) {
    case State::Valid:
        return QStringLiteral("valid");
    case State::Revoked:
        return QStringLiteral("revoked");
    case State::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

Result<QByteArray> CertificateService::generate(
    std::uint8_t slot, std::uint8_t alg, const SecureBytes& managementKey, TouchPolicy touch)
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
    return m_piv.generate(slot, alg, PinPolicy::Default, touch);
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
    if (!s && s.error().statusWord == 0x6985 && key.touchPolicy != static_cast<std::uint8_t>(TouchPolicy::Never)
        && key.touchPolicy != static_cast<std::uint8_t>(TouchPolicy::Default)) {
        // docs/piv.md "Touch policy": a key that asks for the touch answers 6985 when it was refused or not given in
        // time; the other 6985 causes come before the touch. Told by its meaning (as a purchase's DEBIT is).
        Error e = s.error();
        e.code = ErrorCode::TouchRefused;
        e.detail = QStringLiteral("GENERAL AUTHENTICATE: not confirmed on the key (touch refused or timed out, "
                                  "6985); nothing was signed");
        return e;
    }
    return s;
}

Result<SlotState> CertificateService::certifiedSlot(std::uint8_t slot)
{
    auto state = this->slot(slot);
    if (!state) {
        return state.error();
    }
    if (!state->certificate || !state->details) {
        return makeError(ErrorCode::NotFound,
            QStringLiteral("slot %1 holds no certificate: apply for one first (walletctl cert apply, or the wallet's "
                           "Certificates page)")
                .arg(slot, 2, 16, QLatin1Char('0')));
    }
    if (!state->key || state->key->alg != kAlgP256 || state->key->point != state->details->publicPoint) {
        return makeError(ErrorCode::InvalidInput,
            QStringLiteral("the certificate in slot %1 does not certify the slot's P-256 key")
                .arg(slot, 2, 16, QLatin1Char('0')));
    }
    return state;
}

Result<CertificateService::CertifiedSignature> CertificateService::signWithCertificate(
    std::uint8_t slot, const QByteArray& message, const PinProvider& pin)
{
    auto state = certifiedSlot(slot);
    if (!state) {
        return state.error();
    }
    const QByteArray digest = QCryptographicHash::hash(message, QCryptographicHash::Sha256);
    auto sig = signDigest(slot, *state->key, digest, pin);
    if (!sig) {
        return sig.error();
    }
    return CertifiedSignature{state->details->serialHex, *sig};
}

Result<QJsonObject> CertificateService::signPaymentOrder(
    const MerchantOrder& order, const QString& asnHex, const PinProvider& pin)
{
    auto signature = signWithCertificate(0x9A,
        cardholderPaymentMessage(
            order.orderId, order.amount.fen(), order.merchantId, QString::fromLatin1(order.terminalId.toHex()), asnHex),
        pin);
    if (!signature) {
        return signature.error();
    }
    return QJsonObject{{QStringLiteral("certificateSerial"), signature->certificateSerial},
        {QStringLiteral("signature"), QString::fromLatin1(signature->signature.toHex().toUpper())}};
}

namespace {

/// GET `path` from the bank: the answer when it is a success, else the transport error or the problem in words.
Result<BankAnswer> getFromBank(BankClient& bank, const QString& path, const QString& what)
{
    BankCall call;
    call.path = path;
    auto answer = bank.send(call);
    if (answer && !answer->ok()) {
        return problemError(*answer, what);
    }
    return answer;
}

} // namespace

Result<QByteArray> CertificateService::fetchCrl(BankClient& bank)
{
    auto answer = getFromBank(
        bank, QStringLiteral("/v1/cardholder-ca/crl"), QStringLiteral("the bank's certificate revocation list"));
    if (!answer) {
        return answer.error();
    }
    if (answer->raw.isEmpty()) {
        return makeError(ErrorCode::ProtocolError, QStringLiteral("the bank answered no CRL"));
    }
    return answer->raw;
}

Result<QByteArray> CertificateService::fetchIssuer(BankClient& bank)
{
    auto answer = getFromBank(
        bank, QStringLiteral("/v1/cardholder-ca/certificate"), QStringLiteral("the bank's cardholder CA certificate"));
    if (!answer) {
        return answer.error();
    }
    const QString hex = answer->body.value(QStringLiteral("certificate")).toString();
    const QByteArray der = QByteArray::fromHex(hex.toLatin1());
    const QByteArray digest = QCryptographicHash::hash(der, QCryptographicHash::Sha256).toHex().toUpper();
    if (der.isEmpty() || hex.size() != der.size() * 2
        || answer->body.value(QStringLiteral("sha256")).toString().toLatin1() != digest) {
        return makeError(ErrorCode::ProtocolError,
            QStringLiteral("the bank's cardholder CA certificate is malformed or its sha256 does not match it"));
    }
    return der;
}

RevocationStatus CertificateService::revocationFromCrl(
    const QByteArray& crlDer, const QByteArray& certificateDer, const QByteArray& caDer, const QDateTime& nowUtc)
{
    RevocationStatus out;
    if (caDer.isEmpty()) {
        out.explanation = QStringLiteral("the wallet keeps no certificate of the bank's cardholder CA (%1 in its data "
                                         "folder, kept when a certificate is issued), so the CRL's signature cannot "
                                         "be checked")
                              .arg(QLatin1String(kIssuerFile));
        out.why = RevocationStatus::Why::NoIssuer;
        return out;
    }
    try {
        const Botan::X509_Certificate ca(bytesOf(caDer));
        const Botan::X509_Certificate cert(bytesOf(certificateDer));
        const std::unique_ptr<Botan::Public_Key> caKey(ca.subject_public_key());
        if (!(cert.issuer_dn() == ca.subject_dn()) || !cert.check_signature(*caKey)) {
            out.explanation = QStringLiteral("the kept cardholder CA certificate did not issue this certificate");
            out.why = RevocationStatus::Why::NotIssuer;
            return out;
        }
        Botan::X509_CRL crl;
        try {
            crl = Botan::X509_CRL(bytesOf(crlDer));
        } catch (const std::exception& e) {
            out.explanation = QStringLiteral("the bank's CRL does not parse: %1").arg(QString::fromLatin1(e.what()));
            out.why = RevocationStatus::Why::BadCrl;
            return out;
        }
        if (!(crl.issuer_dn() == ca.subject_dn())) {
            out.explanation = QStringLiteral("the bank's CRL is not from the CA that issued this certificate");
            out.why = RevocationStatus::Why::BadCrl;
            return out;
        }
        // RFC 5280 §6.3.3 (f): the CRL is believed only when the CA's key verifies its signature.
        if (!crl.check_signature(*caKey)) {
            out.explanation = QStringLiteral("the CRL's signature does not verify with the cardholder CA's key: it was "
                                             "altered or not made by the bank's CA");
            out.why = RevocationStatus::Why::BadSignature;
            return out;
        }
        if (nowUtc.isValid() && fromBotanTime(crl.next_update()) < nowUtc) {
            out.explanation = QStringLiteral("the bank's CRL is out of date (next update %1)")
                                  .arg(fromBotanTime(crl.next_update()).toString(Qt::ISODate));
            out.why = RevocationStatus::Why::Stale;
            return out;
        }
        out.state = RevocationStatus::State::Valid;
        out.why = RevocationStatus::Why::None;
        for (const Botan::CRL_Entry& entry : crl.get_revoked()) {
            if (entry.serial_number() == cert.serial_number()) {
                if (entry.reason_code() == Botan::REMOVE_FROM_CRL) {
                    continue;
                }
                out.state = RevocationStatus::State::Revoked;
                out.revokedAt = fromBotanTime(entry.expire_time());
                out.reason = reasonName(entry.reason_code());
                break;
            }
        }
        return out;
    } catch (const std::exception& e) {
        out.explanation = QStringLiteral("a certificate does not parse: %1").arg(QString::fromLatin1(e.what()));
        out.why = RevocationStatus::Why::NotIssuer;
        return out;
    }
}

Result<void> CertificateService::keepIssuer(const QString& dataDir, const IssuedCertificate& issued)
{
    if (issued.chain.isEmpty()) {
        return makeError(ErrorCode::ProtocolError, QStringLiteral("the bank's answer carries no CA certificate"));
    }
    const QByteArray& caDer = issued.chain.first();
    if (auto signedIt = issuedBy(issued.certificate, caDer); !signedIt) {
        return signedIt.error();
    }
    if (!QDir().mkpath(dataDir)) {
        return makeError(ErrorCode::StorageError, QStringLiteral("cannot make %1").arg(dataDir));
    }
    QSaveFile f(QDir(dataDir).filePath(QLatin1String(kIssuerFile)));
    const QByteArray pem = x509::toPem(caDer, "CERTIFICATE");
    if (!f.open(QIODevice::WriteOnly) || f.write(pem) != pem.size() || !f.commit()) {
        return makeError(ErrorCode::StorageError, QStringLiteral("cannot write %1").arg(f.fileName()));
    }
    return {};
}

Result<void> CertificateService::issuedBy(const QByteArray& certificateDer, const QByteArray& caDer)
{
    try {
        const Botan::X509_Certificate ca(bytesOf(caDer));
        const Botan::X509_Certificate cert(bytesOf(certificateDer));
        const std::unique_ptr<Botan::Public_Key> caKey(ca.subject_public_key());
        if (!(cert.issuer_dn() == ca.subject_dn()) || !cert.check_signature(*caKey)) {
            return makeError(ErrorCode::VerificationFailed,
                QStringLiteral("the CA certificate of the bank's answer did not sign the issued certificate"));
        }
    } catch (const std::exception& e) {
        return makeError(ErrorCode::ProtocolError,
            QStringLiteral("the bank's CA certificate does not parse: %1").arg(QString::fromLatin1(e.what())));
    }
    return {};
}

QByteArray CertificateService::keptIssuer(const QString& dataDir)
{
    QFile f(QDir(dataDir).filePath(QLatin1String(kIssuerFile)));
    if (dataDir.isEmpty() || !f.open(QIODevice::ReadOnly)) {
        return {};
    }
    return derOfPem(f.readAll());
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
