// SPDX-License-Identifier: Apache-2.0
// The key in use comes back after an unplug: the wallet takes it back by itself (issue 9 item 15), instead of
// staying on the key it fell back on meanwhile (before: a USB key pulled and re-inserted left the wallet on the
// simulated key). Two simulators stand in for "the key in use" and "the fallback"; the unplug and replug are the
// simulator's control commands, seen by the device manager's real scanning, and the window shows the serial.
#include "app/gui/CompositionRoot.h"
#include "app/gui/UiSnapshot.h"
#include "device/DeviceManager.h"
#include "device/EmbeddedSimulator.h"
#include "support/QmlWarnings.h"

#include <QDir>
#include <QGuiApplication>
#include <QTemporaryDir>
#include <QtQml/qqmlextensionplugin.h>
#include <QtTest>

Q_IMPORT_QML_PLUGIN(SmartKey_WalletPlugin)
Q_IMPORT_QML_PLUGIN(SmartKey_Wallet_UiPlugin)

using wallet::app::CompositionRoot;
using wallet::app::KeyViewModel;
using wallet::app::UiSnapshot;
using wallet::device::EmbeddedSimulator;
using wallet::device::SimulatorOptions;

class TestKeyReattach : public QObject
{
    Q_OBJECT

private slots:
    void keyInUseIsTakenBack();
};

namespace {

bool windowShows(CompositionRoot& root, const QString& text)
{
    return UiSnapshot::visibleTexts(root.window()).contains(text);
}

} // namespace

void TestKeyReattach::keyInUseIsTakenBack()
{
    wallet::test::QmlWarnings::install(); // any QML warning fails the test (issue 17 item 14)
    QTemporaryDir dir;
    auto simulator = [&dir](const char* name, const char* serial) {
        SimulatorOptions o;
        o.dataDirectory = dir.filePath(QLatin1String(name));
        QDir().mkpath(o.dataDirectory);
        o.serialHex = QLatin1String(serial);
        return std::make_unique<EmbeddedSimulator>(o);
    };
    auto inUse = simulator("in-use", "534B0000000000A1");
    auto fallback = simulator("fallback", "534B0000000000F2");
    QVERIFY(inUse->start().ok());
    QVERIFY(fallback->start().ok());

    CompositionRoot::Options options;
    options.dataDir = dir.filePath(QStringLiteral("wallet"));
    options.language = QStringLiteral("en");
    options.usb = false;
    options.embeddedSimulator = false;
    CompositionRoot root(options);
    QVERIFY(root.createWindow());
    KeyViewModel* key = root.app()->key();

    // The user works with the first key; a second one is there too.
    root.devices().addSimulator(inUse->hidPort());
    QTRY_COMPARE_WITH_TIMEOUT(key->serial(), QStringLiteral("534B0000000000A1"), 30000);
    root.devices().addSimulator(fallback->hidPort());
    QTRY_COMPARE_WITH_TIMEOUT(key->keys()->rowCount(), 2, 20000);
    QCOMPARE(key->serial(), QStringLiteral("534B0000000000A1"));

    // Unplugged: the wallet falls back on the other key (as it does on the simulated key when a USB key is pulled).
    QVERIFY(inUse->control().send(QStringLiteral("unplug")).ok());
    root.devices().rescan();
    QTRY_COMPARE_WITH_TIMEOUT(key->serial(), QStringLiteral("534B0000000000F2"), 30000);
    QTRY_VERIFY_WITH_TIMEOUT(windowShows(root, QStringLiteral("534B0000000000F2")), 10000);

    // Back in: the key the user was using is attached again, without anybody choosing it.
    QVERIFY(inUse->control().send(QStringLiteral("replug")).ok());
    root.devices().rescan();
    QTRY_COMPARE_WITH_TIMEOUT(key->serial(), QStringLiteral("534B0000000000A1"), 30000);
    QTRY_VERIFY_WITH_TIMEOUT(windowShows(root, QStringLiteral("534B0000000000A1")), 10000);
    QVERIFY(!windowShows(root, QStringLiteral("534B0000000000F2")));

    // A choice the user makes afterwards still wins: choosing the fallback key keeps it even when the first one
    // comes and goes again.
    int fallbackRow = -1;
    for (int row = 0; row < key->keys()->rowCount(); ++row) {
        if (!key->keys()->data(key->keys()->index(row), wallet::app::KeyListModel::CurrentRole).toBool()) {
            fallbackRow = row;
        }
    }
    QVERIFY(fallbackRow >= 0);
    key->choose(fallbackRow);
    QTRY_COMPARE_WITH_TIMEOUT(key->serial(), QStringLiteral("534B0000000000F2"), 30000);
    QVERIFY(inUse->control().send(QStringLiteral("unplug")).ok());
    root.devices().rescan();
    QTRY_COMPARE_WITH_TIMEOUT(key->keys()->rowCount(), 1, 30000);
    QVERIFY(inUse->control().send(QStringLiteral("replug")).ok());
    root.devices().rescan();
    QTRY_COMPARE_WITH_TIMEOUT(key->keys()->rowCount(), 2, 30000);
    // The choice of key is made when the list changes (above); a switch would now be queued on the key worker.
    QTRY_COMPARE_WITH_TIMEOUT(root.worker().pending(), 0, 30000);
    QCoreApplication::processEvents();
    QTRY_COMPARE_WITH_TIMEOUT(root.worker().pending(), 0, 30000);
    QCOMPARE(key->serial(), QStringLiteral("534B0000000000F2"));
}

int main(int argc, char** argv)
{
    QGuiApplication app(argc, argv);
    TestKeyReattach test;
    return QTest::qExec(&test, argc, argv);
}

#include "TestKeyReattach.moc"
