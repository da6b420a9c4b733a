// SPDX-License-Identifier: Apache-2.0
// PIV application (NIST SP 800-73-4 Part 2 §3; cited as "73-4 §n"). docs/piv.md lists the decisions and gaps.
#include "PivApp.h"

#include "skey/Version.h"

namespace skey::piv {
namespace {

// Journal items of PIV (the purse uses 0..115 and 140..155; docs/piv.md "Storage").
constexpr std::uint8_t kItemPin = 116; ///< max tries 1 ‖ PIN 8 (FF-padded)
constexpr std::uint8_t kItemPinTries = 117; ///< tries left 1
constexpr std::uint8_t kItemPuk = 118; ///< max tries 1 ‖ PUK 8
constexpr std::uint8_t kItemPukTries = 119;
constexpr std::uint8_t kItemMgmtKey = 120; ///< alg 1 (03 = 3-key TDES) ‖ key 24
constexpr std::uint8_t kItemKeyBase = 121; ///< 121..124: slots 9A 9C 9D 9E: alg 1 ‖ PIN policy 1 ‖ touch 1 ‖ scalar
constexpr std::uint8_t kItemDirBase = 125; ///< 125..134: object directories
constexpr std::size_t kChunkFirst = 160; ///< 160..255: the chunk pool
constexpr std::size_t kChunkLast = 255;
constexpr std::size_t kMaxChunksPerObject = (kMaxObjectBytes + kChunkBytes - 1) / kChunkBytes;
constexpr std::size_t kDirHeader = 6; ///< length 2 ‖ CRC-32 4
static_assert(kDirHeader + kMaxChunksPerObject <= kMaxItemSize, "a directory item lists every chunk of an object");
static_assert(2 * (2 + kChunkBytes) <= kMaxBatchBody, "two chunks fit one journal entry");
static_assert(kItemDirBase + kObjectCount <= 140, "PIV items stay below the purse's 140..155");

constexpr std::uint8_t kAlgTdes = 0x03;
constexpr std::uint8_t kAlgP256 = 0x11;
constexpr std::uint8_t kAlgP384 = 0x14;
constexpr std::uint8_t kAlgSm2 = 0x54; ///< vendor value, as CanoKey's PIV applet uses it (docs/piv.md)
constexpr std::uint8_t kPolicyNever = 1;
constexpr std::uint8_t kPolicyOnce = 2;
constexpr std::uint8_t kPolicyAlways = 3;
/// Touch policies (Yubico's GENERATE tag AB): 1 never, 2 always, 3 cached. The token has no clock for Yubico's
/// 15-second cache, so "cached" asks for the touch every time, like "always" (docs/piv.md, Decisions).
constexpr std::uint8_t kTouchNever = 1;
constexpr std::uint8_t kTouchCached = 3;
/// How long a signature or ECDH waits for the touch (the purse's DEBIT waits as long, CardOs.h kTouchTimeoutMs).
constexpr std::uint32_t kPivTouchTimeoutMs = 30000;

/// Development defaults (the values every PIV tool assumes on a new token; the bank replaces them at issuance).
constexpr std::array<std::uint8_t, 8> kDefaultPin{'1', '2', '3', '4', '5', '6', 0xFF, 0xFF};
constexpr std::array<std::uint8_t, 8> kDefaultPuk{'1', '2', '3', '4', '5', '6', '7', '8'};
constexpr std::array<std::uint8_t, 24> kDefaultMgmtKey{
    1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};

/// Data objects (73-4 Part 1 Table 3): tag → directory item. Index 2..5 are the certificates of 9A 9C 9D 9E.
struct ObjectInfo
{
    std::uint32_t tag;
    bool readNeedsPin;
};
constexpr ObjectInfo kObjects[kObjectCount] = {
    {0x5FC102, false}, // 0 CHUID
    {0x5FC107, false}, // 1 CCC
    {0x5FC105, false}, // 2 X.509 certificate for PIV authentication (9A)
    {0x5FC10A, false}, // 3 certificate for digital signature (9C)
    {0x5FC10B, false}, // 4 certificate for key management (9D)
    {0x5FC101, false}, // 5 certificate for card authentication (9E)
    {0x5FC106, false}, // 6 security object
    {0x5FC109, true}, // 7 printed information (PIN to read, 73-4 Part 1 Table 3)
    {0x5FC10C, false}, // 8 key history
    {0x5FFF00, false}, // 9 Yubico administrative data (yubico-piv-tool keeps its flags there)
};
constexpr std::uint8_t kSlotRefs[kKeySlotCount] = {0x9A, 0x9C, 0x9D, 0x9E};
constexpr std::uint8_t kSlotDefaultPolicy[kKeySlotCount] = {kPolicyOnce, kPolicyAlways, kPolicyOnce, kPolicyNever};
constexpr std::size_t kSlotCertObject[kKeySlotCount] = {2, 3, 4, 5};

bool curveOf(std::uint8_t alg, hal::EcCurve& curve)
{
    switch (alg) {
    case kAlgP256:
        curve = hal::EcCurve::P256;
        return true;
    case kAlgP384:
        curve = hal::EcCurve::P384;
        return true;
    case kAlgSm2:
        curve = hal::EcCurve::Sm2;
        return true;
    default:
        return false;
    }
}

/// One BER-TLV (tags of 1..3 bytes, lengths up to 82 xx xx) from `data` at `pos`; false when malformed.
bool nextTlv(
    std::span<const std::uint8_t> data, std::size_t& pos, std::uint32_t& tag, std::span<const std::uint8_t>& value)
{
    if (pos >= data.size()) {
        return false;
    }
    tag = data[pos++];
    if ((tag & 0x1F) == 0x1F) {
        for (int i = 0; i < 2; ++i) {
            if (pos >= data.size()) {
                return false;
            }
            const std::uint8_t b = data[pos++];
            tag = (tag << 8) | b;
            if ((b & 0x80) == 0) {
                break;
            }
        }
    }
    if (pos >= data.size()) {
        return false;
    }
    std::size_t len = data[pos++];
    if (len == 0x81 || len == 0x82) {
        const std::size_t n = len == 0x81 ? 1 : 2;
        if (pos + n > data.size()) {
            return false;
        }
        len = n == 1 ? data[pos] : be16(&data[pos]);
        pos += n;
    } else if (len > 0x80) {
        return false;
    }
    if (len > data.size() - pos) {
        return false;
    }
    value = data.subspan(pos, len);
    pos += len;
    return true;
}

void putLength(ResponseWriter& out, std::size_t n)
{
    if (n < 0x80) {
        out.put(static_cast<std::uint8_t>(n));
    } else if (n < 0x100) {
        out.put(0x81);
        out.put(static_cast<std::uint8_t>(n));
    } else {
        out.put(0x82);
        out.put16(static_cast<std::uint16_t>(n));
    }
}

std::size_t lengthBytes(std::size_t n)
{
    return n < 0x80 ? 1 : n < 0x100 ? 2 : 3;
}

/// DER INTEGER of a big-endian unsigned value (leading zeros stripped, 00 added when the top bit is set).
void putDerInteger(ResponseWriter& out, std::span<const std::uint8_t> v)
{
    std::size_t i = 0;
    while (i + 1 < v.size() && v[i] == 0) {
        ++i;
    }
    const bool pad = (v[i] & 0x80) != 0;
    out.put(0x02);
    out.put(static_cast<std::uint8_t>(v.size() - i + (pad ? 1 : 0)));
    if (pad) {
        out.put(0x00);
    }
    out.put(v.subspan(i));
}

std::size_t derIntegerBytes(std::span<const std::uint8_t> v)
{
    std::size_t i = 0;
    while (i + 1 < v.size() && v[i] == 0) {
        ++i;
    }
    return 2 + v.size() - i + ((v[i] & 0x80) != 0 ? 1 : 0);
}

} // namespace

bool isPivAid(std::span<const std::uint8_t> aid)
{
    if (aid.size() < 5 || aid.size() > kAid.size()) {
        return false;
    }
    for (std::size_t i = 0; i < aid.size(); ++i) {
        if (aid[i] != kAid[i]) {
            return false;
        }
    }
    return true;
}

PivApp::PivApp(hal::Platform& platform, Journal& journal)
    : m_platform(platform)
    , m_journal(journal)
{ }

void PivApp::powerOn()
{
    resetVolatile();
}

void PivApp::resetVolatile()
{
    m_pinVerified = Verdict::Denied;
    m_pinJustVerified = Verdict::Denied;
    m_mgmtAuthenticated = Verdict::Denied;
    m_authStep = AuthStep::None;
    secureZero(m_authNonce);
    dropIo();
}

Status PivApp::select(ResponseWriter& out)
{
    resetVolatile();
    // Application property template (73-4 Part 2 §3.1.1, Table 4): PIX, coexistent tag allocation authority,
    // application label, the algorithms this token supports.
    static constexpr std::uint8_t kLabel[] = {'S', 'm', 'a', 'r', 't', 'K', 'e', 'y', ' ', 'P', 'I', 'V'};
    static constexpr std::uint8_t kAlgs[]
        = {0x80, 0x01, kAlgTdes, 0x80, 0x01, kAlgP256, 0x80, 0x01, kAlgP384, 0x80, 0x01, kAlgSm2, 0x06, 0x01, 0x00};
    const std::size_t inner = 2 + 6 + 2 + 7 + 2 + sizeof kLabel + 2 + sizeof kAlgs;
    out.put(0x61);
    out.put(static_cast<std::uint8_t>(inner));
    out.put(0x4F);
    out.put(6);
    out.put(std::span<const std::uint8_t>(kAid.data() + 5, 6));
    const std::uint8_t authority[] = {0x79, 0x07, 0x4F, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08};
    out.put(authority);
    out.put(0x50);
    out.put(static_cast<std::uint8_t>(sizeof kLabel));
    out.put(kLabel);
    out.put(0xAC);
    out.put(static_cast<std::uint8_t>(sizeof kAlgs));
    out.put(kAlgs);
    return Status::Ok;
}

// --- chaining, GET RESPONSE, dispatch ----------------------------------------------------------------------------

Status PivApp::process(const Apdu& apdu, ResponseWriter& out, std::uint8_t& swExtra)
{
    swExtra = 0;
    const bool pinWasJustVerified = m_pinJustVerified == Verdict::Granted;
    m_pinJustVerified = Verdict::Denied; // "PIN always" needs VERIFY as the previous command (73-4 Part 1 §3.3.2)
    if ((apdu.cla & 0xEF) != 0x00) {
        dropIo();
        return Status::ClaNotSupported; // PIV uses CLA 00 (10 for a chained command); no secure messaging here
    }
    // One answer carries at most 256 data bytes (the bound of docs/transport.md), fewer when Le asks for fewer.
    m_responseLimit = apdu.hasLe && apdu.ne < kMaxResponseData ? apdu.ne : kMaxResponseData;
    // GET RESPONSE (ISO 7816-4 §7.6.1): the next part of the pending answer, read again from NVM.
    if (apdu.ins == 0xC0) {
        if (m_io != Io::PendingOut || apdu.cla != 0x00) {
            dropIo();
            return Status::ConditionsNotSatisfied;
        }
        if (apdu.p1 != 0 || apdu.p2 != 0 || !apdu.data.empty()) {
            return Status::BadP1P2;
        }
        const std::size_t remaining = m_ioLength - m_ioOffset;
        const std::size_t n = remaining < m_responseLimit ? remaining : m_responseLimit;
        std::size_t encoded = 0;
        const Status s = readObjectWindow(m_outObject, m_ioOffset, n, out, encoded);
        if (s != Status::Ok || encoded != m_ioLength) {
            dropIo();
            return s != Status::Ok ? s : Status::NvmFailure;
        }
        m_ioOffset += n;
        const std::size_t left = m_ioLength - m_ioOffset;
        if (left == 0) {
            dropIo();
            return Status::Ok;
        }
        swExtra = static_cast<std::uint8_t>(left >= 256 ? 0 : left);
        return Status::MoreData;
    }
    if (m_io == Io::PendingOut) {
        dropIo(); // any other command drops the rest of a long answer
    }
    // Command chaining (ISO 7816-4 §5.1.1.1): only PUT DATA takes it (the one PIV command with more than 255 data
    // bytes); its links stream into NVM. A link of another command drops the chain.
    const bool chained = (apdu.cla & 0x10) != 0;
    if (m_io == Io::ChainIn && (apdu.ins != m_chainIns || apdu.p1 != m_chainP1 || apdu.p2 != m_chainP2)) {
        dropIo();
    }
    if (chained || m_io == Io::ChainIn) {
        if (apdu.ins != 0xDB) {
            dropIo();
            return Status::ChainingNotSupported;
        }
        if (m_io != Io::ChainIn) {
            dropIo();
            m_io = Io::ChainIn;
            m_chainIns = apdu.ins;
            m_chainP1 = apdu.p1;
            m_chainP2 = apdu.p2;
        }
        const Status s = chainedPutData(apdu, !chained);
        if (s != Status::Ok || !chained) {
            dropIo(); // an error ends the chain (the chunks written so far are never named: tombstoned later)
        }
        return s;
    }
    if (pinWasJustVerified && apdu.ins != 0x20) {
        m_pinJustVerified = Verdict::Granted; // visible to this command only
    }
    const Status s = dispatch(apdu, out, swExtra);
    if (apdu.ins != 0x20) {
        m_pinJustVerified = Verdict::Denied;
    }
    if (s == Status::Ok && out.size() > m_responseLimit) {
        // Only GET DATA answers more than 256 bytes (in parts, by itself); a shorter Le than another answer: 6700.
        return Status::WrongLength;
    }
    return s;
}

void PivApp::dropIo()
{
    secureZero(m_put.carry);
    m_put = ChainedPut{};
    m_io = Io::None;
    m_ioLength = 0;
    m_ioOffset = 0;
}

Status PivApp::chainedPutHeader()
{
    // `5C 03 tag 53 L`, L of 1..3 bytes: at most 9 bytes, checked in the order of cmdPutData.
    const std::span<const std::uint8_t> h(m_put.carry.data(), m_put.carryLength);
    if (m_chainP1 != 0x3F || m_chainP2 != 0xFF) {
        return Status::BadP1P2;
    }
    if (m_mgmtAuthenticated != Verdict::Granted) {
        return Status::SecurityNotSatisfied;
    }
    if (h.size() < 5) {
        return Status::Ok; // wait for more
    }
    if (h[0] != 0x5C || h[1] != 0x03) {
        return Status::BadData;
    }
    const int index = objectIndex(h.subspan(2, 3));
    if (index < 0) {
        return Status::FileNotFound;
    }
    if (h.size() < 7) {
        return Status::Ok;
    }
    if (h[5] != 0x53) {
        return Status::BadData;
    }
    std::size_t lenBytes = 1;
    std::size_t total = h[6];
    if (h[6] == 0x81 || h[6] == 0x82) {
        lenBytes = h[6] == 0x81 ? 2 : 3;
        if (h.size() < 6 + lenBytes) {
            return Status::Ok;
        }
        total = h[6] == 0x81 ? h[7] : be16(&h[7]);
    } else if (h[6] > 0x80) {
        return Status::BadData;
    }
    if (total > kMaxObjectBytes) {
        return Status::NotEnoughMemory;
    }
    const std::size_t headerLength = 6 + lenBytes;
    // Pool ids no directory names; invisible until the directory is committed at the last link.
    std::array<bool, 256> used{};
    if (const Status s = usedChunks(used); s != Status::Ok) {
        return s;
    }
    const std::size_t needed = (total + kChunkBytes - 1) / kChunkBytes;
    std::size_t found = 0;
    for (std::size_t id = kChunkFirst; id <= kChunkLast && found < needed; ++id) {
        if (!used[id]) {
            m_put.ids[found++] = static_cast<std::uint8_t>(id);
        }
    }
    if (found < needed) {
        return Status::NotEnoughMemory;
    }
    m_put.headerDone = true;
    m_put.object = static_cast<std::uint8_t>(index);
    m_put.total = total;
    // The bytes after the header are content: move them to the front of the carry.
    const std::size_t rest = h.size() - headerLength;
    for (std::size_t i = 0; i < rest; ++i) {
        m_put.carry[i] = m_put.carry[headerLength + i];
    }
    m_put.carryLength = rest;
    if (rest > total) {
        return Status::BadData;
    }
    m_put.received = rest;
    m_put.crc = crc32(std::span<const std::uint8_t>(m_put.carry.data(), rest));
    return Status::Ok;
}

Status PivApp::chainedPutData(const Apdu& link, bool last)
{
    std::span<const std::uint8_t> data = link.data;
    // 1. The header, collected byte by byte in the carry until it is complete.
    while (!m_put.headerDone && !data.empty()) {
        if (m_put.carryLength == 9) {
            return Status::BadData; // cannot happen: chainedPutHeader decides within 9 bytes
        }
        m_put.carry[m_put.carryLength++] = data[0];
        data = data.subspan(1);
        if (const Status s = chainedPutHeader(); s != Status::Ok) {
            return s;
        }
    }
    if (!m_put.headerDone) {
        if (!last) {
            return Status::Ok;
        }
        if (m_chainP1 != 0x3F || m_chainP2 != 0xFF) {
            return Status::BadP1P2;
        }
        return m_mgmtAuthenticated != Verdict::Granted ? Status::SecurityNotSatisfied : Status::BadData;
    }
    // 2. The content: full chunks go to their pool ids, two per journal entry where a link completes two.
    if (data.size() > m_put.total - m_put.received) {
        return Status::BadData; // more than tag 53 announced
    }
    m_put.crc = crc32(data, m_put.crc);
    m_put.received += data.size();
    JournalBatch b;
    std::size_t inBatch = 0;
    while (!data.empty()) {
        const std::size_t take = std::min(kChunkBytes - m_put.carryLength, data.size());
        copyBytes(m_put.carry.data() + m_put.carryLength, data.data(), take);
        m_put.carryLength += take;
        data = data.subspan(take);
        if (m_put.carryLength == kChunkBytes) {
            if (!b.add(m_put.ids[m_put.chunks], m_put.carry)) {
                return Status::NvmFailure;
            }
            ++m_put.chunks;
            m_put.carryLength = 0;
            if (++inBatch == 2) {
                if (const Status s = commit(b); s != Status::Ok) {
                    return s;
                }
                b.clear();
                inBatch = 0;
            }
        }
    }
    if (last) {
        if (m_put.received != m_put.total) {
            return Status::BadData; // fewer than tag 53 announced
        }
        if (m_put.carryLength > 0) {
            if (!b.add(m_put.ids[m_put.chunks], std::span<const std::uint8_t>(m_put.carry.data(), m_put.carryLength))) {
                return Status::NvmFailure;
            }
            ++m_put.chunks;
            ++inBatch;
        }
        if (inBatch > 0) {
            if (const Status s = commit(b); s != Status::Ok) {
                return s;
            }
        }
        // The directory is the commit point, as in writeObject.
        std::array<std::uint8_t, kDirHeader + kMaxChunksPerObject> dir{};
        std::size_t dirLength = 1; // 00 = deleted
        if (m_put.total > 0) {
            putBe16(dir.data(), static_cast<std::uint16_t>(m_put.total));
            putBe32(dir.data() + 2, m_put.crc);
            copyBytes(dir.data() + kDirHeader, m_put.ids.data(), m_put.chunks);
            dirLength = kDirHeader + m_put.chunks;
        }
        JournalBatch d;
        if (!d.add(static_cast<std::uint8_t>(kItemDirBase + m_put.object),
                std::span<const std::uint8_t>(dir.data(), dirLength))) {
            return Status::NvmFailure;
        }
        if (const Status s = commit(d); s != Status::Ok) {
            return s;
        }
        return tombstoneUnused();
    }
    return inBatch > 0 ? commit(b) : Status::Ok;
}

Status PivApp::dispatch(const Apdu& a, ResponseWriter& out, std::uint8_t& swExtra)
{
    switch (a.ins) {
    case 0xCB:
        return cmdGetData(a, out, swExtra);
    case 0xDB:
        return cmdPutData(a);
    case 0x20:
        return cmdVerify(a, swExtra);
    case 0x24:
        return cmdChangeReference(a, swExtra);
    case 0x2C:
        return cmdResetRetry(a, swExtra);
    case 0x47:
        return cmdGenerate(a, out);
    case 0x87:
        return cmdGeneralAuthenticate(a, out);
    case 0xFF:
        return cmdSetManagementKey(a);
    case 0xFD:
        return cmdGetVersion(a, out);
    case 0xF8:
        return cmdGetSerial(a, out);
    case 0xF7:
        return cmdGetMetadata(a, out);
    case 0x84:
        return cmdGetChallenge(a, out);
    case 0xF6:
        return cmdDeleteKey(a);
    default:
        return Status::InsNotSupported;
    }
}

Status PivApp::commit(const JournalBatch& b)
{
    return m_journal.commit(b) == StoreStatus::Ok ? Status::Ok : Status::NvmFailure;
}

// --- data objects ------------------------------------------------------------------------------------------------

int PivApp::objectIndex(std::span<const std::uint8_t> tag)
{
    if (tag.size() != 3) {
        return -1;
    }
    const std::uint32_t t
        = (static_cast<std::uint32_t>(tag[0]) << 16) | (static_cast<std::uint32_t>(tag[1]) << 8) | tag[2];
    for (std::size_t i = 0; i < kObjectCount; ++i) {
        if (kObjects[i].tag == t) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

Status PivApp::readObject(std::size_t index, std::size_t& length)
{
    length = 0;
    std::array<std::uint8_t, kMaxItemSize> dir{};
    std::size_t n = 0;
    if (m_journal.read(static_cast<std::uint8_t>(kItemDirBase + index), dir, n) != StoreStatus::Ok) {
        return Status::NvmFailure;
    }
    if (n <= kDirHeader) {
        return Status::Ok; // absent or deleted
    }
    const std::size_t total = be16(dir.data());
    const std::size_t chunks = n - kDirHeader;
    if (total > kMaxObjectBytes || total > chunks * kChunkBytes || total <= (chunks - 1) * kChunkBytes) {
        return Status::NvmFailure;
    }
    length = total;
    return Status::Ok;
}

Status PivApp::readObjectWindow(
    std::size_t index, std::size_t from, std::size_t count, ResponseWriter& out, std::size_t& encoded)
{
    encoded = 0;
    std::array<std::uint8_t, kMaxItemSize> dir{};
    std::size_t n = 0;
    if (m_journal.read(static_cast<std::uint8_t>(kItemDirBase + index), dir, n) != StoreStatus::Ok) {
        return Status::NvmFailure;
    }
    std::size_t total = 0;
    if (const Status s = readObject(index, total); s != Status::Ok) {
        return s;
    }
    if (total == 0) {
        return Status::FileNotFound;
    }
    // The encoding `53 L content`; only bytes from..from+count are written, the CRC covers the whole content.
    std::array<std::uint8_t, 4> header{0x53};
    std::size_t headerLength = 1;
    if (total < 0x80) {
        header[headerLength++] = static_cast<std::uint8_t>(total);
    } else if (total < 0x100) {
        header[headerLength++] = 0x81;
        header[headerLength++] = static_cast<std::uint8_t>(total);
    } else {
        header[headerLength++] = 0x82;
        putBe16(header.data() + headerLength, static_cast<std::uint16_t>(total));
        headerLength += 2;
    }
    encoded = headerLength + total;
    const std::size_t end = from + count < encoded ? from + count : encoded;
    std::size_t pos = 0; // position in the encoding
    const auto emit = [&](std::span<const std::uint8_t> part) {
        for (const std::uint8_t b : part) {
            if (pos >= from && pos < end) {
                out.put(b);
            }
            ++pos;
        }
    };
    emit(std::span<const std::uint8_t>(header.data(), headerLength));
    const std::size_t chunks = n - kDirHeader;
    std::uint32_t crc = 0xFFFFFFFFu;
    std::array<std::uint8_t, kMaxItemSize> chunk{};
    std::size_t done = 0;
    for (std::size_t c = 0; c < chunks; ++c) {
        std::size_t got = 0;
        if (m_journal.read(dir[kDirHeader + c], chunk, got) != StoreStatus::Ok) {
            return Status::NvmFailure;
        }
        const std::size_t want = total - done < kChunkBytes ? total - done : kChunkBytes;
        if (got != want) {
            return Status::NvmFailure; // a directory never names a chunk that was not committed before it
        }
        const std::span<const std::uint8_t> part(chunk.data(), want);
        crc = crc32(part, crc);
        emit(part);
        done += want;
    }
    if (crc != be32(dir.data() + 2)) {
        return Status::NvmFailure;
    }
    return Status::Ok;
}

Status PivApp::usedChunks(std::array<bool, 256>& used)
{
    used.fill(false);
    std::array<std::uint8_t, kMaxItemSize> dir{};
    for (std::size_t i = 0; i < kObjectCount; ++i) {
        std::size_t n = 0;
        if (m_journal.read(static_cast<std::uint8_t>(kItemDirBase + i), dir, n) != StoreStatus::Ok) {
            return Status::NvmFailure;
        }
        for (std::size_t c = kDirHeader; c < n; ++c) {
            used[dir[c]] = true;
        }
    }
    return Status::Ok;
}

Status PivApp::tombstoneUnused()
{
    // Chunks no directory names (the previous content, or chunks of a write cut short by a power loss) shrink to a
    // one-byte tombstone so that garbage collection stops carrying them. Not needed for atomicity: only for space.
    std::array<bool, 256> used{};
    if (const Status s = usedChunks(used); s != Status::Ok) {
        return s;
    }
    JournalBatch b;
    const std::uint8_t tomb = 0;
    for (std::size_t id = kChunkFirst; id <= kChunkLast; ++id) {
        std::array<std::uint8_t, kMaxItemSize> tmp{};
        std::size_t n = 0;
        if (used[id] || !m_journal.has(static_cast<std::uint8_t>(id))) {
            continue;
        }
        if (m_journal.read(static_cast<std::uint8_t>(id), tmp, n) != StoreStatus::Ok) {
            return Status::NvmFailure;
        }
        if (n <= 1) {
            continue;
        }
        if (b.size() + 3 > kMaxBatchBody) {
            if (const Status s = commit(b); s != Status::Ok) {
                return s;
            }
            b.clear();
        }
        b.add(static_cast<std::uint8_t>(id), std::span<const std::uint8_t>(&tomb, 1));
    }
    return b.empty() ? Status::Ok : commit(b);
}

Status PivApp::writeObject(std::size_t index, std::span<const std::uint8_t> content, const JournalBatch* extra)
{
    if (content.size() > kMaxObjectBytes) {
        return Status::NotEnoughMemory;
    }
    std::array<bool, 256> used{};
    if (const Status s = usedChunks(used); s != Status::Ok) {
        return s;
    }
    const std::size_t needed = (content.size() + kChunkBytes - 1) / kChunkBytes;
    std::array<std::uint8_t, kMaxChunksPerObject> ids{};
    std::size_t found = 0;
    for (std::size_t id = kChunkFirst; id <= kChunkLast && found < needed; ++id) {
        if (!used[id]) {
            ids[found++] = static_cast<std::uint8_t>(id);
        }
    }
    if (found < needed) {
        return Status::NotEnoughMemory; // nothing written: the pool is full
    }
    // 1. The chunks, two per entry, under ids no directory names: invisible until step 2.
    JournalBatch b;
    for (std::size_t c = 0; c < needed; ++c) {
        const std::size_t at = c * kChunkBytes;
        const std::size_t len = content.size() - at < kChunkBytes ? content.size() - at : kChunkBytes;
        b.add(ids[c], content.subspan(at, len));
        if (c % 2 == 1 || c + 1 == needed) {
            if (const Status s = commit(b); s != Status::Ok) {
                return s;
            }
            b.clear();
        }
    }
    // 2. The directory (and the key of GENERATE) in one entry: this is the commit point.
    std::array<std::uint8_t, kDirHeader + kMaxChunksPerObject> dir{};
    std::size_t dirLength = 1; // 00 = deleted
    if (!content.empty()) {
        putBe16(dir.data(), static_cast<std::uint16_t>(content.size()));
        putBe32(dir.data() + 2, crc32(content));
        copyBytes(dir.data() + kDirHeader, ids.data(), needed);
        dirLength = kDirHeader + needed;
    }
    if (extra != nullptr) {
        b.clear();
        for (std::size_t i = 0; i < extra->body().size(); i += 2u + extra->body()[i + 1]) {
            b.add(extra->body()[i], extra->body().subspan(i + 2, extra->body()[i + 1]));
        }
    }
    b.add(static_cast<std::uint8_t>(kItemDirBase + index), std::span<const std::uint8_t>(dir.data(), dirLength));
    if (const Status s = commit(b); s != Status::Ok) {
        return s;
    }
    // 3. Space: the old chunks become tombstones.
    return tombstoneUnused();
}

Status PivApp::cmdGetData(const Apdu& a, ResponseWriter& out, std::uint8_t& swExtra)
{
    if (a.p1 != 0x3F || a.p2 != 0xFF) {
        return Status::BadP1P2;
    }
    std::size_t pos = 0;
    std::uint32_t tag = 0;
    std::span<const std::uint8_t> value;
    if (!nextTlv(a.data, pos, tag, value) || tag != 0x5C || pos != a.data.size()) {
        return Status::BadData;
    }
    if (value.size() == 1 && value[0] == 0x7E) {
        // Discovery object (73-4 Part 1 §3.3.2): the PIV AID and the PIN usage policy: PIV PIN only (40 00).
        out.put(0x7E);
        out.put(0x12);
        out.put(0x4F);
        out.put(static_cast<std::uint8_t>(kAid.size()));
        out.put(kAid);
        const std::uint8_t policy[] = {0x5F, 0x2F, 0x02, 0x40, 0x00};
        out.put(policy);
        return Status::Ok;
    }
    const int index = objectIndex(value);
    if (index < 0) {
        return Status::FileNotFound;
    }
    if (kObjects[index].readNeedsPin && m_pinVerified != Verdict::Granted) {
        return Status::SecurityNotSatisfied;
    }
    // The first m_responseLimit bytes now; the rest, read again from NVM, for GET RESPONSE (61xx).
    std::size_t encoded = 0;
    if (const Status s = readObjectWindow(static_cast<std::size_t>(index), 0, m_responseLimit, out, encoded);
        s != Status::Ok) {
        return s;
    }
    if (encoded > m_responseLimit) {
        m_io = Io::PendingOut;
        m_outObject = static_cast<std::uint8_t>(index);
        m_ioLength = encoded;
        m_ioOffset = m_responseLimit;
        const std::size_t left = encoded - m_responseLimit;
        swExtra = static_cast<std::uint8_t>(left >= 256 ? 0 : left);
        return Status::MoreData;
    }
    return Status::Ok;
}

Status PivApp::cmdPutData(const Apdu& a)
{
    if (a.p1 != 0x3F || a.p2 != 0xFF) {
        return Status::BadP1P2;
    }
    if (m_mgmtAuthenticated != Verdict::Granted) {
        return Status::SecurityNotSatisfied; // 73-4 Part 2 §3.3.2: PUT DATA needs the card management key
    }
    std::size_t pos = 0;
    std::uint32_t tag = 0;
    std::span<const std::uint8_t> name;
    std::span<const std::uint8_t> content;
    if (!nextTlv(a.data, pos, tag, name) || tag != 0x5C) {
        return Status::BadData;
    }
    const int index = objectIndex(name);
    if (index < 0) {
        return Status::FileNotFound;
    }
    // The value of tag 53 is the object. A 53 longer than the store takes is refused before parsing completes.
    if (pos + 4 <= a.data.size() && a.data[pos] == 0x53 && a.data[pos + 1] == 0x82
        && be16(&a.data[pos + 2]) > kMaxObjectBytes) {
        return Status::NotEnoughMemory;
    }
    if (!nextTlv(a.data, pos, tag, content) || tag != 0x53 || pos != a.data.size()) {
        return Status::BadData;
    }
    return writeObject(static_cast<std::size_t>(index), content, nullptr);
}

// --- PIN and PUK ---------------------------------------------------------------------------------------------------

bool PivApp::wellFormed(std::uint8_t ref, std::span<const std::uint8_t> v)
{
    // 73-4 Part 2 §3.2.1: the PIN is 6..8 ASCII digits padded with FF; the PUK is 8 bytes (any value).
    if (v.size() != 8) {
        return false;
    }
    if (ref == 0x81) {
        return true;
    }
    std::size_t len = 0;
    while (len < 8 && v[len] != 0xFF) {
        if (v[len] < '0' || v[len] > '9') {
            return false;
        }
        ++len;
    }
    for (std::size_t i = len; i < 8; ++i) {
        if (v[i] != 0xFF) {
            return false;
        }
    }
    return len >= 6;
}

Status PivApp::loadReference(std::uint8_t ref, std::span<std::uint8_t, 8> value, std::uint8_t& tries, std::uint8_t& max)
{
    const bool pin = ref == 0x80;
    Wiped<kMaxItemSize> buf;
    std::size_t n = 0;
    if (m_journal.read(pin ? kItemPin : kItemPuk, buf, n) != StoreStatus::Ok) {
        return Status::NvmFailure;
    }
    if (n == 9) {
        max = buf[0];
        copyBytes(value.data(), buf.data() + 1, 8);
    } else {
        max = pin ? kPinTriesDefault : kPukTriesDefault;
        copyBytes(value.data(), pin ? kDefaultPin.data() : kDefaultPuk.data(), 8);
    }
    if (m_journal.read(pin ? kItemPinTries : kItemPukTries, buf, n) != StoreStatus::Ok) {
        return Status::NvmFailure;
    }
    tries = n == 1 ? buf[0] : max;
    if (tries > max) {
        tries = 0; // a corrupted counter never grants more tries
    }
    return Status::Ok;
}

Status PivApp::spendAndCompare(
    std::uint8_t ref, std::span<const std::uint8_t> candidate, std::uint8_t& swExtra, const JournalBatch* onSuccess)
{
    Wiped<8> stored;
    std::uint8_t tries = 0;
    std::uint8_t max = 0;
    if (const Status s = loadReference(ref, stored, tries, max); s != Status::Ok) {
        return s;
    }
    if (tries == 0) {
        return Status::PinBlocked;
    }
    // The try is spent in NVM BEFORE the comparison (as the purse PIN, docs/firmware.md): cutting the power while
    // the token compares never gives a free guess.
    const std::uint8_t left = static_cast<std::uint8_t>(tries - 1);
    const std::uint8_t triesItem = ref == 0x80 ? kItemPinTries : kItemPukTries;
    JournalBatch b;
    b.add(triesItem, std::span<const std::uint8_t>(&left, 1));
    if (const Status s = commit(b); s != Status::Ok) {
        return s;
    }
    if (ctEqual(candidate, stored) != Verdict::Granted) {
        swExtra = left;
        return left == 0 ? Status::PinBlocked : Status::PinWrong;
    }
    // The try comes back in the same entry as what the right value unlocks (a new PIN, PUK or PIN reset).
    b.clear();
    b.add(triesItem, std::span<const std::uint8_t>(&max, 1));
    if (onSuccess != nullptr) {
        for (std::size_t i = 0; i < onSuccess->body().size(); i += 2u + onSuccess->body()[i + 1]) {
            b.add(onSuccess->body()[i], onSuccess->body().subspan(i + 2, onSuccess->body()[i + 1]));
        }
    }
    return commit(b);
}

Status PivApp::cmdVerify(const Apdu& a, std::uint8_t& swExtra)
{
    if (a.p1 == 0xFF && a.p2 == 0x80 && a.data.empty()) {
        m_pinVerified = Verdict::Denied; // 73-4 Part 2 §3.2.1: reset the security status
        return Status::Ok;
    }
    if (a.p1 != 0x00 || a.p2 != 0x80) {
        return a.p1 == 0x00 && a.p2 == 0x81 ? Status::RefDataNotFound : Status::BadP1P2; // 81: PUK is not verified
    }
    if (a.data.empty()) {
        // Status query: 9000 when verified, else 63Cx with the tries left.
        if (m_pinVerified == Verdict::Granted) {
            return Status::Ok;
        }
        Wiped<8> stored;
        std::uint8_t tries = 0;
        std::uint8_t max = 0;
        if (const Status s = loadReference(0x80, stored, tries, max); s != Status::Ok) {
            return s;
        }
        swExtra = tries;
        return tries == 0 ? Status::PinBlocked : Status::PinWrong;
    }
    if (!wellFormed(0x80, a.data)) {
        return Status::BadData; // no try spent on a malformed PIN
    }
    m_pinVerified = Verdict::Denied;
    const Status s = spendAndCompare(0x80, a.data, swExtra, nullptr);
    if (s == Status::Ok) {
        m_pinVerified = Verdict::Granted;
        m_pinJustVerified = Verdict::Granted;
    }
    return s;
}

Status PivApp::cmdChangeReference(const Apdu& a, std::uint8_t& swExtra)
{
    if (a.p1 != 0x00 || (a.p2 != 0x80 && a.p2 != 0x81)) {
        return Status::BadP1P2;
    }
    if (a.data.size() != 16) {
        return Status::WrongLength;
    }
    const auto oldValue = a.data.first(8);
    const auto newValue = a.data.subspan(8, 8);
    if (!wellFormed(a.p2, oldValue) || !wellFormed(a.p2, newValue)) {
        return Status::BadData;
    }
    Wiped<9> item;
    std::uint8_t tries = 0;
    Wiped<8> stored;
    if (const Status s = loadReference(a.p2, stored, tries, item[0]); s != Status::Ok) {
        return s;
    }
    copyBytes(item.data() + 1, newValue.data(), 8);
    JournalBatch change;
    change.add(a.p2 == 0x80 ? kItemPin : kItemPuk, item);
    const Status s = spendAndCompare(a.p2, oldValue, swExtra, &change);
    if (s != Status::Ok && a.p2 == 0x80) {
        m_pinVerified = Verdict::Denied;
    }
    return s;
}

Status PivApp::cmdResetRetry(const Apdu& a, std::uint8_t& swExtra)
{
    if (a.p1 != 0x00 || a.p2 != 0x80) {
        return Status::BadP1P2;
    }
    if (a.data.size() != 16) {
        return Status::WrongLength;
    }
    const auto puk = a.data.first(8);
    const auto newPin = a.data.subspan(8, 8);
    if (!wellFormed(0x80, newPin)) {
        return Status::BadData;
    }
    m_pinVerified = Verdict::Denied;
    Wiped<9> item;
    std::uint8_t tries = 0;
    Wiped<8> stored;
    if (const Status s = loadReference(0x80, stored, tries, item[0]); s != Status::Ok) {
        return s;
    }
    copyBytes(item.data() + 1, newPin.data(), 8);
    JournalBatch reset;
    reset.add(kItemPin, item); // the new PIN and its full tries, in the entry that gives the PUK try back
    reset.add(kItemPinTries, std::span<const std::uint8_t>(item.data(), 1));
    return spendAndCompare(0x81, puk, swExtra, &reset);
}

// --- management key ----------------------------------------------------------------------------------------------

Status PivApp::loadManagementKey(std::span<std::uint8_t, 24> key)
{
    Wiped<kMaxItemSize> buf;
    std::size_t n = 0;
    if (m_journal.read(kItemMgmtKey, buf, n) != StoreStatus::Ok) {
        return Status::NvmFailure;
    }
    copyBytes(key.data(), n == 25 ? buf.data() + 1 : kDefaultMgmtKey.data(), 24);
    return Status::Ok;
}

Status PivApp::tdes3(std::span<const std::uint8_t, 24> key,
    std::span<const std::uint8_t, 8> in,
    std::span<std::uint8_t, 8> out,
    bool encrypt)
{
    // Three-key TDES EDE (SP 800-67) from the engine's single-DES primitive: E_K3(D_K2(E_K1(x))) and its inverse.
    hal::CryptoEngine& e = m_platform.crypto;
    const std::span<const std::uint8_t, 8> k1 = key.subspan<0, 8>();
    const std::span<const std::uint8_t, 8> k2 = key.subspan<8, 8>();
    const std::span<const std::uint8_t, 8> k3 = key.subspan<16, 8>();
    Wiped<8> t1;
    Wiped<8> t2;
    const bool ok = encrypt ? (e.desEncrypt(k1, in, t1) && e.desDecrypt(k2, t1, t2) && e.desEncrypt(k3, t2, out))
                            : (e.desDecrypt(k3, in, t1) && e.desEncrypt(k2, t1, t2) && e.desDecrypt(k1, t2, out));
    return ok ? Status::Ok : Status::Cancelled;
}

Status PivApp::managementAuth(const Apdu& a, ResponseWriter& out)
{
    // 73-4 Part 2 Appendix A.1/A.2: challenge-response with the card management key (reference 9B, 3-key TDES).
    if (a.p1 != kAlgTdes && a.p1 != 0x00) {
        return Status::BadP1P2;
    }
    std::size_t pos = 0;
    std::uint32_t tag = 0;
    std::span<const std::uint8_t> t7c;
    if (!nextTlv(a.data, pos, tag, t7c) || tag != 0x7C || pos != a.data.size()) {
        return Status::BadData;
    }
    std::span<const std::uint8_t> witness;
    std::span<const std::uint8_t> challenge;
    std::span<const std::uint8_t> response;
    bool hasWitness = false;
    bool hasChallenge = false;
    bool hasResponse = false;
    pos = 0;
    while (pos < t7c.size()) {
        std::span<const std::uint8_t> v;
        if (!nextTlv(t7c, pos, tag, v)) {
            return Status::BadData;
        }
        if (tag == 0x80) {
            witness = v;
            hasWitness = true;
        } else if (tag == 0x81) {
            challenge = v;
            hasChallenge = true;
        } else if (tag == 0x82) {
            response = v;
            hasResponse = true;
        } else {
            return Status::BadData;
        }
    }
    Wiped<24> key;
    if (const Status s = loadManagementKey(key); s != Status::Ok) {
        return s;
    }
    const AuthStep step = m_authStep;
    m_authStep = AuthStep::None;
    m_mgmtAuthenticated = Verdict::Denied;
    Wiped<8> block;
    if (hasWitness && witness.empty() && !hasChallenge && !hasResponse) {
        // Step 1 of mutual authentication: the card sends E(K, witness).
        if (!m_platform.rng.fill(m_authNonce)) {
            return Status::Cancelled;
        }
        if (const Status s = tdes3(key, m_authNonce, block, true); s != Status::Ok) {
            return s;
        }
        const std::uint8_t head[] = {0x7C, 0x0A, 0x80, 0x08};
        out.put(head);
        out.put(block);
        m_authStep = AuthStep::WitnessSent;
        return Status::Ok;
    }
    if (hasWitness && witness.size() == 8 && hasChallenge && challenge.size() == 8 && !hasResponse) {
        // Step 2: the host proves it decrypted the witness; the card answers E(K, host challenge).
        if (step != AuthStep::WitnessSent) {
            return Status::ConditionsNotSatisfied;
        }
        const Verdict v = ctEqual(witness, m_authNonce);
        secureZero(m_authNonce);
        if (v != Verdict::Granted) {
            return Status::SecurityNotSatisfied;
        }
        if (const Status s = tdes3(key, challenge.first<8>(), block, true); s != Status::Ok) {
            return s;
        }
        const std::uint8_t head[] = {0x7C, 0x0A, 0x82, 0x08};
        out.put(head);
        out.put(block);
        m_mgmtAuthenticated = Verdict::Granted;
        return Status::Ok;
    }
    if (hasChallenge && challenge.empty() && !hasWitness && !hasResponse) {
        // One-way authentication (OpenSC): the card sends a challenge, the host answers E(K, challenge).
        if (!m_platform.rng.fill(m_authNonce)) {
            return Status::Cancelled;
        }
        const std::uint8_t head[] = {0x7C, 0x0A, 0x81, 0x08};
        out.put(head);
        out.put(m_authNonce);
        m_authStep = AuthStep::ChallengeSent;
        return Status::Ok;
    }
    if (hasResponse && response.size() == 8 && !hasWitness && !hasChallenge) {
        if (step != AuthStep::ChallengeSent) {
            return Status::ConditionsNotSatisfied;
        }
        const Status s = tdes3(key, m_authNonce, block, true);
        secureZero(m_authNonce);
        if (s != Status::Ok) {
            return s;
        }
        if (ctEqual(response, block) != Verdict::Granted) {
            return Status::SecurityNotSatisfied;
        }
        m_mgmtAuthenticated = Verdict::Granted;
        return Status::Ok;
    }
    return Status::BadData;
}

Status PivApp::cmdSetManagementKey(const Apdu& a)
{
    // Yubico extension (INS FF, P1 FF, P2 FF/FE): data `03 9B 18 key`. The bank sets its key here at issuance.
    if (a.p1 != 0xFF || (a.p2 != 0xFF && a.p2 != 0xFE)) {
        return Status::BadP1P2;
    }
    if (m_mgmtAuthenticated != Verdict::Granted) {
        return Status::SecurityNotSatisfied;
    }
    if (a.data.size() != 27 || a.data[0] != kAlgTdes || a.data[1] != 0x9B || a.data[2] != 24) {
        return Status::BadData;
    }
    Wiped<25> item;
    item[0] = kAlgTdes;
    copyBytes(item.data() + 1, a.data.data() + 3, 24);
    JournalBatch b;
    b.add(kItemMgmtKey, item);
    return commit(b);
}

// --- keys ----------------------------------------------------------------------------------------------------------

int PivApp::slotIndex(std::uint8_t keyRef)
{
    for (std::size_t i = 0; i < kKeySlotCount; ++i) {
        if (kSlotRefs[i] == keyRef) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

Status PivApp::loadKey(std::size_t slot, KeySlot& k)
{
    Wiped<kMaxItemSize> buf;
    std::size_t n = 0;
    if (m_journal.read(static_cast<std::uint8_t>(kItemKeyBase + slot), buf, n) != StoreStatus::Ok) {
        return Status::NvmFailure;
    }
    k.alg = 0;
    hal::EcCurve curve{};
    if (n < 3 || !curveOf(buf[0], curve) || n != 3 + hal::ecFieldBytes(curve)) {
        return Status::Ok; // empty
    }
    k.alg = buf[0];
    k.pinPolicy = buf[1];
    k.touchPolicy = buf[2];
    copyBytes(k.priv.data(), buf.data() + 3, hal::ecFieldBytes(curve));
    return Status::Ok;
}

Status PivApp::cmdGenerate(const Apdu& a, ResponseWriter& out)
{
    if (a.p1 != 0x00) {
        return Status::BadP1P2;
    }
    const int slot = slotIndex(a.p2);
    if (slot < 0) {
        return Status::BadP1P2;
    }
    if (m_mgmtAuthenticated != Verdict::Granted) {
        return Status::SecurityNotSatisfied;
    }
    // Control reference template AC { 80 alg, [AA PIN policy], [AB touch policy] } (73-4 Part 2 §3.3.2).
    std::size_t pos = 0;
    std::uint32_t tag = 0;
    std::span<const std::uint8_t> ac;
    if (!nextTlv(a.data, pos, tag, ac) || tag != 0xAC || pos != a.data.size()) {
        return Status::BadData;
    }
    std::uint8_t alg = 0;
    std::uint8_t pinPolicy = kSlotDefaultPolicy[slot];
    std::uint8_t touchPolicy = 1;
    pos = 0;
    while (pos < ac.size()) {
        std::span<const std::uint8_t> v;
        if (!nextTlv(ac, pos, tag, v) || v.size() != 1) {
            return Status::BadData;
        }
        if (tag == 0x80) {
            alg = v[0];
        } else if (tag == 0xAA) {
            pinPolicy = v[0] == 0 ? pinPolicy : v[0];
        } else if (tag == 0xAB) {
            touchPolicy = v[0] == 0 ? touchPolicy : v[0];
        } else {
            return Status::BadData;
        }
    }
    hal::EcCurve curve{};
    if (!curveOf(alg, curve) || pinPolicy < kPolicyNever || pinPolicy > kPolicyAlways || touchPolicy < kTouchNever
        || touchPolicy > kTouchCached) {
        return Status::BadData; // RSA and unknown algorithms: 6A80
    }
    const std::size_t n = hal::ecFieldBytes(curve);
    // The private scalar is drawn from the token's RNG until it is a valid key (1 ≤ d < order); it never leaves.
    Wiped<3 + 48> item;
    std::array<std::uint8_t, 1 + 2 * 48> pub{};
    bool ok = false;
    for (int attempt = 0; attempt < 8 && !ok; ++attempt) {
        if (!m_platform.rng.fill(std::span<std::uint8_t>(item.data() + 3, n))) {
            return Status::Cancelled;
        }
        ok = m_platform.crypto.ecPublicKey(
            curve, std::span<const std::uint8_t>(item.data() + 3, n), std::span<std::uint8_t>(pub.data(), 1 + 2 * n));
    }
    if (!ok) {
        return Status::BadData; // the engine lacks this curve (the Cortex-M4 skeleton: docs/piv.md "Gaps")
    }
    item[0] = alg;
    item[1] = pinPolicy;
    item[2] = touchPolicy;
    // The new key and the removal of the slot's old certificate are one commit: a key never pairs with a
    // certificate of another key, whatever the power does.
    JournalBatch key;
    key.add(static_cast<std::uint8_t>(kItemKeyBase + slot), std::span<const std::uint8_t>(item.data(), 3 + n));
    if (const Status s = writeObject(kSlotCertObject[slot], {}, &key); s != Status::Ok) {
        return s;
    }
    // 7F49 { 86 point } (73-4 Part 2 §3.3.2, Table 14).
    const std::size_t pointLength = 1 + 2 * n;
    out.put16(0x7F49);
    putLength(out, 2 + pointLength);
    out.put(0x86);
    putLength(out, pointLength);
    out.put(std::span<const std::uint8_t>(pub.data(), pointLength));
    return Status::Ok;
}

Status PivApp::cmdDeleteKey(const Apdu& a)
{
    // Yubico's MOVE KEY (INS F6, firmware 5.7) with destination FF = delete: P1 FF, P2 the slot, no data. The
    // project's PKCS#11 module sends it for C_DestroyObject of a key (docs/piv.md). Only P1 FF is offered: moving a
    // key between slots is not.
    if (a.p1 != 0xFF) {
        return Status::BadP1P2;
    }
    const int slot = slotIndex(a.p2);
    if (slot < 0) {
        return Status::BadP1P2;
    }
    if (!a.data.empty()) {
        return Status::WrongLength;
    }
    if (m_mgmtAuthenticated != Verdict::Granted) {
        return Status::SecurityNotSatisfied;
    }
    KeySlot key;
    if (const Status s = loadKey(static_cast<std::size_t>(slot), key); s != Status::Ok) {
        return s;
    }
    if (key.alg == 0) {
        return Status::RefDataNotFound; // nothing to delete: nothing written
    }
    // The key (a 1-byte empty item) and the slot's certificate go in one commit, as GENERATE puts them: a slot
    // never keeps a certificate whose key is gone, whatever the power does.
    const std::array<std::uint8_t, 1> empty{0x00};
    JournalBatch gone;
    gone.add(static_cast<std::uint8_t>(kItemKeyBase + slot), std::span<const std::uint8_t>(empty));
    return writeObject(kSlotCertObject[slot], {}, &gone);
}

Status PivApp::cmdGeneralAuthenticate(const Apdu& a, ResponseWriter& out)
{
    if (a.p2 == 0x9B) {
        return managementAuth(a, out);
    }
    return keyOperation(a, out);
}

Status PivApp::keyOperation(const Apdu& a, ResponseWriter& out)
{
    const int slot = slotIndex(a.p2);
    if (slot < 0) {
        return Status::BadP1P2;
    }
    // 7C { 82 00, 81 digest } = sign; 7C { 82 00, 85 point } = ECDH (73-4 Part 2 Appendix A.3/A.5).
    std::size_t pos = 0;
    std::uint32_t tag = 0;
    std::span<const std::uint8_t> t7c;
    if (!nextTlv(a.data, pos, tag, t7c) || tag != 0x7C || pos != a.data.size()) {
        return Status::BadData;
    }
    std::span<const std::uint8_t> challenge;
    std::span<const std::uint8_t> peer;
    bool wantsResponse = false;
    bool hasChallenge = false;
    bool hasPeer = false;
    pos = 0;
    while (pos < t7c.size()) {
        std::span<const std::uint8_t> v;
        if (!nextTlv(t7c, pos, tag, v)) {
            return Status::BadData;
        }
        if (tag == 0x82 && v.empty()) {
            wantsResponse = true;
        } else if (tag == 0x81) {
            challenge = v;
            hasChallenge = true;
        } else if (tag == 0x85) {
            peer = v;
            hasPeer = true;
        } else {
            return Status::BadData;
        }
    }
    if (!wantsResponse || hasChallenge == hasPeer) {
        return Status::BadData;
    }
    KeySlot key;
    if (const Status s = loadKey(static_cast<std::size_t>(slot), key); s != Status::Ok) {
        return s;
    }
    hal::EcCurve curve{};
    if (key.alg == 0 || !curveOf(key.alg, curve)) {
        return Status::RefDataNotFound;
    }
    if (a.p1 != key.alg) {
        return Status::BadP1P2; // the algorithm named in P1 must be the key's
    }
    // The slot's PIN policy (73-4 Part 1 §3.3.2): 9C ("always") needs VERIFY as the command just before.
    const bool pinOk = key.pinPolicy == kPolicyNever
        || (key.pinPolicy == kPolicyOnce && m_pinVerified == Verdict::Granted)
        || (key.pinPolicy == kPolicyAlways && m_pinVerified == Verdict::Granted
            && m_pinJustVerified == Verdict::Granted);
    if (!pinOk) {
        return Status::SecurityNotSatisfied;
    }
    const std::size_t n = hal::ecFieldBytes(curve);
    if (hasChallenge && (challenge.empty() || challenge.size() > 2 * n)) {
        return Status::WrongLength; // before the touch: a malformed command never asks the cardholder
    }
    // The key's touch policy: the cardholder confirms each private-key operation on the key, through the same
    // presence HAL as the purse's DEBIT (the HID layer sends KEEPALIVE "waiting for touch" meanwhile; a host CANCEL
    // ends the wait with 6F00; a refusal or the timeout is 6985). Nothing is written either way.
    if (key.touchPolicy != kTouchNever) {
        const hal::PresenceResult touch = m_platform.presence.waitForTouch(kPivTouchTimeoutMs);
        if (touch != hal::PresenceResult::Confirmed) {
            return touch == hal::PresenceResult::Cancelled ? Status::Cancelled : Status::TouchRefused;
        }
    }
    const std::span<const std::uint8_t> priv(key.priv.data(), n);
    if (hasChallenge) {
        if (challenge.empty() || challenge.size() > 2 * n) {
            return Status::WrongLength;
        }
        std::array<std::uint8_t, 2 * 48> rs{};
        if (!m_platform.crypto.ecSign(curve, priv, challenge, std::span<std::uint8_t>(rs.data(), 2 * n))) {
            return Status::BadData;
        }
        // 7C { 82 ECDSA-Sig-Value (DER SEQUENCE of r, s) }, as OpenSC and yubico-piv-tool expect.
        const std::span<const std::uint8_t> r(rs.data(), n);
        const std::span<const std::uint8_t> s(rs.data() + n, n);
        const std::size_t seq = derIntegerBytes(r) + derIntegerBytes(s);
        const std::size_t t82 = 1 + lengthBytes(seq) + seq;
        out.put(0x7C);
        putLength(out, 1 + lengthBytes(t82) + t82);
        out.put(0x82);
        putLength(out, t82);
        out.put(0x30);
        putLength(out, seq);
        putDerInteger(out, r);
        putDerInteger(out, s);
        return Status::Ok;
    }
    if (curve == hal::EcCurve::Sm2) {
        return Status::BadData; // SM2 key exchange is not ECDH: not offered (docs/piv.md)
    }
    std::array<std::uint8_t, 48> shared{};
    if (!m_platform.crypto.ecdh(curve, priv, peer, std::span<std::uint8_t>(shared.data(), n))) {
        return Status::BadData;
    }
    out.put(0x7C);
    putLength(out, 2 + n);
    out.put(0x82);
    putLength(out, n);
    out.put(std::span<const std::uint8_t>(shared.data(), n));
    secureZero(shared);
    return Status::Ok;
}

// --- Yubico compatibility ------------------------------------------------------------------------------------------

Status PivApp::cmdGetVersion(const Apdu& a, ResponseWriter& out)
{
    // yubico-piv-tool asks first; it picks its command set from the answer. 5.2.7 is a YubiKey 5 without the
    // metadata command (F7), which this token does not implement (docs/piv.md).
    if (a.p1 != 0 || a.p2 != 0 || !a.data.empty()) {
        return Status::BadP1P2;
    }
    const std::uint8_t v[] = {5, 2, 7};
    out.put(v);
    return Status::Ok;
}

Status PivApp::cmdGetMetadata(const Apdu& a, ResponseWriter& out)
{
    // Yubico GET METADATA of a key slot (INS F7, P2 = slot): 01 algorithm, 02 PIN and touch policy, 03 origin
    // (01 generated), 04 { 86 public point }. The public point is recomputed from the private key by the engine.
    if (a.p1 != 0x00 || !a.data.empty()) {
        return Status::BadP1P2;
    }
    const int slot = slotIndex(a.p2);
    if (slot < 0) {
        return Status::BadP1P2;
    }
    KeySlot key;
    if (const Status s = loadKey(static_cast<std::size_t>(slot), key); s != Status::Ok) {
        return s;
    }
    hal::EcCurve curve{};
    if (key.alg == 0 || !curveOf(key.alg, curve)) {
        return Status::RefDataNotFound;
    }
    const std::size_t n = hal::ecFieldBytes(curve);
    std::array<std::uint8_t, 1 + 2 * 48> pub{};
    if (!m_platform.crypto.ecPublicKey(
            curve, std::span<const std::uint8_t>(key.priv.data(), n), std::span<std::uint8_t>(pub.data(), 1 + 2 * n))) {
        return Status::BadData;
    }
    const std::uint8_t head[]
        = {0x01, 0x01, key.alg, 0x02, 0x02, key.pinPolicy, key.touchPolicy, 0x03, 0x01, 0x01, 0x04};
    out.put(head);
    putLength(out, 2 + 1 + 2 * n);
    out.put(0x86);
    putLength(out, 1 + 2 * n);
    out.put(std::span<const std::uint8_t>(pub.data(), 1 + 2 * n));
    return Status::Ok;
}

Status PivApp::cmdGetChallenge(const Apdu& a, ResponseWriter& out)
{
    // GET CHALLENGE (ISO 7816-4 §11.5.3) from the token's RNG: the PKCS#11 module's C_GenerateRandom. Not a PIV
    // command (73-4 has none); 1..256 bytes.
    if (a.p1 != 0 || a.p2 != 0) {
        return Status::BadP1P2;
    }
    if (!a.data.empty() || !a.hasLe || a.ne > 256) {
        return Status::WrongLength;
    }
    std::array<std::uint8_t, 256> r{};
    if (!m_platform.rng.fill(std::span<std::uint8_t>(r.data(), a.ne))) {
        return Status::Cancelled;
    }
    out.put(std::span<const std::uint8_t>(r.data(), a.ne));
    return Status::Ok;
}

Status PivApp::cmdGetSerial(const Apdu& a, ResponseWriter& out)
{
    if (a.p1 != 0 || a.p2 != 0 || !a.data.empty()) {
        return Status::BadP1P2;
    }
    std::array<std::uint8_t, 8> serial{};
    m_platform.system.deviceSerial(serial);
    out.put(std::span<const std::uint8_t>(serial.data() + 4, 4)); // the low 32 bits of the device serial
    return Status::Ok;
}

} // namespace skey::piv
