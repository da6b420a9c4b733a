// SPDX-License-Identifier: Apache-2.0
// Figure (issue 12): a kiosk sale from the customer's PIN to the receipt, with the simulated key (skey-sim over
// loopback UDP) and the software PSAM, through the real KioskController and window (offscreen): the time from the
// PIN's submit() to the receipt on screen (the sale recorded in SQLite with synchronous=FULL, the PDF written).
// Prints every sale and the median. A program that prints figures, never a test.
// Usage: kiosk-sale-bench [sales=21]   (SKEY_SIM_PATH, SKEY_SOURCE_DIR as for the tests)
#include "KioskTestKey.h"
#include "app/kiosk/KioskController.h"
#include "app/kiosk/KioskRoot.h"

#include "device/DeviceManager.h"

#include <QElapsedTimer>
#include <QGuiApplication>
#include <QQuickStyle>
#include <QTemporaryDir>
#include <QtQml/qqmlextensionplugin.h>

#include <algorithm>
#include <cstdio>

Q_IMPORT_QML_PLUGIN(SmartKey_KioskPlugin)
Q_IMPORT_QML_PLUGIN(SmartKey_Kiosk_UiPlugin)

using namespace wallet::kiosk;

namespace {
bool waitFor(const std::function<bool()>& condition, int ms = 30000)
{
    QElapsedTimer t;
    t.start();
    while (!condition() && t.elapsed() < ms) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    }
    return condition();
}
} // namespace

int main(int argc, char** argv)
{
    QQuickStyle::setStyle(QStringLiteral("Basic"));
    QGuiApplication app(argc, argv);
    const int sales = argc > 1 ? std::max(1, std::atoi(argv[1])) : 21;
    QTemporaryDir dir;
    QString why;
    auto key = kiosktest::startKey(dir.filePath(QStringLiteral("key")), QStringLiteral("534B00000000BE01"), &why);
    if (!key) {
        std::fprintf(stderr, "simulated key: %s\n", qPrintable(why));
        return 1;
    }
    const auto loaded = kiosktest::loadKey(*key, dir.filePath(QStringLiteral("terminal")), 100000);
    if (!loaded.error.isEmpty()) {
        std::fprintf(stderr, "load: %s\n", qPrintable(loaded.error));
        return 1;
    }
    auto config = kiosktest::writeConfig(dir.filePath(QStringLiteral("kiosk")), QStringLiteral("en"));
    ManualClock clock(QDateTime(QDate(2026, 12, 2), QTime(9, 0)));
    KioskRoot root(config, &clock);
    if (const QString e = root.start(); !e.isEmpty()) {
        std::fprintf(stderr, "kiosk: %s\n", qPrintable(e));
        return 1;
    }
    KioskController* vm = root.vm();
    root.devices().addSimulator(key->hidPort());
    if (!waitFor([vm] { return vm->keyPresent(); })) {
        std::fprintf(stderr, "the key did not appear\n");
        return 1;
    }
    std::vector<qint64> us;
    for (int i = 0; i < sales; ++i) {
        vm->openOperator();
        for (int d : {2, 4, 6, 8}) {
            vm->digit(d);
        }
        vm->submit(); // operator PIN
        vm->digit(1);
        vm->submit(); // ¥1.00
        if (!waitFor([vm] { return vm->screen() == QLatin1String("amount"); })) {
            std::fprintf(stderr, "no amount screen (%s)\n", qPrintable(vm->screen()));
            return 1;
        }
        vm->submit(); // Pay
        for (int d : {1, 2, 3, 4, 5, 6}) {
            vm->digit(d);
        }
        QElapsedTimer t;
        t.start();
        vm->submit(); // the PIN
        if (!waitFor(
                [vm] { return vm->screen() == QLatin1String("receipt") || vm->screen() == QLatin1String("failed"); })) {
            std::fprintf(stderr, "no receipt\n");
            return 1;
        }
        const qint64 elapsed = t.nsecsElapsed() / 1000;
        if (vm->screen() != QLatin1String("receipt")) {
            std::fprintf(stderr, "sale %d failed: %s\n", i + 1, qPrintable(vm->message()));
            return 1;
        }
        us.push_back(elapsed);
        std::printf("sale %2d: %.1f ms\n", i + 1, static_cast<double>(elapsed) / 1000.0);
        vm->done();
    }
    std::vector<qint64> sorted = us;
    std::sort(sorted.begin(), sorted.end());
    std::printf("FIGURE kiosk sale, PIN submitted -> receipt shown (simulated key, software PSAM, SQLite FULL, PDF): "
                "median %.1f ms, min %.1f ms, max %.1f ms over %d sales\n",
        static_cast<double>(sorted[sorted.size() / 2]) / 1000.0,
        static_cast<double>(sorted.front()) / 1000.0,
        static_cast<double>(sorted.back()) / 1000.0,
        sales);
    key->stop();
    return 0;
}
