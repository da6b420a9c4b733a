// SPDX-License-Identifier: Apache-2.0
// Host platform: NVM in memory, optionally backed by a file (state survives simulator restarts), with a power-cut
// model for tearing tests: the N-th write from now does nothing, part of its bytes, all of them, or leaves an
// unreadable (ECC) double word, and every NVM call after it fails with PowerLost until powerRestore().
#pragma once

#include "hal/Nvm.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace skey::host {

enum class TearModel : std::uint8_t {
    NothingWritten, ///< the cut write has no effect
    PartlyWritten, ///< a prefix of the cut program (or erase: a prefix of the page reads 0xFF, the rest garbage)
    FullyWritten, ///< the cut write completes, the CPU stops right after it
    /// Flash with ECC per 64-bit double word (STM32L4): a cut program completes the double words before the one
    /// being programmed, which is left with an ECC double error, so every later read that touches it faults (the
    /// MCU's NMI; HostNvm::read answers Fault); a cut erase leaves the first half of the page erased and the second
    /// half unreadable. Only a completed erase of the page makes those double words readable again.
    EccTorn,
};
inline constexpr int kTearModelCount = 4;

struct NvmCounters
{
    std::uint64_t programs = 0; ///< program() calls that completed
    std::uint64_t erases = 0;
    std::uint64_t bytesProgrammed = 0;
    std::vector<std::uint32_t> erasesPerPage; ///< wear per page
};

class HostNvm final : public hal::Nvm
{
public:
    static constexpr std::size_t kDefaultPageSize = 512;
    static constexpr std::size_t kDefaultPageCount = 64; ///< 32 KiB

    explicit HostNvm(std::size_t pageSize = kDefaultPageSize, std::size_t pageCount = kDefaultPageCount);

    /// Host-side bytes kept after the image in the file (the simulator's serial number); never seen by the card OS.
    static constexpr std::size_t kMaxFileTrailer = 64;

    /// Backs the image with `path`: loads it if it exists (the image's size, plus at most kMaxFileTrailer bytes of
    /// trailer) and writes every change through (write to a temporary file, mode 0600, fsync, rename). Returns an
    /// error text, or nothing on success.
    [[nodiscard]] std::optional<std::string> attachFile(const std::string& path);
    /// True when attachFile() loaded an existing file (false: a new image was created).
    [[nodiscard]] bool loadedFromFile() const { return m_loadedFromFile; }
    /// The trailer read from the file (empty for a file written before trailers existed, or a new one).
    [[nodiscard]] const std::vector<std::uint8_t>& fileTrailer() const { return m_trailer; }
    /// Sets the trailer and writes the file (no effect beyond kMaxFileTrailer bytes).
    void setFileTrailer(std::vector<std::uint8_t> trailer);

    /// Arms a power cut at the `n`-th write from now (1 = the next program/erase).
    void armPowerCut(std::uint64_t n, TearModel model);
    void disarmPowerCut();
    /// Cuts power now: every call fails with PowerLost until powerRestore().
    void cutPowerNow();
    [[nodiscard]] bool powerLost() const { return m_powerLost; }
    /// Power returns (the card OS must then run powerOn()). Keeps the image, clears the armed cut.
    void powerRestore();

    /// Writes counted since the last resetCounters().
    [[nodiscard]] const NvmCounters& counters() const { return m_counters; }
    void resetCounters();

    /// Double words left unreadable by EccTorn cuts (0 when none).
    [[nodiscard]] std::size_t unreadableDoubleWords() const;

    /// The whole image, for byte-identity checks in tests.
    [[nodiscard]] const std::vector<std::uint8_t>& image() const { return m_image; }
    void setImage(const std::vector<std::uint8_t>& image);

    std::size_t pageSize() const override { return m_pageSize; }
    std::size_t pageCount() const override { return m_pageCount; }
    hal::NvmStatus read(std::size_t address, std::span<std::uint8_t> out) override;
    hal::NvmStatus program(std::size_t address, std::span<const std::uint8_t> data) override;
    hal::NvmStatus erase(std::size_t page) override;

private:
    /// Counts one write; returns true when this write is the one the power cut hits.
    bool hitByCut();
    [[nodiscard]] bool touchesUnreadable(std::size_t address, std::size_t size) const;
    void persist();

    std::size_t m_pageSize;
    std::size_t m_pageCount;
    std::vector<std::uint8_t> m_image;
    std::vector<std::uint8_t> m_trailer;
    bool m_loadedFromFile = false;
    std::string m_path;
    std::uint64_t m_cutCountdown = 0; ///< 0: not armed
    TearModel m_tearModel = TearModel::NothingWritten;
    bool m_powerLost = false;
    NvmCounters m_counters;
    std::vector<std::uint8_t> m_unreadable; ///< per 8-byte double word: 1 = ECC double error (EccTorn)
};

} // namespace skey::host
