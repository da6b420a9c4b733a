// SPDX-License-Identifier: Apache-2.0
// The storage journal: the ONE primitive through which every NVM change of the token goes.
//
// Design (log-structured, after OpenSK's persistent_store and littlefs' copy-on-write rule):
// * The NVM area is a ring of pages. A page in use starts with a 16-byte header (magic, page sequence number, CRC);
//   a page without a valid header is free and is always erased before it is used again.
// * State is a set of small items (id < kItemCount, ≤ kMaxItemSize bytes). A commit writes ONE entry, i.e. ONE
//   program() of `magic ‖ length ‖ body length ‖ items ‖ pad ‖ CRC-32` into the newest page. An entry whose CRC does
//   not check is not there: a power cut during the program leaves the old state (entry invalid) or the new one
//   (entry complete), never a mix, whatever prefix or subset of bytes reached the cells.
// * The value of an item is its copy in the newest valid entry (pages in sequence order, entries in page order).
// * Garbage collection copies the live items of the oldest page forward (ordinary commits) and then erases it, so
//   the journal rotates over every page (wear levelling) and a cut during GC loses nothing.
// * mount() (called by CardOs::powerOn) rebuilds the RAM index from NVM; a page whose tail is not clean after its
//   last valid entry (a torn write) is closed and never appended to again. A read that faults (flash ECC: a double
//   word whose program was cut) counts as such a torn tail, never as a failed mount.
// * Secret items (PINs, keys: the set given to the constructor) leave no superseded copy in NVM. A commit that
//   replaces one (and a GC copy of one) marks the page holding the old copy; before commit() returns, every marked
//   page is collected: its live items are copied forward (ordinary entries: a cut loses nothing) and it is erased.
//   A cut in between leaves the old copy in a page that mount() marks again, and scrub() (called by power-on before
//   any command) finishes the work; scrub() also erases every free page that is not clean (a torn erase of a page
//   that held secrets), so after power-on no old copy of a secret is anywhere in the NVM. docs/firmware.md.
#pragma once

#include "hal/Nvm.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace skey {

enum class StoreStatus : std::uint8_t { Ok, PowerLost, Fault, Full };

inline constexpr std::size_t kItemCount = 256; ///< item ids 0..255 (160..255: PIV object chunks, docs/piv.md)
/// Bytes of one item: two of them fill one entry (2 × (2 + 120) = kMaxBatchBody), so PIV objects move in 120-byte
/// chunks.
inline constexpr std::size_t kMaxItemSize = 120;
inline constexpr std::size_t kMaxEntryBytes = 256; ///< one entry = one program(), never crosses a page
inline constexpr std::size_t kMaxPages = 128;
inline constexpr std::size_t kPageHeaderBytes = 16;
inline constexpr std::size_t kEntryHeaderBytes = 8;
inline constexpr std::size_t kEntryCrcBytes = 4;
inline constexpr std::size_t kMaxBatchBody = kMaxEntryBytes - kEntryHeaderBytes - kEntryCrcBytes;

/// A set of item ids (256 bits), e.g. the secret items whose superseded copies are wiped. constexpr: lives in flash.
class ItemSet
{
public:
    constexpr ItemSet() = default;
    /// Adds ids first..last (inclusive).
    constexpr ItemSet& addRange(std::uint8_t first, std::uint8_t last)
    {
        for (std::size_t id = first; id <= last; ++id) {
            m_bits[id / 8] = static_cast<std::uint8_t>(m_bits[id / 8] | (1u << (id % 8)));
        }
        return *this;
    }
    constexpr ItemSet& add(std::uint8_t id) { return addRange(id, id); }
    [[nodiscard]] constexpr bool contains(std::size_t id) const
    {
        return id < kItemCount && (m_bits[id / 8] & (1u << (id % 8))) != 0;
    }

private:
    std::array<std::uint8_t, kItemCount / 8> m_bits{};
};

/// The items of one commit, assembled in RAM. Items keep their order; a later add() of the same id wins.
class JournalBatch
{
public:
    /// Adds an item; returns false when the id or size is out of range or the batch is full (a programming error).
    /// A failed add() also poisons the batch: Journal::commit() refuses a poisoned batch and writes nothing, so no
    /// caller can commit half of what it meant to (callers may therefore ignore the return value).
    bool add(std::uint8_t id, std::span<const std::uint8_t> data);
    [[nodiscard]] bool failed() const { return m_failed; }
    /// True when the batch already holds item `id`.
    [[nodiscard]] bool contains(std::uint8_t id) const;
    [[nodiscard]] std::span<const std::uint8_t> body() const { return {m_body.data(), m_used}; }
    [[nodiscard]] bool empty() const { return m_used == 0; }
    [[nodiscard]] std::size_t size() const { return m_used; }
    void clear();
    ~JournalBatch();

private:
    std::array<std::uint8_t, kMaxBatchBody> m_body{};
    std::size_t m_used = 0;
    bool m_failed = false;
};

class Journal
{
public:
    /// `secrets`: items whose superseded copies must not stay in NVM (nullptr: none). Must outlive the journal.
    explicit Journal(hal::Nvm& nvm, const ItemSet* secrets = nullptr);

    /// Rebuilds the index from NVM (power-on recovery). Ok also for an empty (blank) store. Writes nothing.
    [[nodiscard]] StoreStatus mount();
    /// After mount(), before anything else: erases every free page that does not read clean (0xFF) and collects
    /// every page still holding a superseded copy of a secret item (left by a cut). Ok when nothing was to do.
    /// Full (no room to copy live items forward) leaves the work for the next commit; the state is intact anyway.
    [[nodiscard]] StoreStatus scrub();
    /// Pages still holding a superseded copy of a secret item (0 after a successful commit() or scrub()).
    [[nodiscard]] std::size_t pagesWithSupersededSecrets() const;
    /// Erases every page: factory initialisation only.
    [[nodiscard]] StoreStatus format();
    /// Writes all items of the batch atomically. A poisoned batch (a failed add()) is refused with Fault. When the
    /// batch replaces a secret item, the old copy is wiped before commit() returns; PowerLost or Fault after the
    /// entry was written means the new state is committed but the wipe is unfinished (scrub() at power-on ends it).
    [[nodiscard]] StoreStatus commit(const JournalBatch& batch);
    /// Copies item `id` into `out` (which must hold its length) and sets `length`; length 0 when the item is absent.
    [[nodiscard]] StoreStatus read(std::uint8_t id, std::span<std::uint8_t> out, std::size_t& length);
    [[nodiscard]] bool has(std::uint8_t id) const { return id < kItemCount && m_len[id] != 0; }

    /// CRC-32 over the logical content (every present item: id ‖ length ‖ value), independent of where the items
    /// live: equal digests = equal state. A self-test / diagnostics value (tests check "old or new state" with it).
    [[nodiscard]] StoreStatus digest(std::uint32_t& out);
    [[nodiscard]] std::size_t usedPages() const;
    [[nodiscard]] std::size_t pageCount() const { return m_pageCount; }

private:
    [[nodiscard]] StoreStatus appendEntry(std::span<const std::uint8_t> body, bool allowGc);
    [[nodiscard]] StoreStatus openNewPage();
    [[nodiscard]] StoreStatus collectOldest();
    [[nodiscard]] StoreStatus collectPage(std::size_t page);
    [[nodiscard]] StoreStatus wipeSupersededSecrets();
    void markSuperseded(std::size_t page);
    [[nodiscard]] std::size_t freePages() const;
    [[nodiscard]] bool pageHeaderValid(std::size_t page, std::uint32_t& seq);
    void indexBody(std::size_t bodyAddress, std::span<const std::uint8_t> body);
    void clearIndex();

    hal::Nvm& m_nvm;
    const ItemSet* m_secrets;
    /// Per page, bit set: the page holds a superseded copy of a secret item (kMaxPages bits).
    std::array<std::uint8_t, kMaxPages / 8> m_staleSecret{};
    std::size_t m_pageSize;
    std::size_t m_pageCount;
    std::array<std::uint32_t, kItemCount> m_addr{}; ///< NVM address of the item's data
    std::array<std::uint8_t, kItemCount> m_len{}; ///< 0 = absent
    std::array<std::uint32_t, kMaxPages> m_pageSeq{}; ///< 0 = free page
    std::array<bool, kMaxPages> m_knownErased{}; ///< erased by us since mount(): no second erase needed
    std::uint32_t m_maxSeq = 0;
    std::size_t m_head = kMaxPages; ///< page receiving entries; kMaxPages = none
    std::size_t m_headOffset = 0;
    /// The head page's header is not written yet: it goes out with the page's first entry, in one program().
    bool m_headerPending = false;
    /// Entry assembly (after room for a pending page header) / scan buffer.
    std::array<std::uint8_t, kPageHeaderBytes + kMaxEntryBytes> m_entry{};
    JournalBatch m_gcBatch;
};

} // namespace skey
