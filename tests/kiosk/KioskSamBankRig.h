// SPDX-License-Identifier: Apache-2.0
// The kiosk's SAM provisioned by the real bank host (issue 12, docs/psam.md "Provisioning by the bank"), shared by
// kiosk-provision-sam and gui-kiosk-sam: the PC/SC rig (KioskSamRig.h: pcscd + vpcd, the cardholder's key in
// "Virtual PCD 00 00", a blank SAM whose KT is derived from the development manufacturer key and its serial in
// "Virtual PCD 00 01") and the bank (tests/bank/support/BankRig: PostgreSQL or SQLite, SoftHSM2, skey-bank over mutual
// TLS) with the development manufacturer key and lot, the merchant "Demo Tea House", the kiosk's PSAM terminal ID and
// the kiosk's client certificate (OU=kiosk). The key is registered at the bank and loaded through it with ¥50.00.
// provision() runs the kiosk's own path, `smartkey-kiosk --provision-sam`.
#pragma once

#include "KioskSamRig.h"
#include "bank/support/BankRig.h"

#include <QFile>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>

namespace kiosktest {

inline const QString kSamSerial = QStringLiteral("534B000000005A01");
inline const QString kKioskCn = QStringLiteral("556677889900");

struct SamBankRig
{
    SamRig pcsc;
    std::unique_ptr<wallet::bank::test::BankRig> bank;
    QTemporaryDir dir;
    QString walletBank; ///< a wallet terminal's bank-client.json (loads)
    QString kioskBank; ///< the kiosk's bank-client.json (OU=kiosk)
    KeyState key; ///< the key's ASN and balance after the load
    QString skipReason;

    /// Everything but the provisioning itself, the SAM's terminal at the bank being `psamTerminal`. Empty on
    /// success; skipReason when this machine cannot host it.
    [[nodiscard]] QString start(const QString& psamTerminal)
    {
        if (auto missing = wallet::bank::test::BankRig::missingPart()) {
            skipReason = QStringLiteral("%1 not found (scripts/setup-deps.sh installs it)").arg(*missing);
            return {};
        }
        if (const QString err = pcsc.start(kSamSerial, true); !pcsc.skipReason.isEmpty() || !err.isEmpty()) {
            skipReason = pcsc.skipReason;
            return err;
        }
        bank = std::make_unique<wallet::bank::test::BankRig>();
        if (const QString up = bank->setUp(); !up.isEmpty()) {
            return up;
        }
        QString out;
        const QList<QStringList> setup{
            {QStringLiteral("keys"), QStringLiteral("manufacturer"), QStringLiteral("--development")},
            {QStringLiteral("merchants"),
                QStringLiteral("add"),
                QStringLiteral("--name"),
                QStringLiteral("Demo Tea House"),
                QStringLiteral("--credential"),
                QStringLiteral("445566778899"),
                QStringLiteral("--terminal"),
                QStringLiteral("112233445566")},
            {QStringLiteral("merchants"),
                QStringLiteral("add-psam"),
                QStringLiteral("--merchant"),
                QStringLiteral("Demo Tea House"),
                QStringLiteral("--terminal"),
                psamTerminal,
                QStringLiteral("--kiosk"),
                kKioskCn}};
        for (const QStringList& args : setup) {
            if (bank->bankctl(args, &out) != 0) {
                return QStringLiteral("bankctl %1: %2").arg(args.join(QLatin1Char(' ')), out);
            }
        }
        if (const QString c
            = bank->makeClientCertificate(QStringLiteral("kiosk"), QStringLiteral("/OU=kiosk/CN=") + kKioskCn);
            !c.isEmpty()) {
            return c;
        }
        if (const QString s = bank->startServer(); !s.isEmpty()) {
            return s;
        }
        walletBank = writeBankConfig(QStringLiteral("wallet-bank.json"), QStringLiteral("client"));
        kioskBank = writeBankConfig(QStringLiteral("kiosk-bank.json"), QStringLiteral("kiosk"));

        // The cardholder's key: registered at the bank and loaded through it.
        const QString terminal = dir.filePath(QStringLiteral("terminal"));
        auto read = loadKey(pcsc.key(), terminal, 0);
        if (!read.error.isEmpty()) {
            return read.error;
        }
        const QString asn = QString::fromLatin1(read.asn.toHex().toUpper());
        if (bank->bankctl({QStringLiteral("cards"),
                              QStringLiteral("register"),
                              QStringLiteral("--asn"),
                              asn,
                              QStringLiteral("--holder"),
                              QStringLiteral("Test holder")},
                &out)
                != 0
            || bank->bankctl({QStringLiteral("accounts"),
                                 QStringLiteral("deposit"),
                                 QStringLiteral("--asn"),
                                 asn,
                                 QStringLiteral("--amount"),
                                 QStringLiteral("100000"),
                                 QStringLiteral("--reference"),
                                 QStringLiteral("first deposit")},
                   &out)
                != 0) {
            return QStringLiteral("bankctl cards/accounts: ") + out;
        }
        key = loadKey(pcsc.key(), terminal, 5000, walletBank);
        if (!key.error.isEmpty()) {
            return key.error;
        }
        return key.balance == 5000 ? QString() : QStringLiteral("the key holds %1 fen after the load").arg(key.balance);
    }

    /// A bank-client.json for the client certificate `cert` (`client`: a wallet terminal; `kiosk`: the kiosk).
    QString writeBankConfig(const QString& name, const QString& cert)
    {
        QFile::setPermissions(
            bank->tlsPath(cert + QStringLiteral(".key")), QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        const QString path = dir.filePath(name);
        QFile f(path);
        if (f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            f.write(QJsonDocument(QJsonObject{{QStringLiteral("format"), QStringLiteral("smartkey-bank-client/1")},
                                      {QStringLiteral("url"), QStringLiteral("https://127.0.0.1:%1").arg(bank->port())},
                                      {QStringLiteral("caCertificate"), bank->tlsPath(QStringLiteral("ca.pem"))},
                                      {QStringLiteral("certificate"), bank->tlsPath(cert + QStringLiteral(".pem"))},
                                      {QStringLiteral("privateKey"), bank->tlsPath(cert + QStringLiteral(".key"))}})
                        .toJson());
        }
        return path;
    }

    /// `smartkey-kiosk --provision-sam --config <config>` ($SKEY_KIOSK_PATH); its exit code (-1: did not finish),
    /// its output in `out`.
    int provision(const QString& config, QString* out)
    {
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        // The known intermittent OpenSSL exit leak of a short-lived Qt Network client (CRYPTO_zalloc in
        // libcrypto.so.3, docs/branch.md, test_branch_batch): suppressed for this child only, on top of
        // tests/lsan.supp.
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        QString lsan = env.value(QStringLiteral("LSAN_OPTIONS"));
        static const QRegularExpression supp(QStringLiteral("suppressions=([^:]*)"));
        const QRegularExpressionMatch m = supp.match(lsan);
        QFile merged(dir.filePath(QStringLiteral("lsan-kiosk.supp")));
        if (merged.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            if (m.hasMatch()) {
                QFile base(m.captured(1));
                if (base.open(QIODevice::ReadOnly)) {
                    merged.write(base.readAll());
                }
                lsan.replace(
                    m.capturedStart(0), m.capturedLength(0), QStringLiteral("suppressions=") + merged.fileName());
            } else {
                lsan += QStringLiteral(":suppressions=") + merged.fileName();
            }
            merged.write("\nleak:libcrypto.so.3\n");
            merged.close();
            env.insert(QStringLiteral("LSAN_OPTIONS"), lsan);
        }
        p.setProcessEnvironment(env);
        p.start(qEnvironmentVariable("SKEY_KIOSK_PATH"),
            {QStringLiteral("--provision-sam"), QStringLiteral("--config"), config});
        if (!p.waitForFinished(120000)) {
            p.kill();
            p.waitForFinished();
            *out = QStringLiteral("smartkey-kiosk --provision-sam did not finish");
            return -1;
        }
        *out = QString::fromUtf8(p.readAll());
        return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    }

    /// One integer from the bank's database (-1: no row or NULL).
    qint64 sqlInt(const std::string& sql)
    {
        auto r = bank->db().exec(sql, {});
        return r && r->rows() == 1 && !r->isNull(0, 0) ? r->integer(0, 0) : -1;
    }

    /// One text from the bank's database (empty: no row or NULL).
    QString sqlText(const std::string& sql)
    {
        auto r = bank->db().exec(sql, {});
        return r && r->rows() == 1 && !r->isNull(0, 0) ? QString::fromStdString(r->text(0, 0)) : QString();
    }
};

} // namespace kiosktest
