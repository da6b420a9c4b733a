// SPDX-License-Identifier: Apache-2.0
// The token's main loop on the MCU: HAL drivers, card OS and HID packet layer in static storage (no heap, no static
// constructors: objects are placed at run time), then poll forever.
#include "Bytes.h"
#include "CardOs.h"
#include "McuPlatform.h"
#include "hid/HidPacketLayer.h"

#include <new>

namespace {

// SKEY_PRODUCTION=ON images lock readout protection at first boot; SKEY_RDP_LEVEL chooses the level (CMake).
constexpr bool kProductionImage = SKEY_PRODUCTION_IMAGE != 0;
constexpr auto kReadoutProtection
    = SKEY_RDP_LEVEL == 1 ? skey::mcu::ReadoutProtection::Level1 : skey::mcu::ReadoutProtection::Level2;

template <typename T>
struct Slot
{
    alignas(T) unsigned char bytes[sizeof(T)];
    template <typename... A>
    T& make(A&&... args)
    {
        return *new (bytes) T(static_cast<A&&>(args)...);
    }
};

Slot<skey::mcu::McuNvm> g_nvm;
Slot<skey::mcu::McuRng> g_rng;
Slot<skey::mcu::McuCrypto> g_crypto;
Slot<skey::mcu::McuPresence> g_presence;
Slot<skey::mcu::McuSystem> g_system;
Slot<skey::mcu::McuHid> g_hid;
Slot<skey::hal::Platform> g_platform;
Slot<skey::CardOs> g_os;
Slot<skey::HidPacketLayer> g_layer;

} // namespace

int main()
{
    auto& nvm = g_nvm.make();
    auto& rng = g_rng.make();
    auto& crypto = g_crypto.make();
    auto& presence = g_presence.make();
    auto& system = g_system.make();
    auto& hid = g_hid.make();
    auto& platform = g_platform.make(skey::hal::Platform{nvm, rng, crypto, presence, system});
    auto& os = g_os.make(platform);
    os.powerOn(); // journal recovery
    if (!os.manufactured()) {
        // First boot: the factory step with the KT of this chip's OTP record (never a development key). Without a
        // record the token stays unmanufactured (GET DATA C3 = FF) and refuses personalisation.
        skey::Wiped<16> kt;
        if (skey::mcu::factoryTransportKey(kt.bytes) && os.factoryInit(kt.bytes)) {
            (void)skey::mcu::consumeFactoryRecord();
        }
    }
    if constexpr (kProductionImage) {
        // After the factory step: lock the flash against readout and the debug port (resets once when it changes).
        skey::mcu::lockReadoutProtection(kReadoutProtection);
    }
    auto& layer = g_layer.make(hid, system, rng, presence, os);
    presence.attach(&layer);
    layer.reset();
    for (;;) {
        layer.poll();
    }
}
