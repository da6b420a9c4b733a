// SPDX-License-Identifier: Apache-2.0
// The GUI executable: everything is in wallet_ui (CompositionRoot::run); this only pulls in the static QML modules.
#include "app/gui/CompositionRoot.h"

#include <QtQml/qqmlextensionplugin.h>

Q_IMPORT_QML_PLUGIN(SmartKey_WalletPlugin)
Q_IMPORT_QML_PLUGIN(SmartKey_Wallet_UiPlugin)

int main(int argc, char** argv)
{
    return wallet::app::CompositionRoot::run(argc, argv);
}
