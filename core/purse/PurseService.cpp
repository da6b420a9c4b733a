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
    if (operation != CardMaintenance::PinReload) {
        auto challenge
            = exchange(m_channel, CommandApdu(0x00, 0x84, 0x00, 0x00, {}, 8), QStringLiteral("GET CHALLENGE"), 8);
        if (!challenge) {
            return challenge.error();
        }
        request.challenge = *challenge;
    }
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

Result<QByteArray> PurseService::prove(TransactionType type, std::uint16_t atcAfter, const Pin* pin)
{
    QByteArray atc;
    appendU16(atc, atcAfter);
    Error last = makeError(ErrorCode::Disconnected, QStringLiteral("the key did not answer"));
    for (int attempt = 0; attempt < m_policy.recoveryAttempts; ++attempt) {
        if (attempt > 0) {
            if (auto c = reconnect(pin); !c) {
                last = c.error();
                if (isTransportError(last)) {
                    continue;
                }
                return last;
            }
        }
        auto r = exchange(m_channel,
            CommandApdu(0x80, 0x5A, 0x00, static_cast<std::uint8_t>(type), atc, 8),
            QStringLiteral("GET TRANSACTION PROVE"),
            8);
        if (r || !isTransportError(r.error())) {
            return r;
        }
        last = r.error();
    }
    return last;
}

Result<PurseService::Outcome> PurseService::probe(TransactionType type,
    const Init& before,
    Amount amount,
    const QByteArray& terminalId,
    const QByteArray& date,
    const QByteArray& time,
    const Pin* pin)
{
    Error last = makeError(ErrorCode::Disconnected, QStringLiteral("the key did not come back"));
    for (int attempt = 0; attempt < m_policy.recoveryAttempts; ++attempt) {
        if (auto c = reconnect(pin); !c) {
            last = c.error();
            if (isTransportError(last)) {
                continue;
            }
            return last;
        }
        const bool load = type == TransactionType::Load;
        const auto expectedAfter = load ? static_cast<std::uint64_t>(before.balance.fen()) + amount.fen()
                                        : static_cast<std::uint64_t>(before.balance.fen()) - amount.fen();
        auto again = initialize(type, amount, terminalId);
        if (again) {
            Outcome o;
            if (again->atc == before.atc && again->balance == before.balance) {
                o.happened = false;
                o.fresh = *again;
                return o;
            }
            if (again->atc == before.atc + 1 && again->balance.fen() == expectedAfter) {
                o.happened = true;
                return o;
            }
            return makeError(ErrorCode::InvalidState,
                QStringLiteral("recovery: the key's balance/counter changed unexpectedly (ATC %1→%2)")
                    .arg(before.atc)
                    .arg(again->atc));
        }
        if (isTransportError(again.error())) {
            last = again.error();
            continue;
        }
        // INITIALIZE refused (the balance moved past a limit, e.g. 9401 after a purchase that took the balance
        // below the amount): decide from the balance and the newest detail record instead.
        auto bal = balance();
        auto rec = exchange(m_channel, CommandApdu(0x00, 0xB2, 0x01, 0xC4, {}, 23), QStringLiteral("READ RECORD"), 23);
        if (!bal || (!rec && rec.error().code != ErrorCode::NotFound)) {
            last = !bal ? bal.error() : rec.error();
            if (isTransportError(last)) {
                continue;
            }
            return last;
        }
        Outcome o;
        if (rec) {
            auto r = TransactionRecord::decode(*rec);
            if (r && r->atc == before.atc && r->rawType == static_cast<std::uint8_t>(type) && r->amount == amount
                && r->terminalId == terminalId && r->raw.mid(16, 4) == date && r->raw.mid(20, 3) == time
                && bal->fen() == expectedAfter) {
                o.happened = true;
                return o;
            }
        }
        if (*bal == before.balance) {
            return again.error(); // never happened, and it cannot be run again now: report why
        }
        return makeError(ErrorCode::InvalidState, QStringLiteral("recovery: the key's balance changed unexpectedly"));
    }
    return last;
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
    const QByteArray terminalId = m_psam.terminalId();
    auto init = start(TransactionType::Load, amount, terminalId, pin);
    if (!init) {
        return init.error();
    }
    bool recovered = false;
    for (int round = 0;; ++round) {
        const QDateTime now = m_clock.now();
        const QByteArray date = bcdDate(now.date());
        const QByteArray time = bcdTime(now.time());
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
            return auth.error(); // declined or MAC1 wrong: nothing changed on the key
        }
        QByteArray credit = date + time + auth->mac2;
        auto tac
            = exchange(m_channel, CommandApdu(0x80, 0x52, 0x00, 0x00, credit, 4), QStringLiteral("CREDIT FOR LOAD"), 4);
        const Amount after(init->balance.fen() + amount.fen());
        if (!tac && !isTransportError(tac.error())) {
            (void)m_issuer.cancelLoad(asn, init->atc); // the key refused: give the funds back
            return tac.error();
        }
        if (!tac) {
            qCWarning(lcPurse) << "CREDIT FOR LOAD: response lost, recovering:" << tac.error().detail;
            auto outcome = probe(TransactionType::Load, *init, amount, terminalId, date, time, pin);
            if (!outcome) {
                return outcome.error(); // key unreachable: the issuer authorisation stays pending
            }
            recovered = true;
            if (!outcome->happened) {
                if (round + 1 >= m_policy.recoveryAttempts) {
                    (void)m_issuer.cancelLoad(asn, init->atc);
                    return makeError(
                        ErrorCode::Disconnected, QStringLiteral("the load could not be completed; nothing was loaded"));
                }
                init = *outcome->fresh;
                continue; // run it again with the fresh session (same ATC: the issuer does not debit twice)
            }
            auto proof = prove(TransactionType::Load, static_cast<std::uint16_t>(init->atc + 1), pin);
            if (!proof) {
                return proof.error();
            }
            tac = proof->mid(4, 4);
        }
        if (auto c = m_issuer.confirmLoad(asn, init->atc, after, *tac); !c) {
            return c.error();
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
        if (m_mirror) {
            StoredTransaction t;
            t.tokenSerial = m_card.device.serialHex();
            t.type = TransactionType::Load;
            t.atc = result.atc;
            t.amount = amount;
            t.terminalId = terminalId;
            t.when = result.when;
            t.balanceAfter = after;
            t.tac = result.tac;
            t.madeHere = true;
            t.merchant = QStringLiteral("issuer load");
            if (auto m = m_mirror->recordLocal(t); !m) {
                qCWarning(lcPurse) << "mirror:" << m.error().detail; // history only: the load stands
            }
        }
        return result;
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
        const QByteArray date = bcdDate(now.date());
        const QByteArray time = bcdTime(now.time());
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
            return auth.error();
        }
        QByteArray debit;
        appendU32(debit, auth->tsn);
        debit += date + time + auth->mac1;
        auto resp = exchange(
            m_channel, CommandApdu(0x80, 0x54, 0x01, 0x00, debit, 8), QStringLiteral("DEBIT FOR PURCHASE"), 8);
        if (!resp && !isTransportError(resp.error())) {
            (void)m_psam.abandon(auth->tsn); // the key refused it: nothing was debited
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
        if (!resp) {
            qCWarning(lcPurse) << "DEBIT FOR PURCHASE: response lost, recovering:" << resp.error().detail;
            auto outcome = probe(TransactionType::Purchase, *init, amount, terminalId, date, time, pin);
            if (!outcome) {
                return outcome.error();
            }
            recovered = true;
            if (!outcome->happened) {
                (void)m_psam.abandon(auth->tsn);
                if (round + 1 >= m_policy.recoveryAttempts) {
                    return makeError(ErrorCode::Disconnected,
                        QStringLiteral("the payment could not be completed; nothing was paid"));
                }
                init = *outcome->fresh;
                continue;
            }
            auto proof = prove(TransactionType::Purchase, static_cast<std::uint16_t>(init->atc + 1), pin);
            if (!proof) {
                return proof.error();
            }
            resp = proof->mid(4, 4) + proof->left(4); // normalise to DEBIT's order: TAC ‖ MAC2
        }
        const QByteArray tac = resp->left(4);
        const QByteArray mac2 = resp->mid(4, 4);
        if (auto c = m_psam.confirmPurchase(auth->tsn, mac2, tac); !c) {
            return c.error();
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
        if (m_mirror) {
            StoredTransaction t;
            t.tokenSerial = m_card.device.serialHex();
            t.type = TransactionType::Purchase;
            t.atc = result.atc;
            t.amount = amount;
            t.terminalId = terminalId;
            t.when = result.when;
            t.balanceAfter = result.balanceAfter;
            t.tac = tac;
            t.mac2 = mac2;
            t.tsn = auth->tsn;
            t.madeHere = true;
            t.merchant = m_policy.merchantName;
            if (auto m = m_mirror->recordLocal(t); !m) {
                qCWarning(lcPurse) << "mirror:" << m.error().detail;
            }
        }
        return result;
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

Result<int> PurseService::reconcile()
{
    auto open = m_psam.unconfirmed(m_card.application.asn());
    if (!open) {
        return open.error();
    }
    int done = 0;
    for (const UnconfirmedPurchase& u : *open) {
        QByteArray atc;
        appendU16(atc, static_cast<std::uint16_t>(u.offlineAtc + 1));
        auto proof = exchange(
            m_channel, CommandApdu(0x80, 0x5A, 0x00, 0x06, atc, 8), QStringLiteral("GET TRANSACTION PROVE"), 8);
        if (proof) {
            // MAC2 ‖ TAC; the PSAM's MAC2 check (its own session key for this TSN) proves it is this purchase.
            if (auto c = m_psam.confirmPurchase(u.tsn, proof->left(4), proof->mid(4, 4)); c) {
                ++done;
                qCInfo(lcPurse) << "reconciled purchase TSN" << u.tsn << "(completed on the key)";
                continue;
            }
        } else if (isTransportError(proof.error())) {
            return proof.error();
        }
        // No proof for it (or another purchase's): what does the key's log say about purchase counter N?
        auto records = history();
        if (!records) {
            return records.error();
        }
        bool sawN = false;
        bool ours = false;
        bool olderVisible = records->empty();
        for (const auto& r : *records) {
            if (r.type != TransactionType::Purchase) {
                continue;
            }
            if (r.atc == u.offlineAtc) {
                sawN = true;
                ours = r.amount == u.amount && r.terminalId == m_psam.terminalId();
            }
            olderVisible = olderVisible || r.atc < u.offlineAtc;
        }
        const bool neverHappened = (sawN && !ours) || (!sawN && (olderVisible || records->size() < 10));
        if (neverHappened) {
            if (auto a = m_psam.abandon(u.tsn); !a) {
                return a.error();
            }
            ++done;
        }
        // else: it happened but its proof was overwritten by a later purchase; it stays open for the acquirer.
    }
    return done;
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
