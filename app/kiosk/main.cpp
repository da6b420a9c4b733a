// SPDX-License-Identifier: Apache-2.0
#include "app/kiosk/KioskRoot.h"

#include <QtQml/qqmlextensionplugin.h>

Q_IMPORT_QML_PLUGIN(SmartKey_KioskPlugin)
Q_IMPORT_QML_PLUGIN(SmartKey_Kiosk_UiPlugin)

int main(int argc, char** argv)
{
    return wallet::kiosk::KioskRoot::run(argc, argv);
}
