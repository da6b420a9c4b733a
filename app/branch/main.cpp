// SPDX-License-Identifier: Apache-2.0
// smartkey-branch: everything is in branch_ui (BranchRoot::run); this only pulls in the static QML module.
#include "app/branch/BranchRoot.h"

#include <QtQml/qqmlextensionplugin.h>

Q_IMPORT_QML_PLUGIN(SmartKey_Branch_UiPlugin)

int main(int argc, char** argv)
{
    return wallet::branch::BranchRoot::run(argc, argv);
}
