// SPDX-License-Identifier: Apache-2.0
#include "bank/issuance/Issuance.h"

#include "bank/Util.h"
#include "bank/issuance/DeviceLots.h"
#include "bank/issuance/SecureMessaging.h"
#include "bank/ledger/Ledger.h"
#include "bank/server/JsonRequest.h"

#include "core/purse/Pin.h"
#include "core/purse/PurseTypes.h"

#include <QDate>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include <algorithm>
#include <limits>

namespace wallet::bank {

using core::ErrorCode;

namespace {

std::string s(const QString& q)
{
    return q.toStdString();
}

QString q(const std::string& v)
{
    return QString::fromStdString(v);
}

QByteArray hexBytes(const QString& h)
{
    return QByteArray::fromHex(h.toLatin1());
}

QByteArray u32(std::int64_t v)
{
    QByteArray b;
    core::appendU32(b, static_cast<std::uint32_t>(v));
    return b;
}

Reply unknownCard(const QString& asn, const QString& rid)
{
    return problem(404,
        "unknown-card",
        QStringLiteral("This key was not issued by this bank"),
        QStringLiteral("No card with ASN %1.").arg(asn),
        QStringLiteral("Check that the key belongs to this bank; nothing was changed."),
        rid);
}

Reply notFound(const QString& what, const QString& rid)
{
    return problem(404,
        "not-found",
        QStringLiteral("No such resource"),
        what,
        QStringLiteral("Check the id; nothing was changed."),
        rid);
}

/// The key types of spec §6 step 2 in the order of steps 2–9, with the master each card key is diversified from.
struct KeyRecord
{
    std::uint8_t type;
    const char* master;
    const char* name;
};
constexpr KeyRecord kKeyRecords[] = {{0x25, "mtk", "DTK"},
    {0x26, "mlk", "DLK"},
    {0x27, "mpk", "DPK"},
    {0x30, "miak", "IAK"},
    {0x36, "mamk", "DAMK"},
    {0x37, "mpuk", "DPUK"},
    {0x38, "mrpk", "DRPK"},
    {0x39, "meak", "EAK"}};

QString label(const char* master, std::int64_t keyVersion)
{
    return QStringLiteral("%1.v%2").arg(QLatin1String(master)).arg(keyVersion);
}

QString stepName(int step)
{
    if (step == 1) {
        return QStringLiteral("EXTERNAL AUTHENTICATE (KT)");
    }
    if (step <= 9) {
        const KeyRecord& k = kKeyRecords[step - 2];
        return QStringLiteral("WRITE KEY %1 (%2)")
            .arg(QLatin1String(k.name))
            .arg(k.type, 2, 16, QLatin1Char('0'))
            .toUpper()
            .replace(QStringLiteral("WRITE KEY"), QStringLiteral("WRITE KEY"));
    }
    if (step == 10) {
        return QStringLiteral("WRITE KEY PIN (3A)");
    }
    if (step == 11 || step == 12) {
        return QStringLiteral("UPDATE BINARY SFI 0x%1").arg(step == 11 ? 15 : 16);
    }
    if (step <= 18) {
        return QStringLiteral("PUT DATA %1").arg(step - 12, 2, 10, QLatin1Char('0'));
    }
    return QStringLiteral("END PERSONALIZATION");
}

core::ApplicationData applicationData(const QJsonObject& profile, const QString& asn)
{
    core::ApplicationData app;
    app.issuerId = hexBytes(QLatin1String(Issuance::kIssuerIdHex));
    app.appType = 0x02;
    app.appVersion = 0x01;
    app.applicationSerial = QByteArray(2, '\0') + hexBytes(asn);
    app.startDate = QDate::fromString(profile.value(QStringLiteral("startDate")).toString(), Qt::ISODate);
    app.expiryDate = QDate::fromString(profile.value(QStringLiteral("expiryDate")).toString(), Qt::ISODate);
    app.issuerData = QByteArray(2, '\0');
    return app;
}

std::uint8_t policyFlags(const QJsonObject& p)
{
    std::uint8_t f = 0;
    if (p.value(QStringLiteral("loadNeedsPin")).toBool(true)) {
        f |= 0x01;
    }
    if (p.value(QStringLiteral("purchaseAboveLimitNeedsPin")).toBool(true)) {
        f |= 0x02;
    }
    if (p.value(QStringLiteral("readCardholderNeedsPin")).toBool(false)) {
        f |= 0x04;
    }
    if (p.value(QStringLiteral("purchaseNeedsTouch")).toBool(false)) {
        f |= 0x08;
    }
    return f;
}

void checkBool(const QJsonObject& o,
    const QString& key,
    bool required,
    std::vector<std::pair<QString, QString>>& e,
    const QString& prefix)
{
    const QJsonValue v = o.value(key);
    if (v.isUndefined()) {
        if (required) {
            e.emplace_back(prefix + QLatin1Char('/') + key, QStringLiteral("required"));
        }
    } else if (!v.isBool()) {
        e.emplace_back(prefix + QLatin1Char('/') + key, QStringLiteral("must be true or false"));
    }
}

void checkText(const QJsonObject& o,
    const QString& key,
    const QString& re,
    int maxBytes,
    bool required,
    std::vector<std::pair<QString, QString>>& e,
    const QString& prefix = {})
{
    const QJsonValue v = o.value(key);
    if (v.isUndefined()) {
        if (required) {
            e.emplace_back(prefix + QLatin1Char('/') + key, QStringLiteral("required"));
        }
        return;
    }
    if (!v.isString()) {
        e.emplace_back(prefix + QLatin1Char('/') + key, QStringLiteral("must be a string"));
        return;
    }
    const QString t = v.toString();
    if (t.toUtf8().size() > maxBytes || (!re.isEmpty() && !QRegularExpression(re).match(t).hasMatch())) {
        e.emplace_back(prefix + QLatin1Char('/') + key, QStringLiteral("outside its allowed form"));
    }
}

void collect(const JsonRequest& j, std::vector<std::pair<QString, QString>>& e)
{
    e.insert(e.end(), j.errors().begin(), j.errors().end());
}

/// Optional integer: checked only when present.
void optInteger(JsonRequest& j, const QJsonObject& o, const QString& key, qint64 min, qint64 max)
{
    if (o.contains(key)) {
        (void)j.integer(key, min, max);
    }
}

QString mapCardState(const std::string& state, bool hotlisted)
{
    (void)hotlisted;
    return q(state == "closed" ? "terminated" : state);
}

} // namespace

Issuance::Issuance(Hsm& hsm, Staff& staff)
    : m_hsm(hsm)
    , m_staff(staff)
{ }

// ---- validation --------------------------------------------------------------------------------------------------

Reply Issuance::validateJobRequest(const QJsonObject& body, const QString& requestId)
{
    std::vector<std::pair<QString, QString>> e;
    JsonRequest j(body,
        {QStringLiteral("deviceSerial"),
            QStringLiteral("customer"),
            QStringLiteral("profile"),
            QStringLiteral("batchId"),
            QStringLiteral("replacesAsn"),
            QStringLiteral("approvalId")});
    (void)j.hex(QStringLiteral("deviceSerial"), 8);
    if (body.contains(QStringLiteral("batchId"))) {
        (void)j.uuid(QStringLiteral("batchId"));
    }
    // A replacement names the lost key and carries the supervisor's approval `card-replacement` for it.
    if (body.contains(QStringLiteral("replacesAsn")) || body.contains(QStringLiteral("approvalId"))) {
        (void)j.hex(QStringLiteral("replacesAsn"), 8);
        (void)j.uuid(QStringLiteral("approvalId"));
    }
    collect(j, e);
    if (!body.value(QStringLiteral("customer")).isObject()) {
        e.emplace_back(QStringLiteral("/customer"), QStringLiteral("required object"));
    } else {
        const QJsonObject c = body.value(QStringLiteral("customer")).toObject();
        const QString p = QStringLiteral("/customer");
        JsonRequest cj(c,
            {QStringLiteral("name"), QStringLiteral("idType"), QStringLiteral("idNumber"), QStringLiteral("phone")},
            p);
        (void)cj.integer(QStringLiteral("idType"), 0, 255);
        collect(cj, e);
        // SFI 0x16 (spec §2): name 20 bytes UTF-8, ID number 32 ASCII; phone E.164.
        checkText(c, QStringLiteral("name"), QStringLiteral("^\\S.*$"), 20, true, e, p);
        checkText(c, QStringLiteral("idNumber"), QStringLiteral("^[0-9A-Za-z]{1,32}$"), 32, true, e, p);
        checkText(c, QStringLiteral("phone"), QStringLiteral("^\\+[1-9][0-9]{6,14}$"), 16, true, e, p);
        // A resident ID card number (type 0) carries an ISO 7064 MOD 11-2 check character.
        const QString id = c.value(QStringLiteral("idNumber")).toString().toUpper();
        if (c.value(QStringLiteral("idType")).toInteger(-1) == 0 && id.size() == 18) {
            static const int w[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
            int sum = 0;
            bool digits = true;
            for (int i = 0; i < 17; ++i) {
                digits = digits && id[i].isDigit();
                sum += (id[i].digitValue()) * w[i];
            }
            const QString check = QStringLiteral("10X98765432");
            if (!digits || id[17] != check[sum % 11]) {
                e.emplace_back(p + QStringLiteral("/idNumber"), QStringLiteral("check character does not match"));
            }
        } else if (c.value(QStringLiteral("idType")).toInteger(-1) == 0) {
            e.emplace_back(p + QStringLiteral("/idNumber"), QStringLiteral("a resident ID number has 18 characters"));
        }
    }
    if (!body.value(QStringLiteral("profile")).isObject()) {
        e.emplace_back(QStringLiteral("/profile"), QStringLiteral("required object"));
    } else {
        const QJsonObject pr = body.value(QStringLiteral("profile")).toObject();
        const QString p = QStringLiteral("/profile");
        JsonRequest pj(pr,
            {QStringLiteral("algorithm"),
                QStringLiteral("maxBalance"),
                QStringLiteral("noPinLimit"),
                QStringLiteral("loadNeedsPin"),
                QStringLiteral("purchaseAboveLimitNeedsPin"),
                QStringLiteral("readCardholderNeedsPin"),
                QStringLiteral("purchaseNeedsTouch"),
                QStringLiteral("pinTries"),
                QStringLiteral("recordCapacity"),
                QStringLiteral("validYears")},
            p);
        (void)pj.oneOf(QStringLiteral("algorithm"), {QStringLiteral("3des"), QStringLiteral("sm4")});
        (void)pj.integer(QStringLiteral("maxBalance"), 1, 4294967295LL);
        (void)pj.integer(QStringLiteral("noPinLimit"), 0, 4294967295LL);
        optInteger(pj, pr, QStringLiteral("pinTries"), 1, 15);
        optInteger(pj, pr, QStringLiteral("recordCapacity"), 10, 100);
        optInteger(pj, pr, QStringLiteral("validYears"), 1, 10);
        collect(pj, e);
        checkBool(pr, QStringLiteral("purchaseNeedsTouch"), true, e, p);
        for (const char* k : {"loadNeedsPin", "purchaseAboveLimitNeedsPin", "readCardholderNeedsPin"}) {
            checkBool(pr, QLatin1String(k), false, e, p);
        }
    }
    return e.empty() ? Reply{} : invalidReply(e, requestId);
}

Reply Issuance::validateStepRequest(const QJsonObject& body, const QString& requestId)
{
    std::vector<std::pair<QString, QString>> e;
    JsonRequest j(body,
        {QStringLiteral("step"),
            QStringLiteral("challenge"),
            QStringLiteral("previousStatusWord"),
            QStringLiteral("pin")});
    const auto step = j.integer(QStringLiteral("step"), 1, kTotalSteps);
    (void)j.hex(QStringLiteral("challenge"), 8);
    if (body.contains(QStringLiteral("previousStatusWord"))) {
        (void)j.hex(QStringLiteral("previousStatusWord"), 2);
    } else if (step && *step > 1) {
        e.emplace_back(QStringLiteral("/previousStatusWord"), QStringLiteral("required for step > 1"));
    }
    collect(j, e);
    if (step && *step == 10) {
        checkText(body, QStringLiteral("pin"), QStringLiteral("^[0-9]{4,12}$"), 12, true, e);
    } else if (body.contains(QStringLiteral("pin"))) {
        e.emplace_back(QStringLiteral("/pin"), QStringLiteral("only in step 10 (WRITE KEY PIN)"));
    }
    return e.empty() ? Reply{} : invalidReply(e, requestId);
}

Reply Issuance::validateCompletion(const QJsonObject& body, const QString& requestId)
{
    JsonRequest j(body, {QStringLiteral("statusWord"), QStringLiteral("lifeCycle"), QStringLiteral("sfi15")});
    (void)j.hex(QStringLiteral("statusWord"), 2);
    (void)j.hex(QStringLiteral("lifeCycle"), 1);
    (void)j.hex(QStringLiteral("sfi15"), 30);
    return j.ok() ? Reply{} : invalidReply(j.errors(), requestId);
}

namespace {

void challengeOf(JsonRequest& j, const QJsonObject& body)
{
    const int len = body.value(QStringLiteral("challenge")).toString().size();
    (void)j.hex(QStringLiteral("challenge"), len == 8 ? 4 : 8);
}

} // namespace

Reply Issuance::validatePinMaintenance(const QJsonObject& body, const QString& requestId)
{
    std::vector<std::pair<QString, QString>> e;
    JsonRequest j(body,
        {QStringLiteral("challenge"), QStringLiteral("pin"), QStringLiteral("approvalId"), QStringLiteral("idCheck")});
    challengeOf(j, body);
    if (body.contains(QStringLiteral("approvalId"))) {
        (void)j.uuid(QStringLiteral("approvalId"));
    }
    collect(j, e);
    if (body.contains(QStringLiteral("idCheck"))) {
        // The ID check at a branch: which kind of document the teller compared (never its number).
        const QJsonValue v = body.value(QStringLiteral("idCheck"));
        if (!v.isObject()) {
            e.emplace_back(QStringLiteral("/idCheck"), QStringLiteral("must be an object"));
        } else {
            JsonRequest ij(v.toObject(), {QStringLiteral("document")}, QStringLiteral("/idCheck"));
            (void)ij.oneOf(QStringLiteral("document"),
                {QStringLiteral("resident-id"), QStringLiteral("passport"), QStringLiteral("other")});
            collect(ij, e);
        }
    }
    checkText(body, QStringLiteral("pin"), QStringLiteral("^[0-9]{4,12}$"), 12, true, e);
    return e.empty() ? Reply{} : invalidReply(e, requestId);
}

Reply Issuance::validateApplicationBlock(const QJsonObject& body, const QString& requestId)
{
    std::vector<std::pair<QString, QString>> e;
    JsonRequest j(body, {QStringLiteral("challenge"), QStringLiteral("permanent"), QStringLiteral("approvalId")});
    challengeOf(j, body);
    if (body.contains(QStringLiteral("approvalId"))) {
        (void)j.uuid(QStringLiteral("approvalId"));
    }
    collect(j, e);
    checkBool(body, QStringLiteral("permanent"), true, e, {});
    return e.empty() ? Reply{} : invalidReply(e, requestId);
}

Reply Issuance::validateChallenge(const QJsonObject& body, const QString& requestId)
{
    JsonRequest j(body, {QStringLiteral("challenge")});
    challengeOf(j, body);
    return j.ok() ? Reply{} : invalidReply(j.errors(), requestId);
}

Reply Issuance::validateApprovedChallenge(const QJsonObject& body, const QString& requestId)
{
    JsonRequest j(body, {QStringLiteral("challenge"), QStringLiteral("approvalId")});
    challengeOf(j, body);
    (void)j.uuid(QStringLiteral("approvalId"));
    return j.ok() ? Reply{} : invalidReply(j.errors(), requestId);
}

Reply Issuance::validateCardBlock(const QJsonObject& body, const QString& requestId)
{
    JsonRequest j(body, {QStringLiteral("challenge"), QStringLiteral("approvalId"), QStringLiteral("keyBalance")});
    challengeOf(j, body);
    (void)j.uuid(QStringLiteral("approvalId"));
    (void)j.integer(QStringLiteral("keyBalance"), 0, 4294967295LL);
    return j.ok() ? Reply{} : invalidReply(j.errors(), requestId);
}

Reply Issuance::validateOutcome(const QJsonObject& body, const QString& requestId)
{
    JsonRequest j(body, {QStringLiteral("statusWord")});
    (void)j.hex(QStringLiteral("statusWord"), 2);
    return j.ok() ? Reply{} : invalidReply(j.errors(), requestId);
}

Reply Issuance::validateHotlisting(const QJsonObject& body, const QString& requestId)
{
    std::vector<std::pair<QString, QString>> e;
    JsonRequest j(body, {QStringLiteral("reason"), QStringLiteral("note")});
    (void)j.oneOf(QStringLiteral("reason"),
        {QStringLiteral("lost"),
            QStringLiteral("stolen"),
            QStringLiteral("damaged"),
            QStringLiteral("closed"),
            QStringLiteral("fraud-suspected")});
    collect(j, e);
    checkText(body, QStringLiteral("note"), {}, 200, false, e);
    return e.empty() ? Reply{} : invalidReply(e, requestId);
}

// ---- issuance jobs -----------------------------------------------------------------------------------------------

namespace {
const char* kJobColumns = "id, device_serial, asn, account_id, state, next_step, failure_step, failure_sw,"
                          " created_at, updated_at, algorithm, key_version, profile, customer, terminal_id,"
                          " replaces_asn, carried_balance, staff_id";
constexpr int kJobStaffColumn = 17;
} // namespace

Reply Issuance::jobReply(PgConnection& db, const QString& jobId, int status, const QString& rid)
{
    auto r = db.exec(std::string("SELECT ") + kJobColumns + " FROM issuance_jobs WHERE id = $1", {s(jobId)});
    if (!r) {
        return unavailableReply(r.error(), rid);
    }
    if (r->rows() != 1) {
        return notFound(QStringLiteral("No issuance job %1.").arg(jobId), rid);
    }
    QJsonObject o{{QStringLiteral("jobId"), q(r->text(0, 0))},
        {QStringLiteral("deviceSerial"), q(r->text(0, 1))},
        {QStringLiteral("asn"), q(r->text(0, 2))},
        {QStringLiteral("applicationSerial"), QStringLiteral("0000") + q(r->text(0, 2))},
        {QStringLiteral("accountId"), q(r->text(0, 3))},
        {QStringLiteral("state"), q(r->text(0, 4))},
        {QStringLiteral("nextStep"), static_cast<qint64>(r->integer(0, 5))},
        {QStringLiteral("totalSteps"), kTotalSteps},
        {QStringLiteral("createdAt"), rfc3339(r->integer(0, 8))},
        {QStringLiteral("updatedAt"), rfc3339(r->integer(0, 9))}};
    if (!r->isNull(0, 15)) {
        o.insert(QStringLiteral("replacesAsn"), q(r->text(0, 15)));
    }
    if (!r->isNull(0, 16)) {
        o.insert(QStringLiteral("carriedBalance"), static_cast<qint64>(r->integer(0, 16)));
    }
    if (!r->isNull(0, 6)) {
        o.insert(QStringLiteral("failure"),
            QJsonObject{{QStringLiteral("step"), static_cast<qint64>(r->integer(0, 6))},
                {QStringLiteral("statusWord"), q(r->text(0, 7))}});
    }
    return Reply::json(status, o, status == 201 ? "/v1/issuance/jobs/" + s(jobId) : std::string());
}

std::variant<std::pair<QString, std::string>, Reply> Issuance::replacement(
    PgConnection& db, const CallContext& call, const StaffIdentity& who, const QString& oldAsn, const QJsonObject& body)
{
    const QString& rid = call.requestKey;
    auto old
        = db.exec("SELECT account_id, state, hotlisted, replaced_by FROM cards WHERE asn = $1 FOR UPDATE", {s(oldAsn)});
    if (!old) {
        return unavailableReply(old.error(), rid);
    }
    if (old->rows() != 1) {
        return unknownCard(oldAsn, rid);
    }
    const std::string state = old->text(0, 1);
    if (!old->isNull(0, 3) || state == "closed" || state == "terminated") {
        return problem(409,
            "state-conflict",
            QStringLiteral("This key was replaced or closed already"),
            QStringLiteral("Key %1 is %2%3.")
                .arg(oldAsn, q(state == "terminated" ? "terminated" : "closed"))
                .arg(old->isNull(0, 3) ? QString() : QStringLiteral(", replaced by %1").arg(q(old->text(0, 3)))),
            QStringLiteral("Nothing to replace; nothing was changed."),
            rid,
            q(state));
    }
    auto pending
        = db.exec("SELECT device_serial FROM issuance_jobs WHERE replaces_asn = $1 AND state <> 'voided'", {s(oldAsn)});
    if (!pending) {
        return unavailableReply(pending.error(), rid);
    }
    if (pending->rows() > 0) {
        return problem(409,
            "replacement-pending",
            QStringLiteral("A replacement for this key is under way"),
            QStringLiteral("Key %1 is being replaced by device %2.").arg(oldAsn, q(pending->text(0, 0))),
            QStringLiteral("Finish that key's issuance, or void its job (bankctl issuance void); nothing was "
                           "changed."),
            rid);
    }
    // The customer at the desk is the lost key's: same ID type and number (checked against the ID document).
    auto oldJob = db.exec("SELECT customer FROM issuance_jobs WHERE asn = $1 AND state = 'completed'", {s(oldAsn)});
    if (!oldJob) {
        return unavailableReply(oldJob.error(), rid);
    }
    if (oldJob->rows() == 1) {
        const QJsonObject was = QJsonDocument::fromJson(QByteArray::fromStdString(oldJob->text(0, 0))).object();
        const QJsonObject now = body.value(QStringLiteral("customer")).toObject();
        if (was.value(QStringLiteral("idType")).toInteger() != now.value(QStringLiteral("idType")).toInteger()
            || was.value(QStringLiteral("idNumber")).toString().toUpper()
                != now.value(QStringLiteral("idNumber")).toString().toUpper()) {
            return problem(409,
                "customer-mismatch",
                QStringLiteral("This is not the lost key's customer"),
                QStringLiteral("The ID type or number differs from the one key %1 was issued to.").arg(oldAsn),
                QStringLiteral("Check the customer's ID document against the lost key's account; nothing was "
                               "changed."),
                rid);
        }
    }
    auto used = m_staff.useApproval(
        db, call, who, body.value(QStringLiteral("approvalId")).toString(), QStringLiteral("card-replacement"), oldAsn);
    if (auto* refusal = std::get_if<Reply>(&used)) {
        return *refusal;
    }
    // The lost key is hot-listed now if it was not yet: from here it is refused online and by kiosks.
    if (old->text(0, 2) != "t") {
        auto hl = db.exec("INSERT INTO hotlist (asn, reason, since) VALUES ($1, 'lost', $2) RETURNING version",
            {s(oldAsn), std::to_string(nowMicros())});
        if (!hl) {
            return unavailableReply(hl.error(), rid);
        }
        if (auto u = db.exec("UPDATE cards SET hotlisted = TRUE WHERE asn = $1", {s(oldAsn)}); !u) {
            return unavailableReply(u.error(), rid);
        }
        if (auto a = Staff::audit(db,
                {call.terminalId,
                    who.staffId,
                    std::get<QString>(used),
                    QStringLiteral("card.hotlisted"),
                    oldAsn,
                    QString::number(hl->integer(0, 0)),
                    QStringLiteral("ok"),
                    QStringLiteral("lost: replaced at the branch")});
            !a) {
            return unavailableReply(a.error(), rid);
        }
    }
    return std::pair<QString, std::string>(std::get<QString>(used), old->text(0, 0));
}

Reply Issuance::createJob(PgConnection& db, const CallContext& call, const StaffIdentity& who, const QJsonObject& body)
{
    const QString& rid = call.requestKey;
    const QString serial = body.value(QStringLiteral("deviceSerial")).toString();
    QJsonObject profile = body.value(QStringLiteral("profile")).toObject();
    const QJsonObject customer = body.value(QStringLiteral("customer")).toObject();
    if (profile.value(QStringLiteral("algorithm")).toString() != QLatin1String("3des")) {
        return problem(422,
            "algorithm-unavailable",
            QStringLiteral("This bank host issues 3DES keys only"),
            QStringLiteral("The SM4 profile needs the key-holding process skey-keyd (docs/bank.md §8.4), which is "
                           "not built yet."),
            QStringLiteral("Choose the 3DES profile; nothing was changed."),
            rid);
    }
    // The manufacturer's transport-key master must be in the token, or no blank key can be opened; and the
    // manufacturer's shipping lists (bankctl devices add-lot): a serial in no lot was not made for this bank (a
    // counterfeit or another bank's key), so nothing is written for it.
    auto lot = manufacturerOfSerial(m_hsm, db, serial, QStringLiteral("key"), rid);
    if (auto* refusal = std::get_if<Reply>(&lot)) {
        return std::move(*refusal);
    }
    const QString manufacturer = std::get<QString>(lot);
    const bool selfService = who.role == QLatin1String(kSelfServiceRole);
    if (selfService
        && (manufacturer != QLatin1String(kDevelopmentManufacturer) || body.contains(QStringLiteral("replacesAsn")))) {
        // Self-service demo issuance (docs/bank.md §12): simulated keys of the development lot only, never a
        // replacement (that needs a supervisor's approval at a branch).
        m_staff.auditApart({call.terminalId,
            {},
            {},
            QStringLiteral("issuance.job-create"),
            {},
            serial,
            QStringLiteral("refused: self-service-not-allowed"),
            QStringLiteral("self-service demo issuance")});
        return problem(403,
            "self-service-not-allowed",
            QStringLiteral("This key is issued at a branch"),
            QStringLiteral("Self-service demo issuance covers blank simulated keys of the development lot only; "
                           "device %1 is not one, or a replacement was asked.")
                .arg(serial),
            QStringLiteral("Take the key to a branch of its bank; nothing was changed."),
            rid);
    }
    if (manufacturer.isEmpty()) {
        m_staff.auditApart({call.terminalId,
            who.staffId,
            {},
            QStringLiteral("issuance.job-create"),
            {},
            serial,
            QStringLiteral("refused: device-unknown"),
            {}});
        return problem(422,
            "device-unknown",
            QStringLiteral("The manufacturer did not ship this key to the bank"),
            QStringLiteral("Device serial %1 is in no lot imported from a manufacturer.").arg(serial),
            QStringLiteral("Do not issue this key; set it aside and report it. Nothing was written."),
            rid);
    }
    auto existing = db.exec("SELECT id, state FROM issuance_jobs WHERE device_serial = $1 AND state <> 'voided'"
                            " FOR UPDATE",
        {s(serial)});
    if (!existing) {
        return unavailableReply(existing.error(), rid);
    }
    auto issued = db.exec("SELECT asn FROM cards WHERE device_serial = $1", {s(serial)});
    if (!issued) {
        return unavailableReply(issued.error(), rid);
    }
    if (issued->rows() > 0 || (existing->rows() == 1 && existing->text(0, 1) == "completed")) {
        m_staff.auditApart({call.terminalId,
            who.staffId,
            {},
            QStringLiteral("issuance.job-create"),
            {},
            serial,
            QStringLiteral("refused: device-already-issued"),
            {}});
        return problem(409,
            "device-already-issued",
            QStringLiteral("This key was issued already"),
            QStringLiteral("Device %1 carries a key of this bank.").arg(serial),
            QStringLiteral("Use a blank key; a personalised key is serviced, not issued again."),
            rid,
            QStringLiteral("completed"));
    }
    if (existing->rows() == 1) {
        return jobReply(db, q(existing->text(0, 0)), 200, rid); // one job per device serial (§9.5)
    }
    const QString replacesAsn = body.value(QStringLiteral("replacesAsn")).toString();
    QString supervisor;
    std::optional<std::string> replacedAccount;
    if (!replacesAsn.isEmpty()) {
        auto replaced = replacement(db, call, who, replacesAsn, body);
        if (auto* refusal = std::get_if<Reply>(&replaced)) {
            return *refusal;
        }
        supervisor = std::get<std::pair<QString, std::string>>(replaced).first;
        replacedAccount = std::get<std::pair<QString, std::string>>(replaced).second;
    }
    // SQLite has no sequences: a row per value in asn_sequence (AUTOINCREMENT never hands one out twice).
    auto seq = db.sqlite() ? db.exec("INSERT INTO asn_sequence DEFAULT VALUES RETURNING value")
                           : db.exec("SELECT nextval('asn_sequence')");
    if (!seq) {
        return unavailableReply(seq.error(), rid);
    }
    const QString asn = QStringLiteral("8860%1").arg(seq->integer(0, 0), 12, 10, QLatin1Char('0'));
    // A replacement keeps the customer's funding account: the lost key's balance arrives there at completion.
    // A self-service demo key's account says so in its name: this bank is a demo on the cardholder's computer.
    const QString accountName = selfService
        ? QStringLiteral("DEMO funding (local demo bank), key %1").arg(asn)
        : QStringLiteral("%1 (key %2)").arg(customer.value(QStringLiteral("name")).toString(), asn);
    auto account = replacedAccount ? Result<std::string>(*replacedAccount)
                                   : Ledger::openAccount(db, "customer-funding", s(accountName));
    if (!account) {
        return unavailableReply(account.error(), rid);
    }
    const QDate start = QDate::currentDate();
    profile.insert(QStringLiteral("startDate"), start.toString(Qt::ISODate));
    profile.insert(QStringLiteral("expiryDate"),
        start.addYears(static_cast<int>(profile.value(QStringLiteral("validYears")).toInteger(5)))
            .toString(Qt::ISODate));
    const std::string id = uuidV7();
    const std::string now = std::to_string(nowMicros());
    auto ins = db.exec("INSERT INTO issuance_jobs (id, device_serial, asn, account_id, state, next_step, algorithm,"
                       " key_version, profile, customer, batch_id, staff_id, terminal_id, created_at, updated_at,"
                       " replaces_asn) VALUES ($1, $2, $3, $4, 'prepared', 1, '3des', 1, $5, $6, $7, $8, $9, $10, $10,"
                       " $11)",
        {id,
            s(serial),
            s(asn),
            *account,
            QJsonDocument(profile).toJson(QJsonDocument::Compact).toStdString(),
            QJsonDocument(customer).toJson(QJsonDocument::Compact).toStdString(),
            body.contains(QStringLiteral("batchId"))
                ? std::optional<std::string>(s(body.value(QStringLiteral("batchId")).toString()))
                : std::nullopt,
            who.staffId.isEmpty() ? std::nullopt : std::optional<std::string>(s(who.staffId)),
            s(call.terminalId),
            now,
            replacesAsn.isEmpty() ? std::nullopt : std::optional<std::string>(s(replacesAsn))});
    if (!ins) {
        return unavailableReply(ins.error(), rid);
    }
    if (auto a = Staff::audit(db,
            {call.terminalId,
                who.staffId,
                supervisor,
                QStringLiteral("issuance.job-created"),
                asn,
                q(id),
                QStringLiteral("ok"),
                replacesAsn.isEmpty()
                    ? QStringLiteral("device %1%2")
                          .arg(serial, selfService ? QStringLiteral(", self-service demo") : QString())
                    : QStringLiteral("device %1, replaces %2").arg(serial, replacesAsn)});
        !a) {
        return unavailableReply(a.error(), rid);
    }
    return jobReply(db, q(id), 201, rid);
}

std::optional<Reply> Issuance::selfServiceRefusal(
    const CallContext& call, const StaffIdentity& who, const DbResult& job, const QString& jobId)
{
    if (who.role != QLatin1String(kSelfServiceRole)
        || (job.isNull(0, kJobStaffColumn) && q(job.text(0, 14)) == call.terminalId)) {
        return std::nullopt;
    }
    return problem(403,
        "self-service-not-allowed",
        QStringLiteral("This issuance job is not yours"),
        QStringLiteral("Job %1 was not started by this wallet's self-service demo issuance.").arg(jobId),
        QStringLiteral("Continue it where it was started; nothing was changed."),
        call.requestKey);
}

Reply Issuance::getJob(PgConnection& db, const CallContext& call, const QString& jobId)
{
    return jobReply(db, jobId, 200, call.requestKey);
}

Reply Issuance::step(
    PgConnection& db, const CallContext& call, const StaffIdentity& who, const QString& jobId, const QJsonObject& body)
{
    const QString& rid = call.requestKey;
    const int step = static_cast<int>(body.value(QStringLiteral("step")).toInteger());
    const QByteArray challenge = hexBytes(body.value(QStringLiteral("challenge")).toString());
    const QString previous = body.value(QStringLiteral("previousStatusWord")).toString();
    auto job
        = db.exec(std::string("SELECT ") + kJobColumns + " FROM issuance_jobs WHERE id = $1 FOR UPDATE", {s(jobId)});
    if (!job) {
        return unavailableReply(job.error(), rid);
    }
    if (job->rows() != 1) {
        return notFound(QStringLiteral("No issuance job %1.").arg(jobId), rid);
    }
    if (auto refused = selfServiceRefusal(call, who, *job, jobId)) {
        return *refused;
    }
    const std::string state = job->text(0, 4);
    const int next = static_cast<int>(job->integer(0, 5));
    const QString asn = q(job->text(0, 2));
    const QByteArray serial = hexBytes(q(job->text(0, 1)));
    const std::int64_t keyVersion = job->integer(0, 11);
    const std::string now = std::to_string(nowMicros());
    if (state == "completed" || state == "voided") {
        return problem(409,
            "state-conflict",
            QStringLiteral("This issuance job is closed"),
            QStringLiteral("Job %1 is %2.").arg(jobId, q(state)),
            QStringLiteral("Nothing more is sent to this key; start a new job for another blank key."),
            rid,
            q(state));
    }
    if (step > 1 && previous != QLatin1String("9000")) {
        // The key refused step - 1: the job fails with its word; the station may restart at step 1 (§9.5).
        if (auto u = db.exec("UPDATE issuance_jobs SET state = 'failed', failure_step = $2, failure_sw = $3,"
                             " next_step = 1, updated_at = $4 WHERE id = $1",
                {s(jobId), std::to_string(step - 1), s(previous), now});
            !u) {
            return unavailableReply(u.error(), rid);
        }
        (void)Staff::audit(db,
            {call.terminalId,
                who.staffId,
                {},
                QStringLiteral("issuance.step"),
                asn,
                jobId,
                QStringLiteral("failed: step %1 answered %2").arg(step - 1).arg(previous),
                stepName(step - 1)});
        Reply r = problem(409,
            "step-failed",
            QStringLiteral("The key refused the previous step"),
            QStringLiteral("Step %1 (%2) answered %3; the job has failed.")
                .arg(step - 1)
                .arg(stepName(step - 1), previous),
            QStringLiteral("Check the key (a wrong transport key answers 6300 to step 1); restart at step 1 with a "
                           "fresh challenge, or stop."),
            rid,
            QStringLiteral("failed"));
        r.commitEffects = true;
        return r;
    }
    // Step 1 restarts; step n > 1 follows n - 1 (or repeats it for a fresh challenge when its APDU was lost).
    if (step > 1 && !(state == "personalising" && (step == next || step == next - 1))) {
        return problem(409,
            "step-out-of-order",
            QStringLiteral("Steps go in order"),
            QStringLiteral("Job %1 expects step %2 (or step 1 to restart), not %3.").arg(jobId).arg(next).arg(step),
            QStringLiteral("Ask for step %1, or restart at step 1 with a fresh challenge.").arg(next),
            rid,
            q(state));
    }
    const QJsonObject profile = QJsonDocument::fromJson(QByteArray::fromStdString(job->text(0, 12))).object();
    const QJsonObject customer = QJsonDocument::fromJson(QByteArray::fromStdString(job->text(0, 13))).object();
    const Hsm::DerivedKey kt{"mkt.v1", serial};
    Result<QByteArray> command = QByteArray();
    bool sensitive = false;
    if (step == 1) {
        auto cryptogram = m_hsm.encryptBlocks(kt, challenge);
        command = cryptogram ? Result<QByteArray>(plainCommand(0x00, 0x82, 0x00, 0x00, *cryptogram))
                             : Result<QByteArray>(cryptogram.error());
    } else if (step <= 9) {
        const KeyRecord& k = kKeyRecords[step - 2];
        sensitive = true;
        auto enc = m_hsm.writeKeyBlock(
            kt, {s(label(k.master, keyVersion)), hexBytes(asn)}, 1, static_cast<std::uint8_t>(keyVersion), 0x00);
        command
            = enc ? macCommand(m_hsm, kt, challenge, 0x84, 0xD4, 0x00, k.type, *enc) : Result<QByteArray>(enc.error());
    } else if (step == 10) {
        sensitive = true;
        const std::string digits = body.value(QStringLiteral("pin")).toString().toStdString();
        auto pin = core::Pin::fromDigits(digits);
        if (!pin) {
            return invalidReply({{QStringLiteral("/pin"), pin.error().detail}}, rid);
        }
        core::SecureBytes fields{static_cast<std::uint8_t>(profile.value(QStringLiteral("pinTries")).toInteger(3))};
        fields.insert(fields.end(), pin->bcd().begin(), pin->bcd().end());
        auto enc = m_hsm.encryptWithLength(kt, fields);
        command
            = enc ? macCommand(m_hsm, kt, challenge, 0x84, 0xD4, 0x00, 0x3A, *enc) : Result<QByteArray>(enc.error());
    } else if (step == 11) {
        command = macCommand(m_hsm, kt, challenge, 0x04, 0xD6, 0x95, 0x00, applicationData(profile, asn).encode());
    } else if (step == 12) {
        core::CardholderData holder;
        holder.name = customer.value(QStringLiteral("name")).toString();
        holder.idNumber = customer.value(QStringLiteral("idNumber")).toString();
        holder.idType = static_cast<std::uint8_t>(customer.value(QStringLiteral("idType")).toInteger());
        command = macCommand(m_hsm, kt, challenge, 0x04, 0xD6, 0x96, 0x00, holder.encode());
    } else if (step <= 18) {
        const int tag = step - 12;
        QByteArray value;
        switch (tag) {
        case 1:
            value = hexBytes(QStringLiteral("D15600000145442F4550")); // the default purse AID (spec §1)
            break;
        case 2:
            value = u32(profile.value(QStringLiteral("maxBalance")).toInteger());
            break;
        case 3:
            value = u32(profile.value(QStringLiteral("noPinLimit")).toInteger());
            break;
        case 4:
            value = QByteArray(1, static_cast<char>(policyFlags(profile)));
            break;
        case 5:
            value = QByteArray(1, static_cast<char>(profile.value(QStringLiteral("recordCapacity")).toInteger(10)));
            break;
        default:
            value = QByteArrayLiteral("E-PURSE");
            break;
        }
        command = macCommand(m_hsm, kt, challenge, 0x84, 0xDA, 0x00, static_cast<std::uint8_t>(tag), value);
    } else {
        command = macCommand(m_hsm, kt, challenge, 0x84, 0xEA, 0x00, 0x00, {});
    }
    if (!command) {
        return unavailableReply(command.error(), rid);
    }
    if (auto u = db.exec("UPDATE issuance_jobs SET state = 'personalising', next_step = $2, failure_step = NULL,"
                         " failure_sw = NULL, updated_at = $3 WHERE id = $1",
            {s(jobId), std::to_string(step + 1), now});
        !u) {
        return unavailableReply(u.error(), rid);
    }
    if (step == 1 || step == kTotalSteps) {
        if (auto a = Staff::audit(db,
                {call.terminalId,
                    who.staffId,
                    {},
                    QStringLiteral("issuance.step"),
                    asn,
                    jobId,
                    QStringLiteral("sent"),
                    stepName(step)});
            !a) {
            return unavailableReply(a.error(), rid);
        }
    }
    QJsonObject o{{QStringLiteral("jobId"), jobId},
        {QStringLiteral("step"), step},
        {QStringLiteral("name"), stepName(step)},
        {QStringLiteral("apdu"), hexUpper(*command)},
        {QStringLiteral("sensitive"), sensitive},
        {QStringLiteral("expectedStatusWord"), QStringLiteral("9000")},
        {QStringLiteral("last"), step == kTotalSteps}};
    return Reply::json(200, o);
}

Reply Issuance::complete(
    PgConnection& db, const CallContext& call, const StaffIdentity& who, const QString& jobId, const QJsonObject& body)
{
    const QString& rid = call.requestKey;
    auto job
        = db.exec(std::string("SELECT ") + kJobColumns + " FROM issuance_jobs WHERE id = $1 FOR UPDATE", {s(jobId)});
    if (!job) {
        return unavailableReply(job.error(), rid);
    }
    if (job->rows() != 1) {
        return notFound(QStringLiteral("No issuance job %1.").arg(jobId), rid);
    }
    if (auto refused = selfServiceRefusal(call, who, *job, jobId)) {
        return *refused;
    }
    const QString asn = q(job->text(0, 2));
    if (job->text(0, 4) == "completed") {
        return jobReply(db, jobId, 200, rid);
    }
    const QByteArray sfi15 = hexBytes(body.value(QStringLiteral("sfi15")).toString());
    const QString sw = body.value(QStringLiteral("statusWord")).toString();
    const QString lifeCycle = body.value(QStringLiteral("lifeCycle")).toString();
    // SFI 0x15: issuer ID 8 ‖ type 1 ‖ version 1 ‖ application serial 10 (the last 8 are the ASN).
    const QString readAsn = hexUpper(sfi15.mid(12, 8));
    if (job->text(0, 4) != "personalising" || job->integer(0, 5) != kTotalSteps + 1 || sw != QLatin1String("9000")
        || lifeCycle != QLatin1String("01") || readAsn != asn) {
        m_staff.auditApart({call.terminalId,
            who.staffId,
            {},
            QStringLiteral("issuance.completion"),
            asn,
            jobId,
            QStringLiteral("refused: state-conflict"),
            QStringLiteral("SW %1, life cycle %2, ASN read %3").arg(sw, lifeCycle, readAsn)});
        return problem(409,
            "state-conflict",
            QStringLiteral("The key is not personalised as this job says"),
            QStringLiteral("Job %1 (ASN %2, next step %3): END PERSONALIZATION answered %4, life cycle %5, SFI 0x15 "
                           "names ASN %6.")
                .arg(jobId, asn)
                .arg(job->integer(0, 5))
                .arg(sw, lifeCycle, readAsn),
            QStringLiteral("Complete only after step 19 answered 9000 and the key reads personalised with this "
                           "job's ASN; otherwise restart at step 1."),
            rid,
            q(job->text(0, 4)));
    }
    const std::string now = std::to_string(nowMicros());
    if (auto c = db.exec("INSERT INTO cards (asn, account_id, algorithm, key_version, state, device_serial,"
                         " created_at) VALUES ($1, $2, $3, $4, 'active', $5, $6)",
            {s(asn), job->text(0, 3), job->text(0, 10), std::to_string(job->integer(0, 11)), job->text(0, 1), now});
        !c) {
        return unavailableReply(c.error(), rid);
    }
    if (auto u
        = db.exec("UPDATE issuance_jobs SET state = 'completed', updated_at = $2 WHERE id = $1", {s(jobId), now});
        !u) {
        return unavailableReply(u.error(), rid);
    }
    if (!job->isNull(0, 15)) {
        if (auto moved = carryBalance(db, call, who, q(job->text(0, 15)), asn, jobId, job->text(0, 3)); !moved) {
            return unavailableReply(moved.error(), rid);
        }
    }
    if (auto a = Staff::audit(db,
            {call.terminalId,
                who.staffId,
                {},
                QStringLiteral("issuance.completed"),
                asn,
                jobId,
                QStringLiteral("ok"),
                QStringLiteral("device %1").arg(q(job->text(0, 1)))});
        !a) {
        return unavailableReply(a.error(), rid);
    }
    return jobReply(db, jobId, 200, rid);
}

Result<std::int64_t> Issuance::carryBalance(PgConnection& db,
    const CallContext& call,
    const StaffIdentity& who,
    const QString& oldAsn,
    const QString& newAsn,
    const QString& jobId,
    const std::string& account)
{
    // What the bank vouches for on the lost key: its shadow balance (completed loads less the purchases settled so
    // far). It leaves the lost key's float share for the customer's funding account (the new key's), under one
    // natural key, so a repeated completion moves nothing twice. Offline purchases that settle later take the
    // closed key's shadow below 0 (docs/branch.md).
    auto old = db.exec("SELECT shadow_balance FROM cards WHERE asn = $1 FOR UPDATE", {s(oldAsn)});
    if (!old) {
        return old.error();
    }
    if (old->rows() != 1) {
        return core::makeError(ErrorCode::NotFound, QStringLiteral("replaced card %1 is missing").arg(oldAsn));
    }
    const std::int64_t carried = std::max<std::int64_t>(0, old->integer(0, 0));
    if (carried > 0) {
        auto floatAccount = Ledger::floatAccount(db, hexBytes(oldAsn));
        if (!floatAccount) {
            return floatAccount.error();
        }
        TransferSpec t;
        t.kind = "replacement";
        t.debitAccount = *floatAccount;
        t.creditAccount = account;
        t.amount = carried;
        t.naturalKey = "replacement:" + s(oldAsn);
        t.requestScope = s(call.terminalId);
        t.requestKey = s(call.requestKey);
        if (auto tr = Ledger::transfer(db, t); !tr) {
            return tr.error();
        }
    }
    const std::string now = std::to_string(nowMicros());
    if (auto u = db.exec("UPDATE cards SET shadow_balance = shadow_balance - $2, released = released + $2, state ="
                         " 'closed', replaced_by = $3, closed_at = $4 WHERE asn = $1",
            {s(oldAsn), std::to_string(carried), s(newAsn), now});
        !u) {
        return u.error();
    }
    if (auto u
        = db.exec("UPDATE issuance_jobs SET carried_balance = $2 WHERE id = $1", {s(jobId), std::to_string(carried)});
        !u) {
        return u.error();
    }
    if (auto a = Staff::audit(db,
            {call.terminalId,
                who.staffId,
                {},
                QStringLiteral("card.replaced"),
                oldAsn,
                jobId,
                QStringLiteral("ok"),
                QStringLiteral("replaced by %1; %2 fen to the funding account").arg(newAsn).arg(carried)});
        !a) {
        return a.error();
    }
    return carried;
}

Result<std::int64_t> Issuance::closeAccount(PgConnection& db,
    const CallContext& call,
    const std::optional<StaffIdentity>& who,
    const QString& asn,
    const QString& commandId,
    std::int64_t keyBalance)
{
    // CARD BLOCK answered 9000: the key can never pay again. The bank pays back what it vouches for and the key
    // showed (min of the shadow balance and the key's balance read at the desk: a higher claim is capped, a lower
    // one leaves the difference for offline purchases still to settle), plus the funding account; both go through
    // the refunds account and out (payout, cash at the counter). Natural keys make a repeated report move nothing.
    auto card = db.exec("SELECT shadow_balance, account_id, hotlisted FROM cards WHERE asn = $1 FOR UPDATE", {s(asn)});
    if (!card) {
        return card.error();
    }
    if (card->rows() != 1) {
        return core::makeError(ErrorCode::NotFound, QStringLiteral("card %1 is missing").arg(asn));
    }
    const std::int64_t fromKey = std::clamp<std::int64_t>(card->integer(0, 0), 0, keyBalance);
    const std::string funding = card->text(0, 1);
    auto bal = db.exec("SELECT balance FROM accounts WHERE id = $1", {funding});
    if (!bal) {
        return bal.error();
    }
    const std::int64_t fromAccount = bal->rows() == 1 ? std::max<std::int64_t>(0, bal->integer(0, 0)) : 0;
    auto refunds = db.exec("SELECT id FROM accounts WHERE kind = 'refunds' ORDER BY created_at LIMIT 1");
    if (!refunds) {
        return refunds.error();
    }
    std::string refundsAccount;
    if (refunds->rows() == 1) {
        refundsAccount = refunds->text(0, 0);
    } else {
        auto opened = Ledger::openAccount(db, "refunds", "Refunds (account closures)");
        if (!opened) {
            return opened.error();
        }
        refundsAccount = *opened;
    }
    auto move = [&](const std::string& kind,
                    const std::string& from,
                    const std::string& to,
                    std::int64_t amount,
                    const std::string& key) -> Result<void> {
        if (amount <= 0) {
            return {};
        }
        TransferSpec t;
        t.kind = kind;
        t.debitAccount = from;
        t.creditAccount = to;
        t.amount = amount;
        t.naturalKey = key;
        t.requestScope = s(call.terminalId);
        t.requestKey = s(call.requestKey);
        auto r = Ledger::transfer(db, t);
        if (!r) {
            return r.error();
        }
        return {};
    };
    auto floatAccount = Ledger::floatAccount(db, hexBytes(asn));
    if (!floatAccount) {
        return floatAccount.error();
    }
    auto clearing = Ledger::clearingAccount(db);
    if (!clearing) {
        return clearing.error();
    }
    if (auto r = move("closure", *floatAccount, refundsAccount, fromKey, "closure:" + s(asn)); !r) {
        return r.error();
    }
    if (auto r = move("closure", funding, refundsAccount, fromAccount, "closure-funding:" + s(asn)); !r) {
        return r.error();
    }
    if (auto r = move("payout", refundsAccount, *clearing, fromKey + fromAccount, "payout:" + s(asn)); !r) {
        return r.error();
    }
    const std::string now = std::to_string(nowMicros());
    if (auto u = db.exec("UPDATE cards SET shadow_balance = shadow_balance - $2, released = released + $2, state ="
                         " 'closed', closed_at = $3 WHERE asn = $1",
            {s(asn), std::to_string(fromKey), now});
        !u) {
        return u.error();
    }
    if (card->text(0, 2) != "t") {
        if (auto h = db.exec("INSERT INTO hotlist (asn, reason, since) VALUES ($1, 'closed', $2)", {s(asn), now}); !h) {
            return h.error();
        }
        if (auto u = db.exec("UPDATE cards SET hotlisted = TRUE WHERE asn = $1", {s(asn)}); !u) {
            return u.error();
        }
    }
    if (auto u = db.exec("UPDATE maintenance_commands SET refunded = $2 WHERE id = $1",
            {s(commandId), std::to_string(fromKey + fromAccount)});
        !u) {
        return u.error();
    }
    if (auto a = Staff::audit(db,
            {call.terminalId,
                who ? who->staffId : QString(),
                {},
                QStringLiteral("account.closed"),
                asn,
                commandId,
                QStringLiteral("ok"),
                QStringLiteral("paid back %1 fen (key %2, account %3)")
                    .arg(fromKey + fromAccount)
                    .arg(fromKey)
                    .arg(fromAccount)});
        !a) {
        return a.error();
    }
    return fromKey + fromAccount;
}

// ---- maintenance -------------------------------------------------------------------------------------------------

namespace {

QJsonObject commandJson(const PgResult& r, int row)
{
    // id, asn, operation, expected_sw, outcome, created_at, card state
    QJsonObject o{{QStringLiteral("commandId"), q(r.text(row, 0))},
        {QStringLiteral("asn"), q(r.text(row, 1))},
        {QStringLiteral("operation"), q(r.text(row, 2))},
        {QStringLiteral("expectedStatusWord"), q(r.text(row, 3))},
        {QStringLiteral("createdAt"), rfc3339(r.integer(row, 5))},
        {QStringLiteral("cardState"), mapCardState(r.text(row, 6), false)}};
    if (!r.isNull(row, 4)) {
        o.insert(QStringLiteral("outcome"), q(r.text(row, 4)));
    }
    if (!r.isNull(row, 9)) {
        o.insert(QStringLiteral("refunded"), static_cast<qint64>(r.integer(row, 9)));
    }
    if (!r.isNull(row, 10)) {
        o.insert(QStringLiteral("idCheck"),
            QJsonObject{{QStringLiteral("document"), q(r.text(row, 10))},
                {QStringLiteral("checkedAt"), rfc3339(r.integer(row, 11))}});
    }
    return o;
}

const char* kCommandSelect = "SELECT m.id, m.asn, m.operation, m.expected_sw, m.outcome, m.created_at, c.state,"
                             " m.staff_id, m.approval_id, m.refunded, m.id_document, m.id_checked_at, m.key_balance"
                             " FROM maintenance_commands m JOIN cards c ON c.asn = m.asn WHERE m.id = $1";

} // namespace

Reply Issuance::prepareMaintenance(PgConnection& db,
    const CallContext& call,
    const std::optional<StaffIdentity>& who,
    const QString& asn,
    const QString& operation,
    const QJsonObject& body)
{
    const QString& rid = call.requestKey;
    const bool permanent = body.value(QStringLiteral("permanent")).toBool(false);
    const QString op = operation == QLatin1String("application-block") && permanent
        ? QStringLiteral("application-block-permanent")
        : operation;
    // Without a staff session only the cardholder's own operations (docs/bank.md §3): PIN UNBLOCK and a temporary
    // APPLICATION BLOCK.
    if (!who && op != QLatin1String("pin-unblock") && op != QLatin1String("application-block")) {
        return problem(403,
            "role-forbidden",
            QStringLiteral("Only a branch does this"),
            QStringLiteral("%1 needs a branch station with a staff session.").arg(op),
            QStringLiteral("The cardholder visits a branch; nothing was changed."),
            rid);
    }
    auto card = db.exec(
        "SELECT state, hotlisted, shadow_balance, key_version FROM cards WHERE asn = $1 FOR UPDATE", {s(asn)});
    if (!card) {
        return unavailableReply(card.error(), rid);
    }
    if (card->rows() != 1) {
        return unknownCard(asn, rid);
    }
    const std::string state = card->text(0, 0);
    const bool hotlisted = card->boolean(0, 1);
    const std::int64_t keyVersion = card->integer(0, 3);
    const QString staffId = who ? who->staffId : QString();
    if (state == "terminated" || state == "blocked-permanently" || state == "closed") {
        return problem(409,
            "state-conflict",
            QStringLiteral("This key is out of service"),
            QStringLiteral("Key %1 is %2.").arg(asn, q(state)),
            QStringLiteral("A terminated or permanently blocked key is replaced, not serviced."),
            rid,
            q(state));
    }
    if (hotlisted && op != QLatin1String("application-block") && op != QLatin1String("application-block-permanent")
        && op != QLatin1String("card-block")) {
        return problem(403,
            "card-hotlisted",
            QStringLiteral("This key is reported lost"),
            QStringLiteral("Key %1 is on the hot-list; only blocking it is allowed.").arg(asn),
            QStringLiteral("Block the key or replace it; nothing was changed."),
            rid);
    }
    if (op == QLatin1String("card-block")) {
        // Closure pays back the smaller of the shadow balance and the key's balance. A load or online purchase of
        // this key whose outcome is still unknown makes those two differ for a reason only the key can prove (its
        // online or offline ATC and GET TRANSACTION PROVE, docs/bank.md §9), so it is settled that way first and
        // never guessed from the difference: a debited purchase left `authorised` would otherwise stay in the float,
        // its order `checking` for ever, and the terminated key could never prove it (docs/branch.md).
        auto open = db.exec("SELECT (SELECT count(*) FROM loads WHERE asn = $1 AND state = 'authorised') + (SELECT"
                            " count(*) FROM purchases WHERE asn = $1 AND state = 'authorised')",
            {s(asn)});
        if (!open) {
            return unavailableReply(open.error(), rid);
        }
        if (open->integer(0, 0) > 0) {
            return problem(409,
                "operations-open",
                QStringLiteral("This key has operations whose outcome is not known yet"),
                QStringLiteral("Key %1 has %2 load(s) or online purchase(s) authorised and not yet proven.")
                    .arg(asn)
                    .arg(open->integer(0, 0)),
                QStringLiteral("Let the customer open the key once in their wallet (or at a kiosk): it settles them "
                               "by the key's ATC and GET TRANSACTION PROVE. Then close the account; nothing was "
                               "changed."),
                rid,
                QStringLiteral("open"));
        }
    }
    QString supervisor;
    const char* approvalOp = op == QLatin1String("pin-reload") ? "pin-reload"
        : op == QLatin1String("application-block-permanent")   ? "application-block-permanent"
        : op == QLatin1String("card-block")                    ? "account-closure"
                                                               : nullptr;
    const QString approvalId = body.value(QStringLiteral("approvalId")).toString();
    if (approvalOp) {
        if (!who) {
            return problem(403,
                "role-forbidden",
                QStringLiteral("Only a branch does this"),
                QStringLiteral("%1 needs a branch station with a staff session.").arg(op),
                QStringLiteral("The cardholder visits a branch; nothing was changed."),
                rid);
        }
        auto used = m_staff.useApproval(db, call, *who, approvalId, QLatin1String(approvalOp), asn);
        if (auto* refusal = std::get_if<Reply>(&used)) {
            return *refusal;
        }
        supervisor = std::get<QString>(used);
    }
    // A PIN unblock or reload at a branch follows an ID check, recorded here: who (this session's staff member),
    // which kind of document, when. The document's number is never sent.
    const QString idDocument
        = body.value(QStringLiteral("idCheck")).toObject().value(QStringLiteral("document")).toString();
    if (who && (op == QLatin1String("pin-unblock") || op == QLatin1String("pin-reload")) && idDocument.isEmpty()) {
        return problem(422,
            "id-check-required",
            QStringLiteral("Check the customer's ID document first"),
            QStringLiteral("%1 at a branch needs the ID check (idCheck.document).").arg(op),
            QStringLiteral("Compare the customer's ID document with the account, then send which kind it was; "
                           "nothing was changed."),
            rid);
    }
    if (op == QLatin1String("application-unblock") && state != "blocked") {
        return problem(409,
            "state-conflict",
            QStringLiteral("This key is not blocked"),
            QStringLiteral("Key %1 is %2.").arg(asn, q(state)),
            QStringLiteral("Nothing to unblock."),
            rid,
            q(state));
    }
    if (op == QLatin1String("pin-unblock")) {
        // At most 5 per key per 24 h, so the bank is no PIN-guessing oracle (docs/bank.md §3).
        auto n = db.exec("SELECT count(*) FROM maintenance_commands WHERE asn = $1 AND operation = 'pin-unblock' AND"
                         " created_at > $2",
            {s(asn), std::to_string(nowMicros() - 24LL * 3600 * 1000 * 1000)});
        if (!n) {
            return unavailableReply(n.error(), rid);
        }
        if (n->integer(0, 0) >= 5) {
            Reply r = problem(429,
                "rate-limited",
                QStringLiteral("Too many PIN unblocks for this key"),
                QStringLiteral("Key %1 had 5 PIN UNBLOCK commands in 24 hours.").arg(asn),
                QStringLiteral("Try again tomorrow, or visit a branch for a PIN reload."),
                rid);
            r.retryAfter = 3600;
            return r;
        }
    }
    const QByteArray challenge = hexBytes(body.value(QStringLiteral("challenge")).toString());
    const QByteArray asnBytes = hexBytes(asn);
    auto cardKey = [&](const char* master) { return Hsm::DerivedKey{s(label(master, keyVersion)), asnBytes}; };
    Result<QByteArray> command = QByteArray();
    bool sensitive = false;
    if (op == QLatin1String("pin-unblock") || op == QLatin1String("pin-reload")) {
        sensitive = true;
        const bool reload = op == QLatin1String("pin-reload");
        const Hsm::DerivedKey key = cardKey(reload ? "mrpk" : "mpuk");
        auto pin = core::Pin::fromDigits(body.value(QStringLiteral("pin")).toString().toStdString());
        if (!pin) {
            return invalidReply({{QStringLiteral("/pin"), pin.error().detail}}, rid);
        }
        auto enc = m_hsm.encryptWithLength(key, core::SecureBytes(pin->bcd().begin(), pin->bcd().end()));
        command = enc ? macCommand(m_hsm, key, challenge, 0x84, reload ? 0x5E : 0x24, 0x00, 0x00, *enc)
                      : Result<QByteArray>(enc.error());
    } else if (op == QLatin1String("application-block") || op == QLatin1String("application-block-permanent")) {
        command = macCommand(m_hsm, cardKey("mamk"), challenge, 0x84, 0x1E, 0x00, permanent ? 0x01 : 0x00, {});
    } else if (op == QLatin1String("application-unblock")) {
        command = macCommand(m_hsm, cardKey("mamk"), challenge, 0x84, 0x18, 0x00, 0x00, {});
    } else {
        command = macCommand(m_hsm, cardKey("mamk"), challenge, 0x84, 0x16, 0x00, 0x00, {});
    }
    if (!command) {
        return unavailableReply(command.error(), rid);
    }
    const std::string id = uuidV7();
    const std::string created = std::to_string(nowMicros());
    auto ins = db.exec("INSERT INTO maintenance_commands (id, asn, operation, expected_sw, approval_id, staff_id,"
                       " terminal_id, created_at, id_document, id_checked_at, key_balance) VALUES ($1, $2, $3, '9000',"
                       " $4, $5, $6, $7, $8, $9, $10)",
        {id,
            s(asn),
            s(op),
            approvalOp ? std::optional<std::string>(s(approvalId)) : std::nullopt,
            who ? std::optional<std::string>(s(staffId)) : std::nullopt,
            s(call.terminalId),
            created,
            idDocument.isEmpty() ? std::nullopt : std::optional<std::string>(s(idDocument)),
            idDocument.isEmpty() ? std::nullopt : std::optional<std::string>(created),
            body.contains(QStringLiteral("keyBalance"))
                ? std::optional<std::string>(std::to_string(body.value(QStringLiteral("keyBalance")).toInteger()))
                : std::nullopt});
    if (!ins) {
        return unavailableReply(ins.error(), rid);
    }
    if (auto a = Staff::audit(db,
            {call.terminalId,
                staffId,
                supervisor,
                QStringLiteral("maintenance.") + op,
                asn,
                q(id),
                QStringLiteral("prepared"),
                idDocument.isEmpty() ? QString() : QStringLiteral("ID checked: %1").arg(idDocument)});
        !a) {
        return unavailableReply(a.error(), rid);
    }
    auto row = db.exec(kCommandSelect, {id});
    if (!row || row->rows() != 1) {
        return unavailableReply(row ? core::Error{ErrorCode::StorageError, 0, {}} : row.error(), rid);
    }
    QJsonObject o = commandJson(*row, 0);
    o.insert(QStringLiteral("apdu"), hexUpper(*command));
    o.insert(QStringLiteral("sensitive"), sensitive);
    return Reply::json(201, o, "/v1/maintenance-commands/" + id);
}

Reply Issuance::reportOutcome(PgConnection& db,
    const CallContext& call,
    const std::optional<StaffIdentity>& who,
    const QString& commandId,
    const QJsonObject& body)
{
    const QString& rid = call.requestKey;
    auto row = db.exec(std::string(kCommandSelect) + " FOR UPDATE OF m", {s(commandId)});
    if (!row) {
        return unavailableReply(row.error(), rid);
    }
    if (row->rows() != 1) {
        return notFound(QStringLiteral("No maintenance command %1.").arg(commandId), rid);
    }
    const QString sw = body.value(QStringLiteral("statusWord")).toString();
    const QString asn = q(row->text(0, 1));
    const std::string op = row->text(0, 2);
    if (!row->isNull(0, 4)) {
        if (q(row->text(0, 4)) != sw) {
            return problem(409,
                "state-conflict",
                QStringLiteral("An outcome was reported already"),
                QStringLiteral("Command %1 was reported with %2.").arg(commandId, q(row->text(0, 4))),
                QStringLiteral("Report each command once, with the key's own status word."),
                rid);
        }
    } else {
        const std::string now = std::to_string(nowMicros());
        if (auto u = db.exec("UPDATE maintenance_commands SET outcome = $2, reported_at = $3 WHERE id = $1",
                {s(commandId), s(sw), now});
            !u) {
            return unavailableReply(u.error(), rid);
        }
        if (sw == QLatin1String("9000")) {
            const char* newState = op == "application-block" ? "blocked"
                : op == "application-block-permanent"        ? "blocked-permanently"
                : op == "application-unblock"                ? "active"
                : op == "card-block"                         ? "terminated"
                                                             : nullptr;
            if (newState) {
                if (auto u = db.exec("UPDATE cards SET state = $2 WHERE asn = $1", {s(asn), newState}); !u) {
                    return unavailableReply(u.error(), rid);
                }
            }
            if (op == "card-block") {
                // Account closure: the key is terminated, so its balance and the account are paid back now.
                auto paid = closeAccount(db, call, who, asn, commandId, row->isNull(0, 12) ? 0 : row->integer(0, 12));
                if (!paid) {
                    return unavailableReply(paid.error(), rid);
                }
            }
        }
        if (auto a = Staff::audit(db,
                {call.terminalId,
                    who ? who->staffId : QString(),
                    {},
                    QStringLiteral("maintenance.outcome"),
                    asn,
                    commandId,
                    sw,
                    q(op)});
            !a) {
            return unavailableReply(a.error(), rid);
        }
    }
    auto again = db.exec(kCommandSelect, {s(commandId)});
    if (!again || again->rows() != 1) {
        return unavailableReply(again ? core::Error{ErrorCode::StorageError, 0, {}} : again.error(), rid);
    }
    return Reply::json(200, commandJson(*again, 0));
}

// ---- hot-list ----------------------------------------------------------------------------------------------------

Reply Issuance::hotlistCard(
    PgConnection& db, const CallContext& call, const StaffIdentity& who, const QString& asn, const QJsonObject& body)
{
    const QString& rid = call.requestKey;
    auto card = db.exec("SELECT hotlisted FROM cards WHERE asn = $1 FOR UPDATE", {s(asn)});
    if (!card) {
        return unavailableReply(card.error(), rid);
    }
    if (card->rows() != 1) {
        return unknownCard(asn, rid);
    }
    auto entry = [&](const PgResult& r) {
        return QJsonObject{{QStringLiteral("asn"), q(r.text(0, 0))},
            {QStringLiteral("reason"), q(r.text(0, 1))},
            {QStringLiteral("since"), rfc3339(r.integer(0, 2))},
            {QStringLiteral("version"), static_cast<qint64>(r.integer(0, 3))}};
    };
    auto open
        = db.exec("SELECT asn, reason, since, version FROM hotlist WHERE asn = $1 AND removed_at IS NULL", {s(asn)});
    if (!open) {
        return unavailableReply(open.error(), rid);
    }
    if (open->rows() == 1) {
        return Reply::json(201, entry(*open)); // hot-listing again answers the existing entry
    }
    auto ins = db.exec("INSERT INTO hotlist (asn, reason, since) VALUES ($1, $2, $3) RETURNING asn, reason, since,"
                       " version",
        {s(asn), s(body.value(QStringLiteral("reason")).toString()), std::to_string(nowMicros())});
    if (!ins) {
        return unavailableReply(ins.error(), rid);
    }
    if (auto u = db.exec("UPDATE cards SET hotlisted = TRUE WHERE asn = $1", {s(asn)}); !u) {
        return unavailableReply(u.error(), rid);
    }
    if (auto a = Staff::audit(db,
            {call.terminalId,
                who.staffId,
                {},
                QStringLiteral("card.hotlisted"),
                asn,
                QString::number(ins->integer(0, 3)),
                QStringLiteral("ok"),
                body.value(QStringLiteral("reason")).toString() + QStringLiteral(": ")
                    + body.value(QStringLiteral("note")).toString()});
        !a) {
        return unavailableReply(a.error(), rid);
    }
    return Reply::json(201, entry(*ins));
}

Reply Issuance::getHotlist(PgConnection& db, const CallContext& call, std::int64_t since)
{
    auto version
        = db.exec("SELECT greatest(COALESCE(max(version), 0), COALESCE(max(removed_version), 0)) FROM hotlist");
    if (!version) {
        return unavailableReply(version.error(), call.requestKey);
    }
    const bool complete = since <= 0;
    auto added = db.exec("SELECT asn, reason, since, version FROM hotlist WHERE removed_at IS NULL AND version > $1"
                         " ORDER BY version",
        {std::to_string(complete ? 0 : since)});
    auto removed = db.exec("SELECT asn FROM hotlist WHERE removed_version > $1 ORDER BY removed_version",
        {std::to_string(complete ? std::numeric_limits<std::int64_t>::max() : since)});
    if (!added || !removed) {
        return unavailableReply(!added ? added.error() : removed.error(), call.requestKey);
    }
    QJsonArray a;
    for (int i = 0; i < added->rows(); ++i) {
        a.append(QJsonObject{{QStringLiteral("asn"), q(added->text(i, 0))},
            {QStringLiteral("reason"), q(added->text(i, 1))},
            {QStringLiteral("since"), rfc3339(added->integer(i, 2))},
            {QStringLiteral("version"), static_cast<qint64>(added->integer(i, 3))}});
    }
    QJsonArray r;
    for (int i = 0; i < removed->rows(); ++i) {
        r.append(q(removed->text(i, 0)));
    }
    return Reply::json(200,
        QJsonObject{{QStringLiteral("version"), static_cast<qint64>(version->integer(0, 0))},
            {QStringLiteral("complete"), complete},
            {QStringLiteral("added"), a},
            {QStringLiteral("removed"), r}});
}

} // namespace wallet::bank
