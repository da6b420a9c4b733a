// SPDX-License-Identifier: Apache-2.0
#include "bank/issuer/Issuer.h"

#include "bank/Util.h"
#include "bank/ledger/Ledger.h"
#include "bank/server/JsonRequest.h"

#include "core/crypto/CardCrypto.h"

#include <QJsonObject>

#include <optional>

namespace wallet::bank {

using core::ErrorCode;

namespace {

constexpr std::int64_t kProbeLifetimeMicros = 120LL * 1000 * 1000; // §9.1: a probe lives 2 minutes
constexpr char kTypeLoad = 0x02; // spec §4: transaction type of a load

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

/// Spec §5.2: the load session key's seed, random ‖ online ATC ‖ 8000.
QByteArray loadSeed(const QByteArray& random, std::int64_t atc)
{
    return random + u16(atc) + QByteArray::fromHex("8000");
}

Reply unavailable(const core::Error& e, const QString& requestId)
{
    // The transaction rolls back; a retry with the same request id runs anew (§6.1 item 3: 5xx are not stored).
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

Reply invalid(const JsonRequest& j, const QString& requestId)
{
    return Reply::problemOf(400,
        QStringLiteral("invalid-field"),
        QStringLiteral("A field is outside its allowed form"),
        j.errors().front().first + QStringLiteral(": ") + j.errors().front().second,
        QStringLiteral("Correct the field named in errors[]; nothing was changed."),
        requestId,
        {},
        j.errors());
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
        QStringLiteral("Check that the key belongs to this bank; nothing was changed."),
        requestId);
}

/// The ASN of load `loadId` (read before the card row is locked, so that confirm and cancel lock the card first, as
/// authoriseLoad does), or the reply that ends the request: the database is unavailable, or there is no such load.
std::optional<Reply> loadAsn(PgConnection& db, const QString& loadId, const QString& requestId, std::string& asnHex)
{
    auto row = db.exec("SELECT asn FROM loads WHERE id = $1", {s(loadId)});
    if (!row) {
        return unavailable(row.error(), requestId);
    }
    if (row->rows() != 1) {
        return notFound(QStringLiteral("No load %1.").arg(loadId), requestId);
    }
    asnHex = row->text(0, 0);
    return std::nullopt;
}

QString masterLabel(const char* prefix, std::int64_t keyVersion)
{
    return QStringLiteral("%1.v%2").arg(QLatin1String(prefix)).arg(keyVersion);
}

/// An HsmMemo key: the mechanism, the master label, then the fixed-length ASN (and seed) and the data, so two
/// different inputs never give one key.
QByteArray memoKey(char mechanism, const std::string& label, const QByteArray& asn, const QByteArray& seedAndData)
{
    return QByteArray(1, mechanism) + QByteArray::fromStdString(label) + '\0' + asn + seedAndData;
}

/// Spec §5.2: MAC1 over balance before ‖ amount ‖ 02 ‖ terminal.
QByteArray mac1Data(std::int64_t balanceBefore, std::int64_t amount, const QString& terminal)
{
    return u32(balanceBefore) + u32(amount) + kTypeLoad + bcd(terminal);
}

/// Spec §5.2: MAC2 over amount ‖ 02 ‖ terminal ‖ date ‖ time.
QByteArray mac2Data(std::int64_t amount, const QString& terminal, const QString& date, const QString& time)
{
    return u32(amount) + kTypeLoad + bcd(terminal) + bcd(date) + bcd(time);
}

/// Spec §5.2: TAC over balance after ‖ N ‖ amount ‖ 02 ‖ terminal ‖ date ‖ time.
QByteArray tacData(std::int64_t before,
    std::int64_t amount,
    std::int64_t atc,
    const QString& terminal,
    const QString& date,
    const QString& time)
{
    return u32(before + amount) + u16(atc) + u32(amount) + kTypeLoad + bcd(terminal) + bcd(date) + bcd(time);
}

} // namespace

void HsmMemo::put(const QByteArray& inputs, QByteArray result)
{
    m_entries.emplace_back(inputs, std::move(result));
}

const QByteArray* HsmMemo::find(const QByteArray& inputs) const
{
    for (const auto& [key, value] : m_entries) {
        if (key == inputs) {
            return &value;
        }
    }
    return nullptr;
}

Result<QByteArray> Issuer::transactionMac(const HsmMemo* memo,
    const std::string& label,
    const QByteArray& asn,
    const QByteArray& seed,
    const QByteArray& data)
{
    if (memo) {
        if (const QByteArray* hit = memo->find(memoKey('M', label, asn, seed + data))) {
            return *hit;
        }
    }
    return m_hsm.transactionMac(label, asn, seed, data);
}

Result<QByteArray> Issuer::tac(
    const HsmMemo* memo, const std::string& label, const QByteArray& asn, const QByteArray& data)
{
    if (memo) {
        if (const QByteArray* hit = memo->find(memoKey('T', label, asn, data))) {
            return *hit;
        }
    }
    return m_hsm.tac(label, asn, data);
}

HsmMemo Issuer::prepareAuthorisation(const QJsonObject& body)
{
    HsmMemo memo;
    const QByteArray asn = QByteArray::fromHex(body.value(QStringLiteral("asn")).toString().toLatin1());
    const std::string mlk = s(masterLabel("mlk", body.value(QStringLiteral("keyVersion")).toInteger()));
    const qint64 amount = body.value(QStringLiteral("amount")).toInteger();
    const QString terminal = body.value(QStringLiteral("terminalId")).toString();
    const QByteArray seed = loadSeed(QByteArray::fromHex(body.value(QStringLiteral("random")).toString().toLatin1()),
        body.value(QStringLiteral("onlineAtc")).toInteger());
    memo.clock = m_clock();
    const QByteArray mac1 = mac1Data(body.value(QStringLiteral("balanceBefore")).toInteger(), amount, terminal);
    auto expected = m_hsm.transactionMac(mlk, asn, seed, mac1);
    if (!expected) {
        return memo;
    }
    memo.put(memoKey('M', mlk, asn, seed + mac1), *expected);
    // A MAC1 that does not verify gets no MAC2 (authoriseLoad refuses it, or asks the HSM itself).
    if (!core::CardCrypto::macEquals(
            *expected, QByteArray::fromHex(body.value(QStringLiteral("mac1")).toString().toLatin1()))) {
        return memo;
    }
    const QByteArray mac2 = mac2Data(amount, terminal, memo.clock->first, memo.clock->second);
    if (auto m = m_hsm.transactionMac(mlk, asn, seed, mac2)) {
        memo.put(memoKey('M', mlk, asn, seed + mac2), *m);
    }
    return memo;
}

HsmMemo Issuer::prepareConfirmation(PgConnection& db, const QString& loadId, std::string& asnHex)
{
    HsmMemo memo;
    asnHex.clear();
    auto r = db.exec("SELECT l.asn, l.online_atc, l.amount, l.balance_before, l.terminal_id, l.card_date,"
                     " l.card_time, c.key_version FROM loads l JOIN cards c ON c.asn = l.asn WHERE l.id = $1",
        {s(loadId)});
    if (!r || r->rows() != 1) {
        return memo;
    }
    asnHex = r->text(0, 0);
    const QByteArray asn = QByteArray::fromHex(q(asnHex).toLatin1());
    const std::string mtk = s(masterLabel("mtk", r->integer(0, 7)));
    const QByteArray data = tacData(
        r->integer(0, 3), r->integer(0, 2), r->integer(0, 1), q(r->text(0, 4)), q(r->text(0, 5)), q(r->text(0, 6)));
    if (auto t = m_hsm.tac(mtk, asn, data)) {
        memo.put(memoKey('T', mtk, asn, data), *t);
    }
    return memo;
}

Issuer::Issuer(Hsm& hsm, CardClock clock)
    : m_hsm(hsm)
    , m_clock(std::move(clock))
{ }

Reply Issuer::validateAuthorisation(const QJsonObject& body, const QString& requestId)
{
    JsonRequest j(body,
        {QStringLiteral("asn"),
            QStringLiteral("algorithm"),
            QStringLiteral("keyIndex"),
            QStringLiteral("keyVersion"),
            QStringLiteral("balanceBefore"),
            QStringLiteral("amount"),
            QStringLiteral("onlineAtc"),
            QStringLiteral("random"),
            QStringLiteral("mac1"),
            QStringLiteral("terminalId")});
    (void)j.hex(QStringLiteral("asn"), 8);
    (void)j.oneOf(QStringLiteral("algorithm"), {QStringLiteral("3des"), QStringLiteral("sm4")});
    (void)j.integer(QStringLiteral("keyIndex"), 1, 255);
    (void)j.integer(QStringLiteral("keyVersion"), 0, 255);
    (void)j.integer(QStringLiteral("balanceBefore"), 0, 4294967295LL);
    (void)j.integer(QStringLiteral("amount"), 1, 4294967295LL);
    (void)j.integer(QStringLiteral("onlineAtc"), 0, 65535);
    (void)j.hex(QStringLiteral("random"), 4);
    (void)j.hex(QStringLiteral("mac1"), 4);
    (void)j.digits(QStringLiteral("terminalId"), 12);
    return j.ok() ? Reply{} : invalid(j, requestId);
}

Reply Issuer::validateConfirmation(const QJsonObject& body, const QString& requestId)
{
    JsonRequest j(body, {QStringLiteral("tac"), QStringLiteral("source")});
    (void)j.hex(QStringLiteral("tac"), 4);
    (void)j.oneOf(QStringLiteral("source"), {QStringLiteral("credit"), QStringLiteral("prove")});
    return j.ok() ? Reply{} : invalid(j, requestId);
}

Reply Issuer::validateProbeRequest(const QJsonObject& body, const QString& requestId)
{
    JsonRequest j(body, {QStringLiteral("keyIndex")});
    (void)j.integer(QStringLiteral("keyIndex"), 1, 255);
    return j.ok() ? Reply{} : invalid(j, requestId);
}

Reply Issuer::validateProbeEvidence(const QJsonObject& body, const QString& requestId)
{
    JsonRequest j(body,
        {QStringLiteral("probeId"),
            QStringLiteral("algorithm"),
            QStringLiteral("keyVersion"),
            QStringLiteral("balance"),
            QStringLiteral("onlineAtc"),
            QStringLiteral("random"),
            QStringLiteral("mac1")});
    (void)j.uuid(QStringLiteral("probeId"));
    (void)j.oneOf(QStringLiteral("algorithm"), {QStringLiteral("3des"), QStringLiteral("sm4")});
    (void)j.integer(QStringLiteral("keyVersion"), 0, 255);
    (void)j.integer(QStringLiteral("balance"), 0, 4294967295LL);
    (void)j.integer(QStringLiteral("onlineAtc"), 0, 65535);
    (void)j.hex(QStringLiteral("random"), 4);
    (void)j.hex(QStringLiteral("mac1"), 4);
    return j.ok() ? Reply{} : invalid(j, requestId);
}

Reply Issuer::authoriseLoad(PgConnection& db, const CallContext& call, const QJsonObject& body, const HsmMemo* memo)
{
    const QString& rid = call.requestKey;
    const QString asnHex = body.value(QStringLiteral("asn")).toString();
    const QByteArray asn = QByteArray::fromHex(asnHex.toLatin1());
    const QString algorithm = body.value(QStringLiteral("algorithm")).toString();
    const qint64 keyVersion = body.value(QStringLiteral("keyVersion")).toInteger();
    const qint64 balanceBefore = body.value(QStringLiteral("balanceBefore")).toInteger();
    const qint64 amount = body.value(QStringLiteral("amount")).toInteger();
    const qint64 atc = body.value(QStringLiteral("onlineAtc")).toInteger();
    const QByteArray random = QByteArray::fromHex(body.value(QStringLiteral("random")).toString().toLatin1());
    const QByteArray mac1 = QByteArray::fromHex(body.value(QStringLiteral("mac1")).toString().toLatin1());
    const QString terminal = body.value(QStringLiteral("terminalId")).toString();

    if (terminal != call.terminalId) {
        return Reply::problemOf(403,
            QStringLiteral("terminal-mismatch"),
            QStringLiteral("The terminal ID is not this terminal's"),
            QStringLiteral("INITIALIZE FOR LOAD used terminal %1; this certificate is terminal %2.")
                .arg(terminal, call.terminalId),
            QStringLiteral("Send INITIALIZE FOR LOAD with this terminal's own ID; nothing was charged."),
            rid);
    }
    // The card row lock serialises every load, probe check and cancellation of this key (§9.1).
    auto card = db.exec("SELECT account_id, algorithm, key_version, state, hotlisted, shadow_balance FROM cards"
                        " WHERE asn = $1 FOR NO KEY UPDATE",
        {s(asnHex)});
    if (!card) {
        return unavailable(card.error(), rid);
    }
    if (card->rows() != 1) {
        return unknownCard(asnHex, rid);
    }
    if (card->boolean(0, 4) || card->text(0, 3) != "active") {
        return Reply::problemOf(403,
            QStringLiteral("card-hotlisted"),
            QStringLiteral("This key may not be loaded"),
            QStringLiteral("Key %1 is reported lost or blocked.").arg(asnHex),
            QStringLiteral("The cardholder should contact the bank branch; nothing was charged."),
            rid);
    }
    if (q(card->text(0, 1)) != algorithm || card->integer(0, 2) != keyVersion) {
        return Reply::problemOf(400,
            QStringLiteral("invalid-field"),
            QStringLiteral("A field is outside its allowed form"),
            QStringLiteral("Key %1 was issued with algorithm %2, key version %3.")
                .arg(asnHex, q(card->text(0, 1)))
                .arg(card->integer(0, 2)),
            QStringLiteral("Send the algorithm and key version the key answered in INITIALIZE; nothing was changed."),
            rid,
            {},
            {{QStringLiteral("/keyVersion"), QStringLiteral("does not match the issued key")}});
    }
    const std::string fundingAccount = card->text(0, 0);
    std::int64_t shadow = card->integer(0, 5);
    const std::string mlk = s(masterLabel("mlk", keyVersion));
    const QByteArray seed = loadSeed(random, atc);

    // MAC1 first (spec §5.2): a key that did not answer this INITIALIZE moves nothing.
    auto expected = transactionMac(memo, mlk, asn, seed, mac1Data(balanceBefore, amount, terminal));
    if (!expected) {
        return unavailable(expected.error(), rid);
    }
    if (!core::CardCrypto::macEquals(*expected, mac1)) {
        return Reply::problemOf(422,
            QStringLiteral("mac1-invalid"),
            QStringLiteral("MAC1 does not verify"),
            QStringLiteral("MAC1 of key %1 at online ATC %2 does not verify; nothing was debited.")
                .arg(asnHex)
                .arg(atc),
            QStringLiteral("Repeat INITIALIZE FOR LOAD and send the key's answer unchanged."),
            rid);
    }
    const std::string now = std::to_string(nowMicros());

    // An online ATC above an open load proves that load was credited (§9.1: only this bank gave its MAC2).
    auto proven = db.exec("UPDATE loads SET state = 'completed', proven_by = 'later-atc', updated_at = $3"
                          " WHERE asn = $1 AND state = 'authorised' AND online_atc < $2 RETURNING amount",
        {s(asnHex), std::to_string(atc), now});
    if (!proven) {
        return unavailable(proven.error(), rid);
    }
    for (int i = 0; i < proven->rows(); ++i) {
        shadow += proven->integer(i, 0);
    }
    if (auto u = db.exec("UPDATE cards SET shadow_balance = $2 WHERE asn = $1", {s(asnHex), std::to_string(shadow)});
        !u) {
        return unavailable(u.error(), rid);
    }
    // §7.4: the key may hold less than the shadow (offline purchases not settled yet), never more.
    if (balanceBefore > shadow) {
        (void)db.exec("UPDATE cards SET review = TRUE WHERE asn = $1", {s(asnHex)});
        Reply r = Reply::problemOf(422,
            QStringLiteral("balance-above-vouched"),
            QStringLiteral("The key holds more than the bank can vouch for"),
            QStringLiteral("Key %1 reports %2 fen; the bank's record allows at most %3 fen.")
                .arg(asnHex)
                .arg(balanceBefore)
                .arg(shadow),
            QStringLiteral("The key is flagged for review; the cardholder should contact the bank branch. Nothing was "
                           "charged."),
            rid);
        r.commitEffects = true;
        return r;
    }

    auto floatAccount = Ledger::floatAccount(db, asn);
    if (!floatAccount) {
        return unavailable(floatAccount.error(), rid);
    }
    const auto [date, time] = memo && memo->clock ? *memo->clock : m_clock();
    auto existing = db.exec("SELECT id, state, attempt, adjustments, amount FROM loads WHERE asn = $1 AND"
                            " online_atc = $2 FOR NO KEY UPDATE",
        {s(asnHex), std::to_string(atc)});
    if (!existing) {
        return unavailable(existing.error(), rid);
    }
    auto declined = [&](const core::Error& e) {
        if (e.code == ErrorCode::InsufficientBalance) {
            return Reply::problemOf(422,
                QStringLiteral("insufficient-funds"),
                QStringLiteral("The funding account does not cover this load"),
                e.detail,
                QStringLiteral("Load at most the available amount, or deposit money at the bank first."),
                rid);
        }
        return unavailable(e, rid);
    };
    TransferSpec t;
    t.requestScope = s(call.terminalId);
    t.requestKey = s(call.requestKey);
    std::string loadId;
    if (existing->rows() == 0) {
        t.kind = "load";
        t.debitAccount = fundingAccount;
        t.creditAccount = *floatAccount;
        t.amount = amount;
        t.naturalKey = "load:" + s(asnHex) + ":" + std::to_string(atc) + ":1";
        auto transfer = Ledger::transfer(db, t);
        if (!transfer) {
            return declined(transfer.error());
        }
        loadId = uuidV7();
        auto ins = db.exec("INSERT INTO loads (id, asn, online_atc, state, amount, balance_before, terminal_id,"
                           " card_date, card_time, transfer_id, request_scope, created_at, updated_at) VALUES ($1, $2,"
                           " $3, 'authorised', $4, $5, $6, $7, $8, $9, $10, $11, $11)",
            {loadId,
                s(asnHex),
                std::to_string(atc),
                std::to_string(amount),
                std::to_string(balanceBefore),
                s(terminal),
                s(date),
                s(time),
                *transfer,
                s(call.terminalId),
                now});
        if (!ins) {
            return unavailable(ins.error(), rid);
        }
    } else {
        loadId = existing->text(0, 0);
        const std::string state = existing->text(0, 1);
        if (state == "completed") {
            return Reply::problemOf(409,
                QStringLiteral("state-conflict"),
                QStringLiteral("This load was already credited"),
                QStringLiteral("The load of key %1 at online ATC %2 is completed.").arg(asnHex).arg(atc),
                QStringLiteral("Read the key's balance; do not load again with this answer."),
                rid,
                QStringLiteral("completed"));
        }
        std::string transferId;
        if (state == "cancelled") {
            // The key is still at N after a proven cancellation: a new attempt, debited again (§9.1).
            const std::int64_t attempt = existing->integer(0, 2) + 1;
            t.kind = "load";
            t.debitAccount = fundingAccount;
            t.creditAccount = *floatAccount;
            t.amount = amount;
            t.naturalKey = "load:" + s(asnHex) + ":" + std::to_string(atc) + ":" + std::to_string(attempt);
            auto transfer = Ledger::transfer(db, t);
            if (!transfer) {
                return declined(transfer.error());
            }
            auto u = db.exec("UPDATE loads SET state = 'authorised', proven_by = NULL, attempt = $2, transfer_id = $3,"
                             " reversal_transfer_id = NULL WHERE id = $1",
                {loadId, std::to_string(attempt), *transfer});
            if (!u) {
                return unavailable(u.error(), rid);
            }
        } else if (const std::int64_t previous = existing->integer(0, 4); previous != amount) {
            // Re-authorised with another amount: one more balanced transfer for the difference (§9.1).
            const std::int64_t n = existing->integer(0, 3) + 1;
            t.kind = "load-adjust";
            t.debitAccount = amount > previous ? fundingAccount : *floatAccount;
            t.creditAccount = amount > previous ? *floatAccount : fundingAccount;
            t.amount = amount > previous ? amount - previous : previous - amount;
            t.naturalKey = "load-adjust:" + s(asnHex) + ":" + std::to_string(atc) + ":" + std::to_string(n);
            auto transfer = Ledger::transfer(db, t);
            if (!transfer) {
                return declined(transfer.error());
            }
            if (auto u = db.exec("UPDATE loads SET adjustments = $2 WHERE id = $1", {loadId, std::to_string(n)}); !u) {
                return unavailable(u.error(), rid);
            }
        }
        // Same (ASN, N), new card random: new MAC2, no second debit.
        auto u = db.exec("UPDATE loads SET amount = $2, balance_before = $3, terminal_id = $4, card_date = $5,"
                         " card_time = $6, request_scope = $7, updated_at = $8 WHERE id = $1",
            {loadId,
                std::to_string(amount),
                std::to_string(balanceBefore),
                s(terminal),
                s(date),
                s(time),
                s(call.terminalId),
                now});
        if (!u) {
            return unavailable(u.error(), rid);
        }
    }
    // §9.1: every MAC2 issued is counted, so a probe older than it is no evidence.
    if (auto u = db.exec("UPDATE cards SET mac2_issued = mac2_issued + 1 WHERE asn = $1", {s(asnHex)}); !u) {
        return unavailable(u.error(), rid);
    }
    auto mac2 = transactionMac(memo, mlk, asn, seed, mac2Data(amount, terminal, date, time));
    if (!mac2) {
        return unavailable(mac2.error(), rid);
    }
    const QString mac2Hex = hexUpper(*mac2);
    return Reply::json(201,
        QJsonObject{{QStringLiteral("loadId"), q(loadId)},
            {QStringLiteral("state"), QStringLiteral("authorised")},
            {QStringLiteral("asn"), asnHex},
            {QStringLiteral("onlineAtc"), atc},
            {QStringLiteral("amount"), amount},
            {QStringLiteral("mac2"), mac2Hex},
            {QStringLiteral("date"), date},
            {QStringLiteral("time"), time},
            {QStringLiteral("creditApdu"),
                QStringLiteral("805200000B") + date + time + mac2Hex + QStringLiteral("04")}},
        "/v1/loads/" + loadId);
}

Reply Issuer::loadReply(PgConnection& db, const QString& loadId, int status, const CallContext& call)
{
    auto r
        = db.exec("SELECT id, state, proven_by, asn, online_atc, amount, balance_before, terminal_id, card_date,"
                  " card_time, tac, transfer_id, reversal_transfer_id, created_at, updated_at FROM loads WHERE id = $1",
            {s(loadId)});
    if (!r) {
        return unavailable(r.error(), call.requestKey);
    }
    if (r->rows() != 1) {
        return notFound(QStringLiteral("No load %1.").arg(loadId), call.requestKey);
    }
    QJsonObject o{{QStringLiteral("loadId"), q(r->text(0, 0))},
        {QStringLiteral("state"), q(r->text(0, 1))},
        {QStringLiteral("asn"), q(r->text(0, 3))},
        {QStringLiteral("onlineAtc"), r->integer(0, 4)},
        {QStringLiteral("amount"), r->integer(0, 5)},
        {QStringLiteral("balanceBefore"), r->integer(0, 6)},
        {QStringLiteral("terminalId"), q(r->text(0, 7))},
        {QStringLiteral("date"), q(r->text(0, 8))},
        {QStringLiteral("time"), q(r->text(0, 9))},
        {QStringLiteral("transferId"), q(r->text(0, 11))},
        {QStringLiteral("createdAt"), rfc3339(r->integer(0, 13))},
        {QStringLiteral("updatedAt"), rfc3339(r->integer(0, 14))}};
    if (!r->isNull(0, 2)) {
        o.insert(QStringLiteral("provenBy"), q(r->text(0, 2)));
    }
    if (r->text(0, 1) == "completed") {
        o.insert(QStringLiteral("balanceAfter"), r->integer(0, 6) + r->integer(0, 5));
    }
    if (!r->isNull(0, 10)) {
        o.insert(QStringLiteral("tac"), q(r->text(0, 10)));
    }
    if (!r->isNull(0, 12)) {
        o.insert(QStringLiteral("reversalTransferId"), q(r->text(0, 12)));
    }
    return Reply::json(status, o);
}

Reply Issuer::getLoad(PgConnection& db, const CallContext& call, const QString& loadId)
{
    return loadReply(db, loadId, 200, call);
}

Reply Issuer::confirmLoad(
    PgConnection& db, const CallContext& call, const QString& loadId, const QJsonObject& body, const HsmMemo* memo)
{
    const QString& rid = call.requestKey;
    const QString tacHex = body.value(QStringLiteral("tac")).toString();
    std::string asnHex;
    if (auto stop = loadAsn(db, loadId, rid, asnHex)) {
        return *stop;
    }
    // Same lock order as authoriseLoad: the card row, then the load.
    auto card = db.exec("SELECT key_version FROM cards WHERE asn = $1 FOR NO KEY UPDATE", {asnHex});
    if (!card) {
        return unavailable(card.error(), rid);
    }
    auto l = db.exec("SELECT state, online_atc, amount, balance_before, terminal_id, card_date, card_time, tac"
                     " FROM loads WHERE id = $1 FOR NO KEY UPDATE",
        {s(loadId)});
    if (!l) {
        return unavailable(l.error(), rid);
    }
    const std::string state = l->text(0, 0);
    if (state == "cancelled") {
        return Reply::problemOf(409,
            QStringLiteral("state-conflict"),
            QStringLiteral("This load was cancelled"),
            QStringLiteral("Load %1 was cancelled on the key's proof that it was not credited.").arg(loadId),
            QStringLiteral("Read the key's balance and report the TAC to the bank branch."),
            rid,
            QStringLiteral("cancelled"));
    }
    const std::int64_t atc = l->integer(0, 1);
    const std::int64_t amount = l->integer(0, 2);
    const std::int64_t before = l->integer(0, 3);
    const QByteArray data = tacData(before, amount, atc, q(l->text(0, 4)), q(l->text(0, 5)), q(l->text(0, 6)));
    auto tac
        = this->tac(memo, s(masterLabel("mtk", card->integer(0, 0))), QByteArray::fromHex(q(asnHex).toLatin1()), data);
    if (!tac) {
        return unavailable(tac.error(), rid);
    }
    if (!core::CardCrypto::macEquals(*tac, QByteArray::fromHex(tacHex.toLatin1()))) {
        return Reply::problemOf(422,
            QStringLiteral("tac-invalid"),
            QStringLiteral("The TAC does not verify"),
            QStringLiteral("TAC %1 does not verify for load %2; the load stays %3.").arg(tacHex, loadId, q(state)),
            QStringLiteral("Read the TAC again with GET TRANSACTION PROVE and send it unchanged."),
            rid,
            q(state));
    }
    const std::string now = std::to_string(nowMicros());
    if (state == "authorised") {
        auto u = db.exec("UPDATE loads SET state = 'completed', proven_by = 'tac', tac = $2, updated_at = $3"
                         " WHERE id = $1",
            {s(loadId), s(tacHex), now});
        auto c = db.exec(
            "UPDATE cards SET shadow_balance = shadow_balance + $2 WHERE asn = $1", {asnHex, std::to_string(amount)});
        if (!u || !c) {
            return unavailable(!u ? u.error() : c.error(), rid);
        }
    } else if (l->isNull(0, 7)) {
        // Completed earlier by a later ATC or a probe: the verified TAC is the receipt.
        if (auto u = db.exec("UPDATE loads SET tac = $2, updated_at = $3 WHERE id = $1", {s(loadId), s(tacHex), now});
            !u) {
            return unavailable(u.error(), rid);
        }
    }
    return loadReply(db, loadId, 200, call);
}

Reply Issuer::createProbe(PgConnection& db, const CallContext& call, const QString& asn, const QJsonObject& body)
{
    const QString& rid = call.requestKey;
    auto card = db.exec("SELECT mac2_issued FROM cards WHERE asn = $1 FOR NO KEY UPDATE", {s(asn)});
    if (!card) {
        return unavailable(card.error(), rid);
    }
    if (card->rows() != 1) {
        return unknownCard(asn, rid);
    }
    // §9.1: `99` + 10 random digits, chosen after the request, so no earlier answer can serve as evidence.
    QString terminal = QStringLiteral("99");
    const QByteArray rnd = randomBytes(10);
    for (char c : rnd) {
        terminal.append(QChar(u'0' + static_cast<unsigned char>(c) % 10));
    }
    const qint64 keyIndex = body.value(QStringLiteral("keyIndex")).toInteger();
    const std::string id = uuidV7();
    const std::int64_t now = nowMicros();
    auto ins = db.exec("INSERT INTO probes (id, asn, terminal_id, key_index, amount, mac2_issued, request_scope,"
                       " created_at, expires_at) VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8)",
        {id,
            s(asn),
            s(terminal),
            std::to_string(keyIndex),
            card->text(0, 0),
            s(call.terminalId),
            std::to_string(now),
            std::to_string(now + kProbeLifetimeMicros)});
    if (!ins) {
        return unavailable(ins.error(), rid);
    }
    return Reply::json(201,
        QJsonObject{{QStringLiteral("probeId"), q(id)},
            {QStringLiteral("asn"), asn},
            {QStringLiteral("terminalId"), terminal},
            {QStringLiteral("amount"), 1},
            {QStringLiteral("initializeApdu"),
                QStringLiteral("805000020B%1").arg(keyIndex, 2, 16, QLatin1Char('0')).toUpper()
                    + QStringLiteral("00000001") + terminal + QStringLiteral("10")},
            {QStringLiteral("expiresAt"), rfc3339(now + kProbeLifetimeMicros)}});
}

Reply Issuer::cancelLoad(PgConnection& db, const CallContext& call, const QString& loadId, const QJsonObject& body)
{
    const QString& rid = call.requestKey;
    std::string asnHex;
    if (auto stop = loadAsn(db, loadId, rid, asnHex)) {
        return *stop;
    }
    auto card
        = db.exec("SELECT account_id, key_version, mac2_issued FROM cards WHERE asn = $1 FOR NO KEY UPDATE", {asnHex});
    if (!card) {
        return unavailable(card.error(), rid);
    }
    auto l
        = db.exec("SELECT state, online_atc, amount, attempt FROM loads WHERE id = $1 FOR NO KEY UPDATE", {s(loadId)});
    if (!l) {
        return unavailable(l.error(), rid);
    }
    const QString probeId = body.value(QStringLiteral("probeId")).toString();
    auto probe = db.exec("SELECT terminal_id, mac2_issued, expires_at, used_at FROM probes WHERE id = $1 AND asn = $2"
                         " FOR NO KEY UPDATE",
        {s(probeId), asnHex});
    if (!probe) {
        return unavailable(probe.error(), rid);
    }
    if (probe->rows() != 1) {
        return notFound(QStringLiteral("No probe %1 for key %2.").arg(probeId, q(asnHex)), rid);
    }
    if (!probe->isNull(0, 3) || probe->integer(0, 2) < nowMicros()) {
        return Reply::problemOf(422,
            QStringLiteral("probe-expired"),
            QStringLiteral("The probe was used or has expired"),
            QStringLiteral("Probe %1 is single use and lives 2 minutes.").arg(probeId),
            QStringLiteral("Create a new probe and send its INITIALIZE FOR LOAD to the key."),
            rid);
    }
    if (probe->integer(0, 1) != card->integer(0, 2)) {
        return Reply::problemOf(409,
            QStringLiteral("probe-stale"),
            QStringLiteral("A MAC2 was issued after this probe"),
            QStringLiteral("Key %1 was authorised again after probe %2 was created.").arg(q(asnHex), probeId),
            QStringLiteral("Create a new probe and send its INITIALIZE FOR LOAD to the key."),
            rid);
    }
    const qint64 keyVersion = body.value(QStringLiteral("keyVersion")).toInteger();
    const qint64 balance = body.value(QStringLiteral("balance")).toInteger();
    const qint64 probeAtc = body.value(QStringLiteral("onlineAtc")).toInteger();
    const QByteArray random = QByteArray::fromHex(body.value(QStringLiteral("random")).toString().toLatin1());
    // The probe's MAC1: balance ‖ 1 fen ‖ 02 ‖ the bank-chosen terminal ID, keyed by the card's session key.
    auto expected = m_hsm.transactionMac(s(masterLabel("mlk", keyVersion)),
        QByteArray::fromHex(q(asnHex).toLatin1()),
        loadSeed(random, probeAtc),
        u32(balance) + u32(1) + kTypeLoad + bcd(q(probe->text(0, 0))));
    if (!expected) {
        return expected.error().code == ErrorCode::NotFound ? Reply::problemOf(422,
                   QStringLiteral("probe-invalid"),
                   QStringLiteral("The probe's MAC1 does not verify"),
                   QStringLiteral("No key version %1 for this key.").arg(keyVersion),
                   QStringLiteral("Send the key's answer to the probe unchanged."),
                   rid)
                                                            : unavailable(expected.error(), rid);
    }
    if (keyVersion != card->integer(0, 1)
        || !core::CardCrypto::macEquals(
            *expected, QByteArray::fromHex(body.value(QStringLiteral("mac1")).toString().toLatin1()))) {
        return Reply::problemOf(422,
            QStringLiteral("probe-invalid"),
            QStringLiteral("The probe's MAC1 does not verify"),
            QStringLiteral("The answer to probe %1 does not verify for key %2.").arg(probeId, q(asnHex)),
            QStringLiteral("Send the key's answer to the probe's INITIALIZE FOR LOAD unchanged."),
            rid);
    }
    const std::string now = std::to_string(nowMicros());
    if (auto u = db.exec("UPDATE probes SET used_at = $2 WHERE id = $1", {s(probeId), now}); !u) {
        return unavailable(u.error(), rid);
    }
    const std::string state = l->text(0, 0);
    const std::int64_t atc = l->integer(0, 1);
    const std::int64_t amount = l->integer(0, 2);
    if (state == "cancelled") {
        return loadReply(db, loadId, 200, call);
    }
    if (state == "completed" || probeAtc > atc) {
        if (state == "authorised") {
            // The probe proves the credit (§9.1): completed, and the terminal is told so.
            auto u = db.exec("UPDATE loads SET state = 'completed', proven_by = 'probe', updated_at = $2 WHERE id = $1",
                {s(loadId), now});
            auto c = db.exec("UPDATE cards SET shadow_balance = shadow_balance + $2 WHERE asn = $1",
                {asnHex, std::to_string(amount)});
            if (!u || !c) {
                return unavailable(!u ? u.error() : c.error(), rid);
            }
        }
        Reply r = Reply::problemOf(409,
            QStringLiteral("load-credited"),
            QStringLiteral("The key was credited with this load"),
            QStringLiteral("The probe shows online ATC %1 > %2: load %3 is completed, not cancelled.")
                .arg(probeAtc)
                .arg(atc)
                .arg(loadId),
            QStringLiteral("Read the TAC with GET TRANSACTION PROVE and confirm the load for the receipt; do not load "
                           "again."),
            rid,
            QStringLiteral("completed"));
        r.commitEffects = true;
        return r;
    }
    if (probeAtc < atc) {
        return Reply::problemOf(422,
            QStringLiteral("probe-invalid"),
            QStringLiteral("The probe contradicts this load"),
            QStringLiteral("The probe shows online ATC %1, below the load's %2.").arg(probeAtc).arg(atc),
            QStringLiteral("Check that the key in the reader is the key of this load."),
            rid);
    }
    // Proven not credited: the reversal moves the money back from the float to the funding account.
    auto floatAccount = Ledger::floatAccount(db, QByteArray::fromHex(q(asnHex).toLatin1()));
    if (!floatAccount) {
        return unavailable(floatAccount.error(), rid);
    }
    TransferSpec t;
    t.kind = "load-reversal";
    t.debitAccount = *floatAccount;
    t.creditAccount = card->text(0, 0);
    t.amount = amount;
    t.naturalKey = "load-reversal:" + asnHex + ":" + std::to_string(atc) + ":" + l->text(0, 3);
    t.requestScope = s(call.terminalId);
    t.requestKey = s(call.requestKey);
    auto transfer = Ledger::transfer(db, t);
    if (!transfer) {
        return unavailable(transfer.error(), rid);
    }
    if (auto u = db.exec("UPDATE loads SET state = 'cancelled', proven_by = 'probe', reversal_transfer_id = $2,"
                         " updated_at = $3 WHERE id = $1",
            {s(loadId), *transfer, now});
        !u) {
        return unavailable(u.error(), rid);
    }
    return loadReply(db, loadId, 200, call);
}

} // namespace wallet::bank
