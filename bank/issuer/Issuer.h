// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bank/db/PgConnection.h"
#include "bank/hsm/Hsm.h"
#include "bank/server/Reply.h"

#include <QJsonObject>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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
 * @brief HSM results computed before a request's transaction (docs/bank.md §7.3 "group commit"), so that the group
 * transaction holds its row locks for SQL only. Each result is kept with its exact inputs (mechanism, master label,
 * ASN, seed, data) and is used only when the rows read under the lock give the same inputs; otherwise the operation
 * asks the HSM then, as without a memo. `clock` is the bank's date and time chosen for MAC2 before the transaction.
 */
class HsmMemo
{
public:
    void put(const QByteArray& inputs, QByteArray result);
    [[nodiscard]] const QByteArray* find(const QByteArray& inputs) const;
    std::optional<std::pair<QString, QString>> clock;

private:
    std::vector<std::pair<QByteArray, QByteArray>> m_entries;
};

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

    /// POST /v1/loads (authoriseLoad): body already validated by the server. `memo`: prepareAuthorisation's.
    [[nodiscard]] Reply authoriseLoad(
        PgConnection& db, const CallContext& call, const QJsonObject& body, const HsmMemo* memo = nullptr);
    /// POST /v1/loads/{loadId}/confirmation (confirmLoad). `memo`: prepareConfirmation's.
    [[nodiscard]] Reply confirmLoad(PgConnection& db,
        const CallContext& call,
        const QString& loadId,
        const QJsonObject& body,
        const HsmMemo* memo = nullptr);
    /// Before the transaction (§7.3): the expected MAC1 and MAC2 of a validated authorisation body, with the bank's
    /// date and time fixed now.
    [[nodiscard]] HsmMemo prepareAuthorisation(const QJsonObject& body);
    /// Before the transaction (§7.3): the load's ASN (empty when unknown; `db` is read without locks) and its
    /// expected TAC from the rows as they are now.
    [[nodiscard]] HsmMemo prepareConfirmation(PgConnection& db, const QString& loadId, std::string& asnHex);
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
    [[nodiscard]] Result<QByteArray> transactionMac(const HsmMemo* memo,
        const std::string& label,
        const QByteArray& asn,
        const QByteArray& seed,
        const QByteArray& data);
    [[nodiscard]] Result<QByteArray> tac(
        const HsmMemo* memo, const std::string& label, const QByteArray& asn, const QByteArray& data);
    [[nodiscard]] Reply loadReply(PgConnection& db, const QString& loadId, int status, const CallContext& call);

    Hsm& m_hsm;
    CardClock m_clock;
};

} // namespace wallet::bank
