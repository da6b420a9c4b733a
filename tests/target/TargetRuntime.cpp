// SPDX-License-Identifier: Apache-2.0
#include "TargetRuntime.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

extern "C" {
extern std::uint32_t _ebss;
extern std::uint32_t _heap_limit;
}

namespace skey::mcu {
extern volatile std::uint32_t g_millis; // SysTick_Handler (Startup.cpp) counts the counter's wraps here
}

namespace skey::target {
namespace {

constexpr std::uint32_t kSysWrite0 = 0x04;
constexpr std::uint32_t kSysExit = 0x18;
constexpr std::uint32_t kStoppedApplicationExit = 0x20026;
constexpr std::uint32_t kStoppedRunTimeError = 0x20023;
/// QEMU's STM32F405 clocks the core (and SysTick's processor-clock source) at 168 MHz.
constexpr std::uint64_t kCpuHz = 168000000;
constexpr std::uint32_t kStackPattern = 0xA5C3F00Du;

struct SysTickRegs
{
    volatile std::uint32_t CTRL, LOAD, VAL, CALIB;
};
SysTickRegs* sysTick()
{
    return reinterpret_cast<SysTickRegs*>(0xE000E010u);
}

std::uint32_t semihost(std::uint32_t op, const void* arg)
{
    register std::uint32_t r0 __asm__("r0") = op;
    register const void* r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

std::uint32_t* g_paintTop = nullptr;
char* g_heapEnd = nullptr;

std::uint32_t* stackPointer()
{
    std::uint32_t* sp = nullptr;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    return sp;
}

} // namespace

void print(const char* text)
{
    (void)semihost(kSysWrite0, text);
}

void exitQemu(int status)
{
    // AArch32 semihosting: the reason code itself is the argument.
    (void)semihost(
        kSysExit, reinterpret_cast<const void*>(status == 0 ? kStoppedApplicationExit : kStoppedRunTimeError));
    for (;;) { }
}

void startCounter()
{
    sysTick()->CTRL = 0;
    sysTick()->LOAD = 0x00FFFFFFu;
    sysTick()->VAL = 0;
    skey::mcu::g_millis = 0;
    sysTick()->CTRL = 0x7u; // ENABLE | TICKINT | CLKSOURCE = processor clock
}

std::uint64_t instructionsNow()
{
    std::uint32_t wraps = 0;
    std::uint32_t val = 0;
    do {
        wraps = skey::mcu::g_millis;
        val = sysTick()->VAL;
    } while (wraps != skey::mcu::g_millis);
    const std::uint64_t ticks = (static_cast<std::uint64_t>(wraps) << 24) + (0x00FFFFFFu - (val & 0x00FFFFFFu));
    return ticks * 1000000000ull / kCpuHz;
}

void paintStack(std::size_t keep)
{
    std::uint32_t* top = stackPointer() - keep / sizeof(std::uint32_t);
    for (std::uint32_t* p = &_heap_limit; p < top; ++p) {
        *p = kStackPattern;
    }
    g_paintTop = top;
}

std::size_t stackUsedSincePaint()
{
    std::uint32_t* p = &_heap_limit;
    while (p < g_paintTop && *p == kStackPattern) {
        ++p;
    }
    return static_cast<std::size_t>(reinterpret_cast<char*>(g_paintTop) - reinterpret_cast<char*>(p));
}

} // namespace skey::target

// newlib hooks (instead of libnosys): stdout/stderr to the semihosting console, exit through semihosting, a heap
// bounded by the stack reserve.
extern "C" {

int _write(int, const char* data, int length)
{
    char chunk[129];
    int done = 0;
    while (done < length) {
        const int n = length - done < 128 ? length - done : 128;
        std::memcpy(chunk, data + done, static_cast<std::size_t>(n));
        chunk[n] = '\0';
        skey::target::print(chunk);
        done += n;
    }
    return length;
}

void _exit(int status)
{
    skey::target::print(status == 0 ? "" : "FAIL: exit (abort or failed check)\n");
    skey::target::exitQemu(status);
}

void* _sbrk(std::ptrdiff_t increment)
{
    using skey::target::g_heapEnd;
    if (g_heapEnd == nullptr) {
        g_heapEnd = reinterpret_cast<char*>(&_ebss);
    }
    char* const limit = reinterpret_cast<char*>(&_heap_limit);
    if (increment > limit - g_heapEnd) {
        skey::target::print("FAIL: heap exhausted\n");
        errno = ENOMEM;
        return reinterpret_cast<void*>(-1);
    }
    char* const old = g_heapEnd;
    g_heapEnd += increment;
    return old;
}

// -nostartfiles leaves out crtbegin, which defines the handle static destructors register with.
void* __dso_handle = nullptr;

// The test image has no entropy source: std::random_device (HostRng's default seed) gets a fixed stream. Every test
// seeds or forces its RNG anyway.
int getentropy(void* buffer, std::size_t length)
{
    static std::uint32_t state = 0x2545F491u;
    auto* out = static_cast<std::uint8_t*>(buffer);
    for (std::size_t i = 0; i < length; ++i) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        out[i] = static_cast<std::uint8_t>(state);
    }
    return 0;
}

// HostNvm's file backing (the simulator's) is never attached on the target; its calls fail.
int fsync(int)
{
    errno = ENOSYS;
    return -1;
}
int fchmod(int, unsigned)
{
    errno = ENOSYS;
    return -1;
}

// A fault in the test image ends the run with its name instead of looping in Default_Handler.
void HardFault_Handler()
{
    skey::target::print("FAIL: HardFault\n");
    skey::target::exitQemu(1);
}
void MemManage_Handler()
{
    skey::target::print("FAIL: MemManage fault\n");
    skey::target::exitQemu(1);
}
void BusFault_Handler()
{
    skey::target::print("FAIL: BusFault\n");
    skey::target::exitQemu(1);
}
void UsageFault_Handler()
{
    skey::target::print("FAIL: UsageFault\n");
    skey::target::exitQemu(1);
}
}

// The product image's operator delete traps (Startup.cpp, weak); the test harness allocates and frees.
void operator delete(void* p) noexcept
{
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept
{
    std::free(p);
}
