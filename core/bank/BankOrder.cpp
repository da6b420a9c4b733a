// SPDX-License-Identifier: Apache-2.0
#include "core/bank/BankOrder.h"

#include <botan/asn1_time.h>
#include <botan/pkix_types.h>
#include <botan/pubkey.h>
#include <botan/x509cert.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QUuid>

#include <chrono>
#include <exception>
#include <vector>

namespace wallet::core {
namespace {

QByteArray b64url(const QByteArray& s, bool* ok)
{
    auto r = QByteArray::fromBase64Encoding(s, QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    *ok = static_cast<bool>(r);
    return r.decoded;
}

std::vector<std::uint8_t> bytes(const QByteArray& b)
{
    return {reinterpret_cast<const std::uint8_t*>(b.constData()),
        reinterpret_cast<const std::uint8_t*>(b.constData()) + b.size()};
}

Error altered(const QString& why)
{
    return makeError(ErrorCode::VerificationFailed,
        QStringLiteral("the order is not as the bank signed it (%1); it was refused and nothing was sent to the key")
            .arg(why));
}

} // namespace

Result<QString> orderPathOf(const QString& linkOrCode, QString* orderId)
{
    const QString in = linkOrCode.trimmed();
    static const QString kScheme = QStringLiteral("smartkey://pay/");
    if (in.startsWith(kScheme, Qt::CaseInsensitive)) {
        const QString id = in.mid(kScheme.size()).toLower();
        static const QRegularExpression uuid(
            QStringLiteral("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"));
        if (!uuid.match(id).hasMatch()) {
            return makeError(ErrorCode::InvalidInput,
                QStringLiteral("\"%1\" is not a payment link: smartkey://pay/ is followed by the order id").arg(in));
        }
        if (orderId != nullptr) {
            *orderId = id;
        }
        return QStringLiteral("/v1/orders/") + id;
    }
    static const QRegularExpression code(
        QStringLiteral("^[0-9A-HJKMNP-TV-Z]{4}-?[0-9A-HJKMNP-TV-Z]{4}$"), QRegularExpression::CaseInsensitiveOption);
    if (!code.match(in).hasMatch()) {
        return makeError(ErrorCode::InvalidInput,
            QStringLiteral("\"%1\" is neither a payment link (smartkey://pay/…) nor a short code (like K7QM-4XPA)")
                .arg(in));
    }
    QString c = in.toUpper();
    c.remove(QLatin1Char('-'));
    return QStringLiteral("/v1/order-codes/") + c.left(4) + QLatin1Char('-') + c.mid(4);
}

Result<MerchantOrder> verifySignedOrder(
    const QJsonObject& signedOrder, const QByteArray& caDer, const QDateTime& nowUtc)
{
    if (caDer.isEmpty()) {
        return makeError(
            ErrorCode::VerificationFailed, QStringLiteral("no pinned bank CA to check the order's signature against"));
    }
    const QList<QByteArray> parts = signedOrder.value(QStringLiteral("orderJws")).toString().toLatin1().split('.');
    if (parts.size() != 3) {
        return altered(QStringLiteral("no JWS"));
    }
    bool okH = false;
    bool okP = false;
    bool okS = false;
    const QByteArray headerJson = b64url(parts[0], &okH);
    const QByteArray payloadJson = b64url(parts[1], &okP);
    const QByteArray signature = b64url(parts[2], &okS);
    if (!okH || !okP || !okS || signature.size() != 64) {
        return altered(QStringLiteral("a JWS that is not base64url, or a signature that is not 64 bytes"));
    }
    const QJsonObject header = QJsonDocument::fromJson(headerJson).object();
    if (header.value(QStringLiteral("alg")).toString() != QStringLiteral("ES256")) {
        return altered(QStringLiteral("alg is not ES256"));
    }
    const QByteArray leafDer
        = QByteArray::fromBase64(header.value(QStringLiteral("x5c")).toArray().at(0).toString().toLatin1());
    try {
        const Botan::X509_Certificate ca(bytes(caDer));
        const Botan::X509_Certificate leaf(bytes(leafDer));
        const auto caKey = ca.load_subject_public_key();
        if (!(leaf.issuer_dn() == ca.subject_dn()) || !leaf.check_signature(*caKey)) {
            return altered(QStringLiteral("its certificate is not from the pinned bank CA"));
        }
        const auto ou = leaf.subject_info("X520.OrganizationalUnit");
        if (ou.size() != 1 || ou.front() != "order-signing") {
            // Every terminal certificate is from the same CA: only the bank's order-signing one may sign orders.
            return altered(QStringLiteral("it is signed by a certificate that is not the bank's order-signing one"));
        }
        const Botan::X509_Time now(std::chrono::system_clock::from_time_t(nowUtc.toSecsSinceEpoch()));
        if (now.cmp(leaf.not_before()) < 0 || now.cmp(leaf.not_after()) > 0) {
            return altered(QStringLiteral("the order-signing certificate is not valid now"));
        }
        const auto leafKey = leaf.load_subject_public_key();
        Botan::PK_Verifier verifier(*leafKey, "EMSA1(SHA-256)", Botan::IEEE_1363); // JWS ES256: r ‖ s
        const QByteArray input = parts[0] + '.' + parts[1];
        if (!verifier.verify_message(bytes(input), bytes(signature))) {
            return altered(QStringLiteral("the signature does not match"));
        }
    } catch (const std::exception& e) {
        return altered(QStringLiteral("unreadable certificate: %1").arg(QString::fromLatin1(e.what())));
    }
    const QJsonObject p = QJsonDocument::fromJson(payloadJson).object();
    MerchantOrder o;
    o.orderId = p.value(QStringLiteral("orderId")).toString();
    o.merchantId = p.value(QStringLiteral("merchantId")).toString();
    o.merchantName = p.value(QStringLiteral("merchantName")).toString();
    const QString terminal = p.value(QStringLiteral("terminalId")).toString();
    const qint64 fen = p.value(QStringLiteral("amount")).toInteger(-1);
    o.reference = p.value(QStringLiteral("reference")).toString();
    o.description = p.value(QStringLiteral("description")).toString();
    o.state = p.value(QStringLiteral("state")).toString();
    o.expiresAt = QDateTime::fromString(p.value(QStringLiteral("expiresAt")).toString(), Qt::ISODateWithMs);
    o.returnUrl = p.value(QStringLiteral("returnUrl")).toString();
    o.tac = p.value(QStringLiteral("tac")).toString();
    o.cardholderSignatureRequired
        = p.value(QStringLiteral("cardholderSignature")).toString() == QStringLiteral("required");
    static const QRegularExpression digits12(QStringLiteral("^[0-9]{12}$"));
    if (QUuid::fromString(o.orderId).isNull() || o.merchantName.isEmpty() || !digits12.match(terminal).hasMatch()
        || fen <= 0 || fen > 0xFFFFFFFFLL || o.reference.isEmpty() || !o.expiresAt.isValid()
        || p.value(QStringLiteral("currency")).toString() != QStringLiteral("CNY")) {
        return makeError(
            ErrorCode::ProtocolError, QStringLiteral("the bank's signed order is not an order the API describes"));
    }
    o.terminalId = QByteArray::fromHex(terminal.toLatin1());
    o.amount = Amount(static_cast<std::uint32_t>(fen));
    return o;
}

QByteArray cardholderPaymentMessage(const QString& orderId,
    std::uint32_t amountFen,
    const QString& merchantId,
    const QString& terminalIdDigits,
    const QString& asnHex)
{
    return QStringLiteral("smartkey-payment-order/1\norder:%1\namount:%2\nmerchant:%3\nterminal:%4\nasn:%5\n")
        .arg(orderId.toLower(), QString::number(amountFen), merchantId.toLower(), terminalIdDigits, asnHex.toUpper())
        .toUtf8();
}

Result<void> checkPayable(const MerchantOrder& order, const QDateTime& nowUtc)
{
    const QString what = QStringLiteral("the order %1 of %2").arg(order.reference, order.merchantName);
    if (order.state == QStringLiteral("paid")) {
        return makeError(ErrorCode::Declined,
            QStringLiteral("%1 is already paid (TAC %2); nothing was sent to the key").arg(what, order.tac));
    }
    if (order.state == QStringLiteral("checking")) {
        return makeError(ErrorCode::Declined,
            QStringLiteral("%1 has a payment whose outcome is still being checked; it cannot be paid again until "
                           "that is settled (nothing was sent to the key)")
                .arg(what));
    }
    if (order.state == QStringLiteral("cancelled")) {
        return makeError(ErrorCode::Declined,
            QStringLiteral("%1 was cancelled by the merchant; nothing was sent to the key").arg(what));
    }
    if (order.state == QStringLiteral("expired") || nowUtc >= order.expiresAt) {
        return makeError(ErrorCode::Declined,
            QStringLiteral("%1 expired at %2; ask the merchant for a new one (nothing was sent to the key)")
                .arg(what, order.expiresAt.toUTC().toString(Qt::ISODate)));
    }
    if (order.state != QStringLiteral("open")) {
        return makeError(
            ErrorCode::ProtocolError, QStringLiteral("%1 is in an unknown state \"%2\"").arg(what, order.state));
    }
    return {};
}

} // namespace wallet::core
