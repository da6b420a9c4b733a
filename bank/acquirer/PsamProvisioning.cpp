// SPDX-License-Identifier: Apache-2.0
#include "bank/acquirer/PsamProvisioning.h"

#include "bank/Util.h"
#include "bank/issuance/DeviceLots.h"
#include "bank/issuance/SecureMessaging.h"
#include "bank/server/JsonRequest.h"
#include "core/crypto/Bytes.h"

namespace wallet::bank {

namespace {

std::string s(const QString& q)
{
    return q.toStdString();
}

QString q(const std::string& v)
{
    return QString::fromStdString(v);
}

/// The PSAM's personalisation (docs/psam.md), one command a step, each MACed under the SAM's KT.
struct StepCommand
{
    const char* name;
    std::uint8_t ins;
    std::uint8_t p1;
    std::uint8_t p2;
};
constexpr StepCommand kStepCommands[] = {{"WRITE KEY purchase master", 0xD4, 0x00, 0x27},
    {"PUT DATA terminal ID", 0xDA, 0x00, 0x01},
    {"PUT DATA first TSN", 0xDA, 0x00, 0x02},
    {"END PERSONALIZATION", 0xEA, 0x00, 0x00}};
static_assert(std::size(kStepCommands) == PsamProvisioning::kTotalSteps);

/// "WRITE KEY purchase master (84 D4 00 27)"
QString stepName(const StepCommand& c)
{
    return QStringLiteral("%1 (84 %2 %3 %4)")
        .arg(QLatin1String(c.name),
            QStringLiteral("%1").arg(c.ins, 2, 16, QLatin1Char('0')).toUpper(),
            QStringLiteral("%1").arg(c.p1, 2, 16, QLatin1Char('0')).toUpper(),
            QStringLiteral("%1").arg(c.p2, 2, 16, QLatin1Char('0')).toUpper());
}

constexpr const char* kColumns
    = "device_serial, terminal_id, kiosk, key_version, first_tsn, state, next_step, created_at, provisioned_at";

} // namespace

PsamProvisioning::PsamProvisioning(Hsm& hsm, Staff& staff)
    : m_hsm(hsm)
    , m_staff(staff)
{ }

Reply PsamProvisioning::validateCreate(const QJsonObject& body, const QString& requestId)
{
    JsonRequest j(body, {QStringLiteral("deviceSerial")});
    (void)j.hex(QStringLiteral("deviceSerial"), 8);
    return j.ok() ? Reply{} : invalidReply(j.errors(), requestId);
}

Reply PsamProvisioning::validateStep(const QJsonObject& body, const QString& requestId)
{
    JsonRequest j(body, {QStringLiteral("step"), QStringLiteral("challenge")});
    (void)j.integer(QStringLiteral("step"), 1, kTotalSteps);
    (void)j.hex(QStringLiteral("challenge"), 4);
    return j.ok() ? Reply{} : invalidReply(j.errors(), requestId);
}

Reply PsamProvisioning::validateCompletion(const QJsonObject& body, const QString& requestId)
{
    JsonRequest j(body, {QStringLiteral("status")});
    (void)j.hex(QStringLiteral("status"), 17);
    return j.ok() ? Reply{} : invalidReply(j.errors(), requestId);
}

Reply PsamProvisioning::reply(PgConnection& db, const QString& serial, int status, const QString& rid)
{
    auto r
        = db.exec(std::string("SELECT ") + kColumns + " FROM psam_provisionings WHERE device_serial = $1", {s(serial)});
    if (!r) {
        return unavailableReply(r.error(), rid);
    }
    if (r->rows() != 1) {
        return problem(404,
            "not-found",
            QStringLiteral("No such SAM"),
            QStringLiteral("No provisioning of SAM %1.").arg(serial),
            QStringLiteral("Ask for it first with POST /v1/psams; nothing was changed."),
            rid);
    }
    QJsonObject o{{QStringLiteral("deviceSerial"), q(r->text(0, 0))},
        {QStringLiteral("terminalId"), q(r->text(0, 1))},
        {QStringLiteral("kiosk"), q(r->text(0, 2))},
        {QStringLiteral("keyVersion"), static_cast<qint64>(r->integer(0, 3))},
        {QStringLiteral("firstTsn"), static_cast<qint64>(r->integer(0, 4))},
        {QStringLiteral("state"), q(r->text(0, 5))},
        {QStringLiteral("nextStep"), static_cast<qint64>(r->integer(0, 6))},
        {QStringLiteral("totalSteps"), kTotalSteps},
        {QStringLiteral("createdAt"), rfc3339(r->integer(0, 7))}};
    if (!r->isNull(0, 8)) {
        o.insert(QStringLiteral("provisionedAt"), rfc3339(r->integer(0, 8)));
    }
    return Reply::json(status, o, "/v1/psams/" + s(serial));
}

Reply PsamProvisioning::get(PgConnection& db, const CallContext& call, const QString& serial)
{
    auto owner = db.exec("SELECT kiosk FROM psam_provisionings WHERE device_serial = $1", {s(serial)});
    if (!owner) {
        return unavailableReply(owner.error(), call.requestKey);
    }
    if (owner->rows() == 1 && q(owner->text(0, 0)) != call.terminalId) {
        return problem(403,
            "psam-other-kiosk",
            QStringLiteral("This SAM belongs to another kiosk"),
            QStringLiteral("SAM %1 is provisioned for kiosk %2.").arg(serial, q(owner->text(0, 0))),
            QStringLiteral("Use the kiosk the SAM was provisioned for; nothing was changed."),
            call.requestKey);
    }
    return reply(db, serial, 200, call.requestKey);
}

Reply PsamProvisioning::create(PgConnection& db, const CallContext& call, const QJsonObject& body)
{
    const QString& rid = call.requestKey;
    const QString serial = body.value(QStringLiteral("deviceSerial")).toString();
    auto refused = [&](const QString& code) {
        m_staff.auditApart({call.terminalId,
            {},
            {},
            QStringLiteral("psam.provision"),
            {},
            serial,
            QStringLiteral("refused: %1").arg(code),
            {}});
    };
    // The same manufacturer lots as blank cardholder keys (`bankctl devices add-lot`): a serial in none was not made
    // for this bank, and its KT is not known.
    auto lot = manufacturerOfSerial(m_hsm, db, serial, QStringLiteral("SAM"), rid);
    if (auto* refusal = std::get_if<Reply>(&lot)) {
        return std::move(*refusal);
    }
    if (std::get<QString>(lot).isEmpty()) {
        refused(QStringLiteral("device-unknown"));
        return problem(422,
            "device-unknown",
            QStringLiteral("The manufacturer did not ship this SAM to the bank"),
            QStringLiteral("Device serial %1 is in no lot imported from a manufacturer.").arg(serial),
            QStringLiteral("Do not use this SAM; set it aside and report it. Nothing was written."),
            rid);
    }
    auto issued = db.exec("SELECT asn FROM cards WHERE device_serial = $1", {s(serial)});
    if (!issued) {
        return unavailableReply(issued.error(), rid);
    }
    if (issued->rows() > 0) {
        refused(QStringLiteral("device-already-issued"));
        return problem(409,
            "device-already-issued",
            QStringLiteral("This device is a cardholder's key"),
            QStringLiteral("Device %1 was issued as a cardholder's key; its transport key is gone.").arg(serial),
            QStringLiteral("Use a blank SAM; nothing was changed."),
            rid);
    }
    auto existing
        = db.exec("SELECT kiosk, state FROM psam_provisionings WHERE device_serial = $1 FOR UPDATE", {s(serial)});
    if (!existing) {
        return unavailableReply(existing.error(), rid);
    }
    if (existing->rows() == 1) {
        if (existing->text(0, 1) == "provisioned") {
            refused(QStringLiteral("psam-already-provisioned"));
            return problem(409,
                "psam-already-provisioned",
                QStringLiteral("This SAM was provisioned already"),
                QStringLiteral("SAM %1 holds the keys and terminal ID of kiosk %2.")
                    .arg(serial, q(existing->text(0, 0))),
                QStringLiteral("Use it as it is (a provisioned SAM is never provisioned again); a blank SAM is needed "
                               "for another kiosk."),
                rid,
                QStringLiteral("provisioned"));
        }
        if (q(existing->text(0, 0)) != call.terminalId) {
            refused(QStringLiteral("psam-other-kiosk"));
            return problem(409,
                "psam-other-kiosk",
                QStringLiteral("This SAM is being provisioned for another kiosk"),
                QStringLiteral("SAM %1 is being provisioned for kiosk %2.").arg(serial, q(existing->text(0, 0))),
                QStringLiteral("Finish it at that kiosk; nothing was changed."),
                rid,
                QStringLiteral("provisioning"));
        }
        return reply(db, serial, 200, rid);
    }
    // The kiosk's PSAM terminal ID (`bankctl merchants add-psam`) that no provisioned SAM holds yet.
    auto terminal = db.exec("SELECT t.terminal_id FROM acquirer_terminals t WHERE t.kind = 'psam' AND t.kiosk = $1"
                            " AND NOT EXISTS (SELECT 1 FROM psam_provisionings p WHERE p.terminal_id = t.terminal_id"
                            " AND p.state = 'provisioned') ORDER BY t.created_at, t.terminal_id LIMIT 1",
        {s(call.terminalId)});
    if (!terminal) {
        return unavailableReply(terminal.error(), rid);
    }
    if (terminal->rows() == 0) {
        refused(QStringLiteral("psam-terminal-missing"));
        return problem(409,
            "psam-terminal-missing",
            QStringLiteral("This kiosk has no free PSAM terminal ID"),
            QStringLiteral("Kiosk %1 has no PSAM terminal ID without a provisioned SAM.").arg(call.terminalId),
            QStringLiteral("The bank operator registers one with `bankctl merchants add-psam --kiosk %1`; nothing "
                           "was changed.")
                .arg(call.terminalId),
            rid);
    }
    const std::string terminalId = terminal->text(0, 0);
    // The first TSN: after every TSN this terminal ID ever settled (a replaced SAM never repeats one).
    auto last = db.exec("SELECT COALESCE(MAX(tsn), 0) FROM purchases WHERE terminal_id = $1", {terminalId});
    if (!last) {
        return unavailableReply(last.error(), rid);
    }
    const std::int64_t firstTsn = last->integer(0, 0) + 1;
    const std::string now = std::to_string(nowMicros());
    if (auto ins = db.exec("INSERT INTO psam_provisionings (device_serial, terminal_id, kiosk, key_version, first_tsn,"
                           " state, next_step, created_at) VALUES ($1, $2, $3, 1, $4, 'provisioning', 1, $5)",
            {s(serial), terminalId, s(call.terminalId), std::to_string(firstTsn), now});
        !ins) {
        return unavailableReply(ins.error(), rid);
    }
    if (auto a = Staff::audit(db,
            {call.terminalId,
                {},
                {},
                QStringLiteral("psam.provision"),
                {},
                serial,
                QStringLiteral("started"),
                QStringLiteral("terminal %1").arg(q(terminalId))});
        !a) {
        return unavailableReply(a.error(), rid);
    }
    return reply(db, serial, 201, rid);
}

PsamProvisioning::Open PsamProvisioning::lockOpen(
    PgConnection& db, const CallContext& call, const QString& serial, const QString& provisionedDetail)
{
    const QString& rid = call.requestKey;
    auto row
        = db.exec(std::string("SELECT ") + kColumns + " FROM psam_provisionings WHERE device_serial = $1 FOR UPDATE",
            {s(serial)});
    if (!row) {
        return {{}, unavailableReply(row.error(), rid)};
    }
    if (row->rows() != 1) {
        return {{}, reply(db, serial, 404, rid)};
    }
    if (q(row->text(0, 2)) != call.terminalId) {
        return {{},
            problem(403,
                "psam-other-kiosk",
                QStringLiteral("This SAM is provisioned for another kiosk"),
                QStringLiteral("SAM %1 belongs to kiosk %2.").arg(serial, q(row->text(0, 2))),
                QStringLiteral("Use the kiosk the SAM is provisioned for; nothing was changed."),
                rid)};
    }
    if (row->text(0, 5) == "provisioned") {
        return {{},
            problem(409,
                "psam-already-provisioned",
                QStringLiteral("This SAM was provisioned already"),
                provisionedDetail,
                QStringLiteral("Use it as it is; nothing was changed."),
                rid,
                QStringLiteral("provisioned"))};
    }
    return {std::move(*row), std::nullopt};
}

Reply PsamProvisioning::step(PgConnection& db, const CallContext& call, const QString& serial, const QJsonObject& body)
{
    const QString& rid = call.requestKey;
    const int step = static_cast<int>(body.value(QStringLiteral("step")).toInteger());
    const QByteArray challenge = QByteArray::fromHex(body.value(QStringLiteral("challenge")).toString().toLatin1());
    const Open open = lockOpen(
        db, call, serial, QStringLiteral("SAM %1 is provisioned; no more commands are sent to it.").arg(serial));
    if (open.refusal) {
        return *open.refusal;
    }
    const DbResult& row = open.row;
    // In order; a step may be asked again (its APDU lost, or a restart from step 1: every command of the PSAM's
    // personalisation may be repeated until END PERSONALIZATION).
    const int next = static_cast<int>(row.integer(0, 6));
    if (step > next) {
        return problem(409,
            "step-out-of-order",
            QStringLiteral("Steps go in order"),
            QStringLiteral("SAM %1 expects step %2 (or an earlier one again), not %3.").arg(serial).arg(next).arg(step),
            QStringLiteral("Ask for step %1 with a fresh challenge.").arg(next),
            rid,
            QStringLiteral("provisioning"));
    }
    const Hsm::DerivedKey kt{"mkt.v1", QByteArray::fromHex(serial.toLatin1())};
    const auto keyVersion = static_cast<std::uint8_t>(row.integer(0, 3));
    // The data of each step's command; the command itself is the same shape for all (kStepCommands).
    Result<QByteArray> data = QByteArray();
    if (step == 1) {
        data = m_hsm.writeKeyBlock(
            kt, Hsm::BlockKey::masterItself("mpk.v" + std::to_string(keyVersion)), 1, keyVersion, 0x00);
        if (!data && data.error().code == core::ErrorCode::InvalidState) {
            return problem(422,
                "psam-key-not-exportable",
                QStringLiteral("The purchase master key cannot be written to a SAM"),
                data.error().detail,
                QStringLiteral("The bank operator makes a new purchase master in a key ceremony (docs/bank.md §8.6); "
                               "nothing was sent."),
                rid);
        }
    } else if (step == 2) {
        data = QByteArray::fromHex(QByteArray::fromStdString(row.text(0, 1)));
    } else if (step == 3) {
        QByteArray tsn;
        core::appendU32(tsn, static_cast<std::uint32_t>(row.integer(0, 4)));
        data = tsn;
    }
    const StepCommand& c = kStepCommands[step - 1];
    auto command = data ? macCommand(m_hsm, kt, challenge, 0x84, c.ins, c.p1, c.p2, *data) : data;
    if (!command) {
        return unavailableReply(command.error(), rid);
    }
    if (auto u = db.exec("UPDATE psam_provisionings SET next_step = $2 WHERE device_serial = $1 AND next_step < $2",
            {s(serial), std::to_string(step + 1)});
        !u) {
        return unavailableReply(u.error(), rid);
    }
    QJsonObject o{{QStringLiteral("deviceSerial"), serial},
        {QStringLiteral("step"), step},
        {QStringLiteral("name"), stepName(c)},
        {QStringLiteral("apdu"), hexUpper(*command)},
        {QStringLiteral("expectedStatusWord"), QStringLiteral("9000")},
        {QStringLiteral("last"), step == kTotalSteps}};
    return Reply::json(200, o);
}

Reply PsamProvisioning::complete(
    PgConnection& db, const CallContext& call, const QString& serial, const QJsonObject& body)
{
    const QString& rid = call.requestKey;
    const QByteArray status = QByteArray::fromHex(body.value(QStringLiteral("status")).toString().toLatin1());
    const Open open = lockOpen(db, call, serial, QStringLiteral("SAM %1 is provisioned.").arg(serial));
    if (open.refusal) {
        return *open.refusal;
    }
    const DbResult& row = open.row;
    // GET STATUS: life cycle 1 ‖ terminal ID 6 ‖ next TSN 4 ‖ capacity 1 ‖ bitmap 5 (docs/psam.md).
    const QString terminalId = q(row.text(0, 1));
    const QString seenTerminal = QString::fromLatin1(status.mid(1, 6).toHex());
    const std::int64_t firstTsn = row.integer(0, 4);
    const std::int64_t nextTsn = core::readU32(status, 7);
    if (static_cast<std::uint8_t>(status.at(0)) != 0x01 || seenTerminal != terminalId || nextTsn != firstTsn) {
        m_staff.auditApart({call.terminalId,
            {},
            {},
            QStringLiteral("psam.provision"),
            {},
            serial,
            QStringLiteral("refused: psam-status-mismatch"),
            QStringLiteral("life cycle %1, terminal %2, next TSN %3")
                .arg(static_cast<std::uint8_t>(status.at(0)))
                .arg(seenTerminal)
                .arg(nextTsn)});
        return problem(409,
            "psam-status-mismatch",
            QStringLiteral("The SAM does not hold what the bank sent"),
            QStringLiteral("SAM %1 reports life cycle %2, terminal ID %3 and next TSN %4; the bank sent terminal ID "
                           "%5 and first TSN %6 and expects life cycle 1.")
                .arg(serial)
                .arg(static_cast<std::uint8_t>(status.at(0)))
                .arg(seenTerminal)
                .arg(nextTsn)
                .arg(terminalId)
                .arg(firstTsn),
            QStringLiteral("If the SAM is still blank (life cycle 0), run the provisioning again; otherwise set the "
                           "SAM aside and report it. Nothing was registered."),
            rid,
            QStringLiteral("provisioning"));
    }
    const std::string now = std::to_string(nowMicros());
    if (auto u = db.exec("UPDATE psam_provisionings SET state = 'provisioned', provisioned_at = $2 WHERE "
                         "device_serial = $1",
            {s(serial), now});
        !u) {
        return unavailableReply(u.error(), rid);
    }
    if (auto a = Staff::audit(db,
            {call.terminalId,
                {},
                {},
                QStringLiteral("psam.provision"),
                {},
                serial,
                QStringLiteral("ok"),
                QStringLiteral("terminal %1, first TSN %2").arg(terminalId).arg(firstTsn)});
        !a) {
        return unavailableReply(a.error(), rid);
    }
    return reply(db, serial, 200, rid);
}

} // namespace wallet::bank
