// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bank/db/PgConnection.h"

#include <QByteArray>
#include <QJsonObject>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>

#include <memory>
#include <optional>
#include <string>

namespace wallet::bank::test {

/**
 * @brief The real parts of a bank host, started by the test itself (docs/bank.md §5 "Tests"): its database, a bank
 * data folder made by `bankctl init --test` with its own SoftHSM2 token, TLS files from the `openssl` CLI (a test CA,
 * the server certificate for 127.0.0.1 and one wallet terminal's client certificate), and `skey-bank` on a free
 * loopback port. The database is a PostgreSQL cluster (initdb into a temporary folder, `postgres` on a Unix socket
 * in that folder, as the `postgres` user when the test runs as root, because PostgreSQL refuses root), or with
 * `SKEY_BANK_DB=sqlite` in the environment (the `*_sqlite` ctest variants) the embedded default's SQLite file
 * `<data>/ledger.sqlite`.
 */
class BankRig
{
public:
    enum class Backend {
        PostgreSql,
        Sqlite,
    };
    /// `SKEY_BANK_DB`: `sqlite` or `postgresql` (the default).
    [[nodiscard]] static Backend backendFromEnvironment();

    BankRig();
    explicit BankRig(Backend backend);
    ~BankRig();

    /// Why this machine cannot run the rig (a missing program) with the environment's backend, or nullopt.
    [[nodiscard]] static std::optional<QString> missingPart();

    [[nodiscard]] Backend backend() const { return m_backend; }
    [[nodiscard]] bool sqlite() const { return m_backend == Backend::Sqlite; }
    /// The SQLite file (sqlite() only).
    [[nodiscard]] QString sqlitePath() const;

    /// Starts the database and makes the data folder (bankctl init --test, golden-vector keys). Empty on success.
    [[nodiscard]] QString setUp();
    /// Runs bankctl with these arguments (plus --data); returns its exit code, output in `out`.
    /// `input` (a password) goes to its standard input, which is then closed; secrets never go on argv.
    int bankctl(const QStringList& args, QString* out = nullptr, const QByteArray& input = {});
    /// `bankctl staff add --username <user> --role <role>`, the password on stdin. Empty on success, else why.
    [[nodiscard]] QString addStaff(const QString& user, const QString& role, const QString& password);
    /// Starts skey-bank (optionally with SKEY_BANK_FAULT) and waits for its `listening` line. Empty on success.
    [[nodiscard]] QString startServer(const QString& fault = {}, const QString& cardClock = {});
    /// Waits for the server to exit by itself (a fault-injection crash); returns its exit code or -1.
    int waitServerExit();
    void stopServer();
    /// SIGKILLs skey-bank (a crash of the host, nothing flushed) and reaps it.
    void killServer();
    [[nodiscard]] bool serverRunning() const { return m_server.state() != QProcess::NotRunning; }
    /**
     * Starts one more skey-bank on the same data folder and database (a second instance, docs/deployment.md §6),
     * listening on `listen` ("127.0.0.1:0" or a fixed loopback port), with an optional SKEY_BANK_FAULT. Waits for its
     * `listening` line; returns the port, or 0 with the reason in `why`.
     */
    int startInstance(QProcess& process, const QString& listen, const QString& fault, QString* why);

    /// One more client certificate from the test CA: `<name>.pem` / `<name>.key` in tls/, subject like
    /// "/OU=kiosk/CN=556677889900". Empty on success.
    [[nodiscard]] QString makeClientCertificate(const QString& name, const QString& subject);
    /**
     * The demo merchant of the order tests (docs/demo-shop.md): its client certificate `shop.pem` / `shop.key`
     * (credential 445566778899), `bankctl merchants add` ("Demo Tea House", terminal 112233445566) and
     * `bankctl orders certify` (the order-signing certificate, read by skey-bank at its next start). Empty on success.
     */
    [[nodiscard]] QString addDemoMerchant();
    /**
     * A key known to this bank (a test folder): `bankctl cards register --asn <asn> --holder <holder>`, then with
     * `depositFen` > 0 `bankctl accounts deposit` of that many fen with `reference`. Empty on success, else bankctl's
     * output.
     */
    [[nodiscard]] QString registerCard(
        const QString& asn, const QString& holder, qint64 depositFen = 0, const QString& reference = {});
    /// `bankctl accounts deposit --asn <asn> --amount <fen> --reference <reference>`. Empty on success, else bankctl's
    /// output.
    [[nodiscard]] QString deposit(const QString& asn, qint64 fen, const QString& reference);
    /**
     * A terminal's `bank-client.json` (smartkey-bank-client/1) at `path`: this server's URL (write it again after
     * each start, the port changes), the test CA and the client certificate `<certificate>.pem` / `.key` in tls/, the
     * key made the owner's only (the client refuses it otherwise). `port` > 0 names another instance's port
     * (startInstance) instead of this server's. Empty on success.
     */
    [[nodiscard]] QString writeClientConfig(
        const QString& path, const QString& certificate = QStringLiteral("client"), int port = 0) const;

    /// One integer of a query on the rig's connection; -1 for an error, no row or NULL.
    [[nodiscard]] qint64 sqlInt(const std::string& sql, const DbParams& params = {});
    /// One text value of a query; empty for an error, no row or NULL.
    [[nodiscard]] QString sqlText(const std::string& sql, const DbParams& params = {});

    /// An API answer: the HTTP status (-1: no answer), its Content-Type, the body and the body as JSON.
    struct ApiAnswer
    {
        int status = -1;
        QJsonObject json;
        std::string contentType;
        QByteArray body;
    };
    /**
     * One call of the API over mutual TLS as the terminal of `<certificate>.pem` / `.key` (tls/), trusting only the
     * test CA: GET, or POST or PUT of `body` with `requestId` as its Idempotency-Key (a fresh UUID when empty). `port`
     * > 0 sends it to another instance (startInstance) instead of this server.
     */
    [[nodiscard]] ApiAnswer api(const char* method,
        const QString& path,
        const QString& certificate = QStringLiteral("client"),
        const QJsonObject& body = {},
        const QString& requestId = {},
        int port = 0) const;

    [[nodiscard]] int port() const { return m_port; }
    [[nodiscard]] QString tlsPath(const QString& name) const;
    [[nodiscard]] QString dataDir() const;
    [[nodiscard]] PgConnection& db() { return *m_db; }

private:
    [[nodiscard]] QString run(const QString& program, const QStringList& args, bool asPostgres);
    [[nodiscard]] QString makeTls();
    [[nodiscard]] QString importVectorsAndTls();

    Backend m_backend;
    QTemporaryDir m_tmp;
    QString m_cardClock; ///< SKEY_BANK_CARD_CLOCK of the next start (startServer), empty: the real clock
    QString m_conninfo;
    QProcess m_postgres;
    QProcess m_server;
    int m_port = 0;
    std::unique_ptr<PgConnection> m_db;
};

} // namespace wallet::bank::test

/**
 * The main() of a QtTest-based test that needs the bank's real parts: skipped (exit 77, ctest's SKIP_RETURN_CODE),
 * never passed, when one is missing (BankRig::missingPart names it), else a QCoreApplication and the test class run.
 * Used at file scope after the class; the file includes <QCoreApplication>, <QTest> and <cstdio>.
 */
#define SKEY_BANK_TEST_MAIN(TestClass)                                                                                 \
    int main(int argc, char** argv)                                                                                    \
    {                                                                                                                  \
        if (auto missing = ::wallet::bank::test::BankRig::missingPart()) {                                             \
            std::fprintf(stderr, "SKIP: %s not found (scripts/setup-deps.sh installs it)\n", qPrintable(*missing));    \
            return 77;                                                                                                 \
        }                                                                                                              \
        QCoreApplication app(argc, argv);                                                                              \
        TestClass t;                                                                                                   \
        return QTest::qExec(&t, argc, argv);                                                                           \
    }
