// SPDX-License-Identifier: Apache-2.0
// Cortex-M4 platform (STM32L4-class MCU: 2 KiB flash pages with 64-bit programming, TRNG, USB FS device). There is no
// board in this project yet: the NVM driver is a register-level implementation of the real interface, the RNG, USB,
// button and crypto engine are register-level skeletons. It exists to keep host-only code out of the firmware and to
// measure the image (docs/firmware.md).
#pragma once

#include "hal/CryptoEngine.h"
#include "hal/HidEndpoint.h"
#include "hal/Nvm.h"
#include "hal/Presence.h"
#include "hal/Rng.h"
#include "hal/System.h"

#include <cstddef>
#include <cstdint>
#include <span>

namespace skey {
class HidPacketLayer;
}

namespace skey::mcu {

/// Memory-mapped flash: the journal area is the last 64 KiB of a 512 KiB flash (32 pages of 2 KiB).
class McuNvm final : public hal::Nvm
{
public:
    static constexpr std::uintptr_t kBase = 0x08070000u;
    static constexpr std::size_t kPageSize = 2048;
    static constexpr std::size_t kPageCount = 32;
    static constexpr std::size_t kFirstFlashPage = (kBase - 0x08000000u) / kPageSize;

    std::size_t pageSize() const override { return kPageSize; }
    std::size_t pageCount() const override { return kPageCount; }
    hal::NvmStatus read(std::size_t address, std::span<std::uint8_t> out) override;
    hal::NvmStatus program(std::size_t address, std::span<const std::uint8_t> data) override;
    hal::NvmStatus erase(std::size_t page) override;

    /// Waits for the flash controller; false on a programming error (flags cleared).
    static bool waitReadyStatic();

private:
    bool waitReady();
    void unlock();
    void lock();
};

class McuRng final : public hal::Rng
{
public:
    bool fill(std::span<std::uint8_t> out) override;
};

/// The MCU has no DES/SM4 engine: a product board adds a secure element or a constant-time software engine here.
/// This skeleton refuses every operation, so every MAC-protected command answers 6581 (never a wrong 9000).
class McuCrypto final : public hal::CryptoEngine
{
public:
    bool desEncrypt(
        std::span<const std::uint8_t, 8>, std::span<const std::uint8_t, 8>, std::span<std::uint8_t, 8>) override
    {
        return false;
    }
    bool desDecrypt(
        std::span<const std::uint8_t, 8>, std::span<const std::uint8_t, 8>, std::span<std::uint8_t, 8>) override
    {
        return false;
    }
    bool tdesEncrypt(
        std::span<const std::uint8_t, 16>, std::span<const std::uint8_t, 8>, std::span<std::uint8_t, 8>) override
    {
        return false;
    }
    bool tdesDecrypt(
        std::span<const std::uint8_t, 16>, std::span<const std::uint8_t, 8>, std::span<std::uint8_t, 8>) override
    {
        return false;
    }
    bool sm4Encrypt(
        std::span<const std::uint8_t, 16>, std::span<const std::uint8_t, 16>, std::span<std::uint8_t, 16>) override
    {
        return false;
    }
    bool sm4Decrypt(
        std::span<const std::uint8_t, 16>, std::span<const std::uint8_t, 16>, std::span<std::uint8_t, 16>) override
    {
        return false;
    }
};

/// USB FS device, one HID interface: the USB interrupt fills a one-report OUT mailbox; IN reports are written to the
/// endpoint FIFO. Register-level skeleton (no enumeration code yet).
class McuHid final : public hal::HidEndpoint
{
public:
    bool receive(std::span<std::uint8_t, 64> report) override;
    bool send(std::span<const std::uint8_t, 64> report) override;
    /// Called from the USB interrupt with a received OUT report.
    void onOutReport(const std::uint8_t* data);

private:
    std::uint8_t m_mailbox[64] = {};
    volatile bool m_full = false;
};

class McuSystem final : public hal::System
{
public:
    std::uint32_t millis() const override;
    void deviceSerial(std::span<std::uint8_t, 8> out) const override;
    void reset() override;
};

/// The touch button on a GPIO; while waiting it keeps the HID link alive through the packet layer.
class McuPresence final : public hal::Presence
{
public:
    void attach(HidPacketLayer* layer) { m_layer = layer; }
    hal::PresenceResult waitForTouch(std::uint32_t timeoutMs) override;
    void wink() override;

private:
    HidPacketLayer* m_layer = nullptr;
};

/// SysTick handler increments this (1 kHz).
extern volatile std::uint32_t g_millis;

/// The STM32L4 flash interface registers (RM0351 §3.7) up to OPTR.
struct FlashRegs
{
    volatile std::uint32_t ACR, PDKEYR, KEYR, OPTKEYR, SR, CR, ECCR, RESERVED, OPTR;
};

/// Set by the NMI handler when a read of the journal area hit an ECC double error; McuNvm::read clears it before
/// and checks it after its copy.
extern volatile bool g_nvmEccFault;

/// The NMI's flash part: when `regs` report an ECC double error (ECCR.ECCD) at an address inside the journal area,
/// clears the flag, sets g_nvmEccFault and returns true (the interrupted read then completes with garbage, which
/// McuNvm::read discards). False for any other NMI, or an ECC error in the code or constants (not recoverable).
/// The handler of ST's EEPROM emulation (X-CUBE-EEPROM) does the same.
bool onFlashEccNmi(FlashRegs& regs);

// ---- Factory step and readout protection (docs/firmware.md, "Production image") -----------------------------------

/// The factory record in the MCU's one-time-programmable area (STM32L4: 1 KiB at 0x1FFF7000, programmable once per
/// double word), written by the factory programmer together with the image:
/// `"SKKT0001" ‖ KT (16) ‖ CRC-32 of the first 24 bytes (big-endian) ‖ FF FF FF FF ‖ consumed marker (8 × FF)`.
/// The first boot runs CardOs::factoryInit with that KT, then programs the marker to zero, so the record is used once.
inline constexpr std::uintptr_t kOtpFactoryRecord = 0x1FFF7000u;
inline constexpr std::size_t kFactoryRecordSize = 40;
/// The KT of a valid, unconsumed record; false for an empty, damaged or consumed one.
bool parseFactoryRecord(std::span<const std::uint8_t, kFactoryRecordSize> record, std::span<std::uint8_t, 16> kt);
/// Reads the OTP record (parseFactoryRecord).
bool factoryTransportKey(std::span<std::uint8_t, 16> kt);
/// Programs the consumed marker of the OTP record to zero.
bool consumeFactoryRecord();

/// RDP levels of the option bytes (FLASH_OPTR[7:0]). Level 0 (0xAA) is open. Level 1: debug access and boot from
/// RAM/system memory cannot read the flash; going back to level 0 mass-erases it (keys and journal gone). Level 2:
/// the debug port is disabled for good and the option bytes are frozen (irreversible; no failure analysis).
enum class ReadoutProtection : std::uint8_t { Level1 = 0xBB, Level2 = 0xCC };
/// The OPTR value that raises the protection to `level`, or false when `optr` is already at that level or above.
bool rdpUpgrade(std::uint32_t optr, ReadoutProtection level, std::uint32_t& newOptr);
/// Production images, at every boot: when the option bytes are below `level`, programs them and reloads them (the
/// MCU resets and comes back protected). Returns only when nothing had to change (or programming failed).
void lockReadoutProtection(ReadoutProtection level);

} // namespace skey::mcu
