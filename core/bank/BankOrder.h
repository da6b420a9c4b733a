// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "core/purse/Amount.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QString>

namespace wallet::core {

/// A merchant's payment order as the bank signed it (docs/bank-api.yaml `Order`): every field comes from the
/// verified JWS payload, never from the unsigned copy next to it.
struct MerchantOrder
{
    QString orderId;
    QString merchantId;
    QString merchantName;
    QByteArray terminalId; ///< 6 bytes: the merchant's online terminal ID, for INITIALIZE FOR PURCHASE
    Amount amount;
    QString reference;
    QString description;
    QString state; ///< open, checking, paid, expired, cancelled
    QDateTime expiresAt; ///< UTC
    QString returnUrl;
    QString tac; ///< when paid
    /// The bank's policy for the merchant: the payment must carry the cardholder's slot 9A signature.
    bool cardholderSignatureRequired = false;
};

/**
 * The message the cardholder signs with the key's PIV slot 9A to pay `order` from the key `asnHex` (issue 14
 * "Identify the cardholder online", docs/bank-api.yaml `CardholderSignature`): UTF-8 lines `smartkey-payment-order/1`,
 * `order:<id>`, `amount:<fen>`, `merchant:<merchant id>`, `terminal:<12 digits>`, `asn:<16 hex digits>`, each ending
 * in LF. The key signs its SHA-256 (ECDSA-SHA256). The bank builds the same bytes from its own records.
 */
[[nodiscard]] QByteArray cardholderPaymentMessage(const QString& orderId,
    std::uint32_t amountFen,
    const QString& merchantId,
    const QString& terminalIdDigits,
    const QString& asnHex);

/**
 * The API path that fetches what the cardholder gave: `smartkey://pay/<order id>` → `/v1/orders/<id>`, a short
 * code (`K7QM-4XPA`, hyphen optional, any case; Crockford base32) → `/v1/order-codes/<CODE>`. InvalidInput for
 * anything else. `orderId` receives the id of a link (empty for a code).
 */
[[nodiscard]] Result<QString> orderPathOf(const QString& linkOrCode, QString* orderId = nullptr);

/**
 * Checks the bank's `SignedOrder` answer (docs/bank.md §10.2 step 3): `orderJws` is a JWS compact serialization
 * with `alg` ES256, its `x5c[0]` certificate issued (signature-checked) by the pinned bank CA `caDer` and valid now,
 * and the ES256 signature (r ‖ s) over `header.payload` by that certificate's key. Returns the order read from the
 * signed payload. VerificationFailed for a signature, chain or certificate that does not hold (an altered order);
 * ProtocolError for a payload that is not an order.
 */
[[nodiscard]] Result<MerchantOrder> verifySignedOrder(
    const QJsonObject& signedOrder, const QByteArray& caDer, const QDateTime& nowUtc);

/// Refuses an order that cannot be paid, before any APDU: paid, checking (an attempt still unresolved),
/// cancelled, expired (its state or `nowUtc` past `expiresAt`). Declined with the reason.
[[nodiscard]] Result<void> checkPayable(const MerchantOrder& order, const QDateTime& nowUtc);

} // namespace wallet::core
