// SPDX-License-Identifier: Apache-2.0
// A key whose purse expired: the wallet says so on the key page, with what to do, and never asks for the PIN or
// opens the purse pages (their entries in the rail are disabled and their shortcuts do nothing). Checked on what
// the window shows, switching the language on the settings page. The simulated key issues itself from a copy of the
// demo profile with past dates.
#include "app/gui/CompositionRoot.h"
#include "support/QuickDriver.h"

#include <QFile>
#include <QGuiApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtQml/qqmlextensionplugin.h>
#include <QtTest>

Q_IMPORT_QML_PLUGIN(SmartKey_WalletPlugin)
Q_IMPORT_QML_PLUGIN(SmartKey_Wallet_UiPlugin)

using wallet::app::AppViewModel;
using wallet::app::CompositionRoot;
using wallet::app::KeyViewModel;

class TestExpiredKey : public QObject
{
    Q_OBJECT

private slots:
    void expiredPurseIsExplained();
};

void TestExpiredKey::expiredPurseIsExplained()
{
    QTemporaryDir dir;
    QFile demo(qEnvironmentVariable("SKEY_SOURCE_DIR") + QStringLiteral("/resources/profiles/demo-3des.json"));
    QVERIFY2(demo.open(QIODevice::ReadOnly), qPrintable(demo.fileName()));
    QJsonObject profile = QJsonDocument::fromJson(demo.readAll()).object();
    QJsonObject application = profile.value(QStringLiteral("application")).toObject();
    application.insert(QStringLiteral("startDate"), QStringLiteral("2015-01-01"));
    application.insert(QStringLiteral("expiryDate"), QStringLiteral("2020-12-31"));
    profile.insert(QStringLiteral("application"), application);
    const QString path = dir.filePath(QStringLiteral("expired.json"));
    QFile out(path);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(QJsonDocument(profile).toJson());
    out.close();

    CompositionRoot::Options options;
    options.dataDir = dir.filePath(QStringLiteral("wallet"));
    options.language = QStringLiteral("en");
    options.usb = false;
    options.simulatorProfile = path;
    CompositionRoot root(options);
    QVERIFY(root.createWindow());
    QVERIFY(QTest::qWaitForWindowExposed(root.window()));
    root.window()->requestActivate();
    QVERIFY(QTest::qWaitForWindowActive(root.window()));
    wallet::test::QuickDriver ui(root.window());
    const QString page = QStringLiteral("keyPage");
    AppViewModel* app = root.app();
    KeyViewModel* key = app->key();
    QTRY_COMPARE_WITH_TIMEOUT(key->state(), KeyViewModel::State::Expired, 30000);
    QTRY_COMPARE_WITH_TIMEOUT(
        ui.text(QStringLiteral("keyTitle"), page), QStringLiteral("The purse has expired"), 20000);
    QVERIFY(ui.text(QStringLiteral("keyMessage"), page).contains(QStringLiteral("past its validity date")));
    // No way forward to the PIN: neither Continue nor the PIN page.
    QVERIFY(!ui.isShown(QStringLiteral("keyContinue"), page));
    QVERIFY(!ui.isShown(QStringLiteral("pinPage")));
    QVERIFY(!app->unlocked());

    // The purse pages stay closed: the rail's entries are disabled, their shortcuts go nowhere.
    for (const char* nav : {"navOverview", "navLoad", "navPay", "navHistory"}) {
        QVERIFY2(!ui.click(QString::fromLatin1(nav)), nav);
        QVERIFY2(ui.lastError().contains(QStringLiteral("disabled")), qPrintable(ui.lastError()));
    }
    for (const Qt::Key shortcut : {Qt::Key_1, Qt::Key_2, Qt::Key_3, Qt::Key_4}) {
        ui.key(shortcut, Qt::ControlModifier);
        QVERIFY(ui.isShown(page));
    }
    QVERIFY(!ui.isShown(QStringLiteral("payPage")));
    QVERIFY(!ui.isShown(QStringLiteral("loadPage")));
    QVERIFY(!ui.isShown(QStringLiteral("pinPage")));

    // In Chinese, chosen on the settings page (reached from the rail), then back to the key page.
    QVERIFY2(ui.click(QStringLiteral("navSettings")), qPrintable(ui.lastError()));
    QVERIFY2(ui.click(QStringLiteral("language_zh_CN")), qPrintable(ui.lastError()));
    QVERIFY2(ui.click(QStringLiteral("navKey")), qPrintable(ui.lastError()));
    QTRY_COMPARE(ui.text(QStringLiteral("keyTitle"), page), QStringLiteral("钱包已过期"));
    QVERIFY(ui.shows(QStringLiteral("钱包已过期")));
    app->settings()->setLanguage(QStringLiteral("en"));
}

int main(int argc, char** argv)
{
    QGuiApplication app(argc, argv);
    TestExpiredKey test;
    return QTest::qExec(&test, argc, argv);
}

#include "TestExpiredKey.moc"
