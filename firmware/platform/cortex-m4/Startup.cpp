// SPDX-License-Identifier: Apache-2.0
// Cortex-M4 start-up: vector table, reset handler (copies .data, zeroes .bss, runs .init_array), default handlers,
// and the runtime hooks a freestanding C++ image needs without a heap (operator delete and __cxa_pure_virtual trap).
#include <cstddef>
#include <cstdint>

extern "C" {
extern std::uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern void (*__init_array_start[])();
extern void (*__init_array_end[])();
int main();
void Reset_Handler();
void Default_Handler();
void SysTick_Handler();
void OTG_FS_IRQHandler() __attribute__((weak, alias("Default_Handler")));
void NMI_Handler() __attribute__((weak, alias("Default_Handler")));
void HardFault_Handler() __attribute__((weak, alias("Default_Handler")));
void MemManage_Handler() __attribute__((weak, alias("Default_Handler")));
void BusFault_Handler() __attribute__((weak, alias("Default_Handler")));
void UsageFault_Handler() __attribute__((weak, alias("Default_Handler")));
void SVC_Handler() __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler() __attribute__((weak, alias("Default_Handler")));
}

namespace skey::mcu {
extern volatile std::uint32_t g_millis;
}

using Vector = void (*)();

// Core vectors 0..15, then the STM32L4 peripheral interrupts up to OTG_FS (IRQ 67).
__attribute__((section(".isr_vector"), used)) const Vector g_vectors[16 + 68] = {
    reinterpret_cast<Vector>(&_estack),
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    SVC_Handler,
    nullptr,
    nullptr,
    PendSV_Handler,
    SysTick_Handler,
    // IRQ 0..66: default; IRQ 67: USB OTG FS.
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    OTG_FS_IRQHandler,
};

extern "C" void Reset_Handler()
{
    // Hard-float build: give the core access to the FPU (CP10, CP11) before any code may touch it.
    volatile std::uint32_t* const cpacr = reinterpret_cast<volatile std::uint32_t*>(0xE000ED88u);
    *cpacr = *cpacr | (0xFu << 20);
    __asm__ volatile("dsb\n isb" ::: "memory");
    std::uint32_t* src = &_sidata;
    for (std::uint32_t* dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    for (std::uint32_t* dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0;
    }
    for (void (**f)() = __init_array_start; f < __init_array_end; ++f) {
        (*f)();
    }
    (void)main();
    for (;;) { }
}

extern "C" void Default_Handler()
{
    for (;;) { }
}

extern "C" void SysTick_Handler()
{
    skey::mcu::g_millis = skey::mcu::g_millis + 1;
}

// No heap on the token: the deleting destructors of the HAL interfaces reference operator delete, which must never
// run (nothing is ever allocated); defining it here keeps malloc/free out of the image. Weak: the QEMU test image
// (tests/target), whose harness has a heap, links the real ones.
__attribute__((weak)) void operator delete(void*) noexcept
{
    Default_Handler();
}
__attribute__((weak)) void operator delete(void*, std::size_t) noexcept
{
    Default_Handler();
}
extern "C" void __cxa_pure_virtual()
{
    Default_Handler();
}
