// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QString>

namespace wallet::bank {

/// Debian's SoftHSM2 module (docs/bank.md §8.1); another module is given with --pkcs11-module.
inline constexpr const char* kSoftHsmModule = "/usr/lib/softhsm/libsofthsm2.so";

/// Writes `<dir>/softhsm2.conf` pointing SoftHSM's token store into `<dir>/softhsm` (created, mode 0700).
[[nodiscard]] bool writeSoftHsmConfig(const QString& dir);

} // namespace wallet::bank
