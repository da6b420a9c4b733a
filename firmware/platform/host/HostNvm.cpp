// SPDX-License-Identifier: Apache-2.0
#include "HostNvm.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace skey::host {

HostNvm::HostNvm(std::size_t pageSize, std::size_t pageCount)
    : m_pageSize(pageSize)
    , m_pageCount(pageCount)
    , m_image(pageSize * pageCount, 0xFF)
    , m_unreadable((pageSize * pageCount + 7) / 8, 0)
{
    m_counters.erasesPerPage.assign(pageCount, 0);
}

std::optional<std::string> HostNvm::attachFile(const std::string& path)
{
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) {
        std::ifstream in(path, std::ios::binary);
        std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (!in.good() && !in.eof()) {
            return "cannot read NVM file " + path;
        }
        if (bytes.size() < m_image.size() || bytes.size() > m_image.size() + kMaxFileTrailer) {
            return "NVM file " + path + " has " + std::to_string(bytes.size()) + " bytes, expected "
                + std::to_string(m_image.size()) + " (not a token image of this simulator)";
        }
        const auto imageEnd = bytes.begin() + static_cast<std::ptrdiff_t>(m_image.size());
        m_trailer.assign(imageEnd, bytes.end());
        m_image.assign(bytes.begin(), imageEnd);
        m_loadedFromFile = true;
    }
    m_path = path;
    persist();
    return std::nullopt;
}

void HostNvm::setFileTrailer(std::vector<std::uint8_t> trailer)
{
    if (trailer.size() > kMaxFileTrailer) {
        return;
    }
    m_trailer = std::move(trailer);
    persist();
}

void HostNvm::armPowerCut(std::uint64_t n, TearModel model)
{
    m_cutCountdown = n;
    m_tearModel = model;
}

void HostNvm::disarmPowerCut()
{
    m_cutCountdown = 0;
}

void HostNvm::cutPowerNow()
{
    m_powerLost = true;
    m_cutCountdown = 0;
}

void HostNvm::powerRestore()
{
    m_powerLost = false;
    m_cutCountdown = 0;
}

void HostNvm::resetCounters()
{
    m_counters = NvmCounters{};
    m_counters.erasesPerPage.assign(m_pageCount, 0);
}

void HostNvm::setImage(const std::vector<std::uint8_t>& image)
{
    if (image.size() == m_image.size()) {
        m_image = image;
        std::fill(m_unreadable.begin(), m_unreadable.end(), 0);
        persist();
    }
}

hal::NvmStatus HostNvm::read(std::size_t address, std::span<std::uint8_t> out)
{
    if (m_powerLost) {
        return hal::NvmStatus::PowerLost;
    }
    if (address > m_image.size() || out.size() > m_image.size() - address) {
        return hal::NvmStatus::Fault;
    }
    if (touchesUnreadable(address, out.size())) {
        return hal::NvmStatus::Fault; // ECC double error (on the MCU: the NMI handler turns it into this)
    }
    std::copy_n(m_image.begin() + static_cast<std::ptrdiff_t>(address), out.size(), out.begin());
    return hal::NvmStatus::Ok;
}

bool HostNvm::hitByCut()
{
    if (m_cutCountdown == 0) {
        return false;
    }
    return --m_cutCountdown == 0;
}

hal::NvmStatus HostNvm::program(std::size_t address, std::span<const std::uint8_t> data)
{
    if (m_powerLost) {
        return hal::NvmStatus::PowerLost;
    }
    if (address > m_image.size() || data.size() > m_image.size() - address
        || (data.size() > 0 && address / m_pageSize != (address + data.size() - 1) / m_pageSize)) {
        return hal::NvmStatus::Fault;
    }
    if (touchesUnreadable(address, data.size())) {
        return hal::NvmStatus::Fault; // programming a double word that is not erased (PROGERR on the MCU)
    }
    std::size_t count = data.size();
    const bool cut = hitByCut();
    if (cut) {
        count = m_tearModel == TearModel::NothingWritten ? 0
            : m_tearModel == TearModel::PartlyWritten    ? data.size() / 2
            : m_tearModel == TearModel::EccTorn          ? (data.size() / 2) & ~static_cast<std::size_t>(7)
                                                         : data.size();
    }
    for (std::size_t i = 0; i < count; ++i) {
        m_image[address + i] &= data[i]; // NOR flash: bits only go 1 -> 0
    }
    if (cut && m_tearModel == TearModel::EccTorn && count < data.size()) {
        // The double word being programmed when the power went: some of its bits, and an ECC code that fits none.
        const std::size_t dw = (address + count) / 8;
        m_unreadable[dw] = 1;
        m_image[address + count] &= data[count];
    }
    if (cut) {
        m_powerLost = true;
        persist();
        return hal::NvmStatus::PowerLost;
    }
    ++m_counters.programs;
    m_counters.bytesProgrammed += data.size();
    persist();
    return hal::NvmStatus::Ok;
}

hal::NvmStatus HostNvm::erase(std::size_t page)
{
    if (m_powerLost) {
        return hal::NvmStatus::PowerLost;
    }
    if (page >= m_pageCount) {
        return hal::NvmStatus::Fault;
    }
    const auto begin = m_image.begin() + static_cast<std::ptrdiff_t>(page * m_pageSize);
    const auto flags = m_unreadable.begin() + static_cast<std::ptrdiff_t>(page * m_pageSize / 8);
    const auto half = static_cast<std::ptrdiff_t>(m_pageSize / 16);
    const bool cut = hitByCut();
    if (cut && m_tearModel == TearModel::EccTorn) {
        // Cut mid-erase: the first half erased, the second half not erased and unreadable.
        std::fill(begin, begin + static_cast<std::ptrdiff_t>(m_pageSize / 2), 0xFF);
        std::fill(flags, flags + half, 0);
        std::fill(flags + half, flags + 2 * half, 1);
    } else if (cut && m_tearModel == TearModel::PartlyWritten) {
        // An interrupted erase leaves a prefix erased and the rest unreliable (modelled as a fixed pattern).
        std::fill(begin, begin + static_cast<std::ptrdiff_t>(m_pageSize / 2), 0xFF);
        std::fill(
            begin + static_cast<std::ptrdiff_t>(m_pageSize / 2), begin + static_cast<std::ptrdiff_t>(m_pageSize), 0xA5);
    } else if (!cut || m_tearModel == TearModel::FullyWritten) {
        std::fill(begin, begin + static_cast<std::ptrdiff_t>(m_pageSize), 0xFF);
        std::fill(flags, flags + 2 * half, 0);
    }
    if (cut) {
        m_powerLost = true;
        persist();
        return hal::NvmStatus::PowerLost;
    }
    ++m_counters.erases;
    ++m_counters.erasesPerPage[page];
    persist();
    return hal::NvmStatus::Ok;
}

bool HostNvm::touchesUnreadable(std::size_t address, std::size_t size) const
{
    if (size == 0) {
        return false;
    }
    for (std::size_t dw = address / 8; dw <= (address + size - 1) / 8; ++dw) {
        if (m_unreadable[dw] != 0) {
            return true;
        }
    }
    return false;
}

std::size_t HostNvm::unreadableDoubleWords() const
{
    return static_cast<std::size_t>(std::count(m_unreadable.begin(), m_unreadable.end(), std::uint8_t{1}));
}

void HostNvm::persist()
{
    if (m_path.empty()) {
        return;
    }
    // Write-through with an atomic replace, so a killed simulator never leaves a half-written image file.
    const std::string tmp = m_path + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        return;
    }
    // A temporary file left by a killed simulator keeps its old mode through O_CREAT: the image (keys, PINs,
    // balances) is the owner's only in any case (issue 9 item 19).
    ::fchmod(fd, 0600);
    for (const std::vector<std::uint8_t>* part : {&m_image, &m_trailer}) {
        std::size_t done = 0;
        while (done < part->size()) {
            const ssize_t n = ::write(fd, part->data() + done, part->size() - done);
            if (n <= 0) {
                ::close(fd);
                return;
            }
            done += static_cast<std::size_t>(n);
        }
    }
    ::fsync(fd);
    ::close(fd);
    std::rename(tmp.c_str(), m_path.c_str());
}

} // namespace skey::host
