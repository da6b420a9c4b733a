// SPDX-License-Identifier: Apache-2.0
// device::chooseUsbKey (docs/branch.md "USB keys at the desk"): which key a desk uses among the keys hidapi
// enumerates, tested on enumerations written here (no USB device on a build machine), plus the real enumeration
// of this machine, which must be answered in words whatever it finds.
#include "device/UsbKeyChoice.h"

#include <QTest>

#include <cstdio>

using namespace wallet;
using namespace wallet::device;

namespace {

HidKeyInfo key(const QString& serial, const QString& path, bool accessible = true)
{
    HidKeyInfo k;
    k.serialNumber = serial;
    k.path = path;
    k.product = QStringLiteral("SmartKey");
    k.vendorId = 0x1209;
    k.productId = 0x0001;
    k.accessible = accessible;
    return k;
}

} // namespace

Q_DECLARE_METATYPE(QList<wallet::device::HidKeyInfo>)

class TestUsbKeyChoice : public QObject
{
    Q_OBJECT

private slots:
    void choice_data()
    {
        QTest::addColumn<QList<HidKeyInfo>>("keys");
        QTest::addColumn<QString>("wanted");
        QTest::addColumn<int>("code"); ///< -1: chosen
        QTest::addColumn<QString>("path"); ///< the chosen key's path
        QTest::addColumn<QString>("says"); ///< part of the error text

        const auto a = key(QStringLiteral("534B000000000A01"), QStringLiteral("/dev/hidraw3"));
        const auto b = key(QStringLiteral("534B000000000B02"), QStringLiteral("/dev/hidraw4"));
        const auto locked = key(QStringLiteral("534B000000000C03"), QStringLiteral("/dev/hidraw5"), false);
        const auto noSerial = key(QString(), QStringLiteral("/dev/hidraw6"));
        const int none = -1;
        QTest::newRow("no key") << QList<HidKeyInfo>{} << QString() << int(core::ErrorCode::NoDevice) << QString()
                                << QStringLiteral("plug in a key");
        QTest::newRow("no key, one wanted") << QList<HidKeyInfo>{} << a.serialNumber << int(core::ErrorCode::NoDevice)
                                            << QString() << QStringLiteral("looking for 534B000000000A01");
        QTest::newRow("one key") << QList<HidKeyInfo>{a} << QString() << none << a.path << QString();
        QTest::newRow("two keys, none chosen")
            << QList<HidKeyInfo>{a, b} << QString() << int(core::ErrorCode::InvalidInput) << QString()
            << QStringLiteral("2 keys are plugged in");
        QTest::newRow("two keys, picked by serial")
            << QList<HidKeyInfo>{a, b} << b.serialNumber << none << b.path << QString();
        QTest::newRow("serial in lower case")
            << QList<HidKeyInfo>{a, b} << QStringLiteral("534b000000000a01") << none << a.path << QString();
        QTest::newRow("picked by path") << QList<HidKeyInfo>{a, b} << b.path << none << b.path << QString();
        QTest::newRow("a key without serial, by path")
            << QList<HidKeyInfo>{a, noSerial} << noSerial.path << none << noSerial.path << QString();
        QTest::newRow("an empty serial never matches")
            << QList<HidKeyInfo>{noSerial} << QStringLiteral("X") << int(core::ErrorCode::NotFound) << QString()
            << QStringLiteral("serial unknown (SmartKey, /dev/hidraw6)");
        QTest::newRow("wanted key absent")
            << QList<HidKeyInfo>{a, b} << QStringLiteral("534B0000000000FF") << int(core::ErrorCode::NotFound)
            << QString() << QStringLiteral("serial 534B000000000B02 (SmartKey, /dev/hidraw4)");
        QTest::newRow("the only key not openable")
            << QList<HidKeyInfo>{locked} << QString() << int(core::ErrorCode::PermissionDenied) << QString()
            << QStringLiteral("udev");
        QTest::newRow("the chosen key not openable")
            << QList<HidKeyInfo>{a, locked} << locked.path << int(core::ErrorCode::PermissionDenied) << QString()
            << QStringLiteral("70-smartkey.rules");
    }

    void choice()
    {
        QFETCH(QList<HidKeyInfo>, keys);
        QFETCH(QString, wanted);
        QFETCH(int, code);
        QFETCH(QString, path);
        QFETCH(QString, says);
        const auto r = chooseUsbKey(keys, wanted);
        if (code < 0) {
            QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().detail));
            QCOMPARE(r->path, path);
            return;
        }
        QVERIFY(!r.ok());
        QCOMPARE(int(r.error().code), code);
        QVERIFY2(r.error().detail.contains(says), qPrintable(r.error().detail));
    }

    /// This machine's real enumeration through hidapi: whatever it finds (no USB here: nothing), the choice is an
    /// answer in words, never a crash; with no key, the "plug in a key" text the desk shows.
    void realEnumeration()
    {
        auto keys = HidapiTransport::enumerate();
        QVERIFY2(keys.ok(), keys.ok() ? "" : qPrintable(keys.error().detail));
        const auto r = chooseUsbKey(*keys);
        if (keys->isEmpty()) {
            QVERIFY(!r.ok());
            QCOMPARE(r.error().code, core::ErrorCode::NoDevice);
            QVERIFY(r.error().detail.contains(QStringLiteral("plug in a key")));
        } else {
            std::printf("keys present: %lld\n", static_cast<long long>(keys->size()));
        }
    }
};

QTEST_GUILESS_MAIN(TestUsbKeyChoice)

#include "TestUsbKeyChoice.moc"
