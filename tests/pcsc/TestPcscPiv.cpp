// SPDX-License-Identifier: Apache-2.0
// The token's PIV application driven by independent standard clients over PC/SC (private pcscd + vpcd + skey-sim):
// yubico-piv-tool generates a P-256 key in slot 9A; OpenSSL self-signs a certificate with that key through the
// project's PKCS#11 module over the key's HID interface; yubico-piv-tool imports it; then OpenSC's PKCS#11 module lists
// the objects, signs with the key (checked by `openssl dgst -verify` against the public key yubico-piv-tool exported)
// and runs `pkcs11-tool --test`. Label pcsc; skips (77) without the tools.
#include "PcscRig.h"
#include "support/Skip.h"

#include <QFile>
#include <QProcess>
#include <QProcessEnvironment>
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
                + QStringList{QStringLiteral("-a"),
                    QStringLiteral("set-chuid"),
                    QStringLiteral("-a"),
                    QStringLiteral("set-ccc")},
            dir);
        QVERIFY2(r.code == 0, qPrintable(r.output));
        r = run(ypt,
            reader
                + QStringList{QStringLiteral("-a"),
                    QStringLiteral("generate"),
                    QStringLiteral("-s"),
                    QStringLiteral("9a"),
                    QStringLiteral("-A"),
                    QStringLiteral("ECCP256"),
                    QStringLiteral("-o"),
                    QStringLiteral("pub.pem")},
            dir);
        QVERIFY2(r.code == 0, qPrintable(r.output));
        // The self-signed certificate, signed BY THE KEY: Debian's yubico-piv-tool 2.2.0 cannot do it under OpenSSL 3
        // (selfsign-certificate and request-certificate fail before sending any APDU: a known client bug), so OpenSSL
        // makes it with libp11's engine through the project's own PKCS#11 module over the same key's HID interface
        // (one key, two interfaces: docs/transport.md). yubico-piv-tool then imports it over PC/SC.
        const QString ourModule = qEnvironmentVariable("SKEY_PKCS11_MODULE");
        if (ourModule.isEmpty() || !QFile::exists(QStringLiteral("/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so"))) {
            SKEY_SKIP(QStringLiteral("libengine-pkcs11-openssl is not installed (scripts/setup-deps.sh installs it)"));
        }
        QFile cnf(dir + QStringLiteral("/engine.cnf"));
        QVERIFY(cnf.open(QIODevice::WriteOnly));
        cnf.write("openssl_conf = openssl_init\n[openssl_init]\nengines = engine_section\n[engine_section]\n"
                  "pkcs11 = pkcs11_section\n[pkcs11_section]\nengine_id = pkcs11\n"
                  "dynamic_path = /usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so\nMODULE_PATH = "
            + ourModule.toLocal8Bit() + "\ninit = 0\n[req]\ndistinguished_name = dn\n[dn]\n");
        cnf.close();
        {
            QProcess p;
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.insert(QStringLiteral("OPENSSL_CONF"), dir + QStringLiteral("/engine.cnf"));
            env.insert(QStringLiteral("SKEY_PKCS11_UDP_PORT"), QString::number(rig.sim->hidPort()));
            p.setProcessEnvironment(env);
            p.setWorkingDirectory(dir);
            p.setProcessChannelMode(QProcess::MergedChannels);
            p.start(QStringLiteral("openssl"),
                {QStringLiteral("req"),
                    QStringLiteral("-new"),
                    QStringLiteral("-x509"),
                    QStringLiteral("-days"),
                    QStringLiteral("365"),
                    QStringLiteral("-engine"),
                    QStringLiteral("pkcs11"),
                    QStringLiteral("-keyform"),
                    QStringLiteral("engine"),
                    QStringLiteral("-key"),
                    QStringLiteral("pkcs11:id=%01;type=private;pin-value=123456"),
                    QStringLiteral("-subj"),
                    QStringLiteral("/CN=SmartKey PIV test"),
                    QStringLiteral("-sha256"),
                    QStringLiteral("-out"),
                    QStringLiteral("cert.pem")});
            QVERIFY(p.waitForFinished(120000));
            QVERIFY2(p.exitCode() == 0, p.readAll().constData());
        }
        r = run(QStringLiteral("openssl"),
            {QStringLiteral("verify"),
                QStringLiteral("-check_ss_sig"),
                QStringLiteral("-CAfile"),
                QStringLiteral("cert.pem"),
                QStringLiteral("cert.pem")},
            dir);
        QVERIFY2(r.code == 0, qPrintable(r.output)); // the key's self-signature is valid
        // The certificate's key is the one yubico-piv-tool generated.
        r = run(QStringLiteral("openssl"),
            {QStringLiteral("x509"),
                QStringLiteral("-in"),
                QStringLiteral("cert.pem"),
                QStringLiteral("-pubkey"),
                QStringLiteral("-noout")},
            dir);
        QFile generated(dir + QStringLiteral("/pub.pem"));
        QVERIFY(generated.open(QIODevice::ReadOnly));
        QCOMPARE(r.output.trimmed(), QString::fromLatin1(generated.readAll()).trimmed());
        r = run(ypt,
            reader
                + QStringList{QStringLiteral("-a"),
                    QStringLiteral("import-certificate"),
                    QStringLiteral("-s"),
                    QStringLiteral("9a"),
                    QStringLiteral("-i"),
                    QStringLiteral("cert.pem")},
            dir);
        QVERIFY2(r.code == 0, qPrintable(r.output));
        r = run(ypt, reader + QStringList{QStringLiteral("-a"), QStringLiteral("status")}, dir);
        QVERIFY2(r.code == 0 && r.output.contains(QStringLiteral("SmartKey PIV test")), qPrintable(r.output));
        r = run(ypt,
            reader
                + QStringList{QStringLiteral("-a"),
                    QStringLiteral("read-certificate"),
                    QStringLiteral("-s"),
                    QStringLiteral("9a"),
                    QStringLiteral("-o"),
                    QStringLiteral("back.pem")},
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
                + QStringList{QStringLiteral("--login"),
                    QStringLiteral("--pin"),
                    QStringLiteral("123456"),
                    QStringLiteral("--sign"),
                    QStringLiteral("--id"),
                    QStringLiteral("01"),
                    QStringLiteral("--mechanism"),
                    QStringLiteral("ECDSA-SHA256"),
                    QStringLiteral("--signature-format"),
                    QStringLiteral("openssl"),
                    QStringLiteral("-i"),
                    QStringLiteral("data.txt"),
                    QStringLiteral("-o"),
                    QStringLiteral("data.sig")},
            dir);
        QVERIFY2(r.code == 0, qPrintable(r.output));
        r = run(QStringLiteral("openssl"),
            {QStringLiteral("dgst"),
                QStringLiteral("-sha256"),
                QStringLiteral("-verify"),
                QStringLiteral("pub.pem"),
                QStringLiteral("-signature"),
                QStringLiteral("data.sig"),
                QStringLiteral("data.txt")},
            dir);
        QVERIFY2(r.code == 0 && r.output.contains(QStringLiteral("Verified OK")), qPrintable(r.output));
        r = run(QStringLiteral("pkcs11-tool"),
            module
                + QStringList{QStringLiteral("--test"),
                    QStringLiteral("--login"),
                    QStringLiteral("--pin"),
                    QStringLiteral("123456")},
            dir);
        QVERIFY2(r.code == 0, qPrintable(r.output));
        qInfo("pkcs11-tool --test:\n%s", qPrintable(r.output.right(1500)));
    }
};

SKEY_TEST_MAIN(TestPcscPiv)
#include "TestPcscPiv.moc"
