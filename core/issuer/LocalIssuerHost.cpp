// SPDX-License-Identifier: Apache-2.0
#include "core/issuer/LocalIssuerHost.h"

#include "core/apdu/SecureMessaging.h"
#include "core/crypto/CardCrypto.h"
#include "core/storage/Sqlite.h"

#include <QLoggingCategory>
#include <QVariant>

namespace wallet::core {
namespace {

Q_LOGGING_CATEGORY(lcIssuer, "wallet.issuer")

const QString kWhat = QStringLiteral("issuer ledger");

const std::vector<QStringList>& migrations()
{
    static const std::vector<QStringList> steps{
        {QStringLiteral("CREATE TABLE accounts (asn TEXT PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0),"
                        " per_load_limit INTEGER NOT NULL, blocked INTEGER NOT NULL DEFAULT 0)"),
            QStringLiteral("CREATE TABLE loads (asn TEXT NOT NULL REFERENCES accounts (asn), atc INTEGER NOT NULL,"
                           " amount INTEGER NOT NULL, state TEXT NOT NULL, algorithm INTEGER NOT NULL,"
                           " terminal_id BLOB NOT NULL, date BLOB NOT NULL, time BLOB NOT NULL, tac BLOB,"
                           " updated TEXT NOT NULL, PRIMARY KEY (asn, atc))")},
        {QStringLiteral("ALTER TABLE accounts ADD COLUMN algorithm INTEGER NOT NULL DEFAULT 0")},
        // 3: reconciliation at open() (issue 9 item 12): the key's balance at INITIALIZE (a load's TAC covers
        // balance + amount) and the reason of a dispute. NULL balance for older rows: resolved from the log only.
        {QStringLiteral("ALTER TABLE loads ADD COLUMN balance_before INTEGER"),
            QStringLiteral("ALTER TABLE loads ADD COLUMN note TEXT")},
    };
    return steps;
}

QString hexOf(const QByteArray& b)
{
    return QString::fromLatin1(b.toHex().toUpper());
}

Error declined(const QString& why)
{
    return makeError(ErrorCode::Declined, QStringLiteral("load declined by the issuer: ") + why);
}

QString now()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
}

} // namespace

LocalIssuerHost::LocalIssuerHost(QString connection, IssuerMasterKeys keys)
    : m_connection(std::move(connection))
    , m_keys(std::move(keys))
{ }

LocalIssuerHost::~LocalIssuerHost()
{
    Sqlite::close(m_connection);
}

QSqlDatabase LocalIssuerHost::db() const
{
    return QSqlDatabase::database(m_connection, false);
}

Result<std::unique_ptr<LocalIssuerHost>> LocalIssuerHost::open(const QString& ledgerPath, IssuerMasterKeys keys)
{
    if (!keys.complete()) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("issuer host: incomplete master keys"));
    }
    auto name = Sqlite::open(ledgerPath, QStringLiteral("issuer"));
    if (!name) {
        return name.error();
    }
    std::unique_ptr<LocalIssuerHost> host(new LocalIssuerHost(*name, std::move(keys)));
    if (auto m = Sqlite::migrate(host->db(), migrations(), kWhat + QStringLiteral(" ") + ledgerPath); !m) {
        return m.error();
    }
    return host;
}

Result<void> LocalIssuerHost::registerCard(
    const QByteArray& asn, Amount funding, Amount perLoadLimit, Algorithm algorithm)
{
    auto r = Sqlite::exec(db(),
        QStringLiteral("INSERT INTO accounts (asn, balance, per_load_limit, blocked, algorithm) VALUES (?, ?, ?, 0, ?)"
                       " ON CONFLICT (asn) DO UPDATE SET balance = excluded.balance,"
                       " per_load_limit = excluded.per_load_limit, algorithm = excluded.algorithm"),
        {hexOf(asn),
            static_cast<qint64>(funding.fen()),
            static_cast<qint64>(perLoadLimit.fen()),
            static_cast<int>(algorithm)},
        kWhat);
    if (!r) {
        return r.error();
    }
    return {};
}

Result<void> LocalIssuerHost::setBlocked(const QByteArray& asn, bool blocked)
{
    auto r = Sqlite::exec(
        db(), QStringLiteral("UPDATE accounts SET blocked = ? WHERE asn = ?"), {blocked ? 1 : 0, hexOf(asn)}, kWhat);
    if (!r) {
        return r.error();
    }
    if (r->numRowsAffected() != 1) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("issuer: unknown card %1").arg(hexOf(asn)));
    }
    return {};
}

Result<FundingAccount> LocalIssuerHost::account(const QByteArray& asn) const
{
    auto q = Sqlite::exec(db(),
        QStringLiteral("SELECT balance, per_load_limit, blocked FROM accounts WHERE asn = ?"),
        {hexOf(asn)},
        kWhat);
    if (!q) {
        return q.error();
    }
    if (!q->next()) {
        return makeError(ErrorCode::NotFound, QStringLiteral("issuer: unknown card %1").arg(hexOf(asn)));
    }
    FundingAccount a;
    a.asn = asn;
    a.balance = Amount(static_cast<std::uint32_t>(q->value(0).toLongLong()));
    a.perLoadLimit = Amount(static_cast<std::uint32_t>(q->value(1).toLongLong()));
    a.blocked = q->value(2).toInt() != 0;
    return a;
}

Result<std::vector<LedgerEntry>> LocalIssuerHost::loads(const QByteArray& asn) const
{
    auto q = Sqlite::exec(db(),
        QStringLiteral("SELECT atc, amount, state, tac, note FROM loads WHERE asn = ? ORDER BY atc"),
        {hexOf(asn)},
        kWhat);
    if (!q) {
        return q.error();
    }
    std::vector<LedgerEntry> out;
    while (q->next()) {
        LedgerEntry e;
        e.asn = asn;
        e.onlineAtc = static_cast<std::uint16_t>(q->value(0).toInt());
        e.amount = Amount(static_cast<std::uint32_t>(q->value(1).toLongLong()));
        e.state = q->value(2).toString();
        e.tac = q->value(3).toByteArray();
        e.note = q->value(4).toString();
        out.push_back(e);
    }
    return out;
}

Result<LoadAuthorisation> LocalIssuerHost::authoriseLoad(const LoadRequest& req)
{
    if (req.asn.size() != 8 || req.random.size() != 4 || req.mac1.size() != 4 || req.terminalId.size() != 6
        || req.date.size() != 4 || req.time.size() != 3) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("issuer: malformed load request"));
    }
    const QString asn = hexOf(req.asn);
    // Keys first: a wrong MAC1 never touches the ledger.
    auto dlk = CardCrypto::diversify(req.algorithm, m_keys.mlk, req.asn);
    if (!dlk) {
        return dlk.error();
    }
    auto seslk = CardCrypto::sessionKey(req.algorithm, *dlk, CardCrypto::loadSeed(req.random, req.onlineAtc));
    if (!seslk) {
        return seslk.error();
    }
    QByteArray mac1Input;
    appendU32(mac1Input, req.balanceBefore.fen());
    appendU32(mac1Input, req.amount.fen());
    mac1Input.append(static_cast<char>(TransactionType::Load));
    mac1Input.append(req.terminalId);
    auto mac1 = CardCrypto::transactionMac(req.algorithm, *seslk, mac1Input);
    if (!mac1) {
        return mac1.error();
    }
    if (!CardCrypto::macEquals(*mac1, req.mac1)) {
        qCWarning(lcIssuer) << "MAC1 did not verify for card" << asn << "ATC" << req.onlineAtc;
        return makeError(ErrorCode::VerificationFailed, QStringLiteral("the key's MAC1 did not verify: load refused"));
    }

    QSqlDatabase d = db();
    SqlTransaction tx(d);
    if (!tx.begun()) {
        return Sqlite::error(d.lastError(), kWhat, d.connectionName());
    }
    auto acc = Sqlite::exec(
        d, QStringLiteral("SELECT balance, per_load_limit, blocked FROM accounts WHERE asn = ?"), {asn}, kWhat);
    if (!acc) {
        return acc.error();
    }
    if (!acc->next()) {
        return declined(QStringLiteral("unknown card %1").arg(asn));
    }
    qint64 funds = acc->value(0).toLongLong();
    const qint64 limit = acc->value(1).toLongLong();
    if (acc->value(2).toInt() != 0) {
        return declined(QStringLiteral("the card is blocked by its issuer"));
    }
    if (limit > 0 && req.amount.fen() > limit) {
        return declined(
            QStringLiteral("above the per-load limit of %1").arg(Amount(static_cast<std::uint32_t>(limit)).toString()));
    }
    // Reconciliation: the online ATC only moves on a credit, so an older authorisation still pending was credited.
    if (auto r = Sqlite::exec(d,
            QStringLiteral("UPDATE loads SET state = 'completed', updated = ? WHERE asn = ? AND atc < ?"
                           " AND state = 'authorised'"),
            {now(), asn, static_cast<int>(req.onlineAtc)},
            kWhat);
        !r) {
        return r.error();
    }
    auto existing = Sqlite::exec(d,
        QStringLiteral("SELECT amount, state FROM loads WHERE asn = ? AND atc = ?"),
        {asn, static_cast<int>(req.onlineAtc)},
        kWhat);
    if (!existing) {
        return existing.error();
    }
    qint64 alreadyDebited = 0;
    if (existing->next()) {
        const QString state = existing->value(1).toString();
        if (state == QStringLiteral("completed")) {
            return declined(QStringLiteral("this load (ATC %1) was already completed").arg(req.onlineAtc));
        }
        if (state == QStringLiteral("authorised") || state == QStringLiteral("disputed")) {
            // A retry of the same load: no second debit. The key offering this ATC again proves the earlier
            // attempt never credited (the online ATC moves only on a credit), so a dispute on it is settled too.
            alreadyDebited = existing->value(0).toLongLong();
        }
    }
    const qint64 delta = static_cast<qint64>(req.amount.fen()) - alreadyDebited;
    if (funds < delta) {
        return declined(QStringLiteral("insufficient funds in the funding account (%1 available)")
                            .arg(Amount(static_cast<std::uint32_t>(funds)).toString()));
    }
    funds -= delta;
    // The card's MAC1 verified under this profile: it is the card's (the maintenance keys follow it).
    if (auto r = Sqlite::exec(d,
            QStringLiteral("UPDATE accounts SET balance = ?, algorithm = ? WHERE asn = ?"),
            {funds, static_cast<int>(req.algorithm), asn},
            kWhat);
        !r) {
        return r.error();
    }
    if (auto r = Sqlite::exec(d,
            QStringLiteral("INSERT INTO loads (asn, atc, amount, state, algorithm, terminal_id, date, time,"
                           " updated, balance_before) VALUES (?, ?, ?, 'authorised', ?, ?, ?, ?, ?, ?)"
                           " ON CONFLICT (asn, atc) DO UPDATE SET amount = excluded.amount,"
                           " state = 'authorised', algorithm = excluded.algorithm,"
                           " terminal_id = excluded.terminal_id, date = excluded.date,"
                           " time = excluded.time, updated = excluded.updated,"
                           " balance_before = excluded.balance_before, note = NULL"),
            {asn,
                static_cast<int>(req.onlineAtc),
                static_cast<qint64>(req.amount.fen()),
                static_cast<int>(req.algorithm),
                req.terminalId,
                req.date,
                req.time,
                now(),
                static_cast<qint64>(req.balanceBefore.fen())},
            kWhat);
        !r) {
        return r.error();
    }
    QByteArray mac2Input;
    appendU32(mac2Input, req.amount.fen());
    mac2Input.append(static_cast<char>(TransactionType::Load));
    mac2Input.append(req.terminalId);
    mac2Input.append(req.date);
    mac2Input.append(req.time);
    auto mac2 = CardCrypto::transactionMac(req.algorithm, *seslk, mac2Input);
    if (!mac2) {
        return mac2.error();
    }
    // Durable before MAC2 leaves: the debit is on disk before the key can credit.
    if (auto c = tx.commit(kWhat); !c) {
        return c.error();
    }
    return LoadAuthorisation{*mac2, {}, {}};
}

Result<void> LocalIssuerHost::confirmLoad(
    const QByteArray& asnBytes, std::uint16_t onlineAtc, Amount balanceAfter, const QByteArray& tac)
{
    const QString asn = hexOf(asnBytes);
    auto row = Sqlite::exec(db(),
        QStringLiteral("SELECT amount, state, algorithm, terminal_id, date, time, tac FROM loads"
                       " WHERE asn = ? AND atc = ?"),
        {asn, static_cast<int>(onlineAtc)},
        kWhat);
    if (!row) {
        return row.error();
    }
    if (!row->next()) {
        return makeError(
            ErrorCode::InvalidState, QStringLiteral("issuer: no authorised load for ATC %1").arg(onlineAtc));
    }
    const auto alg = static_cast<Algorithm>(row->value(2).toInt());
    const QString state = row->value(1).toString();
    if (state == QStringLiteral("cancelled")) {
        return makeError(
            ErrorCode::InvalidState, QStringLiteral("issuer: the load with ATC %1 was cancelled").arg(onlineAtc));
    }
    auto dtk = CardCrypto::diversify(alg, m_keys.mtk, asnBytes);
    if (!dtk) {
        return dtk.error();
    }
    auto key = CardCrypto::tacKey(alg, *dtk);
    if (!key) {
        return key.error();
    }
    QByteArray input;
    appendU32(input, balanceAfter.fen());
    appendU16(input, onlineAtc);
    appendU32(input, static_cast<std::uint32_t>(row->value(0).toLongLong()));
    input.append(static_cast<char>(TransactionType::Load));
    input.append(row->value(3).toByteArray());
    input.append(row->value(4).toByteArray());
    input.append(row->value(5).toByteArray());
    auto expected = CardCrypto::transactionMac(alg, *key, input);
    if (!expected) {
        return expected.error();
    }
    if (!CardCrypto::macEquals(*expected, tac)) {
        qCWarning(lcIssuer) << "TAC did not verify for card" << asn << "ATC" << onlineAtc;
        return makeError(ErrorCode::VerificationFailed,
            QStringLiteral("the key's TAC for the load did not verify: the issuer flags this load"));
    }
    auto r = Sqlite::exec(db(),
        QStringLiteral("UPDATE loads SET state = 'completed', tac = ?, updated = ?, note = NULL WHERE asn = ? AND"
                       " atc = ?"),
        {tac, now(), asn, static_cast<int>(onlineAtc)},
        kWhat);
    if (!r) {
        return r.error();
    }
    return {};
}

Result<void> LocalIssuerHost::cancelLoad(const QByteArray& asnBytes, std::uint16_t onlineAtc)
{
    const QString asn = hexOf(asnBytes);
    QSqlDatabase d = db();
    SqlTransaction tx(d);
    if (!tx.begun()) {
        return Sqlite::error(d.lastError(), kWhat, d.connectionName());
    }
    auto row = Sqlite::exec(d,
        QStringLiteral("SELECT amount, state FROM loads WHERE asn = ? AND atc = ?"),
        {asn, static_cast<int>(onlineAtc)},
        kWhat);
    if (!row) {
        return row.error();
    }
    if (!row->next() || row->value(1).toString() != QStringLiteral("authorised")) {
        return {}; // nothing pending: nothing to give back
    }
    const qint64 amount = row->value(0).toLongLong();
    if (auto r = Sqlite::exec(
            d, QStringLiteral("UPDATE accounts SET balance = balance + ? WHERE asn = ?"), {amount, asn}, kWhat);
        !r) {
        return r.error();
    }
    if (auto r = Sqlite::exec(d,
            QStringLiteral("UPDATE loads SET state = 'cancelled', updated = ? WHERE asn = ? AND atc = ?"),
            {now(), asn, static_cast<int>(onlineAtc)},
            kWhat);
        !r) {
        return r.error();
    }
    return tx.commit(kWhat);
}

namespace {
Result<std::vector<PendingLoad>> pendingRows(QSqlDatabase d, const QString& where, const QVariantList& binds)
{
    auto q = Sqlite::exec(d,
        QStringLiteral("SELECT asn, atc, amount, balance_before, terminal_id, date, time, state, note FROM loads"
                       " WHERE state IN ('authorised', 'disputed')")
            + where + QStringLiteral(" ORDER BY asn, atc"),
        binds,
        kWhat);
    if (!q) {
        return q.error();
    }
    std::vector<PendingLoad> out;
    while (q->next()) {
        PendingLoad p;
        p.asn = QByteArray::fromHex(q->value(0).toString().toLatin1());
        p.onlineAtc = static_cast<std::uint16_t>(q->value(1).toInt());
        p.amount = Amount(static_cast<std::uint32_t>(q->value(2).toLongLong()));
        if (!q->value(3).isNull()) {
            p.balanceBefore = Amount(static_cast<std::uint32_t>(q->value(3).toLongLong()));
        }
        p.terminalId = q->value(4).toByteArray();
        p.date = q->value(5).toByteArray();
        p.time = q->value(6).toByteArray();
        p.disputed = q->value(7).toString() == QStringLiteral("disputed");
        p.note = q->value(8).toString();
        out.push_back(std::move(p));
    }
    return out;
}
} // namespace

Result<std::vector<PendingLoad>> LocalIssuerHost::pendingLoads(const QByteArray& asn)
{
    return pendingRows(db(), QStringLiteral(" AND asn = ?"), {hexOf(asn)});
}

Result<std::vector<PendingLoad>> LocalIssuerHost::allPendingLoads()
{
    return pendingRows(db(), {}, {});
}

Result<void> LocalIssuerHost::disputeLoad(const QByteArray& asnBytes, std::uint16_t onlineAtc, const QString& reason)
{
    // Only an open authorisation becomes disputed: the debit stays where it is, nothing is given back or completed.
    auto r = Sqlite::exec(db(),
        QStringLiteral("UPDATE loads SET state = 'disputed', note = ?, updated = ? WHERE asn = ? AND atc = ?"
                       " AND state IN ('authorised', 'disputed')"),
        {reason, now(), hexOf(asnBytes), static_cast<int>(onlineAtc)},
        kWhat);
    if (!r) {
        return r.error();
    }
    qCWarning(lcIssuer) << "load disputed: card" << hexOf(asnBytes) << "ATC" << onlineAtc << reason;
    return {};
}

Result<CommandApdu> LocalIssuerHost::maintenanceCommand(const MaintenanceRequest& req)
{
    if (req.asn.size() != 8) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("issuer: malformed maintenance request"));
    }
    const bool needsPin = req.operation == CardMaintenance::PinUnblock || req.operation == CardMaintenance::PinReload;
    if (needsPin != (req.pin != nullptr)) {
        return makeError(ErrorCode::InvalidInput,
            needsPin ? QStringLiteral("issuer: this maintenance command needs a PIN")
                     : QStringLiteral("issuer: this maintenance command takes no PIN"));
    }
    const QString asn = hexOf(req.asn);
    auto q = Sqlite::exec(db(), QStringLiteral("SELECT blocked, algorithm FROM accounts WHERE asn = ?"), {asn}, kWhat);
    if (!q) {
        return q.error();
    }
    if (!q->next()) {
        return makeError(ErrorCode::Declined, QStringLiteral("issuer: unknown card %1").arg(asn));
    }
    // A card the issuer blocked may still be blocked on the token, never unblocked or given a PIN back.
    if (q->value(0).toInt() != 0 && req.operation != CardMaintenance::BlockApplication
        && req.operation != CardMaintenance::BlockApplicationPermanently) {
        return makeError(ErrorCode::Declined, QStringLiteral("issuer: the card is blocked by its issuer"));
    }
    const auto algorithm = static_cast<Algorithm>(q->value(1).toInt());
    if (algorithm != Algorithm::TripleDes && algorithm != Algorithm::Sm4) {
        return makeError(ErrorCode::StorageError, QStringLiteral("issuer: unknown algorithm recorded for %1").arg(asn));
    }
    const SecureBytes* master = &m_keys.mamk;
    if (req.operation == CardMaintenance::PinUnblock) {
        master = &m_keys.mpuk;
    } else if (req.operation == CardMaintenance::PinReload) {
        master = &m_keys.mrpk;
    }
    auto key = CardCrypto::diversify(algorithm, *master, req.asn);
    if (!key) {
        return key.error();
    }
    qCInfo(lcIssuer) << "maintenance command" << static_cast<int>(req.operation) << "for card" << asn;
    switch (req.operation) {
    case CardMaintenance::PinUnblock:
        return SecureMessaging::pinUnblock(algorithm, *key, req.challenge, req.pin->bcd());
    case CardMaintenance::PinReload:
        return SecureMessaging::reloadPin(algorithm, *key, req.challenge, req.pin->bcd());
    case CardMaintenance::BlockApplication:
        return SecureMessaging::applicationBlock(algorithm, *key, req.challenge, false);
    case CardMaintenance::BlockApplicationPermanently:
        return SecureMessaging::applicationBlock(algorithm, *key, req.challenge, true);
    case CardMaintenance::UnblockApplication:
        return SecureMessaging::applicationUnblock(algorithm, *key, req.challenge);
    }
    return makeError(ErrorCode::InvalidInput, QStringLiteral("issuer: unknown maintenance operation"));
}

} // namespace wallet::core
