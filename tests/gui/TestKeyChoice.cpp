// SPDX-License-Identifier: Apache-2.0
// Several keys: the wallet's own simulated key plus a second simulator. The key page lists both, marks the one in
// use, and clicking the other (or reaching it with Tab and pressing Space) re-attaches the session to it: the page
// then shows that key's serial and moves the "in use" mark.
#include "app/gui/CompositionRoot.h"
#include "device/DeviceManager.h"
#include "device/EmbeddedSimulator.h"
#include "support/QuickDriver.h"

#include <QGuiApplication>
#include <QTemporaryDir>
#include <QtQml/qqmlextensionplugin.h>
#include <QtTest>

Q_IMPORT_QML_PLUGIN(SmartKey_WalletPlugin)
Q_IMPORT_QML_PLUGIN(SmartKey_Wallet_UiPlugin)

using wallet::app::CompositionRoot;
using wallet::app::KeyListModel;
using wallet::app::KeyViewModel;

class TestKeyChoice : public QObject
{
    Q_OBJECT

private slots:
    void chooseTheOtherKey();
};

void TestKeyChoice::chooseTheOtherKey()
{
    QTemporaryDir dir;
    wallet::device::SimulatorOptions second;
    second.dataDirectory = dir.filePath(QStringLiteral("second"));
    QDir().mkpath(second.dataDirectory);
    second.serialHex = QStringLiteral("534B0000000000B2");
    wallet::device::EmbeddedSimulator other(second);
    const auto started = other.start();
    QVERIFY2(started.ok(), qPrintable(started.ok() ? QString() : started.error().detail));

    CompositionRoot::Options options;
    options.dataDir = dir.filePath(QStringLiteral("wallet"));
    options.language = QStringLiteral("en");
    options.usb = false;
    CompositionRoot root(options);
    QVERIFY(root.createWindow());
    QVERIFY(QTest::qWaitForWindowExposed(root.window()));
    root.window()->requestActivate();
    QVERIFY(QTest::qWaitForWindowActive(root.window()));
    wallet::test::QuickDriver ui(root.window());
    const QString page = QStringLiteral("keyPage");
    KeyViewModel* key = root.app()->key();
    QTRY_COMPARE_WITH_TIMEOUT(key->state(), KeyViewModel::State::Blank, 30000);
    // The simulated key's own serial (random for a new key, issue 9 item 18).
    QVERIFY(root.simulator());
    const QString ownSerial = root.simulator()->serialHex();
    QTRY_VERIFY_WITH_TIMEOUT(ui.text(QStringLiteral("keyStatusLine"), page).contains(ownSerial), 20000);
    // One key: no list.
    QVERIFY(!ui.isShown(QStringLiteral("keysFound"), page));

    root.devices().addSimulator(other.hidPort());
    root.devices().rescan();
    QVERIFY2(
        ui.waitShown(QStringLiteral("keyRow1"), page, 20000), qPrintable(ui.visibleTexts().join(QLatin1Char('\n'))));
    QVERIFY(ui.isShown(QStringLiteral("keysFound"), page));
    KeyListModel* keys = key->keys();
    QCOMPARE(keys->rowCount(), 2);
    int current = -1;
    int otherRow = -1;
    for (int row = 0; row < keys->rowCount(); ++row) {
        const QModelIndex i = keys->index(row);
        QVERIFY(keys->data(i, KeyListModel::SimulatedRole).toBool());
        (keys->data(i, KeyListModel::CurrentRole).toBool() ? current : otherRow) = row;
    }
    QVERIFY(current >= 0 && otherRow >= 0);
    const QString currentRow = QStringLiteral("keyRow%1").arg(current);
    const QString otherRowName = QStringLiteral("keyRow%1").arg(otherRow);
    // The mark is on the key in use, and the page still shows the first key until the user chooses.
    QVERIFY(ui.shows(QStringLiteral("in use")));
    QVERIFY(ui.property(currentRow, "current", page).toBool());
    QVERIFY(!ui.property(otherRowName, "current", page).toBool());
    QVERIFY(ui.text(QStringLiteral("keyStatusLine"), page).contains(ownSerial));

    // Click the other key.
    QVERIFY2(ui.click(otherRowName, page), qPrintable(ui.lastError()));
    QTRY_VERIFY_WITH_TIMEOUT(
        ui.text(QStringLiteral("keyStatusLine"), page).contains(QStringLiteral("534B0000000000B2")), 20000);
    QVERIFY(ui.text(QStringLiteral("keyStatusLine"), page).endsWith(QStringLiteral("blank")));
    QTRY_VERIFY(ui.property(otherRowName, "current", page).toBool());
    QVERIFY(!ui.property(currentRow, "current", page).toBool());
    QCOMPARE(key->serial(), QStringLiteral("534B0000000000B2"));

    // And back, with the keyboard: Tab until the first key's row has the focus, then Space.
    QQuickItem* firstRow = ui.shown(currentRow, page);
    QVERIFY(firstRow);
    for (int tab = 0; tab < 20 && !firstRow->hasActiveFocus(); ++tab) {
        ui.key(Qt::Key_Tab);
    }
    QVERIFY2(firstRow->hasActiveFocus(), "Tab never reached the key list");
    ui.key(Qt::Key_Space);
    QTRY_VERIFY_WITH_TIMEOUT(ui.text(QStringLiteral("keyStatusLine"), page).contains(ownSerial), 20000);
    QTRY_VERIFY(ui.property(currentRow, "current", page).toBool());
}

int main(int argc, char** argv)
{
    QGuiApplication app(argc, argv);
    TestKeyChoice test;
    return QTest::qExec(&test, argc, argv);
}

#include "TestKeyChoice.moc"
