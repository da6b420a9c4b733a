// SPDX-License-Identifier: Apache-2.0
// Several keys: the wallet's own simulated key plus a second simulator. The key page lists both, marks the one in
// use, and choosing the other re-attaches the session to it (its serial is read from that key).
#include "app/gui/CompositionRoot.h"
#include "device/DeviceManager.h"
#include "device/EmbeddedSimulator.h"

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
    KeyViewModel* key = root.app()->key();
    QTRY_COMPARE_WITH_TIMEOUT(key->state(), KeyViewModel::State::Blank, 30000);
    const QString first = key->serial();
    QVERIFY(root.simulator());
    QCOMPARE(first, root.simulator()->serialHex()); // its own serial (random for a new key, issue 9 item 18)

    root.devices().addSimulator(other.hidPort());
    root.devices().rescan();
    KeyListModel* keys = key->keys();
    QTRY_COMPARE_WITH_TIMEOUT(keys->rowCount(), 2, 20000);
    int current = -1;
    int otherRow = -1;
    for (int row = 0; row < keys->rowCount(); ++row) {
        const QModelIndex i = keys->index(row);
        QVERIFY(keys->data(i, KeyListModel::SimulatedRole).toBool());
        if (keys->data(i, KeyListModel::CurrentRole).toBool()) {
            current = row;
        } else {
            otherRow = row;
        }
    }
    QVERIFY(current >= 0 && otherRow >= 0);
    // Still the first key until the user chooses.
    QCOMPARE(key->serial(), first);

    key->choose(otherRow);
    QTRY_COMPARE_WITH_TIMEOUT(key->serial(), QStringLiteral("534B0000000000B2"), 20000);
    QCOMPARE(key->state(), KeyViewModel::State::Blank);
    QTRY_VERIFY(keys->data(keys->index(otherRow), KeyListModel::CurrentRole).toBool());
    QVERIFY(!keys->data(keys->index(current), KeyListModel::CurrentRole).toBool());
}

int main(int argc, char** argv)
{
    QGuiApplication app(argc, argv);
    TestKeyChoice test;
    return QTest::qExec(&test, argc, argv);
}

#include "TestKeyChoice.moc"
