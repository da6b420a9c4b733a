// SPDX-License-Identifier: Apache-2.0
// Card OS: PIN management and the e-purse transactions (spec/pboc-epurse.md §3, §4).
#include "CardOs.h"

#include "CardOsItems.h"

namespace skey {

using namespace items;

// --- PIN -------------------------------------------------------------------------------------------------------

bool CardOs::canonicalPin(std::span<const std::uint8_t> pin, std::span<std::uint8_t, kPinBytes> out)
{
    // 4–12 BCD digits, an odd count padded with one F nibble (12345 → 12 34 5F); stored FF-padded to 6 bytes.
    if (pin.size() < 2 || pin.size() > kPinBytes) {
        return false;
    }
    std::uint32_t bad = 0;
    for (std::size_t i = 0; i < pin.size(); ++i) {
        const std::uint8_t hi = pin[i] >> 4;
        const std::uint8_t lo = pin[i] & 0x0F;
        const bool last = i + 1 == pin.size();
        bad |= hi > 9 ? 1u : 0u;
        bad |= (lo > 9 && !(last && lo == 0x0F)) ? 1u : 0u;
    }
    const std::size_t digits = pin.size() * 2 - (((pin[pin.size() - 1] & 0x0F) == 0x0F) ? 1u : 0u);
    if (bad != 0 || digits < 4) {
        return false;
    }
    for (std::size_t i = 0; i < kPinBytes; ++i) {
        out[i] = i < pin.size() ? pin[i] : 0xFF;
    }
    return true;
}

Status CardOs::spendTryAndCompare(std::span<const std::uint8_t, kPinBytes> candidate, Verdict& verdict)
{
    verdict = Verdict::Denied;
    if (!m_hasPin) {
        return Status::ConditionsNotSatisfied;
    }
    if (m_pinTries == 0) {
        return Status::PinBlocked;
    }
    // The try is spent in NVM BEFORE the comparison (spec §3): a power cut can never give a free try.
    JournalBatch b;
    addByte(b, kPinTries, static_cast<std::uint8_t>(m_pinTries - 1));
    if (const Status s = commit(b); s != Status::Ok) {
        return s;
    }
    m_pinTries = static_cast<std::uint8_t>(m_pinTries - 1);
    verdict = ctEqual(candidate, m_pin);
    if (verdict != Verdict::Granted) {
        m_pinVerified = Verdict::Denied;
        m_triesForStatus = m_pinTries;
        return Status::PinWrong;
    }
    return Status::Ok;
}

Status CardOs::cmdVerify(const Apdu& a, ResponseWriter&)
{
    if (const Status g = gate(false); g != Status::Ok) {
        return g;
    }
    if (a.p1 != 0 || a.p2 != 0) {
        return Status::BadP1P2;
    }
    if (a.hasLe) {
        return Status::WrongLength;
    }
    if (!m_hasPin) {
        return Status::ConditionsNotSatisfied;
    }
    if (a.data.empty()) {
        // ISO 7816-4: VERIFY without data reports the state and spends nothing.
        if (m_pinTries == 0) {
            return Status::PinBlocked;
        }
        if (m_pinVerified == Verdict::Granted) {
            return Status::Ok;
        }
        m_triesForStatus = m_pinTries;
        return Status::PinWrong;
    }
    if (a.data.size() < 2 || a.data.size() > kPinBytes) {
        return Status::WrongLength;
    }
    Wiped<kPinBytes> candidate;
    if (!canonicalPin(a.data, candidate)) {
        return Status::BadData;
    }
    Verdict v = Verdict::Denied;
    const Status s = spendTryAndCompare(candidate, v);
    if (s != Status::Ok) {
        return s;
    }
    if (v == Verdict::Granted) {
        JournalBatch b;
        addByte(b, kPinTries, m_pinMaxTries);
        if (const Status c = commit(b); c != Status::Ok) {
            return c;
        }
        m_pinTries = m_pinMaxTries;
        m_pinVerified = Verdict::Granted;
        return Status::Ok;
    }
    return Status::PinWrong;
}

Status CardOs::cmdChangePin(const Apdu& a, ResponseWriter&)
{
    if (const Status g = gate(false); g != Status::Ok) {
        return g;
    }
    if ((a.p1 != 0x00 && a.p1 != 0x01) || a.p2 != 0) {
        return Status::BadP1P2;
    }
    if (a.hasLe || a.data.empty()) {
        return Status::WrongLength;
    }
    if (a.p1 == 0x00) {
        // The plain RELOAD PIN `80 5E 00 00 Lc PIN MAC` (a MAC over the PIN only) could be replayed: refused, nothing
        // changes (spec §3, Decision 2026-12). RELOAD PIN is `84 5E` with secure messaging.
        return Status::SecurityNotSatisfied;
    }
    if (!m_hasPin) {
        return Status::ConditionsNotSatisfied;
    }
    // CHANGE PIN: old FF new.
    std::size_t sep = a.data.size();
    for (std::size_t i = 0; i < a.data.size(); ++i) {
        if (a.data[i] == 0xFF) {
            sep = i;
            break;
        }
    }
    if (sep < 2 || sep > kPinBytes || a.data.size() - sep - 1 < 2 || a.data.size() - sep - 1 > kPinBytes) {
        return Status::WrongLength;
    }
    Wiped<kPinBytes> oldPin;
    Wiped<kPinBytes> newPin;
    if (!canonicalPin(a.data.first(sep), oldPin) || !canonicalPin(a.data.subspan(sep + 1), newPin)) {
        return Status::BadData;
    }
    Verdict v = Verdict::Denied;
    const Status s = spendTryAndCompare(oldPin, v);
    if (s != Status::Ok || v != Verdict::Granted) {
        return s == Status::Ok ? Status::PinWrong : s;
    }
    if (const Status c = storePin(newPin); c != Status::Ok) {
        return c;
    }
    m_pinVerified = Verdict::Granted; // CHANGE PIN success also verifies (Decision 9)
    return Status::Ok;
}

Status CardOs::storePin(std::span<const std::uint8_t, kPinBytes> pin)
{
    JournalBatch b;
    Wiped<1 + kPinBytes> rec;
    rec[0] = m_pinMaxTries;
    copyBytes(rec.data() + 1, pin.data(), kPinBytes);
    b.add(kPin, rec);
    addByte(b, kPinTries, m_pinMaxTries);
    if (const Status s = commit(b); s != Status::Ok) {
        return s;
    }
    copyBytes(m_pin.data(), pin.data(), kPinBytes);
    m_pinTries = m_pinMaxTries;
    return Status::Ok;
}

Status CardOs::decryptPinCryptogram(const Apdu& a, const KeySlot& key, std::span<std::uint8_t, kPinBytes> pin)
{
    // ENC = ECB(key, len ‖ PIN ‖ 80 00…) ‖ MAC4 (spec §3); the MAC was checked by the caller.
    const std::size_t bs = PbocCrypto::blockSize(key.alg);
    const std::span<const std::uint8_t> enc = a.data.first(a.data.size() - 4);
    Wiped<32> plain;
    if (!m_crypto.ecb(key.alg, false, key.key, enc, plain)) {
        return Status::NvmFailure;
    }
    const std::size_t len = plain[0];
    bool ok = len >= 2 && len <= kPinBytes && 1 + len < enc.size() && plain[1 + len] == 0x80
        && ((1 + len) / bs + 1) * bs == enc.size();
    for (std::size_t i = 2 + len; ok && i < enc.size(); ++i) {
        ok = plain[i] == 0x00;
    }
    ok = ok && canonicalPin(std::span<const std::uint8_t>(plain.data() + 1, len), pin);
    return ok ? Status::Ok : Status::BadData;
}

Status CardOs::cmdReloadPin(const Apdu& a, ResponseWriter&)
{
    // RELOAD PIN `84 5E 00 00 Lc ENC MAC` with DRPK (spec §3, Decision 2026-12): the PIN travels enciphered, the MAC
    // covers a fresh card challenge, so a captured command is worthless. It sets the PIN and resets the PIN tries;
    // it never touches the transaction-MAC failure counter.
    if (const Status g = gate(false); g != Status::Ok) {
        return g;
    }
    if (a.p1 != 0 || a.p2 != 0) {
        return Status::BadP1P2;
    }
    const KeySlot* drpk = findKey(KeyType::Drpk, 0);
    const std::size_t bs = drpk != nullptr ? PbocCrypto::blockSize(drpk->alg) : 8;
    if (a.hasLe || a.data.size() < bs + 4 || (a.data.size() - 4) % bs != 0 || a.data.size() > 4 + 32) {
        return Status::WrongLength;
    }
    if (drpk == nullptr || !m_hasPin) {
        return Status::ConditionsNotSatisfied;
    }
    if (const Status s = checkSecureMac(a, drpk->alg, drpk->key); s != Status::Ok) {
        return s;
    }
    Wiped<kPinBytes> newPin;
    if (const Status s = decryptPinCryptogram(a, *drpk, newPin); s != Status::Ok) {
        return s;
    }
    if (const Status s = storePin(newPin); s != Status::Ok) {
        return s;
    }
    m_pinVerified = Verdict::Denied; // the new PIN is verified like any other
    return Status::Ok;
}

Status CardOs::cmdPinUnblock(const Apdu& a, ResponseWriter&)
{
    if (const Status g = gate(false); g != Status::Ok) {
        return g;
    }
    if (a.p1 != 0 || a.p2 != 0) {
        return Status::BadP1P2;
    }
    const KeySlot* dpuk = findKey(KeyType::Dpuk, 0);
    const std::size_t bs = dpuk != nullptr ? PbocCrypto::blockSize(dpuk->alg) : 8;
    if (a.hasLe || a.data.size() < bs + 4 || (a.data.size() - 4) % bs != 0 || a.data.size() > 4 + 32) {
        return Status::WrongLength;
    }
    if (dpuk == nullptr || !m_hasPin || m_pinTries != 0) {
        return Status::ConditionsNotSatisfied; // 6985 when the PIN is not blocked
    }
    if (const Status s = checkSecureMac(a, dpuk->alg, dpuk->key); s != Status::Ok) {
        return s;
    }
    Wiped<kPinBytes> candidate;
    if (const Status s = decryptPinCryptogram(a, *dpuk, candidate); s != Status::Ok) {
        return s;
    }
    if (ctEqual(candidate, m_pin) != Verdict::Granted) {
        return Status::BadData;
    }
    JournalBatch b;
    addByte(b, kPinTries, m_pinMaxTries);
    if (const Status s = commit(b); s != Status::Ok) {
        return s;
    }
    m_pinTries = m_pinMaxTries;
    return Status::Ok;
}

// --- transactions ----------------------------------------------------------------------------------------------

Status CardOs::cmdGetBalance(const Apdu& a, ResponseWriter& out)
{
    if (const Status g = gate(false); g != Status::Ok) {
        return g;
    }
    if (a.p1 != 0x00 || a.p2 != 0x02) {
        return Status::BadP1P2; // P2 01 (ED) is out of scope: 6A86
    }
    if (!a.data.empty()) {
        return Status::WrongLength;
    }
    if (const Status s = expectLe(a, 4); s != Status::Ok) {
        return s;
    }
    out.put32(m_purse.balance);
    return Status::Ok;
}

Status CardOs::cmdInitialize(const Apdu& a, ResponseWriter& out)
{
    if (const Status g = gate(false); g != Status::Ok) {
        return g;
    }
    if ((a.p1 != 0x00 && a.p1 != 0x01) || a.p2 != 0x02) {
        return Status::BadP1P2;
    }
    const bool load = a.p1 == 0x00;
    if (a.data.size() != 11) {
        return Status::WrongLength;
    }
    if (const Status s = expectLe(a, load ? 16 : 15); s != Status::Ok) {
        return s;
    }
    // Any INITIALIZE replaces the previous session.
    endSession();
    const std::uint8_t keyIndex = a.data[0];
    const std::uint32_t amount = be32(a.data.data() + 1);
    if (amount == 0) {
        return Status::BadData; // spec §4 Decision 2026-12: every load and purchase moves money and spends an ATC
    }
    const KeySlot* key = keyIndex == 0 ? nullptr : findKey(load ? KeyType::Dlk : KeyType::Dpk, keyIndex);
    if (load) {
        if ((m_config.policy & kPolicyLoadNeedsPin) != 0 && m_pinVerified != Verdict::Granted) {
            return Status::SecurityNotSatisfied;
        }
        if (key == nullptr) {
            return Status::UnknownKeyIndex;
        }
        if (m_purse.onlineAtc == 0xFFFF) {
            return Status::AtcExhausted;
        }
        const std::uint64_t after = static_cast<std::uint64_t>(m_purse.balance) + amount;
        if (after > m_config.maxBalance) {
            return Status::ConditionsNotSatisfied;
        }
    } else {
        if ((m_config.policy & kPolicyPurchaseNeedsPin) != 0 && amount > m_config.noPinLimit
            && m_pinVerified != Verdict::Granted) {
            return Status::SecurityNotSatisfied;
        }
        if (key == nullptr) {
            return Status::UnknownKeyIndex;
        }
        if (m_purse.offlineAtc == 0xFFFF) {
            return Status::AtcExhausted;
        }
        if (m_purse.balance < amount) {
            return Status::InsufficientBalance;
        }
    }
    Session& s = m_session;
    if (!m_platform.rng.fill(s.random)) {
        return Status::NvmFailure;
    }
    s.keySlot = static_cast<std::uint8_t>(key - m_keys.data());
    s.amount = amount;
    copyBytes(s.terminal.data(), a.data.data() + 5, 6);
    s.atc = load ? m_purse.onlineAtc : m_purse.offlineAtc;
    out.put32(m_purse.balance);
    out.put16(s.atc);
    if (load) {
        std::array<std::uint8_t, 8> seed{};
        copyBytes(seed.data(), s.random.data(), 4);
        putBe16(seed.data() + 4, s.atc);
        seed[6] = 0x80;
        seed[7] = 0x00;
        std::array<std::uint8_t, 15> macIn{};
        putBe32(macIn.data(), m_purse.balance);
        putBe32(macIn.data() + 4, amount);
        macIn[8] = kTypeLoad;
        copyBytes(macIn.data() + 9, s.terminal.data(), 6);
        std::array<std::uint8_t, 4> mac1{};
        if (!m_crypto.sessionKey(key->alg, key->key, seed, s.sessionKey)
            || !m_crypto.transactionMac(key->alg, s.sessionKey, macIn, mac1)) {
            out.reset();
            return Status::NvmFailure;
        }
        out.put(key->version);
        out.put(key->alg);
        out.put(s.random);
        out.put(mac1);
        s.type = SessionType::Load;
    } else {
        const std::uint8_t overdraw[] = {0, 0, 0};
        out.put(overdraw);
        out.put(key->version);
        out.put(key->alg);
        out.put(s.random);
        s.type = SessionType::Purchase;
    }
    return Status::Ok;
}

const CardOs::KeySlot* CardOs::findTacKey(std::uint8_t index) const
{
    // The DTK with the transaction key's index, else DTK 00.
    const KeySlot* dtk = findKey(KeyType::Dtk, index);
    if (dtk == nullptr) {
        dtk = findKey(KeyType::Dtk, 0);
    }
    return dtk;
}

Status CardOs::commitTransaction(
    Purse next, std::uint16_t atc, std::span<const std::uint8_t, 18> macIn, std::uint8_t proofId, const Proof& proof)
{
    // Record: N ‖ 000000 ‖ amount ‖ type ‖ terminal ‖ date ‖ time.
    std::array<std::uint8_t, kRecordSize> rec{};
    putBe16(rec.data(), atc);
    copyBytes(rec.data() + 5, macIn.data(), 18);
    next.logHead = next.logCount == 0 ? 0 : static_cast<std::uint8_t>((next.logHead + 1) % m_config.capacity);
    next.logCount = static_cast<std::uint8_t>(next.logCount < m_config.capacity ? next.logCount + 1 : next.logCount);
    // Balance, ATC, record and proof: one journal entry, so together or not at all.
    JournalBatch b;
    addPurse(b, next);
    b.add(static_cast<std::uint8_t>(kRecordBase + next.logHead), rec);
    addProof(b, proofId, proof);
    // commit() adds the MAC-failure reset that the good MAC earned: the same entry, so together or not at all.
    if (const Status c = commit(b); c != Status::Ok) {
        return c;
    }
    m_purse = next;
    (proofId == kLoadProof ? m_loadProof : m_purchaseProof) = proof;
    return Status::Ok;
}

Status CardOs::cmdCredit(const Apdu& a, ResponseWriter& out)
{
    // The completion ends the session whatever its outcome (Decision 10): work on a copy whose session key is wiped
    // on every exit path (KeyBuffer's destructor).
    const Session s = m_session;
    endSession();
    if (const Status g = gate(false); g != Status::Ok) {
        return g;
    }
    if (a.p1 != 0x00 || a.p2 != 0x00) {
        return Status::BadP1P2;
    }
    if (a.data.size() != 11) {
        return Status::WrongLength;
    }
    if (const Status st = expectLe(a, 4); st != Status::Ok) {
        return st;
    }
    if (s.type != SessionType::Load) {
        return Status::NoSession;
    }
    const KeySlot& dlk = m_keys[s.keySlot];
    const std::span<const std::uint8_t> dateTime = a.data.first(7);
    // MAC2 = MAC(SESLK, amount ‖ 02 ‖ terminal ‖ date ‖ time).
    std::array<std::uint8_t, 18> macIn{};
    putBe32(macIn.data(), s.amount);
    macIn[4] = kTypeLoad;
    copyBytes(macIn.data() + 5, s.terminal.data(), 6);
    copyBytes(macIn.data() + 11, dateTime.data(), 7);
    // The try is spent in NVM before the comparison (spec §4 Decision 2026-12).
    if (const Status st = spendTry(TryCounter::TransactionMac); st != Status::Ok) {
        return st;
    }
    Wiped<4> mac2;
    if (!m_crypto.transactionMac(dlk.alg, s.sessionKey, macIn, mac2)) {
        return Status::NvmFailure;
    }
    if (ctEqual(mac2, a.data.subspan(7, 4)) != Verdict::Granted) {
        return tryFailed(TryCounter::TransactionMac, Status::TxMacWrong);
    }
    tryGood(TryCounter::TransactionMac);
    const std::uint64_t after64 = static_cast<std::uint64_t>(m_purse.balance) + s.amount;
    if (after64 > m_config.maxBalance) {
        return Status::ConditionsNotSatisfied;
    }
    const std::uint32_t after = static_cast<std::uint32_t>(after64);
    // TAC over balance_after ‖ N ‖ amount ‖ 02 ‖ terminal ‖ date ‖ time.
    const KeySlot* dtk = findTacKey(dlk.index);
    if (dtk == nullptr) {
        return Status::ConditionsNotSatisfied;
    }
    std::array<std::uint8_t, 24> tacIn{};
    putBe32(tacIn.data(), after);
    putBe16(tacIn.data() + 4, s.atc);
    copyBytes(tacIn.data() + 6, macIn.data(), 18);
    Proof proof{};
    if (!m_crypto.tac(dtk->alg, dtk->key, tacIn, proof.tac)) {
        return Status::NvmFailure;
    }
    proof.valid = 1;
    proof.atc = static_cast<std::uint16_t>(s.atc + 1);
    Purse next = m_purse;
    next.balance = after;
    next.onlineAtc = proof.atc;
    if (const Status c = commitTransaction(next, s.atc, macIn, kLoadProof, proof); c != Status::Ok) {
        return c;
    }
    out.put(proof.tac);
    return Status::Ok;
}

Status CardOs::cmdDebit(const Apdu& a, ResponseWriter& out)
{
    // As CREDIT: the completion ends the session whatever its outcome; the copy's key is wiped on every exit.
    Session s = m_session;
    endSession();
    if (const Status g = gate(false); g != Status::Ok) {
        return g;
    }
    if (a.p1 != 0x01 || a.p2 != 0x00) {
        return Status::BadP1P2;
    }
    if (a.data.size() != 15) {
        return Status::WrongLength;
    }
    if (const Status st = expectLe(a, 8); st != Status::Ok) {
        return st;
    }
    if (s.type != SessionType::Purchase) {
        return Status::NoSession;
    }
    const KeySlot& dpk = m_keys[s.keySlot];
    const std::uint8_t* tsn = a.data.data();
    const std::span<const std::uint8_t> dateTime = a.data.subspan(4, 7);
    // SESPK = 3DES(DPK, rnd ‖ offline ATC ‖ TSN[2..3]).
    std::array<std::uint8_t, 8> seed{};
    copyBytes(seed.data(), s.random.data(), 4);
    putBe16(seed.data() + 4, s.atc);
    seed[6] = tsn[2];
    seed[7] = tsn[3];
    if (!m_crypto.sessionKey(dpk.alg, dpk.key, seed, s.sessionKey)) {
        return Status::NvmFailure;
    }
    // MAC1 = MAC(SESPK, amount ‖ 06 ‖ terminal ‖ date ‖ time).
    std::array<std::uint8_t, 18> macIn{};
    putBe32(macIn.data(), s.amount);
    macIn[4] = kTypePurchase;
    copyBytes(macIn.data() + 5, s.terminal.data(), 6);
    copyBytes(macIn.data() + 11, dateTime.data(), 7);
    // The try is spent in NVM before the comparison (spec §4 Decision 2026-12).
    if (const Status st = spendTry(TryCounter::TransactionMac); st != Status::Ok) {
        return st;
    }
    Wiped<4> mac1;
    if (!m_crypto.transactionMac(dpk.alg, s.sessionKey, macIn, mac1)) {
        return Status::NvmFailure;
    }
    if (ctEqual(mac1, a.data.subspan(11, 4)) != Verdict::Granted) {
        return tryFailed(TryCounter::TransactionMac, Status::TxMacWrong);
    }
    tryGood(TryCounter::TransactionMac);
    if (m_purse.balance < s.amount) {
        return Status::InsufficientBalance;
    }
    if ((m_config.policy & kPolicyPurchaseNeedsTouch) != 0) {
        // Project extension (policy bit 3): the cardholder confirms on the key before any state change.
        const hal::PresenceResult touch = m_platform.presence.waitForTouch(kTouchTimeoutMs);
        if (touch != hal::PresenceResult::Confirmed) {
            return touch == hal::PresenceResult::Cancelled ? Status::Cancelled : Status::TouchRefused;
        }
    }
    const KeySlot* dtk = findTacKey(dpk.index);
    if (dtk == nullptr) {
        return Status::ConditionsNotSatisfied;
    }
    Proof proof{};
    // MAC2 = MAC(SESPK, amount); TAC = MAC(DTK fold, amount ‖ 06 ‖ terminal ‖ TSN ‖ date ‖ time).
    std::array<std::uint8_t, 22> tacIn{};
    copyBytes(tacIn.data(), macIn.data(), 11);
    copyBytes(tacIn.data() + 11, tsn, 4);
    copyBytes(tacIn.data() + 15, dateTime.data(), 7);
    if (!m_crypto.transactionMac(dpk.alg, s.sessionKey, std::span<const std::uint8_t>(macIn.data(), 4), proof.mac)
        || !m_crypto.tac(dtk->alg, dtk->key, tacIn, proof.tac)) {
        return Status::NvmFailure;
    }
    proof.valid = 1;
    proof.atc = static_cast<std::uint16_t>(s.atc + 1);
    Purse next = m_purse;
    next.balance = m_purse.balance - s.amount;
    next.offlineAtc = proof.atc;
    if (const Status c = commitTransaction(next, s.atc, macIn, kPurchaseProof, proof); c != Status::Ok) {
        return c;
    }
    out.put(proof.tac); // TAC first (spec §4)
    out.put(proof.mac);
    return Status::Ok;
}

Status CardOs::cmdGetProve(const Apdu& a, ResponseWriter& out)
{
    if (const Status g = gate(false); g != Status::Ok) {
        return g;
    }
    if (a.p1 != 0x00 || (a.p2 != kTypeLoad && a.p2 != kTypePurchase)) {
        return Status::BadP1P2;
    }
    if (a.data.size() != 2) {
        return Status::WrongLength;
    }
    if (const Status s = expectLe(a, 8); s != Status::Ok) {
        return s;
    }
    const Proof& p = a.p2 == kTypeLoad ? m_loadProof : m_purchaseProof;
    const std::uint16_t atc = be16(a.data.data());
    // The current ATC (N+1) is the de-facto value; the old value N is accepted too (spec §4 Decision).
    if (p.valid != 1 || (atc != p.atc && atc != static_cast<std::uint16_t>(p.atc - 1))) {
        return Status::NoProof;
    }
    out.put(p.mac);
    out.put(p.tac);
    return Status::Ok;
}

} // namespace skey
