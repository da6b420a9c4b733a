// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "core/bank/BankClient.h"
#include "core/channel/ApduChannel.h"
#include "core/crypto/Bytes.h"

#include <QJsonObject>
#include <QString>

#include <functional>

namespace wallet::core {

/// The customer of an issuance (the bank's `Customer` schema; checked on the station first, then by the bank).
struct StationCustomer
{
    QString name;
    int idType = 0; ///< 0 resident ID card, 1 passport, 2 other
    QString idNumber;
    QString phone; ///< E.164
};

/// The profile chosen at the desk (the bank's `IssuanceProfile`).
struct StationProfile
{
    QString algorithm = QStringLiteral("3des"); ///< 3des | sm4
    qint64 maxBalance = 100000; ///< fen
    qint64 noPinLimit = 0; ///< fen; 0 = every purchase needs the PIN
    bool purchaseNeedsTouch = false;
};

/// What the key says about itself (GET DATA and SELECT), shown before and after every service.
struct StationKeyState
{
    QString deviceSerial; ///< 16 hex digits
    int lifeCycle = -1; ///< 0 blank, 1 personalised, 2 blocked, 3 blocked permanently, 4 terminated (GET DATA C3)
    QString asn; ///< empty for a blank key
    std::uint16_t selectSw = 0; ///< 9000 usable, 6A81 application blocked, 9303/6A82 terminated
    [[nodiscard]] bool blank() const { return lifeCycle == 0; }
};

/// Checks of the customer form (issue 13): empty when valid, else why (English; the GUI translates by code).
struct CustomerCheck
{
    /// The GB 11643 check character of an 18-character resident ID number (ISO 7064 MOD 11-2).
    [[nodiscard]] static bool prcIdValid(const QString& number);
    [[nodiscard]] static QString nameProblem(const QString& name);
    [[nodiscard]] static QString idProblem(int idType, const QString& number);
    [[nodiscard]] static QString phoneProblem(const QString& phone);
};

/**
 * @brief The branch station's half of issuance and card maintenance (docs/branch.md): it relays each challenge
 * of the key to the bank host and each APDU the bank returns to the key. It holds no key: the bank's HSM prepares
 * every sensitive command (docs/bank.md §8.6). Used by smartkey-branch and by `bankctl batch issue`.
 *
 * Blocking; one thread (the channel's and the client's).
 */
class BranchStation
{
public:
    BranchStation(BankClient& bank, ApduChannel& key);

    void setSessionToken(const QByteArray& token) { m_bank.setStaffSession(token); }

    /// Reads the key: serial and life cycle (GET DATA), then, when personalised, SELECT and the ASN (SFI 0x15).
    [[nodiscard]] Result<StationKeyState> readKey();

    /// Reports a key that ran all 19 steps (life cycle 01) to the bank: its SFI 0x15 read back, the job completed.
    [[nodiscard]] Result<QJsonObject> completeJob(const QString& jobId);

    /// POST /v1/issuance/jobs: the bank allocates the ASN and the account. Answers the job (jobId, asn, state).
    [[nodiscard]] Result<QJsonObject> createJob(const QString& deviceSerial,
        const StationCustomer& customer,
        const StationProfile& profile,
        const QString& batchId = {},
        const QString& replacesAsn = {},
        const QString& approvalId = {});
    /// GET /v1/issuance/jobs/{id}.
    [[nodiscard]] Result<QJsonObject> getJob(const QString& jobId);
    /**
     * Runs the job's 19 steps through the key (a fresh challenge each, the bank's APDU to the key), the first PIN
     * inside step 10, then the completion. `progress(step)` after each step. The PIN buffer is the caller's.
     */
    [[nodiscard]] Result<QJsonObject> personalise(
        const QString& jobId, const SecureBytes& pinDigits, const std::function<void(int)>& progress = {});

    /**
     * One maintenance command (pin-unblock, pin-reload, application-block, application-unblock, card-block): GET
     * CHALLENGE, the bank's APDU, the key's status word reported back. Answers the outcome (`cardState`, …).
     * `body` carries the operation's fields except the challenge; `pin` (ASCII digits) is added when not empty.
     * card-block (account closure) reads GET BALANCE first and sends it as `keyBalance`; the outcome's
     * `refunded` is what the bank paid back.
     */
    [[nodiscard]] Result<QJsonObject> maintenance(
        const QString& asn, const QString& operation, QJsonObject body, const SecureBytes& pinDigits = {});

    /**
     * POST /v1/approvals, then the supervisor's decision typed on the same screen (`approve` false: the supervisor
     * refuses). Answers the approval id when approved; a refusal or a rejected credential is an Error (Declined).
     */
    [[nodiscard]] Result<QString> approval(const QString& operation,
        const QString& asn,
        const QString& reason,
        const QString& supervisor,
        const SecureBytes& supervisorPassword,
        bool approve = true);

    /// POST /v1/cards/{asn}/hotlisting.
    [[nodiscard]] Result<QJsonObject> hotlist(const QString& asn, const QString& reason, const QString& note);

    /// The reason recorded with a supervisor's approval of `approvalOperation` (pin-reload,
    /// application-block-permanent, account-closure, card-replacement): one text for the desk and branchctl.
    [[nodiscard]] static QString approvalReason(const QString& approvalOperation);

    /**
     * Replacing a lost key (docs/branch.md): the job for the new blank key under the supervisor's approval
     * `card-replacement` of the lost ASN. The bank checks the customer is the lost key's, hot-lists the lost key,
     * and at completion moves its shadow balance to the customer's funding account (`carriedBalance` in the
     * completion's answer; natural key `replacement:<lost ASN>`, so nothing moves twice).
     */
    [[nodiscard]] Result<QJsonObject> createReplacementJob(const QString& deviceSerial,
        const StationCustomer& customer,
        const StationProfile& profile,
        const QString& lostAsn,
        const QString& approvalId);

    /**
     * Account closure under the approval `account-closure`: GET BALANCE, CARD BLOCK, the key's status word
     * reported. The outcome's `refunded` is what the bank paid back (moved in the transaction that recorded the
     * key's 9000, under natural keys): what the teller pays the customer.
     */
    [[nodiscard]] Result<QJsonObject> closeAccount(const QString& asn, const QString& approvalId);

    /// APPLICATION BLOCK permanent under the approval `application-block-permanent`.
    [[nodiscard]] Result<QJsonObject> blockPermanently(const QString& asn, const QString& approvalId);

    /**
     * Reports a maintenance command's status word (again): used by maintenance(), and by hand when the bank's
     * answer to the first report was lost (the same word is answered again, another word is 409).
     */
    [[nodiscard]] Result<QJsonObject> reportOutcome(const QString& commandId, const QString& statusWord);

    /// One API call with a fresh request id (kept across the retries of a lost answer). Problems become Errors.
    [[nodiscard]] Result<QJsonObject> call(const QByteArray& method, const QString& path, const QJsonObject& body = {});

    /// Sends one ready APDU (hex from the bank) to the key: its data and status word.
    [[nodiscard]] Result<ResponseApdu> sendRaw(const QByteArray& raw);

private:
    [[nodiscard]] Result<QByteArray> challenge(int length);

    BankClient& m_bank;
    ApduChannel& m_key;
};

/// The bank's problem code in an Error's text ("(bank: <code>, HTTP n)"), empty when none.
[[nodiscard]] QString bankProblemCode(const Error& e);

} // namespace wallet::core
