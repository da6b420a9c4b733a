// SPDX-License-Identifier: Apache-2.0
#include "bank/acquirer/Acquirer.h"

#include "bank/Util.h"
#include "bank/acquirer/OrderSigning.h"
#include "bank/ca/CardholderCa.h"
#include "bank/issuance/LateRecovery.h"
#include "bank/ledger/Ledger.h"
#include "bank/server/JsonRequest.h"

#include "core/crypto/CardCrypto.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QThread>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <set>

namespace wallet::bank {

using core::ErrorCode;

namespace {

constexpr char kTypePurchase = 0x06; // spec §4: transaction type of a purchase
constexpr std::int64_t kDefaultOrderLifetimeSeconds = 900;
const char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

std::string s(const QString& q)
{
    return q.toStdString();
}

QString q(const std::string& v)
{
    return QString::fromStdString(v);
}

QByteArray u32(std::int64_t v)
{
    QByteArray b;
    core::appendU32(b, static_cast<std::uint32_t>(v));
    return b;
}

QByteArray u16(std::int64_t v)
{
    QByteArray b;
    core::appendU16(b, static_cast<std::uint32_t>(v));
    return b;
}

QByteArray unhex(const QString& h)
{
    return QByteArray::fromHex(h.toLatin1());
}

QString masterLabel(const char* prefix, std::int64_t keyVersion)
{
    return QStringLiteral("%1.v%2").arg(QLatin1String(prefix)).arg(keyVersion);
}

/// Spec §5.2: SESPK's seed, random ‖ offline ATC ‖ TSN[2..3].
QByteArray purchaseSeed(const QByteArray& random, std::int64_t atc, std::int64_t tsn)
{
    return random + u16(atc) + u16(tsn & 0xFFFF);
}

/// Spec §5.2: the purchase TAC's input, amount ‖ 06 ‖ terminal ‖ TSN ‖ date ‖ time.
QByteArray tacInput(
    std::int64_t amount, const QString& terminal, std::int64_t tsn, const QString& date, const QString& time)
{
    return u32(amount) + kTypePurchase + bcd(terminal) + u32(tsn) + bcd(date) + bcd(time);
}

Reply unavailable(const core::Error& e, const QString& requestId)
{
    Reply r = Reply::problemOf(503,
        QStringLiteral("unavailable"),
        QStringLiteral("The bank host cannot serve this now"),
        e.code == ErrorCode::CryptoError ? QStringLiteral("The HSM did not answer.")
                                         : QStringLiteral("The ledger database did not answer."),
        QStringLiteral("Retry with the same Idempotency-Key after Retry-After seconds; nothing was committed."),
        requestId);
    r.retryAfter = 1;
    return r;
}

Reply invalidErrors(const std::vector<std::pair<QString, QString>>& errors, const QString& requestId)
{
    return Reply::problemOf(400,
        QStringLiteral("invalid-field"),
        QStringLiteral("A field is outside its allowed form"),
        errors.front().first + QStringLiteral(": ") + errors.front().second,
        QStringLiteral("Correct the field named in errors[]; nothing was changed."),
        requestId,
        {},
        errors);
}

Reply notFound(const QString& what, const QString& requestId)
{
    return Reply::problemOf(404,
        QStringLiteral("not-found"),
        QStringLiteral("No such resource"),
        what,
        QStringLiteral("Check the id; nothing was changed."),
        requestId);
}

Reply unknownCard(const QString& asn, const QString& requestId)
{
    return Reply::problemOf(404,
        QStringLiteral("unknown-card"),
        QStringLiteral("This key was not issued by this bank"),
        QStringLiteral("No card with ASN %1.").arg(asn),
        QStringLiteral("Check that the key belongs to this bank; nothing was charged."),
        requestId);
}

Reply notYourOrder(const QString& orderId, const QString& requestId)
{
    return Reply::problemOf(403,
        QStringLiteral("not-your-order"),
        QStringLiteral("This order belongs to another merchant"),
        QStringLiteral("Order %1 is not this merchant's.").arg(orderId),
        QStringLiteral("Use the merchant credential that created the order; nothing was changed."),
        requestId);
}

/// The order's state as shown: an open order past its expiry is expired (§9.2: expiry stops new attempts only).
QString shownState(const std::string& stored, std::int64_t expiresAt)
{
    if (stored == "open" && nowMicros() >= expiresAt) {
        return QStringLiteral("expired");
    }
    return q(stored);
}

/// Why an order cannot be paid now, or nullopt when it is open.
std::optional<Reply> orderRefusal(const QString& state, const QString& orderId, const QString& rid)
{
    if (state == QLatin1String("open")) {
        return std::nullopt;
    }
    if (state == QLatin1String("paid")) {
        return Reply::problemOf(409,
            QStringLiteral("order-paid"),
            QStringLiteral("This order is paid already"),
            QStringLiteral("Order %1 was paid.").arg(orderId),
            QStringLiteral("Do not pay it again; nothing was charged."),
            rid,
            state);
    }
    if (state == QLatin1String("checking")) {
        return Reply::problemOf(409,
            QStringLiteral("order-checking"),
            QStringLiteral("A payment of this order is being checked"),
            QStringLiteral("Order %1 has a payment attempt whose outcome is not known yet.").arg(orderId),
            QStringLiteral("Finish or abandon that attempt first (reinsert the key that paid); nothing was charged."),
            rid,
            state);
    }
    if (state == QLatin1String("expired")) {
        return Reply::problemOf(410,
            QStringLiteral("order-expired"),
            QStringLiteral("This order has expired"),
            QStringLiteral("Order %1 expired before it was paid.").arg(orderId),
            QStringLiteral("Ask the merchant for a new payment link; nothing was charged."),
            rid,
            state);
    }
    return Reply::problemOf(410,
        QStringLiteral("order-cancelled"),
        QStringLiteral("This order was cancelled"),
        QStringLiteral("The merchant withdrew order %1.").arg(orderId),
        QStringLiteral("Ask the merchant for a new payment link; nothing was charged."),
        rid,
        state);
}

/// The merchant calling with this certificate, or the reply that ends the request.
std::optional<Reply> merchantOf(PgConnection& db, const CallContext& call, std::string& merchantId)
{
    auto m = db.exec("SELECT id FROM merchants WHERE credential = $1", {s(call.terminalId)});
    if (!m) {
        return unavailable(m.error(), call.requestKey);
    }
    if (m->rows() != 1) {
        return Reply::problemOf(403,
            QStringLiteral("role-forbidden"),
            QStringLiteral("No merchant has this credential"),
            QStringLiteral("Certificate %1 is not registered to a merchant.").arg(call.terminalId),
            QStringLiteral("Ask the bank to register the merchant (bankctl merchants add); nothing was changed."),
            call.requestKey);
    }
    merchantId = m->text(0, 0);
    return std::nullopt;
}

QString newShortCode()
{
    const QByteArray r = randomBytes(8);
    QString code;
    for (char c : r) {
        code.append(QLatin1Char(kCrockford[static_cast<unsigned char>(c) % 32]));
    }
    return code;
}

QString displayCode(const std::string& code)
{
    return q(code.substr(0, 4) + "-" + code.substr(4));
}

} // namespace

Acquirer::Acquirer(Hsm& hsm, CardClock clock, QByteArray orderCertificateDer)
    : m_hsm(hsm)
    , m_clock(std::move(clock))
    , m_orderCertificate(std::move(orderCertificateDer))
{ }

// ---- validation ----------------------------------------------------------------------------------------------------

Reply Acquirer::validatePurchase(const QJsonObject& body, const QString& requestId)
{
    JsonRequest j(body,
        {QStringLiteral("asn"),
            QStringLiteral("algorithm"),
            QStringLiteral("keyIndex"),
            QStringLiteral("keyVersion"),
            QStringLiteral("balanceBefore"),
            QStringLiteral("amount"),
            QStringLiteral("offlineAtc"),
            QStringLiteral("random"),
            QStringLiteral("terminalId"),
            QStringLiteral("orderId"),
            QStringLiteral("cardholderSignature")});
    (void)j.hex(QStringLiteral("asn"), 8);
    (void)j.oneOf(QStringLiteral("algorithm"), {QStringLiteral("3des"), QStringLiteral("sm4")});
    (void)j.integer(QStringLiteral("keyIndex"), 1, 255);
    (void)j.integer(QStringLiteral("keyVersion"), 0, 255);
    (void)j.integer(QStringLiteral("balanceBefore"), 0, 4294967295LL);
    (void)j.integer(QStringLiteral("amount"), 1, 4294967295LL);
    (void)j.integer(QStringLiteral("offlineAtc"), 0, 65535);
    (void)j.hex(QStringLiteral("random"), 4);
    (void)j.digits(QStringLiteral("terminalId"), 12);
    if (body.contains(QStringLiteral("orderId"))) {
        (void)j.uuid(QStringLiteral("orderId"));
    }
    std::vector<std::pair<QString, QString>> errors = j.errors();
    if (body.contains(QStringLiteral("cardholderSignature"))) {
        // docs/bank-api.yaml CardholderSignature: the certificate's serial and the DER signature, uppercase hex.
        const QJsonValue v = body.value(QStringLiteral("cardholderSignature"));
        JsonRequest sig(v.toObject(),
            {QStringLiteral("certificateSerial"), QStringLiteral("signature")},
            QStringLiteral("/cardholderSignature"));
        if (!v.isObject()) {
            errors.emplace_back(QStringLiteral("/cardholderSignature"), QStringLiteral("an object"));
        } else {
            (void)sig.hex(QStringLiteral("certificateSerial"), 16);
            errors.insert(errors.end(), sig.errors().begin(), sig.errors().end());
            static const QRegularExpression der(QStringLiteral("^([0-9A-F]{2}){8,72}$"));
            if (!der.match(v.toObject().value(QStringLiteral("signature")).toString()).hasMatch()) {
                errors.emplace_back(QStringLiteral("/cardholderSignature/signature"),
                    QStringLiteral("a DER signature, uppercase hex, 16 to 144 digits"));
            }
        }
    }
    return errors.empty() ? Reply{} : invalidErrors(errors, requestId);
}

Reply Acquirer::validatePurchaseConfirmation(const QJsonObject& body, const QString& requestId)
{
    JsonRequest j(body, {QStringLiteral("mac2"), QStringLiteral("tac"), QStringLiteral("source")});
    (void)j.hex(QStringLiteral("mac2"), 4);
    (void)j.hex(QStringLiteral("tac"), 4);
    (void)j.oneOf(QStringLiteral("source"), {QStringLiteral("debit"), QStringLiteral("prove")});
    return j.ok() ? Reply{} : invalidErrors(j.errors(), requestId);
}

Reply Acquirer::validateAbandonment(const QJsonObject& body, const QString& requestId)
{
    JsonRequest j(body, {QStringLiteral("offlineAtc"), QStringLiteral("balance")});
    (void)j.integer(QStringLiteral("offlineAtc"), 0, 65535);
    (void)j.integer(QStringLiteral("balance"), 0, 4294967295LL);
    return j.ok() ? Reply{} : invalidErrors(j.errors(), requestId);
}

Reply Acquirer::validateEmpty(const QJsonObject& body, const QString& requestId)
{
    JsonRequest j(body, {});
    return j.ok() ? Reply{} : invalidErrors(j.errors(), requestId);
}

Reply Acquirer::validateSettlementBatch(const QJsonObject& body, const QString& requestId)
{
    JsonRequest j(body, {QStringLiteral("terminalId"), QStringLiteral("records")});
    (void)j.digits(QStringLiteral("terminalId"), 12);
    std::vector<std::pair<QString, QString>> errors = j.errors();
    const QJsonValue records = body.value(QStringLiteral("records"));
    if (!records.isArray() || records.toArray().isEmpty() || records.toArray().size() > 10000) {
        errors.emplace_back(QStringLiteral("/records"), QStringLiteral("must be an array of 1 to 10000 records"));
    } else {
        const QJsonArray a = records.toArray();
        for (qsizetype i = 0; i < a.size() && errors.size() < 20; ++i) {
            const QString prefix = QStringLiteral("/records/%1").arg(i);
            if (!a.at(i).isObject()) {
                errors.emplace_back(prefix, QStringLiteral("must be an object"));
                continue;
            }
            const QJsonObject r = a.at(i).toObject();
            // Built once, not per record (10,000 records per batch).
            static const QSet<QString> fields{QStringLiteral("tsn"),
                QStringLiteral("asn"),
                QStringLiteral("algorithm"),
                QStringLiteral("offlineAtc"),
                QStringLiteral("amount"),
                QStringLiteral("date"),
                QStringLiteral("time"),
                QStringLiteral("tac"),
                QStringLiteral("mac2")};
            static const QStringList algorithms{QStringLiteral("3des"), QStringLiteral("sm4")};
            JsonRequest rj(r, fields, prefix);
            (void)rj.integer(QStringLiteral("tsn"), 0, 4294967295LL);
            (void)rj.hex(QStringLiteral("asn"), 8);
            (void)rj.oneOf(QStringLiteral("algorithm"), algorithms);
            (void)rj.integer(QStringLiteral("offlineAtc"), 0, 65535);
            (void)rj.integer(QStringLiteral("amount"), 1, 4294967295LL);
            (void)rj.digits(QStringLiteral("date"), 8);
            (void)rj.digits(QStringLiteral("time"), 6);
            (void)rj.hex(QStringLiteral("tac"), 4);
            if (r.contains(QStringLiteral("mac2"))) {
                (void)rj.hex(QStringLiteral("mac2"), 4);
            }
            errors.insert(errors.end(), rj.errors().begin(), rj.errors().end());
        }
    }
    return errors.empty() ? Reply{} : invalidErrors(errors, requestId);
}

Reply Acquirer::validateOrder(const QJsonObject& body, const QString& requestId)
{
    JsonRequest j(body,
        {QStringLiteral("amount"),
            QStringLiteral("reference"),
            QStringLiteral("description"),
            QStringLiteral("expiresInSeconds"),
            QStringLiteral("returnUrl")});
    (void)j.integer(QStringLiteral("amount"), 1, 4294967295LL);
    if (body.contains(QStringLiteral("expiresInSeconds"))) {
        (void)j.integer(QStringLiteral("expiresInSeconds"), 60, 86400);
    }
    std::vector<std::pair<QString, QString>> errors = j.errors();
    static const QRegularExpression reference(QStringLiteral("^[\\x21-\\x7E]{1,64}$"));
    const QJsonValue ref = body.value(QStringLiteral("reference"));
    if (!ref.isString() || !reference.match(ref.toString()).hasMatch()) {
        errors.emplace_back(QStringLiteral("/reference"), QStringLiteral("1 to 64 printable ASCII characters"));
    }
    if (body.contains(QStringLiteral("description"))) {
        const QJsonValue d = body.value(QStringLiteral("description"));
        if (!d.isString() || d.toString().size() > 140) {
            errors.emplace_back(QStringLiteral("/description"), QStringLiteral("a string of at most 140 characters"));
        }
    }
    if (body.contains(QStringLiteral("returnUrl"))) {
        const QJsonValue u = body.value(QStringLiteral("returnUrl"));
        if (!u.isString() || !u.toString().startsWith(QStringLiteral("https://")) || u.toString().size() > 512
            || u.toString().contains(QLatin1Char(' '))) {
            errors.emplace_back(QStringLiteral("/returnUrl"), QStringLiteral("an https:// URL of at most 512 bytes"));
        }
    }
    return errors.empty() ? Reply{} : invalidErrors(errors, requestId);
}

QString Acquirer::normaliseShortCode(const QString& code)
{
    QString out;
    for (QChar c : code) {
        if (c == QLatin1Char('-')) {
            continue;
        }
        c = c.toUpper();
        if (c == QLatin1Char('I') || c == QLatin1Char('L')) {
            c = QLatin1Char('1');
        } else if (c == QLatin1Char('O')) {
            c = QLatin1Char('0');
        }
        if (c.unicode() > 127 || !std::strchr(kCrockford, static_cast<char>(c.unicode())) || c.isNull()) {
            return {};
        }
        out.append(c);
    }
    return out.size() == 8 ? out : QString();
}

// ---- online purchases ----------------------------------------------------------------------------------------------

Reply Acquirer::authorisePurchase(PgConnection& db, const CallContext& call, const QJsonObject& body)
{
    const QString& rid = call.requestKey;
    const QString asnHex = body.value(QStringLiteral("asn")).toString();
    const QByteArray asn = unhex(asnHex);
    const QString algorithm = body.value(QStringLiteral("algorithm")).toString();
    const qint64 keyVersion = body.value(QStringLiteral("keyVersion")).toInteger();
    const qint64 balanceBefore = body.value(QStringLiteral("balanceBefore")).toInteger();
    const qint64 amount = body.value(QStringLiteral("amount")).toInteger();
    const qint64 atc = body.value(QStringLiteral("offlineAtc")).toInteger();
    const QString randomHex = body.value(QStringLiteral("random")).toString();
    const QString terminal = body.value(QStringLiteral("terminalId")).toString();
    const QString orderId = body.value(QStringLiteral("orderId")).toString();

    // Lock order: the card first (as loads do), then the order, then the terminal's TSN row.
    auto card
        = db.exec("SELECT algorithm, key_version, state, hotlisted FROM cards WHERE asn = $1 FOR UPDATE", {s(asnHex)});
    if (!card) {
        return unavailable(card.error(), rid);
    }
    if (card->rows() != 1) {
        return unknownCard(asnHex, rid);
    }
    if (card->boolean(0, 3) || card->text(0, 2) != "active") {
        return Reply::problemOf(403,
            QStringLiteral("card-hotlisted"),
            QStringLiteral("This key may not pay"),
            QStringLiteral("Key %1 is reported lost or blocked.").arg(asnHex),
            QStringLiteral("The cardholder should contact the bank branch; nothing was charged."),
            rid);
    }
    if (q(card->text(0, 0)) != algorithm || card->integer(0, 1) != keyVersion) {
        return Reply::problemOf(400,
            QStringLiteral("invalid-field"),
            QStringLiteral("A field is outside its allowed form"),
            QStringLiteral("Key %1 was issued with algorithm %2, key version %3.")
                .arg(asnHex, q(card->text(0, 0)))
                .arg(card->integer(0, 1)),
            QStringLiteral("Send the algorithm and key version the key answered in INITIALIZE; nothing was changed."),
            rid,
            {},
            {{QStringLiteral("/keyVersion"), QStringLiteral("does not match the issued key")}});
    }
    std::string merchantId;
    bool signatureRequired = false;
    if (!orderId.isEmpty()) {
        auto o = db.exec("SELECT o.state, o.expires_at, o.amount, o.terminal_id, o.merchant_id, m.cardholder_signature"
                         " FROM orders o JOIN merchants m ON m.id = o.merchant_id WHERE o.id = $1 FOR UPDATE OF o",
            {s(orderId)});
        if (!o) {
            return unavailable(o.error(), rid);
        }
        if (o->rows() != 1) {
            return notFound(QStringLiteral("No order %1.").arg(orderId), rid);
        }
        if (auto refused = orderRefusal(shownState(o->text(0, 0), o->integer(0, 1)), orderId, rid)) {
            return *refused;
        }
        if (o->integer(0, 2) != amount) {
            return Reply::problemOf(422,
                QStringLiteral("amount-mismatch"),
                QStringLiteral("The amount is not the order's"),
                QStringLiteral("Order %1 is for %2 fen; INITIALIZE FOR PURCHASE asked %3 fen.")
                    .arg(orderId)
                    .arg(o->integer(0, 2))
                    .arg(amount),
                QStringLiteral("Send INITIALIZE FOR PURCHASE with the order's amount; nothing was charged."),
                rid);
        }
        if (q(o->text(0, 3)) != terminal) {
            return Reply::problemOf(422,
                QStringLiteral("terminal-id-mismatch"),
                QStringLiteral("The terminal ID is not the order's"),
                QStringLiteral("Order %1 is paid at terminal %2; INITIALIZE FOR PURCHASE used %3.")
                    .arg(orderId, q(o->text(0, 3)), terminal),
                QStringLiteral("Send INITIALIZE FOR PURCHASE with the order's terminal ID; nothing was charged."),
                rid);
        }
        merchantId = o->text(0, 4);
        signatureRequired = o->text(0, 5) == "t";
    } else if (terminal != call.terminalId) {
        return Reply::problemOf(403,
            QStringLiteral("terminal-mismatch"),
            QStringLiteral("The terminal ID is not this terminal's"),
            QStringLiteral("INITIALIZE FOR PURCHASE used terminal %1; this certificate is terminal %2.")
                .arg(terminal, call.terminalId),
            QStringLiteral("Pay an order, or use this terminal's own ID; nothing was charged."),
            rid);
    }
    if (balanceBefore < amount) {
        return Reply::problemOf(422,
            QStringLiteral("insufficient-funds"),
            QStringLiteral("The key does not hold enough"),
            QStringLiteral("Key %1 holds %2 fen; the purchase is %3 fen.").arg(asnHex).arg(balanceBefore).arg(amount),
            QStringLiteral("Load the key first; nothing was charged."),
            rid);
    }
    // Issue 14: the cardholder's slot 9A signature of the order, checked against the certificate this bank issued
    // to the key (valid, not revoked) before anything is persisted or MAC1 is made. Only orders are signed.
    const QJsonValue cardholderSignature = body.value(QStringLiteral("cardholderSignature"));
    if (!cardholderSignature.isUndefined() && orderId.isEmpty()) {
        return Reply::problemOf(400,
            QStringLiteral("invalid-field"),
            QStringLiteral("A field is outside its allowed form"),
            QStringLiteral("A cardholder signature is for a merchant order; this purchase names none."),
            QStringLiteral("Send orderId with the signature, or no signature; nothing was charged."),
            rid,
            {},
            {{QStringLiteral("/cardholderSignature"), QStringLiteral("only with orderId")}});
    }
    if (!orderId.isEmpty()) {
        if (auto refused = CardholderCa::checkPaymentSignature(
                db, asnHex, orderId, amount, q(merchantId), terminal, cardholderSignature, signatureRequired, rid)) {
            return *refused;
        }
    }
    const QString signedBy = cardholderSignature.toObject().value(QStringLiteral("certificateSerial")).toString();
    const QString signatureHex = cardholderSignature.toObject().value(QStringLiteral("signature")).toString();
    // The next TSN of this terminal ID, persisted before MAC1 leaves (§9.2): a TSN is never given twice.
    auto tsnRow = db.exec("UPDATE acquirer_terminals SET next_tsn = next_tsn + 1 WHERE terminal_id = $1 AND"
                          " kind = 'online' RETURNING next_tsn - 1, merchant_id",
        {s(terminal)});
    if (!tsnRow) {
        return unavailable(tsnRow.error(), rid);
    }
    if (tsnRow->rows() != 1) {
        return Reply::problemOf(403,
            QStringLiteral("role-forbidden"),
            QStringLiteral("This terminal takes no online purchases"),
            QStringLiteral("Terminal %1 is not registered to a merchant.").arg(terminal),
            QStringLiteral("Pay a merchant's order, or ask the bank to register this terminal; nothing was charged."),
            rid);
    }
    const std::int64_t tsn = tsnRow->integer(0, 0);
    if (merchantId.empty()) {
        merchantId = tsnRow->text(0, 1);
    }
    const auto [date, time] = m_clock();
    auto mac1 = m_hsm.transactionMac(s(masterLabel("mpk", keyVersion)),
        asn,
        purchaseSeed(unhex(randomHex), atc, tsn),
        u32(amount) + kTypePurchase + bcd(terminal) + bcd(date) + bcd(time));
    if (!mac1) {
        return unavailable(mac1.error(), rid);
    }
    const std::string purchaseId = uuidV7();
    const std::string now = std::to_string(nowMicros());
    auto ins = db.exec("INSERT INTO purchases (id, source, state, terminal_id, tsn, asn, key_version, offline_atc,"
                       " random, amount, balance_before, card_date, card_time, merchant_id, order_id, request_scope,"
                       " created_at, updated_at, cardholder_certificate, cardholder_signature) VALUES ($1, 'online',"
                       " 'authorised', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16, $17)",
        {purchaseId,
            s(terminal),
            std::to_string(tsn),
            s(asnHex),
            std::to_string(keyVersion),
            std::to_string(atc),
            s(randomHex),
            std::to_string(amount),
            std::to_string(balanceBefore),
            s(date),
            s(time),
            merchantId,
            orderId.isEmpty() ? std::nullopt : std::optional<std::string>(s(orderId)),
            s(call.terminalId),
            now,
            signedBy.isEmpty() ? std::nullopt : std::optional<std::string>(s(signedBy)),
            signedBy.isEmpty() ? std::nullopt : std::optional<std::string>(s(signatureHex))});
    if (!ins) {
        return unavailable(ins.error(), rid);
    }
    if (!orderId.isEmpty()) {
        if (auto u = db.exec("UPDATE orders SET state = 'checking', purchase_id = $2, updated_at = $3 WHERE id = $1",
                {s(orderId), purchaseId, now});
            !u) {
            return unavailable(u.error(), rid);
        }
    }
    const QString mac1Hex = hexUpper(*mac1);
    const QString tsnHex = hexUpper(u32(tsn));
    return Reply::json(201,
        QJsonObject{{QStringLiteral("purchaseId"), q(purchaseId)},
            {QStringLiteral("state"), QStringLiteral("authorised")},
            {QStringLiteral("tsn"), static_cast<qint64>(tsn)},
            {QStringLiteral("date"), date},
            {QStringLiteral("time"), time},
            {QStringLiteral("mac1"), mac1Hex},
            {QStringLiteral("debitApdu"),
                QStringLiteral("805401000F") + tsnHex + date + time + mac1Hex + QStringLiteral("08")}},
        "/v1/purchases/" + purchaseId);
}

Reply Acquirer::purchaseReply(PgConnection& db, const QString& purchaseId, int status, const QString& rid)
{
    auto r = db.exec("SELECT p.id, p.state, p.asn, p.terminal_id, p.tsn, p.offline_atc, p.amount, p.card_date,"
                     " p.card_time, p.order_id, m.name, p.tac, p.late_after_abandon, p.transfer_id, p.created_at,"
                     " p.updated_at FROM purchases p JOIN merchants m ON m.id = p.merchant_id WHERE p.id = $1",
        {s(purchaseId)});
    if (!r) {
        return unavailable(r.error(), rid);
    }
    if (r->rows() != 1) {
        return notFound(QStringLiteral("No purchase %1.").arg(purchaseId), rid);
    }
    QJsonObject o{{QStringLiteral("purchaseId"), q(r->text(0, 0))},
        {QStringLiteral("state"), q(r->text(0, 1))},
        {QStringLiteral("asn"), q(r->text(0, 2))},
        {QStringLiteral("terminalId"), q(r->text(0, 3))},
        {QStringLiteral("tsn"), r->integer(0, 4)},
        {QStringLiteral("offlineAtc"), r->integer(0, 5)},
        {QStringLiteral("amount"), r->integer(0, 6)},
        {QStringLiteral("date"), q(r->text(0, 7))},
        {QStringLiteral("time"), q(r->text(0, 8))},
        {QStringLiteral("merchantName"), q(r->text(0, 10))},
        {QStringLiteral("lateAfterAbandon"), r->boolean(0, 12)},
        {QStringLiteral("createdAt"), rfc3339(r->integer(0, 14))},
        {QStringLiteral("updatedAt"), rfc3339(r->integer(0, 15))}};
    if (!r->isNull(0, 9)) {
        o.insert(QStringLiteral("orderId"), q(r->text(0, 9)));
    }
    if (!r->isNull(0, 11)) {
        o.insert(QStringLiteral("tac"), q(r->text(0, 11)));
    }
    if (!r->isNull(0, 13)) {
        o.insert(QStringLiteral("transferId"), q(r->text(0, 13)));
    }
    return Reply::json(status, o);
}

Reply Acquirer::getPurchase(PgConnection& db, const CallContext& call, const QString& purchaseId)
{
    if (call.kind == QLatin1String("merchant")) {
        std::string merchantId;
        if (auto stop = merchantOf(db, call, merchantId)) {
            return *stop;
        }
        auto m = db.exec("SELECT 1 FROM purchases WHERE id = $1 AND merchant_id = $2", {s(purchaseId), merchantId});
        if (!m) {
            return unavailable(m.error(), {});
        }
        if (m->rows() != 1) {
            return notFound(QStringLiteral("No purchase %1 of this merchant.").arg(purchaseId), {});
        }
    } else {
        auto m = db.exec(
            "SELECT 1 FROM purchases WHERE id = $1 AND request_scope = $2", {s(purchaseId), s(call.terminalId)});
        if (!m) {
            return unavailable(m.error(), {});
        }
        if (m->rows() != 1) {
            return notFound(QStringLiteral("No purchase %1 of this terminal.").arg(purchaseId), {});
        }
    }
    return purchaseReply(db, purchaseId, 200, {});
}

Reply Acquirer::confirmPurchase(
    PgConnection& db, const CallContext& call, const QString& purchaseId, const QJsonObject& body)
{
    const QString& rid = call.requestKey;
    const QString mac2Hex = body.value(QStringLiteral("mac2")).toString();
    const QString tacHex = body.value(QStringLiteral("tac")).toString();
    auto head = db.exec("SELECT asn, request_scope, source FROM purchases WHERE id = $1", {s(purchaseId)});
    if (!head) {
        return unavailable(head.error(), rid);
    }
    if (head->rows() != 1 || head->text(0, 2) != "online" || q(head->text(0, 1)) != call.terminalId) {
        return notFound(QStringLiteral("No online purchase %1 of this terminal.").arg(purchaseId), rid);
    }
    const std::string asnHex = head->text(0, 0);
    // Lock order: card, then purchase (then order and accounts inside complete()).
    if (auto c = db.exec("SELECT 1 FROM cards WHERE asn = $1 FOR UPDATE", {asnHex}); !c) {
        return unavailable(c.error(), rid);
    }
    auto p = db.exec("SELECT state, key_version, random, offline_atc, tsn, amount, terminal_id, card_date, card_time,"
                     " tac FROM purchases WHERE id = $1 FOR UPDATE",
        {s(purchaseId)});
    if (!p) {
        return unavailable(p.error(), rid);
    }
    const std::string state = p->text(0, 0);
    const std::int64_t keyVersion = p->integer(0, 1);
    const std::int64_t atc = p->integer(0, 3);
    const std::int64_t tsn = p->integer(0, 4);
    const std::int64_t amount = p->integer(0, 5);
    const QByteArray asn = unhex(q(asnHex));
    // MAC2 over the amount with SESPK (the key's answer to this bank's MAC1), then the TAC with DTK.
    auto mac2 = m_hsm.transactionMac(
        s(masterLabel("mpk", keyVersion)), asn, purchaseSeed(unhex(q(p->text(0, 2))), atc, tsn), u32(amount));
    if (!mac2) {
        return unavailable(mac2.error(), rid);
    }
    if (!core::CardCrypto::macEquals(*mac2, unhex(mac2Hex))) {
        return Reply::problemOf(422,
            QStringLiteral("mac2-invalid"),
            QStringLiteral("MAC2 does not verify"),
            QStringLiteral("MAC2 %1 does not verify for purchase %2; it stays %3.").arg(mac2Hex, purchaseId, q(state)),
            QStringLiteral("Read MAC2 and the TAC again with GET TRANSACTION PROVE and send them unchanged."),
            rid,
            q(state));
    }
    auto tac = m_hsm.tac(s(masterLabel("mtk", keyVersion)),
        asn,
        tacInput(amount, q(p->text(0, 6)), tsn, q(p->text(0, 7)), q(p->text(0, 8))));
    if (!tac) {
        return unavailable(tac.error(), rid);
    }
    if (!core::CardCrypto::macEquals(*tac, unhex(tacHex))) {
        return Reply::problemOf(422,
            QStringLiteral("tac-invalid"),
            QStringLiteral("The TAC does not verify"),
            QStringLiteral("TAC %1 does not verify for purchase %2; it stays %3.").arg(tacHex, purchaseId, q(state)),
            QStringLiteral("Read the TAC again with GET TRANSACTION PROVE and send it unchanged."),
            rid,
            q(state));
    }
    if (state == "completed") {
        return purchaseReply(db, purchaseId, 200, rid); // the receipt again: the money moved once
    }
    return complete(db, call, purchaseId, mac2Hex, tacHex);
}

Reply Acquirer::complete(
    PgConnection& db, const CallContext& call, const QString& purchaseId, const QString& mac2, const QString& tac)
{
    const QString& rid = call.requestKey;
    auto p = db.exec("SELECT p.state, p.asn, p.amount, p.terminal_id, p.tsn, p.order_id, m.account_id, c.account_id"
                     " FROM purchases p JOIN merchants m ON m.id = p.merchant_id JOIN cards c ON c.asn = p.asn"
                     " WHERE p.id = $1",
        {s(purchaseId)});
    if (!p) {
        return unavailable(p.error(), rid);
    }
    const bool wasAbandoned = p->text(0, 0) == "abandoned";
    const std::string asnHex = p->text(0, 1);
    const std::int64_t amount = p->integer(0, 2);
    const std::string merchantAccount = p->text(0, 6);
    std::optional<std::string> orderId;
    bool refund = false;
    const std::string now = std::to_string(nowMicros());
    if (!p->isNull(0, 5)) {
        orderId = p->text(0, 5);
        auto o = db.exec("SELECT state, purchase_id FROM orders WHERE id = $1 FOR UPDATE", {*orderId});
        if (!o) {
            return unavailable(o.error(), rid);
        }
        const std::string oState = o->text(0, 0);
        // §9.2: an order is never paid twice. A late TAC of an abandoned attempt, when another attempt paid the
        // order or the merchant withdrew it, completes the purchase (the key's proof) and refunds the cardholder.
        refund = oState == "cancelled" || (oState == "paid" && o->text(0, 1) != s(purchaseId));
        if (!refund) {
            if (auto u = db.exec("UPDATE orders SET state = 'paid', purchase_id = $2, paid_at = $3, updated_at = $3"
                                 " WHERE id = $1",
                    {*orderId, s(purchaseId), now});
                !u) {
                return unavailable(u.error(), rid);
            }
        }
    }
    auto floatAccount = Ledger::floatAccount(db, unhex(q(asnHex)));
    if (!floatAccount) {
        return unavailable(floatAccount.error(), rid);
    }
    TransferSpec t;
    t.kind = "purchase";
    t.debitAccount = *floatAccount;
    t.creditAccount = merchantAccount;
    t.amount = amount;
    t.naturalKey = "purchase:" + p->text(0, 3) + ":" + p->text(0, 4);
    t.requestScope = s(call.terminalId);
    t.requestKey = s(call.requestKey);
    // A closed (replaced) card's late confirmation: its float share refilled first (LateRecovery.h).
    if (auto r = LateRecovery::beforePosting(db, call, {{asnHex, p->text(0, 3), p->integer(0, 4), amount}}); !r) {
        return unavailable(r.error(), rid);
    }
    auto transfer = Ledger::transfer(db, t);
    if (!transfer) {
        return unavailable(transfer.error(), rid);
    }
    std::optional<std::string> refundTransfer;
    if (refund) {
        TransferSpec r = t;
        r.kind = "refund";
        r.debitAccount = merchantAccount;
        r.creditAccount = p->text(0, 7);
        r.naturalKey = "refund:" + s(purchaseId);
        auto rt = Ledger::transfer(db, r);
        if (!rt) {
            return unavailable(rt.error(), rid);
        }
        refundTransfer = *rt;
    }
    if (auto u = db.exec("UPDATE purchases SET state = 'completed', mac2 = $2, tac = $3, transfer_id = $4,"
                         " refund_transfer_id = $5, late_after_abandon = $6, updated_at = $7 WHERE id = $1",
            {s(purchaseId), s(mac2), s(tac), *transfer, refundTransfer, wasAbandoned ? "true" : "false", now});
        !u) {
        return unavailable(u.error(), rid);
    }
    if (auto u = db.exec(
            "UPDATE cards SET shadow_balance = shadow_balance - $2 WHERE asn = $1", {asnHex, std::to_string(amount)});
        !u) {
        return unavailable(u.error(), rid);
    }
    return purchaseReply(db, purchaseId, 200, rid);
}

Reply Acquirer::abandonPurchase(
    PgConnection& db, const CallContext& call, const QString& purchaseId, const QJsonObject& body)
{
    const QString& rid = call.requestKey;
    const qint64 atcNow = body.value(QStringLiteral("offlineAtc")).toInteger();
    auto head = db.exec("SELECT asn, request_scope, source FROM purchases WHERE id = $1", {s(purchaseId)});
    if (!head) {
        return unavailable(head.error(), rid);
    }
    if (head->rows() != 1 || head->text(0, 2) != "online" || q(head->text(0, 1)) != call.terminalId) {
        return notFound(QStringLiteral("No online purchase %1 of this terminal.").arg(purchaseId), rid);
    }
    if (auto c = db.exec("SELECT 1 FROM cards WHERE asn = $1 FOR UPDATE", {head->text(0, 0)}); !c) {
        return unavailable(c.error(), rid);
    }
    auto p = db.exec("SELECT state, offline_atc, order_id FROM purchases WHERE id = $1 FOR UPDATE", {s(purchaseId)});
    if (!p) {
        return unavailable(p.error(), rid);
    }
    const std::string state = p->text(0, 0);
    const std::int64_t atc = p->integer(0, 1);
    if (state == "abandoned") {
        return purchaseReply(db, purchaseId, 200, rid);
    }
    if (state == "completed") {
        return Reply::problemOf(409,
            QStringLiteral("state-conflict"),
            QStringLiteral("This purchase is completed"),
            QStringLiteral("Purchase %1 was completed with a verified TAC.").arg(purchaseId),
            QStringLiteral("Show the receipt; the key paid."),
            rid,
            QStringLiteral("completed"));
    }
    if (atcNow > atc) {
        return Reply::problemOf(409,
            QStringLiteral("purchase-happened"),
            QStringLiteral("The key's offline ATC moved: it paid"),
            QStringLiteral("The key shows offline ATC %1 > %2 of purchase %3.").arg(atcNow).arg(atc).arg(purchaseId),
            QStringLiteral("Read MAC2 and the TAC with GET TRANSACTION PROVE and confirm the purchase."),
            rid,
            QStringLiteral("authorised"));
    }
    if (atcNow < atc) {
        return Reply::problemOf(422,
            QStringLiteral("invalid-field"),
            QStringLiteral("The key's offline ATC is below this purchase's"),
            QStringLiteral("The key shows offline ATC %1, below the purchase's %2.").arg(atcNow).arg(atc),
            QStringLiteral("Check that the key in the reader is the key of this purchase; nothing was changed."),
            rid,
            {},
            {{QStringLiteral("/offlineAtc"), QStringLiteral("below the purchase's offline ATC")}});
    }
    const std::string now = std::to_string(nowMicros());
    if (auto u
        = db.exec("UPDATE purchases SET state = 'abandoned', updated_at = $2 WHERE id = $1", {s(purchaseId), now});
        !u) {
        return unavailable(u.error(), rid);
    }
    if (!p->isNull(0, 2)) {
        // The order is open again only if this attempt was the one being checked.
        if (auto u = db.exec("UPDATE orders SET state = 'open', purchase_id = NULL, updated_at = $3 WHERE id = $1"
                             " AND state = 'checking' AND purchase_id = $2",
                {p->text(0, 2), s(purchaseId), now});
            !u) {
            return unavailable(u.error(), rid);
        }
    }
    return purchaseReply(db, purchaseId, 200, rid);
}

// ---- settlement ----------------------------------------------------------------------------------------------------

Reply Acquirer::uploadSettlementBatch(
    PgConnection& db, const CallContext& call, const QString& batchId, const QJsonObject& body)
{
    const QString& rid = call.requestKey;
    const QString terminal = body.value(QStringLiteral("terminalId")).toString();
    const QJsonArray records = body.value(QStringLiteral("records")).toArray();
    auto t = db.exec("SELECT merchant_id, kiosk, kind FROM acquirer_terminals WHERE terminal_id = $1", {s(terminal)});
    if (!t) {
        return unavailable(t.error(), rid);
    }
    if (t->rows() != 1 || t->text(0, 2) != "psam" || q(t->text(0, 1)) != call.terminalId) {
        return Reply::problemOf(403,
            QStringLiteral("terminal-mismatch"),
            QStringLiteral("This PSAM is not this kiosk's"),
            QStringLiteral("Terminal %1 is not registered to kiosk %2.").arg(terminal, call.terminalId),
            QStringLiteral("Upload the batch from the kiosk that holds this PSAM; nothing was posted."),
            rid);
    }
    const std::string merchantId = t->text(0, 0);
    const std::string hash
        = sha256Hex(QJsonDocument(body).toJson(QJsonDocument::Compact).toStdString() + "\n" + s(call.terminalId));
    const std::int64_t receivedAt = nowMicros();
    // Claim the batch ID first (a concurrent upload of the same batch waits here for the first one).
    auto claim = db.exec("INSERT INTO settlement_batches (id, kiosk, terminal_id, content_hash, record_count, accepted,"
                         " duplicates, rejected, accepted_amount, result, received_at) VALUES ($1, $2, $3, $4, $5, 0,"
                         " 0, 0, 0, '', $6) ON CONFLICT DO NOTHING RETURNING 1",
        {s(batchId),
            s(call.terminalId),
            s(terminal),
            hash,
            std::to_string(records.size()),
            std::to_string(receivedAt)});
    if (!claim) {
        return unavailable(claim.error(), rid);
    }
    if (claim->rows() == 0) {
        auto b = db.exec("SELECT content_hash, result FROM settlement_batches WHERE id = $1", {s(batchId)});
        if (!b) {
            return unavailable(b.error(), rid);
        }
        if (b->rows() == 1 && b->text(0, 0) == hash) {
            Reply r;
            r.status = 200;
            r.body = QByteArray::fromStdString(b->text(0, 1));
            return r; // §9.4: the same batch again answers its first result; nothing is posted twice
        }
        return Reply::problemOf(409,
            QStringLiteral("batch-conflict"),
            QStringLiteral("This batch ID was used for other records"),
            QStringLiteral("Batch %1 was uploaded with different records.").arg(batchId),
            QStringLiteral("Give a new batch a new batch ID; nothing was posted."),
            rid);
    }
    auto m = db.exec("SELECT account_id FROM merchants WHERE id = $1", {merchantId});
    if (!m || m->rows() != 1) {
        return unavailable(m ? core::makeError(ErrorCode::StorageError, QStringLiteral("merchant")) : m.error(), rid);
    }
    const std::string merchantAccount = m->text(0, 0);

    // Lock the cards (ascending ASN), then every account this batch moves (ascending id), before any posting.
    std::set<std::string> asns;
    for (const auto& v : records) {
        asns.insert(s(v.toObject().value(QStringLiteral("asn")).toString()));
    }
    std::string asnArray = "{";
    for (const auto& a : asns) {
        asnArray += (asnArray.size() > 1 ? "," : "") + a;
    }
    asnArray += "}";
    auto cards = db.exec("SELECT asn, key_version, algorithm FROM cards WHERE asn = ANY($1::text[]) ORDER BY asn"
                         " FOR UPDATE",
        {asnArray});
    if (!cards) {
        return unavailable(cards.error(), rid);
    }
    std::map<std::string, std::pair<std::int64_t, std::string>> cardInfo;
    std::map<std::string, std::string> floatOf;
    std::string accountArray = "{" + merchantAccount;
    for (int i = 0; i < cards->rows(); ++i) {
        const std::string asn = cards->text(i, 0);
        cardInfo[asn] = {cards->integer(i, 1), cards->text(i, 2)};
        auto f = Ledger::floatAccount(db, unhex(q(asn)));
        if (!f) {
            return unavailable(f.error(), rid);
        }
        floatOf[asn] = *f;
        accountArray += "," + *f;
    }
    accountArray += "}";
    if (auto l = db.exec("SELECT id FROM accounts WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE", {accountArray});
        !l) {
        return unavailable(l.error(), rid);
    }

    // Verifying 10,000 TACs in the token takes longer than the session's idle-in-transaction limit (10 s, §7.3)
    // while no statement runs: this transaction alone may stay open up to 2 minutes.
    if (auto l = db.exec("SET LOCAL idle_in_transaction_session_timeout = '120s'"); !l) {
        return unavailable(l.error(), rid);
    }
    // The sales of this terminal already posted that this batch names: one query, not one per record.
    std::string tsnArray = "{";
    for (const auto& v : records) {
        tsnArray
            += (tsnArray.size() > 1 ? "," : "") + std::to_string(v.toObject().value(QStringLiteral("tsn")).toInteger());
    }
    tsnArray += "}";
    struct Sale
    {
        std::string asn;
        std::int64_t amount = 0;
        std::int64_t atc = 0;
        std::string date;
        std::string time;
        std::string tac;
        bool operator==(const Sale&) const = default;
    };
    std::map<std::int64_t, Sale> known;
    auto posted = db.exec("SELECT tsn, asn, amount, offline_atc, card_date, card_time, COALESCE(tac, '') FROM purchases"
                          " WHERE terminal_id = $1 AND tsn = ANY($2::bigint[])",
        {s(terminal), tsnArray});
    if (!posted) {
        return unavailable(posted.error(), rid);
    }
    for (int i = 0; i < posted->rows(); ++i) {
        known[posted->integer(i, 0)] = Sale{posted->text(i, 1),
            posted->integer(i, 2),
            posted->integer(i, 3),
            posted->text(i, 4),
            posted->text(i, 5),
            posted->text(i, 6)};
    }

    int accepted = 0;
    int duplicates = 0;
    std::int64_t acceptedAmount = 0;
    QJsonArray rejected;
    const std::string now = std::to_string(receivedAt);
    // The verified records, posted after the loop: one transfer per float bucket (natural key settlement:<batch>:
    // <float account>), every purchase row in one INSERT; the purchases' UNIQUE (terminal, TSN) is the natural key.
    struct Posting
    {
        std::int64_t tsn = 0;
        Sale sale;
        std::int64_t keyVersion = 0;
        std::optional<std::string> mac2;
        std::string floatAccount;
    };
    std::vector<Posting> postings;
    std::map<std::string, std::int64_t> perFloat;
    std::map<std::string, std::int64_t> perCard;
    std::map<std::string, core::SecureBytes> tacKeys; // wiped when the batch is done
    for (const auto& v : records) {
        const QJsonObject r = v.toObject();
        const std::int64_t tsn = r.value(QStringLiteral("tsn")).toInteger();
        const QString asnHex = r.value(QStringLiteral("asn")).toString();
        const std::int64_t atc = r.value(QStringLiteral("offlineAtc")).toInteger();
        const std::int64_t amount = r.value(QStringLiteral("amount")).toInteger();
        const QString date = r.value(QStringLiteral("date")).toString();
        const QString time = r.value(QStringLiteral("time")).toString();
        const QString tacHex = r.value(QStringLiteral("tac")).toString();
        auto reject = [&](const QString& code, const QString& detail) -> std::optional<Reply> {
            rejected.append(QJsonObject{{QStringLiteral("tsn"), static_cast<qint64>(tsn)},
                {QStringLiteral("code"), code},
                {QStringLiteral("detail"), detail}});
            auto e = db.exec("INSERT INTO settlement_exceptions (batch_id, tsn, code, detail, record, created_at)"
                             " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                {s(batchId),
                    std::to_string(tsn),
                    s(code),
                    s(detail),
                    QJsonDocument(r).toJson(QJsonDocument::Compact).toStdString(),
                    now});
            if (!e) {
                return unavailable(e.error(), rid);
            }
            return std::nullopt;
        };
        const auto card = cardInfo.find(s(asnHex));
        if (card == cardInfo.end()) {
            if (auto stop
                = reject(QStringLiteral("unknown-card"), QStringLiteral("No card with ASN %1.").arg(asnHex))) {
                return *stop;
            }
            continue;
        }
        const Sale sale{s(asnHex), amount, atc, s(date), s(time), s(tacHex)};
        if (const auto k = known.find(tsn); k != known.end()) {
            if (k->second == sale) {
                ++duplicates;
            } else if (auto stop
                = reject(QStringLiteral("record-conflict"),
                    QStringLiteral("TSN %1 of terminal %2 was posted with other content.").arg(tsn).arg(terminal))) {
                return *stop;
            }
            continue;
        }
        // One TAC key per card and batch (derived in the token once), every record's TAC still verified.
        auto key = tacKeys.find(card->first);
        if (key == tacKeys.end()) {
            auto k = m_hsm.tacKey(s(masterLabel("mtk", card->second.first)), unhex(asnHex));
            if (!k) {
                return unavailable(k.error(), rid);
            }
            key = tacKeys.emplace(card->first, std::move(*k)).first;
        }
        auto tac = core::CardCrypto::desMac(key->second, tacInput(amount, terminal, tsn, date, time));
        if (!tac) {
            return unavailable(tac.error(), rid);
        }
        if (q(card->second.second) != r.value(QStringLiteral("algorithm")).toString()
            || !core::CardCrypto::macEquals(*tac, unhex(tacHex))) {
            if (auto stop = reject(QStringLiteral("tac-invalid"),
                    QStringLiteral("TAC %1 does not verify for ASN %2, TSN %3.").arg(tacHex, asnHex).arg(tsn))) {
                return *stop;
            }
            continue;
        }
        known[tsn] = sale; // the same sale twice in one batch is a duplicate, not a second posting
        const std::string floatAccount = floatOf[s(asnHex)];
        postings.push_back(Posting{tsn,
            sale,
            card->second.first,
            r.contains(QStringLiteral("mac2"))
                ? std::optional<std::string>(s(r.value(QStringLiteral("mac2")).toString()))
                : std::nullopt,
            floatAccount});
        perFloat[floatAccount] += amount;
        perCard[s(asnHex)] += amount;
        ++accepted;
        acceptedAmount += amount;
    }
    std::vector<PostedPurchase> sold; // a closed (replaced) card's late sales: its float share refilled first
    for (const auto& p : postings) {
        sold.push_back({p.sale.asn, s(terminal), p.tsn, p.sale.amount});
    }
    if (auto r = LateRecovery::beforePosting(db, call, sold); !r) {
        return unavailable(r.error(), rid);
    }
    std::map<std::string, std::string> transferOf;
    for (const auto& [floatAccount, total] : perFloat) {
        TransferSpec tr;
        tr.kind = "settlement";
        tr.debitAccount = floatAccount;
        tr.creditAccount = merchantAccount;
        tr.amount = total;
        tr.naturalKey = "settlement:" + s(batchId) + ":" + floatAccount;
        tr.requestScope = s(call.terminalId);
        tr.requestKey = s(call.requestKey);
        auto transfer = Ledger::transfer(db, tr);
        if (!transfer) {
            return unavailable(transfer.error(), rid);
        }
        transferOf[floatAccount] = *transfer;
    }
    if (!postings.empty() && db.sqlite()) {
        // SQLite has no unnest: one INSERT per sale, in this same transaction (a prepared statement; no network).
        for (const auto& p : postings) {
            auto ins = db.exec("INSERT INTO purchases (id, source, state, terminal_id, tsn, asn, key_version,"
                               " offline_atc, amount, card_date, card_time, merchant_id, mac2, tac, transfer_id,"
                               " batch_id, request_scope, created_at, updated_at) VALUES ($1, 'settlement',"
                               " 'completed', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)",
                {uuidV7(),
                    s(terminal),
                    std::to_string(p.tsn),
                    p.sale.asn,
                    std::to_string(p.keyVersion),
                    std::to_string(p.sale.atc),
                    std::to_string(p.sale.amount),
                    p.sale.date,
                    p.sale.time,
                    merchantId,
                    p.mac2,
                    p.sale.tac,
                    transferOf[p.floatAccount],
                    s(batchId),
                    s(call.terminalId),
                    now});
            if (!ins) {
                return unavailable(ins.error(), rid);
            }
        }
    } else if (!postings.empty()) {
        // Array literals of validated values only (UUIDs, digits, upper-case hex): nothing needs quoting.
        std::string ids, tsns, asnList, kvs, atcs, amounts, dates, times, mac2s, tacs, transfers;
        for (const auto& p : postings) {
            const char* sep = ids.empty() ? "" : ",";
            ids += sep + uuidV7();
            tsns += sep + std::to_string(p.tsn);
            asnList += sep + p.sale.asn;
            kvs += sep + std::to_string(p.keyVersion);
            atcs += sep + std::to_string(p.sale.atc);
            amounts += sep + std::to_string(p.sale.amount);
            dates += sep + p.sale.date;
            times += sep + p.sale.time;
            mac2s += sep + p.mac2.value_or("NULL");
            tacs += sep + p.sale.tac;
            transfers += sep + transferOf[p.floatAccount];
        }
        auto arr = [](const std::string& a) { return "{" + a + "}"; };
        auto ins
            = db.exec("INSERT INTO purchases (id, source, state, terminal_id, tsn, asn, key_version, offline_atc,"
                      " amount, card_date, card_time, merchant_id, mac2, tac, transfer_id, batch_id, request_scope,"
                      " created_at, updated_at) SELECT u.id, 'settlement', 'completed', $1, u.tsn, u.asn, u.kv,"
                      " u.atc, u.amount, u.d, u.t, $2, u.mac2, u.tac, u.tr, $3, $4, $5, $5 FROM unnest($6::uuid[],"
                      " $7::bigint[], $8::text[], $9::int[], $10::int[], $11::bigint[], $12::text[], $13::text[],"
                      " $14::text[], $15::text[], $16::uuid[]) AS u(id, tsn, asn, kv, atc, amount, d, t, mac2, tac,"
                      " tr)",
                {s(terminal),
                    merchantId,
                    s(batchId),
                    s(call.terminalId),
                    now,
                    arr(ids),
                    arr(tsns),
                    arr(asnList),
                    arr(kvs),
                    arr(atcs),
                    arr(amounts),
                    arr(dates),
                    arr(times),
                    arr(mac2s),
                    arr(tacs),
                    arr(transfers)});
        if (!ins) {
            return unavailable(ins.error(), rid);
        }
    }
    for (const auto& [asn, total] : perCard) {
        if (auto u = db.exec(
                "UPDATE cards SET shadow_balance = shadow_balance - $2 WHERE asn = $1", {asn, std::to_string(total)});
            !u) {
            return unavailable(u.error(), rid);
        }
    }
    const QJsonObject result{{QStringLiteral("batchId"), batchId},
        {QStringLiteral("terminalId"), terminal},
        {QStringLiteral("receivedAt"), rfc3339(receivedAt)},
        {QStringLiteral("recordCount"), static_cast<qint64>(records.size())},
        {QStringLiteral("accepted"), accepted},
        {QStringLiteral("duplicates"), duplicates},
        {QStringLiteral("rejected"), rejected},
        {QStringLiteral("acceptedAmount"), static_cast<qint64>(acceptedAmount)}};
    Reply reply = Reply::json(200, result);
    if (auto u = db.exec("UPDATE settlement_batches SET accepted = $2, duplicates = $3, rejected = $4,"
                         " accepted_amount = $5, result = $6 WHERE id = $1",
            {s(batchId),
                std::to_string(accepted),
                std::to_string(duplicates),
                std::to_string(rejected.size()),
                std::to_string(acceptedAmount),
                reply.body.toStdString()});
        !u) {
        return unavailable(u.error(), rid);
    }
    return reply;
}

Reply Acquirer::getSettlementBatch(PgConnection& db, const CallContext& call, const QString& batchId)
{
    auto b = db.exec(
        "SELECT result FROM settlement_batches WHERE id = $1 AND kiosk = $2", {s(batchId), s(call.terminalId)});
    if (!b) {
        return unavailable(b.error(), {});
    }
    if (b->rows() != 1) {
        return notFound(QStringLiteral("No settlement batch %1 of this kiosk.").arg(batchId), {});
    }
    Reply r;
    r.body = QByteArray::fromStdString(b->text(0, 0));
    return r;
}

// ---- orders --------------------------------------------------------------------------------------------------------

Result<std::optional<QJsonObject>> Acquirer::orderJson(PgConnection& db, const QString& orderId)
{
    auto r = db.exec(
        "SELECT o.id, o.merchant_id, m.name, o.terminal_id, o.amount, o.reference, o.description,"
        " o.state, o.created_at, o.expires_at, o.short_code, o.return_url, o.paid_at, o.purchase_id,"
        " p.tac, m.cardholder_signature FROM orders o JOIN merchants m ON m.id = o.merchant_id LEFT JOIN purchases p ON"
        " p.id = o.purchase_id WHERE o.id = $1",
        {s(orderId)});
    if (!r) {
        return r.error();
    }
    if (r->rows() != 1) {
        return std::optional<QJsonObject>();
    }
    const QString state = shownState(r->text(0, 7), r->integer(0, 9));
    QJsonObject o{{QStringLiteral("orderId"), q(r->text(0, 0))},
        {QStringLiteral("merchantId"), q(r->text(0, 1))},
        {QStringLiteral("merchantName"), q(r->text(0, 2))},
        {QStringLiteral("terminalId"), q(r->text(0, 3))},
        {QStringLiteral("amount"), r->integer(0, 4)},
        {QStringLiteral("currency"), QStringLiteral("CNY")},
        {QStringLiteral("reference"), q(r->text(0, 5))},
        {QStringLiteral("state"), state},
        {QStringLiteral("createdAt"), rfc3339(r->integer(0, 8))},
        {QStringLiteral("expiresAt"), rfc3339(r->integer(0, 9))},
        {QStringLiteral("paymentLink"), QStringLiteral("smartkey://pay/") + q(r->text(0, 0))},
        {QStringLiteral("shortCode"), displayCode(r->text(0, 10))},
        {QStringLiteral("cardholderSignature"),
            r->text(0, 15) == "t" ? QStringLiteral("required") : QStringLiteral("optional")}};
    if (!r->isNull(0, 6)) {
        o.insert(QStringLiteral("description"), q(r->text(0, 6)));
    }
    if (!r->isNull(0, 11)) {
        o.insert(QStringLiteral("returnUrl"), q(r->text(0, 11)));
    }
    if (state == QLatin1String("paid")) {
        o.insert(QStringLiteral("paidAt"), rfc3339(r->integer(0, 12)));
        o.insert(QStringLiteral("purchaseId"), q(r->text(0, 13)));
        o.insert(QStringLiteral("tac"), q(r->text(0, 14)));
    }
    return std::optional<QJsonObject>(o);
}

Reply Acquirer::createOrder(PgConnection& db, const CallContext& call, const QJsonObject& body)
{
    const QString& rid = call.requestKey;
    std::string merchantId;
    if (auto stop = merchantOf(db, call, merchantId)) {
        return *stop;
    }
    auto t = db.exec("SELECT terminal_id FROM acquirer_terminals WHERE merchant_id = $1 AND kind = 'online'"
                     " ORDER BY created_at LIMIT 1",
        {merchantId});
    if (!t) {
        return unavailable(t.error(), rid);
    }
    if (t->rows() != 1) {
        return Reply::problemOf(403,
            QStringLiteral("role-forbidden"),
            QStringLiteral("This merchant has no online terminal ID"),
            QStringLiteral("Merchant %1 takes no online payments.").arg(q(merchantId)),
            QStringLiteral("Ask the bank to register an online terminal ID for the merchant; nothing was changed."),
            rid);
    }
    const qint64 amount = body.value(QStringLiteral("amount")).toInteger();
    const QString reference = body.value(QStringLiteral("reference")).toString();
    const std::optional<std::string> description = body.contains(QStringLiteral("description"))
        ? std::optional<std::string>(s(body.value(QStringLiteral("description")).toString()))
        : std::nullopt;
    const std::optional<std::string> returnUrl = body.contains(QStringLiteral("returnUrl"))
        ? std::optional<std::string>(s(body.value(QStringLiteral("returnUrl")).toString()))
        : std::nullopt;
    const qint64 lifetime = body.contains(QStringLiteral("expiresInSeconds"))
        ? body.value(QStringLiteral("expiresInSeconds")).toInteger()
        : kDefaultOrderLifetimeSeconds;
    const std::int64_t now = nowMicros();
    const std::string id = uuidV7();
    // The merchant's reference is unique per merchant: claim it; the same reference again answers the existing order.
    std::optional<Reply> inserted;
    for (int attempt = 0; attempt < 5 && !inserted; ++attempt) {
        auto ins = db.exec("INSERT INTO orders (id, merchant_id, terminal_id, reference, amount, description,"
                           " return_url, short_code, state, created_at, expires_at, updated_at) VALUES ($1, $2, $3,"
                           " $4, $5, $6, $7, $8, 'open', $9, $10, $9) ON CONFLICT (merchant_id, reference) DO NOTHING"
                           " RETURNING 1",
            {id,
                merchantId,
                t->text(0, 0),
                s(reference),
                std::to_string(amount),
                description,
                returnUrl,
                s(newShortCode()),
                std::to_string(now),
                std::to_string(now + lifetime * 1000 * 1000)});
        if (!ins) {
            // Also a short-code collision (1 in 2^40): 503, and the merchant's retry draws a new code.
            return unavailable(ins.error(), rid);
        }
        if (ins->rows() == 1) {
            auto o = orderJson(db, q(id));
            if (!o || !*o) {
                return unavailable(
                    o ? core::makeError(ErrorCode::StorageError, QStringLiteral("order")) : o.error(), rid);
            }
            inserted = Reply::json(201, **o, "/v1/orders/" + id);
            break;
        }
        auto ex = db.exec("SELECT id, amount, description, return_url FROM orders WHERE merchant_id = $1 AND"
                          " reference = $2",
            {merchantId, s(reference)});
        if (!ex) {
            return unavailable(ex.error(), rid);
        }
        if (ex->rows() != 1) {
            continue;
        }
        const bool same = ex->integer(0, 1) == amount
            && (ex->isNull(0, 2) ? !description.has_value() : description == ex->text(0, 2))
            && (ex->isNull(0, 3) ? !returnUrl.has_value() : returnUrl == ex->text(0, 3));
        if (!same) {
            return Reply::problemOf(409,
                QStringLiteral("order-reference-conflict"),
                QStringLiteral("This reference names another order"),
                QStringLiteral("Reference %1 was used for an order with other content.").arg(reference),
                QStringLiteral("Use a new reference for a new order; nothing was changed."),
                rid);
        }
        auto o = orderJson(db, q(ex->text(0, 0)));
        if (!o || !*o) {
            return unavailable(o ? core::makeError(ErrorCode::StorageError, QStringLiteral("order")) : o.error(), rid);
        }
        inserted = Reply::json(200, **o);
    }
    if (!inserted) {
        return unavailable(core::makeError(ErrorCode::StorageError, QStringLiteral("order")), rid);
    }
    return *inserted;
}

Reply Acquirer::signedOrder(PgConnection& db, const CallContext& call, const QString& orderId)
{
    auto o = orderJson(db, orderId);
    if (!o) {
        return unavailable(o.error(), {});
    }
    if (!*o) {
        return notFound(QStringLiteral("No order %1.").arg(orderId), {});
    }
    if (call.kind == QLatin1String("merchant")) {
        std::string merchantId;
        if (auto stop = merchantOf(db, call, merchantId)) {
            return *stop;
        }
        if (s((*o)->value(QStringLiteral("merchantId")).toString()) != merchantId) {
            return notYourOrder(orderId, {});
        }
    }
    if (m_orderCertificate.isEmpty()) {
        return unavailable(core::makeError(ErrorCode::CryptoError, QStringLiteral("no order-signing certificate")), {});
    }
    QJsonObject payload = **o;
    payload.insert(QStringLiteral("iat"), static_cast<qint64>(nowMicros() / 1000000));
    auto jws = OrderSigning::sign(m_hsm, m_orderCertificate, payload);
    if (!jws) {
        return unavailable(jws.error(), {});
    }
    return Reply::json(200, QJsonObject{{QStringLiteral("order"), **o}, {QStringLiteral("orderJws"), *jws}});
}

Reply Acquirer::getOrder(PgConnection& db, const CallContext& call, const QString& orderId)
{
    return signedOrder(db, call, orderId);
}

Reply Acquirer::getOrderByCode(PgConnection& db, const CallContext& call, const QString& shortCode)
{
    const QString code = normaliseShortCode(shortCode);
    if (code.isEmpty()) {
        return Reply::problemOf(400,
            QStringLiteral("invalid-field"),
            QStringLiteral("Not a payment code"),
            QStringLiteral("A payment code has 8 letters and digits, shown as XXXX-XXXX."),
            QStringLiteral("Type the code again as the merchant shows it."),
            {},
            {},
            {{QStringLiteral("/shortCode"), QStringLiteral("8 Crockford base32 characters")}});
    }
    auto r = db.exec("SELECT id FROM orders WHERE short_code = $1", {s(code)});
    if (!r) {
        return unavailable(r.error(), {});
    }
    if (r->rows() != 1) {
        return notFound(QStringLiteral("No order with code %1.").arg(shortCode), {});
    }
    return signedOrder(db, call, q(r->text(0, 0)));
}

Reply Acquirer::getOrderStatus(
    PgConnection& db, const CallContext& call, const QString& orderId, int waitSeconds, const QString& knownState)
{
    // Long poll by re-reading (no notification channel yet): at most `waitSeconds`, every 200 ms.
    const std::int64_t until = nowMicros() + static_cast<std::int64_t>(waitSeconds) * 1000 * 1000;
    for (;;) {
        auto o = orderJson(db, orderId);
        if (!o) {
            return unavailable(o.error(), {});
        }
        if (!*o) {
            return notFound(QStringLiteral("No order %1.").arg(orderId), {});
        }
        if (call.kind == QLatin1String("merchant")) {
            std::string merchantId;
            if (auto stop = merchantOf(db, call, merchantId)) {
                return *stop;
            }
            if (s((*o)->value(QStringLiteral("merchantId")).toString()) != merchantId) {
                return notYourOrder(orderId, {});
            }
        }
        const QString state = (*o)->value(QStringLiteral("state")).toString();
        if (knownState.isEmpty() || state != knownState || nowMicros() >= until) {
            QJsonObject st{{QStringLiteral("orderId"), orderId}, {QStringLiteral("state"), state}};
            for (const char* k : {"paidAt", "purchaseId", "tac"}) {
                if ((*o)->contains(QLatin1String(k))) {
                    st.insert(QLatin1String(k), (*o)->value(QLatin1String(k)));
                }
            }
            return Reply::json(200, st);
        }
        QThread::msleep(200);
    }
}

Reply Acquirer::cancelOrder(PgConnection& db, const CallContext& call, const QString& orderId)
{
    const QString& rid = call.requestKey;
    std::string merchantId;
    if (auto stop = merchantOf(db, call, merchantId)) {
        return *stop;
    }
    auto o = db.exec("SELECT merchant_id, state, expires_at FROM orders WHERE id = $1 FOR UPDATE", {s(orderId)});
    if (!o) {
        return unavailable(o.error(), rid);
    }
    if (o->rows() != 1) {
        return notFound(QStringLiteral("No order %1.").arg(orderId), rid);
    }
    if (o->text(0, 0) != merchantId) {
        return notYourOrder(orderId, rid);
    }
    const QString state = shownState(o->text(0, 1), o->integer(0, 2));
    if (state == QLatin1String("checking") || state == QLatin1String("paid")) {
        return Reply::problemOf(409,
            state == QLatin1String("paid") ? QStringLiteral("order-paid") : QStringLiteral("order-checking"),
            QStringLiteral("This order cannot be cancelled now"),
            QStringLiteral("Order %1 is %2.").arg(orderId, state),
            state == QLatin1String("paid") ? QStringLiteral("Refund the customer instead.")
                                           : QStringLiteral("Wait until the payment attempt is resolved."),
            rid,
            state);
    }
    if (state == QLatin1String("open") || state == QLatin1String("expired")) {
        if (auto u = db.exec("UPDATE orders SET state = 'cancelled', updated_at = $2 WHERE id = $1",
                {s(orderId), std::to_string(nowMicros())});
            !u) {
            return unavailable(u.error(), rid);
        }
    }
    auto j = orderJson(db, orderId);
    if (!j || !*j) {
        return unavailable(j ? core::makeError(ErrorCode::StorageError, QStringLiteral("order")) : j.error(), rid);
    }
    return Reply::json(200, **j);
}

} // namespace wallet::bank
