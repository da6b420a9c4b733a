// SPDX-License-Identifier: Apache-2.0
// walletctl: the command-line wallet (see docs/core.md, "walletctl").
#include "CliApp.h"

#include <QCoreApplication>
#include <QLoggingCategory>

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("walletctl"));
    QCoreApplication::setOrganizationName(QStringLiteral("SmartKeyWallet"));
    QCoreApplication::setApplicationVersion(QStringLiteral(WALLET_VERSION));
    // Progress chatter off unless asked for (WALLETCTL_VERBOSE=1 or QT_LOGGING_RULES); warnings always show.
    if (qEnvironmentVariableIsEmpty("WALLETCTL_VERBOSE")) {
        QLoggingCategory::setFilterRules(QStringLiteral("wallet.*.info=false\nwallet.*.debug=false"));
    }
    return wallet::app::cli::CliApp().run(QCoreApplication::arguments());
}
