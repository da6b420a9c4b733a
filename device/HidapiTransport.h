// SPDX-License-Identifier: Apache-2.0
// The USB key through hidapi (hidraw backend on Linux). hidapi is not thread-safe: enumerate/open/close are
// serialised by one process-wide mutex, and one instance is used by one thread at a time (hidapi wiki
// "Multi-threading Notes").
#pragma once

#include "device/Transport.h"

#include <QList>
#include <QString>

struct hid_device_;

namespace wallet::device {

/// One key interface found by enumerate().
struct HidKeyInfo
{
    QString path; ///< /dev/hidrawN on Linux
    QString serialNumber; ///< USB iSerial (empty when the OS would not tell: often a permission problem)
    QString product;
    QString manufacturer;
    std::uint16_t vendorId = 0;
    std::uint16_t productId = 0;
    std::uint16_t releaseNumber = 0;
    bool accessible = true; ///< false: present but this user may not open it (udev rule missing)
};

class HidapiTransport final : public Transport
{
public:
    /// The fix shown with PermissionDenied on Linux.
    static QString udevFixText();

    explicit HidapiTransport(QString path);
    ~HidapiTransport() override;
    HidapiTransport(const HidapiTransport&) = delete;
    HidapiTransport& operator=(const HidapiTransport&) = delete;

    /// Keys with VID:PID 1209:0001 (build-time configurable) on usage page FF00. Thread-safe.
    [[nodiscard]] static core::Result<QList<HidKeyInfo>> enumerate();

    [[nodiscard]] core::Result<void> open() override;
    void close() override;
    [[nodiscard]] bool isOpen() const override { return m_device != nullptr; }
    [[nodiscard]] core::Result<void> write(const Report& report) override;
    [[nodiscard]] core::Result<std::optional<Report>> read(int timeoutMs) override;
    [[nodiscard]] QString description() const override;
    [[nodiscard]] bool isSimulated() const override { return false; }

private:
    QString m_path;
    hid_device_* m_device = nullptr;
};

} // namespace wallet::device
