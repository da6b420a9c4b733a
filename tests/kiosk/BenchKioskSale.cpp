// SPDX-License-Identifier: Apache-2.0
// Figure (issue 12): a kiosk sale from the customer's PIN to the receipt, with the simulated key (skey-sim over
// loopback UDP) and the software PSAM, or with `--sam` the simulated SAM over PC/SC (KioskSamRig.h: a private pcscd
// with vpcd, the SAM a second skey-sim in "Virtual PCD 00 01", personalised with the demo keys; the kiosk configured
// with `psam.type: "pcsc"`), through the real KioskController and window (offscreen): the time from the PIN's
// submit() to the receipt on screen (MAC1 and MAC2 on the PSAM, DEBIT on the key, the PSAM's record read back, the
// sale recorded in SQLite with synchronous=FULL, the PDF written). With --sam the SAM's record is cleared after each
// sale, outside the timing (as the bank's acknowledgement would: a SAM holds at most 33). Prints every sale, the
// median, the spread (min, quartiles, max). A program that prints figures, never a test.
// Usage: kiosk-sale-bench [--sam] [sales=21]   (SKEY_SIM_PATH, SKEY_SOURCE_DIR as for the tests)
#include "KioskTestKey.h"
#ifdef SKEY_BENCH_PCSC
#include "KioskSamRig.h"
#include "device/PcscPsam.h"
#endif
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
    bool withSam = false;
    int sales = 21;
    for (int i = 1; i < argc; ++i) {
        if (qstrcmp(argv[i], "--sam") == 0) {
            withSam = true;
        } else {
            sales = std::max(1, std::atoi(argv[i]));
        }
    }
    QTemporaryDir dir;
    QString why;
    std::unique_ptr<wallet::device::EmbeddedSimulator> ownKey;
    wallet::device::EmbeddedSimulator* key = nullptr;
    QString samReader;
#ifdef SKEY_BENCH_PCSC
    kiosktest::SamRig rig;
    if (withSam) {
        why = rig.start(QStringLiteral("534B000000005A0B"), false);
        if (!rig.skipReason.isEmpty() || !why.isEmpty()) {
            std::fprintf(stderr, "PC/SC rig: %s\n", qPrintable(rig.skipReason.isEmpty() ? why : rig.skipReason));
            return 1;
        }
        if (const QString p = rig.personaliseWithDemoKeys(QByteArray::fromHex("223344556677"), 1); !p.isEmpty()) {
            std::fprintf(stderr, "SAM personalisation: %s\n", qPrintable(p));
            return 1;
        }
        key = &rig.key();
        samReader = kiosktest::kSamReader;
    }
#else
    if (withSam) {
        std::fprintf(stderr, "built without libpcsclite: --sam is not available\n");
        return 1;
    }
#endif
    if (!key) {
        ownKey = kiosktest::startKey(dir.filePath(QStringLiteral("key")), QStringLiteral("534B00000000BE01"), &why);
        if (!ownKey) {
            std::fprintf(stderr, "simulated key: %s\n", qPrintable(why));
            return 1;
        }
        key = ownKey.get();
    }
    const auto loaded = kiosktest::loadKey(*key, dir.filePath(QStringLiteral("terminal")), 100000);
    if (!loaded.error.isEmpty()) {
        std::fprintf(stderr, "load: %s\n", qPrintable(loaded.error));
        return 1;
    }
    auto config = kiosktest::writeConfig(dir.filePath(QStringLiteral("kiosk")), QStringLiteral("en"), {}, samReader);
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
#ifdef SKEY_BENCH_PCSC
        if (withSam) {
            // Outside the timing: the bank's acknowledgement clears the SAM's record (SETTLED), so that every sale
            // meets a SAM holding no other record, as after each settlement upload.
            auto sam = wallet::device::PcscPsam::open(samReader);
            auto pending = sam ? (*sam)->pendingSettlement()
                               : wallet::core::Result<std::vector<wallet::core::SettlementRecord>>(sam.error());
            if (!pending) {
                std::fprintf(stderr, "SAM: %s\n", qPrintable(pending.error().detail));
                return 1;
            }
            std::vector<std::uint32_t> tsns;
            for (const auto& p : *pending) {
                tsns.push_back(p.tsn);
            }
            if (tsns.size() != 1 || !(*sam)->markSettled(tsns)) {
                std::fprintf(stderr, "SAM: %zu record(s) after sale %d, expected 1\n", tsns.size(), i + 1);
                return 1;
            }
        }
#endif
    }
    std::vector<qint64> sorted = us;
    std::sort(sorted.begin(), sorted.end());
    const auto ms = [&](std::size_t i) { return static_cast<double>(sorted[i]) / 1000.0; };
    std::printf("FIGURE kiosk sale, PIN submitted -> receipt shown (simulated key, %s, SQLite FULL, PDF): "
                "median %.1f ms, min %.1f ms, q1 %.1f ms, q3 %.1f ms, max %.1f ms over %d sales\n",
        withSam ? "simulated SAM over PC/SC" : "software PSAM",
        ms(sorted.size() / 2),
        ms(0),
        ms(sorted.size() / 4),
        ms(sorted.size() * 3 / 4),
        ms(sorted.size() - 1),
        sales);
    if (ownKey) {
        ownKey->stop();
    }
    return 0;
}
