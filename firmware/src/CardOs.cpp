// SPDX-License-Identifier: Apache-2.0
// Card OS core: power-on, the APDU dispatcher, persistence helpers, selection, files, GET DATA, GET CHALLENGE and
// EXTERNAL/INTERNAL AUTHENTICATE. PIN and transactions are in CardOsPurse.cpp, life cycle and personalisation in
// CardOsAdmin.cpp.
#include "CardOs.h"

#include "CardOsItems.h"
#include "skey/HidWire.h"
#include "skey/Version.h"

namespace skey {

using namespace items;

// The one APDU dispatch table (INS, CLA class, handler). CLA classes: 0 ISO (00), 1 PBOC proprietary (80),
// 2 secure messaging (04 or 84).
const CardOs::Command CardOs::kCommands[] = {
    {0xA4, 0, &CardOs::cmdSelect},
    {0xB0, 0, &CardOs::cmdReadBinary},
    {0xB2, 0, &CardOs::cmdReadRecord},
    {0x20, 0, &CardOs::cmdVerify},
    {0x84, 0, &CardOs::cmdGetChallenge},
    {0x82, 0, &CardOs::cmdExternalAuthenticate},
    {0x88, 0, &CardOs::cmdInternalAuthenticate},
    {0xCA, 1, &CardOs::cmdGetData},
    {0x5C, 1, &CardOs::cmdGetBalance},
    {0x50, 1, &CardOs::cmdInitialize},
    {0x52, 1, &CardOs::cmdCredit},
    {0x54, 1, &CardOs::cmdDebit},
    {0x5A, 1, &CardOs::cmdGetProve},
    {0x5E, 1, &CardOs::cmdChangePin},
    {0x5E, 2, &CardOs::cmdReloadPin},
    {0x24, 2, &CardOs::cmdPinUnblock},
    {0x1E, 2, &CardOs::cmdApplicationBlock},
    {0x18, 2, &CardOs::cmdApplicationUnblock},
    {0x16, 2, &CardOs::cmdCardBlock},
    {0xD6, 2, &CardOs::cmdUpdateBinary},
    {0xD4, 2, &CardOs::cmdWriteKey},
    {0xDA, 2, &CardOs::cmdPutData},
    {0xEA, 2, &CardOs::cmdEndPersonalization},
};

CardOs::CardOs(hal::Platform& platform)
    : m_platform(platform)
    , m_crypto(platform.crypto)
    , m_journal(platform.nvm, &items::kSecretItems)
    , m_piv(platform, m_journal)
    , m_psam(platform, m_journal, m_crypto, m_transportKey, m_hasTransportKey)
{ }

void CardOs::resetVolatile()
{
    m_piv.resetVolatile();
    m_psam.resetVolatile();
    m_pinVerified = Verdict::Denied;
    m_personalizationSession = Verdict::Denied;
    m_externalAuthenticated = Verdict::Denied;
    secureZero(m_challenge);
    m_challengeLength = 0;
    endSession();
}

void CardOs::endSession()
{
    m_session.type = SessionType::None;
    m_session.sessionKey.wipe();
    secureZero(m_session.random);
}

void CardOs::powerOn()
{
    resetVolatile();
    m_channel = kDirectChannel;
    m_macTry = {};
    m_smTry = {};
    m_selection = Selection::Purse; // the e-purse is the implicitly selected application (ISO 7816-4 §8.2.1.2)
    m_halted = m_journal.mount() != StoreStatus::Ok;
    // Finish what a cut interrupted: superseded secrets and torn erases are wiped before any command runs. A Fault
    // here leaves the (intact) state usable; the next commit tries the wipe again.
    if (!m_halted && m_journal.scrub() == StoreStatus::PowerLost) {
        m_halted = true;
    }
    loadState();
    if (!stateInRange()) {
        m_halted = true; // a corrupted image: refuse to run the purse (6581) rather than misuse the values
    }
}

bool CardOs::stateInRange() const
{
    if (m_lifeCycle == LifeCycle::Unmanufactured) {
        return true;
    }
    const bool knownLifeCycle = m_lifeCycle == LifeCycle::Blank || m_lifeCycle == LifeCycle::Personalized
        || m_lifeCycle == LifeCycle::BlockedTemporary || m_lifeCycle == LifeCycle::BlockedPermanent
        || m_lifeCycle == LifeCycle::Terminated;
    const Config& c = m_config;
    const bool config = c.capacity >= kMinCapacity && c.capacity <= kMaxRecords && c.aidLength >= kMinAidLength
        && c.aidLength <= c.aid.size() && c.labelLength >= 1 && c.labelLength <= c.label.size()
        && (c.policy & 0xF0) == 0;
    const bool log = m_purse.logCount <= c.capacity && m_purse.logHead < c.capacity
        && (m_purse.logCount != 0 || m_purse.logHead == 0);
    const bool pin = !m_hasPin || (m_pinMaxTries >= 1 && m_pinMaxTries <= 15 && m_pinTries <= m_pinMaxTries);
    const bool balance = m_purse.balance <= c.maxBalance || m_lifeCycle == LifeCycle::Blank;
    return knownLifeCycle && config && log && pin && balance;
}

void CardOs::loadState()
{
    Wiped<kMaxItemSize> buf; // keys and the PIN pass through it
    std::size_t n = 0;
    auto get = [&](std::uint8_t id, std::size_t expected) {
        if (m_journal.read(id, buf, n) != StoreStatus::Ok) {
            m_halted = true;
            n = 0;
        }
        return n == expected;
    };
    m_hasTransportKey = get(kTransportKey, 16);
    if (m_hasTransportKey) {
        copyBytes(m_transportKey.data(), buf.data(), 16);
    } else {
        secureZero(m_transportKey);
    }
    m_lifeCycle = get(kLifeCycle, 1) ? static_cast<LifeCycle>(buf[0]) : LifeCycle::Unmanufactured;
    if (m_lifeCycle != LifeCycle::Blank) {
        m_hasTransportKey = false; // wiped by END PERSONALIZATION
        secureZero(m_transportKey);
    }
    for (std::size_t s = 0; s < kKeySlots; ++s) {
        KeySlot& k = m_keys[s];
        if (get(static_cast<std::uint8_t>(kKeyBase + s), kKeyItemSize)) {
            k.type = buf[0];
            k.index = buf[1];
            k.version = buf[2];
            k.alg = buf[3];
            copyBytes(k.key.data(), buf.data() + 4, 16);
        } else {
            k = KeySlot{};
        }
    }
    m_hasPin = get(kPin, 1 + kPinBytes);
    m_pinMaxTries = m_hasPin ? buf[0] : 0;
    if (m_hasPin) {
        copyBytes(m_pin.data(), buf.data() + 1, kPinBytes);
    } else {
        m_pin.fill(0xFF);
    }
    m_pinTries = get(kPinTries, 1) ? buf[0] : 0;
    m_macFailures = get(kMacFailures, 1) ? buf[0] : 0;
    m_smFailures = get(kSmFailures, 1) ? buf[0] : 0;
    if (get(kConfig, kConfigItemSize)) {
        m_config.aidLength = buf[0];
        copyBytes(m_config.aid.data(), buf.data() + 1, 16);
        m_config.labelLength = buf[17];
        copyBytes(m_config.label.data(), buf.data() + 18, 16);
        m_config.maxBalance = be32(buf.data() + 34);
        m_config.noPinLimit = be32(buf.data() + 38);
        m_config.policy = buf[42];
        m_config.capacity = buf[43];
    } else {
        m_config = Config{};
        m_config.aidLength = static_cast<std::uint8_t>(kDefaultAid.size());
        copyBytes(m_config.aid.data(), kDefaultAid.data(), kDefaultAid.size());
        m_config.labelLength = static_cast<std::uint8_t>(kDefaultLabel.size());
        copyBytes(m_config.label.data(), kDefaultLabel.data(), kDefaultLabel.size());
        m_config.maxBalance = kDefaultMaxBalance;
        m_config.noPinLimit = 0;
        m_config.policy = kDefaultPolicy;
        m_config.capacity = kDefaultCapacity;
    }
    if (get(kSfi15, kSfi15Size)) {
        copyBytes(m_sfi15.data(), buf.data(), kSfi15Size);
    } else {
        m_sfi15.fill(0);
    }
    if (get(kSfi16, kSfi16Size)) {
        copyBytes(m_sfi16.data(), buf.data(), kSfi16Size);
    } else {
        m_sfi16.fill(0);
    }
    if (get(kPurse, kPurseItemSize)) {
        m_purse.balance = be32(buf.data());
        m_purse.onlineAtc = be16(buf.data() + 4);
        m_purse.offlineAtc = be16(buf.data() + 6);
        m_purse.logHead = buf[8];
        m_purse.logCount = buf[9];
    } else {
        m_purse = Purse{};
    }
    auto proof = [&](std::uint8_t id, Proof& p) {
        if (get(id, kProofItemSize)) {
            p.valid = buf[0];
            p.atc = be16(buf.data() + 1);
            copyBytes(p.mac.data(), buf.data() + 3, 4);
            copyBytes(p.tac.data(), buf.data() + 7, 4);
        } else {
            p = Proof{};
        }
    };
    proof(kLoadProof, m_loadProof);
    proof(kPurchaseProof, m_purchaseProof);
    secureZero(buf);
}

bool CardOs::factoryInit(std::span<const std::uint8_t, 16> transportKey)
{
    resetVolatile();
    if (m_journal.format() != StoreStatus::Ok) {
        m_halted = true;
        return false;
    }
    JournalBatch b;
    const std::uint8_t blank = static_cast<std::uint8_t>(LifeCycle::Blank);
    if (!b.add(kTransportKey, transportKey) || !b.add(kLifeCycle, std::span<const std::uint8_t>(&blank, 1))
        || m_journal.commit(b) != StoreStatus::Ok) {
        m_halted = true;
        return false;
    }
    powerOn();
    return !m_halted;
}

Status CardOs::writeBatch(const JournalBatch& batch)
{
    if (m_journal.commit(batch) != StoreStatus::Ok) {
        // RAM and NVM may now disagree: stop until the next power-on reloads the truth from the journal.
        m_halted = true;
        resetVolatile();
        m_macTry = {};
        m_smTry = {};
        return Status::NvmFailure;
    }
    return Status::Ok;
}

Status CardOs::commit(JournalBatch& batch)
{
    addTryResets(batch);
    if (const Status s = writeBatch(batch); s != Status::Ok) {
        return s;
    }
    if (m_macTry.reset) {
        m_macFailures = 0;
        m_macTry = {};
    }
    if (m_smTry.reset) {
        m_smFailures = 0;
        m_smTry = {};
    }
    return Status::Ok;
}

// --- MAC try counters (spec §4, §6a, Decisions 2026-12) ----------------------------------------------------------

Status CardOs::spendTry(TryCounter counter)
{
    const bool tx = counter == TryCounter::TransactionMac;
    const std::uint8_t count = tx ? m_macFailures : m_smFailures;
    const std::uint8_t next = static_cast<std::uint8_t>(count < 0xFF ? count + 1 : 0xFF);
    PendingTry& p = tx ? m_macTry : m_smTry;
    p = {};
    p.before = m_lifeCycle;
    // The limit is reached by THIS try: block in the same commit, so cutting power during the comparison can
    // never leave an unblocked token with a spent last try. A good MAC undoes the block in its own commit.
    bool block = false;
    if (tx) {
        block = next >= kMaxMacFailures && m_lifeCycle == LifeCycle::Personalized;
    } else {
        block = next >= kMaxSmFailures
            && (m_lifeCycle == LifeCycle::Blank || m_lifeCycle == LifeCycle::Personalized
                || m_lifeCycle == LifeCycle::BlockedTemporary);
    }
    JournalBatch b;
    addByte(b, tx ? kMacFailures : kSmFailures, next);
    if (block) {
        addByte(
            b, kLifeCycle, static_cast<std::uint8_t>(tx ? LifeCycle::BlockedTemporary : LifeCycle::BlockedPermanent));
    }
    if (const Status s = writeBatch(b); s != Status::Ok) {
        return s;
    }
    (tx ? m_macFailures : m_smFailures) = next;
    p.blocked = block;
    return Status::Ok;
}

void CardOs::tryGood(TryCounter counter)
{
    (counter == TryCounter::TransactionMac ? m_macTry : m_smTry).reset = true;
}

Status CardOs::tryFailed(TryCounter counter, Status failure)
{
    const bool tx = counter == TryCounter::TransactionMac;
    PendingTry& p = tx ? m_macTry : m_smTry;
    const bool blocked = p.blocked;
    p = {};
    if (tx) {
        endSession(); // a wrong MAC1/MAC2 ends the session (spec §4)
    }
    if (blocked) {
        m_lifeCycle = tx ? LifeCycle::BlockedTemporary : LifeCycle::BlockedPermanent; // RAM follows NVM
        resetVolatile();
    }
    return failure;
}

void CardOs::addTryResets(JournalBatch& b) const
{
    const PendingTry* tries[] = {&m_macTry, &m_smTry};
    const std::uint8_t ids[] = {kMacFailures, kSmFailures};
    for (std::size_t i = 0; i < 2; ++i) {
        if (!tries[i]->reset) {
            continue;
        }
        addByte(b, ids[i], 0);
        // Undo the tentative block of this try, unless the command sets the life cycle itself.
        if (tries[i]->blocked && !b.contains(kLifeCycle)) {
            addByte(b, kLifeCycle, static_cast<std::uint8_t>(tries[i]->before));
        }
    }
}

void CardOs::addPurse(JournalBatch& b, const Purse& p) const
{
    std::array<std::uint8_t, kPurseItemSize> v{};
    putBe32(v.data(), p.balance);
    putBe16(v.data() + 4, p.onlineAtc);
    putBe16(v.data() + 6, p.offlineAtc);
    v[8] = p.logHead;
    v[9] = p.logCount;
    b.add(kPurse, v);
}

void CardOs::addProof(JournalBatch& b, std::uint8_t id, const Proof& p) const
{
    std::array<std::uint8_t, kProofItemSize> v{};
    v[0] = p.valid;
    putBe16(v.data() + 1, p.atc);
    copyBytes(v.data() + 3, p.mac.data(), 4);
    copyBytes(v.data() + 7, p.tac.data(), 4);
    b.add(id, v);
}

void CardOs::addConfig(JournalBatch& b, const Config& c) const
{
    std::array<std::uint8_t, kConfigItemSize> v{};
    v[0] = c.aidLength;
    copyBytes(v.data() + 1, c.aid.data(), 16);
    v[17] = c.labelLength;
    copyBytes(v.data() + 18, c.label.data(), 16);
    putBe32(v.data() + 34, c.maxBalance);
    putBe32(v.data() + 38, c.noPinLimit);
    v[42] = c.policy;
    v[43] = c.capacity;
    b.add(kConfig, v);
}

void CardOs::addKey(JournalBatch& b, std::size_t slot, const KeySlot& k) const
{
    std::array<std::uint8_t, kKeyItemSize> v{};
    v[0] = k.type;
    v[1] = k.index;
    v[2] = k.version;
    v[3] = k.alg;
    copyBytes(v.data() + 4, k.key.data(), 16);
    b.add(static_cast<std::uint8_t>(kKeyBase + slot), v);
    secureZero(v);
}

void CardOs::addByte(JournalBatch& b, std::uint8_t id, std::uint8_t value) const
{
    b.add(id, std::span<const std::uint8_t>(&value, 1));
}

const CardOs::KeySlot* CardOs::findKey(KeyType type, std::uint8_t index) const
{
    const KeySlot* best = nullptr;
    for (const KeySlot& k : m_keys) {
        if (k.type != static_cast<std::uint8_t>(type)) {
            continue;
        }
        if (index != 0 && k.index == index) {
            return &k;
        }
        if (index == 0 && (best == nullptr || k.index < best->index)) {
            best = &k; // index 0: the key of that type with the lowest index
        }
    }
    return best;
}

Status CardOs::readRecordSlot(std::size_t slot, std::span<std::uint8_t, kRecordSize> out)
{
    std::array<std::uint8_t, kMaxItemSize> buf{};
    std::size_t n = 0;
    if (m_journal.read(static_cast<std::uint8_t>(kRecordBase + slot), buf, n) != StoreStatus::Ok) {
        return Status::NvmFailure;
    }
    if (n != kRecordSize) {
        return Status::RecordNotFound;
    }
    copyBytes(out.data(), buf.data(), kRecordSize);
    return Status::Ok;
}

// --- dispatcher ------------------------------------------------------------------------------------------------

std::size_t CardOs::process(std::span<const std::uint8_t> command, std::span<std::uint8_t> response, ChannelId channel)
{
    ResponseWriter out(response);
    // spec §6a (Decision 2026-12): the PIN-verified state, a pending session, a challenge and a personalisation
    // session belong to the channel that made them; a command from any other channel clears them first. The
    // selected application stays selected.
    if (channel != m_channel) {
        resetVolatile();
        m_channel = channel;
    }
    Apdu apdu;
    Status status = Status::WrongLength;
    const bool parsed = command.size() <= kMaxCommandApdu && parseApdu(command, apdu);
    // spec §4 (Decision 2026-12): the completion must be the very next command; anything else ends the session.
    if (m_session.type != SessionType::None) {
        const std::uint8_t completion = m_session.type == SessionType::Load ? 0x52 : 0x54;
        if (!parsed || apdu.cla != 0x80 || apdu.ins != completion) {
            endSession();
        }
    }
    m_triesForStatus = 0;
    const bool isSelect = parsed && apdu.cla == 0x00 && apdu.ins == 0xA4;
    const bool isDeviceInfo = parsed && apdu.cla == 0x80 && apdu.ins == 0xCA;
    if (parsed && m_selection == Selection::Piv && !isSelect && !isDeviceInfo) {
        // PIV is selected: every command but SELECT and the device GET DATA goes to it (docs/piv.md).
        if (m_halted) {
            status = Status::NvmFailure;
        } else {
            status = m_piv.process(apdu, out, m_triesForStatus);
            if (status == Status::NvmFailure) {
                m_halted = true; // as writeBatch(): RAM and NVM may disagree until the next power-on
                resetVolatile();
            }
        }
        if (status != Status::Ok && status != Status::MoreData) {
            out.reset();
        }
        return out.finish(statusWord(status, m_triesForStatus));
    }
    if (parsed && m_selection == Selection::Psam && !isSelect && !isDeviceInfo) {
        // The PSAM is selected: every command but SELECT and the device GET DATA goes to it (docs/psam.md).
        status = m_halted ? Status::NvmFailure : m_psam.process(apdu, out);
        if (status == Status::NvmFailure) {
            m_halted = true;
            resetVolatile();
        }
        if (status != Status::Ok) {
            out.reset();
        }
        return out.finish(statusWord(status));
    }
    if (parsed) {
        status = dispatch(apdu, out);
    }
    if ((m_macTry.reset || m_smTry.reset) && !m_halted) {
        // A good MAC whose command wrote nothing else (EXTERNAL AUTHENTICATE, a refused DEBIT touch, a data error
        // after a good secure-messaging MAC) still resets its counter and undoes a tentative block.
        JournalBatch b;
        if (const Status s = commit(b); s != Status::Ok) {
            status = s;
        }
    }
    m_macTry = {};
    m_smTry = {};
    const bool fciWithWarning = status == Status::AppTemporarilyBlocked && apdu.ins == 0xA4 && apdu.cla == 0x00;
    if (status != Status::Ok && !fciWithWarning) {
        out.reset(); // an error carries no data, except SELECT of a temporarily blocked application (spec §1)
    }
    return out.finish(statusWord(status, m_triesForStatus));
}

Status CardOs::dispatch(const Apdu& a, ResponseWriter& out)
{
    const std::uint8_t claClass = a.cla == 0x00 ? 0 : a.cla == 0x80 ? 1 : (a.cla == 0x04 || a.cla == 0x84) ? 2 : 0xFF;
    if (claClass == 0xFF) {
        return Status::ClaNotSupported;
    }
    bool insKnown = false;
    for (const Command& c : kCommands) {
        if (c.ins != a.ins) {
            continue;
        }
        insKnown = true;
        if (c.claClass == claClass) {
            if (m_halted && a.ins != 0xCA) {
                return Status::NvmFailure;
            }
            return (this->*c.handler)(a, out);
        }
    }
    return insKnown ? Status::ClaNotSupported : Status::InsNotSupported;
}

Status CardOs::gate(bool allowBlank) const
{
    switch (m_lifeCycle) {
    case LifeCycle::Personalized:
        break;
    case LifeCycle::Blank:
        if (!allowBlank) {
            return Status::ConditionsNotSatisfied;
        }
        break;
    case LifeCycle::BlockedTemporary:
        return Status::AppTemporarilyBlocked;
    case LifeCycle::BlockedPermanent:
        return Status::AppPermanentlyBlocked;
    case LifeCycle::Terminated:
        return Status::AppTemporarilyBlocked;
    case LifeCycle::Unmanufactured:
        return Status::ConditionsNotSatisfied;
    default:
        return Status::ConditionsNotSatisfied;
    }
    return m_selection == Selection::Purse ? Status::Ok : Status::ConditionsNotSatisfied;
}

Status CardOs::expectLe(const Apdu& a, std::size_t length)
{
    // Le must be present for a command with response data and at least the response length (00 = "all").
    if (!a.hasLe || (!a.leIsMax && a.ne < length)) {
        return Status::WrongLength;
    }
    return Status::Ok;
}

// --- selection and files ---------------------------------------------------------------------------------------

Status CardOs::cmdSelect(const Apdu& a, ResponseWriter& out)
{
    if (a.p1 != 0x04 || a.p2 != 0x00) {
        return Status::BadP1P2;
    }
    if (a.data.empty() || a.data.size() > 16) {
        return Status::WrongLength;
    }
    if (m_lifeCycle == LifeCycle::Unmanufactured) {
        return Status::FileNotFound;
    }
    if (piv::isPivAid(a.data)) {
        if (m_halted) {
            return Status::NvmFailure;
        }
        resetVolatile();
        m_selection = Selection::Piv;
        return m_piv.select(out);
    }
    if (psam::isPsamAid(a.data)) {
        if (m_halted) {
            return Status::NvmFailure;
        }
        resetVolatile();
        m_selection = Selection::Psam;
        return m_psam.select(out);
    }
    const std::span<const std::uint8_t> pse(kPseName.data(), kPseName.size());
    const std::span<const std::uint8_t> aid(m_config.aid.data(), m_config.aidLength);
    auto equal = [](std::span<const std::uint8_t> x, std::span<const std::uint8_t> y) {
        if (x.size() != y.size()) {
            return false;
        }
        for (std::size_t i = 0; i < x.size(); ++i) {
            if (x[i] != y[i]) {
                return false;
            }
        }
        return true;
    };
    if (equal(a.data, pse)) {
        if (m_lifeCycle == LifeCycle::Terminated) {
            return Status::AppTemporarilyBlocked;
        }
        resetVolatile();
        m_selection = Selection::Pse;
        out.put(0x6F);
        out.put(static_cast<std::uint8_t>(2 + pse.size() + 5));
        out.put(0x84);
        out.put(static_cast<std::uint8_t>(pse.size()));
        out.put(pse);
        const std::uint8_t a5[] = {0xA5, 0x03, 0x88, 0x01, 0x01};
        out.put(a5);
        return Status::Ok;
    }
    if (!equal(a.data, aid)) {
        return Status::FileNotFound; // the current selection stays as it was
    }
    resetVolatile();
    m_selection = Selection::Purse;
    if (m_lifeCycle == LifeCycle::Terminated) {
        return Status::AppTemporarilyBlocked;
    }
    if (m_lifeCycle == LifeCycle::BlockedPermanent) {
        return Status::AppPermanentlyBlocked;
    }
    out.put(0x6F);
    out.put(static_cast<std::uint8_t>(2 + aid.size() + 2 + 4 + 3 + kSfi15Size));
    out.put(0x84);
    out.put(static_cast<std::uint8_t>(aid.size()));
    out.put(aid);
    out.put(0xA5);
    out.put(static_cast<std::uint8_t>(4 + 3 + kSfi15Size));
    const std::uint8_t fci[] = {0x9F, 0x08, 0x01, 0x02, 0x9F, 0x0C, static_cast<std::uint8_t>(kSfi15Size)};
    out.put(fci);
    out.put(m_sfi15);
    return m_lifeCycle == LifeCycle::BlockedTemporary ? Status::AppTemporarilyBlocked : Status::Ok;
}

Status CardOs::cmdReadBinary(const Apdu& a, ResponseWriter& out)
{
    if (const Status g = gate(true); g != Status::Ok) {
        return g;
    }
    if ((a.p1 & 0x80) == 0 || (a.p1 & 0x60) != 0) {
        return Status::BadP1P2; // only SFI addressing (no current EF)
    }
    if (!a.data.empty() || !a.hasLe) {
        return Status::WrongLength;
    }
    const std::uint8_t sfi = a.p1 & 0x1F;
    std::span<const std::uint8_t> file;
    if (sfi == 0x15) {
        file = m_sfi15;
    } else if (sfi == 0x16) {
        if ((m_config.policy & kPolicyCardholderFileNeedsPin) != 0 && m_pinVerified != Verdict::Granted) {
            return Status::SecurityNotSatisfied;
        }
        file = m_sfi16;
    } else if (sfi == 0x18) {
        return Status::IncompatibleFile;
    } else {
        return Status::FileNotFound;
    }
    const std::size_t offset = a.p2;
    if (offset >= file.size()) {
        return Status::WrongOffset;
    }
    const std::size_t remaining = file.size() - offset;
    std::size_t n = remaining;
    if (!a.leIsMax) {
        if (a.ne > remaining) {
            return Status::WrongLength;
        }
        n = a.ne;
    }
    out.put(file.subspan(offset, n));
    return Status::Ok;
}

Status CardOs::cmdReadRecord(const Apdu& a, ResponseWriter& out)
{
    // Documented order (docs/firmware.md Decision 2): state → P1/P2 → Lc/Le → file and record.
    const std::uint8_t sfi = a.p2 >> 3;
    const bool pse = m_selection == Selection::Pse && sfi == 0x01; // the PSE's directory file
    if (!pse) {
        if (const Status g = gate(true); g != Status::Ok) {
            return g;
        }
    }
    if ((a.p2 & 0x07) != 0x04 || a.p1 == 0) {
        return Status::BadP1P2;
    }
    if (!a.data.empty() || !a.hasLe) {
        return Status::WrongLength;
    }
    if (pse) {
        // PSE directory (spec §1): 70 L 61 L 4F L <AID> 50 L <label>.
        if (a.p1 != 0x01) {
            return Status::RecordNotFound;
        }
        const std::size_t inner = 2 + m_config.aidLength + 2 + m_config.labelLength;
        out.put(0x70);
        out.put(static_cast<std::uint8_t>(2 + inner));
        out.put(0x61);
        out.put(static_cast<std::uint8_t>(inner));
        out.put(0x4F);
        out.put(m_config.aidLength);
        out.put(std::span<const std::uint8_t>(m_config.aid.data(), m_config.aidLength));
        out.put(0x50);
        out.put(m_config.labelLength);
        out.put(std::span<const std::uint8_t>(m_config.label.data(), m_config.labelLength));
        if (!a.leIsMax && a.ne < out.size()) {
            out.reset();
            return Status::WrongLength;
        }
        return Status::Ok;
    }
    if (!a.leIsMax && a.ne != kRecordSize) {
        return Status::WrongLength;
    }
    if (sfi == 0x15 || sfi == 0x16) {
        return Status::IncompatibleFile;
    }
    if (sfi != 0x18) {
        return Status::FileNotFound;
    }
    if (a.p1 > m_purse.logCount || m_config.capacity == 0) {
        return Status::RecordNotFound;
    }
    const std::size_t slot = (m_purse.logHead + m_config.capacity - (a.p1 - 1u)) % m_config.capacity;
    std::array<std::uint8_t, kRecordSize> rec{};
    const Status s = readRecordSlot(slot, rec);
    if (s != Status::Ok) {
        return s;
    }
    out.put(rec);
    return Status::Ok;
}

Status CardOs::cmdGetData(const Apdu& a, ResponseWriter& out)
{
    if (a.p1 != 0x00 || a.p2 != 0x01) {
        return Status::BadP1P2;
    }
    if (!a.data.empty() || !a.hasLe) {
        return Status::WrongLength;
    }
    std::array<std::uint8_t, 8> serial{};
    m_platform.system.deviceSerial(serial);
    out.put(0xC1);
    out.put(8);
    out.put(serial);
    const std::uint8_t rest[] = {0xC2,
        3,
        kFirmwareMajor,
        kFirmwareMinor,
        kFirmwareBuild,
        0xC3,
        1,
        static_cast<std::uint8_t>(m_lifeCycle),
        0xC4,
        1,
        wire::kProtocolVersion,
        0xC5,
        2,
        static_cast<std::uint8_t>(kCapabilities >> 8),
        static_cast<std::uint8_t>(kCapabilities & 0xFF),
        0xC6,
        2,
        static_cast<std::uint8_t>(kMaxCommandApdu >> 8),
        static_cast<std::uint8_t>(kMaxCommandApdu & 0xFF)};
    out.put(rest);
    if (!a.leIsMax && a.ne < out.size()) {
        out.reset();
        return Status::WrongLength;
    }
    return Status::Ok;
}

Status CardOs::cmdGetChallenge(const Apdu& a, ResponseWriter& out)
{
    if (a.p1 != 0 || a.p2 != 0) {
        return Status::BadP1P2;
    }
    if (!a.data.empty() || !a.hasLe || a.leIsMax || (a.ne != 4 && a.ne != 8)) {
        return Status::WrongLength;
    }
    m_challengeLength = 0;
    if (!m_platform.rng.fill(std::span<std::uint8_t>(m_challenge.data(), a.ne))) {
        return Status::NvmFailure; // TRNG health test failed: refuse (6581 "memory/hardware failure")
    }
    m_challengeLength = static_cast<std::uint8_t>(a.ne);
    out.put(std::span<const std::uint8_t>(m_challenge.data(), a.ne));
    return Status::Ok;
}

Status CardOs::cmdExternalAuthenticate(const Apdu& a, ResponseWriter&)
{
    if (const Status g = gate(true); g != Status::Ok) {
        return g;
    }
    if (a.p1 != 0) {
        return Status::BadP1P2;
    }
    if (a.data.size() != 8 || a.hasLe) {
        return Status::WrongLength;
    }
    Wiped<16> key;
    std::uint8_t alg = kAlg3Des;
    if (m_lifeCycle == LifeCycle::Blank) {
        if (a.p2 != 0) {
            return Status::BadP1P2;
        }
        if (!m_hasTransportKey) {
            return Status::ConditionsNotSatisfied;
        }
        key.bytes = m_transportKey;
    } else {
        const KeySlot* eak = findKey(KeyType::Eak, a.p2);
        if (eak == nullptr) {
            return Status::UnknownKeyIndex;
        }
        key.bytes = eak->key;
        alg = eak->alg;
    }
    // spec §6a: an 8-byte challenge (GET CHALLENGE 08) and nothing else; one challenge, one command.
    const bool challenge8 = m_challengeLength == 8;
    Wiped<16> block;
    copyBytes(block.data(), m_challenge.data(), 8);
    secureZero(m_challenge);
    m_challengeLength = 0;
    if (!challenge8) {
        return Status::NoChallenge;
    }
    // The try is counted in NVM before the comparison (spec §6a); 15 failures in a row block for good.
    if (const Status s = spendTry(TryCounter::SecureMessaging); s != Status::Ok) {
        return s;
    }
    Wiped<16> expected;
    const bool ok = m_crypto.ecb(
        alg, true, key, std::span<const std::uint8_t>(block.data(), PbocCrypto::blockSize(alg)), expected);
    if (!ok) {
        return Status::NvmFailure;
    }
    if (ctEqual(std::span<const std::uint8_t>(expected.data(), 8), a.data) != Verdict::Granted) {
        m_personalizationSession = Verdict::Denied; // a failed one closes an open personalisation session
        m_externalAuthenticated = Verdict::Denied;
        return tryFailed(TryCounter::SecureMessaging, Status::AuthenticationFailed);
    }
    tryGood(TryCounter::SecureMessaging);
    if (m_lifeCycle == LifeCycle::Blank) {
        m_personalizationSession = Verdict::Granted;
    } else {
        m_externalAuthenticated = Verdict::Granted;
    }
    return Status::Ok;
}

Status CardOs::cmdInternalAuthenticate(const Apdu& a, ResponseWriter& out)
{
    if (const Status g = gate(false); g != Status::Ok) {
        return g;
    }
    if (a.p1 != 0) {
        return Status::BadP1P2;
    }
    // Documented order: P1/P2 → Lc/Le → the key named by P2 (9403) → the data fits the key's block size (6700).
    if (a.data.empty() || a.data.size() % 8 != 0 || a.data.size() > 240) {
        return Status::WrongLength;
    }
    if (const Status s = expectLe(a, a.data.size()); s != Status::Ok) {
        return s;
    }
    const KeySlot* iak = findKey(KeyType::Iak, a.p2);
    if (iak == nullptr) {
        return Status::UnknownKeyIndex;
    }
    if (a.data.size() % PbocCrypto::blockSize(iak->alg) != 0) {
        return Status::WrongLength;
    }
    std::array<std::uint8_t, 240> result{};
    if (!m_crypto.ecb(iak->alg, true, iak->key, a.data, result)) {
        return Status::NvmFailure;
    }
    out.put(std::span<const std::uint8_t>(result.data(), a.data.size()));
    return Status::Ok;
}

} // namespace skey
