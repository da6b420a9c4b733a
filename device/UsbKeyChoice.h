// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "device/HidapiTransport.h"

#include <QList>
#include <QString>

namespace wallet::device {

/**
 * Which USB key a desk (branchctl, the branch station) uses among the keys hidapi enumerates (HidapiTransport::
 * enumerate()). `wanted` names one by its USB serial (case-insensitive) or its device path (/dev/hidrawN); without it
 * exactly one key must be plugged in. Pure: the caller enumerates, so the rule is tested without a USB device.
 *
 * Errors, each with the next step: no key at all → NoDevice "plug in a key"; several and none chosen →
 * InvalidInput listing them (the picker's list); `wanted` not among them → NotFound listing them; the chosen key
 * present but not openable by this user → PermissionDenied with the udev rule's fix.
 */
[[nodiscard]] core::Result<HidKeyInfo> chooseUsbKey(const QList<HidKeyInfo>& keys, const QString& wanted = {});

/// One line for a picker or an error: "serial 534B… (product, /dev/hidraw3)"; "serial unknown" when the OS would not
/// tell it.
[[nodiscard]] QString describeUsbKey(const HidKeyInfo& key);

} // namespace wallet::device
