// SPDX-License-Identifier: Apache-2.0
// The terminal's bank client (core/bank/) against the in-process bank client: request ids stored before the first
// attempt and reused on every retry (in this run and after a restart), lost answers settled by pendingLoads(), an
// unreachable bank told apart from an unknown outcome, problem+json turned into errors with the bank's next step,
// the probe's INITIALIZE relayed to the key (and nothing else), and the configuration file's checks.
// The end-to-end flow against the real skey-bank is tests/bank/TestBankWalletctl.cpp.
#include "core/bank/BankIssuerHost.h"
#include "core/bank/HttpsBankClient.h"
#include "support/Vectors.h"

#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace wallet::core;

namespace {

const QByteArray kAsn = QByteArray::fromHex("0102030405060708");
const QByteArray kTerminal = QByteArray::fromHex("112233445566");
const QString kLoadId = QStringLiteral("0192e5a4-8a00-7c44-b2f0-5d1e3c9a7f21");

LoadRequest request()
{
    LoadRequest r;
    r.asn = kAsn;
    r.keyVersion = 1;
    r.balanceBefore = Amount(0);
    r.amount = Amount(1000);
    r.onlineAtc = 0;
    r.random = QByteArray::fromHex("1A2B3C4D");
    r.mac1 = QByteArray::fromHex("3905D068");
    r.terminalId = kTerminal;
    return r;
}

BankAnswer authorised()
{
    return BankAnswer{201,
        QJsonObject{{QStringLiteral("loadId"), kLoadId},
            {QStringLiteral("state"), QStringLiteral("authorised")},
            {QStringLiteral("asn"), QStringLiteral("0102030405060708")},
            {QStringLiteral("onlineAtc"), 0},
            {QStringLiteral("amount"), 1000},
            {QStringLiteral("mac2"), QStringLiteral("2561CD1B")},
            {QStringLiteral("date"), QStringLiteral("20250101")},
            {QStringLiteral("time"), QStringLiteral("120000")},
            {QStringLiteral("creditApdu"), QStringLiteral("805200000B202501011200002561CD1B04")}},
        false,
        {}};
}

BankAnswer problem(int status, const char* code, const char* next)
{
    return BankAnswer{status,
        QJsonObject{{QStringLiteral("type"), QStringLiteral("tag:smartkey.example,2026:bank/") + QLatin1String(code)},
            {QStringLiteral("title"), QStringLiteral("Refused")},
            {QStringLiteral("status"), status},
            {QStringLiteral("code"), QLatin1String(code)},
            {QStringLiteral("nextStep"), QLatin1String(next)}},
        false,
        {}};
}

Error lost()
{
    return makeError(ErrorCode::OutcomeUnknown, QStringLiteral("connection closed after the request was sent"));
}

/// A scripted bank: every call is recorded; `answer` decides.
struct Script
{
    std::vector<BankCall> calls;
    std::function<Result<BankAnswer>(const BankCall&, int n)> answer;
    std::unique_ptr<BankClient> client()
    {
        return std::make_unique<InProcessBankClient>([this](const BankCall& c) -> Result<BankAnswer> {
            calls.push_back(c);
            return answer(c, static_cast<int>(calls.size()));
        });
    }
};

} // namespace

class TestBankClient : public QObject
{
    Q_OBJECT

private slots:
    void retryKeepsTheRequestId();
    void lostAnswerIsSettledWithTheSameIdAfterARestart();
    void unreachableIsNotUnknown();
    void problemsBecomeErrorsWithTheNextStep();
    void confirmationGoesToTheBanksLoad();
    void cancelRunsTheBanksProbeOnTheKey();
    void onlyTheProbeIsRelayedToTheKey();
    void configurationFile();

private:
    QTemporaryDir m_dir;
    int m_n = 0;
    QString outbox() { return m_dir.filePath(QStringLiteral("outbox-%1.sqlite").arg(++m_n)); }
};

void TestBankClient::retryKeepsTheRequestId()
{
    Script s;
    s.answer = [](const BankCall&, int n) -> Result<BankAnswer> {
        if (n == 1) {
            return lost();
        }
        return authorised();
    };
    auto host = BankIssuerHost::open(outbox(), s.client(), kTerminal);
    CORE_VERIFY_OK(host);
    auto auth = (*host)->authoriseLoad(request());
    CORE_VERIFY_OK(auth);
    QCOMPARE(s.calls.size(), size_t(2));
    QCOMPARE(s.calls[0].path, QStringLiteral("/v1/loads"));
    QVERIFY(!s.calls[0].requestId.isEmpty());
    QCOMPARE(s.calls[1].requestId, s.calls[0].requestId); // the retry is the same request: exactly once
    QCOMPARE(s.calls[1].body, s.calls[0].body);
    QCOMPARE(s.calls[0].body.value(QStringLiteral("mac1")).toString(), QStringLiteral("3905D068"));
    QCOMPARE(s.calls[0].body.value(QStringLiteral("terminalId")).toString(), QStringLiteral("112233445566"));
    // The bank's date and time go into CREDIT FOR LOAD (docs/bank.md §12).
    QCOMPARE(auth->mac2, QByteArray::fromHex("2561CD1B"));
    QCOMPARE(auth->date, QByteArray::fromHex("20250101"));
    QCOMPARE(auth->time, QByteArray::fromHex("120000"));
    QCOMPARE(*(*host)->openRequests(), 0);
    // A new request (a new INITIALIZE, another random) gets a new id.
    LoadRequest again = request();
    again.random = QByteArray::fromHex("99999999");
    CORE_VERIFY_OK((*host)->authoriseLoad(again));
    QVERIFY(s.calls.back().requestId != s.calls[0].requestId);
}

void TestBankClient::lostAnswerIsSettledWithTheSameIdAfterARestart()
{
    const QString path = outbox();
    QString firstId;
    {
        Script s;
        s.answer = [](const BankCall&, int) -> Result<BankAnswer> { return lost(); };
        auto host = BankIssuerHost::open(path, s.client(), kTerminal);
        CORE_VERIFY_OK(host);
        auto auth = (*host)->authoriseLoad(request());
        QVERIFY(!auth);
        QCOMPARE(auth.error().code, ErrorCode::OutcomeUnknown); // "unknown, being checked"
        QVERIFY2(auth.error().detail.contains(QStringLiteral("being checked")), qPrintable(auth.error().detail));
        QVERIFY(auth.error().detail.contains(QStringLiteral("Nothing was sent to the key")));
        QCOMPARE(s.calls.size(), size_t(3));
        QCOMPARE(s.calls[2].requestId, s.calls[0].requestId);
        firstId = s.calls[0].requestId;
        QCOMPARE(*(*host)->openRequests(), 1);
    }
    // The next run (walletctl again, the wallet restarted) sends it again with the same id and learns the answer.
    Script s;
    s.answer = [](const BankCall&, int) -> Result<BankAnswer> {
        BankAnswer a = authorised();
        a.replayed = true;
        return a;
    };
    auto host = BankIssuerHost::open(path, s.client(), kTerminal);
    CORE_VERIFY_OK(host);
    auto pending = (*host)->pendingLoads(kAsn);
    CORE_VERIFY_OK(pending);
    QCOMPARE(s.calls.size(), size_t(1));
    QCOMPARE(s.calls[0].requestId, firstId);
    QCOMPARE(pending->size(), size_t(1));
    QCOMPARE(pending->at(0).onlineAtc, std::uint16_t(0));
    QCOMPARE(pending->at(0).amount.fen(), 1000u);
    QCOMPARE(pending->at(0).balanceBefore->fen(), 0u);
    QCOMPARE(pending->at(0).date, QByteArray::fromHex("20250101"));
    QCOMPARE(pending->at(0).terminalId, kTerminal);
    QCOMPARE(*(*host)->openRequests(), 0);
    CORE_VERIFY_OK((*host)->pendingLoads(kAsn)); // settled: not sent a third time
    QCOMPARE(s.calls.size(), size_t(1));
}

void TestBankClient::unreachableIsNotUnknown()
{
    Script s;
    s.answer = [](const BankCall&, int) -> Result<BankAnswer> {
        return makeError(ErrorCode::BankUnreachable, QStringLiteral("connection refused"));
    };
    auto host = BankIssuerHost::open(outbox(), s.client(), kTerminal);
    CORE_VERIFY_OK(host);
    auto auth = (*host)->authoriseLoad(request());
    QVERIFY(!auth);
    QCOMPARE(auth.error().code, ErrorCode::BankUnreachable); // never arrived: nothing to check later
    QCOMPARE(*(*host)->openRequests(), 0);
}

void TestBankClient::problemsBecomeErrorsWithTheNextStep()
{
    Script s;
    s.answer = [](const BankCall&, int n) -> Result<BankAnswer> {
        if (n == 1) {
            return problem(422, "mac1-invalid", "Repeat INITIALIZE FOR LOAD and send the key's answer unchanged.");
        }
        if (n == 2) {
            return problem(404, "unknown-card", "Check the key: this bank did not issue it.");
        }
        return problem(401, "certificate-expired", "Enrol this terminal again.");
    };
    auto host = BankIssuerHost::open(outbox(), s.client(), kTerminal);
    CORE_VERIFY_OK(host);
    auto a = (*host)->authoriseLoad(request());
    QCOMPARE(a.error().code, ErrorCode::VerificationFailed);
    QVERIFY2(a.error().detail.contains(QStringLiteral("Next step: Repeat INITIALIZE FOR LOAD")),
        qPrintable(a.error().detail));
    QVERIFY(a.error().detail.contains(QStringLiteral("mac1-invalid")));
    QCOMPARE(s.calls.size(), size_t(1)); // a deterministic refusal is not retried
    a = (*host)->authoriseLoad(request());
    QCOMPARE(a.error().code, ErrorCode::Declined);
    QVERIFY(s.calls[1].requestId != s.calls[0].requestId); // the first one was answered: a new request
    a = (*host)->authoriseLoad(request());
    QCOMPARE(a.error().code, ErrorCode::Declined);
    QVERIFY(a.error().detail.contains(QStringLiteral("Enrol this terminal again")));
    QCOMPARE(*(*host)->openRequests(), 0);
}

void TestBankClient::confirmationGoesToTheBanksLoad()
{
    Script s;
    s.answer = [](const BankCall& c, int) -> Result<BankAnswer> {
        if (c.path == QStringLiteral("/v1/loads")) {
            return authorised();
        }
        return BankAnswer{200, QJsonObject{{QStringLiteral("state"), QStringLiteral("completed")}}, false, {}};
    };
    auto host = BankIssuerHost::open(outbox(), s.client(), kTerminal);
    CORE_VERIFY_OK(host);
    CORE_VERIFY_OK((*host)->authoriseLoad(request()));
    QCOMPARE((*host)->openLoads()->size(), size_t(1));
    CORE_VERIFY_OK((*host)->confirmLoad(kAsn, 0, Amount(1000), QByteArray::fromHex("C40AF0DE")));
    QCOMPARE(s.calls.back().path, QStringLiteral("/v1/loads/%1/confirmation").arg(kLoadId));
    QCOMPARE(s.calls.back().body.value(QStringLiteral("tac")).toString(), QStringLiteral("C40AF0DE"));
    QCOMPARE(s.calls.back().body.value(QStringLiteral("source")).toString(), QStringLiteral("credit"));
    QCOMPARE((*host)->openLoads()->size(), size_t(0));
    // No load of that ATC known here: a clear error, nothing sent.
    const size_t before = s.calls.size();
    QCOMPARE((*host)->confirmLoad(kAsn, 7, Amount(1000), QByteArray(4, '\0')).error().code, ErrorCode::InvalidState);
    QCOMPARE(s.calls.size(), before);
}

void TestBankClient::cancelRunsTheBanksProbeOnTheKey()
{
    Script s;
    s.answer = [](const BankCall& c, int) -> Result<BankAnswer> {
        if (c.path == QStringLiteral("/v1/loads")) {
            return authorised();
        }
        if (c.path.endsWith(QStringLiteral("/probes"))) {
            return BankAnswer{201,
                QJsonObject{{QStringLiteral("probeId"), QStringLiteral("0192e5a6-0c00-7a11-9e3e-4f5a6b7c8d9e")},
                    {QStringLiteral("asn"), QStringLiteral("0102030405060708")},
                    {QStringLiteral("terminalId"), QStringLiteral("995038271146")},
                    {QStringLiteral("amount"), 1},
                    {QStringLiteral("initializeApdu"), QStringLiteral("805000020B010000000199503827114610")},
                    {QStringLiteral("expiresAt"), QStringLiteral("2026-12-02T10:02:00.000Z")}},
                false,
                {}};
        }
        return BankAnswer{200, QJsonObject{{QStringLiteral("state"), QStringLiteral("cancelled")}}, false, {}};
    };
    auto host = BankIssuerHost::open(outbox(), s.client(), kTerminal);
    CORE_VERIFY_OK(host);
    CORE_VERIFY_OK((*host)->authoriseLoad(request()));
    QCOMPARE((*host)->cancelLoad(kAsn, 0).error().code, ErrorCode::InvalidState); // never on the terminal's word
    std::vector<QByteArray> sent;
    const KeyCommand key = [&sent](const CommandApdu& c) -> Result<QByteArray> {
        sent.push_back(c.encode());
        // balance 0, online ATC 0, key version 1, algID 00, random, MAC1
        return QByteArray::fromHex("00000000"
                                   "0000"
                                   "01"
                                   "00"
                                   "5E6F7A8B"
                                   "11223344");
    };
    CORE_VERIFY_OK((*host)->cancelLoadOnKey(kAsn, 0, key));
    QCOMPARE(sent.size(), size_t(1));
    QCOMPARE(sent[0], QByteArray::fromHex("805000020B010000000199503827114610"));
    const BankCall& c = s.calls.back();
    QCOMPARE(c.path, QStringLiteral("/v1/loads/%1/cancellation").arg(kLoadId));
    QCOMPARE(
        c.body.value(QStringLiteral("probeId")).toString(), QStringLiteral("0192e5a6-0c00-7a11-9e3e-4f5a6b7c8d9e"));
    QCOMPARE(c.body.value(QStringLiteral("onlineAtc")).toInt(), 0);
    QCOMPARE(c.body.value(QStringLiteral("keyVersion")).toInt(), 1);
    QCOMPARE(c.body.value(QStringLiteral("random")).toString(), QStringLiteral("5E6F7A8B"));
    QCOMPARE(c.body.value(QStringLiteral("mac1")).toString(), QStringLiteral("11223344"));
    QCOMPARE((*host)->openLoads()->size(), size_t(0));
}

void TestBankClient::onlyTheProbeIsRelayedToTheKey()
{
    Script s;
    s.answer = [](const BankCall& c, int) -> Result<BankAnswer> {
        if (c.path == QStringLiteral("/v1/loads")) {
            return authorised();
        }
        // A bank (or someone in its place) asking the terminal to send a CREDIT FOR LOAD as a "probe".
        return BankAnswer{201,
            QJsonObject{{QStringLiteral("probeId"), QStringLiteral("0192e5a6-0c00-7a11-9e3e-4f5a6b7c8d9e")},
                {QStringLiteral("initializeApdu"), QStringLiteral("805200000B202501011200002561CD1B04")}},
            false,
            {}};
    };
    auto host = BankIssuerHost::open(outbox(), s.client(), kTerminal);
    CORE_VERIFY_OK(host);
    CORE_VERIFY_OK((*host)->authoriseLoad(request()));
    bool keyCalled = false;
    auto r = (*host)->cancelLoadOnKey(kAsn, 0, [&keyCalled](const CommandApdu&) -> Result<QByteArray> {
        keyCalled = true;
        return QByteArray();
    });
    QVERIFY(!r);
    QCOMPARE(r.error().code, ErrorCode::ProtocolError);
    QVERIFY(!keyCalled);
}

void TestBankClient::configurationFile()
{
    if (QStandardPaths::findExecutable(QStringLiteral("openssl")).isEmpty()) {
        QSKIP("the openssl command is needed to make a test certificate");
    }
    QTemporaryDir dir;
    const auto write = [&](const QString& name, const QByteArray& text) {
        QFile f(dir.filePath(name));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(text);
    };
    const auto makeCert = [&](const QString& subject) {
        QProcess p;
        p.start(QStringLiteral("openssl"),
            {QStringLiteral("req"),
                QStringLiteral("-x509"),
                QStringLiteral("-newkey"),
                QStringLiteral("ec"),
                QStringLiteral("-pkeyopt"),
                QStringLiteral("ec_paramgen_curve:P-256"),
                QStringLiteral("-nodes"),
                QStringLiteral("-keyout"),
                dir.filePath(QStringLiteral("t.key")),
                QStringLiteral("-out"),
                dir.filePath(QStringLiteral("t.pem")),
                QStringLiteral("-days"),
                QStringLiteral("1"),
                QStringLiteral("-subj"),
                subject});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 0);
        QFile::setPermissions(dir.filePath(QStringLiteral("t.key")), QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    };
    makeCert(QStringLiteral("/OU=wallet/CN=112233445566"));
    const QByteArray good = R"({"format": "smartkey-bank-client/1", "url": "https://127.0.0.1:8443",
        "caCertificate": "t.pem", "certificate": "t.pem", "privateKey": "t.key"})";
    write(QStringLiteral("bank-client.json"), good);
    auto c = BankClientConfig::load(dir.filePath(QStringLiteral("bank-client.json")));
    CORE_VERIFY_OK(c);
    QCOMPARE(c->terminalId, kTerminal);
    QCOMPARE(c->kind, QStringLiteral("wallet"));
    // A typo is refused, not ignored; only https; the key must be the owner's only.
    write(QStringLiteral("typo.json"), QByteArray(good).replace("privateKey", "privatekey"));
    QCOMPARE(BankClientConfig::load(dir.filePath(QStringLiteral("typo.json"))).error().code, ErrorCode::InvalidInput);
    write(QStringLiteral("http.json"), QByteArray(good).replace("https://", "http://"));
    QCOMPARE(BankClientConfig::load(dir.filePath(QStringLiteral("http.json"))).error().code, ErrorCode::InvalidInput);
    QFile::setPermissions(dir.filePath(QStringLiteral("t.key")),
        QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup | QFileDevice::ReadOther);
    auto open = BankClientConfig::load(dir.filePath(QStringLiteral("bank-client.json")));
    QVERIFY(!open);
    QVERIFY(open.error().detail.contains(QStringLiteral("chmod 600")));
    // A certificate whose CN is no terminal ID.
    makeCert(QStringLiteral("/OU=wallet/CN=not-a-terminal"));
    QCOMPARE(
        BankClientConfig::load(dir.filePath(QStringLiteral("bank-client.json"))).error().code, ErrorCode::InvalidInput);
}

QTEST_GUILESS_MAIN(TestBankClient)
#include "TestBankClient.moc"
