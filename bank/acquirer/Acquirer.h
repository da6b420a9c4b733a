// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bank/db/PgConnection.h"
#include "bank/hsm/Hsm.h"
#include "bank/issuer/Issuer.h"
#include "bank/server/Reply.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace wallet::bank {

/**
 * @brief The acquirer role (docs/bank.md §1, §9.2, §9.4; API tags `acquirer` and `orders`): the bank as the PSAM of
 * online purchases, merchants' payment orders signed by the bank, and settlement batches of offline kiosks.
 *
 * Like Issuer, every mutating operation runs inside the transaction the idempotency runner opened; a refusal is a
 * problem Reply and its effects are rolled back. Money moves only when a TAC verifies (online: with MAC2 on
 * confirmation; settled: per record): purse float (the key's bucket) → merchant payable, under the natural key
 * `purchase:<terminal>:<TSN>` (a replay cannot post twice). Row locks in one order everywhere: card → purchase →
 * order → TSN row → accounts (ascending id), so our own transactions never deadlock.
 *
 * Keys: MAC1 made and MAC2 verified with `mpk.v<keyVersion>` (SESPK from random ‖ offline ATC ‖ TSN[2..3]); the
 * TAC verified with `mtk.v<keyVersion>` (Hsm::tac, as loads do); orders signed with the EC key `order-signing`.
 */
class Acquirer
{
public:
    /// `orderCertificateDer`: the order-signing certificate (x5c); empty when not set up (getOrder then answers 503).
    Acquirer(Hsm& hsm, CardClock clock, QByteArray orderCertificateDer);

    // Online purchases (tag acquirer).
    [[nodiscard]] Reply authorisePurchase(PgConnection& db, const CallContext& call, const QJsonObject& body);
    [[nodiscard]] Reply confirmPurchase(
        PgConnection& db, const CallContext& call, const QString& purchaseId, const QJsonObject& body);
    [[nodiscard]] Reply abandonPurchase(
        PgConnection& db, const CallContext& call, const QString& purchaseId, const QJsonObject& body);
    [[nodiscard]] Reply getPurchase(PgConnection& db, const CallContext& call, const QString& purchaseId);

    // Settlement (tag acquirer): the whole batch in the runner's one transaction.
    [[nodiscard]] Reply uploadSettlementBatch(
        PgConnection& db, const CallContext& call, const QString& batchId, const QJsonObject& body);
    [[nodiscard]] Reply getSettlementBatch(PgConnection& db, const CallContext& call, const QString& batchId);

    // Orders (tag orders).
    [[nodiscard]] Reply createOrder(PgConnection& db, const CallContext& call, const QJsonObject& body);
    [[nodiscard]] Reply getOrder(PgConnection& db, const CallContext& call, const QString& orderId);
    [[nodiscard]] Reply getOrderByCode(PgConnection& db, const CallContext& call, const QString& shortCode);
    /// Long poll: holds up to `waitSeconds` (0..30) while the state equals `knownState`.
    [[nodiscard]] Reply getOrderStatus(
        PgConnection& db, const CallContext& call, const QString& orderId, int waitSeconds, const QString& knownState);
    [[nodiscard]] Reply cancelOrder(PgConnection& db, const CallContext& call, const QString& orderId);

    // Strict schema checks (400 invalid-field with errors[]).
    [[nodiscard]] static Reply validatePurchase(const QJsonObject& body, const QString& requestId);
    [[nodiscard]] static Reply validatePurchaseConfirmation(const QJsonObject& body, const QString& requestId);
    [[nodiscard]] static Reply validateAbandonment(const QJsonObject& body, const QString& requestId);
    [[nodiscard]] static Reply validateSettlementBatch(const QJsonObject& body, const QString& requestId);
    [[nodiscard]] static Reply validateOrder(const QJsonObject& body, const QString& requestId);
    [[nodiscard]] static Reply validateEmpty(const QJsonObject& body, const QString& requestId);

    /// Crockford base32 short code, normalised (upper case, no hyphen, I/L → 1, O → 0), or empty when malformed.
    [[nodiscard]] static QString normaliseShortCode(const QString& code);

private:
    [[nodiscard]] Reply purchaseReply(PgConnection& db, const QString& purchaseId, int status, const QString& rid);
    /// The order as the API shows it (state `expired` derived), or nullopt when there is no such order.
    [[nodiscard]] Result<std::optional<QJsonObject>> orderJson(PgConnection& db, const QString& orderId);
    [[nodiscard]] Reply signedOrder(PgConnection& db, const CallContext& call, const QString& orderId);
    /// Completes an authorised or abandoned purchase whose MAC2 and TAC verified: the transfer, the card's shadow
    /// balance, and the order (paid; or, if another purchase paid it meanwhile, this one refunded).
    [[nodiscard]] Reply complete(
        PgConnection& db, const CallContext& call, const QString& purchaseId, const QString& mac2, const QString& tac);

    Hsm& m_hsm;
    CardClock m_clock;
    QByteArray m_orderCertificate;
};

} // namespace wallet::bank
