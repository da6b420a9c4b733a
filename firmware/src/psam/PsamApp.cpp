// SPDX-License-Identifier: Apache-2.0
// The PSAM card application (docs/psam.md). Check order as the purse's (docs/firmware.md Decision 2): CLA → INS →
// life cycle → P1/P2 → Lc/Le → security → processing. Every state change is one journal commit; nothing that leaves
// the card (a TSN with its MAC1, the 9000 of a MAC2) leaves before its commit.
#include "psam/PsamApp.h"

namespace skey::psam {
namespace {

// Journal items of the PSAM (docs/psam.md "Storage"); ids nobody else uses (docs/piv.md, CardOsItems.h).
constexpr std::uint8_t kStateItem = 135;
constexpr std::uint8_t kKeysItem = 136;
constexpr std::array<std::uint8_t, kRecordItems> kRecordItemIds{137, 138, 139, 146, 147, 148, 149, 156, 157, 158, 159};

constexpr std::uint8_t kKeyTypePurchaseMaster = 0x27; ///< WRITE KEY P2 (the purse's DPK type: here its master)
constexpr std::uint8_t kTypePurchase = 0x06;
constexpr std::size_t kInitDataBytes
    = 29; ///< rnd 4 ‖ ATC 2 ‖ amount 4 ‖ type 1 ‖ date 4 ‖ time 3 ‖ ki ‖ kv ‖ alg ‖ ASN 8
constexpr std::size_t kStatusBytes = 17; ///< life cycle ‖ terminal ID 6 ‖ next TSN 4 ‖ capacity 1 ‖ used bitmap 5

// Record layout (40 bytes).
constexpr std::size_t kRecFlags = 0; ///< bits 0-1 state, bits 4-5 MAC2 failures, bit 7 SM4
constexpr std::size_t kRecTsn = 1;
constexpr std::size_t kRecAsn = 5;
constexpr std::size_t kRecKeyIndex = 13;
constexpr std::size_t kRecKeyVersion = 14;
constexpr std::size_t kRecAtc = 15;
constexpr std::size_t kRecAmount = 17;
constexpr std::size_t kRecRandom = 21;
constexpr std::size_t kRecDate = 25;
constexpr std::size_t kRecTime = 29;
constexpr std::size_t kRecTac = 32;
constexpr std::size_t kRecMac2 = 36;

std::uint8_t stateOf(const std::uint8_t* rec)
{
    return rec[kRecFlags] & 0x03;
}
std::uint8_t failuresOf(const std::uint8_t* rec)
{
    return (rec[kRecFlags] >> 4) & 0x03;
}
std::uint8_t algOf(const std::uint8_t* rec)
{
    return (rec[kRecFlags] & 0x80) != 0 ? kAlgSm4 : kAlg3Des;
}
void setFlags(std::uint8_t* rec, std::uint8_t state, std::uint8_t failures, std::uint8_t alg)
{
    rec[kRecFlags] = static_cast<std::uint8_t>(state | (failures << 4) | (alg == kAlgSm4 ? 0x80 : 0x00));
}

} // namespace

bool isPsamAid(std::span<const std::uint8_t> aid)
{
    if (aid.size() != kAid.size()) {
        return false;
    }
    for (std::size_t i = 0; i < kAid.size(); ++i) {
        if (aid[i] != kAid[i]) {
            return false;
        }
    }
    return true;
}

PsamApp::PsamApp(hal::Platform& platform,
    Journal& journal,
    PbocCrypto& crypto,
    const std::array<std::uint8_t, 16>& transportKey,
    const bool& hasTransportKey)
    : m_platform(platform)
    , m_journal(journal)
    , m_crypto(crypto)
    , m_transportKey(transportKey)
    , m_hasTransportKey(hasTransportKey)
{ }

void PsamApp::resetVolatile()
{
    secureZero(m_challenge);
    m_challengeLength = 0;
}

Status PsamApp::commit(const JournalBatch& b)
{
    return m_journal.commit(b) == StoreStatus::Ok ? Status::Ok : Status::NvmFailure;
}

// --- persistence -------------------------------------------------------------------------------------------------

Status PsamApp::loadState(State& st)
{
    std::array<std::uint8_t, kMaxItemSize> buf{};
    std::size_t n = 0;
    if (m_journal.read(kStateItem, buf, n) != StoreStatus::Ok) {
        return Status::NvmFailure;
    }
    st = State{};
    if (n == 0) {
        return Status::Ok; // never personalised: BLANK, TSN 1
    }
    if (n != kStateBytes) {
        return Status::NvmFailure;
    }
    st.lifeCycle = buf[0];
    copyBytes(st.terminalId.data(), buf.data() + 1, 6);
    st.nextTsn = be32(buf.data() + 7);
    st.smFailures = buf[11];
    return Status::Ok;
}

void PsamApp::addState(JournalBatch& b, const State& st) const
{
    std::array<std::uint8_t, kStateBytes> v{};
    v[0] = st.lifeCycle;
    copyBytes(v.data() + 1, st.terminalId.data(), 6);
    putBe32(v.data() + 7, st.nextTsn);
    v[11] = st.smFailures;
    b.add(kStateItem, v);
}

Status PsamApp::loadKeys(std::span<std::uint8_t, kKeySlots * kKeySlotBytes> keys)
{
    Wiped<kMaxItemSize> buf;
    std::size_t n = 0;
    if (m_journal.read(kKeysItem, buf, n) != StoreStatus::Ok) {
        return Status::NvmFailure;
    }
    secureZero(keys);
    if (n == 0) {
        return Status::Ok;
    }
    if (n != keys.size()) {
        return Status::NvmFailure;
    }
    copyBytes(keys.data(), buf.data(), keys.size());
    return Status::Ok;
}

Status PsamApp::loadRecordItem(std::size_t item, std::span<std::uint8_t, kRecordsPerItem * kRecordBytes> out)
{
    std::array<std::uint8_t, kMaxItemSize> buf{};
    std::size_t n = 0;
    if (m_journal.read(kRecordItemIds[item], buf, n) != StoreStatus::Ok) {
        return Status::NvmFailure;
    }
    for (auto& b : out) {
        b = 0;
    }
    if (n == 0) {
        return Status::Ok; // all three slots free
    }
    if (n != out.size()) {
        return Status::NvmFailure;
    }
    copyBytes(out.data(), buf.data(), out.size());
    return Status::Ok;
}

Status PsamApp::findRecord(std::uint32_t tsn, std::size_t& slot)
{
    slot = kCapacity;
    std::array<std::uint8_t, kRecordsPerItem * kRecordBytes> item{};
    for (std::size_t i = 0; i < kRecordItems; ++i) {
        if (const Status s = loadRecordItem(i, item); s != Status::Ok) {
            return s;
        }
        for (std::size_t r = 0; r < kRecordsPerItem; ++r) {
            const std::uint8_t* rec = item.data() + r * kRecordBytes;
            if (stateOf(rec) != kFree && be32(rec + kRecTsn) == tsn) {
                slot = i * kRecordsPerItem + r;
                return Status::Ok;
            }
        }
    }
    return Status::Ok;
}

Status PsamApp::sessionKeyOf(std::span<const std::uint8_t, kRecordBytes> rec, KeyBuffer& sespk)
{
    Wiped<kKeySlots * kKeySlotBytes> keys;
    if (const Status s = loadKeys(keys); s != Status::Ok) {
        return s;
    }
    const std::uint8_t alg = algOf(rec.data());
    const std::uint8_t* key = nullptr;
    for (std::size_t i = 0; i < kKeySlots; ++i) {
        const std::uint8_t* k = keys.data() + i * kKeySlotBytes;
        if (k[0] != 0 && k[0] == rec[kRecKeyIndex] && k[1] == rec[kRecKeyVersion] && k[2] == alg) {
            key = k + 3;
        }
    }
    if (key == nullptr) {
        return Status::UnknownKeyIndex;
    }
    Wiped<16> dpk;
    if (!m_crypto.diversify(alg, std::span<const std::uint8_t, 16>(key, 16), rec.subspan<kRecAsn, 8>(), dpk)) {
        return Status::NvmFailure;
    }
    std::array<std::uint8_t, 8> seed{};
    copyBytes(seed.data(), rec.data() + kRecRandom, 4);
    copyBytes(seed.data() + 4, rec.data() + kRecAtc, 2);
    copyBytes(seed.data() + 6, rec.data() + kRecTsn + 2, 2); // TSN[2..3] (spec §5.2)
    if (!m_crypto.sessionKey(alg, dpk, seed, sespk)) {
        return Status::NvmFailure;
    }
    return Status::Ok;
}

// --- dispatcher --------------------------------------------------------------------------------------------------

Status PsamApp::select(ResponseWriter& out)
{
    resetVolatile();
    State st;
    if (const Status s = loadState(st); s != Status::Ok) {
        return s;
    }
    out.put(0x6F);
    out.put(static_cast<std::uint8_t>(2 + kAid.size() + 5));
    out.put(0x84);
    out.put(static_cast<std::uint8_t>(kAid.size()));
    out.put(kAid);
    const std::uint8_t a5[] = {0xA5, 0x03, 0xC3, 0x01, st.lifeCycle};
    out.put(a5);
    return Status::Ok;
}

Status PsamApp::process(const Apdu& a, ResponseWriter& out)
{
    const Status s = dispatch(a, out);
    if (s != Status::Ok) {
        out.reset();
    }
    return s;
}

Status PsamApp::dispatch(const Apdu& a, ResponseWriter& out)
{
    struct Entry
    {
        std::uint8_t cla;
        std::uint8_t ins;
    };
    static constexpr Entry kKnown[] = {{0x00, 0x84},
        {0x84, 0xD4},
        {0x84, 0xDA},
        {0x84, 0xEA},
        {0x80, 0x70},
        {0x80, 0x72},
        {0x80, 0xB2},
        {0x80, 0xF2},
        {0x80, 0xF4}};
    if (a.cla != 0x00 && a.cla != 0x80 && a.cla != 0x84) {
        return Status::ClaNotSupported;
    }
    bool insKnown = false;
    bool match = false;
    for (const Entry& e : kKnown) {
        if (e.ins == a.ins) {
            insKnown = true;
            match = match || e.cla == a.cla;
        }
    }
    if (!insKnown) {
        return Status::InsNotSupported;
    }
    if (!match) {
        return Status::ClaNotSupported;
    }
    switch (a.ins) {
    case 0x84:
        return cmdGetChallenge(a, out);
    case 0xD4:
        return cmdWriteKey(a);
    case 0xDA:
        return cmdPutData(a);
    case 0xEA:
        return cmdEndPersonalization(a);
    case 0x70:
        return cmdInitPurchase(a, out);
    case 0x72:
        return cmdVerifyMac2(a);
    case 0xB2:
        return cmdReadRecord(a, out);
    case 0xF2:
        return cmdGetStatus(a, out);
    case 0xF4:
        return cmdRecordState(a);
    default:
        return Status::InsNotSupported;
    }
}

// --- personalisation ---------------------------------------------------------------------------------------------

Status PsamApp::cmdGetChallenge(const Apdu& a, ResponseWriter& out)
{
    if (a.p1 != 0 || a.p2 != 0) {
        return Status::BadP1P2;
    }
    if (!a.data.empty() || !a.hasLe || a.leIsMax || (a.ne != 4 && a.ne != 8)) {
        return Status::WrongLength;
    }
    m_challengeLength = 0;
    if (!m_platform.rng.fill(std::span<std::uint8_t>(m_challenge.data(), a.ne))) {
        return Status::NvmFailure;
    }
    m_challengeLength = static_cast<std::uint8_t>(a.ne);
    out.put(std::span<const std::uint8_t>(m_challenge.data(), a.ne));
    return Status::Ok;
}

Status PsamApp::checkPersonalizationMac(const Apdu& a, State& st)
{
    if (a.data.size() < 4 || a.data.size() > 255) {
        return Status::WrongLength;
    }
    if (m_challengeLength == 0) {
        return Status::NoChallenge;
    }
    std::array<std::uint8_t, 8> challenge{};
    const std::size_t challengeLength = m_challengeLength;
    copyBytes(challenge.data(), m_challenge.data(), challengeLength);
    resetVolatile(); // one challenge serves one command, whatever its outcome
    // spec §6a: the try is spent in NVM before the comparison; the fifteenth wrong MAC in a row ends the PSAM.
    const std::uint8_t lifeCycleBefore = st.lifeCycle;
    ++st.smFailures;
    if (st.smFailures >= kMaxSmFailures) {
        st.lifeCycle = kBlockedForGood;
    }
    {
        JournalBatch spend;
        addState(spend, st);
        if (const Status s = commit(spend); s != Status::Ok) {
            return s;
        }
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
    const bool ok = m_crypto.secureMessagingMac(kAlg3Des,
        m_transportKey,
        std::span<const std::uint8_t>(challenge.data(), challengeLength),
        std::span<const std::uint8_t>(input.data(), 5 + body),
        mac);
    if (!ok) {
        return Status::NvmFailure;
    }
    if (ctEqual(mac, a.data.last(4)) != Verdict::Granted) {
        return Status::SmMacWrong; // the spent try stands
    }
    st.smFailures = 0; // reset (and a tentative block undone) in the command's own commit
    st.lifeCycle = lifeCycleBefore;
    return Status::Ok;
}

namespace {
/// The personalisation commands' common gate: BLANK and the card's KT present (the purse not personalised yet).
Status personalizationGate(std::uint8_t lifeCycle, bool hasKt)
{
    if (lifeCycle == kBlockedForGood) {
        return Status::AppPermanentlyBlocked;
    }
    if (lifeCycle != kBlank || !hasKt) {
        return Status::ConditionsNotSatisfied;
    }
    return Status::Ok;
}
} // namespace

Status PsamApp::cmdWriteKey(const Apdu& a)
{
    State st;
    if (const Status s = loadState(st); s != Status::Ok) {
        return s;
    }
    if (const Status s = personalizationGate(st.lifeCycle, m_hasTransportKey); s != Status::Ok) {
        return s;
    }
    if (a.p1 != 0 || a.p2 != kKeyTypePurchaseMaster) {
        return Status::BadP1P2;
    }
    if (a.hasLe || a.data.size() != 4 + 24) {
        return Status::WrongLength;
    }
    if (const Status s = checkPersonalizationMac(a, st); s != Status::Ok) {
        return s;
    }
    // ENC = 3DES-ECB(KT, len 13 ‖ keyIndex ‖ keyVer ‖ algID ‖ key 16 ‖ 80 00 00 00 00), as the purse's WRITE KEY.
    Wiped<24> plain;
    if (!m_crypto.ecb(kAlg3Des, false, m_transportKey, a.data.first(24), plain)) {
        return Status::NvmFailure;
    }
    bool ok = plain[0] == 19 && plain[20] == 0x80 && plain[1] != 0 && (plain[3] == kAlg3Des || plain[3] == kAlgSm4);
    for (std::size_t i = 21; ok && i < 24; ++i) {
        ok = plain[i] == 0;
    }
    JournalBatch b;
    addState(b, st); // the SM try reset
    if (!ok) {
        const Status c = commit(b); // the good MAC's try reset still lands
        return c != Status::Ok ? c : Status::BadData;
    }
    Wiped<kKeySlots * kKeySlotBytes> keys;
    if (const Status s = loadKeys(keys); s != Status::Ok) {
        return s;
    }
    std::size_t slot = kKeySlots;
    for (std::size_t i = 0; i < kKeySlots; ++i) {
        const std::uint8_t* k = keys.data() + i * kKeySlotBytes;
        if (k[0] == plain[1] && k[1] == plain[2] && k[2] == plain[3]) {
            slot = i; // the same (index, version, algID) is replaced
            break;
        }
        if (k[0] == 0 && slot == kKeySlots) {
            slot = i;
        }
    }
    if (slot == kKeySlots) {
        const Status c = commit(b);
        return c != Status::Ok ? c : Status::NotEnoughMemory;
    }
    copyBytes(keys.data() + slot * kKeySlotBytes, plain.data() + 1, kKeySlotBytes);
    b.add(kKeysItem, keys);
    return commit(b);
}

Status PsamApp::cmdPutData(const Apdu& a)
{
    State st;
    if (const Status s = loadState(st); s != Status::Ok) {
        return s;
    }
    if (const Status s = personalizationGate(st.lifeCycle, m_hasTransportKey); s != Status::Ok) {
        return s;
    }
    if (a.p1 != 0 || (a.p2 != 0x01 && a.p2 != 0x02)) {
        return Status::BadP1P2;
    }
    const std::size_t valueBytes = a.p2 == 0x01 ? 6 : 4;
    if (a.hasLe || a.data.size() != valueBytes + 4) {
        return Status::WrongLength;
    }
    if (const Status s = checkPersonalizationMac(a, st); s != Status::Ok) {
        return s;
    }
    Status result = Status::Ok;
    if (a.p2 == 0x01) {
        copyBytes(st.terminalId.data(), a.data.data(), 6);
    } else if (be32(a.data.data()) == 0xFFFFFFFFu) {
        result = Status::BadData; // the last TSN value is never usable (INIT answers 9402 there)
    } else {
        st.nextTsn = be32(a.data.data());
    }
    JournalBatch b;
    addState(b, st);
    const Status c = commit(b);
    return c != Status::Ok ? c : result;
}

Status PsamApp::cmdEndPersonalization(const Apdu& a)
{
    State st;
    if (const Status s = loadState(st); s != Status::Ok) {
        return s;
    }
    if (const Status s = personalizationGate(st.lifeCycle, m_hasTransportKey); s != Status::Ok) {
        return s;
    }
    if (a.p1 != 0 || a.p2 != 0) {
        return Status::BadP1P2;
    }
    if (a.hasLe || a.data.size() != 4) {
        return Status::WrongLength;
    }
    if (const Status s = checkPersonalizationMac(a, st); s != Status::Ok) {
        return s;
    }
    Wiped<kKeySlots * kKeySlotBytes> keys;
    if (const Status s = loadKeys(keys); s != Status::Ok) {
        return s;
    }
    bool hasKey = false;
    for (std::size_t i = 0; i < kKeySlots; ++i) {
        hasKey = hasKey || keys[i * kKeySlotBytes] != 0;
    }
    bool hasTerminal = false;
    for (const std::uint8_t b : st.terminalId) {
        hasTerminal = hasTerminal || b != 0;
    }
    Status result = Status::Ok;
    if (hasKey && hasTerminal) {
        st.lifeCycle = kPersonalized;
    } else {
        result = Status::ConditionsNotSatisfied; // a master key and a terminal ID first
    }
    JournalBatch b;
    addState(b, st);
    const Status c = commit(b);
    return c != Status::Ok ? c : result;
}

// --- purchase ----------------------------------------------------------------------------------------------------

Status PsamApp::cmdInitPurchase(const Apdu& a, ResponseWriter& out)
{
    State st;
    if (const Status s = loadState(st); s != Status::Ok) {
        return s;
    }
    if (st.lifeCycle == kBlockedForGood) {
        return Status::AppPermanentlyBlocked;
    }
    if (st.lifeCycle != kPersonalized) {
        return Status::ConditionsNotSatisfied;
    }
    if (a.p1 != 0 || a.p2 != 0) {
        return Status::BadP1P2;
    }
    if (a.data.size() != kInitDataBytes || !a.hasLe || (!a.leIsMax && a.ne < 8)) {
        return Status::WrongLength;
    }
    const std::uint8_t* d = a.data.data();
    const std::uint32_t amount = be32(d + 6);
    const std::uint8_t type = d[10];
    const std::uint8_t keyIndex = d[18];
    const std::uint8_t keyVersion = d[19];
    const std::uint8_t alg = d[20];
    if (amount == 0 || type != kTypePurchase || (alg != kAlg3Des && alg != kAlgSm4)) {
        return Status::BadData;
    }
    if (st.nextTsn == 0xFFFFFFFFu) {
        return Status::AtcExhausted; // 9402: no TSN left, ever (no wrap)
    }
    // A free record slot, and the item that holds it.
    std::size_t freeSlot = kCapacity;
    std::array<std::uint8_t, kRecordsPerItem * kRecordBytes> item{};
    for (std::size_t i = 0; i < kRecordItems && freeSlot == kCapacity; ++i) {
        if (const Status s = loadRecordItem(i, item); s != Status::Ok) {
            return s;
        }
        for (std::size_t r = 0; r < kRecordsPerItem; ++r) {
            if (stateOf(item.data() + r * kRecordBytes) == kFree) {
                freeSlot = i * kRecordsPerItem + r;
                break;
            }
        }
    }
    if (freeSlot == kCapacity) {
        return Status::NotEnoughMemory; // 6A84: settle first
    }
    std::uint8_t* rec = item.data() + (freeSlot % kRecordsPerItem) * kRecordBytes;
    for (std::size_t i = 0; i < kRecordBytes; ++i) {
        rec[i] = 0;
    }
    setFlags(rec, kAuthorised, 0, alg);
    putBe32(rec + kRecTsn, st.nextTsn);
    copyBytes(rec + kRecAsn, d + 21, 8);
    rec[kRecKeyIndex] = keyIndex;
    rec[kRecKeyVersion] = keyVersion;
    copyBytes(rec + kRecAtc, d + 4, 2);
    putBe32(rec + kRecAmount, amount);
    copyBytes(rec + kRecRandom, d, 4);
    copyBytes(rec + kRecDate, d + 11, 4);
    copyBytes(rec + kRecTime, d + 15, 3);

    KeyBuffer sespk;
    if (const Status s = sessionKeyOf(std::span<const std::uint8_t, kRecordBytes>(rec, kRecordBytes), sespk);
        s != Status::Ok) {
        return s; // 9403: no master key with that (index, version, algID)
    }
    // MAC1 over amount 4 ‖ type 1 ‖ terminal 6 ‖ date 4 ‖ time 3 (spec §5.2).
    std::array<std::uint8_t, 18> macIn{};
    putBe32(macIn.data(), amount);
    macIn[4] = kTypePurchase;
    copyBytes(macIn.data() + 5, st.terminalId.data(), 6);
    copyBytes(macIn.data() + 11, d + 11, 7);
    std::array<std::uint8_t, 4> mac1{};
    if (!m_crypto.transactionMac(alg, sespk, macIn, mac1)) {
        return Status::NvmFailure;
    }
    // The TSN and the record reach NVM in one entry BEFORE MAC1 leaves: a TSN is never given twice, whatever the
    // power does (a lost answer leaves an authorised record the terminal abandons or confirms later).
    const std::uint32_t tsn = st.nextTsn;
    st.nextTsn = tsn + 1;
    JournalBatch b;
    addState(b, st);
    b.add(kRecordItemIds[freeSlot / kRecordsPerItem], item);
    if (const Status s = commit(b); s != Status::Ok) {
        return s;
    }
    out.put32(tsn);
    out.put(mac1);
    return Status::Ok;
}

Status PsamApp::cmdVerifyMac2(const Apdu& a)
{
    State st;
    if (const Status s = loadState(st); s != Status::Ok) {
        return s;
    }
    if (st.lifeCycle == kBlockedForGood) {
        return Status::AppPermanentlyBlocked;
    }
    if (st.lifeCycle != kPersonalized) {
        return Status::ConditionsNotSatisfied;
    }
    if (a.p1 != 0 || a.p2 != 0) {
        return Status::BadP1P2;
    }
    if (a.data.size() != 12 || a.hasLe) {
        return Status::WrongLength;
    }
    const std::uint32_t tsn = be32(a.data.data());
    std::size_t slot = kCapacity;
    if (const Status s = findRecord(tsn, slot); s != Status::Ok) {
        return s;
    }
    if (slot == kCapacity) {
        return Status::RecordNotFound; // 6A83: no such TSN (never given, or settled and cleared)
    }
    std::array<std::uint8_t, kRecordsPerItem * kRecordBytes> item{};
    if (const Status s = loadRecordItem(slot / kRecordsPerItem, item); s != Status::Ok) {
        return s;
    }
    std::uint8_t* rec = item.data() + (slot % kRecordsPerItem) * kRecordBytes;
    const std::uint8_t state = stateOf(rec);
    if (state == kSetAside) {
        return Status::ConditionsNotSatisfied;
    }
    if (state == kAuthorised && failuresOf(rec) >= kMaxMac2Failures) {
        return Status::PinBlocked; // 6983: this purchase can only be abandoned (or settled by a person)
    }
    KeyBuffer sespk;
    if (const Status s = sessionKeyOf(std::span<const std::uint8_t, kRecordBytes>(rec, kRecordBytes), sespk);
        s != Status::Ok) {
        return s;
    }
    const std::uint8_t itemId = kRecordItemIds[slot / kRecordsPerItem];
    const std::uint8_t alg = algOf(rec);
    const std::uint8_t failures = failuresOf(rec);
    if (state == kAuthorised) {
        // The try is spent in NVM before the comparison (as the purse's MAC counters), so a power cut during the
        // comparison never yields a free guess at MAC2.
        setFlags(rec, kAuthorised, static_cast<std::uint8_t>(failures + 1), alg);
        JournalBatch spend;
        spend.add(itemId, item);
        if (const Status s = commit(spend); s != Status::Ok) {
            return s;
        }
    }
    std::array<std::uint8_t, 4> expected{};
    std::array<std::uint8_t, 4> amount{};
    copyBytes(amount.data(), rec + kRecAmount, 4);
    if (!m_crypto.transactionMac(alg, sespk, amount, expected)) {
        return Status::NvmFailure;
    }
    const Verdict good = ctEqual(expected, a.data.subspan(4, 4));
    if (good != Verdict::Granted) {
        return Status::TxMacWrong; // 9302: the record stays authorised with the try spent
    }
    if (state == kConfirmed) {
        return Status::Ok; // idempotent: the first TAC stays
    }
    setFlags(rec, kConfirmed, 0, alg);
    copyBytes(rec + kRecMac2, a.data.data() + 4, 4);
    copyBytes(rec + kRecTac, a.data.data() + 8, 4);
    JournalBatch b;
    b.add(itemId, item);
    return commit(b); // 9000 only after the confirmed record is in NVM
}

// --- settlement --------------------------------------------------------------------------------------------------

Status PsamApp::cmdReadRecord(const Apdu& a, ResponseWriter& out)
{
    if (a.p1 == 0 || a.p1 > kCapacity || a.p2 != 0) {
        return Status::BadP1P2;
    }
    if (!a.data.empty() || !a.hasLe || (!a.leIsMax && a.ne < kRecordBytes)) {
        return Status::WrongLength;
    }
    const std::size_t slot = a.p1 - 1U;
    std::array<std::uint8_t, kRecordsPerItem * kRecordBytes> item{};
    if (const Status s = loadRecordItem(slot / kRecordsPerItem, item); s != Status::Ok) {
        return s;
    }
    const std::uint8_t* rec = item.data() + (slot % kRecordsPerItem) * kRecordBytes;
    if (stateOf(rec) == kFree) {
        return Status::RecordNotFound;
    }
    out.put(std::span<const std::uint8_t>(rec, kRecordBytes));
    return Status::Ok;
}

Status PsamApp::cmdGetStatus(const Apdu& a, ResponseWriter& out)
{
    if (a.p1 != 0 || a.p2 != 0) {
        return Status::BadP1P2;
    }
    if (!a.data.empty() || !a.hasLe || (!a.leIsMax && a.ne < kStatusBytes)) {
        return Status::WrongLength;
    }
    State st;
    if (const Status s = loadState(st); s != Status::Ok) {
        return s;
    }
    std::array<std::uint8_t, 5> used{};
    std::array<std::uint8_t, kRecordsPerItem * kRecordBytes> item{};
    for (std::size_t i = 0; i < kRecordItems; ++i) {
        if (const Status s = loadRecordItem(i, item); s != Status::Ok) {
            return s;
        }
        for (std::size_t r = 0; r < kRecordsPerItem; ++r) {
            const std::size_t slot = i * kRecordsPerItem + r;
            if (stateOf(item.data() + r * kRecordBytes) != kFree) {
                used[slot / 8] = static_cast<std::uint8_t>(used[slot / 8] | (0x80 >> (slot % 8)));
            }
        }
    }
    out.put(st.lifeCycle);
    out.put(st.terminalId);
    out.put32(st.nextTsn);
    out.put(static_cast<std::uint8_t>(kCapacity));
    out.put(used);
    return Status::Ok;
}

Status PsamApp::cmdRecordState(const Apdu& a)
{
    State st;
    if (const Status s = loadState(st); s != Status::Ok) {
        return s;
    }
    if (st.lifeCycle != kPersonalized) {
        return st.lifeCycle == kBlockedForGood ? Status::AppPermanentlyBlocked : Status::ConditionsNotSatisfied;
    }
    // P1 01: settled (a confirmed or set-aside purchase is cleared); 02: abandoned (an authorised one is cleared);
    // 03: set aside (a confirmed one stays, out of settlement).
    if (a.p1 < 0x01 || a.p1 > 0x03 || a.p2 != 0) {
        return Status::BadP1P2;
    }
    if (a.data.size() != 4 || a.hasLe) {
        return Status::WrongLength;
    }
    std::size_t slot = kCapacity;
    if (const Status s = findRecord(be32(a.data.data()), slot); s != Status::Ok) {
        return s;
    }
    if (slot == kCapacity) {
        return Status::RecordNotFound;
    }
    std::array<std::uint8_t, kRecordsPerItem * kRecordBytes> item{};
    if (const Status s = loadRecordItem(slot / kRecordsPerItem, item); s != Status::Ok) {
        return s;
    }
    std::uint8_t* rec = item.data() + (slot % kRecordsPerItem) * kRecordBytes;
    const std::uint8_t state = stateOf(rec);
    const bool allowed = (a.p1 == 0x01 && (state == kConfirmed || state == kSetAside))
        || (a.p1 == 0x02 && state == kAuthorised) || (a.p1 == 0x03 && state == kConfirmed);
    if (!allowed) {
        return Status::ConditionsNotSatisfied;
    }
    if (a.p1 == 0x03) {
        setFlags(rec, kSetAside, 0, algOf(rec));
    } else {
        for (std::size_t i = 0; i < kRecordBytes; ++i) {
            rec[i] = 0;
        }
    }
    JournalBatch b;
    b.add(kRecordItemIds[slot / kRecordsPerItem], item);
    return commit(b);
}

} // namespace skey::psam
