// SPDX-License-Identifier: Apache-2.0
#include "core/psam/LocalPsam.h"

#include "core/storage/Sqlite.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace wallet::core {
namespace {

Q_LOGGING_CATEGORY(lcPsam, "wallet.psam")

const QString kWhat = QStringLiteral("PSAM store");

const std::vector<QStringList>& migrations()
{
    static const std::vector<QStringList> steps{
        {QStringLiteral("CREATE TABLE counter (id INTEGER PRIMARY KEY CHECK (id = 1), next_tsn INTEGER NOT NULL)"),
            QStringLiteral("INSERT INTO counter (id, next_tsn) VALUES (1, 1)"),
            QStringLiteral(
                "CREATE TABLE purchases (tsn INTEGER PRIMARY KEY, asn BLOB NOT NULL, algorithm INTEGER NOT NULL,"
                " atc INTEGER NOT NULL, amount INTEGER NOT NULL, terminal_id BLOB NOT NULL, random BLOB NOT NULL,"
                " date BLOB NOT NULL, time BLOB NOT NULL, state TEXT NOT NULL, tac BLOB, mac2 BLOB)")},
        // 2: purchases set aside by the settlement check (state 'set-aside'), with the reason (issue 9 item 16).
        {QStringLiteral("ALTER TABLE purchases ADD COLUMN note TEXT")},
    };
    return steps;
}

QByteArray purchaseMacInput(Amount amount, const QByteArray& terminalId, const QByteArray& date, const QByteArray& time)
{
    QByteArray in;
    appendU32(in, amount.fen());
    in.append(static_cast<char>(TransactionType::Purchase));
    in.append(terminalId);
    in.append(date);
    in.append(time);
    return in;
}

} // namespace

LocalPsam::LocalPsam(QString connection, QByteArray terminalId, SecureBytes mpk)
    : m_connection(std::move(connection))
    , m_terminalId(std::move(terminalId))
    , m_mpk(std::move(mpk))
{ }

LocalPsam::~LocalPsam()
{
    Sqlite::close(m_connection);
}

QSqlDatabase LocalPsam::db() const
{
    return QSqlDatabase::database(m_connection, false);
}

Result<std::unique_ptr<LocalPsam>> LocalPsam::open(
    const QString& path, const QByteArray& terminalId, SecureBytes purchaseMasterKey)
{
    if (terminalId.size() != 6 || purchaseMasterKey.size() != 16) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("PSAM: terminal ID 6 bytes and a 16-byte MPK"));
    }
    auto name = Sqlite::open(path, QStringLiteral("psam"));
    if (!name) {
        return name.error();
    }
    std::unique_ptr<LocalPsam> psam(new LocalPsam(*name, terminalId, std::move(purchaseMasterKey)));
    if (auto m = Sqlite::migrate(psam->db(), migrations(), kWhat + QStringLiteral(" ") + path); !m) {
        return m.error();
    }
    return psam;
}

Result<std::uint32_t> LocalPsam::nextTsn() const
{
    auto q = Sqlite::exec(db(), QStringLiteral("SELECT next_tsn FROM counter WHERE id = 1"), {}, kWhat);
    if (!q) {
        return q.error();
    }
    if (!q->next()) {
        return makeError(ErrorCode::StorageError, kWhat + QStringLiteral(": counter missing"));
    }
    return static_cast<std::uint32_t>(q->value(0).toLongLong());
}

Result<void> LocalPsam::setNextTsn(std::uint32_t tsn)
{
    auto r = Sqlite::exec(
        db(), QStringLiteral("UPDATE counter SET next_tsn = ? WHERE id = 1"), {static_cast<qint64>(tsn)}, kWhat);
    if (!r) {
        return r.error();
    }
    return {};
}

Result<PurchaseAuthorisation> LocalPsam::authorisePurchase(const PurchaseRequest& req)
{
    if (req.asn.size() != 8 || req.random.size() != 4 || req.date.size() != 4 || req.time.size() != 3) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("PSAM: malformed purchase request"));
    }
    QSqlDatabase d = db();
    SqlTransaction tx(d);
    if (!tx.begun()) {
        return Sqlite::error(d.lastError(), kWhat, d.connectionName());
    }
    auto q = Sqlite::exec(d, QStringLiteral("SELECT next_tsn FROM counter WHERE id = 1"), {}, kWhat);
    if (!q) {
        return q.error();
    }
    if (!q->next()) {
        return makeError(ErrorCode::StorageError, kWhat + QStringLiteral(": counter missing"));
    }
    const qint64 tsn = q->value(0).toLongLong();
    if (tsn > 0xFFFFFFFFLL) {
        return makeError(ErrorCode::Declined, QStringLiteral("PSAM: terminal transaction serial exhausted"));
    }
    auto dpk = CardCrypto::diversify(req.algorithm, m_mpk, req.asn);
    if (!dpk) {
        return dpk.error();
    }
    auto sespk = CardCrypto::sessionKey(
        req.algorithm, *dpk, CardCrypto::purchaseSeed(req.random, req.offlineAtc, static_cast<std::uint32_t>(tsn)));
    if (!sespk) {
        return sespk.error();
    }
    auto mac1 = CardCrypto::transactionMac(
        req.algorithm, *sespk, purchaseMacInput(req.amount, m_terminalId, req.date, req.time));
    if (!mac1) {
        return mac1.error();
    }
    if (auto r = Sqlite::exec(d, QStringLiteral("UPDATE counter SET next_tsn = next_tsn + 1 WHERE id = 1"), {}, kWhat);
        !r) {
        return r.error();
    }
    if (auto r = Sqlite::exec(d,
            QStringLiteral("INSERT INTO purchases (tsn, asn, algorithm, atc, amount, terminal_id, random,"
                           " date, time, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'authorised')"),
            {tsn,
                req.asn,
                static_cast<int>(req.algorithm),
                static_cast<int>(req.offlineAtc),
                static_cast<qint64>(req.amount.fen()),
                m_terminalId,
                req.random,
                req.date,
                req.time},
            kWhat);
        !r) {
        return r.error();
    }
    // The TSN is on disk before MAC1 leaves: never reused, even after a crash.
    if (auto c = tx.commit(kWhat); !c) {
        return c.error();
    }
    return PurchaseAuthorisation{static_cast<std::uint32_t>(tsn), *mac1, {}, {}};
}

Result<void> LocalPsam::confirmPurchase(std::uint32_t tsn, const QByteArray& mac2, const QByteArray& tac)
{
    auto q = Sqlite::exec(db(),
        QStringLiteral("SELECT asn, algorithm, atc, amount, random, state, mac2 FROM purchases WHERE tsn = ?"),
        {static_cast<qint64>(tsn)},
        kWhat);
    if (!q) {
        return q.error();
    }
    if (!q->next()) {
        return makeError(ErrorCode::InvalidState, QStringLiteral("PSAM: no purchase with TSN %1").arg(tsn));
    }
    const QByteArray asn = q->value(0).toByteArray();
    const auto alg = static_cast<Algorithm>(q->value(1).toInt());
    const auto atc = static_cast<std::uint16_t>(q->value(2).toInt());
    const Amount amount(static_cast<std::uint32_t>(q->value(3).toLongLong()));
    const QByteArray random = q->value(4).toByteArray();
    auto dpk = CardCrypto::diversify(alg, m_mpk, asn);
    if (!dpk) {
        return dpk.error();
    }
    auto sespk = CardCrypto::sessionKey(alg, *dpk, CardCrypto::purchaseSeed(random, atc, tsn));
    if (!sespk) {
        return sespk.error();
    }
    QByteArray in;
    appendU32(in, amount.fen());
    auto expected = CardCrypto::transactionMac(alg, *sespk, in);
    if (!expected) {
        return expected.error();
    }
    if (!CardCrypto::macEquals(*expected, mac2)) {
        qCWarning(lcPsam) << "MAC2 did not verify, TSN" << tsn;
        return makeError(
            ErrorCode::VerificationFailed, QStringLiteral("the key's MAC2 did not verify (TSN %1)").arg(tsn));
    }
    if (tac.size() != 4) {
        return makeError(ErrorCode::ProtocolError, QStringLiteral("PSAM: a TAC has 4 bytes"));
    }
    auto r = Sqlite::exec(db(),
        QStringLiteral("UPDATE purchases SET state = CASE state WHEN 'settled' THEN 'settled' ELSE"
                       " 'confirmed' END, tac = ?, mac2 = ? WHERE tsn = ?"),
        {tac, mac2, static_cast<qint64>(tsn)},
        kWhat);
    if (!r) {
        return r.error();
    }
    return {};
}

Result<std::vector<UnconfirmedPurchase>> LocalPsam::unconfirmed(const QByteArray& asn)
{
    auto q = Sqlite::exec(db(),
        QStringLiteral("SELECT tsn, atc, amount FROM purchases WHERE asn = ? AND state = 'authorised'"
                       " ORDER BY tsn"),
        {asn},
        kWhat);
    if (!q) {
        return q.error();
    }
    std::vector<UnconfirmedPurchase> out;
    while (q->next()) {
        out.push_back(UnconfirmedPurchase{static_cast<std::uint32_t>(q->value(0).toLongLong()),
            static_cast<std::uint16_t>(q->value(1).toInt()),
            Amount(static_cast<std::uint32_t>(q->value(2).toLongLong()))});
    }
    return out;
}

Result<void> LocalPsam::abandon(std::uint32_t tsn)
{
    auto r = Sqlite::exec(db(),
        QStringLiteral("UPDATE purchases SET state = 'abandoned' WHERE tsn = ? AND state = 'authorised'"),
        {static_cast<qint64>(tsn)},
        kWhat);
    if (!r) {
        return r.error();
    }
    return {};
}

Result<std::vector<SettlementRecord>> LocalPsam::pendingSettlement()
{
    auto q = Sqlite::exec(db(),
        QStringLiteral("SELECT tsn, asn, algorithm, atc, amount, terminal_id, date, time, tac, mac2"
                       " FROM purchases WHERE state = 'confirmed' ORDER BY tsn"),
        {},
        kWhat);
    if (!q) {
        return q.error();
    }
    std::vector<SettlementRecord> out;
    while (q->next()) {
        SettlementRecord s;
        s.tsn = static_cast<std::uint32_t>(q->value(0).toLongLong());
        s.asn = q->value(1).toByteArray();
        s.algorithm = static_cast<Algorithm>(q->value(2).toInt());
        s.offlineAtc = static_cast<std::uint16_t>(q->value(3).toInt());
        s.amount = Amount(static_cast<std::uint32_t>(q->value(4).toLongLong()));
        s.terminalId = q->value(5).toByteArray();
        s.date = q->value(6).toByteArray();
        s.time = q->value(7).toByteArray();
        s.tac = q->value(8).toByteArray();
        s.mac2 = q->value(9).toByteArray();
        out.push_back(s);
    }
    return out;
}

Result<void> LocalPsam::markSettled(const std::vector<std::uint32_t>& tsns)
{
    QSqlDatabase d = db();
    SqlTransaction tx(d);
    if (!tx.begun()) {
        return Sqlite::error(d.lastError(), kWhat, d.connectionName());
    }
    // One statement prepared once for the whole batch (up to 10,000 TSNs: a prepare per TSN cost seconds).
    QSqlQuery q(d);
    if (!q.prepare(QStringLiteral("UPDATE purchases SET state = 'settled' WHERE tsn = ? AND state = 'confirmed'"))) {
        return Sqlite::error(q.lastError(), kWhat, d.connectionName());
    }
    for (const auto tsn : tsns) {
        q.bindValue(0, static_cast<qint64>(tsn));
        if (!q.exec()) {
            return Sqlite::error(q.lastError(), kWhat, d.connectionName());
        }
    }
    return tx.commit(kWhat);
}

Result<void> LocalPsam::setAside(std::uint32_t tsn, const QString& reason)
{
    auto r = Sqlite::exec(db(),
        QStringLiteral("UPDATE purchases SET state = 'set-aside', note = ? WHERE tsn = ? AND state = 'confirmed'"),
        {reason, static_cast<qint64>(tsn)},
        kWhat);
    if (!r) {
        return r.error();
    }
    return {};
}

// ---- acquirer side ----------------------------------------------------------------------------------------------

Result<void> SettlementVerifier::verify(const SettlementRecord& s) const
{
    auto dtk = CardCrypto::diversify(s.algorithm, m_mtk, s.asn);
    if (!dtk) {
        return dtk.error();
    }
    auto key = CardCrypto::tacKey(s.algorithm, *dtk);
    if (!key) {
        return key.error();
    }
    QByteArray in;
    appendU32(in, s.amount.fen());
    in.append(static_cast<char>(TransactionType::Purchase));
    in.append(s.terminalId);
    appendU32(in, s.tsn);
    in.append(s.date);
    in.append(s.time);
    auto expected = CardCrypto::transactionMac(s.algorithm, *key, in);
    if (!expected) {
        return expected.error();
    }
    if (!CardCrypto::macEquals(*expected, s.tac)) {
        return makeError(ErrorCode::VerificationFailed,
            QStringLiteral("settlement: TAC of TSN %1 (card %2) does not verify")
                .arg(s.tsn)
                .arg(QString::fromLatin1(s.asn.toHex().toUpper())));
    }
    return {};
}

QByteArray SettlementVerifier::toJson(const std::vector<SettlementRecord>& records)
{
    QJsonArray arr;
    for (const auto& s : records) {
        arr.append(QJsonObject{{QStringLiteral("asn"), QString::fromLatin1(s.asn.toHex().toUpper())},
            {QStringLiteral("algorithm"),
                s.algorithm == Algorithm::Sm4 ? QStringLiteral("SM4") : QStringLiteral("3DES")},
            {QStringLiteral("offlineAtc"), s.offlineAtc},
            {QStringLiteral("tsn"), static_cast<qint64>(s.tsn)},
            {QStringLiteral("amount"), s.amount.toString()},
            {QStringLiteral("terminalId"), QString::fromLatin1(s.terminalId.toHex().toUpper())},
            {QStringLiteral("date"), QString::fromLatin1(s.date.toHex())},
            {QStringLiteral("time"), QString::fromLatin1(s.time.toHex())},
            {QStringLiteral("tac"), QString::fromLatin1(s.tac.toHex().toUpper())},
            {QStringLiteral("mac2"), QString::fromLatin1(s.mac2.toHex().toUpper())}});
    }
    return QJsonDocument(QJsonObject{{QStringLiteral("format"), QStringLiteral("smartkey-settlement/1")},
                             {QStringLiteral("purchases"), arr}})
        .toJson(QJsonDocument::Indented);
}

Result<std::vector<SettlementRecord>> SettlementVerifier::fromJson(const QByteArray& json)
{
    const QJsonObject root = QJsonDocument::fromJson(json).object();
    if (root.value(QStringLiteral("format")).toString() != QStringLiteral("smartkey-settlement/1")) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("not a smartkey-settlement/1 file"));
    }
    std::vector<SettlementRecord> out;
    for (const auto& v : root.value(QStringLiteral("purchases")).toArray()) {
        const QJsonObject o = v.toObject();
        SettlementRecord s;
        const auto hx
            = [&o](const char* k) { return QByteArray::fromHex(o.value(QLatin1String(k)).toString().toLatin1()); };
        s.asn = hx("asn");
        s.algorithm = o.value(QStringLiteral("algorithm")).toString() == QStringLiteral("SM4") ? Algorithm::Sm4
                                                                                               : Algorithm::TripleDes;
        s.offlineAtc = static_cast<std::uint16_t>(o.value(QStringLiteral("offlineAtc")).toInt());
        s.tsn = static_cast<std::uint32_t>(o.value(QStringLiteral("tsn")).toInteger());
        auto amount = Amount::parse(o.value(QStringLiteral("amount")).toString());
        if (!amount) {
            return amount.error();
        }
        s.amount = *amount;
        s.terminalId = hx("terminalId");
        s.date = hx("date");
        s.time = hx("time");
        s.tac = hx("tac");
        s.mac2 = hx("mac2");
        if (s.asn.size() != 8 || s.terminalId.size() != 6 || s.date.size() != 4 || s.time.size() != 3
            || s.tac.size() != 4) {
            return makeError(
                ErrorCode::InvalidInput, QStringLiteral("settlement: malformed purchase (TSN %1)").arg(s.tsn));
        }
        out.push_back(s);
    }
    return out;
}

} // namespace wallet::core
