// SPDX-License-Identifier: Apache-2.0
#include "McuPlatform.h"

#include "Bytes.h"
#include "TouchEdge.h"
#include "hid/HidPacketLayer.h"

namespace skey::mcu {
namespace {

// STM32L4 register map (RM0351): FLASH (McuPlatform.h), RNG, GPIO, UID, SCB.
struct RngRegs
{
    volatile std::uint32_t CR, SR, DR;
};
inline FlashRegs* flash()
{
    return reinterpret_cast<FlashRegs*>(0x40022000u);
}
inline RngRegs* rng()
{
    return reinterpret_cast<RngRegs*>(0x50060800u);
}
constexpr std::uint32_t kSrBsy = 1u << 16;
constexpr std::uint32_t kSrErrors
    = 0x0000C3FAu; // OPTVERR RDERR FASTERR MISERR PGSERR SIZERR PGAERR WRPERR PROGERR OPERR
constexpr std::uint32_t kCrPg = 1u << 0;
constexpr std::uint32_t kCrPer = 1u << 1;
constexpr std::uint32_t kCrStrt = 1u << 16;
constexpr std::uint32_t kCrLock = 1u << 31;
constexpr std::uint32_t kCrOptStrt = 1u << 17;
constexpr std::uint32_t kCrOblLaunch = 1u << 27;
constexpr std::uint32_t kCrOptLock = 1u << 30;
constexpr std::uint32_t kEccrEccd = 1u << 31; // ECC double error (write 1 to clear); raises the NMI
constexpr std::uint32_t kEccrAddrMask = 0x0007FFFFu; // ADDR_ECC: offset of the failing double word in the bank
volatile std::uint32_t* const kUid = reinterpret_cast<volatile std::uint32_t*>(0x1FFF7590u);
volatile std::uint32_t* const kAircr = reinterpret_cast<volatile std::uint32_t*>(0xE000ED0Cu);
volatile std::uint32_t* const kButtonIdr = reinterpret_cast<volatile std::uint32_t*>(0x48000010u); // GPIOA IDR
volatile std::uint32_t* const kLedOdr = reinterpret_cast<volatile std::uint32_t*>(0x48000414u); // GPIOB ODR

} // namespace

volatile std::uint32_t g_millis = 0;
volatile bool g_nvmEccFault = false;

bool onFlashEccNmi(FlashRegs& regs)
{
    const std::uint32_t eccr = regs.ECCR;
    if ((eccr & kEccrEccd) == 0) {
        return false;
    }
    const std::uint32_t address = 0x08000000u + (eccr & kEccrAddrMask);
    if (address < McuNvm::kBase || address >= McuNvm::kBase + McuNvm::kPageSize * McuNvm::kPageCount) {
        return false; // the image itself is damaged: nothing safe to return to
    }
    regs.ECCR = kEccrEccd; // clear ECCD (ECCC and the interrupt enable bits are not used)
    g_nvmEccFault = true;
    return true;
}

bool McuNvm::waitReady()
{
    return waitReadyStatic();
}

bool McuNvm::waitReadyStatic()
{
    for (std::uint32_t spin = 0; spin < 10000000u; ++spin) {
        if ((flash()->SR & kSrBsy) == 0) {
            const bool ok = (flash()->SR & kSrErrors) == 0;
            flash()->SR = kSrErrors; // write-1-to-clear
            return ok;
        }
    }
    return false;
}

void McuNvm::unlock()
{
    if ((flash()->CR & kCrLock) != 0) {
        flash()->KEYR = 0x45670123u;
        flash()->KEYR = 0xCDEF89ABu;
    }
}

void McuNvm::lock()
{
    flash()->CR = flash()->CR | kCrLock;
}

hal::NvmStatus McuNvm::read(std::size_t address, std::span<std::uint8_t> out)
{
    if (address > kPageSize * kPageCount || out.size() > kPageSize * kPageCount - address) {
        return hal::NvmStatus::Fault;
    }
    // A double word whose program was cut by a power loss may hold an ECC double error: reading it raises the NMI,
    // whose handler (onFlashEccNmi) sets g_nvmEccFault and returns. The journal takes Fault for a torn tail.
    g_nvmEccFault = false;
    const volatile std::uint8_t* src = reinterpret_cast<const volatile std::uint8_t*>(kBase + address);
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = src[i];
    }
    __asm__ volatile("dsb" ::: "memory"); // the NMI of the last load is taken before the flag is checked
    if (g_nvmEccFault) {
        g_nvmEccFault = false;
        for (std::size_t i = 0; i < out.size(); ++i) {
            out[i] = 0;
        }
        return hal::NvmStatus::Fault;
    }
    return hal::NvmStatus::Ok;
}

hal::NvmStatus McuNvm::program(std::size_t address, std::span<const std::uint8_t> data)
{
    // 64-bit programming: the journal writes whole, 8-byte aligned double words (Journal.cpp, align8).
    if (address % 8 != 0 || data.size() % 8 != 0 || address > kPageSize * kPageCount
        || data.size() > kPageSize * kPageCount - address
        || (data.size() > 0 && address / kPageSize != (address + data.size() - 1) / kPageSize)) {
        return hal::NvmStatus::Fault;
    }
    if (!waitReady()) {
        return hal::NvmStatus::Fault;
    }
    unlock();
    flash()->CR = kCrPg;
    bool ok = true;
    for (std::size_t i = 0; i < data.size() && ok; i += 8) {
        std::uint32_t lo = 0;
        std::uint32_t hi = 0;
        for (std::size_t b = 0; b < 4; ++b) {
            lo |= static_cast<std::uint32_t>(data[i + b]) << (8 * b);
            hi |= static_cast<std::uint32_t>(data[i + 4 + b]) << (8 * b);
        }
        volatile std::uint32_t* dst = reinterpret_cast<volatile std::uint32_t*>(kBase + address + i);
        dst[0] = lo;
        dst[1] = hi;
        ok = waitReady();
    }
    flash()->CR = 0;
    lock();
    return ok ? hal::NvmStatus::Ok : hal::NvmStatus::Fault;
}

hal::NvmStatus McuNvm::erase(std::size_t page)
{
    if (page >= kPageCount || !waitReady()) {
        return hal::NvmStatus::Fault;
    }
    unlock();
    flash()->CR = kCrPer | (static_cast<std::uint32_t>(kFirstFlashPage + page) << 3);
    flash()->CR = flash()->CR | kCrStrt;
    const bool ok = waitReady();
    flash()->CR = 0;
    lock();
    return ok ? hal::NvmStatus::Ok : hal::NvmStatus::Fault;
}

bool parseFactoryRecord(std::span<const std::uint8_t, kFactoryRecordSize> record, std::span<std::uint8_t, 16> kt)
{
    static constexpr std::uint8_t kMagic[8] = {'S', 'K', 'K', 'T', '0', '0', '0', '1'};
    for (std::size_t i = 0; i < 8; ++i) {
        if (record[i] != kMagic[i]) {
            return false;
        }
    }
    if (be32(record.data() + 24) != crc32(record.first(24))) {
        return false;
    }
    for (std::size_t i = 32; i < kFactoryRecordSize; ++i) {
        if (record[i] != 0xFF) {
            return false; // consumed: the factory step ran on this chip already
        }
    }
    for (std::size_t i = 0; i < 16; ++i) {
        kt[i] = record[8 + i];
    }
    return true;
}

bool factoryTransportKey(std::span<std::uint8_t, 16> kt)
{
    std::array<std::uint8_t, kFactoryRecordSize> record{};
    const volatile std::uint8_t* otp = reinterpret_cast<const volatile std::uint8_t*>(kOtpFactoryRecord);
    for (std::size_t i = 0; i < record.size(); ++i) {
        record[i] = otp[i];
    }
    const bool ok = parseFactoryRecord(record, kt);
    secureZero(record);
    return ok;
}

bool consumeFactoryRecord()
{
    if (!McuNvm::waitReadyStatic()) {
        return false;
    }
    if ((flash()->CR & kCrLock) != 0) {
        flash()->KEYR = 0x45670123u;
        flash()->KEYR = 0xCDEF89ABu;
    }
    flash()->CR = kCrPg;
    volatile std::uint32_t* marker = reinterpret_cast<volatile std::uint32_t*>(kOtpFactoryRecord + 32);
    marker[0] = 0;
    marker[1] = 0;
    const bool ok = McuNvm::waitReadyStatic();
    flash()->CR = kCrLock;
    return ok;
}

bool rdpUpgrade(std::uint32_t optr, ReadoutProtection level, std::uint32_t& newOptr)
{
    const std::uint8_t rdp = static_cast<std::uint8_t>(optr & 0xFFu);
    const bool atLevel2 = rdp == 0xCC;
    const bool atLevel1OrMore = rdp != 0xAA;
    if (atLevel2 || (level == ReadoutProtection::Level1 && atLevel1OrMore)) {
        return false;
    }
    newOptr = (optr & ~0xFFu) | static_cast<std::uint8_t>(level);
    return true;
}

void lockReadoutProtection(ReadoutProtection level)
{
    std::uint32_t optr = 0;
    if (!rdpUpgrade(flash()->OPTR, level, optr) || !McuNvm::waitReadyStatic()) {
        return;
    }
    // RM0351 §3.4.2: unlock the flash, then the option bytes; write OPTR; OPTSTRT; wait; OBL_LAUNCH (resets).
    flash()->KEYR = 0x45670123u;
    flash()->KEYR = 0xCDEF89ABu;
    flash()->OPTKEYR = 0x08192A3Bu;
    flash()->OPTKEYR = 0x4C5D6E7Fu;
    flash()->OPTR = optr;
    flash()->CR = flash()->CR | kCrOptStrt;
    if (McuNvm::waitReadyStatic()) {
        flash()->CR = flash()->CR | kCrOblLaunch; // reloads the option bytes: a system reset
    }
    flash()->CR = flash()->CR | kCrOptLock | kCrLock;
}

bool McuRng::fill(std::span<std::uint8_t> out)
{
    rng()->CR = 1u << 2; // RNGEN
    std::size_t i = 0;
    while (i < out.size()) {
        const std::uint32_t sr = rng()->SR;
        if ((sr & 0x66u) != 0) {
            return false; // seed or clock error: the health test failed
        }
        if ((sr & 1u) == 0) {
            continue; // DRDY
        }
        std::uint32_t word = rng()->DR;
        for (int b = 0; b < 4 && i < out.size(); ++b, ++i) {
            out[i] = static_cast<std::uint8_t>(word);
            word >>= 8;
        }
    }
    return true;
}

bool McuHid::receive(std::span<std::uint8_t, 64> report)
{
    if (!m_full) {
        return false;
    }
    for (std::size_t i = 0; i < 64; ++i) {
        report[i] = m_mailbox[i];
    }
    m_full = false; // the USB interrupt re-arms the OUT endpoint (NAK until then)
    return true;
}

bool McuHid::send(std::span<const std::uint8_t, 64> report)
{
    // USB_OTG_FS IN endpoint 1 FIFO (skeleton: the enumeration and FIFO set-up are board bring-up work).
    volatile std::uint32_t* fifo = reinterpret_cast<volatile std::uint32_t*>(0x50002000u);
    for (std::size_t i = 0; i < 64; i += 4) {
        *fifo = static_cast<std::uint32_t>(report[i]) | static_cast<std::uint32_t>(report[i + 1]) << 8
            | static_cast<std::uint32_t>(report[i + 2]) << 16 | static_cast<std::uint32_t>(report[i + 3]) << 24;
    }
    return true;
}

void McuHid::onOutReport(const std::uint8_t* data)
{
    if (m_full) {
        return; // host must wait (endpoint NAKs)
    }
    for (std::size_t i = 0; i < 64; ++i) {
        m_mailbox[i] = data[i];
    }
    m_full = true;
}

std::uint32_t McuSystem::millis() const
{
    return g_millis;
}

void McuSystem::deviceSerial(std::span<std::uint8_t, 8> out) const
{
    const std::uint32_t a = kUid[0] ^ kUid[2];
    const std::uint32_t b = kUid[1];
    for (std::size_t i = 0; i < 4; ++i) {
        out[i] = static_cast<std::uint8_t>(a >> (24 - 8 * i));
        out[4 + i] = static_cast<std::uint8_t>(b >> (24 - 8 * i));
    }
}

void McuSystem::reset()
{
    *kAircr = (0x05FAu << 16) | (1u << 2); // SYSRESETREQ
    for (;;) { }
}

hal::PresenceResult McuPresence::waitForTouch(std::uint32_t timeoutMs)
{
    const std::uint32_t start = g_millis;
    TouchEdge edge; // a button held down since before the request confirms nothing
    edge.start(start);
    while (g_millis - start < timeoutMs) {
        if (edge.sample((*kButtonIdr & 1u) != 0, g_millis)) {
            return hal::PresenceResult::Confirmed;
        }
        if (m_layer != nullptr && m_layer->serviceWhileBusy(wire::KeepAliveStatus::UserPresenceNeeded)) {
            return hal::PresenceResult::Cancelled;
        }
    }
    return hal::PresenceResult::Timeout;
}

void McuPresence::wink()
{
    *kLedOdr = *kLedOdr ^ 1u;
}

} // namespace skey::mcu

// Replaces the weak Default_Handler alias of Startup.cpp. Flash ECC errors in the journal become Nvm::read → Fault;
// any other NMI (clock security system, an ECC error in the code) stops the core as before.
extern "C" void NMI_Handler()
{
    if (skey::mcu::onFlashEccNmi(*reinterpret_cast<skey::mcu::FlashRegs*>(0x40022000u))) {
        return;
    }
    for (;;) { }
}
