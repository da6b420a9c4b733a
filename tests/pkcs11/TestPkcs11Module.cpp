// SPDX-License-Identifier: Apache-2.0
// libsmartkey-pkcs11.so with standard clients over the simulator's UDP HID port (no pcscd): pkcs11-tool generates a
// P-256 key pair on the key and signs with ECDSA-SHA256 (checked by openssl against the public key read back through
// the module); p11tool lists the objects; OpenSSL with libp11's engine self-signs a certificate and signs with the key
// (checked with that certificate); a wrong PIN is refused; the SO (PUK) resets the PIN; `pkcs11-tool --test` runs.
// Issue 14 item "delete": `pkcs11-tool --delete-object` of a certificate (the key pair stays) and of a private key
// (the key pair and its certificate go; GET METADATA then finds no key), refused with a wrong management key.
// Issue 14 "Host": `p11-kit list-modules` finds the module through its module file (pkcs11/smartkey.module) and shows
// the token; C_Derive (ECDH) through `pkcs11-tool --derive` gives the secret openssl derives on the other side; the
// module loaded in this process: C_Initialize refuses an application's own mutexes without CKF_OS_LOCKING_OK
// (CKR_CANT_LOCK), and with it four threads sign at once, every signature verified with Botan.
// Label sim. Skips (77) without pkcs11-tool/openssl.
#include "core/crypto/X509Der.h"
#include "core/piv/PivClient.h"
#include "device/EmbeddedSimulator.h"
#include "device/HidApduChannel.h"
#include "support/Skip.h"

#include <QCryptographicHash>
#include <QDir>
#include <QSemaphore>
#include <QThread>

#include <botan/ec_group.h>
#include <botan/ecdsa.h>
#include <botan/pubkey.h>
#include <dlfcn.h>
#include <p11-kit/pkcs11.h>
#include <unistd.h>

#include <atomic>
#include <vector>

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

    /// A P-256 key pair generated on the key through the module (CKA_ID `id`: 01 = 9A … 04 = 9E), PIN 123456.
    Run generate(const QString& id)
    {
        return tool({QStringLiteral("--login"),
            QStringLiteral("--pin"),
            QStringLiteral("123456"),
            QStringLiteral("--keypairgen"),
            QStringLiteral("--key-type"),
            QStringLiteral("EC:prime256v1"),
            QStringLiteral("--id"),
            id});
    }

    /// The public key of CKA_ID `id` read through the module into `file` (DER SubjectPublicKeyInfo).
    Run exportPublicKey(const QString& id, const QString& file)
    {
        return tool({QStringLiteral("--read-object"),
            QStringLiteral("--type"),
            QStringLiteral("pubkey"),
            QStringLiteral("--id"),
            id,
            QStringLiteral("-o"),
            file});
    }
};

/// Why a test cannot run here: the first of `tools` that is not installed, or empty.
QString missingTool(std::initializer_list<const char*> tools)
{
    for (const char* tool : tools) {
        if (QStandardPaths::findExecutable(QString::fromLatin1(tool)).isEmpty()) {
            return QStringLiteral("%1 is not installed (scripts/setup-deps.sh installs it)")
                .arg(QString::fromLatin1(tool));
        }
    }
    return {};
}

} // namespace

class TestPkcs11Module : public QObject
{
    Q_OBJECT
private slots:
    void pkcs11ToolOverUdp()
    {
        if (const QString missing = missingTool({"pkcs11-tool", "openssl"}); !missing.isEmpty()) {
            SKEY_SKIP(missing);
        }
        Pkcs11Rig rig;
        const QString err = rig.start();
        QVERIFY2(err.isEmpty(), qPrintable(err));
        const QStringList login{QStringLiteral("--login"), QStringLiteral("--pin"), QStringLiteral("123456")};

        Run r = rig.tool({QStringLiteral("--show-info"), QStringLiteral("--list-slots")});
        QVERIFY2(r.code == 0 && r.output.contains(QStringLiteral("SmartKey PIV")), qPrintable(r.output));

        // A P-256 key pair generated on the key (slot 9A = CKA_ID 01).
        r = rig.generate(QStringLiteral("01"));
        QVERIFY2(r.code == 0, qPrintable(r.output));
        QFile data(rig.dir.filePath(QStringLiteral("order.txt")));
        QVERIFY(data.open(QIODevice::WriteOnly));
        data.write("order 1001: 12.34 CNY\n");
        data.close();
        // A new process sees the key pair (public point from the key's metadata), exports the public key...
        r = rig.exportPublicKey(QStringLiteral("01"), QStringLiteral("pub.der"));
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
        if (const QString missing = missingTool({"pkcs11-tool"}); !missing.isEmpty()) {
            SKEY_SKIP(missing);
        }
        Pkcs11Rig rig;
        const QString err = rig.start();
        QVERIFY2(err.isEmpty(), qPrintable(err));
        const QStringList login{QStringLiteral("--login"), QStringLiteral("--pin"), QStringLiteral("123456")};
        for (const char* id : {"01", "03"}) {
            const Run r = rig.generate(QString::fromLatin1(id));
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

    /// The p11-kit module file registers the module: `p11-kit list-modules` shows it with the key's token.
    void p11KitListsTheModule()
    {
        if (QStandardPaths::findExecutable(QStringLiteral("p11-kit")).isEmpty()) {
            SKEY_SKIP(QStringLiteral("p11-kit is not installed (scripts/setup-deps.sh installs p11-kit)"));
        }
        Pkcs11Rig rig;
        const QString err = rig.start();
        QVERIFY2(err.isEmpty(), qPrintable(err));
        // The installed file names the library relative to p11-kit's module folder; here it points at the build's.
        QFile installed(qEnvironmentVariable("SKEY_PKCS11_MODULE_FILE"));
        QVERIFY2(installed.open(QIODevice::ReadOnly), qPrintable(installed.fileName()));
        QByteArray text = installed.readAll();
        QVERIFY2(text.contains("\nmodule: libsmartkey-pkcs11.so\n"), text.constData());
        text.replace("\nmodule: libsmartkey-pkcs11.so\n", "\nmodule: " + qgetenv("SKEY_PKCS11_MODULE") + "\n");
        // A user's module folder (~/.config/pkcs11/modules). p11-kit skips user configuration for root, so as root
        // the listing runs as `nobody` with this HOME.
        const QString home = rig.dir.filePath(QStringLiteral("home"));
        const QString modules = home + QStringLiteral("/.config/pkcs11/modules");
        QVERIFY(QDir().mkpath(modules));
        QFile file(modules + QStringLiteral("/smartkey.module"));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(text);
        file.close();
        QStringList command{QStringLiteral("env"),
            QStringLiteral("HOME=") + home,
            QStringLiteral("SKEY_PKCS11_UDP_PORT=") + QString::number(rig.sim->hidPort()),
            QStringLiteral("p11-kit"),
            QStringLiteral("list-modules")};
        if (::geteuid() == 0) {
            for (const QString& d : {rig.dir.path(),
                     home,
                     home + QStringLiteral("/.config"),
                     home + QStringLiteral("/.config/pkcs11"),
                     modules}) {
                QVERIFY(QFile::setPermissions(d,
                    QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner | QFileDevice::ReadOther
                        | QFileDevice::ExeOther));
            }
            QVERIFY(QFile::setPermissions(
                file.fileName(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadOther));
            command = QStringList{QStringLiteral("-u"), QStringLiteral("nobody"), QStringLiteral("--")} + command;
            command.prepend(QStringLiteral("runuser"));
        }
        const Run r = rig.run(command.takeFirst(), command);
        QVERIFY2(r.code == 0, qPrintable(r.output));
        const QString listed = QStringLiteral("smartkey: ") + qEnvironmentVariable("SKEY_PKCS11_MODULE");
        QVERIFY2(r.output.contains(listed), qPrintable(r.output));
        const QString after = r.output.mid(r.output.indexOf(listed));
        QVERIFY2(after.contains(QStringLiteral("token: SmartKey PIV")), qPrintable(r.output));
    }

    /// C_Derive (CKM_ECDH1_DERIVE) on the key's 9E key pair: the same secret as openssl's on the other side.
    void ecdhDeriveMatchesOpenssl()
    {
        if (const QString missing = missingTool({"pkcs11-tool", "openssl"}); !missing.isEmpty()) {
            SKEY_SKIP(missing);
        }
        Pkcs11Rig rig;
        const QString err = rig.start();
        QVERIFY2(err.isEmpty(), qPrintable(err));
        // The key's 9E key pair and its public key; the other party's key pair made by openssl.
        const auto split = [](const char* words) { return QString::fromLatin1(words).split(QLatin1Char(' ')); };
        const QList<QPair<QString, QStringList>> steps{{QStringLiteral("gen"), {}},
            {QStringLiteral("pkcs11-tool"), split("--read-object --type pubkey --id 04 -o token.der")},
            {QStringLiteral("openssl"), split("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out peer.pem")},
            {QStringLiteral("openssl"), split("pkey -in peer.pem -pubout -outform DER -out peer.der")},
            // C_Derive on the key with the peer's public key, and openssl's derivation on the other side.
            {QStringLiteral("pkcs11-tool"),
                split(
                    "--login --pin 123456 --derive --mechanism ECDH1-DERIVE --id 04 -i peer.der -o token-secret.bin")},
            {QStringLiteral("openssl"),
                split("pkeyutl -derive -inkey peer.pem -peerkey token.der -peerform DER -out peer-secret.bin")}};
        for (const auto& [program, args] : steps) {
            const Run r = program == QStringLiteral("gen") ? rig.generate(QStringLiteral("04"))
                : program == QStringLiteral("pkcs11-tool") ? rig.tool(args)
                                                           : rig.run(program, args);
            QVERIFY2(r.code == 0,
                qPrintable(program + QLatin1Char(' ') + args.join(QLatin1Char(' ')) + QLatin1Char('\n') + r.output));
        }
        QFile mine(rig.dir.filePath(QStringLiteral("token-secret.bin")));
        QFile theirs(rig.dir.filePath(QStringLiteral("peer-secret.bin")));
        QVERIFY(mine.open(QIODevice::ReadOnly) && theirs.open(QIODevice::ReadOnly));
        const QByteArray secret = mine.readAll();
        QCOMPARE(secret.size(), 32);
        QCOMPARE(secret.toHex(), theirs.readAll().toHex());
    }

    /// CKF_OS_LOCKING_OK: the module in this process, four threads signing at once, each signature verified.
    void threadsSignAtOnce()
    {
        if (const QString missing = missingTool({"pkcs11-tool"}); !missing.isEmpty()) {
            SKEY_SKIP(missing);
        }
        Pkcs11Rig rig;
        const QString err = rig.start();
        QVERIFY2(err.isEmpty(), qPrintable(err));
        Run r = rig.generate(QStringLiteral("04"));
        QVERIFY2(r.code == 0, qPrintable(r.output));

        qputenv("SKEY_PKCS11_UDP_PORT", QByteArray::number(rig.sim->hidPort()));
        void* lib = ::dlopen(qgetenv("SKEY_PKCS11_MODULE").constData(), RTLD_NOW | RTLD_LOCAL);
        QVERIFY2(lib, ::dlerror());
        auto getList = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(lib, "C_GetFunctionList"));
        QVERIFY(getList);
        CK_FUNCTION_LIST_PTR f = nullptr;
        QCOMPARE(getList(&f), CKR_OK);

        // An application that offers only its own mutex callbacks cannot be served (PKCS#11 v2.40 §5.4).
        auto createMutex = [](CK_VOID_PTR_PTR m) -> CK_RV {
            *m = nullptr;
            return CKR_OK;
        };
        auto otherMutex = [](CK_VOID_PTR) -> CK_RV { return CKR_OK; };
        CK_C_INITIALIZE_ARGS own{};
        own.CreateMutex = createMutex;
        own.DestroyMutex = otherMutex;
        own.LockMutex = otherMutex;
        own.UnlockMutex = otherMutex;
        QCOMPARE(f->C_Initialize(&own), CKR_CANT_LOCK);
        CK_C_INITIALIZE_ARGS os{};
        os.flags = CKF_OS_LOCKING_OK;
        QCOMPARE(f->C_Initialize(&os), CKR_OK);

        CK_SLOT_ID slot = 0;
        CK_ULONG count = 1;
        QCOMPARE(f->C_GetSlotList(CK_TRUE, &slot, &count), CKR_OK);
        QCOMPARE(count, CK_ULONG(1));
        CK_SESSION_HANDLE login = 0;
        QCOMPARE(f->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &login), CKR_OK);
        CK_UTF8CHAR pin[] = {'1', '2', '3', '4', '5', '6'};
        QCOMPARE(f->C_Login(login, CKU_USER, pin, sizeof pin), CKR_OK);
        // The 9E public point (CKA_EC_POINT: an OCTET STRING around the uncompressed point).
        CK_OBJECT_CLASS pubClass = CKO_PUBLIC_KEY;
        CK_BYTE id = 0x04;
        CK_ATTRIBUTE findPub[] = {{CKA_CLASS, &pubClass, sizeof pubClass}, {CKA_ID, &id, 1}};
        CK_OBJECT_HANDLE pub = 0;
        CK_ULONG found = 0;
        QCOMPARE(f->C_FindObjectsInit(login, findPub, 2), CKR_OK);
        QCOMPARE(f->C_FindObjects(login, &pub, 1, &found), CKR_OK);
        QCOMPARE(f->C_FindObjectsFinal(login), CKR_OK);
        QCOMPARE(found, CK_ULONG(1));
        std::vector<std::uint8_t> point(256);
        CK_ATTRIBUTE ecPoint{CKA_EC_POINT, point.data(), point.size()};
        QCOMPARE(f->C_GetAttributeValue(login, pub, &ecPoint, 1), CKR_OK);
        QCOMPARE(ecPoint.ulValueLen, CK_ULONG(67));
        const Botan::EC_Group group("secp256r1");
        const Botan::ECDSA_PublicKey key(group, group.OS2ECP(point.data() + 2, 65));

        constexpr int kThreads = 4;
        constexpr int kEach = 10;
        std::atomic<int> failures{0};
        std::vector<std::vector<std::pair<QByteArray, QByteArray>>> signatures(kThreads);
        QSemaphore go;
        std::vector<std::unique_ptr<QThread>> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back(QThread::create([&, t] {
                CK_SESSION_HANDLE s = 0;
                if (f->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &s) != CKR_OK) {
                    ++failures;
                    return;
                }
                CK_OBJECT_CLASS privClass = CKO_PRIVATE_KEY;
                CK_BYTE keyId = 0x04;
                CK_ATTRIBUTE findPriv[] = {{CKA_CLASS, &privClass, sizeof privClass}, {CKA_ID, &keyId, 1}};
                CK_OBJECT_HANDLE priv = 0;
                CK_ULONG n = 0;
                if (f->C_FindObjectsInit(s, findPriv, 2) != CKR_OK || f->C_FindObjects(s, &priv, 1, &n) != CKR_OK
                    || f->C_FindObjectsFinal(s) != CKR_OK || n != 1) {
                    ++failures;
                    return;
                }
                go.acquire();
                for (int i = 0; i < kEach; ++i) {
                    const QByteArray hash = QCryptographicHash::hash(
                        QStringLiteral("thread %1 order %2").arg(t).arg(i).toUtf8(), QCryptographicHash::Sha256);
                    CK_MECHANISM mech{CKM_ECDSA, nullptr, 0};
                    std::uint8_t sig[64];
                    CK_ULONG len = sizeof sig;
                    if (f->C_SignInit(s, &mech, priv) != CKR_OK
                        || f->C_Sign(s,
                               reinterpret_cast<CK_BYTE_PTR>(const_cast<char*>(hash.constData())),
                               static_cast<CK_ULONG>(hash.size()),
                               sig,
                               &len)
                            != CKR_OK
                        || len != 64) {
                        ++failures;
                        continue;
                    }
                    signatures[static_cast<std::size_t>(t)].emplace_back(
                        hash, QByteArray(reinterpret_cast<const char*>(sig), 64));
                }
                (void)f->C_CloseSession(s);
            }));
            threads.back()->start();
        }
        go.release(kThreads); // all at once
        for (auto& th : threads) {
            QVERIFY(th->wait(120000));
        }
        QCOMPARE(failures.load(), 0);
        int verified = 0;
        for (const auto& list : signatures) {
            QCOMPARE(int(list.size()), kEach);
            for (const auto& [hash, sig] : list) {
                Botan::PK_Verifier v(key, "Raw");
                if (v.verify_message(reinterpret_cast<const std::uint8_t*>(hash.constData()),
                        static_cast<std::size_t>(hash.size()),
                        reinterpret_cast<const std::uint8_t*>(sig.constData()),
                        static_cast<std::size_t>(sig.size()))) {
                    ++verified;
                }
            }
        }
        QCOMPARE(verified, kThreads * kEach);
        QCOMPARE(f->C_CloseSession(login), CKR_OK);
        QCOMPARE(f->C_Finalize(nullptr), CKR_OK);
        ::dlclose(lib);
    }

    /// Issue 14 (docs/piv.md "PKCS#11 module"): C_GenerateKeyPair takes the PIN and touch policies as ykcs11's vendor
    /// attributes (CKA_YUBICO_PIN_POLICY / CKA_YUBICO_TOUCH_POLICY, CK_BYTE or CK_ULONG values); the module reports
    /// them; a key with PIN policy "never" is a public object (found and used before C_Login), its touch is asked on
    /// every signature and a refused touch is CKR_FUNCTION_CANCELED; the key holds the policies (GET METADATA).
    void policiesThroughVendorAttributes()
    {
        Pkcs11Rig rig;
        const QString err = rig.start();
        QVERIFY2(err.isEmpty(), qPrintable(err));
        qputenv("SKEY_PKCS11_UDP_PORT", QByteArray::number(rig.sim->hidPort()));
        void* lib = ::dlopen(qgetenv("SKEY_PKCS11_MODULE").constData(), RTLD_NOW | RTLD_LOCAL);
        QVERIFY2(lib, ::dlerror());
        auto getList = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(lib, "C_GetFunctionList"));
        QVERIFY(getList);
        CK_FUNCTION_LIST_PTR f = nullptr;
        QCOMPARE(getList(&f), CKR_OK);
        QCOMPARE(f->C_Initialize(nullptr), CKR_OK);
        CK_SESSION_HANDLE s = 0;
        QCOMPARE(f->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &s), CKR_OK);

        constexpr CK_ATTRIBUTE_TYPE kTouch = CKA_VENDOR_DEFINED + 0x59554200UL + 1;
        constexpr CK_ATTRIBUTE_TYPE kPin = CKA_VENDOR_DEFINED + 0x59554200UL + 2;
        CK_BYTE p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
        CK_MECHANISM mech{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
        const auto generate = [&](CK_BYTE id, CK_ATTRIBUTE* policies, CK_ULONG n) {
            CK_ATTRIBUTE pub[] = {{CKA_ID, &id, 1}, {CKA_EC_PARAMS, p256, sizeof p256}};
            std::vector<CK_ATTRIBUTE> priv{{CKA_ID, &id, 1}};
            priv.insert(priv.end(), policies, policies + n);
            CK_OBJECT_HANDLE a = 0;
            CK_OBJECT_HANDLE b = 0;
            return f->C_GenerateKeyPair(s, &mech, pub, 2, priv.data(), static_cast<CK_ULONG>(priv.size()), &a, &b);
        };
        // 9D: PIN never, touch always (CK_BYTE, as ykcs11's own tests pass them).
        CK_BYTE never = 1;
        CK_BYTE always = 2;
        CK_ATTRIBUTE neverAlways[] = {{kPin, &never, 1}, {kTouch, &always, 1}};
        QCOMPARE(generate(0x03, neverAlways, 2), CKR_OK);
        // 9A: PIN always, touch cached (CK_ULONG values).
        CK_ULONG pinAlways = 3;
        CK_ULONG cached = 3;
        CK_ATTRIBUTE alwaysCached[] = {{kPin, &pinAlways, sizeof pinAlways}, {kTouch, &cached, sizeof cached}};
        QCOMPARE(generate(0x01, alwaysCached, 2), CKR_OK);
        // An unknown policy value: refused before anything reaches the key (9C stays empty).
        CK_BYTE bad = 4;
        CK_ATTRIBUTE badPin[] = {{kPin, &bad, 1}};
        QCOMPARE(generate(0x02, badPin, 1), CKR_ATTRIBUTE_VALUE_INVALID);

        const auto find = [&](CK_OBJECT_CLASS cls, CK_BYTE id) {
            CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_ID, &id, 1}};
            CK_OBJECT_HANDLE h = 0;
            CK_ULONG n = 0;
            if (f->C_FindObjectsInit(s, t, 2) != CKR_OK || f->C_FindObjects(s, &h, 1, &n) != CKR_OK
                || f->C_FindObjectsFinal(s) != CKR_OK || n != 1) {
                return CK_OBJECT_HANDLE(0);
            }
            return h;
        };
        const auto byteAttribute = [&](CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type) {
            CK_BYTE v = 0xFF;
            CK_ATTRIBUTE a{type, &v, 1};
            return f->C_GetAttributeValue(s, h, &a, 1) == CKR_OK && a.ulValueLen == 1 ? int(v) : -1;
        };
        QCOMPARE(find(CKO_PUBLIC_KEY, 0x02), CK_OBJECT_HANDLE(0));
        // Before C_Login: the PIN-never key is there, the PIN-always key is not.
        const CK_OBJECT_HANDLE noPin = find(CKO_PRIVATE_KEY, 0x03);
        QVERIFY(noPin != 0);
        QCOMPARE(find(CKO_PRIVATE_KEY, 0x01), CK_OBJECT_HANDLE(0));
        QCOMPARE(byteAttribute(noPin, CKA_PRIVATE), int(CK_FALSE));
        QCOMPARE(byteAttribute(noPin, kPin), 1);
        QCOMPARE(byteAttribute(noPin, kTouch), 2);
        QCOMPARE(byteAttribute(noPin, CKA_ALWAYS_AUTHENTICATE), int(CK_FALSE));
        // It signs without a PIN once the key's button is pressed; a refused touch cancels the signature.
        const auto sign = [&](CK_OBJECT_HANDLE key) {
            CK_MECHANISM ecdsa{CKM_ECDSA, nullptr, 0};
            CK_BYTE hash[32] = {1, 2, 3};
            CK_BYTE sig[64];
            CK_ULONG len = sizeof sig;
            const CK_RV init = f->C_SignInit(s, &ecdsa, key);
            return init != CKR_OK ? init : f->C_Sign(s, hash, sizeof hash, sig, &len);
        };
        QVERIFY(rig.sim->control().send(QStringLiteral("touch-mode accept")));
        QCOMPARE(sign(noPin), CKR_OK);
        QVERIFY(rig.sim->control().send(QStringLiteral("touch-mode refuse")));
        QCOMPARE(sign(noPin), CKR_FUNCTION_CANCELED);
        QVERIFY(rig.sim->control().send(QStringLiteral("touch-mode accept")));
        // After C_Login the PIN-always key: context-specific login, its policies as generated.
        CK_UTF8CHAR pin[] = {'1', '2', '3', '4', '5', '6'};
        QCOMPARE(f->C_Login(s, CKU_USER, pin, sizeof pin), CKR_OK);
        const CK_OBJECT_HANDLE withPin = find(CKO_PRIVATE_KEY, 0x01);
        QVERIFY(withPin != 0);
        QCOMPARE(byteAttribute(withPin, CKA_PRIVATE), int(CK_TRUE));
        QCOMPARE(byteAttribute(withPin, CKA_ALWAYS_AUTHENTICATE), int(CK_TRUE));
        QCOMPARE(byteAttribute(withPin, kPin), 3);
        QCOMPARE(byteAttribute(withPin, kTouch), 3);
        QCOMPARE(f->C_Finalize(nullptr), CKR_OK);
        ::dlclose(lib);

        // The key itself holds the policies (GET METADATA: PIN policy, touch policy).
        auto channel = rig.sim->makeChannel();
        wallet::core::piv::PivClient piv(*channel);
        QVERIFY(piv.select());
        auto d = piv.keyMetadata(0x9D);
        QVERIFY(d && d->has_value());
        QCOMPARE(int((*d)->pinPolicy), 1);
        QCOMPARE(int((*d)->touchPolicy), 2);
        auto a = piv.keyMetadata(0x9A);
        QVERIFY(a && a->has_value());
        QCOMPARE(int((*a)->pinPolicy), 3);
        QCOMPARE(int((*a)->touchPolicy), 3);
    }
};
SKEY_TEST_MAIN(TestPkcs11Module)
#include "TestPkcs11Module.moc"
