// SPDX-License-Identifier: Apache-2.0
#include "core/bank/BankIssuerHost.h"

#include "core/storage/Sqlite.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QThread>
#include <QUuid>
#include <QVariant>

namespace wallet::core {
namespace {

Q_LOGGING_CATEGORY(lcBankIssuer, "wallet.bank")

const QString kWhat = QStringLiteral("bank outbox");

const std::vector<QStringList>& migrations()
{
    static const std::vector<QStringList> steps{
        {QStringLiteral("CREATE TABLE requests (id TEXT PRIMARY KEY, purpose TEXT NOT NULL, path TEXT NOT NULL,"
                        " body TEXT NOT NULL, asn TEXT NOT NULL, atc INTEGER NOT NULL, load_id TEXT,"
                        " state TEXT NOT NULL CHECK (state IN ('open', 'answered', 'unsent')), status INTEGER,"
                        " created TEXT NOT NULL, updated TEXT NOT NULL)"),
            QStringLiteral("CREATE INDEX requests_open ON requests (asn, state)"),
            QStringLiteral("CREATE TABLE loads (load_id TEXT PRIMARY KEY, asn TEXT NOT NULL, atc INTEGER NOT NULL,"
                           " amount INTEGER NOT NULL, balance_before INTEGER NOT NULL, terminal_id TEXT NOT NULL,"
                           " date TEXT NOT NULL, time TEXT NOT NULL, key_index INTEGER NOT NULL,"
                           " state TEXT NOT NULL, note TEXT, updated TEXT NOT NULL)"),
            QStringLiteral("CREATE INDEX loads_card ON loads (asn, atc)")},
        {QStringLiteral("CREATE TABLE purchases (purchase_id TEXT PRIMARY KEY, order_id TEXT, asn TEXT NOT NULL,"
                        " terminal_id TEXT NOT NULL, tsn INTEGER NOT NULL, offline_atc INTEGER NOT NULL,"
                        " amount INTEGER NOT NULL, balance_before INTEGER NOT NULL, state TEXT NOT NULL, tac TEXT,"
                        " updated TEXT NOT NULL, UNIQUE (terminal_id, tsn))")},
    };
    return steps;
}

QString hexOf(const QByteArray& b)
{
    return QString::fromLatin1(b.toHex().toUpper());
}

QString now()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
}

QByteArray canonical(const QJsonObject& o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact); // QJsonObject keeps its keys sorted
}

bool retryable(const BankAnswer& a)
{
    return a.status == 429 || a.status >= 500
        || (a.status == 409 && a.problemCode() == QStringLiteral("idempotency-key-in-flight"));
}

std::uint32_t u32(const QByteArray& b, int at)
{
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
        v = (v << 8) | static_cast<std::uint8_t>(b.at(at + i));
    }
    return v;
}

bool isHex(const QString& s, int digits)
{
    if (s.size() != digits) {
        return false;
    }
    for (const QChar c : s) {
        if (!((c >= QLatin1Char('0') && c <= QLatin1Char('9')) || (c >= QLatin1Char('A') && c <= QLatin1Char('F')))) {
            return false;
        }
    }
    return true;
}

Error badAnswer(const QString& what)
{
    return makeError(
        ErrorCode::ProtocolError, QStringLiteral("the bank's answer to %1 is not what the API says").arg(what));
}

} // namespace

BankIssuerHost::BankIssuerHost(QString connection, std::unique_ptr<BankClient> client, QByteArray terminalId)
    : m_connection(std::move(connection))
    , m_client(std::move(client))
    , m_terminalId(std::move(terminalId))
{ }

BankIssuerHost::~BankIssuerHost()
{
    Sqlite::close(m_connection);
}

QSqlDatabase BankIssuerHost::db() const
{
    return QSqlDatabase::database(m_connection, false);
}

Result<std::unique_ptr<BankIssuerHost>> BankIssuerHost::open(
    const QString& outboxPath, std::unique_ptr<BankClient> client, QByteArray terminalId)
{
    if (!client || terminalId.size() != 6) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("bank issuer: a client and a 6-byte terminal ID"));
    }
    auto name = Sqlite::open(outboxPath, QStringLiteral("bank-outbox"));
    if (!name) {
        return name.error();
    }
    std::unique_ptr<BankIssuerHost> host(new BankIssuerHost(*name, std::move(client), std::move(terminalId)));
    if (auto m = Sqlite::migrate(host->db(), migrations(), kWhat + QStringLiteral(" ") + outboxPath); !m) {
        return m.error();
    }
    return host;
}

Result<BankAnswer> BankIssuerHost::post(const QString& path,
    const QJsonObject& body,
    const QByteArray& asn,
    std::uint16_t atc,
    const QString& purpose,
    const QString& loadId)
{
    const QString text = QString::fromUtf8(canonical(body));
    // The same request still without an answer keeps its id: the bank then answers its first outcome (§6.1).
    auto open = Sqlite::exec(db(),
        QStringLiteral("SELECT id FROM requests WHERE state = 'open' AND path = ? AND body = ? ORDER BY created"),
        {path, text},
        kWhat);
    if (!open) {
        return open.error();
    }
    QString id;
    if (open->next()) {
        id = open->value(0).toString();
        qCInfo(lcBankIssuer) << "sending again with the same request id:" << purpose << path;
    } else {
        id = QUuid::createUuid().toString(QUuid::WithoutBraces);
        // Stored (and committed: autocommit) before the first attempt, so a crash right after sending keeps it.
        auto ins = Sqlite::exec(db(),
            QStringLiteral("INSERT INTO requests (id, purpose, path, body, asn, atc, load_id, state, created, updated)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)"),
            {id, purpose, path, text, hexOf(asn), atc, loadId.isEmpty() ? QVariant() : QVariant(loadId), now(), now()},
            kWhat);
        if (!ins) {
            return ins.error();
        }
    }
    const BankCall call{QByteArrayLiteral("POST"), path, body, id};
    bool mayHaveArrived = false;
    std::optional<Error> last;
    for (int attempt = 0; attempt < 3; ++attempt) {
        if (attempt > 0) {
            QThread::msleep(attempt == 1 ? 300 : 1000); // back off, same request id
        }
        auto a = m_client->send(call);
        if (!a) {
            mayHaveArrived = mayHaveArrived || a.error().code != ErrorCode::BankUnreachable;
            last = a.error();
            continue;
        }
        if (retryable(*a) && attempt < 2) {
            mayHaveArrived = true;
            last = problemError(*a, purpose);
            continue;
        }
        const bool inFlight = a->status == 409 && a->problemCode() == QStringLiteral("idempotency-key-in-flight");
        if (!inFlight) {
            (void)Sqlite::exec(db(),
                QStringLiteral("UPDATE requests SET state = 'answered', status = ?, updated = ? WHERE id = ?"),
                {a->status, now(), id},
                kWhat);
        }
        return a;
    }
    if (!mayHaveArrived) {
        // Never arrived: nothing to settle later; the next attempt is a new request.
        (void)Sqlite::exec(
            db(), QStringLiteral("UPDATE requests SET state = 'unsent', updated = ? WHERE id = ?"), {now(), id}, kWhat);
        return *last;
    }
    Error e = *last;
    e.code = ErrorCode::OutcomeUnknown;
    e.detail = QStringLiteral("the bank host %1 did not answer the %2 (%3). Whether it acted is not known yet; it is "
                              "being checked: the wallet asks again with the same request id, which cannot act twice.")
                   .arg(m_client->describe(), purpose, last->detail);
    return e;
}

Result<void> BankIssuerHost::recordLoad(const QJsonObject& load, const QJsonObject& request)
{
    const QString loadId = load.value(QStringLiteral("loadId")).toString();
    const QString date = load.value(QStringLiteral("date")).toString();
    const QString time = load.value(QStringLiteral("time")).toString();
    if (QUuid::fromString(loadId).isNull() || date.size() != 8 || time.size() != 6) {
        return badAnswer(QStringLiteral("the load authorisation"));
    }
    auto r = Sqlite::exec(db(),
        QStringLiteral("INSERT INTO loads (load_id, asn, atc, amount, balance_before, terminal_id, date, time,"
                       " key_index, state, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'authorised', ?)"
                       " ON CONFLICT (load_id) DO UPDATE SET amount = excluded.amount,"
                       " balance_before = excluded.balance_before, date = excluded.date, time = excluded.time,"
                       " state = 'authorised', updated = excluded.updated"),
        {loadId,
            request.value(QStringLiteral("asn")).toString(),
            request.value(QStringLiteral("onlineAtc")).toInt(),
            request.value(QStringLiteral("amount")).toInteger(),
            request.value(QStringLiteral("balanceBefore")).toInteger(),
            request.value(QStringLiteral("terminalId")).toString(),
            date,
            time,
            request.value(QStringLiteral("keyIndex")).toInt(),
            now()},
        kWhat);
    if (!r) {
        return r.error();
    }
    return {};
}

Result<void> BankIssuerHost::setLoadState(const QString& loadId, const QString& state, const QString& note)
{
    auto r = Sqlite::exec(db(),
        QStringLiteral("UPDATE loads SET state = ?, note = ?, updated = ? WHERE load_id = ?"),
        {state, note.isEmpty() ? QVariant() : QVariant(note), now(), loadId},
        kWhat);
    if (!r) {
        return r.error();
    }
    return {};
}

Result<BankLoad> BankIssuerHost::findLoad(const QByteArray& asn, std::uint16_t atc) const
{
    auto q = Sqlite::exec(db(),
        QStringLiteral("SELECT load_id, amount, balance_before, state FROM loads WHERE asn = ? AND atc = ?"
                       " ORDER BY updated DESC LIMIT 1"),
        {hexOf(asn), atc},
        kWhat);
    if (!q) {
        return q.error();
    }
    if (!q->next()) {
        return makeError(ErrorCode::InvalidState,
            QStringLiteral("this terminal knows no load of key %1 at online ATC %2 at the bank")
                .arg(hexOf(asn))
                .arg(atc));
    }
    BankLoad l;
    l.loadId = q->value(0).toString();
    l.asn = asn;
    l.onlineAtc = atc;
    l.amount = Amount(static_cast<std::uint32_t>(q->value(1).toLongLong()));
    l.balanceBefore = Amount(static_cast<std::uint32_t>(q->value(2).toLongLong()));
    l.state = q->value(3).toString();
    return l;
}

Result<void> BankIssuerHost::apply(
    const QString& purpose, const QString& loadId, const QJsonObject& requestBody, const BankAnswer& answer)
{
    if (purpose == QStringLiteral("load authorisation") && answer.ok()) {
        return recordLoad(answer.body, requestBody);
    }
    if (purpose == QStringLiteral("load confirmation") && answer.ok()) {
        return setLoadState(loadId, QStringLiteral("completed"));
    }
    if (purpose == QStringLiteral("purchase authorisation") && answer.ok()) {
        return recordPurchase(answer.body, requestBody);
    }
    if ((purpose == QStringLiteral("purchase confirmation") || purpose == QStringLiteral("purchase abandonment"))
        && answer.ok()) {
        const QString state = answer.body.value(QStringLiteral("state")).toString();
        auto r = Sqlite::exec(db(),
            QStringLiteral("UPDATE purchases SET state = ?, tac = coalesce(?, tac), updated = ? WHERE purchase_id = ?"),
            {state.isEmpty() ? (purpose == QStringLiteral("purchase confirmation") ? QStringLiteral("completed")
                                                                                   : QStringLiteral("abandoned"))
                             : state,
                requestBody.contains(QStringLiteral("tac"))
                    ? QVariant(requestBody.value(QStringLiteral("tac")).toString())
                    : QVariant(),
                now(),
                loadId},
            kWhat);
        if (!r) {
            return r.error();
        }
        return {};
    }
    if (purpose == QStringLiteral("load cancellation")) {
        if (answer.ok()) {
            return setLoadState(loadId, QStringLiteral("cancelled"));
        }
        if (answer.problemCode() == QStringLiteral("load-credited")) {
            return setLoadState(
                loadId, QStringLiteral("completed"), QStringLiteral("the bank's probe proved it credited"));
        }
    }
    return {};
}

Result<LoadAuthorisation> BankIssuerHost::authoriseLoad(const LoadRequest& request)
{
    const QJsonObject body{{QStringLiteral("asn"), hexOf(request.asn)},
        {QStringLiteral("algorithm"),
            request.algorithm == Algorithm::Sm4 ? QStringLiteral("sm4") : QStringLiteral("3des")},
        {QStringLiteral("keyIndex"), request.keyIndex},
        {QStringLiteral("keyVersion"), request.keyVersion},
        {QStringLiteral("balanceBefore"), static_cast<qint64>(request.balanceBefore.fen())},
        {QStringLiteral("amount"), static_cast<qint64>(request.amount.fen())},
        {QStringLiteral("onlineAtc"), request.onlineAtc},
        {QStringLiteral("random"), hexOf(request.random)},
        {QStringLiteral("mac1"), hexOf(request.mac1)},
        {QStringLiteral("terminalId"), hexOf(request.terminalId)}};
    const QString purpose = QStringLiteral("load authorisation");
    auto a = post(QStringLiteral("/v1/loads"), body, request.asn, request.onlineAtc, purpose, {});
    if (!a) {
        if (a.error().code == ErrorCode::OutcomeUnknown) {
            Error e = a.error();
            e.detail += QStringLiteral(" Nothing was sent to the key.");
            return e;
        }
        return a.error();
    }
    if (!a->ok()) {
        return problemError(*a, QStringLiteral("the bank declined the load"));
    }
    if (auto r = apply(purpose, {}, body, *a); !r) {
        return r.error();
    }
    LoadAuthorisation out;
    const QString mac2 = a->body.value(QStringLiteral("mac2")).toString();
    const QString date = a->body.value(QStringLiteral("date")).toString();
    const QString time = a->body.value(QStringLiteral("time")).toString();
    if (!isHex(mac2, 8) || !isHex(date, 8) || !isHex(time, 6)
        || a->body.value(QStringLiteral("onlineAtc")).toInt(-1) != request.onlineAtc
        || a->body.value(QStringLiteral("amount")).toInteger(-1) != static_cast<qint64>(request.amount.fen())) {
        return badAnswer(purpose);
    }
    out.mac2 = QByteArray::fromHex(mac2.toLatin1());
    out.date = QByteArray::fromHex(date.toLatin1());
    out.time = QByteArray::fromHex(time.toLatin1());
    m_creditedHere << a->body.value(QStringLiteral("loadId")).toString();
    return out;
}

Result<void> BankIssuerHost::confirmLoad(
    const QByteArray& asn, std::uint16_t onlineAtc, Amount balanceAfter, const QByteArray& tac)
{
    (void)balanceAfter; // the bank knows the balance before and the amount: the TAC covers their sum
    // A confirmation sent earlier without an answer is sent again first, with its request id: the bank answers its
    // first outcome, so a TAC is never confirmed twice under two ids.
    if (auto s = settleOpenRequests(asn); !s) {
        return s.error();
    }
    auto load = findLoad(asn, onlineAtc);
    if (!load) {
        return load.error();
    }
    if (load->state == QStringLiteral("completed")) {
        return {};
    }
    if (load->state == QStringLiteral("cancelled")) {
        return makeError(ErrorCode::InvalidState,
            QStringLiteral("the bank cancelled the load of key %1 at ATC %2 on the key's own evidence")
                .arg(hexOf(asn))
                .arg(onlineAtc));
    }
    const QJsonObject body{{QStringLiteral("tac"), hexOf(tac)},
        {QStringLiteral("source"),
            m_creditedHere.contains(load->loadId) ? QStringLiteral("credit") : QStringLiteral("prove")}};
    const QString purpose = QStringLiteral("load confirmation");
    auto a = post(
        QStringLiteral("/v1/loads/%1/confirmation").arg(load->loadId), body, asn, onlineAtc, purpose, load->loadId);
    if (!a) {
        return a.error();
    }
    if (!a->ok()) {
        return problemError(*a, QStringLiteral("the bank did not confirm the load"));
    }
    return apply(purpose, load->loadId, body, *a);
}

Result<void> BankIssuerHost::cancelLoad(const QByteArray& asn, std::uint16_t onlineAtc)
{
    return makeError(ErrorCode::InvalidState,
        QStringLiteral("the bank cancels the load of key %1 at ATC %2 only on the key's own evidence (a probe)")
            .arg(hexOf(asn))
            .arg(onlineAtc));
}

Result<void> BankIssuerHost::cancelLoadOnKey(const QByteArray& asn, std::uint16_t onlineAtc, const KeyCommand& key)
{
    auto load = findLoad(asn, onlineAtc);
    if (!load) {
        return load.error();
    }
    if (load->state == QStringLiteral("cancelled")) {
        return {};
    }
    if (load->state == QStringLiteral("completed")) {
        return makeError(ErrorCode::InvalidState, QStringLiteral("the bank has this load completed"));
    }
    auto keyIndex
        = Sqlite::exec(db(), QStringLiteral("SELECT key_index FROM loads WHERE load_id = ?"), {load->loadId}, kWhat);
    if (!keyIndex || !keyIndex->next()) {
        return keyIndex ? badAnswer(QStringLiteral("the load")) : keyIndex.error();
    }
    const int ki = keyIndex->value(0).toInt();
    for (int attempt = 0; attempt < 2; ++attempt) {
        // A fresh probe each time (a used one is no evidence): §9.1.
        auto p = post(QStringLiteral("/v1/cards/%1/probes").arg(hexOf(asn)),
            QJsonObject{{QStringLiteral("keyIndex"), ki}},
            asn,
            onlineAtc,
            QStringLiteral("probe"),
            load->loadId);
        if (!p) {
            return p.error();
        }
        if (!p->ok()) {
            return problemError(*p, QStringLiteral("the bank gave no probe"));
        }
        const QString probeId = p->body.value(QStringLiteral("probeId")).toString();
        const QByteArray apdu
            = QByteArray::fromHex(p->body.value(QStringLiteral("initializeApdu")).toString().toLatin1());
        // Only the probe's INITIALIZE FOR LOAD (1 fen, no CREDIT follows) is sent for the bank: 80 50 00 02 0B …
        if (apdu.size() != 17 || !apdu.startsWith(QByteArray::fromHex("805000020B")) || u32(apdu, 6) != 1
            || QUuid::fromString(probeId).isNull()) {
            return badAnswer(QStringLiteral("the probe"));
        }
        auto r = key(CommandApdu(0x80, 0x50, 0x00, 0x02, apdu.mid(5, 11), 16));
        if (!r) {
            if (r.error().statusWord == 0x6985 || r.error().statusWord == 0x9402) {
                // A key not credited fits 1 fen more and has ATCs left (§9.1): this one was credited.
                return makeError(ErrorCode::InvalidState,
                    QStringLiteral("the key refused the bank's probe (%1): the load was credited; its proof is read "
                                   "at the next check")
                        .arg(r.error().statusWord, 4, 16, QLatin1Char('0')));
            }
            Error e = r.error();
            e.detail = QStringLiteral("the bank's probe on the key: ") + e.detail;
            return e;
        }
        const QByteArray& d = *r;
        if (d.size() != 16) {
            return makeError(ErrorCode::ProtocolError, QStringLiteral("the key's answer to the probe is not 16 bytes"));
        }
        const QJsonObject evidence{{QStringLiteral("probeId"), probeId},
            {QStringLiteral("algorithm"),
                static_cast<std::uint8_t>(d.at(7)) == 0x04 ? QStringLiteral("sm4") : QStringLiteral("3des")},
            {QStringLiteral("keyVersion"), static_cast<std::uint8_t>(d.at(6))},
            {QStringLiteral("balance"), static_cast<qint64>(u32(d, 0))},
            {QStringLiteral("onlineAtc"),
                (static_cast<std::uint8_t>(d.at(4)) << 8) | static_cast<std::uint8_t>(d.at(5))},
            {QStringLiteral("random"), hexOf(d.mid(8, 4))},
            {QStringLiteral("mac1"), hexOf(d.mid(12, 4))}};
        const QString purpose = QStringLiteral("load cancellation");
        auto c = post(QStringLiteral("/v1/loads/%1/cancellation").arg(load->loadId),
            evidence,
            asn,
            onlineAtc,
            purpose,
            load->loadId);
        if (!c) {
            return c.error();
        }
        if (auto ap = apply(purpose, load->loadId, evidence, *c); !ap) {
            return ap.error();
        }
        if (c->ok()) {
            qCInfo(lcBankIssuer) << "load" << load->loadId << "cancelled on the key's probe";
            return {};
        }
        if (c->problemCode() == QStringLiteral("probe-stale")) {
            continue; // a MAC2 was issued after the probe: probe again
        }
        if (c->problemCode() == QStringLiteral("load-credited")) {
            return makeError(ErrorCode::InvalidState,
                QStringLiteral("the bank's probe shows the key was credited: the load stands; its proof is read at "
                               "the next check"));
        }
        return problemError(*c, QStringLiteral("the bank did not cancel the load"));
    }
    return makeError(
        ErrorCode::OutcomeUnknown, QStringLiteral("the bank's probes went stale twice; checked again later"));
}

Result<void> BankIssuerHost::settleOpenRequests(const QByteArray& asn)
{
    auto q = Sqlite::exec(db(),
        QStringLiteral("SELECT id, purpose, path, body, load_id FROM requests WHERE state = 'open' AND asn = ?"
                       " ORDER BY created"),
        {hexOf(asn)},
        kWhat);
    if (!q) {
        return q.error();
    }
    struct Open
    {
        QString id, purpose, path;
        QJsonObject body;
        QString loadId;
    };
    std::vector<Open> open;
    while (q->next()) {
        open.push_back({q->value(0).toString(),
            q->value(1).toString(),
            q->value(2).toString(),
            QJsonDocument::fromJson(q->value(3).toString().toUtf8()).object(),
            q->value(4).toString()});
    }
    for (const Open& o : open) {
        auto a = m_client->send(BankCall{QByteArrayLiteral("POST"), o.path, o.body, o.id});
        if (!a) {
            return makeError(ErrorCode::OutcomeUnknown,
                QStringLiteral("the %1 sent earlier is still unanswered: %2").arg(o.purpose, a.error().detail));
        }
        if (a->status == 409 && a->problemCode() == QStringLiteral("idempotency-key-in-flight")) {
            return makeError(
                ErrorCode::OutcomeUnknown, QStringLiteral("the %1 is still running at the bank").arg(o.purpose));
        }
        qCInfo(lcBankIssuer) << "settled the unanswered" << o.purpose << "with its request id:" << a->status
                             << (a->replayed ? "(the bank's first answer)" : "");
        (void)Sqlite::exec(db(),
            QStringLiteral("UPDATE requests SET state = 'answered', status = ?, updated = ? WHERE id = ?"),
            {a->status, now(), o.id},
            kWhat);
        if (auto r = apply(o.purpose, o.loadId, o.body, *a); !r) {
            return r.error();
        }
    }
    return {};
}

Result<std::vector<PendingLoad>> BankIssuerHost::pendingLoads(const QByteArray& asn)
{
    if (auto s = settleOpenRequests(asn); !s) {
        return s.error();
    }
    auto q = Sqlite::exec(db(),
        QStringLiteral("SELECT atc, amount, balance_before, terminal_id, date, time, state, note FROM loads"
                       " WHERE asn = ? AND state IN ('authorised', 'disputed') ORDER BY atc"),
        {hexOf(asn)},
        kWhat);
    if (!q) {
        return q.error();
    }
    std::vector<PendingLoad> out;
    while (q->next()) {
        PendingLoad p;
        p.asn = asn;
        p.onlineAtc = static_cast<std::uint16_t>(q->value(0).toInt());
        p.amount = Amount(static_cast<std::uint32_t>(q->value(1).toLongLong()));
        p.balanceBefore = Amount(static_cast<std::uint32_t>(q->value(2).toLongLong()));
        p.terminalId = QByteArray::fromHex(q->value(3).toString().toLatin1());
        p.date = QByteArray::fromHex(q->value(4).toString().toLatin1());
        p.time = QByteArray::fromHex(q->value(5).toString().toLatin1());
        p.disputed = q->value(6).toString() == QStringLiteral("disputed");
        p.note = q->value(7).toString();
        out.push_back(p);
    }
    return out;
}

Result<void> BankIssuerHost::disputeLoad(const QByteArray& asn, std::uint16_t onlineAtc, const QString& reason)
{
    auto load = findLoad(asn, onlineAtc);
    if (!load) {
        return load.error();
    }
    qCWarning(lcBankIssuer) << "load" << load->loadId << "disputed:" << reason;
    return setLoadState(load->loadId, QStringLiteral("disputed"), reason);
}

Result<std::vector<BankLoad>> BankIssuerHost::openLoads() const
{
    auto q = Sqlite::exec(db(),
        QStringLiteral("SELECT load_id, asn, atc, amount, balance_before, state FROM loads"
                       " WHERE state IN ('authorised', 'disputed') ORDER BY updated"),
        {},
        kWhat);
    if (!q) {
        return q.error();
    }
    std::vector<BankLoad> out;
    while (q->next()) {
        BankLoad l;
        l.loadId = q->value(0).toString();
        l.asn = QByteArray::fromHex(q->value(1).toString().toLatin1());
        l.onlineAtc = static_cast<std::uint16_t>(q->value(2).toInt());
        l.amount = Amount(static_cast<std::uint32_t>(q->value(3).toLongLong()));
        l.balanceBefore = Amount(static_cast<std::uint32_t>(q->value(4).toLongLong()));
        l.state = q->value(5).toString();
        out.push_back(l);
    }
    return out;
}

Result<int> BankIssuerHost::openRequests() const
{
    auto q = Sqlite::exec(db(), QStringLiteral("SELECT count(*) FROM requests WHERE state = 'open'"), {}, kWhat);
    if (!q) {
        return q.error();
    }
    return q->next() ? q->value(0).toInt() : 0;
}

Result<void> BankIssuerHost::recordPurchase(const QJsonObject& purchase, const QJsonObject& request)
{
    const QString purchaseId = purchase.value(QStringLiteral("purchaseId")).toString();
    const qint64 tsn = purchase.value(QStringLiteral("tsn")).toInteger(-1);
    if (QUuid::fromString(purchaseId).isNull() || tsn < 0 || tsn > 0xFFFFFFFFLL) {
        return badAnswer(QStringLiteral("the purchase authorisation"));
    }
    auto r = Sqlite::exec(db(),
        QStringLiteral("INSERT INTO purchases (purchase_id, order_id, asn, terminal_id, tsn, offline_atc, amount,"
                       " balance_before, state, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'authorised', ?)"
                       " ON CONFLICT (purchase_id) DO NOTHING"),
        {purchaseId,
            request.value(QStringLiteral("orderId")).toString(),
            request.value(QStringLiteral("asn")).toString(),
            request.value(QStringLiteral("terminalId")).toString(),
            tsn,
            request.value(QStringLiteral("offlineAtc")).toInt(),
            request.value(QStringLiteral("amount")).toInteger(),
            request.value(QStringLiteral("balanceBefore")).toInteger(),
            now()},
        kWhat);
    if (!r) {
        return r.error();
    }
    return {};
}

Result<BankIssuerHost::PurchaseRow> BankIssuerHost::findPurchase(const QByteArray& terminalId, std::uint32_t tsn) const
{
    auto q = Sqlite::exec(db(),
        QStringLiteral(
            "SELECT purchase_id, state, offline_atc, balance_before, asn FROM purchases WHERE terminal_id = ?"
            " AND tsn = ?"),
        {hexOf(terminalId), static_cast<qint64>(tsn)},
        kWhat);
    if (!q) {
        return q.error();
    }
    if (!q->next()) {
        return makeError(ErrorCode::InvalidState,
            QStringLiteral("this terminal knows no purchase at terminal %1 TSN %2").arg(hexOf(terminalId)).arg(tsn));
    }
    PurchaseRow row;
    row.purchaseId = q->value(0).toString();
    row.state = q->value(1).toString();
    row.offlineAtc = static_cast<std::uint16_t>(q->value(2).toInt());
    row.balanceBefore = q->value(3).toLongLong();
    row.asn = QByteArray::fromHex(q->value(4).toString().toLatin1());
    return row;
}

Result<PurchaseAuthorisation> BankIssuerHost::authoriseOrderPurchase(const PurchaseRequest& request,
    const QByteArray& terminalId,
    const QString& orderId,
    const QJsonObject& cardholderSignature)
{
    QJsonObject body{{QStringLiteral("asn"), hexOf(request.asn)},
        {QStringLiteral("algorithm"),
            request.algorithm == Algorithm::Sm4 ? QStringLiteral("sm4") : QStringLiteral("3des")},
        {QStringLiteral("keyIndex"), request.keyIndex},
        {QStringLiteral("keyVersion"), request.keyVersion},
        {QStringLiteral("balanceBefore"), static_cast<qint64>(request.balanceBefore.fen())},
        {QStringLiteral("amount"), static_cast<qint64>(request.amount.fen())},
        {QStringLiteral("offlineAtc"), request.offlineAtc},
        {QStringLiteral("random"), hexOf(request.random)},
        {QStringLiteral("terminalId"), hexOf(terminalId)},
        {QStringLiteral("orderId"), orderId}};
    if (!cardholderSignature.isEmpty()) {
        body.insert(QStringLiteral("cardholderSignature"), cardholderSignature);
    }
    const QString purpose = QStringLiteral("purchase authorisation");
    auto a = post(QStringLiteral("/v1/purchases"), body, request.asn, request.offlineAtc, purpose, {});
    if (!a) {
        if (a.error().code == ErrorCode::OutcomeUnknown) {
            Error e = a.error();
            e.detail += QStringLiteral(" Nothing was sent to the key; the order shows \"checking\" until then.");
            return e;
        }
        return a.error();
    }
    if (!a->ok()) {
        return problemError(*a, QStringLiteral("the bank declined the payment"));
    }
    if (auto r = apply(purpose, {}, body, *a); !r) {
        return r.error();
    }
    const QString mac1 = a->body.value(QStringLiteral("mac1")).toString();
    const QString date = a->body.value(QStringLiteral("date")).toString();
    const QString time = a->body.value(QStringLiteral("time")).toString();
    const qint64 tsn = a->body.value(QStringLiteral("tsn")).toInteger(-1);
    if (!isHex(mac1, 8) || !isHex(date, 8) || !isHex(time, 6) || tsn < 0 || tsn > 0xFFFFFFFFLL) {
        return badAnswer(purpose);
    }
    PurchaseAuthorisation out;
    out.tsn = static_cast<std::uint32_t>(tsn);
    out.mac1 = QByteArray::fromHex(mac1.toLatin1());
    out.date = QByteArray::fromHex(date.toLatin1());
    out.time = QByteArray::fromHex(time.toLatin1());
    // The wallet builds DEBIT FOR PURCHASE itself from these; it must be the very command the bank meant.
    QByteArray debit = QByteArray::fromHex("805401000F");
    for (int shift = 24; shift >= 0; shift -= 8) {
        debit.append(static_cast<char>((out.tsn >> shift) & 0xFF));
    }
    debit += out.date + out.time + out.mac1 + QByteArray::fromHex("08");
    if (a->body.value(QStringLiteral("debitApdu")).toString().toUpper() != hexOf(debit)) {
        return badAnswer(purpose);
    }
    m_debitedHere << a->body.value(QStringLiteral("purchaseId")).toString();
    return out;
}

Result<QJsonObject> BankIssuerHost::confirmOrderPurchase(
    const QByteArray& terminalId, std::uint32_t tsn, const QByteArray& mac2, const QByteArray& tac)
{
    auto row = findPurchase(terminalId, tsn);
    if (!row) {
        return row.error();
    }
    if (row->state == QStringLiteral("completed")) {
        return QJsonObject{{QStringLiteral("purchaseId"), row->purchaseId}, {QStringLiteral("state"), row->state}};
    }
    const QJsonObject body{{QStringLiteral("mac2"), hexOf(mac2)},
        {QStringLiteral("tac"), hexOf(tac)},
        {QStringLiteral("source"),
            m_debitedHere.contains(row->purchaseId) ? QStringLiteral("debit") : QStringLiteral("prove")}};
    const QString purpose = QStringLiteral("purchase confirmation");
    auto a = post(QStringLiteral("/v1/purchases/%1/confirmation").arg(row->purchaseId),
        body,
        row->asn,
        row->offlineAtc,
        purpose,
        row->purchaseId);
    if (!a) {
        return a.error();
    }
    if (!a->ok()) {
        return problemError(*a, QStringLiteral("the bank did not confirm the payment"));
    }
    if (auto r = apply(purpose, row->purchaseId, body, *a); !r) {
        return r.error();
    }
    return a->body;
}

Result<void> BankIssuerHost::abandonOrderPurchase(const QByteArray& terminalId, std::uint32_t tsn)
{
    auto row = findPurchase(terminalId, tsn);
    if (!row) {
        return row.error();
    }
    if (row->state == QStringLiteral("abandoned")) {
        return {};
    }
    // Called only when the key showed its offline ATC still at N (it never debited): the terminal's word (§9.2).
    const QJsonObject body{
        {QStringLiteral("offlineAtc"), row->offlineAtc}, {QStringLiteral("balance"), row->balanceBefore}};
    const QString purpose = QStringLiteral("purchase abandonment");
    auto a = post(QStringLiteral("/v1/purchases/%1/abandonment").arg(row->purchaseId),
        body,
        row->asn,
        row->offlineAtc,
        purpose,
        row->purchaseId);
    if (!a) {
        return a.error();
    }
    if (!a->ok()) {
        return problemError(*a, QStringLiteral("the bank did not release the order"));
    }
    return apply(purpose, row->purchaseId, body, *a);
}

Result<std::vector<UnconfirmedPurchase>> BankIssuerHost::openPurchases(
    const QByteArray& asn, const QByteArray& terminalId) const
{
    auto q = Sqlite::exec(db(),
        QStringLiteral("SELECT tsn, offline_atc, amount FROM purchases WHERE asn = ? AND terminal_id = ?"
                       " AND state = 'authorised' ORDER BY tsn"),
        {hexOf(asn), hexOf(terminalId)},
        kWhat);
    if (!q) {
        return q.error();
    }
    std::vector<UnconfirmedPurchase> out;
    while (q->next()) {
        UnconfirmedPurchase u;
        u.tsn = static_cast<std::uint32_t>(q->value(0).toLongLong());
        u.offlineAtc = static_cast<std::uint16_t>(q->value(1).toInt());
        u.amount = Amount(static_cast<std::uint32_t>(q->value(2).toLongLong()));
        out.push_back(u);
    }
    return out;
}

} // namespace wallet::core
