// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bank/db/PgConnection.h"
#include "bank/hsm/Hsm.h"
#include "bank/issuance/Staff.h"
#include "bank/issuer/Issuer.h"
#include "bank/server/Reply.h"

#include <QJsonObject>

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace wallet::bank {

/**
 * @brief The issuance authority and card maintenance roles (docs/bank.md §1, §9.5; API tags `issuance`,
 * `maintenance`, `cards` hot-list).
 *
 * Issuance: a job per blank key (device serial) allocates the ASN and the funding account, then hands out the 19
 * personalisation commands of spec §6 one at a time, each bound to the challenge the station relays from the key
 * and protected under the key's own transport key KT = diversify(`mkt.v1`, device serial), derived in the HSM for
 * each call and never stored (docs/bank.md §8.6). Card keys are diversified in the HSM from the issuer masters
 * (`mtk`, `mlk`, `mpk`, `miak`, `mamk`, `mpuk`, `mrpk`, `meak` `.v<keyVersion>`) with the ASN. The station sees
 * ciphertext only. The customer's first PIN reaches the bank in step 10 (inside TLS) and is enciphered under KT in
 * the token: the station cannot do it, since it has no KT.
 *
 * Maintenance: PIN UNBLOCK (DPUK), RELOAD PIN (DRPK), APPLICATION BLOCK/UNBLOCK and CARD BLOCK (DAMK) as ready
 * secure-messaging APDUs for a relayed card challenge (spec §3, §5.3), and the key's status word reported back.
 *
 * 3DES profile only: SoftHSM has no SM4 (docs/bank.md §8.4), so an SM4 profile is refused with 422
 * `algorithm-unavailable` until `skey-keyd` exists.
 */
class Issuance
{
public:
    Issuance(Hsm& hsm, Staff& staff);

    [[nodiscard]] Reply createJob(
        PgConnection& db, const CallContext& call, const StaffIdentity& who, const QJsonObject& body);
    [[nodiscard]] Reply getJob(PgConnection& db, const CallContext& call, const QString& jobId);
    [[nodiscard]] Reply step(PgConnection& db,
        const CallContext& call,
        const StaffIdentity& who,
        const QString& jobId,
        const QJsonObject& body);
    [[nodiscard]] Reply complete(PgConnection& db,
        const CallContext& call,
        const StaffIdentity& who,
        const QString& jobId,
        const QJsonObject& body);

    /// The maintenance operations (path segment): pin-unblock, pin-reload, application-block,
    /// application-unblock, card-block. `who` is empty for a wallet or kiosk (the cardholder's own terminal).
    [[nodiscard]] Reply prepareMaintenance(PgConnection& db,
        const CallContext& call,
        const std::optional<StaffIdentity>& who,
        const QString& asn,
        const QString& operation,
        const QJsonObject& body);
    [[nodiscard]] Reply reportOutcome(PgConnection& db,
        const CallContext& call,
        const std::optional<StaffIdentity>& who,
        const QString& commandId,
        const QJsonObject& body);

    /// POST /v1/cards/{asn}/hotlisting and GET /v1/hotlist?since=N.
    [[nodiscard]] Reply hotlistCard(PgConnection& db,
        const CallContext& call,
        const StaffIdentity& who,
        const QString& asn,
        const QJsonObject& body);
    [[nodiscard]] Reply getHotlist(PgConnection& db, const CallContext& call, std::int64_t since);

    [[nodiscard]] static Reply validateJobRequest(const QJsonObject& body, const QString& requestId);
    [[nodiscard]] static Reply validateStepRequest(const QJsonObject& body, const QString& requestId);
    [[nodiscard]] static Reply validateCompletion(const QJsonObject& body, const QString& requestId);
    [[nodiscard]] static Reply validatePinMaintenance(const QJsonObject& body, const QString& requestId);
    [[nodiscard]] static Reply validateApplicationBlock(const QJsonObject& body, const QString& requestId);
    [[nodiscard]] static Reply validateChallenge(const QJsonObject& body, const QString& requestId);
    [[nodiscard]] static Reply validateApprovedChallenge(const QJsonObject& body, const QString& requestId);
    [[nodiscard]] static Reply validateCardBlock(const QJsonObject& body, const QString& requestId);
    [[nodiscard]] static Reply validateOutcome(const QJsonObject& body, const QString& requestId);
    [[nodiscard]] static Reply validateHotlisting(const QJsonObject& body, const QString& requestId);

    /// The issuer ID written into SFI 0x15 of every key this bank issues (8 bytes).
    static constexpr const char* kIssuerIdHex = "5348454E5A48454E";
    static constexpr int kTotalSteps = 19;
    /// The manufacturer name of the simulated keys' serial lot (`bankctl keys manufacturer --development`).
    static constexpr const char* kDevelopmentManufacturer = "development (skey-sim)";
    /// The role of a self-service demo issuance (docs/bank.md §12 "Self-service demo issuance"): the cardholder's
    /// own wallet on a bank made by `bankctl init --local-demo`, no staff session; `staffId` empty.
    static constexpr const char* kSelfServiceRole = "self-service-demo";
    [[nodiscard]] static StaffIdentity selfServiceDemo()
    {
        return {QString(), QStringLiteral("self-service"), QLatin1String(kSelfServiceRole), QString()};
    }

private:
    /// createJob's replacement checks (the lost key, its customer, the approval `card-replacement`); hot-lists the
    /// lost key. Answers the supervisor's id and the lost key's funding account, or the refusal.
    [[nodiscard]] std::variant<std::pair<QString, std::string>, Reply> replacement(PgConnection& db,
        const CallContext& call,
        const StaffIdentity& who,
        const QString& oldAsn,
        const QJsonObject& body);
    /// At a replacement's completion: the lost key's shadow balance to the funding account; the lost key closed.
    [[nodiscard]] Result<std::int64_t> carryBalance(PgConnection& db,
        const CallContext& call,
        const StaffIdentity& who,
        const QString& oldAsn,
        const QString& newAsn,
        const QString& jobId,
        const std::string& account);
    /// After CARD BLOCK answered 9000: pays back the key's vouched balance and the funding account; closes the card.
    [[nodiscard]] Result<std::int64_t> closeAccount(PgConnection& db,
        const CallContext& call,
        const std::optional<StaffIdentity>& who,
        const QString& asn,
        const QString& commandId,
        std::int64_t keyBalance);
    [[nodiscard]] Reply jobReply(PgConnection& db, const QString& jobId, int status, const QString& rid);
    /// A self-service demo caller may step and complete only the jobs it created itself without staff (`job` is a
    /// row of kJobColumns): the refusal, or nothing.
    [[nodiscard]] static std::optional<Reply> selfServiceRefusal(
        const CallContext& call, const StaffIdentity& who, const DbResult& job, const QString& jobId);

    Hsm& m_hsm;
    Staff& m_staff;
};

} // namespace wallet::bank
