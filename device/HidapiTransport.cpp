// SPDX-License-Identifier: Apache-2.0
#include "device/HidapiTransport.h"

#include <botan/mem_ops.h>

#include <hidapi/hidapi.h>

#include <QFile>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <unistd.h>

namespace wallet::device {

using core::ErrorCode;
using core::makeError;

namespace {

std::mutex& busMutex()
{
    static std::mutex m;
    return m;
}

/// hid_init once; called with busMutex held.
bool ensureInit()
{
    static bool done = false;
    if (!done) {
        done = hid_init() == 0;
    }
    return done;
}

QString fromWide(const wchar_t* s)
{
    return s ? QString::fromWCharArray(s) : QString();
}

/// Why a path cannot be opened: errno from open(2) itself (hidapi 0.13 does not report it).
int openErrno(const QString& path)
{
#ifdef Q_OS_LINUX
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        ::close(fd);
        return 0;
    }
    return errno;
#else
    Q_UNUSED(path);
    return 0;
#endif
}

} // namespace

QString HidapiTransport::udevFixText()
{
    return QStringLiteral(
        "A SmartKey is plugged in, but this user may not open it. Install the udev rule and replug the key:\n"
        "  sudo cp installer/linux/70-smartkey.rules /etc/udev/rules.d/\n"
        "  sudo udevadm control --reload-rules && sudo udevadm trigger\n"
        "(The packaged wallet installs it to /usr/lib/udev/rules.d/ for you.)");
}

HidapiTransport::HidapiTransport(QString path)
    : m_path(std::move(path))
{ }

HidapiTransport::~HidapiTransport()
{
    close();
}

core::Result<QList<HidKeyInfo>> HidapiTransport::enumerate()
{
    std::lock_guard lock(busMutex());
    if (!ensureInit()) {
        return makeError(ErrorCode::Internal, QStringLiteral("hid_init failed"));
    }
    QList<HidKeyInfo> keys;
    hid_device_info* list = hid_enumerate(skey::wire::kUsbVendorId, skey::wire::kUsbProductId);
    for (hid_device_info* d = list; d != nullptr; d = d->next) {
        // hidraw fills usage_page from the report descriptor (hidapi >= 0.10.1); 0 means "unknown": keep it.
        if (d->usage_page != 0 && d->usage_page != skey::wire::kUsagePage) {
            continue;
        }
        HidKeyInfo k;
        k.path = QString::fromLocal8Bit(d->path);
        k.serialNumber = fromWide(d->serial_number);
        k.product = fromWide(d->product_string);
        k.manufacturer = fromWide(d->manufacturer_string);
        k.vendorId = d->vendor_id;
        k.productId = d->product_id;
        k.releaseNumber = d->release_number;
        k.accessible = openErrno(k.path) != EACCES;
        keys.append(k);
    }
    hid_free_enumeration(list);
    return keys;
}

core::Result<void> HidapiTransport::open()
{
    if (m_device) {
        return {};
    }
    std::lock_guard lock(busMutex());
    if (!ensureInit()) {
        return makeError(ErrorCode::Internal, QStringLiteral("hid_init failed"));
    }
    m_device = hid_open_path(QFile::encodeName(m_path).constData());
    if (m_device) {
        return {};
    }
    const int e = openErrno(m_path);
    if (e == EACCES || e == EPERM) {
        return makeError(ErrorCode::PermissionDenied, udevFixText());
    }
    if (e == ENOENT || e == ENODEV || e == ENXIO) {
        return makeError(ErrorCode::NoDevice, QStringLiteral("the key at %1 is gone").arg(m_path));
    }
    // macOS opens exclusively: another program holds it. Linux hidraw: EBUSY.
    return makeError(ErrorCode::DeviceBusy,
        QStringLiteral("cannot open %1: %2 (is another program using the key?)")
            .arg(m_path, e ? QString::fromLocal8Bit(std::strerror(e)) : fromWide(hid_error(nullptr))));
}

void HidapiTransport::close()
{
    if (m_device) {
        std::lock_guard lock(busMutex());
        hid_close(m_device);
        m_device = nullptr;
    }
}

core::Result<void> HidapiTransport::write(const Report& report)
{
    if (!m_device) {
        return makeError(ErrorCode::Disconnected, QStringLiteral("transport not open"));
    }
    // Report ID 00 first: always exactly 1 + 64 bytes (Windows pads and rejects other lengths).
    std::array<unsigned char, skey::wire::kReportSize + 1> buf{};
    std::memcpy(buf.data() + 1, report.data(), report.size());
    const int n = hid_write(m_device, buf.data(), buf.size());
    Botan::secure_scrub_memory(buf.data(), buf.size()); // may carry PIN bytes (VERIFY)
    if (n < 0) {
        return makeError(ErrorCode::Disconnected,
            QStringLiteral("write to %1 failed: %2").arg(m_path, fromWide(hid_error(m_device))));
    }
    return {};
}

core::Result<std::optional<Report>> HidapiTransport::read(int timeoutMs)
{
    if (!m_device) {
        return makeError(ErrorCode::Disconnected, QStringLiteral("transport not open"));
    }
    Report r{};
    const int n = hid_read_timeout(m_device, r.data(), r.size(), timeoutMs);
    if (n < 0) {
        // Treat any -1 as "device gone": close, re-enumerate, re-INIT (transport-research §B.6).
        return makeError(ErrorCode::Disconnected,
            QStringLiteral("read from %1 failed: %2").arg(m_path, fromWide(hid_error(m_device))));
    }
    if (n == 0) {
        return std::optional<Report>{};
    }
    return std::optional<Report>(r); // shorter reports are zero-padded, as unused bytes are zero on the wire
}

QString HidapiTransport::description() const
{
    return QStringLiteral("USB %1:%2 %3")
        .arg(skey::wire::kUsbVendorId, 4, 16, QLatin1Char('0'))
        .arg(skey::wire::kUsbProductId, 4, 16, QLatin1Char('0'))
        .arg(m_path);
}

} // namespace wallet::device
