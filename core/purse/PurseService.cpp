// SPDX-License-Identifier: Apache-2.0
#include "core/purse/PurseService.h"

#include "core/apdu/Exchange.h"
#include "core/apdu/Tlv.h"
#include "core/storage/TransactionStore.h"

#include <QLoggingCategory>

namespace wallet::core {
namespace {

Q_LOGGING_CATEGORY(lcPurse, "wallet.purse")

const QByteArray kPseName = QByteArrayLiteral("1PAY.SYS.DDF01");

bool isTransportError(const Error& e)
{
    switch (e.code) {
    case ErrorCode::Disconnected:
    case ErrorCode::Timeout:
    case ErrorCode::ProtocolError:
    case ErrorCode::NoDevice:
    case ErrorCode::DeviceBusy:
        return true;
    default:
        return false;
    }
}

/// A status word with which the key refuses CREDIT/DEBIT before it writes anything (spec §4 check order): proof that
/// no money moved. 6581 (memory failure), an unknown status word or a transport failure prove nothing.
bool refusedBeforeWriting(const Error& e)
{
    if (e.statusWord == 0) {
        return false;
    }
    switch (e.code) {
    case ErrorCode::BadMac:
    case ErrorCode::InsufficientBalance:
    case ErrorCode::AtcExhausted:
    case ErrorCode::UnknownKeyIndex:
    case ErrorCode::ConditionsNotSatisfied:
    case ErrorCode::PinRequired:
    case ErrorCode::PinBlocked:
    case ErrorCode::WrongPin:
    case ErrorCode::CommandNotAllowed:
    case ErrorCode::ApplicationBlocked:
    case ErrorCode::ApplicationTerminated:
    case ErrorCode::WrongParameters:
    case ErrorCode::WrongLength:
    case ErrorCode::InvalidData:
    case ErrorCode::Cancelled:
    case ErrorCode::NotFound:
        return true;
    default:
        return false;
    }
}

QByteArray initData(std::uint8_t keyIndex, Amount amount, const QByteArray& terminalId)
{
    QByteArray d;
    d.append(static_cast<char>(keyIndex));
    appendU32(d, amount.fen());
    d.append(terminalId);
    return d;
}

} // namespace

PurseService::PurseService(ApduChannel& channel,
    IssuerHost& issuer,
    Psam& psam,
    const Clock& clock,
    TransactionStore* mirror,
    PursePolicy policy)
    : m_channel(channel)
    , m_issuer(issuer)
    , m_psam(psam)
    , m_clock(clock)
    , m_mirror(mirror)
    , m_policy(std::move(policy))
{ }

// ---- selection and reading (spec §1, §2) ------------------------------------------------------------------------

Result<void> PurseService::select()
{
    QByteArray aid = m_policy.aid;
    // The PSE names the purse; fall back to the configured AID when it is absent or unreadable.
    auto pse = m_channel.transmit(CommandApdu(0x00, 0xA4, 0x04, 0x00, kPseName, 0));
    if (!pse) {
        return pse.error();
    }
    if (pse->isSuccess()) {
        auto rec = exchange(m_channel, CommandApdu(0x00, 0xB2, 0x01, 0x0C, {}, 0), QStringLiteral("READ RECORD PSE"));
        if (rec) {
            auto top = Tlv::parse(*rec);
            const auto t70 = top ? Tlv::find(*top, 0x70) : std::nullopt;
            auto inner = t70 ? Tlv::parse(*t70) : Result<std::vector<TlvElement>>(Error{});
            const auto t61 = (t70 && inner) ? Tlv::find(*inner, 0x61) : std::nullopt;
            auto entry = t61 ? Tlv::parse(*t61) : Result<std::vector<TlvElement>>(Error{});
            if (t61 && entry) {
                if (const auto a = Tlv::find(*entry, 0x4F); a && a->size() >= 5 && a->size() <= 16) {
                    aid = *a;
                }
                if (const auto l = Tlv::find(*entry, 0x50)) {
                    m_card.label = QString::fromLatin1(*l);
                }
            }
        }
    }
    auto resp = m_channel.transmit(CommandApdu(0x00, 0xA4, 0x04, 0x00, aid, 0));
    if (!resp) {
        return resp.error();
    }
    m_card.temporarilyBlocked = resp->sw() == 0x6A81;
    if (!resp->isSuccess() && !m_card.temporarilyBlocked) {
        return StatusWord::toError(resp->sw(), QStringLiteral("SELECT purse"));
    }
    m_card.aid = aid;
    // FCI: 6F { 84 AID, A5 { 9F08 version, 9F0C <the 30 bytes of SFI 0x15> } } (spec §1).
    m_fciApplicationData.clear();
    if (auto fci = Tlv::parse(resp->data())) {
        if (const auto t6f = Tlv::find(*fci, 0x6F)) {
            if (auto inner = Tlv::parse(*t6f)) {
                if (const auto a5 = Tlv::find(*inner, 0xA5)) {
                    if (auto prop = Tlv::parse(*a5)) {
                        m_fciApplicationData = Tlv::find(*prop, 0x9F0C).value_or(QByteArray());
                    }
                }
            }
        }
    }
    return {};
}

Result<QByteArray> PurseService::readBinary(std::uint8_t sfi, int length)
{
    return exchange(m_channel,
        CommandApdu(0x00, 0xB0, static_cast<std::uint8_t>(0x80 | sfi), 0x00, {}, length),
        QStringLiteral("READ BINARY SFI %1").arg(sfi, 2, 16, QLatin1Char('0')),
        length);
}

Result<CardInfo> PurseService::open()
{
    m_card = CardInfo{};
    auto info = readDeviceInfo(m_channel);
    if (!info) {
        return info.error();
    }
    m_card.device = *info;
    if (info->lifeCycle == LifeCycle::Blank) {
        return m_card; // nothing to select yet; checkValidity() says "not personalised"
    }
    if (auto s = select(); !s) {
        return s.error();
    }
    auto ef15 = readBinary(0x15, 30);
    if (!ef15 && m_card.temporarilyBlocked && m_fciApplicationData.size() == 30) {
        ef15 = m_fciApplicationData; // a blocked purse still shows its FCI (spec §1)
    }
    if (!ef15) {
        return ef15.error();
    }
    auto app = ApplicationData::decode(*ef15);
    if (!app) {
        return app.error();
    }
    m_card.application = *app;
    auto ef16 = readBinary(0x16, 55);
    if (ef16) {
        if (auto holder = CardholderData::decode(*ef16)) {
            m_card.cardholder = *holder;
        }
    } else if (ef16.error().code != ErrorCode::PinRequired && !m_card.temporarilyBlocked) {
        return ef16.error();
    }
    if (auto r = reconcile(); !r) {
        qCWarning(lcPurse) << "reconciliation:" << r.error().detail; // retried at the next open()
    }
    return m_card;
}

Validity PurseService::checkValidity() const
{
    const auto bad = [](ValidityProblem p, QString why) { return Validity{p, std::move(why)}; };
    switch (m_card.device.lifeCycle) {
    case LifeCycle::Blank:
        return bad(ValidityProblem::NotPersonalised, QStringLiteral("the key has not been issued yet"));
    case LifeCycle::Terminated:
        return bad(ValidityProblem::Terminated, QStringLiteral("the key has been terminated by its issuer"));
    case LifeCycle::BlockedPermanent:
        return bad(ValidityProblem::Terminated, QStringLiteral("the purse is permanently blocked"));
    case LifeCycle::BlockedTemporary:
        return bad(ValidityProblem::Blocked, QStringLiteral("the purse is blocked; the issuer can unblock it"));
    case LifeCycle::Personalized:
    case LifeCycle::Unknown:
        break;
    }
    if (m_card.temporarilyBlocked) {
        return bad(ValidityProblem::Blocked, QStringLiteral("the purse is blocked; the issuer can unblock it"));
    }
    if (m_card.application.raw.isEmpty()) {
        return bad(ValidityProblem::NotPersonalised, QStringLiteral("the purse has not been read (call open())"));
    }
    if (m_card.application.appType != 0x02) {
        return bad(ValidityProblem::NotAnEPurse, QStringLiteral("the application is not an electronic purse"));
    }
    const QDate today = m_clock.now().date();
    if (!m_card.application.startDate.isValid() || today < m_card.application.startDate) {
        return bad(ValidityProblem::NotYetValid,
            QStringLiteral("the purse is valid from %1").arg(m_card.application.startDate.toString(Qt::ISODate)));
    }
    if (!m_card.application.expiryDate.isValid() || today > m_card.application.expiryDate) {
        return bad(ValidityProblem::Expired,
            QStringLiteral("the purse expired on %1").arg(m_card.application.expiryDate.toString(Qt::ISODate)));
    }
    const QString issuer = QString::fromLatin1(m_card.application.issuerId.toHex().toUpper());
    if (!m_policy.allowedIssuerIds.isEmpty() && !m_policy.allowedIssuerIds.contains(issuer, Qt::CaseInsensitive)) {
        return bad(ValidityProblem::UnknownIssuer, QStringLiteral("issuer %1 is not accepted here").arg(issuer));
    }
    return {};
}

// ---- PIN (spec §3) ----------------------------------------------------------------------------------------------

Result<PinStatus> PurseService::pinStatus()
{
    auto r = m_channel.transmit(CommandApdu(0x00, 0x20, 0x00, 0x00));
    if (!r) {
        return r.error();
    }
    PinStatus s;
    if (r->sw() == 0x9000) {
        s.verified = true;
    } else if (r->sw() == 0x6983) {
        s.blocked = true;
        s.triesLeft = 0;
    } else if (StatusWord::triesLeft(r->sw()) >= 0) {
        s.triesLeft = StatusWord::triesLeft(r->sw());
    } else {
        return StatusWord::toError(r->sw(), QStringLiteral("VERIFY (status)"));
    }
    return s;
}

Result<void> PurseService::verifyPin(const Pin& pin)
{
    QByteArray data = toQByteArray(pin.bcd());
    auto r = [&] {
        const CommandApdu command(0x00, 0x20, 0x00, 0x00, data, std::nullopt, true);
        return exchange(m_channel, command, QStringLiteral("VERIFY"));
    }();
    data.fill('\0'); // the command (sharing this buffer) is gone: this wipes the only copy left here
    if (!r) {
        return r.error();
    }
    return {};
}

Result<void> PurseService::changePin(const Pin& oldPin, const Pin& newPin)
{
    QByteArray data = toQByteArray(oldPin.bcd());
    data.append(static_cast<char>(0xFF));
    data.append(toQByteArray(newPin.bcd()));
    auto r = [&] {
        const CommandApdu command(0x80, 0x5E, 0x01, 0x00, data, std::nullopt, true);
        return exchange(m_channel, command, QStringLiteral("CHANGE PIN"));
    }();
    data.fill('\0'); // the command (sharing this buffer) is gone: this wipes the only copy left here
    if (!r) {
        return r.error();
    }
    return {};
}

Result<void> PurseService::maintain(IssuerHost& issuer, CardMaintenance operation, const Pin* pin)
{
    QString what;
    switch (operation) {
    case CardMaintenance::PinUnblock:
        what = QStringLiteral("PIN UNBLOCK");
        break;
    case CardMaintenance::PinReload:
        what = QStringLiteral("RELOAD PIN");
        break;
    case CardMaintenance::BlockApplication:
    case CardMaintenance::BlockApplicationPermanently:
        what = QStringLiteral("APPLICATION BLOCK");
        break;
    case CardMaintenance::UnblockApplication:
        what = QStringLiteral("APPLICATION UNBLOCK");
        break;
    }
    const QByteArray asn = m_card.application.asn();
    if (asn.size() != 8) {
        return makeError(ErrorCode::InvalidState, what + QStringLiteral(": open the key first (no ASN read)"));
    }
    if (auto s = select(); !s) {
        return s.error();
    }
    MaintenanceRequest request;
    request.asn = asn;
    request.operation = operation;
    request.pin = pin;
    // Every maintenance command, RELOAD PIN included (spec §3 Decision 2026-12), is MACed over a fresh challenge.
    auto challenge
        = exchange(m_channel, CommandApdu(0x00, 0x84, 0x00, 0x00, {}, 8), QStringLiteral("GET CHALLENGE"), 8);
    if (!challenge) {
        return challenge.error();
    }
    request.challenge = *challenge;
    auto command = issuer.maintenanceCommand(request);
    if (!command) {
        return command.error();
    }
    auto r = exchange(m_channel, *command, what);
    if (!r) {
        Error e = r.error();
        if (operation == CardMaintenance::PinUnblock && e.code == ErrorCode::ConditionsNotSatisfied) {
            e.detail = QStringLiteral("PIN UNBLOCK: the PIN is not blocked, nothing to unblock (6985)");
        } else if (operation == CardMaintenance::PinUnblock && e.code == ErrorCode::InvalidData) {
            e.detail = QStringLiteral("PIN UNBLOCK: that is not the card's PIN; it stays blocked (6A80)");
        } else if (operation == CardMaintenance::UnblockApplication && e.code == ErrorCode::ConditionsNotSatisfied) {
            e.detail = QStringLiteral("APPLICATION UNBLOCK: the purse is not blocked (6985)");
        }
        return e;
    }
    qCInfo(lcPurse) << what << "done for card" << m_card.asnHex();
    if (operation == CardMaintenance::BlockApplication || operation == CardMaintenance::UnblockApplication) {
        m_card.temporarilyBlocked = operation == CardMaintenance::BlockApplication;
    }
    return {};
}

Result<void> PurseService::unblockPin(IssuerHost& issuer, const Pin& pin)
{
    return maintain(issuer, CardMaintenance::PinUnblock, &pin);
}

Result<void> PurseService::reloadPin(IssuerHost& issuer, const Pin& newPin)
{
    return maintain(issuer, CardMaintenance::PinReload, &newPin);
}

Result<void> PurseService::blockApplication(IssuerHost& issuer, bool permanent)
{
    return maintain(
        issuer, permanent ? CardMaintenance::BlockApplicationPermanently : CardMaintenance::BlockApplication, nullptr);
}

Result<void> PurseService::unblockApplication(IssuerHost& issuer)
{
    return maintain(issuer, CardMaintenance::UnblockApplication, nullptr);
}

Result<Amount> PurseService::balance()
{
    auto r = exchange(m_channel, CommandApdu(0x80, 0x5C, 0x00, 0x02, {}, 4), QStringLiteral("GET BALANCE"), 4);
    if (!r) {
        return r.error();
    }
    return Amount(readU32(*r, 0));
}

Result<void> PurseService::reconnect(const Pin* pin)
{
    if (auto s = select(); !s) {
        return s.error();
    }
    if (pin) {
        return verifyPin(*pin);
    }
    return {};
}

// ---- transactions (spec §4) -------------------------------------------------------------------------------------

Result<PurseService::Init> PurseService::initialize(TransactionType type, Amount amount, const QByteArray& terminalId)
{
    const bool load = type == TransactionType::Load;
    const std::uint8_t ki = load ? m_policy.loadKeyIndex : m_policy.purchaseKeyIndex;
    const int le = load ? 16 : 15;
    auto r = exchange(m_channel,
        CommandApdu(0x80, 0x50, load ? 0x00 : 0x01, 0x02, initData(ki, amount, terminalId), le),
        load ? QStringLiteral("INITIALIZE FOR LOAD") : QStringLiteral("INITIALIZE FOR PURCHASE"),
        le);
    if (!r) {
        return r.error();
    }
    Init init;
    init.balance = Amount(readU32(*r, 0));
    init.atc = static_cast<std::uint16_t>(readU16(*r, 4));
    const int kv = load ? 6 : 9;
    init.keyVersion = static_cast<std::uint8_t>(r->at(kv));
    const auto alg = static_cast<std::uint8_t>(r->at(kv + 1));
    if (alg != 0x00 && alg != 0x04) {
        return makeError(ErrorCode::ProtocolError, QStringLiteral("INITIALIZE: unknown algorithm ID %1").arg(alg));
    }
    init.algorithm = static_cast<Algorithm>(alg);
    init.random = r->mid(kv + 2, 4);
    if (load) {
        init.mac1 = r->mid(12, 4);
    }
    return init;
}

Result<PurseService::Init> PurseService::start(
    TransactionType type, Amount amount, const QByteArray& terminalId, const Pin* pin)
{
    // Nothing has moved money yet: a transport failure here (a power cut during VERIFY's try-counter write, a lost
    // INITIALIZE answer) is handled by reconnecting and starting again.
    Error last = makeError(ErrorCode::Disconnected, QStringLiteral("the key did not answer"));
    for (int attempt = 0; attempt < m_policy.recoveryAttempts; ++attempt) {
        Result<void> ready = attempt == 0 ? (pin ? verifyPin(*pin) : Result<void>()) : reconnect(pin);
        if (!ready) {
            last = ready.error();
            if (isTransportError(last)) {
                continue;
            }
            return last;
        }
        auto init = initialize(type, amount, terminalId);
        if (init) {
            return init;
        }
        last = init.error();
        if (!isTransportError(last)) {
            return last;
        }
    }
    return last;
}

Result<QByteArray> PurseService::proveOnce(TransactionType type, std::uint16_t atc)
{
    // The current ATC N+1 (spec §4): the proof of the transaction made at counter N.
    QByteArray data;
    appendU16(data, static_cast<std::uint16_t>(atc + 1));
    return exchange(m_channel,
        CommandApdu(0x80, 0x5A, 0x00, static_cast<std::uint8_t>(type), data, 8),
        QStringLiteral("GET TRANSACTION PROVE"),
        8);
}

PurseService::Outcome PurseService::probe(
    TransactionType type, const Init& before, Amount amount, const QByteArray& terminalId, const Pin* pin)
{
    // Spec §4 recovery, proof first: GET TRANSACTION PROVE does not touch a session, and INITIALIZE must be the last
    // command before a re-run completion (Decisions 2026-12: any command in between ends the session).
    const auto unknown = [](QString why) {
        Outcome o;
        o.kind = Outcome::Kind::Unknown;
        o.why = std::move(why);
        return o;
    };
    QString last = QStringLiteral("the key did not come back");
    for (int attempt = 0; attempt < m_policy.recoveryAttempts; ++attempt) {
        if (auto c = reconnect(pin); !c) {
            last = c.error().detail;
            if (isTransportError(c.error())) {
                continue;
            }
            return unknown(last);
        }
        auto proof = proveOnce(type, before.atc);
        if (proof) {
            Outcome o;
            o.kind = Outcome::Kind::Done;
            o.proof = *proof;
            return o;
        }
        if (isTransportError(proof.error())) {
            last = proof.error().detail;
            continue;
        }
        if (proof.error().code != ErrorCode::NoProof) {
            return unknown(proof.error().detail);
        }
        // No proof for counter N. The counter itself decides: unchanged → it never happened.
        auto again = initialize(type, amount, terminalId);
        if (again) {
            if (again->atc == before.atc && again->balance == before.balance) {
                Outcome o;
                o.kind = Outcome::Kind::NotDone;
                o.fresh = *again;
                return o;
            }
            return unknown(QStringLiteral("the key's counter or balance moved (ATC %1→%2) but it has no proof")
                               .arg(before.atc)
                               .arg(again->atc));
        }
        if (isTransportError(again.error())) {
            last = again.error().detail;
            continue;
        }
        // INITIALIZE refused (e.g. 9401: a purchase took the balance below the amount meanwhile): the log decides.
        auto h = history();
        if (!h) {
            last = h.error().detail;
            if (isTransportError(h.error())) {
                continue;
            }
            return unknown(last);
        }
        const Evidence e = fromLog(*h, type, before.atc, amount, terminalId, {}, {}, {});
        if (e.kind == Evidence::Kind::NotDone) {
            Outcome o;
            o.kind = Outcome::Kind::NotDone;
            o.refusal = again.error(); // never happened, and it cannot be run again now: report why
            return o;
        }
        return unknown(e.why);
    }
    return unknown(last);
}

PurseService::Evidence PurseService::fromLog(const std::vector<TransactionRecord>& log,
    TransactionType type,
    std::uint16_t atc,
    Amount amount,
    const QByteArray& terminalId,
    const QByteArray& date,
    const QByteArray& time,
    const QString& proofProblem)
{
    // SFI 0x18 is cyclic and written in counter order per type: if the record of N is gone, so is every record older
    // than it. A visible older record of the same type, or a log that never wrapped (capacity ≥ 10), therefore
    // proves that N was never written.
    bool olderVisible = false;
    for (const TransactionRecord& r : log) {
        if (r.rawType != static_cast<std::uint8_t>(type)) {
            continue;
        }
        if (r.atc == atc) {
            const bool ours = r.amount == amount && r.terminalId == terminalId
                && (date.isEmpty() || r.raw.mid(16, 4) == date) && (time.isEmpty() || r.raw.mid(20, 3) == time);
            if (!ours) {
                return {Evidence::Kind::NotDone,
                    QStringLiteral("counter %1 was used by another transaction on the key").arg(atc)};
            }
            return {Evidence::Kind::Disputed,
                proofProblem.isEmpty()
                    ? QStringLiteral("the key's log shows it (counter %1), but its proof was overwritten by a later "
                                     "transaction, so it cannot be verified")
                          .arg(atc)
                    : QStringLiteral("the key's log shows it (counter %1), but its proof does not verify: %2")
                          .arg(atc)
                          .arg(proofProblem)};
        }
        olderVisible = olderVisible || r.atc < atc;
    }
    if (olderVisible || log.size() < 10) {
        return {Evidence::Kind::NotDone,
            QStringLiteral("the key's counter never moved past %1: no proof and no record").arg(atc)};
    }
    return {Evidence::Kind::Disputed,
        QStringLiteral("the key's log no longer reaches counter %1 and it holds no proof for it").arg(atc)};
}

Result<PurseService::Evidence> PurseService::askKey(TransactionType type,
    std::uint16_t atc,
    Amount amount,
    const QByteArray& terminalId,
    const QByteArray& date,
    const QByteArray& time,
    const std::function<Result<void>(const QByteArray&)>& verifyProof,
    std::optional<std::vector<TransactionRecord>>& log)
{
    QString proofProblem;
    auto proof = proveOnce(type, atc);
    if (proof) {
        if (!verifyProof) {
            proofProblem = QStringLiteral("the balance before it is not known, so its TAC cannot be checked");
        } else if (auto v = verifyProof(*proof); v) {
            return Evidence{Evidence::Kind::Done, QStringLiteral("proved by the key (GET TRANSACTION PROVE)"), *proof};
        } else if (v.error().code == ErrorCode::VerificationFailed) {
            proofProblem = v.error().detail; // another transaction's proof (N+1), or a wrong one: the log decides
        } else {
            return Evidence{Evidence::Kind::Unknown, v.error().detail}; // e.g. the issuer's ledger is locked
        }
    } else if (isTransportError(proof.error())) {
        return proof.error();
    } else if (proof.error().code != ErrorCode::NoProof) {
        return Evidence{Evidence::Kind::Unknown, proof.error().detail}; // blocked, 6581…: ask again next time
    }
    if (!log) {
        auto h = history();
        if (!h) {
            if (isTransportError(h.error())) {
                return h.error();
            }
            return Evidence{Evidence::Kind::Unknown, h.error().detail};
        }
        log = std::move(*h);
    }
    return fromLog(*log, type, atc, amount, terminalId, date, time, proofProblem);
}

Error PurseService::unknownOutcome(PendingOperation op, const QString& why)
{
    qCWarning(lcPurse) << transactionTypeName(op.type) << "ATC" << op.atc << "outcome unknown:" << why;
    op.state = PendingState::Checking;
    op.reason = why;
    op.created = m_clock.now().toUTC();
    QString kept;
    if (m_mirror) {
        if (auto r = m_mirror->recordPending(op); !r) {
            qCWarning(lcPurse) << "could not record the pending operation:" << r.error().detail;
            kept = QStringLiteral(" The wallet could not note it (%1); the issuer and PSAM keep their own record.")
                       .arg(r.error().detail);
        }
    }
    return makeError(ErrorCode::OutcomeUnknown,
        QStringLiteral("the %1 of %2 was sent to the key, but whether it went through is not known yet (%3). It will "
                       "be checked with the key when it is back: do not repeat it.%4")
            .arg(transactionTypeName(op.type), op.amount.toString(), why, kept));
}

PendingOperation PurseService::pendingOf(TransactionType type,
    const Init& init,
    Amount amount,
    const QByteArray& terminalId,
    const QByteArray& date,
    const QByteArray& time,
    std::uint32_t tsn) const
{
    PendingOperation op;
    op.tokenSerial = m_card.device.serialHex();
    op.asn = m_card.application.asn();
    op.type = type;
    op.atc = init.atc;
    op.amount = amount;
    op.balanceBefore = init.balance;
    op.terminalId = terminalId;
    op.date = date;
    op.time = time;
    op.tsn = tsn;
    return op;
}

Result<void> PurseService::readyToTransact()
{
    if (m_card.application.raw.isEmpty()) {
        if (auto o = open(); !o) {
            return o.error();
        }
    } else if (auto s = select(); !s) {
        // Issue 9 item 14: a fresh SELECT before every load and payment clears the key's PIN-verified state (spec
        // §1: SELECT resets the volatile state), so one VERIFY at unlock no longer covers every later operation: the
        // key asks for the PIN whenever its policy says so (loads; payments above its PIN-free limit).
        return s.error();
    }
    if (const Validity v = checkValidity(); !v.ok()) {
        return makeError(
            v.problem == ValidityProblem::Blocked ? ErrorCode::ApplicationBlocked : ErrorCode::InvalidState, v.reason);
    }
    return {};
}

Result<LoadResult> PurseService::load(Amount amount, const Pin* pin)
{
    if (amount.isZero()) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("the amount to load must be above 0.00"));
    }
    if (auto ready = readyToTransact(); !ready) {
        return ready.error();
    }
    const QByteArray asn = m_card.application.asn();
    // The bank host knows this terminal by its certificate and checks the ID in INITIALIZE FOR LOAD against it.
    const QByteArray terminalId = m_issuer.terminalId().value_or(m_psam.terminalId());
    auto init = start(TransactionType::Load, amount, terminalId, pin);
    if (!init) {
        return init.error();
    }
    bool recovered = false;
    const KeyCommand key = keyCommand();
    for (int round = 0;; ++round) {
        const QDateTime now = m_clock.now();
        QByteArray date = bcdDate(now.date());
        QByteArray time = bcdTime(now.time());
        LoadRequest req{asn,
            init->algorithm,
            m_policy.loadKeyIndex,
            init->keyVersion,
            init->balance,
            amount,
            init->atc,
            init->random,
            init->mac1,
            terminalId,
            date,
            time};
        auto auth = m_issuer.authoriseLoad(req);
        if (!auth) {
            if (round > 0) {
                // The previous round's authorisation of this ATC was proven not credited (the key's counter did not
                // move): give it back whatever this decline says (a card blocked meanwhile, a limit, no funds).
                if (auto c = m_issuer.cancelLoadOnKey(asn, init->atc, key); !c) {
                    qCWarning(lcPurse) << "cancel after a decline:" << c.error().detail; // reconciled at open()
                }
            }
            return auth.error(); // declined or MAC1 wrong: nothing changed on the key
        }
        // MAC2 and the TAC cover the date and time the host chose when it chose them (the bank does).
        if (!auth->date.isEmpty() && !auth->time.isEmpty()) {
            date = auth->date;
            time = auth->time;
        }
        const PendingOperation op = pendingOf(TransactionType::Load, *init, amount, terminalId, date, time, 0);
        QByteArray credit = date + time + auth->mac2;
        auto tac
            = exchange(m_channel, CommandApdu(0x80, 0x52, 0x00, 0x00, credit, 4), QStringLiteral("CREDIT FOR LOAD"), 4);
        const Amount after(init->balance.fen() + amount.fen());
        if (!tac && refusedBeforeWriting(tac.error())) {
            (void)m_issuer.cancelLoadOnKey(asn, init->atc, key); // the key refused before writing: give the funds back
            return tac.error();
        }
        if (!tac && tac.error().code == ErrorCode::MemoryFailure) {
            // 6581 is not a refusal: the key may have written part or all of it (issue 9 item 11). The authorisation
            // stays; the key's counter, log and proof decide at its next open().
            return unknownOutcome(op, tac.error().detail);
        }
        if (!tac) {
            qCWarning(lcPurse) << "CREDIT FOR LOAD: no answer, recovering:" << tac.error().detail;
            const Outcome outcome = probe(TransactionType::Load, *init, amount, terminalId, pin);
            recovered = true;
            if (outcome.kind == Outcome::Kind::Unknown) {
                return unknownOutcome(op, outcome.why); // the issuer authorisation stays pending
            }
            if (outcome.kind == Outcome::Kind::NotDone) {
                if (!outcome.fresh || round + 1 >= m_policy.recoveryAttempts) {
                    (void)m_issuer.cancelLoadOnKey(asn, init->atc, key);
                    if (!outcome.fresh) {
                        return outcome.refusal;
                    }
                    return makeError(ErrorCode::Disconnected,
                        QStringLiteral("the load could not be completed; the key proved nothing was loaded"));
                }
                init = *outcome.fresh;
                continue; // run it again with the fresh session (same ATC: the issuer does not debit twice)
            }
            tac = outcome.proof.mid(4, 4);
        }
        if (auto c = m_issuer.confirmLoad(asn, init->atc, after, *tac); !c) {
            // The key answered; the issuer could not record or verify it: not "failed", the key's proof decides.
            return unknownOutcome(op, QStringLiteral("the issuer could not confirm it: ") + c.error().detail);
        }
        LoadResult result;
        result.amount = amount;
        result.balanceBefore = init->balance;
        result.balanceAfter = after;
        result.atc = init->atc;
        result.terminalId = terminalId;
        result.when = QDateTime(dateFromBcd(date), timeFromBcd(time));
        result.tac = *tac;
        result.recovered = recovered;
        recordLoad(result);
        return result;
    }
}

void PurseService::recordLoad(const LoadResult& result)
{
    if (!m_mirror) {
        return;
    }
    StoredTransaction t;
    t.tokenSerial = m_card.device.serialHex();
    t.type = TransactionType::Load;
    t.atc = result.atc;
    t.amount = result.amount;
    t.terminalId = result.terminalId;
    t.when = result.when;
    t.balanceAfter = result.balanceAfter;
    t.tac = result.tac;
    t.madeHere = true;
    t.merchant = QStringLiteral("issuer load");
    if (auto m = m_mirror->recordLocal(t); !m) {
        qCWarning(lcPurse) << "mirror:" << m.error().detail; // history only: the load stands
    }
}

Result<PurchaseResult> PurseService::purchase(Amount amount, const Pin* pin)
{
    if (amount.isZero()) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("the amount to pay must be above 0.00"));
    }
    if (auto ready = readyToTransact(); !ready) {
        return ready.error();
    }
    const QByteArray asn = m_card.application.asn();
    const QByteArray terminalId = m_psam.terminalId();
    auto init = start(TransactionType::Purchase, amount, terminalId, pin);
    if (!init) {
        return init.error();
    }
    bool recovered = false;
    for (int round = 0;; ++round) {
        const QDateTime now = m_clock.now();
        QByteArray date = bcdDate(now.date());
        QByteArray time = bcdTime(now.time());
        PurchaseRequest req{asn,
            init->algorithm,
            m_policy.purchaseKeyIndex,
            init->keyVersion,
            init->balance,
            amount,
            init->atc,
            init->random,
            date,
            time};
        auto auth = m_psam.authorisePurchase(req);
        if (!auth) {
            return auth.error(); // an earlier round's TSN was abandoned when the key proved it never happened
        }
        if (auth->date.size() == 4 && auth->time.size() == 3) {
            date = auth->date; // the acquirer's clock, which its MAC1 covers (the bank host)
            time = auth->time;
        }
        const PendingOperation op
            = pendingOf(TransactionType::Purchase, *init, amount, terminalId, date, time, auth->tsn);
        QByteArray debit;
        appendU32(debit, auth->tsn);
        debit += date + time + auth->mac1;
        auto resp = exchange(
            m_channel, CommandApdu(0x80, 0x54, 0x01, 0x00, debit, 8), QStringLiteral("DEBIT FOR PURCHASE"), 8);
        if (!resp && refusedBeforeWriting(resp.error())) {
            (void)m_psam.abandon(auth->tsn); // the key refused before writing: nothing was debited
            Error e = resp.error();
            if (e.statusWord == 0x6985) {
                // A key issued with "purchase needs touch" (policy bit 3) answers 6985 when the touch is refused or
                // times out; the other 6985 causes are checked before DEBIT. Its own code, so that it is told by its
                // meaning and never as a generic 6985 ("balance limit", issue 9 item 20).
                e.code = ErrorCode::TouchRefused;
                e.detail = QStringLiteral("DEBIT FOR PURCHASE: not confirmed on the key (touch refused or timed out,"
                                          " 6985); nothing was paid");
            } else if (e.statusWord == 0x6F00) {
                e.detail = QStringLiteral("DEBIT FOR PURCHASE: cancelled on the key (6F00); nothing was paid");
            }
            return e;
        }
        if (!resp && resp.error().code == ErrorCode::MemoryFailure) {
            return unknownOutcome(op, resp.error().detail); // 6581: the PSAM record stays open (issue 9 item 11)
        }
        if (!resp) {
            qCWarning(lcPurse) << "DEBIT FOR PURCHASE: no answer, recovering:" << resp.error().detail;
            const Outcome outcome = probe(TransactionType::Purchase, *init, amount, terminalId, pin);
            recovered = true;
            if (outcome.kind == Outcome::Kind::Unknown) {
                return unknownOutcome(op, outcome.why); // the PSAM record stays unconfirmed
            }
            if (outcome.kind == Outcome::Kind::NotDone) {
                (void)m_psam.abandon(auth->tsn);
                if (!outcome.fresh) {
                    return outcome.refusal;
                }
                if (round + 1 >= m_policy.recoveryAttempts) {
                    return makeError(ErrorCode::Disconnected,
                        QStringLiteral("the payment could not be completed; the key proved nothing was paid"));
                }
                init = *outcome.fresh;
                continue;
            }
            resp = outcome.proof.mid(4, 4) + outcome.proof.left(4); // normalise to DEBIT's order: TAC ‖ MAC2
        }
        const QByteArray tac = resp->left(4);
        const QByteArray mac2 = resp->mid(4, 4);
        if (auto c = m_psam.confirmPurchase(auth->tsn, mac2, tac); !c) {
            return unknownOutcome(op, QStringLiteral("the PSAM could not confirm it: ") + c.error().detail);
        }
        PurchaseResult result;
        result.amount = amount;
        result.balanceBefore = init->balance;
        result.balanceAfter = Amount(init->balance.fen() - amount.fen());
        result.atc = init->atc;
        result.tsn = auth->tsn;
        result.terminalId = terminalId;
        result.when = QDateTime(dateFromBcd(date), timeFromBcd(time));
        result.tac = tac;
        result.mac2 = mac2;
        result.recovered = recovered;
        recordPurchase(result);
        return result;
    }
}

void PurseService::recordPurchase(const PurchaseResult& result)
{
    if (!m_mirror) {
        return;
    }
    StoredTransaction t;
    t.tokenSerial = m_card.device.serialHex();
    t.type = TransactionType::Purchase;
    t.atc = result.atc;
    t.amount = result.amount;
    t.terminalId = result.terminalId;
    t.when = result.when;
    t.balanceAfter = result.balanceAfter;
    t.tac = result.tac;
    t.mac2 = result.mac2;
    t.tsn = result.tsn;
    t.madeHere = true;
    t.merchant = m_policy.merchantName;
    if (auto m = m_mirror->recordLocal(t); !m) {
        qCWarning(lcPurse) << "mirror:" << m.error().detail;
    }
}

Result<std::vector<TransactionRecord>> PurseService::history()
{
    std::vector<TransactionRecord> out;
    for (int i = 1; i <= 100; ++i) {
        auto r = exchange(m_channel,
            CommandApdu(0x00, 0xB2, static_cast<std::uint8_t>(i), 0xC4, {}, 23),
            QStringLiteral("READ RECORD %1").arg(i),
            23);
        if (!r) {
            if (r.error().code == ErrorCode::NotFound) {
                break;
            }
            return r.error();
        }
        auto rec = TransactionRecord::decode(*r);
        if (!rec) {
            return rec.error();
        }
        out.push_back(*rec);
    }
    return out;
}

KeyCommand PurseService::keyCommand()
{
    return [this](const CommandApdu& command) {
        return exchange(m_channel, command, QStringLiteral("INITIALIZE FOR LOAD (the issuer's probe)"));
    };
}

Result<PurseService::Evidence> PurseService::resolveLoad(std::uint16_t atc,
    Amount amount,
    std::optional<Amount> balanceBefore,
    const QByteArray& terminalId,
    const QByteArray& date,
    const QByteArray& time,
    std::optional<std::vector<TransactionRecord>>& log)
{
    const QByteArray asn = m_card.application.asn();
    std::function<Result<void>(const QByteArray&)> verify;
    if (balanceBefore) {
        const Amount after(balanceBefore->fen() + amount.fen());
        verify = [this, asn, atc, after](const QByteArray& proof) {
            return m_issuer.confirmLoad(asn, atc, after, proof.mid(4, 4)); // MAC 00000000 ‖ TAC
        };
    }
    auto e = askKey(TransactionType::Load, atc, amount, terminalId, date, time, verify, log);
    if (!e) {
        return e.error();
    }
    Result<void> acted;
    if (e->kind == Evidence::Kind::NotDone) {
        acted = m_issuer.cancelLoadOnKey(asn, atc, keyCommand()); // the funds go back to the funding account
    } else if (e->kind == Evidence::Kind::Disputed) {
        acted = m_issuer.disputeLoad(asn, atc, e->why); // the debit stays; a person decides
    }
    if (!acted) {
        return Evidence{Evidence::Kind::Unknown, acted.error().detail};
    }
    return e;
}

Result<PurseService::Evidence> PurseService::resolvePurchase(std::uint32_t tsn,
    std::uint16_t atc,
    Amount amount,
    const QByteArray& date,
    const QByteArray& time,
    std::optional<std::vector<TransactionRecord>>& log)
{
    const auto verify = [this, tsn](const QByteArray& proof) {
        return m_psam.confirmPurchase(tsn, proof.left(4), proof.mid(4, 4)); // MAC2 ‖ TAC
    };
    auto e = askKey(TransactionType::Purchase, atc, amount, m_psam.terminalId(), date, time, verify, log);
    if (!e) {
        return e.error();
    }
    if (e->kind == Evidence::Kind::NotDone) {
        if (auto a = m_psam.abandon(tsn); !a) {
            return Evidence{Evidence::Kind::Unknown, a.error().detail};
        }
    }
    // Disputed: it stays unconfirmed at the PSAM, for the acquirer to decide with the card's statement.
    return e;
}

Result<int> PurseService::reconcile()
{
    const QByteArray asn = m_card.application.asn();
    const QString serial = m_card.device.serialHex();
    std::optional<std::vector<TransactionRecord>> log; // read once, and only when a proof is missing
    int settled = 0;
    QStringList problems;
    // 1. This terminal's own operations of unknown outcome (what the user was told is "being checked").
    if (m_mirror) {
        auto ops = m_mirror->pendingOperations(serial, true);
        if (!ops) {
            problems << ops.error().detail;
        } else {
            for (const PendingOperation& op : *ops) {
                if (op.type == TransactionType::Purchase && !op.terminalId.isEmpty()
                    && op.terminalId != m_psam.terminalId()) {
                    // Another terminal's purchase (a merchant order paid through the bank's acquirer, or the local
                    // PSAM's): only that PSAM can confirm its MAC2 and TAC or release it. It waits for a PurseService
                    // with that PSAM (walletctl pay / the Pay page of that order), never judged here.
                    continue;
                }
                auto e = op.type == TransactionType::Load
                    ? resolveLoad(op.atc, op.amount, op.balanceBefore, op.terminalId, op.date, op.time, log)
                    : resolvePurchase(op.tsn, op.atc, op.amount, op.date, op.time, log);
                if (!e) {
                    return e.error(); // the key went away: the rest waits for the next open()
                }
                if (e->kind == Evidence::Kind::Unknown) {
                    problems << e->why;
                    continue;
                }
                const PendingState state = e->kind == Evidence::Kind::Done ? PendingState::Done
                    : e->kind == Evidence::Kind::NotDone                   ? PendingState::NotDone
                                                                           : PendingState::Disputed;
                if (auto r = m_mirror->resolvePending(serial, op.type, op.atc, state, e->why); !r) {
                    problems << r.error().detail;
                }
                if (state == PendingState::Done) {
                    StoredTransaction t;
                    t.tokenSerial = serial;
                    t.type = op.type;
                    t.atc = op.atc;
                    t.amount = op.amount;
                    t.terminalId = op.terminalId;
                    t.when = QDateTime(dateFromBcd(op.date), timeFromBcd(op.time));
                    t.balanceAfter
                        = Amount(op.type == TransactionType::Load ? op.balanceBefore.fen() + op.amount.fen()
                                                                  : op.balanceBefore.fen() - op.amount.fen());
                    t.tac = e->proof.mid(4, 4);
                    if (op.type == TransactionType::Purchase) {
                        t.mac2 = e->proof.left(4);
                        t.tsn = op.tsn;
                    }
                    t.madeHere = true;
                    t.merchant
                        = op.type == TransactionType::Load ? QStringLiteral("issuer load") : m_policy.merchantName;
                    (void)m_mirror->recordLocal(t); // history only
                }
                ++settled;
                qCInfo(lcPurse) << "resolved" << transactionTypeName(op.type) << "ATC" << op.atc << "as"
                                << pendingStateName(state) << ":" << e->why;
            }
        }
    }
    // 2. Loads the issuer still holds authorised (debited) for this card, whoever started them (issue 9 item 12).
    if (auto loads = m_issuer.pendingLoads(asn); !loads) {
        problems << loads.error().detail;
    } else {
        for (const PendingLoad& p : *loads) {
            if (p.disputed) {
                continue; // a person decides
            }
            auto e = resolveLoad(p.onlineAtc, p.amount, p.balanceBefore, p.terminalId, p.date, p.time, log);
            if (!e) {
                return e.error();
            }
            if (e->kind == Evidence::Kind::Unknown) {
                problems << e->why;
                continue;
            }
            ++settled;
            qCInfo(lcPurse) << "issuer load ATC" << p.onlineAtc << "reconciled:" << e->why;
        }
    }
    // 3. Purchases the PSAM authorised but never saw completed.
    if (auto open = m_psam.unconfirmed(asn); !open) {
        problems << open.error().detail;
    } else {
        for (const UnconfirmedPurchase& u : *open) {
            auto e = resolvePurchase(u.tsn, u.offlineAtc, u.amount, {}, {}, log);
            if (!e) {
                return e.error();
            }
            if (e->kind == Evidence::Kind::Done || e->kind == Evidence::Kind::NotDone) {
                ++settled;
                qCInfo(lcPurse) << "reconciled purchase TSN" << u.tsn << ":" << e->why;
            }
        }
    }
    if (!problems.isEmpty()) {
        return makeError(
            ErrorCode::OutcomeUnknown, QStringLiteral("still being checked: ") + problems.join(QStringLiteral("; ")));
    }
    return settled;
}

Result<int> PurseService::syncMirror()
{
    if (!m_mirror) {
        return makeError(ErrorCode::StorageError, QStringLiteral("no mirror database"));
    }
    auto h = history();
    if (!h) {
        return h.error();
    }
    return m_mirror->sync(m_card.device.serialHex(), *h);
}

} // namespace wallet::core
