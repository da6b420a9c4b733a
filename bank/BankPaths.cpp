// SPDX-License-Identifier: Apache-2.0
#include "bank/BankPaths.h"

#include <QDir>
#include <QFile>

namespace wallet::bank {

bool writeSoftHsmConfig(const QString& dir)
{
    const QString store = dir + QStringLiteral("/softhsm");
    if (!QDir().mkpath(store)
        || !QFile::setPermissions(store, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner)) {
        return false;
    }
    QFile conf(dir + QStringLiteral("/softhsm2.conf"));
    if (!conf.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return false;
    }
    const QByteArray text = "# Written by bankctl init: this bank's SoftHSM2 token store (docs/bank.md 8.1).\n"
                            "directories.tokendir = "
        + store.toUtf8() + "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n";
    return conf.write(text) == text.size();
}

} // namespace wallet::bank
