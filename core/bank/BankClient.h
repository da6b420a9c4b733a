// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <functional>

namespace wallet::core {

/// One call of the bank host's API (docs/bank-api.yaml). Paths are under `/v1`.
struct BankCall
{
    QByteArray method = QByteArrayLiteral("GET"); ///< "GET", "POST" or "PUT" (settlement batches)
    QString path; ///< "/v1/loads", "/v1/loads/<id>/confirmation", …
    QJsonObject body; ///< POST and PUT
    /// The `Idempotency-Key` of a POST or PUT (a UUID): stored by the caller before the first attempt and reused on
    /// every retry, so that the bank returns the first answer instead of acting twice (docs/bank.md §6.1).
    QString requestId;
    /// When not empty, the request body as is, instead of `body` (a settlement batch of 10,000 records written
    /// straight as JSON text by the kiosk: building a QJsonObject of it cost seconds). Must be one JSON object.
    QByteArray jsonBody = {};
};

/// Any HTTP answer of the bank host, success or problem.
struct BankAnswer
{
    int status = 0;
    QJsonObject body; ///< the resource, or the RFC 9457 problem (`code`, `title`, `detail`, `nextStep`)
    bool replayed = false; ///< `Idempotent-Replayed: true`: the stored first answer of this request id
    QByteArray raw; ///< a body that is not JSON (application/pkix-crl: the cardholder CA's CRL, DER)
    [[nodiscard]] bool ok() const { return status >= 200 && status < 300; }
    [[nodiscard]] QString problemCode() const { return body.value(QStringLiteral("code")).toString(); }
};

/**
 * @brief The terminal's wire to the bank host: JSON in, JSON out. The terminal side speaks only the API of
 * docs/bank-api.yaml and never includes bank/ (docs/architecture.md).
 *
 * send() answers every HTTP answer as a BankAnswer (problems too: problemError() turns them into Errors). An
 * Error means no answer arrived: ErrorCode::BankUnreachable when the request cannot have reached the bank
 * (refused, no route, TLS handshake failed: nothing moved), ErrorCode::OutcomeUnknown when it may have (sent, then
 * the connection closed or timed out): retry with the same request id to learn the first answer.
 */
class BankClient
{
public:
    virtual ~BankClient() = default;
    [[nodiscard]] virtual Result<BankAnswer> send(const BankCall& call) = 0;
    /// Where the bank is, for messages ("https://127.0.0.1:8443").
    [[nodiscard]] virtual QString describe() const = 0;
    /// The bank CA this client pins (DER), which also certifies the bank's order-signing key (docs/bank.md §12).
    /// Empty: none (the in-process client), and signed orders cannot be checked.
    [[nodiscard]] virtual QByteArray pinnedCaDer() const { return {}; }
    /// A branch station's staff session, sent as `Authorization: Bearer <token>` (docs/bank.md §3); empty: none.
    virtual void setStaffSession(const QByteArray& token) { (void)token; }
};

/**
 * @brief The in-process bank client for unit tests: `handler` plays the bank host (or a scripted answer, or a lost
 * one by returning an Error). Nothing goes over a network.
 */
class InProcessBankClient final : public BankClient
{
public:
    using Handler = std::function<Result<BankAnswer>(const BankCall&)>;
    explicit InProcessBankClient(Handler handler)
        : m_handler(std::move(handler))
    { }
    [[nodiscard]] Result<BankAnswer> send(const BankCall& call) override { return m_handler(call); }
    [[nodiscard]] QString describe() const override { return QStringLiteral("the in-process bank"); }

private:
    Handler m_handler;
};

/**
 * The Error a problem answer means for the terminal, its words taken from the problem (`title`, `detail`, and
 * `nextStep`, what to do), with the bank's `code` and HTTP status at the end for support:
 * 400/415/413 → InvalidInput; 401 (certificate) and 403 → Declined with "enrol again" / the bank's next step;
 * 404 → Declined (a key this bank did not issue); 409 `idempotency-key-in-flight` → OutcomeUnknown, other 409 →
 * InvalidState; 422 `mac1-invalid`/`mac2-invalid`/`tac-invalid`/`probe-invalid` → VerificationFailed, other 422 →
 * Declined; 429, 500, 503 → BankUnreachable (rolled back: nothing moved; retry later with the same request id).
 */
[[nodiscard]] Error problemError(const BankAnswer& answer, const QString& context);

} // namespace wallet::core
