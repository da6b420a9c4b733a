// SPDX-License-Identifier: Apache-2.0
#include "device/UsbKeyChoice.h"

#include <QStringList>

namespace wallet::device {

namespace {

QString listOf(const QList<HidKeyInfo>& keys)
{
    QStringList lines;
    for (const auto& k : keys) {
        lines << QStringLiteral("  ") + describeUsbKey(k);
    }
    return lines.join(QLatin1Char('\n'));
}

core::Result<HidKeyInfo> usable(const HidKeyInfo& key)
{
    if (!key.accessible) {
        return core::makeError(core::ErrorCode::PermissionDenied, HidapiTransport::udevFixText());
    }
    return key;
}

} // namespace

QString describeUsbKey(const HidKeyInfo& key)
{
    const QString serial
        = key.serialNumber.isEmpty() ? QStringLiteral("serial unknown") : QStringLiteral("serial ") + key.serialNumber;
    const QString product = key.product.isEmpty() ? QStringLiteral("SmartKey") : key.product;
    return QStringLiteral("%1 (%2, %3)").arg(serial, product, key.path);
}

core::Result<HidKeyInfo> chooseUsbKey(const QList<HidKeyInfo>& keys, const QString& wanted)
{
    if (keys.isEmpty()) {
        return core::makeError(core::ErrorCode::NoDevice,
            wanted.isEmpty()
                ? QStringLiteral("no key is plugged in: plug in a key (USB) and try again")
                : QStringLiteral("no key is plugged in (looking for %1): plug it in and try again").arg(wanted));
    }
    if (wanted.isEmpty()) {
        if (keys.size() == 1) {
            return usable(keys.first());
        }
        return core::makeError(core::ErrorCode::InvalidInput,
            QStringLiteral("%1 keys are plugged in: choose one by its serial or path (branchctl --usb-key <serial>), "
                           "or unplug the others:\n%2")
                .arg(keys.size())
                .arg(listOf(keys)));
    }
    for (const auto& k : keys) {
        if ((!k.serialNumber.isEmpty() && k.serialNumber.compare(wanted, Qt::CaseInsensitive) == 0)
            || k.path == wanted) {
            return usable(k);
        }
    }
    return core::makeError(core::ErrorCode::NotFound,
        QStringLiteral("key %1 is not plugged in; the keys present are:\n%2").arg(wanted, listOf(keys)));
}

} // namespace wallet::device
