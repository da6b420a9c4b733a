// SPDX-License-Identifier: Apache-2.0
// Group commit of load authorisations and confirmations (docs/bank.md §7.3 "Decision: group commit"), end to end with
// the real parts (BankRig: PostgreSQL or, as test_bank_group_commit_sqlite, the SQLite file; SoftHSM2; skey-bank over
// mutual TLS). The test fault plan's `group-hold:K` makes the committer wait for K queued requests, so the requests a
// case fires at once from several terminals are known to share one transaction; the cases then check each answer,
// that refused requests moved nothing, that the others moved exactly once, `bankctl audit ledger`, and that every key
// holds what the bank vouches for. The crash cases kill the host before and after the group's one COMMIT; the
// failed-COMMIT case makes the group's COMMIT fail, after which each request runs again alone.
#include "bank/support/BankRig.h"
#include "bank/support/TestCard.h"

#include <httplib.h>

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <QUuid>

#include <cstdio>
#include <functional>
#include <thread>
#include <vector>

using namespace wallet;
using namespace wallet::bank::test;

namespace {

constexpr int kKeys = 6;
constexpr qint64 kDeposit = 100000;

QString asnOf(int i)
{
    return QStringLiteral("0905%1").arg(i, 12, 10, QLatin1Char('0'));
}

QString terminalOf(int i)
{
    return QStringLiteral("7705000000%1").arg(i, 2, 10, QLatin1Char('0'));
}

QString certificateOf(int i)
{
    return QStringLiteral("group%1").arg(i);
}

QString newKey()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

QString hex(const QByteArray& b)
{
    return QString::fromLatin1(b.toHex().toUpper());
}

/// One request of a concurrent batch: as which terminal, where, with which request id and body; then its answer.
struct Call
{
    int terminal = 0;
    QString path;
    QString requestId;
    QJsonObject body;
    BankRig::ApiAnswer answer;
};

} // namespace

class TestBankGroupCommit : public QObject
{
    Q_OBJECT

private:
    BankRig m_rig;
    std::vector<std::unique_ptr<TestCard>> m_cards;

    qint64 funding(int key)
    {
        return m_rig.sqlInt("SELECT a.balance FROM accounts a JOIN cards c ON c.account_id = a.id WHERE c.asn = $1",
            {asnOf(key).toStdString()});
    }
    /// Every key's funding balance, by key.
    std::vector<qint64> fundings()
    {
        std::vector<qint64> v;
        for (int k = 0; k < kKeys; ++k) {
            v.push_back(funding(k));
        }
        return v;
    }
    qint64 loadTransfers(int key)
    {
        return m_rig.sqlInt(
            "SELECT count(*) FROM transfers WHERE natural_key LIKE $1", {"load%:" + asnOf(key).toStdString() + ":%"});
    }

    /// Terminal `terminal` asks to load `amount` fen onto key `key` (a fresh INITIALIZE FOR LOAD on the key).
    Call authorisation(int terminal, int key, std::uint32_t amount, const QString& requestId = newKey())
    {
        const QByteArray term = QByteArray::fromHex(terminalOf(terminal).toLatin1());
        const auto init = m_cards[static_cast<std::size_t>(key)]->initializeForLoad(amount, term);
        Call c;
        c.terminal = terminal;
        c.path = QStringLiteral("/v1/loads");
        c.requestId = requestId;
        c.body = TestCard::authoriseLoadBody(QByteArray::fromHex(asnOf(key).toLatin1()), init, amount, term);
        return c;
    }

    /// All calls at once, each from its own thread and connection; waits for every answer (30 s each: a held group
    /// answers only once its last request has arrived, which on a loaded machine can take more than httplib's 5 s).
    void fire(std::vector<Call>& calls)
    {
        std::vector<std::thread> threads;
        for (Call& c : calls) {
            threads.emplace_back([this, &c] {
                const QString cert = certificateOf(c.terminal);
                httplib::SSLClient http("127.0.0.1",
                    m_rig.port(),
                    m_rig.tlsPath(cert + QStringLiteral(".pem")).toStdString(),
                    m_rig.tlsPath(cert + QStringLiteral(".key")).toStdString());
                http.set_ca_cert_path(m_rig.tlsPath(QStringLiteral("ca.pem")).toStdString().c_str());
                http.enable_server_certificate_verification(true);
                http.set_read_timeout(30, 0);
                auto res = http.Post(c.path.toStdString().c_str(),
                    httplib::Headers{{"Idempotency-Key", c.requestId.toStdString()}},
                    QJsonDocument(c.body).toJson(QJsonDocument::Compact).toStdString(),
                    "application/json");
                c.answer = {};
                if (res) {
                    c.answer.status = res->status;
                    c.answer.body = QByteArray::fromStdString(res->body);
                    c.answer.json = QJsonDocument::fromJson(c.answer.body).object();
                }
            });
        }
        for (auto& t : threads) {
            t.join();
        }
    }

    /// The key credits with the bank's answer; the terminal confirms with the TAC (alone).
    void creditAndConfirm(int terminal, int key, const QJsonObject& a)
    {
        auto tac = m_cards[static_cast<std::size_t>(key)]->creditForLoad(
            QByteArray::fromHex(a.value(QStringLiteral("date")).toString().toLatin1()),
            QByteArray::fromHex(a.value(QStringLiteral("time")).toString().toLatin1()),
            QByteArray::fromHex(a.value(QStringLiteral("mac2")).toString().toLatin1()));
        QVERIFY2(tac.has_value(), "the key refused the bank's MAC2");
        const auto c = m_rig.api("POST",
            QStringLiteral("/v1/loads/%1/confirmation").arg(a.value(QStringLiteral("loadId")).toString()),
            certificateOf(terminal),
            {{QStringLiteral("tac"), hex(*tac)}, {QStringLiteral("source"), QStringLiteral("credit")}});
        QCOMPARE(c.status, 200);
        QCOMPARE(c.json.value(QStringLiteral("state")).toString(), QStringLiteral("completed"));
    }

    void auditLedger()
    {
        QString out;
        const int rc = m_rig.bankctl({QStringLiteral("audit"), QStringLiteral("ledger")}, &out);
        QVERIFY2(rc == 0, qPrintable(out));
        QVERIFY2(out.contains(QStringLiteral("ledger invariants hold")), qPrintable(out));
        for (int k = 0; k < kKeys; ++k) {
            // The key and the bank agree: what the key holds is what the bank vouches for and what left funding.
            const qint64 shadow
                = m_rig.sqlInt("SELECT shadow_balance FROM cards WHERE asn = $1", {asnOf(k).toStdString()});
            QCOMPARE(shadow, static_cast<qint64>(m_cards[static_cast<std::size_t>(k)]->balance()));
            QCOMPARE(funding(k), kDeposit - shadow);
        }
    }

    void restart(const QString& fault = {})
    {
        m_rig.stopServer();
        const QString s = m_rig.startServer(fault);
        QVERIFY2(s.isEmpty(), qPrintable(s));
    }

private slots:
    void initTestCase()
    {
        const QString up = m_rig.setUp();
        QVERIFY2(up.isEmpty(), qPrintable(up));
        for (int i = 0; i < kKeys; ++i) {
            const QString e = m_rig.registerCard(
                asnOf(i), QStringLiteral("Holder %1").arg(i), kDeposit, QStringLiteral("CASH-G%1").arg(i));
            QVERIFY2(e.isEmpty(), qPrintable(e));
            const QString c
                = m_rig.makeClientCertificate(certificateOf(i), QStringLiteral("/OU=wallet/CN=%1").arg(terminalOf(i)));
            QVERIFY2(c.isEmpty(), qPrintable(c));
            m_cards.push_back(std::make_unique<TestCard>(QByteArray::fromHex("00112233445566778899AABBCCDDEEFF"),
                QByteArray::fromHex("404142434445464748494A4B4C4D4E4F"),
                QByteArray::fromHex(asnOf(i).toLatin1())));
        }
        const QString started = m_rig.startServer();
        QVERIFY2(started.isEmpty(), qPrintable(started));
        auditLedger();
    }

    /// Eight requests in one group: each gets its own answer, refusals move nothing, the rest moves exactly once.
    void oneGroupAnswersEachRequestOnItsOwn()
    {
        // Key 0: a load authorised and credited first, so that its confirmation and the next load's authorisation
        // (the same card row and float bucket) share the group.
        Call first = authorisation(0, 0, 100);
        std::vector<Call> warmUp{first};
        fire(warmUp);
        QCOMPARE(warmUp[0].answer.status, 201);
        const QJsonObject& a0 = warmUp[0].answer.json;
        auto tac0
            = m_cards[0]->creditForLoad(QByteArray::fromHex(a0.value(QStringLiteral("date")).toString().toLatin1()),
                QByteArray::fromHex(a0.value(QStringLiteral("time")).toString().toLatin1()),
                QByteArray::fromHex(a0.value(QStringLiteral("mac2")).toString().toLatin1()));
        QVERIFY(tac0.has_value());

        restart(QStringLiteral("group-hold:8"));
        std::vector<Call> calls;
        // 0: key 0's confirmation of the credited load; 1: key 0's next load (same card, same group).
        Call confirm;
        confirm.terminal = 0;
        confirm.path = QStringLiteral("/v1/loads/%1/confirmation").arg(a0.value(QStringLiteral("loadId")).toString());
        confirm.requestId = newKey();
        confirm.body = {{QStringLiteral("tac"), hex(*tac0)}, {QStringLiteral("source"), QStringLiteral("credit")}};
        calls.push_back(confirm);
        calls.push_back(authorisation(0, 0, 200));
        // 2, 3: terminal 1 sends one request twice with the same id and body (a retry racing the first attempt).
        const QString sameId = newKey();
        calls.push_back(authorisation(1, 1, 300, sameId));
        calls.push_back(calls.back());
        // 4, 5: terminal 2 reuses one request id for two different loads (keys 2 and 3): one runs, one is 422.
        const QString reusedId = newKey();
        calls.push_back(authorisation(2, 2, 400, reusedId));
        calls.push_back(authorisation(2, 3, 500, reusedId));
        // 6: terminal 3, key 4 with a wrong MAC1; 7: terminal 4, key 5, a good load.
        Call bad = authorisation(3, 4, 600);
        QString mac1 = bad.body.value(QStringLiteral("mac1")).toString();
        mac1[0] = mac1[0] == QLatin1Char('0') ? QLatin1Char('1') : QLatin1Char('0');
        bad.body.insert(QStringLiteral("mac1"), mac1);
        calls.push_back(bad);
        calls.push_back(authorisation(4, 5, 700));
        const std::vector<qint64> before = fundings();
        fire(calls);
        for (const Call& c : calls) {
            QVERIFY2(c.answer.status > 0, qPrintable(c.path + QStringLiteral(": no answer")));
        }

        // The confirmation completes load 0, by its TAC or (when the next load ran first) by the later online ATC.
        QCOMPARE(calls[0].answer.status, 200);
        QCOMPARE(calls[0].answer.json.value(QStringLiteral("state")).toString(), QStringLiteral("completed"));
        QCOMPARE(calls[1].answer.status, 201);
        QCOMPARE(funding(0), before[0] - 200);
        // The same id and body twice: one run, two equal answers, one movement.
        QCOMPARE(calls[2].answer.status, 201);
        QCOMPARE(calls[3].answer.status, 201);
        QCOMPARE(calls[2].answer.body, calls[3].answer.body);
        QCOMPARE(funding(1), before[1] - 300);
        QCOMPARE(loadTransfers(1), 1);
        // One id, two bodies: the first to run moved its money, the other is 422 and moved nothing.
        const int won = calls[4].answer.status == 201 ? 4 : 5;
        const int lost = won == 4 ? 5 : 4;
        QCOMPARE(calls[won].answer.status, 201);
        QCOMPARE(calls[lost].answer.status, 422);
        QCOMPARE(
            calls[lost].answer.json.value(QStringLiteral("code")).toString(), QStringLiteral("idempotency-key-reused"));
        QCOMPARE(funding(2), before[2] - (won == 4 ? 400 : 0));
        QCOMPARE(funding(3), before[3] - (won == 5 ? 500 : 0));
        // The wrong MAC1 moved nothing; the good load beside it moved once.
        QCOMPARE(calls[6].answer.status, 422);
        QCOMPARE(calls[6].answer.json.value(QStringLiteral("code")).toString(), QStringLiteral("mac1-invalid"));
        QCOMPARE(funding(4), before[4]);
        QCOMPARE(loadTransfers(4), 0);
        QCOMPARE(calls[7].answer.status, 201);
        QCOMPARE(funding(5), before[5] - 700);

        // Each key credits the answer it got; the confirmations go through groups of their own (no hold).
        restart();
        creditAndConfirm(0, 0, calls[1].answer.json);
        creditAndConfirm(1, 1, calls[2].answer.json);
        creditAndConfirm(2, won == 4 ? 2 : 3, calls[won].answer.json);
        creditAndConfirm(4, 5, calls[7].answer.json);
        auditLedger();
    }

    /// The host dies before the group's one COMMIT: no request of the group moved money, and each one sent again with
    /// its request id runs once.
    void crashBeforeGroupCommitLosesTheWholeGroupAndRetriesOnce()
    {
        restart(QStringLiteral("group-hold:4,crash-before-commit:3"));
        std::vector<Call> calls;
        for (int i = 0; i < 4; ++i) {
            calls.push_back(authorisation(i, i, 110));
        }
        const std::vector<qint64> before = fundings();
        fire(calls);
        for (const Call& c : calls) {
            QCOMPARE(c.answer.status, -1); // no answer: the process died before the COMMIT
        }
        QCOMPARE(m_rig.waitServerExit(), 86);
        for (int k = 0; k < 4; ++k) {
            QCOMPARE(funding(k), before[k]); // not one of the group committed
        }
        restart();
        fire(calls); // the same request ids and bodies
        for (int i = 0; i < 4; ++i) {
            QCOMPARE(calls[static_cast<std::size_t>(i)].answer.status, 201);
            QCOMPARE(funding(i), before[i] - 110);
        }
        for (int i = 0; i < 4; ++i) {
            creditAndConfirm(i, i, calls[static_cast<std::size_t>(i)].answer.json);
        }
        auditLedger();
    }

    /// The host dies after the group's COMMIT, before any answer: all of it committed; the retries replay.
    void crashAfterGroupCommitKeepsTheWholeGroupAndReplays()
    {
        restart(QStringLiteral("group-hold:4,crash-after-commit:2"));
        std::vector<Call> calls;
        for (int i = 0; i < 4; ++i) {
            calls.push_back(authorisation(i, i + 2, 120));
        }
        std::vector<qint64> before;
        std::vector<qint64> transfersBefore;
        for (int k = 0; k < kKeys; ++k) {
            before.push_back(funding(k));
            transfersBefore.push_back(loadTransfers(k));
        }
        fire(calls);
        for (const Call& c : calls) {
            QCOMPARE(c.answer.status, -1);
        }
        QCOMPARE(m_rig.waitServerExit(), 86);
        for (int i = 0; i < 4; ++i) {
            QCOMPARE(funding(i + 2), before[i + 2] - 120); // the whole group committed
        }
        restart();
        fire(calls);
        for (int i = 0; i < 4; ++i) {
            QCOMPARE(calls[static_cast<std::size_t>(i)].answer.status, 201);
            QCOMPARE(funding(i + 2), before[i + 2] - 120); // replayed, not moved again
            QCOMPARE(loadTransfers(i + 2), transfersBefore[static_cast<std::size_t>(i + 2)] + 1);
        }
        for (int i = 0; i < 4; ++i) {
            creditAndConfirm(i, i + 2, calls[static_cast<std::size_t>(i)].answer.json);
        }
        auditLedger();
    }

    /// The group's COMMIT fails: no answer of the group is given from it; each request runs again alone and answers
    /// its own outcome, moving money once.
    void failedGroupCommitRunsEachRequestAlone()
    {
        restart(QStringLiteral("group-hold:4,fail-group-commit:2"));
        std::vector<Call> calls;
        for (int i = 0; i < 3; ++i) {
            calls.push_back(authorisation(i, i, 130));
        }
        Call bad = authorisation(3, 3, 140);
        bad.body.insert(QStringLiteral("amount"), 141); // MAC1 was made for 140: refused, nothing moves
        calls.push_back(bad);
        const std::vector<qint64> before = fundings();
        fire(calls);
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(calls[static_cast<std::size_t>(i)].answer.status, 201);
            QCOMPARE(funding(i), before[i] - 130);
        }
        QCOMPARE(calls[3].answer.status, 422);
        QCOMPARE(funding(3), before[3]);
        restart();
        for (int i = 0; i < 3; ++i) {
            creditAndConfirm(i, i, calls[static_cast<std::size_t>(i)].answer.json);
        }
        auditLedger();
    }

    void cleanupTestCase() { m_rig.stopServer(); }
};

SKEY_BANK_TEST_MAIN(TestBankGroupCommit)

#include "TestBankGroupCommit.moc"
