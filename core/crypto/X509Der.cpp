// SPDX-License-Identifier: Apache-2.0
#include "core/crypto/X509Der.h"

#include "core/crypto/Bytes.h"

#include <botan/hash.h>

#include <QCryptographicHash>

#include <exception>

namespace wallet::core::x509 {

namespace {

/// One DER element (definite length; contents up to 16 MiB).
QByteArray der(std::uint8_t tag, const QByteArray& content)
{
    QByteArray out(1, static_cast<char>(tag));
    const auto n = content.size();
    if (n < 0x80) {
        out.append(static_cast<char>(n));
    } else if (n <= 0xFF) {
        out.append('\x81').append(static_cast<char>(n));
    } else if (n <= 0xFFFF) {
        out.append('\x82').append(static_cast<char>(n >> 8)).append(static_cast<char>(n & 0xFF));
    } else {
        out.append('\x83')
            .append(static_cast<char>(n >> 16))
            .append(static_cast<char>((n >> 8) & 0xFF))
            .append(static_cast<char>(n & 0xFF));
    }
    return out + content;
}

QByteArray seq(const QByteArray& c)
{
    return der(0x30, c);
}

/// INTEGER of an unsigned big-endian magnitude: leading zeros dropped, a 00 added when the top bit is set.
QByteArray unsignedInteger(QByteArray v)
{
    while (v.size() > 1 && v.at(0) == '\0') {
        v.remove(0, 1);
    }
    if (v.isEmpty()) {
        v = QByteArray(1, '\0');
    }
    if (static_cast<std::uint8_t>(v.at(0)) & 0x80) {
        v.prepend('\0');
    }
    return der(0x02, v);
}

QByteArray bitString(const QByteArray& bytes)
{
    return der(0x03, QByteArray(1, '\0') + bytes);
}

// AlgorithmIdentifiers (no parameters, RFC 5758 §3.2; GM/T 0006 for SM2-with-SM3).
QByteArray sigAlg(KeyType t)
{
    return t == KeyType::Sm2 ? QByteArray::fromHex("300A06082A811CCF55018375")
                             : QByteArray::fromHex("300A06082A8648CE3D040302");
}

/// UTCTime through 2049, GeneralizedTime after (RFC 5280 §4.1.2.5).
QByteArray timeValue(const QDateTime& t)
{
    const QDateTime u = t.toUTC();
    if (u.date().year() < 2050) {
        return der(0x17, u.toString(QStringLiteral("yyMMddHHmmss'Z'")).toLatin1());
    }
    return der(0x18, u.toString(QStringLiteral("yyyyMMddHHmmss'Z'")).toLatin1());
}

QByteArray keyId(const QByteArray& point)
{
    return QCryptographicHash::hash(point, QCryptographicHash::Sha1); // RFC 5280 §4.2.1.2 method (1), on the point
}

QByteArray extension(const char* oidHex, bool critical, const QByteArray& value)
{
    QByteArray c = der(0x06, QByteArray::fromHex(oidHex));
    if (critical) {
        c += QByteArray::fromHex("0101FF");
    }
    return seq(c + der(0x04, value));
}

Result<QByteArray> signWrap(KeyType type, const QByteArray& signerPoint, const QByteArray& tbs, const Signer& sign)
{
    auto digest = digestToSign(type, signerPoint, tbs);
    if (!digest) {
        return digest.error();
    }
    auto sig = sign(digest.value());
    if (!sig) {
        return sig.error();
    }
    if (sig->size() < 8 || sig->at(0) != '\x30') {
        return makeError(ErrorCode::ProtocolError, QStringLiteral("the signature is not a DER ECDSA-Sig-Value"));
    }
    return seq(tbs + sigAlg(type) + bitString(sig.value()));
}

} // namespace

Result<QByteArray> encodeName(const Name& name)
{
    QByteArray rdns;
    for (const auto& [attr, value] : name) {
        QByteArray oid;
        std::uint8_t stringTag = 0x0C; // UTF8String
        if (attr == QStringLiteral("CN")) {
            oid = QByteArray::fromHex("550403");
        } else if (attr == QStringLiteral("O")) {
            oid = QByteArray::fromHex("55040A");
        } else if (attr == QStringLiteral("OU")) {
            oid = QByteArray::fromHex("55040B");
        } else if (attr == QStringLiteral("C")) {
            oid = QByteArray::fromHex("550406");
            stringTag = 0x13; // PrintableString (RFC 5280 Appendix A)
        } else if (attr == QStringLiteral("serialNumber")) {
            oid = QByteArray::fromHex("550405");
            stringTag = 0x13;
        } else {
            return makeError(ErrorCode::InvalidInput, QStringLiteral("unknown name attribute %1").arg(attr));
        }
        if (value.isEmpty() || value.size() > 64) {
            return makeError(
                ErrorCode::InvalidInput, QStringLiteral("name attribute %1: 1 to 64 characters").arg(attr));
        }
        const QByteArray v = value.toUtf8();
        if (stringTag == 0x13) {
            for (const char c : v) {
                const bool printable = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || QByteArrayLiteral(" '()+,-./:=?").contains(c);
                if (!printable) {
                    return makeError(ErrorCode::InvalidInput,
                        QStringLiteral("name attribute %1: letters, digits and ' ()+,-./:=? only").arg(attr));
                }
            }
        }
        rdns += der(0x31, seq(der(0x06, oid) + der(stringTag, v)));
    }
    return seq(rdns);
}

Result<QByteArray> subjectPublicKeyInfo(KeyType type, const QByteArray& point)
{
    if (point.size() != 65 || point.at(0) != '\x04') {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("an uncompressed 256-bit point (65 bytes) is needed"));
    }
    // id-ecPublicKey with the named curve: prime256v1 (RFC 5480) or sm2p256v1 (GM/T 0006).
    const QByteArray curve = type == KeyType::Sm2 ? QByteArray::fromHex("06082A811CCF5501822D")
                                                  : QByteArray::fromHex("06082A8648CE3D030107");
    return seq(seq(QByteArray::fromHex("06072A8648CE3D0201") + curve) + bitString(point));
}

Result<QByteArray> digestToSign(KeyType type, const QByteArray& point, const QByteArray& tbs)
{
    if (type == KeyType::P256) {
        return QCryptographicHash::hash(tbs, QCryptographicHash::Sha256);
    }
    if (point.size() != 65) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("SM2: the signer's point is needed for Z"));
    }
    try {
        // Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA), ID = "1234567812345678" (GM/T 0009 §10), e = SM3(Z ‖ M).
        static const QByteArray curve
            = QByteArray::fromHex("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC"
                                  "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93"
                                  "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7"
                                  "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0");
        const QByteArray za
            = QByteArray::fromHex("0080") + QByteArrayLiteral("1234567812345678") + curve + point.mid(1);
        auto sm3 = Botan::HashFunction::create_or_throw("SM3");
        sm3->update(reinterpret_cast<const std::uint8_t*>(za.constData()), static_cast<std::size_t>(za.size()));
        const auto z = sm3->final();
        sm3->update(z);
        sm3->update(reinterpret_cast<const std::uint8_t*>(tbs.constData()), static_cast<std::size_t>(tbs.size()));
        return toQByteArray(sm3->final());
    } catch (const std::exception& e) {
        return makeError(ErrorCode::CryptoError, QStringLiteral("SM3: %1").arg(QString::fromLatin1(e.what())));
    }
}

Result<QByteArray> certificationRequest(
    KeyType type, const QByteArray& subjectDer, const QByteArray& point, const Signer& sign)
{
    auto spki = subjectPublicKeyInfo(type, point);
    if (!spki) {
        return spki.error();
    }
    // CertificationRequestInfo: version 0, subject, subjectPKInfo, attributes [0] (empty SET OF).
    const QByteArray info
        = seq(QByteArray::fromHex("020100") + subjectDer + spki.value() + QByteArray::fromHex("A000"));
    return signWrap(type, point, info, sign);
}

Result<QByteArray> certificate(const CertificateFields& f, const Signer& sign)
{
    if (f.serial.isEmpty() || f.serial.size() > 20) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("serial: 1 to 20 bytes"));
    }
    if (!f.notBefore.isValid() || !f.notAfter.isValid() || f.notAfter <= f.notBefore) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("validity: notAfter must follow notBefore"));
    }
    auto spki = subjectPublicKeyInfo(f.subjectType, f.subjectPoint);
    if (!spki) {
        return spki.error();
    }
    QByteArray exts;
    exts += extension("551D13", true, seq(f.ca ? QByteArray::fromHex("0101FF") : QByteArray()));
    exts += extension("551D0F", true, f.ca ? QByteArray::fromHex("03020106") : QByteArray::fromHex("03020780"));
    exts += extension("551D0E", false, der(0x04, keyId(f.subjectPoint)));
    if (!f.issuerPoint.isEmpty()) {
        exts += extension("551D23", false, seq(der(0x80, keyId(f.issuerPoint))));
    }
    QByteArray tbs = QByteArray::fromHex("A003020102"); // [0] EXPLICIT version v3
    tbs += unsignedInteger(f.serial);
    tbs += sigAlg(f.issuerType);
    tbs += f.issuerDer;
    tbs += seq(timeValue(f.notBefore) + timeValue(f.notAfter));
    tbs += f.subjectDer;
    tbs += spki.value();
    tbs += der(0xA3, seq(exts));
    return signWrap(f.issuerType, f.issuerPoint, seq(tbs), sign);
}

Result<QByteArray> certificateRevocationList(const CrlFields& f, const Signer& sign)
{
    if (f.crlNumber.isEmpty() || f.crlNumber.size() > 20) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("CRL number: 1 to 20 bytes"));
    }
    if (!f.thisUpdate.isValid() || !f.nextUpdate.isValid() || f.nextUpdate <= f.thisUpdate) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("nextUpdate must follow thisUpdate"));
    }
    QByteArray tbs = QByteArray::fromHex("020101"); // version v2 (RFC 5280 §5.1.2.1: extensions present)
    tbs += sigAlg(KeyType::P256);
    tbs += f.issuerDer;
    tbs += timeValue(f.thisUpdate) + timeValue(f.nextUpdate);
    if (!f.revoked.isEmpty()) { // an empty list is left out, not encoded empty (§5.1.2.6)
        QByteArray entries;
        for (const RevokedEntry& e : f.revoked) {
            if (e.serial.isEmpty() || e.serial.size() > 20 || !e.revocationDate.isValid() || e.reasonCode < 0
                || e.reasonCode > 10 || e.reasonCode == 7) {
                return makeError(ErrorCode::InvalidInput, QStringLiteral("a revoked entry is malformed"));
            }
            QByteArray entry = unsignedInteger(e.serial) + timeValue(e.revocationDate);
            if (e.reasonCode != 0) { // §5.3.1: "unspecified" SHOULD be absent
                const QByteArray reason = der(0x0A, QByteArray(1, static_cast<char>(e.reasonCode)));
                entry += seq(extension("551D15", false, reason));
            }
            entries += seq(entry);
        }
        tbs += seq(entries);
    }
    QByteArray exts;
    if (!f.issuerPoint.isEmpty()) {
        exts += extension("551D23", false, seq(der(0x80, keyId(f.issuerPoint))));
    }
    exts += extension("551D14", false, unsignedInteger(f.crlNumber));
    tbs += der(0xA0, seq(exts));
    return signWrap(KeyType::P256, f.issuerPoint, seq(tbs), sign);
}

Result<QByteArray> ecdsaRawToDer(const QByteArray& rs)
{
    if (rs.isEmpty() || rs.size() % 2 != 0) {
        return makeError(ErrorCode::ProtocolError, QStringLiteral("r ‖ s of even length expected"));
    }
    const auto half = rs.size() / 2;
    return seq(unsignedInteger(rs.left(half)) + unsignedInteger(rs.mid(half)));
}

QByteArray toPem(const QByteArray& der, const char* label)
{
    QByteArray out = QByteArrayLiteral("-----BEGIN ") + label + QByteArrayLiteral("-----\n");
    const QByteArray b64 = der.toBase64();
    for (qsizetype i = 0; i < b64.size(); i += 64) {
        out += b64.mid(i, 64) + '\n';
    }
    out += QByteArrayLiteral("-----END ") + label + QByteArrayLiteral("-----\n");
    return out;
}

} // namespace wallet::core::x509
