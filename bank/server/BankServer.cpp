// SPDX-License-Identifier: Apache-2.0
#include "bank/server/BankServer.h"

#include "bank/Util.h"
#include "bank/acquirer/OrderSigning.h"
#include "bank/ca/TerminalCa.h"
#include "bank/db/Migrations.h"
#include "bank/db/PgConnection.h"
#include "bank/ledger/Ledger.h"
#include "bank/server/JsonRequest.h"
#include "bank/server/Terminals.h"

#include <httplib.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <QDateTime>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include <algorithm>
#include <variant>

namespace wallet::bank {

using core::ErrorCode;
using core::makeError;

namespace {

constexpr std::size_t kMaxBody = 64 * 1024; // §4: 64 KiB for every route but settlement batches
constexpr std::size_t kMaxBatchBody = 4 * 1024 * 1024; // §4: settlement batches, 4 MiB
const char kUuidPattern[] = "([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})";
// One worker per kept-alive connection (cpp-httplib serves a connection on one worker until it closes), each with its
// own database connection once used: 32, so that 32 terminals are served at once by one instance (bench_bank_loads
// --clients 32), and two instances (2 × 32 + their committers) stay within PostgreSQL's default 100 connections.
constexpr int kWorkers = 32;

void send(httplib::Response& res, const Reply& r, bool replayed)
{
    res.status = r.status;
    res.set_content(r.body.toStdString(),
        !r.contentType.empty() ? r.contentType : (r.problem ? "application/problem+json" : "application/json"));
    if (!r.location.empty()) {
        res.set_header("Location", r.location);
    }
    if (r.retryAfter > 0) {
        res.set_header("Retry-After", std::to_string(r.retryAfter));
    }
    if (replayed) {
        res.set_header("Idempotent-Replayed", "true");
    }
}

std::string certField(X509_NAME* name, int nid)
{
    const int i = X509_NAME_get_index_by_NID(name, nid, -1);
    if (i < 0) {
        return {};
    }
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    return std::string(
        reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)), static_cast<std::size_t>(ASN1_STRING_length(data)));
}

/// §3: the terminal from its client certificate (CN = terminal ID, OU = kind), or a 401 problem.
std::optional<Reply> authenticate(const httplib::Request& req, CallContext& call)
{
    auto problem = [](const QString& code, const QString& title, const QString& detail) {
        return Reply::problemOf(401,
            code,
            title,
            detail,
            QStringLiteral("Enrol this terminal with the bank and use the certificate it issued."));
    };
    if (!req.ssl) {
        return problem(QStringLiteral("certificate-missing"),
            QStringLiteral("No client certificate"),
            QStringLiteral("This call needs a terminal certificate from the bank CA."));
    }
    X509* cert = SSL_get1_peer_certificate(req.ssl);
    if (!cert) {
        return problem(QStringLiteral("certificate-missing"),
            QStringLiteral("No client certificate"),
            QStringLiteral("This call needs a terminal certificate from the bank CA."));
    }
    const long verdict = SSL_get_verify_result(req.ssl);
    call.certificateSerial = certificateSerialHex(cert);
    X509_NAME* subject = X509_get_subject_name(cert);
    const std::string cn = certField(subject, NID_commonName);
    const std::string ou = certField(subject, NID_organizationalUnitName);
    X509_free(cert);
    if (verdict == X509_V_ERR_CERT_HAS_EXPIRED) {
        return problem(QStringLiteral("certificate-expired"),
            QStringLiteral("The client certificate has expired"),
            QStringLiteral("Terminal %1: certificate expired.").arg(QString::fromStdString(cn)));
    }
    if (verdict != X509_V_OK) {
        return problem(QStringLiteral("certificate-unknown"),
            QStringLiteral("The client certificate is not from the bank CA"),
            QString::fromLatin1(X509_verify_cert_error_string(verdict)));
    }
    static const QRegularExpression terminalId(QStringLiteral("^[0-9]{12}$"));
    call.terminalId = QString::fromStdString(cn);
    call.kind = QString::fromStdString(ou);
    if (!terminalId.match(call.terminalId).hasMatch()) {
        return problem(QStringLiteral("certificate-unknown"),
            QStringLiteral("The client certificate names no terminal"),
            QStringLiteral("Its CN is not a 12-digit terminal ID."));
    }
    return std::nullopt;
}

/// enrolTerminal (§3): the one-time code in `Authorization: Bearer`, instead of a client certificate. The request
/// id's scope is the code's hash, so only a holder of the code can replay its answer.
std::optional<Reply> enrolmentCode(const httplib::Request& req, CallContext& call)
{
    const std::string header = req.get_header_value("Authorization");
    const std::string prefix = "Bearer ";
    std::optional<QString> code;
    if (header.size() > prefix.size() && header.compare(0, prefix.size(), prefix) == 0) {
        code = Terminals::normaliseCode(QString::fromStdString(header.substr(prefix.size())));
    }
    if (!code) {
        return Reply::problemOf(401,
            QStringLiteral("enrolment-code-invalid"),
            QStringLiteral("No valid enrolment code"),
            QStringLiteral("Send the code from the bank operator as Authorization: Bearer <code>."),
            QStringLiteral("Ask the bank operator for an enrolment code (bankctl terminal enrol-code); nothing was "
                           "changed."));
    }
    call.terminalId = QStringLiteral("enrol:") + Terminals::codeHash(*code).left(32);
    call.kind = QStringLiteral("enrolment");
    return std::nullopt;
}

/// One PostgreSQL connection per worker thread (the pool's threads live as long as the server).
PgConnection* threadConnection(const std::string& conninfo)
{
    thread_local std::unique_ptr<PgConnection> conn;
    if (conn && !conn->healthy()) {
        conn.reset();
    }
    if (!conn) {
        auto c = PgConnection::connect(conninfo);
        if (!c) {
            return nullptr;
        }
        conn = std::move(c.value());
    }
    return conn.get();
}

std::pair<QString, QString> bankClock()
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    return {now.toString(QStringLiteral("yyyyMMdd")), now.toString(QStringLiteral("HHmmss"))};
}

/// Test folders only: SKEY_BANK_CARD_CLOCK=YYYYMMDDhhmmss fixes the date and time given to keys, so a test can
/// reproduce the golden vectors of pboc.json through the server.
CardClock testClockOr(bool test)
{
    const QString fixed = qEnvironmentVariable("SKEY_BANK_CARD_CLOCK");
    static const QRegularExpression re(QStringLiteral("^[0-9]{14}$"));
    if (test && re.match(fixed).hasMatch()) {
        return [fixed] { return std::pair<QString, QString>{fixed.left(8), fixed.mid(8)}; };
    }
    return bankClock;
}

/// §7.3 group commit: SKEY_BANK_GROUP_MAX requests at most per transaction (default 32; 1 turns grouping off),
/// SKEY_BANK_COMMITTERS committer connections (default 2 on PostgreSQL, 1 on SQLite, whose writers are serial).
GroupCommit::Options groupOptions(const std::string& conninfo)
{
    GroupCommit::Options o;
    o.committers = Db::isSqlite(conninfo) ? 1 : 2;
    bool ok = false;
    if (const int n = qEnvironmentVariableIntValue("SKEY_BANK_GROUP_MAX", &ok); ok && n >= 1 && n <= 64) {
        o.maxGroup = n;
    }
    if (const int n = qEnvironmentVariableIntValue("SKEY_BANK_COMMITTERS", &ok); ok && n >= 1 && n <= 16) {
        o.committers = n;
    }
    return o;
}

Reply unavailableDb(const QString& rid)
{
    Reply r = Reply::problemOf(503,
        QStringLiteral("unavailable"),
        QStringLiteral("The bank host cannot reach its database"),
        {},
        QStringLiteral("Retry with the same Idempotency-Key after Retry-After seconds."),
        rid);
    r.retryAfter = 1;
    return r;
}

} // namespace

BankServer::BankServer(BankConfig config, std::unique_ptr<Hsm> hsm, FaultPlan fault)
    : m_config(std::move(config))
    , m_hsm(std::move(hsm))
    , m_issuer(std::make_unique<Issuer>(*m_hsm, bankClock))
    , m_staff(std::make_unique<Staff>(m_config.conninfo))
    , m_issuance(std::make_unique<Issuance>(*m_hsm, *m_staff))
    , m_psams(std::make_unique<PsamProvisioning>(*m_hsm, *m_staff))
    , m_idempotency(std::make_unique<Idempotency>(*m_hsm, fault))
{
    auto options = groupOptions(m_config.conninfo);
    if (fault.groupHold > 0) {
        options.committers = 1; // tests: the held group is every request, whatever its key's route
    }
    if (options.maxGroup > 1) {
        m_groupCommit = std::make_unique<GroupCommit>(m_config.conninfo, *m_idempotency, options);
    }
    // Orders are signed only once `bankctl orders certify` made the order-signing certificate (getOrder: 503 before).
    auto der = OrderSigning::loadCertificateDer(m_config.path(QString::fromLatin1(OrderSigning::kCertificateFile)));
    m_acquirer = std::make_unique<Acquirer>(*m_hsm, testClockOr(m_config.test), der ? *der : QByteArray());
    // Cardholder certificates once `bankctl keys init` made the CA certificate (issueCardholderCertificate: 503
    // before).
    auto ca = CardholderCa::loadCertificate(m_config.path(QString::fromLatin1(CardholderCa::kCertificateFile)));
    m_cardholderCa = std::make_unique<CardholderCa>(*m_hsm, ca ? *ca : QByteArray());
    // Terminal enrolment signs with the bank CA's key in the token, or its key file in a folder not migrated yet
    // (bankctl init; enrolTerminal: 503 without it).
    if (auto terminalCa = TerminalCa::load(m_config.dataDir, m_hsm.get()); terminalCa) {
        m_terminalCa = std::move(terminalCa.value());
    }
}

BankServer::~BankServer() = default;

Result<int> BankServer::bind(const std::string& host, int port)
{
    const std::string cert = m_config.path(QStringLiteral("tls/server.pem")).toStdString();
    const std::string key = m_config.path(QStringLiteral("tls/server.key")).toStdString();
    const std::string ca = m_config.path(QStringLiteral("tls/ca.pem")).toStdString();
    for (const auto& f : {cert, key, ca}) {
        if (!QFile::exists(QString::fromStdString(f))) {
            return makeError(ErrorCode::NotFound,
                QStringLiteral("missing %1: put the server certificate, its key and the terminal CA into <data>/tls")
                    .arg(QString::fromStdString(f)));
        }
    }
    std::string tlsError;
    m_server = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
        SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
        // TLS 1.2: ECDHE with AEAD only; TLS 1.3 suites are all forward secret.
        if (SSL_CTX_set_cipher_list(&ctx, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1
            || SSL_CTX_use_certificate_chain_file(&ctx, cert.c_str()) != 1
            || SSL_CTX_use_PrivateKey_file(&ctx, key.c_str(), SSL_FILETYPE_PEM) != 1
            || SSL_CTX_check_private_key(&ctx) != 1 || SSL_CTX_load_verify_locations(&ctx, ca.c_str(), nullptr) != 1) {
            tlsError = "cannot load the TLS files in <data>/tls";
            return false;
        }
        SSL_CTX_set_client_CA_list(&ctx, SSL_load_client_CA_file(ca.c_str()));
        // §5: request, verify, record the verdict, never fail the handshake: the HTTP layer answers 401 with a
        // next step instead.
        SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 1; });
        // §5: no session resumption. Every connection is a full handshake whose client certificate is checked anew
        // (expiry, revocation). Without this, OpenSSL refuses every resumption attempt of a peer-verifying server
        // that has no session id context ("SSL handshake failure" on every second connection of a client that
        // caches sessions, e.g. haproxy's health checks; test_bank_two_instances).
        SSL_CTX_set_session_cache_mode(&ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_options(&ctx, SSL_OP_NO_TICKET);
        SSL_CTX_set_num_tickets(&ctx, 0);
        return true;
    });
    if (!m_server->is_valid()) {
        return makeError(ErrorCode::InvalidInput, QString::fromStdString(tlsError));
    }
    m_server->set_tcp_nodelay(true); // §4: 43 ms per answer without it (Nagle × delayed ACK)
    m_server->set_read_timeout(5, 0);
    m_server->set_write_timeout(5, 0);
    m_server->set_keep_alive_max_count(100);
    m_server->set_keep_alive_timeout(5);
    m_server->set_payload_max_length(kMaxBatchBody); // each route checks its own limit (kMaxBody for most)
    m_server->new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
    routes();
    const int bound = port == 0 ? m_server->bind_to_any_port(host) : (m_server->bind_to_port(host, port) ? port : -1);
    if (bound <= 0) {
        return makeError(ErrorCode::InvalidInput,
            QStringLiteral("cannot listen on %1:%2").arg(QString::fromStdString(host)).arg(port));
    }
    return bound;
}

void BankServer::run()
{
    m_server->listen_after_bind();
}

void BankServer::stop()
{
    if (m_server) {
        m_server->stop();
    }
}

void BankServer::routes()
{
    auto& svr = *m_server;
    const std::string conninfo = m_config.conninfo;
    // §3: the TLS verdict and the certificate's fields, then its serial against the terminal registry.
    m_authenticate = [conninfo, enrolledOnly = m_config.enrolledTerminalsOnly](
                         const httplib::Request& req, CallContext& call) -> std::optional<Reply> {
        if (auto denied = authenticate(req, call)) {
            return denied;
        }
        PgConnection* db = threadConnection(conninfo);
        if (!db) {
            return unavailableDb({});
        }
        return Terminals::checkCertificate(*db, call.terminalId, call.certificateSerial, enrolledOnly);
    };

    svr.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) {
            return;
        }
        Reply r = res.status == 413
            ? Reply::problemOf(413,
                QStringLiteral("body-too-large"),
                QStringLiteral("The request body is too large"),
                QStringLiteral("This operation accepts at most %1 bytes.").arg(kMaxBatchBody),
                QStringLiteral("Send a smaller body; nothing was changed."))
            : Reply::problemOf(res.status == 404 ? 404 : res.status,
                res.status == 404 ? QStringLiteral("not-found") : QStringLiteral("invalid-field"),
                res.status == 404 ? QStringLiteral("No such resource") : QStringLiteral("The request was refused"),
                QStringLiteral("%1 %2").arg(QString::fromStdString(req.method), QString::fromStdString(req.path)),
                QStringLiteral("Check the path and method against the API (docs/bank-api.yaml); nothing was changed."));
        send(res, r, false);
    });

    svr.Get("/v1/health", [conninfo](const httplib::Request&, httplib::Response& res) {
        PgConnection* db = threadConnection(conninfo);
        const bool up = db && db->exec("SELECT 1").ok();
        send(res,
            Reply::json(up ? 200 : 503,
                QJsonObject{{QStringLiteral("status"), up ? QStringLiteral("ok") : QStringLiteral("down")},
                    {QStringLiteral("time"), rfc3339(nowMicros())}}),
            false);
    });

    // Every mutating route: authenticate, role, media type, size, request id, strict JSON, then exactly once.
    auto mutatingCore = [this, conninfo](
                            QStringList roles, std::size_t maxBody, Validate validate, GroupedOp op, Prepare prepare) {
        return [this, conninfo, roles, maxBody, validate, op, prepare](
                   const httplib::Request& req, httplib::Response& res) {
            CallContext call;
            if (auto denied
                = roles.contains(QStringLiteral("enrolment")) ? enrolmentCode(req, call) : m_authenticate(req, call)) {
                send(res, *denied, false);
                return;
            }
            if (!roles.contains(call.kind)) {
                send(res,
                    Reply::problemOf(403,
                        QStringLiteral("role-forbidden"),
                        QStringLiteral("Not allowed for this terminal"),
                        QStringLiteral("Terminals of kind '%1' may not call this.").arg(call.kind),
                        QStringLiteral("Use a terminal of kind %1; nothing was changed.")
                            .arg(roles.join(QStringLiteral(", ")))),
                    false);
                return;
            }
            if (req.body.size() > maxBody) {
                send(res,
                    Reply::problemOf(413,
                        QStringLiteral("body-too-large"),
                        QStringLiteral("The request body is too large"),
                        QStringLiteral("This operation accepts at most %1 bytes.").arg(maxBody),
                        QStringLiteral("Send a smaller body; nothing was changed.")),
                    false);
                return;
            }
            // An operation without a request body (cancelOrder) may be sent with none.
            if (!req.body.empty() && req.get_header_value("Content-Type").rfind("application/json", 0) != 0) {
                send(res,
                    Reply::problemOf(415,
                        QStringLiteral("unsupported-media-type"),
                        QStringLiteral("The body must be application/json"),
                        {},
                        QStringLiteral("Send Content-Type application/json with UTF-8 JSON.")),
                    false);
                return;
            }
            static const QRegularExpression uuid(
                QStringLiteral("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"));
            call.requestKey = QString::fromStdString(req.get_header_value("Idempotency-Key"));
            if (!uuid.match(call.requestKey).hasMatch()) {
                const bool missing = call.requestKey.isEmpty();
                call.requestKey.clear();
                send(res,
                    Reply::problemOf(400,
                        missing ? QStringLiteral("idempotency-key-missing") : QStringLiteral("invalid-field"),
                        missing ? QStringLiteral("The request id is missing")
                                : QStringLiteral("The request id is not a UUID"),
                        {},
                        QStringLiteral(
                            "Send a UUID in Idempotency-Key, stored before the first attempt; nothing was changed.")),
                    false);
                return;
            }
            QString malformed;
            const auto parsed = JsonRequest::parseBody(QByteArray::fromStdString(req.body), &malformed);
            if (!parsed) {
                send(res,
                    Reply::problemOf(400,
                        QStringLiteral("malformed-json"),
                        QStringLiteral("The request body is not a JSON object"),
                        malformed,
                        QStringLiteral("Send a complete JSON object; nothing was changed."),
                        call.requestKey),
                    false);
                return;
            }
            const QJsonObject& body = *parsed;
            PgConnection* db = threadConnection(conninfo);
            if (!db) {
                send(res, unavailableDb(call.requestKey), false);
                return;
            }
            // §6.1: the canonical body (keys sorted, no whitespace) is what the fingerprint covers.
            const QByteArray canonical = JsonRequest::canonical(body);
            bool replayed = false;
            const bool grouped = prepare && m_groupCommit;
            // §7.3: the HSM work of a grouped request before its transaction (validated bodies only).
            const Reply bad = validate(body, call.requestKey);
            const Prepared prepared = grouped && !bad.problem ? prepare(*db, call, req, body) : Prepared{};
            const Idempotency::Operation operation = [&](PgConnection& c) {
                // A schema refusal after authentication is an answer like any other (§6.1 item 3): stored
                // with the request id, so the same id with a corrected body is 422, not a second request.
                if (bad.problem) {
                    return bad;
                }
                return op(c, call, req, body, grouped ? &prepared.memo : nullptr);
            };
            if (!grouped) {
                Reply r = m_idempotency->run(*db, call, req.method, req.path, canonical, operation, replayed);
                send(res, r, replayed);
                return;
            }
            const int request = m_idempotency->nextRequest();
            const auto fingerprint = m_idempotency->fingerprint(req.method, req.path, canonical);
            if (!fingerprint) {
                send(res, Idempotency::unavailable(call.requestKey, QStringLiteral("The HSM did not answer.")), false);
                return;
            }
            Reply r = m_groupCommit->submit(prepared.route, call, *fingerprint, request, operation, replayed);
            send(res, r, replayed);
        };
    };
    auto mutatingAs = [mutatingCore](QStringList roles, std::size_t maxBody, Validate validate, Op op) {
        return mutatingCore(std::move(roles),
            maxBody,
            validate,
            [op](PgConnection& db,
                const CallContext& call,
                const httplib::Request& req,
                const QJsonObject& body,
                const HsmMemo*) { return op(db, call, req, body); },
            {});
    };
    auto mutating = [mutatingAs](Validate validate, Op op) {
        return mutatingAs({QStringLiteral("wallet"), QStringLiteral("kiosk"), QStringLiteral("branch")},
            kMaxBody,
            validate,
            std::move(op));
    };

    // §7.3: load authorisations and confirmations go through group commit, routed by the key's float bucket so
    // that one key's requests (and its float row) stay with one committer.
    const QStringList terminals{QStringLiteral("wallet"), QStringLiteral("kiosk"), QStringLiteral("branch")};
    auto routeOf = [](const std::string& asnHex) {
        return asnHex.empty()
            ? 0U
            : static_cast<unsigned>(Ledger::floatBucket(QByteArray::fromHex(QByteArray::fromStdString(asnHex))));
    };
    svr.Post("/v1/loads",
        mutatingCore(
            terminals,
            kMaxBody,
            &Issuer::validateAuthorisation,
            [this](PgConnection& db,
                const CallContext& call,
                const httplib::Request&,
                const QJsonObject& body,
                const HsmMemo* memo) { return m_issuer->authoriseLoad(db, call, body, memo); },
            [this, routeOf](PgConnection&, const CallContext&, const httplib::Request&, const QJsonObject& body) {
                return Prepared{routeOf(body.value(QStringLiteral("asn")).toString().toStdString()),
                    m_issuer->prepareAuthorisation(body)};
            }));
    svr.Post(R"(/v1/loads/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/confirmation)",
        mutatingCore(
            terminals,
            kMaxBody,
            &Issuer::validateConfirmation,
            [this](PgConnection& db,
                const CallContext& call,
                const httplib::Request& req,
                const QJsonObject& body,
                const HsmMemo* memo) {
                return m_issuer->confirmLoad(db, call, QString::fromStdString(req.matches[1]), body, memo);
            },
            [this, routeOf](PgConnection& db, const CallContext&, const httplib::Request& req, const QJsonObject&) {
                std::string asn;
                HsmMemo memo = m_issuer->prepareConfirmation(db, QString::fromStdString(req.matches[1]), asn);
                return Prepared{routeOf(asn), std::move(memo)};
            }));
    svr.Post(R"(/v1/loads/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/cancellation)",
        mutating(&Issuer::validateProbeEvidence,
            [this](PgConnection& db, const CallContext& call, const httplib::Request& req, const QJsonObject& body) {
                return m_issuer->cancelLoad(db, call, QString::fromStdString(req.matches[1]), body);
            }));
    svr.Post(R"(/v1/cards/([0-9A-F]{16})/probes)",
        mutating(&Issuer::validateProbeRequest,
            [this](PgConnection& db, const CallContext& call, const httplib::Request& req, const QJsonObject& body) {
                return m_issuer->createProbe(db, call, QString::fromStdString(req.matches[1]), body);
            }));
    svr.Post(R"(/v1/cards/([0-9A-F]{16})/certificates)",
        mutating(&CardholderCa::validate,
            [this](PgConnection& db, const CallContext& call, const httplib::Request& req, const QJsonObject& body) {
                return m_cardholderCa->issue(db, call, QString::fromStdString(req.matches[1]), body);
            }));
    m_mutating = mutating;
    // §3: enrolment, the one route without a client certificate (the code authenticates it).
    svr.Post("/v1/terminals/enrolments",
        mutatingAs({QStringLiteral("enrolment")},
            kMaxBody,
            &Terminals::validateEnrolment,
            [this](PgConnection& db, const CallContext& call, const httplib::Request& req, const QJsonObject& body) {
                // The wrapper checked the code's form (enrolmentCode) before the request id was claimed.
                const auto code
                    = Terminals::normaliseCode(QString::fromStdString(req.get_header_value("Authorization").substr(7)));
                return Terminals::enrol(
                    db, m_terminalCa.get(), code ? Terminals::codeHash(*code) : QString(), body, call.requestKey);
            }));
    svr.Get("/v1/terminals/me", [this, conninfo](const httplib::Request& req, httplib::Response& res) {
        CallContext call;
        if (auto denied = m_authenticate(req, call)) {
            send(res, *denied, false);
            return;
        }
        PgConnection* db = threadConnection(conninfo);
        if (!db) {
            send(res, unavailableDb({}), false);
            return;
        }
        send(res, Terminals::getOwn(*db, call), false);
    });
    routesIssuance();
    svr.Get(R"(/v1/loads/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}))",
        [this, conninfo](const httplib::Request& req, httplib::Response& res) {
            CallContext call;
            if (auto denied = m_authenticate(req, call)) {
                send(res, *denied, false);
                return;
            }
            PgConnection* db = threadConnection(conninfo);
            if (!db) {
                send(res, unavailableDb({}), false);
                return;
            }
            send(res, m_issuer->getLoad(*db, call, QString::fromStdString(req.matches[1])), false);
        });

    // ---- acquirer and orders (docs/bank.md §9.2, §9.4; issue 12) ----
    using Read = std::function<Reply(PgConnection&, const CallContext&, const httplib::Request&)>;
    auto readingAs = [this, conninfo](QStringList roles, Read read) {
        return [this, conninfo, roles, read](const httplib::Request& req, httplib::Response& res) {
            CallContext call;
            if (auto denied = m_authenticate(req, call)) {
                send(res, *denied, false);
                return;
            }
            if (!roles.contains(call.kind)) {
                send(res,
                    Reply::problemOf(403,
                        QStringLiteral("role-forbidden"),
                        QStringLiteral("Not allowed for this terminal"),
                        QStringLiteral("Terminals of kind '%1' may not read this.").arg(call.kind),
                        QStringLiteral("Use a terminal of kind %1.").arg(roles.join(QStringLiteral(", ")))),
                    false);
                return;
            }
            PgConnection* db = threadConnection(conninfo);
            if (!db) {
                send(res, unavailableDb({}), false);
                return;
            }
            send(res, read(*db, call, req), false);
        };
    };
    const QStringList payers{QStringLiteral("wallet"), QStringLiteral("kiosk")};
    const QStringList kiosk{QStringLiteral("kiosk")};
    const QStringList merchant{QStringLiteral("merchant")};
    const QStringList anyOrderReader{QStringLiteral("wallet"), QStringLiteral("kiosk"), QStringLiteral("merchant")};
    const std::string uuid = kUuidPattern;
    auto match = [](const httplib::Request& req, std::size_t i) { return QString::fromStdString(req.matches[i]); };

    // The cardholder CA's CRL (issue 14): made afresh from the database on every request.
    const QStringList anyTerminal{
        QStringLiteral("wallet"), QStringLiteral("kiosk"), QStringLiteral("branch"), QStringLiteral("merchant")};
    svr.Get("/v1/cardholder-ca/crl",
        readingAs(anyTerminal,
            [this](PgConnection& db, const CallContext&, const httplib::Request&) { return m_cardholderCa->crl(db); }));
    // The CA's own certificate (issue 14), for a wallet that kept none: what the CRL's signature is checked with.
    svr.Get("/v1/cardholder-ca/certificate",
        readingAs(anyTerminal, [this](PgConnection&, const CallContext&, const httplib::Request&) {
            return m_cardholderCa->certificate();
        }));
    svr.Post("/v1/purchases",
        mutatingAs(payers,
            kMaxBody,
            &Acquirer::validatePurchase,
            [this](PgConnection& db, const CallContext& call, const httplib::Request&, const QJsonObject& body) {
                return m_acquirer->authorisePurchase(db, call, body);
            }));
    svr.Post("/v1/purchases/" + uuid + "/confirmation",
        mutatingAs(payers,
            kMaxBody,
            &Acquirer::validatePurchaseConfirmation,
            [this, match](
                PgConnection& db, const CallContext& call, const httplib::Request& req, const QJsonObject& body) {
                return m_acquirer->confirmPurchase(db, call, match(req, 1), body);
            }));
    svr.Post("/v1/purchases/" + uuid + "/abandonment",
        mutatingAs(payers,
            kMaxBody,
            &Acquirer::validateAbandonment,
            [this, match](
                PgConnection& db, const CallContext& call, const httplib::Request& req, const QJsonObject& body) {
                return m_acquirer->abandonPurchase(db, call, match(req, 1), body);
            }));
    svr.Get("/v1/purchases/" + uuid,
        readingAs(
            anyOrderReader, [this, match](PgConnection& db, const CallContext& call, const httplib::Request& req) {
                return m_acquirer->getPurchase(db, call, match(req, 1));
            }));
    svr.Put("/v1/settlement/batches/" + uuid,
        mutatingAs(kiosk,
            kMaxBatchBody,
            &Acquirer::validateSettlementBatch,
            [this, match](
                PgConnection& db, const CallContext& call, const httplib::Request& req, const QJsonObject& body) {
                return m_acquirer->uploadSettlementBatch(db, call, match(req, 1), body);
            }));
    svr.Get("/v1/settlement/batches/" + uuid,
        readingAs(kiosk, [this, match](PgConnection& db, const CallContext& call, const httplib::Request& req) {
            return m_acquirer->getSettlementBatch(db, call, match(req, 1));
        }));
    // The kiosk's SAM, provisioned by the issuance authority under the SAM's own KT (docs/bank.md §9.6; issue 12).
    const std::string psamPath = R"(/v1/psams/([0-9A-F]{16}))";
    svr.Post("/v1/psams",
        mutatingAs(kiosk,
            kMaxBody,
            &PsamProvisioning::validateCreate,
            [this](PgConnection& db, const CallContext& call, const httplib::Request&, const QJsonObject& body) {
                return m_psams->create(db, call, body);
            }));
    svr.Get(psamPath,
        readingAs(kiosk, [this, match](PgConnection& db, const CallContext& call, const httplib::Request& req) {
            return m_psams->get(db, call, match(req, 1));
        }));
    svr.Post(psamPath + "/steps",
        mutatingAs(kiosk,
            kMaxBody,
            &PsamProvisioning::validateStep,
            [this, match](
                PgConnection& db, const CallContext& call, const httplib::Request& req, const QJsonObject& body) {
                return m_psams->step(db, call, match(req, 1), body);
            }));
    svr.Post(psamPath + "/completion",
        mutatingAs(kiosk,
            kMaxBody,
            &PsamProvisioning::validateCompletion,
            [this, match](
                PgConnection& db, const CallContext& call, const httplib::Request& req, const QJsonObject& body) {
                return m_psams->complete(db, call, match(req, 1), body);
            }));
    svr.Post("/v1/orders",
        mutatingAs(merchant,
            kMaxBody,
            &Acquirer::validateOrder,
            [this](PgConnection& db, const CallContext& call, const httplib::Request&, const QJsonObject& body) {
                return m_acquirer->createOrder(db, call, body);
            }));
    svr.Get("/v1/orders/" + uuid,
        readingAs(
            anyOrderReader, [this, match](PgConnection& db, const CallContext& call, const httplib::Request& req) {
                return m_acquirer->getOrder(db, call, match(req, 1));
            }));
    svr.Get(R"(/v1/order-codes/([0-9A-Za-z]{4}-?[0-9A-Za-z]{4}))",
        readingAs(payers, [this, match](PgConnection& db, const CallContext& call, const httplib::Request& req) {
            return m_acquirer->getOrderByCode(db, call, match(req, 1));
        }));
    svr.Get("/v1/orders/" + uuid + "/status",
        readingAs(
            anyOrderReader, [this, match](PgConnection& db, const CallContext& call, const httplib::Request& req) {
                const int wait = std::clamp(std::atoi(req.get_param_value("waitSeconds").c_str()), 0, 30);
                return m_acquirer->getOrderStatus(
                    db, call, match(req, 1), wait, QString::fromStdString(req.get_param_value("knownState")));
            }));
    svr.Post("/v1/orders/" + uuid + "/cancellation",
        mutatingAs(merchant,
            kMaxBody,
            &Acquirer::validateEmpty,
            [this, match](PgConnection& db, const CallContext& call, const httplib::Request& req, const QJsonObject&) {
                return m_acquirer->cancelOrder(db, call, match(req, 1));
            }));
}

void BankServer::routesIssuance()
{
    // The issuance authority, card maintenance, hot-list, staff and approvals (docs/bank.md §1, §3, §9.5).
    auto& svr = *m_server;
    const std::string conninfo = m_config.conninfo;
    constexpr const char* kUuid = "([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})";
    using StaffOp = std::function<Reply(
        PgConnection&, const CallContext&, const httplib::Request&, const QJsonObject&, const StaffIdentity&)>;
    // A staff session on a branch station (Authorization: Bearer), checked inside the request's transaction.
    auto withStaff = [this](StaffOp fn) {
        return [this, fn](PgConnection& db,
                   const CallContext& call,
                   const httplib::Request& req,
                   const QJsonObject& body) -> Reply {
            auto who = m_staff->authenticate(db, call, req.get_header_value("Authorization"));
            if (auto* refusal = std::get_if<Reply>(&who)) {
                return *refusal;
            }
            // Every mutating staff route services keys: tellers and supervisors only (an auditor reads).
            if (auto denied
                = m_staff->requireServiceRole(call, std::get<StaffIdentity>(who), QString::fromStdString(req.path))) {
                return *denied;
            }
            return fn(db, call, req, body, std::get<StaffIdentity>(who));
        };
    };
    // Issuance: a staff session at a branch; on a bank made by `bankctl init --local-demo` also the cardholder's own
    // wallet, without staff, for its simulated key (docs/bank.md §12 "Self-service demo issuance"; Issuance checks
    // the key is of the development lot and the job the wallet's own).
    auto issuing = [this, withStaff](const StaffOp& fn) {
        return [this, fn, staffed = withStaff(fn)](PgConnection& db,
                   const CallContext& call,
                   const httplib::Request& req,
                   const QJsonObject& body) -> Reply {
            if (selfServiceDemo(call)) {
                return fn(db, call, req, body, Issuance::selfServiceDemo());
            }
            return staffed(db, call, req, body);
        };
    };
    // Maintenance: a branch needs a staff session; a wallet or kiosk is the cardholder's own terminal.
    auto maybeStaff = [this](const std::string& op) {
        return [this, op](PgConnection& db,
                   const CallContext& call,
                   const httplib::Request& req,
                   const QJsonObject& body) -> Reply {
            std::optional<StaffIdentity> staff;
            if (call.kind == QLatin1String("branch")) {
                auto who = m_staff->authenticate(db, call, req.get_header_value("Authorization"));
                if (auto* refusal = std::get_if<Reply>(&who)) {
                    return *refusal;
                }
                if (auto denied = m_staff->requireServiceRole(
                        call, std::get<StaffIdentity>(who), QString::fromStdString(req.path))) {
                    return *denied;
                }
                staff = std::get<StaffIdentity>(who);
            }
            if (op.empty()) {
                return m_issuance->reportOutcome(db, call, staff, QString::fromStdString(req.matches[1]), body);
            }
            return m_issuance->prepareMaintenance(
                db, call, staff, QString::fromStdString(req.matches[1]), QString::fromStdString(op), body);
        };
    };
    // GET routes: the certificate, then (for staff-only reads) the session, outside any transaction.
    auto reading = [this, conninfo](bool needsStaff,
                       std::function<Reply(PgConnection&, const CallContext&, const httplib::Request&)> fn,
                       bool selfServiceToo = false) {
        return [this, conninfo, needsStaff, fn, selfServiceToo](const httplib::Request& req, httplib::Response& res) {
            CallContext call;
            if (auto denied = m_authenticate(req, call)) {
                send(res, *denied, false);
                return;
            }
            PgConnection* db = threadConnection(conninfo);
            if (!db) {
                send(res, unavailableDb({}), false);
                return;
            }
            if (needsStaff && !(selfServiceToo && selfServiceDemo(call))) {
                auto who = m_staff->authenticate(*db, call, req.get_header_value("Authorization"));
                if (auto* refusal = std::get_if<Reply>(&who)) {
                    send(res, *refusal, false);
                    return;
                }
            } else if (call.kind != QLatin1String("wallet") && call.kind != QLatin1String("kiosk")
                && call.kind != QLatin1String("branch")) {
                send(res,
                    Reply::problemOf(403,
                        QStringLiteral("role-forbidden"),
                        QStringLiteral("Not allowed for this terminal"),
                        QStringLiteral("Terminals of kind '%1' may not call this.").arg(call.kind),
                        QStringLiteral("Use a wallet, kiosk or branch terminal.")),
                    false);
                return;
            }
            send(res, fn(*db, call, req), false);
        };
    };
    auto path = [](const std::string& p) { return p; };

    svr.Post("/v1/staff/sessions",
        m_mutating(&Staff::validateCredential,
            [this](PgConnection& db, const CallContext& call, const httplib::Request&, const QJsonObject& body) {
                return m_staff->signIn(db, call, body);
            }));
    svr.Get("/v1/staff/sessions/current", [this, conninfo](const httplib::Request& req, httplib::Response& res) {
        CallContext call;
        if (auto denied = m_authenticate(req, call)) {
            send(res, *denied, false);
            return;
        }
        PgConnection* db = threadConnection(conninfo);
        if (!db) {
            send(res, unavailableDb({}), false);
            return;
        }
        auto who = m_staff->authenticate(*db, call, req.get_header_value("Authorization"));
        if (auto* refusal = std::get_if<Reply>(&who)) {
            send(res, *refusal, false);
            return;
        }
        send(res, m_staff->currentSession(*db, call, std::get<StaffIdentity>(who)), false);
    });
    svr.Post("/v1/approvals",
        m_mutating(&Staff::validateApprovalRequest,
            withStaff([this](PgConnection& db,
                          const CallContext& call,
                          const httplib::Request&,
                          const QJsonObject& body,
                          const StaffIdentity& who) { return m_staff->requestApproval(db, call, who, body); })));
    svr.Post(path(std::string("/v1/approvals/") + kUuid + "/decision"),
        m_mutating(&Staff::validateDecision,
            withStaff([this](PgConnection& db,
                          const CallContext& call,
                          const httplib::Request& req,
                          const QJsonObject& body,
                          const StaffIdentity& who) {
                return m_staff->decideApproval(db, call, who, QString::fromStdString(req.matches[1]), body);
            })));

    svr.Post("/v1/issuance/jobs",
        m_mutating(&Issuance::validateJobRequest,
            issuing([this](PgConnection& db,
                        const CallContext& call,
                        const httplib::Request&,
                        const QJsonObject& body,
                        const StaffIdentity& who) { return m_issuance->createJob(db, call, who, body); })));
    svr.Get(path(std::string("/v1/issuance/jobs/") + kUuid),
        reading(
            true,
            [this](PgConnection& db, const CallContext& call, const httplib::Request& req) {
                return m_issuance->getJob(db, call, QString::fromStdString(req.matches[1]));
            },
            true));
    svr.Post(path(std::string("/v1/issuance/jobs/") + kUuid + "/steps"),
        m_mutating(&Issuance::validateStepRequest,
            issuing([this](PgConnection& db,
                        const CallContext& call,
                        const httplib::Request& req,
                        const QJsonObject& body,
                        const StaffIdentity& who) {
                return m_issuance->step(db, call, who, QString::fromStdString(req.matches[1]), body);
            })));
    svr.Post(path(std::string("/v1/issuance/jobs/") + kUuid + "/completion"),
        m_mutating(&Issuance::validateCompletion,
            issuing([this](PgConnection& db,
                        const CallContext& call,
                        const httplib::Request& req,
                        const QJsonObject& body,
                        const StaffIdentity& who) {
                return m_issuance->complete(db, call, who, QString::fromStdString(req.matches[1]), body);
            })));

    svr.Post(R"(/v1/cards/([0-9A-F]{16})/maintenance/pin-unblock)",
        m_mutating(&Issuance::validatePinMaintenance, maybeStaff("pin-unblock")));
    svr.Post(R"(/v1/cards/([0-9A-F]{16})/maintenance/pin-reload)",
        m_mutating(&Issuance::validatePinMaintenance, maybeStaff("pin-reload")));
    svr.Post(R"(/v1/cards/([0-9A-F]{16})/maintenance/application-block)",
        m_mutating(&Issuance::validateApplicationBlock, maybeStaff("application-block")));
    svr.Post(R"(/v1/cards/([0-9A-F]{16})/maintenance/application-unblock)",
        m_mutating(&Issuance::validateChallenge, maybeStaff("application-unblock")));
    svr.Post(R"(/v1/cards/([0-9A-F]{16})/maintenance/card-block)",
        m_mutating(&Issuance::validateCardBlock, maybeStaff("card-block")));
    svr.Post(path(std::string("/v1/maintenance-commands/") + kUuid + "/outcome"),
        m_mutating(&Issuance::validateOutcome, maybeStaff({})));

    svr.Post(R"(/v1/cards/([0-9A-F]{16})/hotlisting)",
        m_mutating(&Issuance::validateHotlisting,
            withStaff([this](PgConnection& db,
                          const CallContext& call,
                          const httplib::Request& req,
                          const QJsonObject& body,
                          const StaffIdentity& who) {
                return m_issuance->hotlistCard(db, call, who, QString::fromStdString(req.matches[1]), body);
            })));
    svr.Get(
        "/v1/hotlist", reading(false, [this](PgConnection& db, const CallContext& call, const httplib::Request& req) {
            std::int64_t since = 0;
            if (req.has_param("since")) {
                bool ok = false;
                since = QString::fromStdString(req.get_param_value("since")).toLongLong(&ok);
                if (!ok || since < 0) {
                    return Reply::problemOf(400,
                        QStringLiteral("invalid-field"),
                        QStringLiteral("A field is outside its allowed form"),
                        QStringLiteral("since: a hot-list version, 0 or more"),
                        QStringLiteral("Send the version you hold, or none for the whole list."),
                        {},
                        {},
                        {{QStringLiteral("/since"), QStringLiteral("must be an integer >= 0")}});
                }
            }
            return m_issuance->getHotlist(db, call, since);
        }));
}

} // namespace wallet::bank
