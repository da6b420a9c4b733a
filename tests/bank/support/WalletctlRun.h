// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bank/support/BankRig.h"
#include "bank/support/ToolRun.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <functional>

namespace wallet::bank::test {

/**
 * @brief walletctl with its embedded simulated key in a wallet data folder, talking to a BankRig's skey-bank over
 * mutual TLS as the rig's wallet terminal (`client.pem`): runWalletctl with walletctlArgs(<dir>,
 * <dir>/bank-client.json, …), the config written by BankRig::writeClientConfig.
 */
class WalletctlRun
{
public:
    WalletctlRun(QString walletctl, QString dataDir);
    /// Writes `bank-client.json` for the rig's current port (again after a restart). Empty on success.
    [[nodiscard]] QString configure(const BankRig& rig) const;
    [[nodiscard]] ToolRun operator()(const QStringList& args, const QByteArray& input = {}) const;
    /**
     * The rig's database and data folder set up, skey-bank started, this wallet configured for it, its simulated key
     * issued with `profile` (`walletctl issue`) and registered at the bank (BankRig::registerCard, holder "Holder").
     * `beforeStart` runs between the set-up and the start (the demo merchant, whose certificate skey-bank reads at
     * start). The key's ASN in `asn`. Empty on success, else what failed.
     */
    [[nodiscard]] QString startWithRegisteredKey(
        BankRig& rig, const QString& profile, QString* asn, const std::function<QString()>& beforeStart = {}) const;
    /**
     * The cardholder's P-256 key pair made in PIV slot 9A (`walletctl cert generate`) and its certificate from the
     * bank's cardholder CA (`walletctl cert apply --out <dir>/card.pem`, PIV PIN 123456 on stdin; the file also
     * carries the CA's certificate), the cardholder's certificate alone in `<dir>/leaf.pem` (`openssl x509`); its
     * serial (32 hex digits) in `serial`. Empty on success, else what failed.
     */
    [[nodiscard]] QString certify(QString* serial) const;
    [[nodiscard]] QString file(const QString& name) const;

private:
    QString m_walletctl;
    QString m_dataDir;
};

} // namespace wallet::bank::test
