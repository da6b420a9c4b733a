// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bank/db/PgConnection.h"
#include "bank/hsm/Hsm.h"
#include "bank/server/Reply.h"

#include <QJsonObject>

#include <functional>
#include <string>

namespace wallet::bank {

/// Who calls (from the client certificate) and with which request id.
struct CallContext
{
    QString terminalId; ///< certificate CN, 12 digits: the idempotency scope
    QString kind; ///< certificate OU: wallet, kiosk, branch, …
    QString requestKey; ///< Idempotency-Key
    QString certificateSerial; ///< the client certificate's serial, uppercase hex (terminal registry, §3)
};

/// The bank's date and time for MAC2 and the TAC (docs/bank.md §12: the bank chooses them, BCD `YYYYMMDD`, `hhmmss`).
using CardClock = std::function<std::pair<QString, QString>()>;

/**
 * @brief The issuer role's loads (docs/bank.md §9.1, API tag `issuer`). Each operation runs inside the transaction
 * the idempotency runner opened, after the request id was claimed; a refusal is returned as a problem Reply and the
 * runner rolls the operation's effects back (nothing moved), a success is committed with its stored answer.
 *
 * Keys: MAC1 is verified and MAC2 made in the HSM with `mlk.v<keyVersion>`, the TAC with `mtk.v<keyVersion>`
 * (spec §5.2; docs/bank.md §8.3).
 */
class Issuer
{
public:
    Issuer(Hsm& hsm, CardClock clock);

    /// POST /v1/loads (authoriseLoad): body already validated by the server.
    [[nodiscard]] Reply authoriseLoad(PgConnection& db, const CallContext& call, const QJsonObject& body);
    /// POST /v1/loads/{loadId}/confirmation (confirmLoad).
    [[nodiscard]] Reply confirmLoad(
        PgConnection& db, const CallContext& call, const QString& loadId, const QJsonObject& body);
    /// POST /v1/cards/{asn}/probes (createCardProbe).
    [[nodiscard]] Reply createProbe(
        PgConnection& db, const CallContext& call, const QString& asn, const QJsonObject& body);
    /// POST /v1/loads/{loadId}/cancellation (cancelLoad): only on a probe's evidence (§9.1).
    [[nodiscard]] Reply cancelLoad(
        PgConnection& db, const CallContext& call, const QString& loadId, const QJsonObject& body);
    /// GET /v1/loads/{loadId}.
    [[nodiscard]] Reply getLoad(PgConnection& db, const CallContext& call, const QString& loadId);

    /// Strict schema checks of the request bodies (400 invalid-field with errors[] when they fail).
    [[nodiscard]] static Reply validateAuthorisation(const QJsonObject& body, const QString& requestId);
    [[nodiscard]] static Reply validateConfirmation(const QJsonObject& body, const QString& requestId);
    [[nodiscard]] static Reply validateProbeRequest(const QJsonObject& body, const QString& requestId);
    [[nodiscard]] static Reply validateProbeEvidence(const QJsonObject& body, const QString& requestId);

private:
    [[nodiscard]] Reply loadReply(PgConnection& db, const QString& loadId, int status, const CallContext& call);

    Hsm& m_hsm;
    CardClock m_clock;
};

} // namespace wallet::bank
