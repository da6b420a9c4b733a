// SPDX-License-Identifier: Apache-2.0
// Card OS: secure messaging, life cycle (block/unblock) and personalisation (spec/pboc-epurse.md §5.3, §6).
#include "CardOs.h"

#include "CardOsItems.h"

namespace skey {

using namespace items;

Status CardOs::checkSecureMac(const Apdu& a, std::uint8_t alg, std::span<const std::uint8_t, 16> key)
{
    // Only short APDUs carry secure messaging: the MAC input repeats the header with a one-byte Lc.
    if (a.data.size() < 4 || a.data.size() > 255) {
        return Status::WrongLength;
    }
    if (m_challengeLength == 0) {
        return Status::NoChallenge;
    }
    std::array<std::uint8_t, 8> challenge{};
    const std::size_t challengeLength = m_challengeLength;
    copyBytes(challenge.data(), m_challenge.data(), challengeLength);
    secureZero(m_challenge);
    m_challengeLength = 0; // one challenge serves one command, whatever its outcome
    // spec §6a (Decision 2026-12): the try is counted in NVM before the comparison; 15 wrong MACs in a row block the
    // application for good, so a 4-byte MAC cannot be searched.
    if (const Status s = spendTry(TryCounter::SecureMessaging); s != Status::Ok) {
        return s;
    }

    std::array<std::uint8_t, 5 + 255> input{};
    input[0] = a.cla;
    input[1] = a.ins;
    input[2] = a.p1;
    input[3] = a.p2;
    input[4] = static_cast<std::uint8_t>(a.data.size());
    const std::size_t body = a.data.size() - 4;
    copyBytes(input.data() + 5, a.data.data(), body);
    Wiped<4> mac;
    const bool ok = m_crypto.secureMessagingMac(alg,
        key,
        std::span<const std::uint8_t>(challenge.data(), challengeLength),
        std::span<const std::uint8_t>(input.data(), 5 + body),
        mac);
    secureZero(input);
    if (!ok) {
        return Status::NvmFailure;
    }
    if (ctEqual(mac, a.data.last(4)) != Verdict::Granted) {
        return tryFailed(TryCounter::SecureMessaging, Status::SmMacWrong);
    }
    tryGood(TryCounter::SecureMessaging);
    return Status::Ok;
}

Status CardOs::adminKey(const std::uint8_t*& key, std::uint8_t& alg) const
{
    // BLANK: the transport key inside an open personalisation session; afterwards: DAMK.
    if (m_lifeCycle == LifeCycle::Blank) {
        if (!m_hasTransportKey) {
            return Status::ConditionsNotSatisfied;
        }
        if (m_personalizationSession != Verdict::Granted) {
            return Status::SecurityNotSatisfied;
        }
        key = m_transportKey.data();
        alg = kAlg3Des;
        return Status::Ok;
    }
    const KeySlot* damk = findKey(KeyType::Damk, 0);
    if (damk == nullptr) {
        return Status::ConditionsNotSatisfied;
    }
    key = damk->key.data();
    alg = damk->alg;
    return Status::Ok;
}

Status CardOs::checkAdminMac(const Apdu& a, const std::uint8_t*& key)
{
    std::uint8_t alg = 0;
    if (const Status s = adminKey(key, alg); s != Status::Ok) {
        return s;
    }
    return checkSecureMac(a, alg, std::span<const std::uint8_t, 16>(key, 16));
}

Status CardOs::checkAdminMac(const Apdu& a)
{
    const std::uint8_t* key = nullptr;
    return checkAdminMac(a, key);
}

Status CardOs::checkMacOnlyShape(const Apdu& a)
{
    // P1 = P2 = 00 and a body of the 4-byte MAC alone, no Le.
    if (a.p1 != 0 || a.p2 != 0) {
        return Status::BadP1P2;
    }
    if (a.data.size() != 4 || a.hasLe) {
        return Status::WrongLength;
    }
    return Status::Ok;
}

Status CardOs::checkNotBlockedForGood() const
{
    // A permanently blocked or terminated application answers block and unblock with its state.
    if (m_lifeCycle == LifeCycle::BlockedPermanent) {
        return Status::AppPermanentlyBlocked;
    }
    if (m_lifeCycle == LifeCycle::Terminated) {
        return Status::AppTemporarilyBlocked;
    }
    return Status::Ok;
}

// --- life cycle --------------------------------------------------------------------------------------------------

Status CardOs::cmdApplicationBlock(const Apdu& a, ResponseWriter&)
{
    if (const Status s = checkNotBlockedForGood(); s != Status::Ok) {
        return s;
    }
    if ((m_lifeCycle != LifeCycle::Personalized && m_lifeCycle != LifeCycle::BlockedTemporary)
        || m_selection != Selection::Purse) {
        return Status::ConditionsNotSatisfied;
    }
    if (a.p1 != 0 || (a.p2 != 0x00 && a.p2 != 0x01)) {
        return Status::BadP1P2;
    }
    if (a.data.size() != 4 || a.hasLe) {
        return Status::WrongLength;
    }
    if (const Status s = checkAdminMac(a); s != Status::Ok) {
        return s;
    }
    const LifeCycle next = a.p2 == 0x01 ? LifeCycle::BlockedPermanent : LifeCycle::BlockedTemporary;
    JournalBatch b;
    addByte(b, kLifeCycle, static_cast<std::uint8_t>(next));
    if (const Status s = commit(b); s != Status::Ok) {
        return s;
    }
    m_lifeCycle = next;
    m_session.type = SessionType::None;
    m_session.sessionKey.wipe();
    m_pinVerified = Verdict::Denied;
    return Status::Ok;
}

Status CardOs::cmdApplicationUnblock(const Apdu& a, ResponseWriter&)
{
    if (const Status s = checkNotBlockedForGood(); s != Status::Ok) {
        return s;
    }
    if (m_lifeCycle != LifeCycle::BlockedTemporary || m_selection != Selection::Purse) {
        return Status::ConditionsNotSatisfied;
    }
    if (const Status s = checkMacOnlyShape(a); s != Status::Ok) {
        return s;
    }
    if (const Status s = checkAdminMac(a); s != Status::Ok) {
        return s;
    }
    JournalBatch b;
    addByte(b, kLifeCycle, static_cast<std::uint8_t>(LifeCycle::Personalized));
    if (m_macFailures != 0) {
        addByte(b, kMacFailures, 0);
    }
    if (const Status s = commit(b); s != Status::Ok) {
        return s;
    }
    m_lifeCycle = LifeCycle::Personalized;
    m_macFailures = 0;
    return Status::Ok;
}

Status CardOs::cmdCardBlock(const Apdu& a, ResponseWriter&)
{
    if (m_lifeCycle == LifeCycle::Terminated) {
        return Status::AppTemporarilyBlocked;
    }
    if (m_lifeCycle == LifeCycle::Blank || m_lifeCycle == LifeCycle::Unmanufactured
        || m_selection != Selection::Purse) {
        return Status::ConditionsNotSatisfied;
    }
    if (const Status s = checkMacOnlyShape(a); s != Status::Ok) {
        return s;
    }
    if (const Status s = checkAdminMac(a); s != Status::Ok) {
        return s;
    }
    JournalBatch b;
    addByte(b, kLifeCycle, static_cast<std::uint8_t>(LifeCycle::Terminated));
    if (const Status s = commit(b); s != Status::Ok) {
        return s;
    }
    m_lifeCycle = LifeCycle::Terminated;
    resetVolatile();
    return Status::Ok;
}

// --- files and personalisation ---------------------------------------------------------------------------------

Status CardOs::cmdUpdateBinary(const Apdu& a, ResponseWriter&)
{
    if (const Status g = gate(true); g != Status::Ok) {
        return g;
    }
    if ((a.p1 & 0xE0) != 0x80) {
        return Status::BadP1P2;
    }
    const std::uint8_t sfi = a.p1 & 0x1F;
    if (sfi != 0x15 && sfi != 0x16) {
        return sfi == 0x18 ? Status::IncompatibleFile : Status::FileNotFound;
    }
    if (a.data.size() < 5 || a.hasLe) {
        return Status::WrongLength;
    }
    const std::size_t size = sfi == 0x15 ? kSfi15Size : kSfi16Size;
    const std::size_t offset = a.p2;
    const std::size_t length = a.data.size() - 4;
    if (offset >= size) {
        return Status::WrongOffset;
    }
    if (offset + length > size) {
        return Status::WrongLength;
    }
    if (const Status s = checkAdminMac(a); s != Status::Ok) {
        return s;
    }
    std::array<std::uint8_t, kSfi16Size> file{};
    copyBytes(file.data(), sfi == 0x15 ? m_sfi15.data() : m_sfi16.data(), size);
    copyBytes(file.data() + offset, a.data.data(), length);
    JournalBatch b;
    b.add(sfi == 0x15 ? kSfi15 : kSfi16, std::span<const std::uint8_t>(file.data(), size));
    if (const Status s = commit(b); s != Status::Ok) {
        return s;
    }
    copyBytes(sfi == 0x15 ? m_sfi15.data() : m_sfi16.data(), file.data(), size);
    return Status::Ok;
}

Status CardOs::cmdWriteKey(const Apdu& a, ResponseWriter&)
{
    if (m_lifeCycle != LifeCycle::Blank || m_selection != Selection::Purse) {
        return Status::ConditionsNotSatisfied; // KT is never usable after END PERSONALIZATION
    }
    const std::uint8_t type = a.p2;
    const bool knownType = type == 0x25 || type == 0x26 || type == 0x27 || type == 0x30 || type == 0x36 || type == 0x37
        || type == 0x38 || type == 0x39 || type == 0x3A;
    if (a.p1 != 0 || !knownType) {
        return Status::BadP1P2;
    }
    if (a.hasLe || a.data.size() < 12 || (a.data.size() - 4) % 8 != 0 || a.data.size() > 4 + 32) {
        return Status::WrongLength;
    }
    const std::uint8_t* kt = nullptr;
    if (const Status s = checkAdminMac(a, kt); s != Status::Ok) {
        return s;
    }
    const std::span<const std::uint8_t> enc = a.data.first(a.data.size() - 4);
    Wiped<32> plain;
    if (!m_crypto.ecb(kAlg3Des, false, std::span<const std::uint8_t, 16>(kt, 16), enc, plain)) {
        return Status::NvmFailure;
    }
    const std::size_t len = plain[0];
    bool ok = 1 + len < enc.size() && plain[1 + len] == 0x80 && ((1 + len) / 8 + 1) * 8 == enc.size();
    for (std::size_t i = 2 + len; ok && i < enc.size(); ++i) {
        ok = plain[i] == 0;
    }
    Status result = Status::BadData;
    JournalBatch b;
    if (ok && type == static_cast<std::uint8_t>(KeyType::Pin)) {
        // tries 1 ‖ PIN 2..6
        Wiped<kPinBytes> pin;
        const std::uint8_t tries = plain[1];
        if (len >= 3 && tries >= 1 && tries <= 15
            && canonicalPin(std::span<const std::uint8_t>(plain.data() + 2, len - 1), pin)) {
            Wiped<1 + kPinBytes> rec;
            rec[0] = tries;
            copyBytes(rec.data() + 1, pin.data(), kPinBytes);
            b.add(kPin, rec);
            addByte(b, kPinTries, tries);
            result = commit(b);
            if (result == Status::Ok) {
                m_hasPin = true;
                m_pinMaxTries = tries;
                m_pinTries = tries;
                m_pin = pin.bytes;
            }
        }
    } else if (ok && len == 19 && plain[1] != 0 && (plain[3] == kAlg3Des || plain[3] == kAlgSm4)) {
        // keyIndex 1 ‖ keyVer 1 ‖ algID 1 ‖ key 16
        std::size_t slot = kKeySlots;
        for (std::size_t i = 0; i < kKeySlots; ++i) {
            if (m_keys[i].type == type && m_keys[i].index == plain[1]) {
                slot = i;
                break;
            }
        }
        for (std::size_t i = 0; slot == kKeySlots && i < kKeySlots; ++i) {
            if (m_keys[i].type == 0) {
                slot = i;
            }
        }
        if (slot == kKeySlots) {
            result = Status::NotEnoughMemory;
        } else {
            KeySlot k;
            k.type = type;
            k.index = plain[1];
            k.version = plain[2];
            k.alg = plain[3];
            copyBytes(k.key.data(), plain.data() + 4, 16);
            addKey(b, slot, k);
            result = commit(b);
            if (result == Status::Ok) {
                m_keys[slot] = k;
            }
            secureZero(k.key);
        }
    }
    return result;
}

Status CardOs::cmdPutData(const Apdu& a, ResponseWriter&)
{
    if (m_lifeCycle != LifeCycle::Blank || m_selection != Selection::Purse) {
        return Status::ConditionsNotSatisfied;
    }
    if (a.p1 != 0 || a.p2 < 0x01 || a.p2 > 0x06) {
        return Status::BadP1P2;
    }
    if (a.hasLe || a.data.size() < 5) {
        return Status::WrongLength;
    }
    const std::span<const std::uint8_t> v = a.data.first(a.data.size() - 4);
    const std::size_t expected[] = {0, 0, 4, 4, 1, 1, 0}; // 0: variable
    if (expected[a.p2] != 0 && v.size() != expected[a.p2]) {
        return Status::WrongLength;
    }
    if ((a.p2 == 0x01 && (v.size() < 5 || v.size() > 16)) || (a.p2 == 0x06 && v.size() > 16)) {
        return Status::WrongLength;
    }
    if (const Status s = checkAdminMac(a); s != Status::Ok) {
        return s;
    }
    Config c = m_config;
    switch (a.p2) {
    case 0x01:
        c.aidLength = static_cast<std::uint8_t>(v.size());
        c.aid.fill(0);
        copyBytes(c.aid.data(), v.data(), v.size());
        break;
    case 0x02:
        c.maxBalance = be32(v.data());
        break;
    case 0x03:
        c.noPinLimit = be32(v.data());
        break;
    case 0x04:
        if ((v[0] & 0xF0) != 0) {
            return Status::BadData;
        }
        c.policy = v[0];
        break;
    case 0x05:
        if (v[0] < 10 || v[0] > kMaxRecords || m_purse.logCount != 0) {
            return Status::BadData;
        }
        c.capacity = v[0];
        break;
    default: // 0x06 label, printable ASCII
        for (const std::uint8_t ch : v) {
            if (ch < 0x20 || ch > 0x7E) {
                return Status::BadData;
            }
        }
        c.labelLength = static_cast<std::uint8_t>(v.size());
        c.label.fill(0);
        copyBytes(c.label.data(), v.data(), v.size());
        break;
    }
    JournalBatch b;
    addConfig(b, c);
    if (const Status s = commit(b); s != Status::Ok) {
        return s;
    }
    m_config = c;
    return Status::Ok;
}

Status CardOs::cmdEndPersonalization(const Apdu& a, ResponseWriter&)
{
    if (m_lifeCycle != LifeCycle::Blank || m_selection != Selection::Purse) {
        return Status::ConditionsNotSatisfied;
    }
    if (const Status s = checkMacOnlyShape(a); s != Status::Ok) {
        return s;
    }
    if (const Status s = checkAdminMac(a); s != Status::Ok) {
        return s;
    }
    if (findKey(KeyType::Dlk, 0) == nullptr || findKey(KeyType::Dpk, 0) == nullptr
        || findKey(KeyType::Dtk, 0) == nullptr || findKey(KeyType::Damk, 0) == nullptr || !m_hasPin) {
        return Status::ConditionsNotSatisfied;
    }
    JournalBatch b;
    addByte(b, kLifeCycle, static_cast<std::uint8_t>(LifeCycle::Personalized));
    const std::array<std::uint8_t, 16> zero{};
    b.add(kTransportKey, zero); // KT is never usable again
    if (const Status s = commit(b); s != Status::Ok) {
        return s;
    }
    m_lifeCycle = LifeCycle::Personalized;
    secureZero(m_transportKey);
    m_hasTransportKey = false;
    m_personalizationSession = Verdict::Denied;
    return Status::Ok;
}

} // namespace skey
