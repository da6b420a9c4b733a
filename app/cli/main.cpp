// SPDX-License-Identifier: Apache-2.0
// walletctl: the command-line wallet (see docs/core.md, "walletctl").
#include "CliApp.h"

#include <QCoreApplication>

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("walletctl"));
    QCoreApplication::setOrganizationName(QStringLiteral("SmartKeyWallet"));
    QCoreApplication::setApplicationVersion(QStringLiteral("0.1.0"));
    return wallet::app::cli::CliApp().run(QCoreApplication::arguments());
}
