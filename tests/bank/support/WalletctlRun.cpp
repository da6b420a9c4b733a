// SPDX-License-Identifier: Apache-2.0
#include "bank/support/WalletctlRun.h"

#include <QDir>

#include <utility>

namespace wallet::bank::test {

WalletctlRun::WalletctlRun(QString walletctl, QString dataDir)
    : m_walletctl(std::move(walletctl))
    , m_dataDir(std::move(dataDir))
{ }

QString WalletctlRun::file(const QString& name) const
{
    return QDir(m_dataDir).filePath(name);
}

QString WalletctlRun::configure(const BankRig& rig) const
{
    if (!QDir().mkpath(m_dataDir)) {
        return QStringLiteral("cannot make ") + m_dataDir;
    }
    return rig.writeClientConfig(file(QStringLiteral("bank-client.json")));
}

ToolRun WalletctlRun::operator()(const QStringList& args, const QByteArray& input) const
{
    return runWalletctl(m_walletctl, walletctlArgs(m_dataDir, file(QStringLiteral("bank-client.json")), args), input);
}

QString WalletctlRun::startWithRegisteredKey(
    BankRig& rig, const QString& profile, QString* asn, const std::function<QString()>& beforeStart) const
{
    if (QString e = rig.setUp(); !e.isEmpty()) {
        return e;
    }
    if (beforeStart) {
        if (QString e = beforeStart(); !e.isEmpty()) {
            return e;
        }
    }
    if (QString e = rig.startServer(); !e.isEmpty()) {
        return e;
    }
    if (QString e = configure(rig); !e.isEmpty()) {
        return e;
    }
    const ToolRun issued = (*this)({QStringLiteral("issue"), profile});
    *asn = issued.json.value(QStringLiteral("asn")).toString();
    if (issued.exitCode != 0 || asn->size() != 16) {
        return QStringLiteral("walletctl issue: ") + QString::fromUtf8(issued.out + issued.err);
    }
    return rig.registerCard(*asn, QStringLiteral("Holder"));
}

QString WalletctlRun::certify(QString* serial) const
{
    const ToolRun generated = (*this)({QStringLiteral("cert"), QStringLiteral("generate")});
    if (generated.exitCode != 0) {
        return QStringLiteral("walletctl cert generate: ") + QString::fromUtf8(generated.out + generated.err);
    }
    const ToolRun applied = (*this)(
        {QStringLiteral("cert"), QStringLiteral("apply"), QStringLiteral("--out"), file(QStringLiteral("card.pem"))},
        "123456\n");
    *serial = applied.json.value(QStringLiteral("serial")).toString();
    if (applied.exitCode != 0 || serial->size() != 32) {
        return QStringLiteral("walletctl cert apply: ") + QString::fromUtf8(applied.out + applied.err);
    }
    const ToolRun leaf = runTool(QStringLiteral("openssl"),
        {QStringLiteral("x509"),
            QStringLiteral("-in"),
            file(QStringLiteral("card.pem")),
            QStringLiteral("-out"),
            file(QStringLiteral("leaf.pem"))});
    if (leaf.exitCode != 0) {
        return QStringLiteral("openssl x509 (leaf.pem): ") + QString::fromUtf8(leaf.err);
    }
    return {};
}

} // namespace wallet::bank::test
