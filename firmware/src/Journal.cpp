// SPDX-License-Identifier: Apache-2.0
#include "Journal.h"

#include "Bytes.h"

namespace skey {
namespace {

constexpr std::uint32_t kPageMagic = 0x534B4A31u; // "SKJ1"
constexpr std::uint16_t kEntryMagic = 0x4A45u; // "JE"
constexpr std::size_t kReservePages = 2; // kept free so GC always has somewhere to copy to

/// Entries start and end on 8-byte boundaries: flash with 64-bit program granularity (and ECC) never programs the
/// same double word twice.
constexpr std::size_t align8(std::size_t n)
{
    return (n + 7u) & ~static_cast<std::size_t>(7u);
}

StoreStatus fromNvm(hal::NvmStatus s)
{
    switch (s) {
    case hal::NvmStatus::Ok:
        return StoreStatus::Ok;
    case hal::NvmStatus::PowerLost:
        return StoreStatus::PowerLost;
    case hal::NvmStatus::Fault:
        return StoreStatus::Fault;
    }
    return StoreStatus::Fault;
}

} // namespace

bool JournalBatch::add(std::uint8_t id, std::span<const std::uint8_t> data)
{
    if (id >= kItemCount || data.empty() || data.size() > kMaxItemSize || m_used + 2 + data.size() > m_body.size()) {
        m_failed = true;
        return false;
    }
    m_body[m_used++] = id;
    m_body[m_used++] = static_cast<std::uint8_t>(data.size());
    copyBytes(m_body.data() + m_used, data.data(), data.size());
    m_used += data.size();
    return true;
}

bool JournalBatch::contains(std::uint8_t id) const
{
    for (std::size_t i = 0; i + 1 < m_used; i += 2u + m_body[i + 1]) {
        if (m_body[i] == id) {
            return true;
        }
    }
    return false;
}

void JournalBatch::clear()
{
    secureZero(std::span<std::uint8_t>(m_body.data(), m_used));
    m_used = 0;
    m_failed = false;
}

JournalBatch::~JournalBatch()
{
    clear();
}

Journal::Journal(hal::Nvm& nvm, const ItemSet* secrets)
    : m_nvm(nvm)
    , m_secrets(secrets)
    , m_pageSize(nvm.pageSize())
    , m_pageCount(nvm.pageCount() < kMaxPages ? nvm.pageCount() : kMaxPages)
{ }

void Journal::clearIndex()
{
    m_addr.fill(0);
    m_len.fill(0);
    m_staleSecret.fill(0);
}

void Journal::markSuperseded(std::size_t page)
{
    if (page < kMaxPages) {
        m_staleSecret[page / 8] = static_cast<std::uint8_t>(m_staleSecret[page / 8] | (1u << (page % 8)));
    }
}

std::size_t Journal::pagesWithSupersededSecrets() const
{
    std::size_t n = 0;
    for (std::size_t p = 0; p < m_pageCount; ++p) {
        n += (m_staleSecret[p / 8] >> (p % 8)) & 1u;
    }
    return n;
}

bool Journal::pageHeaderValid(std::size_t page, std::uint32_t& seq)
{
    std::array<std::uint8_t, kPageHeaderBytes> h{};
    if (m_nvm.read(page * m_pageSize, h) != hal::NvmStatus::Ok) {
        return false;
    }
    if (be32(h.data()) != kPageMagic || be32(h.data() + 8) != crc32(std::span<const std::uint8_t>(h.data(), 8))) {
        return false;
    }
    seq = be32(h.data() + 4);
    return seq != 0 && seq != 0xFFFFFFFFu;
}

void Journal::indexBody(std::size_t bodyAddress, std::span<const std::uint8_t> body)
{
    std::size_t pos = 0;
    while (pos + 2 <= body.size()) {
        const std::uint8_t id = body[pos];
        const std::uint8_t len = body[pos + 1];
        if (id >= kItemCount || len == 0 || len > kMaxItemSize || pos + 2 + len > body.size()) {
            return; // cannot happen for an entry with a good CRC written by this code
        }
        if (m_len[id] != 0 && m_secrets != nullptr && m_secrets->contains(id)) {
            markSuperseded(m_addr[id] / m_pageSize); // the old copy of a secret: wiped before commit() returns
        }
        m_addr[id] = static_cast<std::uint32_t>(bodyAddress + pos + 2);
        m_len[id] = len;
        pos += 2u + len;
    }
}

StoreStatus Journal::mount()
{
    clearIndex();
    m_knownErased.fill(false); // after a reset nothing is known: a free page may hold a torn erase or write
    m_head = kMaxPages;
    m_headOffset = 0;
    m_maxSeq = 0;
    m_headerPending = false;
    if (m_pageSize < 256 || m_pageSize > 65536 || m_pageCount < 4) {
        return StoreStatus::Fault;
    }
    for (std::size_t p = 0; p < m_pageCount; ++p) {
        std::uint32_t seq = 0;
        m_pageSeq[p] = pageHeaderValid(p, seq) ? seq : 0;
        if (m_pageSeq[p] > m_maxSeq) {
            m_maxSeq = m_pageSeq[p];
        }
    }
    // Replay pages in sequence order (selection by the next larger sequence number: no sort buffer, no recursion).
    std::uint32_t last = 0;
    for (;;) {
        std::size_t page = kMaxPages;
        std::uint32_t best = 0xFFFFFFFFu;
        for (std::size_t p = 0; p < m_pageCount; ++p) {
            if (m_pageSeq[p] > last && m_pageSeq[p] < best) {
                best = m_pageSeq[p];
                page = p;
            }
        }
        if (page == kMaxPages) {
            break;
        }
        last = best;
        const std::size_t base = page * m_pageSize;
        std::size_t off = kPageHeaderBytes;
        bool clean = true;
        while (off + kEntryHeaderBytes + kEntryCrcBytes <= m_pageSize) {
            std::uint8_t* e = m_entry.data();
            const hal::NvmStatus hs = m_nvm.read(base + off, std::span<std::uint8_t>(e, kEntryHeaderBytes));
            if (hs == hal::NvmStatus::PowerLost) {
                return StoreStatus::Fault;
            }
            if (hs != hal::NvmStatus::Ok) {
                clean = false; // an unreadable double word (ECC error of a torn program): a torn tail
                break;
            }
            if (be16(e) == 0xFFFF && be16(e + 2) == 0xFFFF && be16(e + 4) == 0xFFFF && be16(e + 6) == 0xFFFF) {
                break; // end of the written part (checked for cleanliness below)
            }
            const std::size_t total = be16(e + 2);
            const std::size_t bodyLen = be16(e + 4);
            if (be16(e) != kEntryMagic || total < kEntryHeaderBytes + kEntryCrcBytes || total > kMaxEntryBytes
                || (total & 7u) != 0 || off + total > m_pageSize
                || align8(kEntryHeaderBytes + bodyLen + kEntryCrcBytes) != total) {
                clean = false;
                break;
            }
            const hal::NvmStatus es = m_nvm.read(base + off, std::span<std::uint8_t>(e, total));
            if (es == hal::NvmStatus::PowerLost) {
                return StoreStatus::Fault;
            }
            if (es != hal::NvmStatus::Ok) {
                clean = false; // the torn entry holds an unreadable double word
                break;
            }
            if (crc32(std::span<const std::uint8_t>(e, total - kEntryCrcBytes)) != be32(e + total - kEntryCrcBytes)) {
                clean = false; // torn entry: the commit never happened
                break;
            }
            indexBody(base + off + kEntryHeaderBytes, std::span<const std::uint8_t>(e + kEntryHeaderBytes, bodyLen));
            off += total;
        }
        if (clean) {
            // Everything after the last entry must still be erased, or the page is not safe to append to.
            std::size_t at = off;
            while (clean && at < m_pageSize) {
                const std::size_t chunk = (m_pageSize - at) < m_entry.size() ? (m_pageSize - at) : m_entry.size();
                const hal::NvmStatus ts = m_nvm.read(base + at, std::span<std::uint8_t>(m_entry.data(), chunk));
                if (ts == hal::NvmStatus::PowerLost) {
                    return StoreStatus::Fault;
                }
                if (ts != hal::NvmStatus::Ok) {
                    clean = false; // unreadable after the last entry: torn
                    break;
                }
                for (std::size_t i = 0; i < chunk; ++i) {
                    if (m_entry[i] != 0xFF) {
                        clean = false;
                        break;
                    }
                }
                at += chunk;
            }
        }
        m_head = page;
        m_headOffset = clean ? off : m_pageSize; // a torn page is closed
        if (!clean && m_secrets != nullptr) {
            markSuperseded(page); // the torn entry may hold (part of) a secret that no index points to: compact it
        }
    }
    secureZero(m_entry);
    return StoreStatus::Ok;
}

StoreStatus Journal::format()
{
    for (std::size_t p = 0; p < m_pageCount; ++p) {
        const StoreStatus s = fromNvm(m_nvm.erase(p));
        if (s != StoreStatus::Ok) {
            return s;
        }
        m_pageSeq[p] = 0;
        m_knownErased[p] = true;
    }
    clearIndex();
    m_maxSeq = 0;
    m_head = kMaxPages;
    m_headOffset = 0;
    m_headerPending = false;
    return StoreStatus::Ok;
}

std::size_t Journal::freePages() const
{
    std::size_t n = 0;
    for (std::size_t p = 0; p < m_pageCount; ++p) {
        n += m_pageSeq[p] == 0 ? 1u : 0u;
    }
    return n;
}

std::size_t Journal::usedPages() const
{
    return m_pageCount - freePages();
}

StoreStatus Journal::openNewPage()
{
    const std::size_t start = m_head == kMaxPages ? 0 : (m_head + 1) % m_pageCount;
    std::size_t page = kMaxPages;
    for (std::size_t i = 0; i < m_pageCount; ++i) {
        const std::size_t p = (start + i) % m_pageCount;
        if (m_pageSeq[p] == 0) {
            page = p;
            break;
        }
    }
    if (page == kMaxPages || m_maxSeq >= 0xFFFFFFF0u) {
        return StoreStatus::Full;
    }
    // A free page may hold garbage of a torn erase or write: erase it, unless we erased it ourselves since mount().
    StoreStatus s = m_knownErased[page] ? StoreStatus::Ok : fromNvm(m_nvm.erase(page));
    if (s != StoreStatus::Ok) {
        return s;
    }
    m_knownErased[page] = false;
    // The header is programmed together with the page's first entry (appendEntry): one page program less for
    // every page opened. A cut of that program leaves no valid header (a free page, erased before use) or a valid
    // header with a torn entry (a torn tail): the old state either way.
    m_headerPending = true;
    m_maxSeq += 1;
    m_pageSeq[page] = m_maxSeq;
    m_head = page;
    m_headOffset = kPageHeaderBytes;
    return StoreStatus::Ok;
}

StoreStatus Journal::appendEntry(std::span<const std::uint8_t> body, bool allowGc)
{
    const std::size_t total = align8(kEntryHeaderBytes + body.size() + kEntryCrcBytes);
    if (body.empty() || total > kMaxEntryBytes || total > m_pageSize - kPageHeaderBytes) {
        return StoreStatus::Fault;
    }
    if (m_head == kMaxPages || m_headOffset + total > m_pageSize) {
        if (allowGc) {
            // Keep the reserve: collect the oldest pages until enough are free. Bounded: each pass frees one page.
            for (std::size_t guard = 0; freePages() <= kReservePages && guard < m_pageCount; ++guard) {
                const StoreStatus s = collectOldest();
                if (s != StoreStatus::Ok) {
                    return s;
                }
            }
            if (freePages() <= kReservePages) {
                return StoreStatus::Full;
            }
            if (m_headOffset + total <= m_pageSize && m_head != kMaxPages) {
                // GC left room in the head page.
            } else {
                const StoreStatus s = openNewPage();
                if (s != StoreStatus::Ok) {
                    return s;
                }
            }
        } else {
            const StoreStatus s = openNewPage();
            if (s != StoreStatus::Ok) {
                return s;
            }
        }
    }
    const std::size_t lead = m_headerPending ? kPageHeaderBytes : 0;
    std::uint8_t* e = m_entry.data() + lead;
    if (m_headerPending) {
        std::uint8_t* h = m_entry.data();
        putBe32(h, kPageMagic);
        putBe32(h + 4, m_maxSeq);
        putBe32(h + 8, crc32(std::span<const std::uint8_t>(h, 8)));
        putBe32(h + 12, 0xFFFFFFFFu);
    }
    putBe16(e, kEntryMagic);
    putBe16(e + 2, static_cast<std::uint16_t>(total));
    putBe16(e + 4, static_cast<std::uint16_t>(body.size()));
    putBe16(e + 6, 0);
    copyBytes(e + kEntryHeaderBytes, body.data(), body.size());
    for (std::size_t i = kEntryHeaderBytes + body.size(); i < total - kEntryCrcBytes; ++i) {
        e[i] = 0;
    }
    putBe32(e + total - kEntryCrcBytes, crc32(std::span<const std::uint8_t>(e, total - kEntryCrcBytes)));
    const std::size_t address = m_head * m_pageSize + m_headOffset;
    const StoreStatus s
        = fromNvm(m_nvm.program(address - lead, std::span<const std::uint8_t>(m_entry.data(), lead + total)));
    secureZero(std::span<std::uint8_t>(m_entry.data(), lead + total));
    if (s != StoreStatus::Ok) {
        return s;
    }
    m_headerPending = false;
    indexBody(address + kEntryHeaderBytes, body);
    m_headOffset += total;
    return StoreStatus::Ok;
}

StoreStatus Journal::collectOldest()
{
    std::size_t tail = kMaxPages;
    std::uint32_t best = 0xFFFFFFFFu;
    for (std::size_t p = 0; p < m_pageCount; ++p) {
        if (p != m_head && m_pageSeq[p] != 0 && m_pageSeq[p] < best) {
            best = m_pageSeq[p];
            tail = p;
        }
    }
    if (tail == kMaxPages) {
        return StoreStatus::Full;
    }
    return collectPage(tail);
}

StoreStatus Journal::collectPage(std::size_t tail)
{
    const std::size_t lo = tail * m_pageSize;
    const std::size_t hi = lo + m_pageSize;
    std::array<std::uint8_t, kMaxItemSize> item{};
    m_gcBatch.clear();
    for (std::size_t id = 0; id < kItemCount; ++id) {
        if (m_len[id] == 0 || m_addr[id] < lo || m_addr[id] >= hi) {
            continue;
        }
        const std::size_t len = m_len[id];
        if (m_nvm.read(m_addr[id], std::span<std::uint8_t>(item.data(), len)) != hal::NvmStatus::Ok) {
            return StoreStatus::Fault;
        }
        // One entry must fit the batch and a page (small pages hold less than kMaxEntryBytes).
        const std::size_t pageBody = m_pageSize - kPageHeaderBytes - kEntryHeaderBytes - kEntryCrcBytes;
        if (m_gcBatch.size() + 2 + len > pageBody
            || !m_gcBatch.add(static_cast<std::uint8_t>(id), std::span<const std::uint8_t>(item.data(), len))) {
            const StoreStatus s = appendEntry(m_gcBatch.body(), false);
            m_gcBatch.clear();
            if (s != StoreStatus::Ok) {
                return s;
            }
            if (!m_gcBatch.add(static_cast<std::uint8_t>(id), std::span<const std::uint8_t>(item.data(), len))) {
                secureZero(item);
                return StoreStatus::Fault; // an item larger than a page body: impossible by construction
            }
        }
    }
    secureZero(item);
    if (!m_gcBatch.empty()) {
        const StoreStatus s = appendEntry(m_gcBatch.body(), false);
        m_gcBatch.clear();
        if (s != StoreStatus::Ok) {
            return s;
        }
    }
    // Every live item of the tail now has a newer copy: the page can go.
    const StoreStatus s = fromNvm(m_nvm.erase(tail));
    if (s != StoreStatus::Ok) {
        return s;
    }
    m_pageSeq[tail] = 0;
    m_knownErased[tail] = true;
    m_staleSecret[tail / 8] = static_cast<std::uint8_t>(m_staleSecret[tail / 8] & ~(1u << (tail % 8)));
    return StoreStatus::Ok;
}

StoreStatus Journal::wipeSupersededSecrets()
{
    // Each pass erases one page; bounded by the page count (a copy forward never marks a page of its own copies).
    for (std::size_t guard = 0; guard <= m_pageCount; ++guard) {
        std::size_t page = kMaxPages;
        for (std::size_t p = 0; p < m_pageCount && page == kMaxPages; ++p) {
            if (((m_staleSecret[p / 8] >> (p % 8)) & 1u) != 0) {
                page = p;
            }
        }
        if (page == kMaxPages) {
            return StoreStatus::Ok;
        }
        if (m_pageSeq[page] == 0) {
            // Cannot happen (erasing a page unmarks it); a free page holds no entry, so there is nothing to wipe.
            m_staleSecret[page / 8] = static_cast<std::uint8_t>(m_staleSecret[page / 8] & ~(1u << (page % 8)));
            continue;
        }
        // Keep the reserve for the copies, as appendEntry() does (GC may collect this very page: then it is done).
        for (std::size_t g = 0; freePages() <= kReservePages && g < m_pageCount; ++g) {
            const StoreStatus s = collectOldest();
            if (s != StoreStatus::Ok) {
                return s;
            }
        }
        if (m_pageSeq[page] == 0) {
            continue;
        }
        if (freePages() == 0) {
            return StoreStatus::Full;
        }
        if (page == m_head) {
            m_headOffset = m_pageSize; // closed: its live items go to a new page, then it is erased
        }
        const StoreStatus s = collectPage(page);
        if (s != StoreStatus::Ok) {
            return s;
        }
    }
    return StoreStatus::Fault;
}

StoreStatus Journal::scrub()
{
    // 1. A free page (no valid header) must read erased: a torn erase or a torn first program may have left old
    //    content there (EccTorn: unreadable double words), which no mount ever looks at again.
    for (std::size_t p = 0; p < m_pageCount; ++p) {
        if (m_pageSeq[p] != 0 || m_knownErased[p]) {
            continue;
        }
        bool clean = true;
        for (std::size_t at = 0; clean && at < m_pageSize;) {
            const std::size_t chunk = (m_pageSize - at) < m_entry.size() ? (m_pageSize - at) : m_entry.size();
            const hal::NvmStatus rs = m_nvm.read(p * m_pageSize + at, std::span<std::uint8_t>(m_entry.data(), chunk));
            if (rs == hal::NvmStatus::PowerLost) {
                return StoreStatus::PowerLost;
            }
            clean = rs == hal::NvmStatus::Ok;
            for (std::size_t i = 0; clean && i < chunk; ++i) {
                clean = m_entry[i] == 0xFF;
            }
            at += chunk;
        }
        secureZero(m_entry);
        if (!clean) {
            const StoreStatus s = fromNvm(m_nvm.erase(p));
            if (s != StoreStatus::Ok) {
                return s;
            }
            m_knownErased[p] = true;
        }
    }
    // 2. Pages that mount() found holding a superseded copy of a secret item.
    const StoreStatus s = wipeSupersededSecrets();
    return s == StoreStatus::Full ? StoreStatus::Ok : s;
}

StoreStatus Journal::commit(const JournalBatch& batch)
{
    if (batch.failed()) {
        return StoreStatus::Fault; // a programming error: never write part of a change
    }
    const StoreStatus s = appendEntry(batch.body(), true);
    if (s != StoreStatus::Ok) {
        return s;
    }
    // The commit point is behind us. A full NVM leaves the wipe to the next commit or power-on: the change stands.
    // Most commits replace no secret: 16 bytes of bit map say so without a call.
    for (const std::uint8_t bits : m_staleSecret) {
        if (bits != 0) {
            const StoreStatus w = wipeSupersededSecrets();
            return w == StoreStatus::Full ? StoreStatus::Ok : w;
        }
    }
    return StoreStatus::Ok;
}

StoreStatus Journal::digest(std::uint32_t& out)
{
    std::uint32_t crc = 0xFFFFFFFFu;
    std::array<std::uint8_t, kMaxItemSize> buf{};
    for (std::size_t id = 0; id < kItemCount; ++id) {
        if (m_len[id] == 0) {
            continue;
        }
        const std::uint8_t head[] = {static_cast<std::uint8_t>(id), m_len[id]};
        crc = crc32(head, crc);
        if (m_nvm.read(m_addr[id], std::span<std::uint8_t>(buf.data(), m_len[id])) != hal::NvmStatus::Ok) {
            return StoreStatus::Fault;
        }
        crc = crc32(std::span<const std::uint8_t>(buf.data(), m_len[id]), crc);
    }
    secureZero(buf);
    out = ~crc;
    return StoreStatus::Ok;
}

StoreStatus Journal::read(std::uint8_t id, std::span<std::uint8_t> out, std::size_t& length)
{
    length = 0;
    if (id >= kItemCount) {
        return StoreStatus::Fault;
    }
    if (m_len[id] == 0) {
        return StoreStatus::Ok;
    }
    if (out.size() < m_len[id]) {
        return StoreStatus::Fault;
    }
    const StoreStatus s = fromNvm(m_nvm.read(m_addr[id], out.first(m_len[id])));
    if (s == StoreStatus::Ok) {
        length = m_len[id];
    }
    return s;
}

} // namespace skey
