// SPDX-License-Identifier: Apache-2.0
// Qt Quick Test runner for the wallet's QML components (tst_*.qml beside this file). The modules are static: they
// are linked in and imported here, and their files are found under qrc:/qt/qml.
#include "support/QmlWarnings.h"

#include <QQmlEngine>
#include <QQuickStyle>
#include <QtQml/qqmlextensionplugin.h>
#include <QtQuickTest>

Q_IMPORT_QML_PLUGIN(SmartKey_WalletPlugin)
Q_IMPORT_QML_PLUGIN(SmartKey_Wallet_UiPlugin)

class Setup : public QObject
{
    Q_OBJECT

public:
    Setup() { QQuickStyle::setStyle(QStringLiteral("Basic")); }

public slots:
    void qmlEngineAvailable(QQmlEngine* engine)
    {
        engine->addImportPath(QStringLiteral("qrc:/qt/qml"));
        wallet::test::QmlWarnings::install(); // any QML warning fails the test function (issue 17 item 14)
    }
};

QUICK_TEST_MAIN_WITH_SETUP(wallet_qml, Setup)

#include "QmlTestMain.moc"
