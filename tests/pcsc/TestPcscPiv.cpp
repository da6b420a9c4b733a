// SPDX-License-Identifier: Apache-2.0
// The token's PIV application driven by independent standard clients over PC/SC (private pcscd + vpcd + skey-sim):
// yubico-piv-tool generates a P-256 key in slot 9A, self-signs a certificate with it and imports it; then OpenSC's
// PKCS#11 module lists the objects, signs with the key (checked by `openssl dgst -verify` against the public key
// yubico-piv-tool exported) and runs `pkcs11-tool --test`. Label pcsc; skips (77) without the tools.
#include "PcscRig.h"
#include "support/Skip.h"

#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTest>

namespace {

QString profilePath()
{
    return qEnvironmentVariable("SKEY_SOURCE_DIR") + QStringLiteral("/resources/profiles/demo-3des.json");
}

const QString kOpenscModule = QStringLiteral("/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so");

struct Run
{
    int code = -1;
    QString output;
};

Run run(const QString& program, const QStringList& args, const QString& workDir)
{
    QProcess p;
    p.setWorkingDirectory(workDir);
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, args);
    Run r;
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished();
        r.output = QStringLiteral("<%1 hung>").arg(program);
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.output = QString::fromLocal8Bit(p.readAll());
    return r;
}

} // namespace

class TestPcscPiv : public QObject
{
    Q_OBJECT
private slots:
    void yubicoPivToolThenOpensc()
    {
        for (const char* tool : {"yubico-piv-tool", "pkcs11-tool", "openssl"}) {
            if (QStandardPaths::findExecutable(QString::fromLatin1(tool)).isEmpty()) {
                SKEY_SKIP(QStringLiteral("%1 is not installed (scripts/setup-deps.sh installs it)")
                              .arg(QString::fromLatin1(tool)));
            }
        }
        if (!QFile::exists(kOpenscModule)) {
            SKEY_SKIP(QStringLiteral("OpenSC's PKCS#11 module is not installed (scripts/setup-deps.sh: opensc)"));
        }
        PcscRig rig;
        const QString err = rig.start(profilePath());
        if (!rig.skipReason.isEmpty()) {
            SKEY_SKIP(rig.skipReason);
        }
        QVERIFY2(err.isEmpty(), qPrintable(err));
        const QString dir = rig.dir.path();
        const QString ypt = QStringLiteral("yubico-piv-tool");
        const QStringList reader{QStringLiteral("-r"), QString()}; // any reader

        // yubico-piv-tool: version (Yubico's own command), key generation with the default management key,
        // self-signed certificate (the token signs its own certificate over PC/SC), import, status.
        Run r = run(ypt, reader + QStringList{QStringLiteral("-a"), QStringLiteral("version")}, dir);
        QVERIFY2(r.code == 0 && r.output.contains(QStringLiteral("5.2.7")), qPrintable(r.output));
        // CHUID and CCC (OpenSC takes the token's serial from the CHUID's GUID).
        r = run(ypt,
            reader
                + QStringList{QStringLiteral("-a"), QStringLiteral("set-chuid"), QStringLiteral("-a"),
                    QStringLiteral("set-ccc")},
            dir);
        QVERIFY2(r.code == 0, qPrintable(r.output));
        r = run(ypt,
            reader
                + QStringList{QStringLiteral("-a"), QStringLiteral("generate"), QStringLiteral("-s"),
                    QStringLiteral("9a"), QStringLiteral("-A"), QStringLiteral("ECCP256"), QStringLiteral("-o"),
                    QStringLiteral("pub.pem")},
            dir);
        QVERIFY2(r.code == 0, qPrintable(r.output));
        r = run(ypt,
            reader
                + QStringList{QStringLiteral("-a"), QStringLiteral("verify-pin"), QStringLiteral("-P"),
                    QStringLiteral("123456"), QStringLiteral("-a"), QStringLiteral("selfsign-certificate"),
                    QStringLiteral("-s"), QStringLiteral("9a"), QStringLiteral("-S"),
                    QStringLiteral("/CN=SmartKey PIV test/"), QStringLiteral("-i"), QStringLiteral("pub.pem"),
                    QStringLiteral("-o"), QStringLiteral("cert.pem")},
            dir);
        QVERIFY2(r.code == 0, qPrintable(r.output));
        r = run(QStringLiteral("openssl"),
            {QStringLiteral("verify"), QStringLiteral("-CAfile"), QStringLiteral("cert.pem"), QStringLiteral("cert.pem")},
            dir);
        QVERIFY2(r.code == 0, qPrintable(r.output)); // the token's self-signature is valid
        r = run(ypt,
            reader
                + QStringList{QStringLiteral("-a"), QStringLiteral("import-certificate"), QStringLiteral("-s"),
                    QStringLiteral("9a"), QStringLiteral("-i"), QStringLiteral("cert.pem")},
            dir);
        QVERIFY2(r.code == 0, qPrintable(r.output));
        r = run(ypt, reader + QStringList{QStringLiteral("-a"), QStringLiteral("status")}, dir);
        QVERIFY2(r.code == 0 && r.output.contains(QStringLiteral("SmartKey PIV test")), qPrintable(r.output));
        r = run(ypt,
            reader
                + QStringList{QStringLiteral("-a"), QStringLiteral("read-certificate"), QStringLiteral("-s"),
                    QStringLiteral("9a"), QStringLiteral("-o"), QStringLiteral("back.pem")},
            dir);
        QVERIFY2(r.code == 0, qPrintable(r.output));
        QFile a(dir + QStringLiteral("/cert.pem"));
        QFile b(dir + QStringLiteral("/back.pem"));
        QVERIFY(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
        QCOMPARE(b.readAll(), a.readAll());

        // OpenSC's PKCS#11 module on the same token: objects, a signature checked by openssl, and its self-test.
        const QStringList module{QStringLiteral("--module"), kOpenscModule};
        r = run(QStringLiteral("pkcs11-tool"), module + QStringList{QStringLiteral("--list-objects")}, dir);
        QVERIFY2(r.code == 0 && r.output.contains(QStringLiteral("SmartKey PIV test")), qPrintable(r.output));
        QFile data(dir + QStringLiteral("/data.txt"));
        QVERIFY(data.open(QIODevice::WriteOnly));
        data.write("pay 12.34 CNY to merchant 1001\n");
        data.close();
        r = run(QStringLiteral("pkcs11-tool"),
            module
                + QStringList{QStringLiteral("--login"), QStringLiteral("--pin"), QStringLiteral("123456"),
                    QStringLiteral("--sign"), QStringLiteral("--id"), QStringLiteral("01"),
                    QStringLiteral("--mechanism"), QStringLiteral("ECDSA-SHA256"),
                    QStringLiteral("--signature-format"), QStringLiteral("openssl"), QStringLiteral("-i"),
                    QStringLiteral("data.txt"), QStringLiteral("-o"), QStringLiteral("data.sig")},
            dir);
        QVERIFY2(r.code == 0, qPrintable(r.output));
        r = run(QStringLiteral("openssl"),
            {QStringLiteral("dgst"), QStringLiteral("-sha256"), QStringLiteral("-verify"), QStringLiteral("pub.pem"),
                QStringLiteral("-signature"), QStringLiteral("data.sig"), QStringLiteral("data.txt")},
            dir);
        QVERIFY2(r.code == 0 && r.output.contains(QStringLiteral("Verified OK")), qPrintable(r.output));
        r = run(QStringLiteral("pkcs11-tool"),
            module + QStringList{QStringLiteral("--test"), QStringLiteral("--login"), QStringLiteral("--pin"),
                         QStringLiteral("123456")},
            dir);
        QVERIFY2(r.code == 0, qPrintable(r.output));
        qInfo("pkcs11-tool --test:\n%s", qPrintable(r.output.right(1500)));
    }
};

SKEY_TEST_MAIN(TestPcscPiv)
#include "TestPcscPiv.moc"
