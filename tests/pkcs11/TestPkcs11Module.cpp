// SPDX-License-Identifier: Apache-2.0
// libsmartkey-pkcs11.so with standard clients over the simulator's UDP HID port (no pcscd): pkcs11-tool generates a
// P-256 key pair on the key and signs with ECDSA-SHA256 (checked by openssl against the public key read back through
// the module); p11tool lists the objects; OpenSSL with libp11's engine self-signs a certificate and signs with the key
// (checked with that certificate); a wrong PIN is refused; the SO (PUK) resets the PIN; `pkcs11-tool --test` runs.
// Issue 14 item "delete": `pkcs11-tool --delete-object` of a certificate (the key pair stays) and of a private key
// (the key pair and its certificate go; GET METADATA then finds no key), refused with a wrong management key.
// Label sim. Skips (77) without pkcs11-tool/openssl.
#include "core/crypto/X509Der.h"
#include "core/piv/PivClient.h"
#include "device/EmbeddedSimulator.h"
#include "device/HidApduChannel.h"
#include "support/Skip.h"

#include <QCryptographicHash>

#include <QFile>
#include <QProcess>
#include <QProcessEnvironment>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

namespace {

struct Run
{
    int code = -1;
    QString output;
};

class Pkcs11Rig
{
public:
    QTemporaryDir dir;
    std::unique_ptr<wallet::device::EmbeddedSimulator> sim;
    QList<QPair<QString, QString>> extraEnv;

    QString start()
    {
        wallet::device::SimulatorOptions o;
        o.dataDirectory = dir.filePath(QStringLiteral("sim"));
        sim = std::make_unique<wallet::device::EmbeddedSimulator>(o);
        if (auto s = sim->start(); !s) {
            return s.error().detail;
        }
        return {};
    }

    Run run(const QString& program, const QStringList& args)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("SKEY_PKCS11_UDP_PORT"), QString::number(sim->hidPort()));
        for (const auto& [name, value] : extraEnv) {
            env.insert(name, value);
        }
        p.setProcessEnvironment(env);
        p.setWorkingDirectory(dir.path());
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

    Run tool(const QStringList& args)
    {
        return run(QStringLiteral("pkcs11-tool"),
            QStringList{QStringLiteral("--module"), qEnvironmentVariable("SKEY_PKCS11_MODULE")} + args);
    }
};

} // namespace

class TestPkcs11Module : public QObject
{
    Q_OBJECT
private slots:
    void pkcs11ToolOverUdp()
    {
        for (const char* tool : {"pkcs11-tool", "openssl"}) {
            if (QStandardPaths::findExecutable(QString::fromLatin1(tool)).isEmpty()) {
                SKEY_SKIP(QStringLiteral("%1 is not installed (scripts/setup-deps.sh installs it)")
                              .arg(QString::fromLatin1(tool)));
            }
        }
        Pkcs11Rig rig;
        const QString err = rig.start();
        QVERIFY2(err.isEmpty(), qPrintable(err));
        const QStringList login{QStringLiteral("--login"), QStringLiteral("--pin"), QStringLiteral("123456")};

        Run r = rig.tool({QStringLiteral("--show-info"), QStringLiteral("--list-slots")});
        QVERIFY2(r.code == 0 && r.output.contains(QStringLiteral("SmartKey PIV")), qPrintable(r.output));

        // A P-256 key pair generated on the key (slot 9A = CKA_ID 01).
        r = rig.tool(login
            + QStringList{QStringLiteral("--keypairgen"),
                QStringLiteral("--key-type"),
                QStringLiteral("EC:prime256v1"),
                QStringLiteral("--id"),
                QStringLiteral("01")});
        QVERIFY2(r.code == 0, qPrintable(r.output));
        QFile data(rig.dir.filePath(QStringLiteral("order.txt")));
        QVERIFY(data.open(QIODevice::WriteOnly));
        data.write("order 1001: 12.34 CNY\n");
        data.close();
        // A new process sees the key pair (public point from the key's metadata), exports the public key...
        r = rig.tool({QStringLiteral("--read-object"),
            QStringLiteral("--type"),
            QStringLiteral("pubkey"),
            QStringLiteral("--id"),
            QStringLiteral("01"),
            QStringLiteral("-o"),
            QStringLiteral("pub.der")});
        QVERIFY2(r.code == 0, qPrintable(r.output));
        // ...signs the order on the key, and openssl checks the signature.
        r = rig.tool(login
            + QStringList{QStringLiteral("--sign"),
                QStringLiteral("--id"),
                QStringLiteral("01"),
                QStringLiteral("--mechanism"),
                QStringLiteral("ECDSA-SHA256"),
                QStringLiteral("--signature-format"),
                QStringLiteral("openssl"),
                QStringLiteral("-i"),
                QStringLiteral("order.txt"),
                QStringLiteral("-o"),
                QStringLiteral("order.sig")});
        QVERIFY2(r.code == 0, qPrintable(r.output));
        r = rig.run(QStringLiteral("openssl"),
            {QStringLiteral("dgst"),
                QStringLiteral("-sha256"),
                QStringLiteral("-verify"),
                QStringLiteral("pub.der"),
                QStringLiteral("-keyform"),
                QStringLiteral("DER"),
                QStringLiteral("-signature"),
                QStringLiteral("order.sig"),
                QStringLiteral("order.txt")});
        QVERIFY2(r.code == 0 && r.output.contains(QStringLiteral("Verified OK")), qPrintable(r.output));
        // GnuTLS's p11tool lists the objects through the module (the private key after login).
        if (!QStandardPaths::findExecutable(QStringLiteral("p11tool")).isEmpty()) {
            r = rig.run(QStringLiteral("p11tool"),
                {QStringLiteral("--provider"),
                    qEnvironmentVariable("SKEY_PKCS11_MODULE"),
                    QStringLiteral("--list-all"),
                    QStringLiteral("--login"),
                    QStringLiteral("--set-pin"),
                    QStringLiteral("123456")});
            QVERIFY2(r.code == 0 && r.output.contains(QStringLiteral("token=SmartKey%20PIV;id=%01"))
                    && r.output.contains(QStringLiteral("type=private")),
                qPrintable(r.output));
        } else {
            SKEY_SKIP(QStringLiteral("p11tool is not installed (scripts/setup-deps.sh installs gnutls-bin)"));
        }
        // OpenSSL through libp11's engine: a self-signed certificate and a signature, both made by the key, and the
        // signature checked with the certificate.
        if (!QFile::exists(QStringLiteral("/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so"))) {
            SKEY_SKIP(QStringLiteral("libengine-pkcs11-openssl is not installed (scripts/setup-deps.sh installs it)"));
        }
        QFile cnf(rig.dir.filePath(QStringLiteral("engine.cnf")));
        QVERIFY(cnf.open(QIODevice::WriteOnly));
        cnf.write("openssl_conf = openssl_init\n[openssl_init]\nengines = engine_section\n[engine_section]\n"
                  "pkcs11 = pkcs11_section\n[pkcs11_section]\nengine_id = pkcs11\n"
                  "dynamic_path = /usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so\nMODULE_PATH = "
            + qgetenv("SKEY_PKCS11_MODULE") + "\ninit = 0\n[req]\ndistinguished_name = dn\n[dn]\n");
        cnf.close();
        const QString key = QStringLiteral("pkcs11:id=%01;type=private;pin-value=123456");
        rig.extraEnv = {{QStringLiteral("OPENSSL_CONF"), cnf.fileName()}};
        r = rig.run(QStringLiteral("openssl"),
            {QStringLiteral("req"),
                QStringLiteral("-new"),
                QStringLiteral("-x509"),
                QStringLiteral("-engine"),
                QStringLiteral("pkcs11"),
                QStringLiteral("-keyform"),
                QStringLiteral("engine"),
                QStringLiteral("-key"),
                key,
                QStringLiteral("-subj"),
                QStringLiteral("/CN=SmartKey cardholder"),
                QStringLiteral("-sha256"),
                QStringLiteral("-out"),
                QStringLiteral("cert.pem")});
        QVERIFY2(r.code == 0, qPrintable(r.output));
        r = rig.run(QStringLiteral("openssl"),
            {QStringLiteral("dgst"),
                QStringLiteral("-sha256"),
                QStringLiteral("-engine"),
                QStringLiteral("pkcs11"),
                QStringLiteral("-keyform"),
                QStringLiteral("engine"),
                QStringLiteral("-sign"),
                key,
                QStringLiteral("-out"),
                QStringLiteral("engine.sig"),
                QStringLiteral("order.txt")});
        QVERIFY2(r.code == 0, qPrintable(r.output));
        rig.extraEnv.clear();
        r = rig.run(QStringLiteral("openssl"),
            {QStringLiteral("x509"),
                QStringLiteral("-in"),
                QStringLiteral("cert.pem"),
                QStringLiteral("-pubkey"),
                QStringLiteral("-noout"),
                QStringLiteral("-out"),
                QStringLiteral("certpub.pem")});
        QVERIFY2(r.code == 0, qPrintable(r.output));
        r = rig.run(QStringLiteral("openssl"),
            {QStringLiteral("dgst"),
                QStringLiteral("-sha256"),
                QStringLiteral("-verify"),
                QStringLiteral("certpub.pem"),
                QStringLiteral("-signature"),
                QStringLiteral("engine.sig"),
                QStringLiteral("order.txt")});
        QVERIFY2(r.code == 0 && r.output.contains(QStringLiteral("Verified OK")), qPrintable(r.output));
        r = rig.run(QStringLiteral("openssl"),
            {QStringLiteral("verify"),
                QStringLiteral("-check_ss_sig"),
                QStringLiteral("-CAfile"),
                QStringLiteral("cert.pem"),
                QStringLiteral("cert.pem")});
        QVERIFY2(r.code == 0, qPrintable(r.output));
        // A wrong PIN is refused and counted.
        r = rig.tool({QStringLiteral("--login"),
            QStringLiteral("--pin"),
            QStringLiteral("999999"),
            QStringLiteral("--sign"),
            QStringLiteral("--id"),
            QStringLiteral("01"),
            QStringLiteral("--mechanism"),
            QStringLiteral("ECDSA-SHA256"),
            QStringLiteral("-i"),
            QStringLiteral("order.txt"),
            QStringLiteral("-o"),
            QStringLiteral("bad.sig")});
        QVERIFY2(r.code != 0 && r.output.contains(QStringLiteral("CKR_PIN_INCORRECT")), qPrintable(r.output));
        // The SO (PUK) resets the PIN: C_InitPIN.
        r = rig.tool({QStringLiteral("--login"),
            QStringLiteral("--login-type"),
            QStringLiteral("so"),
            QStringLiteral("--so-pin"),
            QStringLiteral("12345678"),
            QStringLiteral("--init-pin"),
            QStringLiteral("--new-pin"),
            QStringLiteral("654321")});
        QVERIFY2(r.code == 0, qPrintable(r.output));
        // pkcs11-tool's own test run over the module, logged in with the new PIN.
        r = rig.tool(
            {QStringLiteral("--test"), QStringLiteral("--login"), QStringLiteral("--pin"), QStringLiteral("654321")});
        QVERIFY2(r.code == 0, qPrintable(r.output));
        qInfo("pkcs11-tool --test:\n%s", qPrintable(r.output.right(2000)));
    }

    void deleteObjectsWithPkcs11Tool()
    {
        if (QStandardPaths::findExecutable(QStringLiteral("pkcs11-tool")).isEmpty()) {
            SKEY_SKIP(QStringLiteral("pkcs11-tool is not installed (scripts/setup-deps.sh installs it)"));
        }
        Pkcs11Rig rig;
        const QString err = rig.start();
        QVERIFY2(err.isEmpty(), qPrintable(err));
        const QStringList login{QStringLiteral("--login"), QStringLiteral("--pin"), QStringLiteral("123456")};
        for (const char* id : {"01", "03"}) {
            const Run r = rig.tool(login
                + QStringList{QStringLiteral("--keypairgen"),
                    QStringLiteral("--key-type"),
                    QStringLiteral("EC:prime256v1"),
                    QStringLiteral("--id"),
                    QString::fromLatin1(id)});
            QVERIFY2(r.code == 0, qPrintable(r.output));
        }
        // A certificate for the 9A key, self-signed on the key and stored with PIV's PUT DATA (the module has no
        // C_CreateObject).
        {
            auto channel = rig.sim->makeChannel();
            wallet::core::piv::PivClient piv(*channel);
            QVERIFY(piv.select());
            auto meta = piv.keyMetadata(0x9A);
            QVERIFY(meta && meta->has_value());
            const QByteArray point = (*meta)->point;
            auto name = wallet::core::x509::encodeName({{QStringLiteral("CN"), QStringLiteral("delete me")}});
            QVERIFY(name);
            wallet::core::x509::CertificateFields f;
            f.serial = QByteArray::fromHex("0102");
            f.issuerDer = *name;
            f.subjectDer = *name;
            f.notBefore = QDateTime::currentDateTimeUtc();
            f.notAfter = f.notBefore.addDays(1);
            f.subjectPoint = point;
            f.issuerPoint = point;
            QVERIFY(piv.verifyPin(wallet::core::toSecure(QByteArray("123456"))));
            auto cert = wallet::core::x509::certificate(
                f, [&](const QByteArray& digest) { return piv.sign(0x9A, 0x11, digest); });
            QVERIFY2(cert, cert ? "" : qPrintable(cert.error().detail));
            QVERIFY(piv.authenticate(
                wallet::core::toSecure(QByteArray::fromHex("010203040506070801020304050607080102030405060708"))));
            QVERIFY(piv.writeCertificate(0x9A, *cert));
        }
        Run r = rig.tool(login + QStringList{QStringLiteral("--list-objects")});
        QVERIFY2(r.code == 0 && r.output.contains(QStringLiteral("Certificate Object")), qPrintable(r.output));

        // The certificate alone: the key pair stays.
        r = rig.tool(login
            + QStringList{QStringLiteral("--delete-object"),
                QStringLiteral("--type"),
                QStringLiteral("cert"),
                QStringLiteral("--id"),
                QStringLiteral("01")});
        QVERIFY2(r.code == 0, qPrintable(r.output));
        r = rig.tool(login + QStringList{QStringLiteral("--list-objects")});
        QVERIFY2(r.code == 0 && !r.output.contains(QStringLiteral("Certificate Object")), qPrintable(r.output));
        QCOMPARE(r.output.count(QStringLiteral("Private Key Object")), 2);

        // A wrong management key: refused, both key pairs still there.
        rig.extraEnv = {{QStringLiteral("SKEY_PIV_MANAGEMENT_KEY"),
            QStringLiteral("0F0E0D0C0B0A09080706050403020100F0E0D0C0B0A09080")}};
        r = rig.tool(login
            + QStringList{QStringLiteral("--delete-object"),
                QStringLiteral("--type"),
                QStringLiteral("privkey"),
                QStringLiteral("--id"),
                QStringLiteral("01")});
        QVERIFY2(r.code != 0, qPrintable(r.output));
        rig.extraEnv.clear();
        r = rig.tool(login + QStringList{QStringLiteral("--list-objects")});
        QCOMPARE(r.output.count(QStringLiteral("Private Key Object")), 2);

        // The private key: the pair goes (PIV keeps no public key without it); slot 9D's stays.
        r = rig.tool(login
            + QStringList{QStringLiteral("--delete-object"),
                QStringLiteral("--type"),
                QStringLiteral("privkey"),
                QStringLiteral("--id"),
                QStringLiteral("01")});
        QVERIFY2(r.code == 0, qPrintable(r.output));
        r = rig.tool(login + QStringList{QStringLiteral("--list-objects")});
        QVERIFY2(r.code == 0, qPrintable(r.output));
        QCOMPARE(r.output.count(QStringLiteral("Private Key Object")), 1);
        QCOMPARE(r.output.count(QStringLiteral("Public Key Object")), 1);
        QVERIFY2(!r.output.contains(QStringLiteral("ID:         01")), qPrintable(r.output));
        QVERIFY2(r.output.contains(QStringLiteral("ID:         03")), qPrintable(r.output));
        // On the key itself (a new channel, as another program would see it): no key in 9A, 9D's is there.
        auto channel = rig.sim->makeChannel();
        wallet::core::piv::PivClient piv(*channel);
        QVERIFY(piv.select());
        auto gone = piv.keyMetadata(0x9A);
        QVERIFY(gone && !gone->has_value());
        auto kept = piv.keyMetadata(0x9D);
        QVERIFY(kept && kept->has_value());
        auto certGone = piv.readCertificate(0x9A);
        QVERIFY(certGone && !certGone->has_value());
    }
};
SKEY_TEST_MAIN(TestPkcs11Module)
#include "TestPkcs11Module.moc"
