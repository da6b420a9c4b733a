// SPDX-License-Identifier: Apache-2.0
// A key whose purse expired: the wallet says so on the key page, with what to do, and never asks for the PIN or
// opens the purse pages. The simulated key issues itself from a copy of the demo profile with past dates.
#include "app/gui/CompositionRoot.h"
#include "app/gui/UiSnapshot.h"

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
using wallet::app::UiSnapshot;

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
    AppViewModel* app = root.app();
    KeyViewModel* key = app->key();
    QTRY_COMPARE_WITH_TIMEOUT(key->state(), KeyViewModel::State::Expired, 30000);
    QCOMPARE(app->page(), AppViewModel::Page::Key);
    QVERIFY(!app->unlocked());
    QCOMPARE(key->title(), QStringLiteral("The purse has expired"));
    QVERIFY(key->message().contains(QStringLiteral("past its validity date")));
    app->navigate(AppViewModel::Page::Purchase);
    QCOMPARE(app->page(), AppViewModel::Page::Key);
    QTest::qWait(100);
    const QStringList shown = UiSnapshot::visibleTexts(root.window());
    QVERIFY2(shown.contains(QStringLiteral("The purse has expired")), qPrintable(shown.join(QLatin1Char('\n'))));

    app->settings()->setLanguage(QStringLiteral("zh_CN"));
    QTest::qWait(100);
    QVERIFY(UiSnapshot::visibleTexts(root.window()).contains(QStringLiteral("钱包已过期")));
    app->settings()->setLanguage(QStringLiteral("en"));
}

int main(int argc, char** argv)
{
    QGuiApplication app(argc, argv);
    TestExpiredKey test;
    return QTest::qExec(&test, argc, argv);
}

#include "TestExpiredKey.moc"
