// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bank/acquirer/Acquirer.h"
#include "bank/acquirer/PsamProvisioning.h"
#include "bank/ca/CardholderCa.h"
#include "bank/ca/TerminalCa.h"
#include "bank/hsm/Hsm.h"
#include "bank/issuance/Issuance.h"
#include "bank/issuance/Staff.h"
#include "bank/issuer/Issuer.h"
#include "bank/server/BankConfig.h"
#include "bank/server/GroupCommit.h"
#include "bank/server/Idempotency.h"

#include <functional>
#include <memory>
#include <string>

namespace httplib {
class SSLServer;
struct Request;
struct Response;
} // namespace httplib

namespace wallet::bank {

/**
 * @brief `skey-bank`'s HTTPS server (docs/bank.md §4, §5): cpp-httplib's SSLServer over OpenSSL 3 with our own
 * SSL_CTX (TLS 1.2 minimum, ECDHE only; the client certificate is requested, verified against the data folder's
 * CA, but not required, so that a missing or foreign one gets a 401 problem instead of a handshake failure),
 * `set_tcp_nodelay(true)`, 32 workers, 5 s read/write timeouts, bodies over 64 KiB refused (413).
 *
 * Routes of this slice: GET /v1/health; the issuer's loads (authoriseLoad, getLoad, confirmLoad, cancelLoad) and
 * createCardProbe; the acquirer's purchases, settlement batches and orders; the issuance authority (jobs, steps,
 * completion), card maintenance, the hot-list, staff sessions and approvals (routesIssuance()). Everything else
 * answers a 404 problem.
 */
class BankServer
{
public:
    BankServer(BankConfig config, std::unique_ptr<Hsm> hsm, FaultPlan fault);
    ~BankServer();
    BankServer(const BankServer&) = delete;
    BankServer& operator=(const BankServer&) = delete;

    /// Loads the TLS files and binds; port 0 picks a free one. Returns the port.
    [[nodiscard]] Result<int> bind(const std::string& host, int port);
    /// Serves until stop().
    void run();
    void stop();

private:
    void routes();
    void routesIssuance();
    /// The cardholder's own wallet on a local demo bank (`bankctl init --local-demo`): may issue its simulated key
    /// without a staff session (docs/bank.md §12 "Self-service demo issuance").
    [[nodiscard]] bool selfServiceDemo(const CallContext& call) const
    {
        return m_config.localDemo && call.kind == QLatin1String("wallet");
    }

    BankConfig m_config;
    std::unique_ptr<Hsm> m_hsm;
    std::unique_ptr<Issuer> m_issuer;
    std::unique_ptr<Acquirer> m_acquirer;
    std::unique_ptr<CardholderCa> m_cardholderCa;
    std::unique_ptr<Staff> m_staff;
    std::unique_ptr<Issuance> m_issuance;
    std::unique_ptr<PsamProvisioning> m_psams;
    std::unique_ptr<Idempotency> m_idempotency;
    /// §7.3 group commit of load authorisations and confirmations; null when SKEY_BANK_GROUP_MAX=1 (each request
    /// its own transaction on its worker's connection, as before).
    std::unique_ptr<GroupCommit> m_groupCommit;
    std::unique_ptr<TerminalCa> m_terminalCa; ///< null without tls/ca.key: enrolment answers 503
    std::unique_ptr<httplib::SSLServer> m_server;
    /// §3: client certificate (TLS verdict, CN, OU, serial) and the terminal registry; a 401/503 problem or nullopt.
    std::function<std::optional<Reply>(const httplib::Request&, CallContext&)> m_authenticate;
    /// The wrapper every mutating route goes through (authenticate, media type, request id, strict JSON, exactly
    /// once), shared by routes() and routesIssuance().
    using Validate = Reply (*)(const QJsonObject&, const QString&);
    using Op = std::function<Reply(PgConnection&, const CallContext&, const httplib::Request&, const QJsonObject&)>;
    using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
    std::function<Handler(Validate, Op)> m_mutating;
    /// A route through group commit (§7.3): `prepare` runs on the worker before any transaction (the HSM work, kept
    /// in an HsmMemo, and the key's route to a committer); the operation then runs inside its group with that memo.
    struct Prepared
    {
        unsigned route = 0;
        HsmMemo memo;
    };
    using Prepare
        = std::function<Prepared(PgConnection&, const CallContext&, const httplib::Request&, const QJsonObject&)>;
    using GroupedOp = std::function<Reply(
        PgConnection&, const CallContext&, const httplib::Request&, const QJsonObject&, const HsmMemo*)>;
};

} // namespace wallet::bank
