// SPDX-License-Identifier: Apache-2.0
// The one seam between the card OS and the hardware: a bundle of the HAL interfaces a platform provides.
#pragma once

#include "hal/CryptoEngine.h"
#include "hal/HidEndpoint.h"
#include "hal/Nvm.h"
#include "hal/Presence.h"
#include "hal/Rng.h"
#include "hal/System.h"

namespace skey::hal {

struct Platform
{
    Nvm& nvm;
    Rng& rng;
    CryptoEngine& crypto;
    Presence& presence;
    System& system;
};

} // namespace skey::hal
