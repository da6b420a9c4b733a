// SPDX-License-Identifier: Apache-2.0
// Issue 14, "identify the cardholder online", in a real browser: TLS client authentication with the key in Debian's
// Chromium (NSS on Linux), the handshake signed on the key through libsmartkey-pkcs11.so (docs/piv.md "A browser's
// TLS client authentication").
//   * The key: skey-sim (UDP HID), issued and registered at the real bank host (BankRig: PostgreSQL, SoftHSM2,
//     skey-bank over mutual TLS). Its slot 9A key pair is generated ON the key through the module (C_GenerateKeyPair
//     with Yubico's vendor attributes: PIN policy "never", touch policy "always"), and `walletctl cert apply` gets its
//     certificate from the bank's cardholder CA and stores it on the key.
//   * The server: `openssl s_server -Verify 1 -verify_return_error -www` on loopback, trusting only the bank's
//     cardholder CA for client certificates.
//   * The browser: headless Chromium with HOME pointing at a temporary home whose .pki/nssdb has the module
//     (`modutil -add smartkey -mechanisms FRIENDLY`) and the server's CA, and the managed policy
//     AutoSelectCertificateForUrls in a private mount namespace (`unshare --mount`, /etc/chromium bound to a
//     temporary folder: nothing system-wide is written), driven over the DevTools protocol.
//   1. The page loads only after the key's button is pressed (the control port reports the touch pending during the
//      handshake): the server logs the client certificate's subject (O=SmartKey cardholder, CN=<ASN>) and the page
//      shows it.
//   2. A second server, the touch refused: the handshake fails (net error page), the server never saw the
//      certificate.
//   3. NSS's own TLS client (tstclnt, Firefox's TLS stack) with the same database and a 9D key (PIN policy once)
//      certified by the bank: logged in with the PIN from a file, the server verifies the certificate.
// Missing chromium, certutil/modutil (libnss3-tools), openssl or unshare: Skipped (a failure under SKEY_REQUIRE_ALL).
#include "bank/support/BankRig.h"
#include "bank/support/ToolRun.h"
#include "bank/support/WalletctlRun.h"
#include "device/EmbeddedSimulator.h"
#include "support/HeadlessChromium.h"
#include "support/Skip.h"

#include <p11-kit/pkcs11.h>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSslCertificate>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <dlfcn.h>
#include <unistd.h>

#include <memory>

using namespace wallet::bank::test;
using wallet::test::DevToolsSocket;
using wallet::test::startHeadlessChromium;

namespace {

// yubico-piv-tool ykcs11/pkcs11y.h (docs/piv.md "PKCS#11 module").
constexpr CK_ATTRIBUTE_TYPE kPinPolicy = CKA_VENDOR_DEFINED + 0x59554200UL + 2;
constexpr CK_ATTRIBUTE_TYPE kTouchPolicy = CKA_VENDOR_DEFINED + 0x59554200UL + 1;

/// `openssl s_server` requiring a client certificate from `clientCa`; its port from its ACCEPT line.
struct TlsServer
{
    QProcess process;
    int port = 0;
    QByteArray log;

    QString start(const QString& dir, const QString& clientCa)
    {
        process.setProcessChannelMode(QProcess::MergedChannels);
        process.start(QStringLiteral("openssl"),
            {QStringLiteral("s_server"),
                QStringLiteral("-accept"),
                QStringLiteral("127.0.0.1:0"),
                QStringLiteral("-cert"),
                QDir(dir).filePath(QStringLiteral("server.pem")),
                QStringLiteral("-key"),
                QDir(dir).filePath(QStringLiteral("server.key")),
                QStringLiteral("-CAfile"),
                clientCa,
                QStringLiteral("-Verify"),
                QStringLiteral("1"),
                QStringLiteral("-verify_return_error"),
                QStringLiteral("-www")});
        if (!process.waitForStarted()) {
            return QStringLiteral("openssl s_server: ") + process.errorString();
        }
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 30000) {
            process.waitForReadyRead(200);
            log += process.readAll();
            const int at = log.indexOf("ACCEPT 127.0.0.1:");
            if (at >= 0 && log.indexOf('\n', at) > at) {
                port = log.mid(at + 17, log.indexOf('\n', at) - at - 17).trimmed().toInt();
                return port > 0 ? QString() : QStringLiteral("no port in: ") + QString::fromLatin1(log);
            }
            if (process.state() == QProcess::NotRunning) {
                break;
            }
        }
        return QStringLiteral("openssl s_server did not start: ") + QString::fromLatin1(log);
    }
    QByteArray output()
    {
        log += process.readAll();
        return log;
    }
    ~TlsServer()
    {
        if (process.state() != QProcess::NotRunning) {
            process.kill();
            process.waitForFinished();
        }
    }
};

} // namespace

class TestBrowserClientAuth : public QObject
{
    Q_OBJECT

private:
    BankRig m_rig;
    QTemporaryDir m_dir;
    WalletctlRun m_wallet{QStringLiteral(WALLETCTL_PATH), m_dir.filePath(QStringLiteral("wallet"))};
    std::unique_ptr<wallet::device::EmbeddedSimulator> m_sim;
    QString m_asn;
    TlsServer m_servers[3]; ///< Chromium accepted, Chromium refused, NSS tstclnt (s_server: one connection at a time)
    QProcess m_chromium;
    DevToolsSocket m_page;

    QString path(const QString& name) const { return m_dir.filePath(name); }
    QString bankCa() const { return QDir(m_rig.dataDir()).filePath(QStringLiteral("tls/cardholder-ca.pem")); }
    ToolRun wallet(const QStringList& args, const QByteArray& input = {}) const
    {
        return m_wallet(
            QStringList{QStringLiteral("--sim"), QStringLiteral("127.0.0.1:%1").arg(m_sim->hidPort())} + args, input);
    }
    QString simStatus() const
    {
        const auto s = m_sim->control().send(QStringLiteral("status"));
        return s ? s.value() : QString();
    }
    QString bodyText()
    {
        return m_page.evaluate(QStringLiteral("document.body ? document.body.innerText : ''")).toString();
    }

    /// The 9A key pair made on the key through the module, as a C client does: PIN policy never, touch always.
    QString generateThroughModule()
    {
        void* lib = ::dlopen(qPrintable(qEnvironmentVariable("SKEY_PKCS11_MODULE")), RTLD_NOW | RTLD_LOCAL);
        if (lib == nullptr) {
            return QStringLiteral("dlopen: ") + QString::fromLocal8Bit(::dlerror());
        }
        auto getList = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(lib, "C_GetFunctionList"));
        CK_FUNCTION_LIST_PTR f = nullptr;
        QString why;
        CK_SESSION_HANDLE session = 0;
        if (getList == nullptr || getList(&f) != CKR_OK || f->C_Initialize(nullptr) != CKR_OK) {
            why = QStringLiteral("C_Initialize failed");
        } else {
            if (f->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session) != CKR_OK) {
                why = QStringLiteral("C_OpenSession failed");
            } else {
                CK_BYTE id = 1;
                CK_BYTE never = 1;
                CK_BYTE always = 2;
                CK_BYTE p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
                CK_ATTRIBUTE pub[] = {{CKA_ID, &id, 1}, {CKA_EC_PARAMS, p256, sizeof p256}};
                CK_ATTRIBUTE priv[] = {{CKA_ID, &id, 1}, {kPinPolicy, &never, 1}, {kTouchPolicy, &always, 1}};
                CK_MECHANISM mech{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
                CK_OBJECT_HANDLE hPub = 0;
                CK_OBJECT_HANDLE hPriv = 0;
                const CK_RV rv = f->C_GenerateKeyPair(session, &mech, pub, 2, priv, 3, &hPub, &hPriv);
                if (rv != CKR_OK) {
                    why = QStringLiteral("C_GenerateKeyPair: 0x%1").arg(rv, 0, 16);
                }
            }
            f->C_Finalize(nullptr);
        }
        ::dlclose(lib);
        return why;
    }

    /// An NSS database in `dir` with the module (FRIENDLY) and the web server's CA. Empty on success.
    QString makeNssDatabase(const QString& dir) const
    {
        if (!QDir().mkpath(dir)) {
            return QStringLiteral("cannot make ") + dir;
        }
        const QString nssdb = QStringLiteral("sql:") + dir;
        const QList<QPair<QString, QStringList>> nssSteps
            = {{QStringLiteral("certutil"),
                   {QStringLiteral("-N"), QStringLiteral("-d"), nssdb, QStringLiteral("--empty-password")}},
                // FRIENDLY (NSS "publicCerts"): the token's certificates are read without a login, so NSS does not ask
                // for the PIN (a dialog headless Chromium cannot show) just to list them.
                {QStringLiteral("modutil"),
                    {QStringLiteral("-dbdir"),
                        nssdb,
                        QStringLiteral("-add"),
                        QStringLiteral("smartkey"),
                        QStringLiteral("-libfile"),
                        qEnvironmentVariable("SKEY_PKCS11_MODULE"),
                        QStringLiteral("-mechanisms"),
                        QStringLiteral("FRIENDLY"),
                        QStringLiteral("-force")}},
                {QStringLiteral("certutil"),
                    {QStringLiteral("-A"),
                        QStringLiteral("-d"),
                        nssdb,
                        QStringLiteral("-n"),
                        QStringLiteral("Test web server CA"),
                        QStringLiteral("-t"),
                        QStringLiteral("C,,"),
                        QStringLiteral("-i"),
                        path(QStringLiteral("server-ca.pem"))}}};
        for (const auto& [tool, args] : nssSteps) {
            const ToolRun r = runTool(tool, args);
            if (r.exitCode != 0) {
                return tool + QLatin1Char(' ') + QString::fromUtf8(r.out + r.err);
            }
        }
        return {};
    }

    /// Navigates without waiting (the handshake waits for the key's button), then answers the touch the key asks
    /// for during the handshake with `answer` ("accept" / "refuse"). Empty on success.
    QString navigateAndTouch(int port, const QString& answer)
    {
        m_page.evaluate(
            QStringLiteral("setTimeout(() => { location.href = 'https://127.0.0.1:%1/'; }, 0); true").arg(port));
        QElapsedTimer t;
        t.start();
        while (!simStatus().contains(QStringLiteral("touch=pending"))) {
            if (t.elapsed() > 90000) {
                return QStringLiteral("the key was never asked to sign (no touch pending): ") + simStatus();
            }
            QTest::qWait(100);
        }
        if (answer == QStringLiteral("refuse")) {
            // Chromium may try the signature again: every further touch is refused too.
            (void)m_sim->control().send(QStringLiteral("touch-mode refuse"));
        }
        const auto sent = m_sim->control().send(QStringLiteral("touch ") + answer);
        return sent ? QString() : sent.error().detail;
    }

private slots:
    void initTestCase()
    {
        if (const auto missing = BankRig::missingPart()) {
            SKEY_SKIP(*missing);
        }
        for (const char* tool : {"chromium", "certutil", "modutil", "tstclnt", "openssl", "unshare"}) {
            if (QStandardPaths::findExecutable(QString::fromLatin1(tool)).isEmpty()) {
                SKEY_SKIP(QStringLiteral("%1 is not installed (scripts/setup-deps.sh installs it)")
                              .arg(QString::fromLatin1(tool)));
            }
        }
        if (!QFileInfo(QStringLiteral("/etc/chromium")).isDir()) {
            SKEY_SKIP(QStringLiteral("/etc/chromium (Debian's chromium package) is missing: no policy folder to bind"));
        }
        QVERIFY(m_dir.isValid());
        // The key, issued and registered at the bank.
        wallet::device::SimulatorOptions o;
        o.dataDirectory = path(QStringLiteral("sim"));
        o.touchMode = QStringLiteral("accept");
        m_sim = std::make_unique<wallet::device::EmbeddedSimulator>(o);
        auto simStarted = m_sim->start();
        QVERIFY2(simStarted, qPrintable(simStarted ? QString() : simStarted.error().detail));
        qputenv("SKEY_PKCS11_UDP_PORT", QByteArray::number(m_sim->hidPort()));
        QString e = m_rig.setUp();
        QVERIFY2(e.isEmpty(), qPrintable(e));
        e = m_rig.startServer();
        QVERIFY2(e.isEmpty(), qPrintable(e));
        e = m_wallet.configure(m_rig);
        QVERIFY2(e.isEmpty(), qPrintable(e));
        const ToolRun issued = wallet({QStringLiteral("issue"),
            qEnvironmentVariable("SKEY_SOURCE_DIR") + QStringLiteral("/resources/profiles/demo-3des.json")});
        m_asn = issued.json.value(QStringLiteral("asn")).toString();
        QVERIFY2(issued.exitCode == 0 && m_asn.size() == 16, issued.out + issued.err);
        e = m_rig.registerCard(m_asn, QStringLiteral("Holder"));
        QVERIFY2(e.isEmpty(), qPrintable(e));

        // 9A generated on the key through the module; the bank's cardholder CA certifies it; stored on the key.
        e = generateThroughModule();
        QVERIFY2(e.isEmpty(), qPrintable(e));
        const ToolRun applied = wallet({QStringLiteral("cert"),
            QStringLiteral("apply"),
            QStringLiteral("--out"),
            path(QStringLiteral("card.pem"))});
        QVERIFY2(applied.exitCode == 0, applied.out + applied.err);
        QCOMPARE(applied.json.value(QStringLiteral("subject")).toString(),
            QStringLiteral("O=SmartKey cardholder, CN=%1").arg(m_asn));

        // The web server's own CA and certificate (for 127.0.0.1).
        const QStringList serverSteps[] = {{QStringLiteral("req"),
                                               QStringLiteral("-x509"),
                                               QStringLiteral("-newkey"),
                                               QStringLiteral("ec"),
                                               QStringLiteral("-pkeyopt"),
                                               QStringLiteral("ec_paramgen_curve:prime256v1"),
                                               QStringLiteral("-nodes"),
                                               QStringLiteral("-keyout"),
                                               path(QStringLiteral("server-ca.key")),
                                               QStringLiteral("-subj"),
                                               QStringLiteral("/CN=Test web server CA"),
                                               QStringLiteral("-days"),
                                               QStringLiteral("2"),
                                               QStringLiteral("-addext"),
                                               QStringLiteral("basicConstraints=critical,CA:TRUE"),
                                               QStringLiteral("-addext"),
                                               QStringLiteral("keyUsage=critical,keyCertSign"),
                                               QStringLiteral("-out"),
                                               path(QStringLiteral("server-ca.pem"))},
            {QStringLiteral("req"),
                QStringLiteral("-new"),
                QStringLiteral("-newkey"),
                QStringLiteral("ec"),
                QStringLiteral("-pkeyopt"),
                QStringLiteral("ec_paramgen_curve:prime256v1"),
                QStringLiteral("-nodes"),
                QStringLiteral("-keyout"),
                path(QStringLiteral("server.key")),
                QStringLiteral("-subj"),
                QStringLiteral("/CN=127.0.0.1"),
                QStringLiteral("-out"),
                path(QStringLiteral("server.csr"))},
            {QStringLiteral("x509"),
                QStringLiteral("-req"),
                QStringLiteral("-in"),
                path(QStringLiteral("server.csr")),
                QStringLiteral("-CA"),
                path(QStringLiteral("server-ca.pem")),
                QStringLiteral("-CAkey"),
                path(QStringLiteral("server-ca.key")),
                QStringLiteral("-CAcreateserial"),
                QStringLiteral("-days"),
                QStringLiteral("1"),
                QStringLiteral("-extfile"),
                path(QStringLiteral("server.ext")),
                QStringLiteral("-out"),
                path(QStringLiteral("server.pem"))}};
        QFile ext(path(QStringLiteral("server.ext")));
        QVERIFY(ext.open(QIODevice::WriteOnly));
        ext.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
        ext.close();
        for (const QStringList& step : serverSteps) {
            const ToolRun r = runTool(QStringLiteral("openssl"), step);
            QVERIFY2(r.exitCode == 0, r.err);
        }
        for (TlsServer& s : m_servers) {
            e = s.start(m_dir.path(), bankCa());
            QVERIFY2(e.isEmpty(), qPrintable(e));
        }

        // The NSS database Chromium reads ($HOME/.pki/nssdb): the module, and the web server's CA.
        const QString nssdb = QStringLiteral("sql:") + path(QStringLiteral("home/.pki/nssdb"));
        e = makeNssDatabase(path(QStringLiteral("home/.pki/nssdb")));
        QVERIFY2(e.isEmpty(), qPrintable(e));
        const ToolRun listed = runTool(QStringLiteral("certutil"),
            {QStringLiteral("-L"), QStringLiteral("-d"), nssdb, QStringLiteral("-h"), QStringLiteral("all")});
        QVERIFY2(listed.out.contains("SmartKey PIV:Certificate for PIV Authentication"), listed.out + listed.err);

        // The managed policy in a private /etc/chromium: AutoSelectCertificateForUrls for both servers, the
        // certificate chosen by its issuer (the bank's cardholder CA).
        const auto ca = QSslCertificate::fromPath(bankCa());
        QVERIFY(!ca.isEmpty());
        const QString caName = ca.first().subjectInfo(QSslCertificate::CommonName).value(0);
        QVERIFY(!caName.isEmpty());
        const QString etc = path(QStringLiteral("etc-chromium"));
        QVERIFY(QDir().mkpath(etc + QStringLiteral("/policies/managed")));
        for (const QString& name : QDir(QStringLiteral("/etc/chromium")).entryList(QDir::Files)) {
            QFile::copy(QStringLiteral("/etc/chromium/") + name, etc + QLatin1Char('/') + name);
        }
        QJsonArray rules;
        for (const TlsServer& s : m_servers) {
            const QJsonObject rule{{QStringLiteral("pattern"), QStringLiteral("https://127.0.0.1:%1").arg(s.port)},
                {QStringLiteral("filter"),
                    QJsonObject{{QStringLiteral("ISSUER"), QJsonObject{{QStringLiteral("CN"), caName}}}}}};
            rules.append(QString::fromUtf8(QJsonDocument(rule).toJson(QJsonDocument::Compact)));
        }
        QFile policy(etc + QStringLiteral("/policies/managed/smartkey-client-auth.json"));
        QVERIFY(policy.open(QIODevice::WriteOnly));
        policy.write(QJsonDocument(QJsonObject{{QStringLiteral("AutoSelectCertificateForUrls"), rules}}).toJson());
        policy.close();

        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("HOME"), path(QStringLiteral("home")));
        env.insert(QStringLiteral("SKEY_PKCS11_UDP_PORT"), QString::number(m_sim->hidPort()));
        QStringList wrapper{QStringLiteral("unshare"),
            QStringLiteral("--mount"),
            QStringLiteral("--propagation"),
            QStringLiteral("private")};
        if (::geteuid() != 0) {
            wrapper << QStringLiteral("--map-root-user"); // a user namespace lets a user mount in its own view
        }
        wrapper << QStringLiteral("sh") << QStringLiteral("-c")
                << QStringLiteral("mount --bind \"$0\" /etc/chromium && exec \"$@\"") << etc;
        e = startHeadlessChromium(m_chromium, m_page, path(QStringLiteral("chromium")), env, wrapper);
        QVERIFY2(e.isEmpty(), qPrintable(e));
        // From here on the key waits for its button: every signature must be confirmed by the test.
        QVERIFY(m_sim->control().send(QStringLiteral("touch-mode manual")));
    }

    /// The page loads because the key signed the handshake, after its button was pressed.
    void pageLoadsWhenTheKeySigns()
    {
        const QString touched = navigateAndTouch(m_servers[0].port, QStringLiteral("accept"));
        QVERIFY2(touched.isEmpty(), qPrintable(touched));
        QTRY_VERIFY2_WITH_TIMEOUT(bodyText().contains(QStringLiteral("Client certificate")),
            qPrintable(bodyText() + QString::fromLatin1(m_servers[0].output())),
            60000);
        // The page (s_server's X509_print of the certificate it received) and the server's log (its verify
        // callback) name the cardholder's certificate.
        const QString page = bodyText();
        QVERIFY2(page.contains(QStringLiteral("Subject: O=SmartKey cardholder, CN=%1").arg(m_asn)),
            qPrintable(page.mid(page.indexOf(QStringLiteral("Client certificate")), 600)));
        const QByteArray subject = QStringLiteral("depth=0 O = SmartKey cardholder, CN = %1").arg(m_asn).toUtf8();
        QTRY_VERIFY2_WITH_TIMEOUT(m_servers[0].output().contains(subject), m_servers[0].output().constData(), 10000);
    }

    /// The same browser, another server: the key's button refused, no signature, no page.
    void noPageWithoutTheKeysSignature()
    {
        const QString touched = navigateAndTouch(m_servers[1].port, QStringLiteral("refuse"));
        QVERIFY2(touched.isEmpty(), qPrintable(touched));
        QTRY_VERIFY2_WITH_TIMEOUT(
            m_page.evaluate(QStringLiteral("location.href")).toString().startsWith(QStringLiteral("chrome-error:")),
            qPrintable(m_page.evaluate(QStringLiteral("location.href")).toString() + bodyText()),
            60000);
        QVERIFY2(bodyText().contains(QStringLiteral("ERR_SSL_CLIENT_AUTH")), qPrintable(bodyText()));
        QVERIFY(!bodyText().contains(QStringLiteral("Client certificate")));
        QVERIFY2(!m_servers[1].output().contains("depth=0 O = SmartKey cardholder"), m_servers[1].output().constData());
    }

    /// NSS's own TLS client (tstclnt: the TLS stack of Firefox, unlike Chromium's BoringSSL) with the same NSS
    /// database and the 9D key (PIN policy once): NSS logs in with the PIV PIN from a password file (-W, never argv)
    /// to find the key, the key signs, the server verifies the certificate. (With the PIN-never 9A key NSS's TLS
    /// never logs in and then treats the token as removed mid-handshake, SSL_ERROR_TOKEN_INSERTION_REMOVAL: NSS's
    /// ssl3_ClientAuthTokenPresent wants a login-required token logged in; docs/piv.md.)
    void nssTlsClientWithThePin()
    {
        // 9D with the slot's default policies (PIN once, no touch), the certificate a PIN protects (after the Chromium
        // rows: with two certificates of the same subject and issuer the policy could pick this one, whose PIN headless
        // Chromium cannot ask for).
        const ToolRun generated9d = wallet(
            {QStringLiteral("cert"), QStringLiteral("generate"), QStringLiteral("--slot"), QStringLiteral("9d")});
        QVERIFY2(generated9d.exitCode == 0, generated9d.out + generated9d.err);
        const ToolRun applied9d
            = wallet({QStringLiteral("cert"), QStringLiteral("apply"), QStringLiteral("--slot"), QStringLiteral("9d")},
                "123456\n");
        QVERIFY2(applied9d.exitCode == 0, applied9d.out + applied9d.err);

        // Its own NSS database (the browser keeps the first one open).
        const QString made = makeNssDatabase(path(QStringLiteral("nss-client")));
        QVERIFY2(made.isEmpty(), qPrintable(made));
        QFile pin(path(QStringLiteral("pin.txt")));
        QVERIFY(pin.open(QIODevice::WriteOnly));
        pin.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        pin.write("123456");
        pin.close();
        QProcess client;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("LD_PRELOAD"));
        client.setProcessEnvironment(env);
        client.setProcessChannelMode(QProcess::MergedChannels);
        client.start(QStringLiteral("tstclnt"),
            {QStringLiteral("-h"),
                QStringLiteral("127.0.0.1"),
                QStringLiteral("-p"),
                QString::number(m_servers[2].port),
                QStringLiteral("-d"),
                QStringLiteral("sql:") + path(QStringLiteral("nss-client")),
                QStringLiteral("-n"),
                QStringLiteral("SmartKey PIV:Certificate for Key Management"),
                QStringLiteral("-W"),
                pin.fileName()});
        QVERIFY(client.waitForStarted());
        // The request on stdin, which stays open until the answer is in (tstclnt stops at stdin's end).
        client.write("GET / HTTP/1.0\r\n\r\n");
        // tstclnt keeps the connection after the answer: read until the page is in, then end it.
        QByteArray out;
        QTRY_VERIFY2_WITH_TIMEOUT(
            (out += client.readAll()).contains("</BODY>") || client.state() == QProcess::NotRunning,
            qPrintable(simStatus()),
            60000);
        client.kill();
        client.waitForFinished();
        QVERIFY2(out.contains("Subject: O=SmartKey cardholder, CN=" + m_asn.toLatin1()), out.constData());
        QTRY_COMPARE_WITH_TIMEOUT(
            int(m_servers[2].output().count("depth=0 O = SmartKey cardholder, CN = " + m_asn.toLatin1())), 1, 10000);
    }

    void cleanupTestCase()
    {
        if (m_chromium.state() != QProcess::NotRunning) {
            m_chromium.terminate();
            if (!m_chromium.waitForFinished(10000)) {
                m_chromium.kill();
                m_chromium.waitForFinished();
            }
        }
    }
};

SKEY_TEST_MAIN(TestBrowserClientAuth)

#include "TestBrowserClientAuth.moc"
