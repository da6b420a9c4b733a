// SPDX-License-Identifier: Apache-2.0
// Issue 12, "Online checkout", in a real browser: the demo web shop (skey-demo-shop) in Debian's headless Chromium,
// driven over the DevTools protocol (--remote-debugging-port=0; the port read from DevToolsActivePort in the
// user-data-dir; a small WebSocket client below), against the real bank host (BankRig: PostgreSQL, SoftHSM2,
// skey-bank over mutual TLS) and walletctl with its embedded simulated key.
//   1. The page loads; the basket gets 2 × tea and 1 × mooncake (clicks on its buttons): ¥32.50.
//   2. "Pay with SmartKey": the shop creates the order at the bank with its merchant credential (server side); the
//      page shows the link and the short code.
//   3. `walletctl pay <code>` reads the code from the page's DOM and pays it.
//   4. The page, following the order's status (long poll through the shop), shows "Paid" and the same TAC as the
//      wallet's receipt; the bank holds the order paid, the money moved once.
// A missing chromium fails under SKEY_REQUIRE_ALL and is Skipped otherwise.
#include "bank/support/BankRig.h"

#include <httplib.h>

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QUrl>
#include <QtTest>

#include <cstdio>

#include <unistd.h>

using namespace wallet::bank::test;

namespace {

/**
 * @brief The smallest WebSocket client (RFC 6455) the DevTools protocol needs: the opening handshake, masked text
 * frames out, unfragmented or fragmented text frames in. Blocking, for a test.
 */
class DevToolsSocket
{
public:
    QString open(const QUrl& url)
    {
        m_socket.connectToHost(url.host(), static_cast<quint16>(url.port()));
        if (!m_socket.waitForConnected(10000)) {
            return QStringLiteral("connect: ") + m_socket.errorString();
        }
        QByteArray nonce(16, 0);
        for (char& c : nonce) {
            c = static_cast<char>(QRandomGenerator::global()->bounded(256));
        }
        const QByteArray key = nonce.toBase64();
        m_socket.write("GET " + url.path().toLatin1() + " HTTP/1.1\r\nHost: " + url.host().toLatin1() + ":"
            + QByteArray::number(url.port()) + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
            + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n");
        QByteArray head;
        while (!head.contains("\r\n\r\n")) {
            if (!m_socket.waitForReadyRead(10000)) {
                return QStringLiteral("no handshake answer");
            }
            head += m_socket.readAll();
        }
        const int end = head.indexOf("\r\n\r\n") + 4;
        m_buffer = head.mid(end);
        head.truncate(end);
        const QByteArray accept
            = QCryptographicHash::hash(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", QCryptographicHash::Sha1)
                  .toBase64();
        if (!head.startsWith("HTTP/1.1 101") || !head.contains(accept)) {
            return QStringLiteral("handshake refused: ") + QString::fromLatin1(head);
        }
        return {};
    }

    /// Sends a command and waits for its answer (events in between are dropped). Empty object on a failure.
    QJsonObject call(const QString& method, const QJsonObject& params = {}, int timeoutMs = 30000)
    {
        const int id = ++m_id;
        send(QJsonDocument(
            QJsonObject{
                {QStringLiteral("id"), id}, {QStringLiteral("method"), method}, {QStringLiteral("params"), params}})
                 .toJson(QJsonDocument::Compact));
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < timeoutMs) {
            const QByteArray message = receive(static_cast<int>(timeoutMs - t.elapsed()));
            if (message.isNull()) {
                break;
            }
            const QJsonObject o = QJsonDocument::fromJson(message).object();
            if (o.value(QStringLiteral("id")).toInt() == id) {
                return o;
            }
        }
        return {};
    }

    /// Evaluates a JavaScript expression in the page; its value (by value), or an invalid QJsonValue.
    QJsonValue evaluate(const QString& expression)
    {
        const QJsonObject answer = call(QStringLiteral("Runtime.evaluate"),
            {{QStringLiteral("expression"), expression},
                {QStringLiteral("returnByValue"), true},
                {QStringLiteral("awaitPromise"), true}});
        const QJsonObject result = answer.value(QStringLiteral("result")).toObject();
        if (result.contains(QStringLiteral("exceptionDetails")) || !result.contains(QStringLiteral("result"))) {
            return QJsonValue(QJsonValue::Undefined);
        }
        return result.value(QStringLiteral("result")).toObject().value(QStringLiteral("value"));
    }

private:
    void send(const QByteArray& payload)
    {
        QByteArray frame;
        frame.append(char(0x81)); // FIN, text
        const qsizetype n = payload.size();
        if (n < 126) {
            frame.append(char(0x80 | n));
        } else if (n < 65536) {
            frame.append(char(0x80 | 126));
            frame.append(char((n >> 8) & 0xFF));
            frame.append(char(n & 0xFF));
        } else {
            frame.append(char(0x80 | 127));
            for (int i = 7; i >= 0; --i) {
                frame.append(char((static_cast<quint64>(n) >> (8 * i)) & 0xFF));
            }
        }
        char mask[4];
        for (char& c : mask) {
            c = static_cast<char>(QRandomGenerator::global()->bounded(256));
        }
        frame.append(mask, 4);
        for (qsizetype i = 0; i < n; ++i) {
            frame.append(char(payload[i] ^ mask[i % 4]));
        }
        m_socket.write(frame);
        m_socket.flush();
    }
    bool need(qsizetype bytes, int timeoutMs)
    {
        QElapsedTimer t;
        t.start();
        while (m_buffer.size() < bytes) {
            if (t.elapsed() > timeoutMs
                || !m_socket.waitForReadyRead(qMax(1, static_cast<int>(timeoutMs - t.elapsed())))) {
                return false;
            }
            m_buffer += m_socket.readAll();
        }
        return true;
    }
    /// One whole message (continuation frames joined); null on a timeout or a closed socket.
    QByteArray receive(int timeoutMs)
    {
        QByteArray message;
        for (;;) {
            if (!need(2, timeoutMs)) {
                return {};
            }
            const auto b0 = static_cast<quint8>(m_buffer[0]);
            const auto b1 = static_cast<quint8>(m_buffer[1]);
            qsizetype header = 2;
            quint64 length = b1 & 0x7F;
            if (length == 126) {
                if (!need(4, timeoutMs)) {
                    return {};
                }
                length = (static_cast<quint8>(m_buffer[2]) << 8) | static_cast<quint8>(m_buffer[3]);
                header = 4;
            } else if (length == 127) {
                if (!need(10, timeoutMs)) {
                    return {};
                }
                length = 0;
                for (int i = 0; i < 8; ++i) {
                    length = (length << 8) | static_cast<quint8>(m_buffer[2 + i]);
                }
                header = 10;
            }
            if (!need(header + static_cast<qsizetype>(length), timeoutMs)) {
                return {};
            }
            const QByteArray payload = m_buffer.mid(header, static_cast<qsizetype>(length));
            m_buffer.remove(0, header + static_cast<qsizetype>(length));
            const int opcode = b0 & 0x0F;
            if (opcode == 0x8) {
                return {};
            }
            if (opcode == 0x9 || opcode == 0xA) {
                continue; // ping / pong: the browser does not need an answer for this test's lifetime
            }
            message += payload;
            if ((b0 & 0x80) != 0) {
                return message.isNull() ? QByteArray("") : message;
            }
        }
    }

    QTcpSocket m_socket;
    QByteArray m_buffer;
    int m_id = 0;
};

} // namespace

class TestCheckoutBrowser : public QObject
{
    Q_OBJECT

private:
    BankRig m_rig;
    QTemporaryDir m_dir;
    QProcess m_shop;
    QProcess m_chromium;
    QString m_shopUrl;
    DevToolsSocket m_page;

    QString walletDir() const { return m_dir.filePath(QStringLiteral("wallet")); }

    int walletctl(const QStringList& args, const QByteArray& input = {}, QJsonObject* json = nullptr)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("WALLETCTL_PASSPHRASE"), QStringLiteral("test passphrase"));
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(WALLETCTL_PATH),
            QStringList{QStringLiteral("--json"), QStringLiteral("--data-dir"), walletDir()} + args);
        p.write(input);
        p.closeWriteChannel();
        if (!p.waitForFinished(120000)) {
            p.kill();
            p.waitForFinished();
            return -1;
        }
        const QByteArray out = p.readAllStandardOutput();
        const QJsonObject result = QJsonDocument::fromJson(out.trimmed().split('\n').last()).object();
        if (json != nullptr) {
            *json = result;
        }
        // The exit code walletctl reports in its JSON: LeakSanitizer reports a leak inside libcrypto (Qt Network's
        // TLS) at its fast exits, intermittently (open issue; see test_bank_walletctl).
        const int code = result.value(QStringLiteral("ok")).toBool()
            ? 0
            : result.value(QStringLiteral("exitCode")).toInt(p.exitCode() == 0 ? -1 : p.exitCode());
        if (code != 0) {
            qWarning("walletctl %s: %s %s",
                qPrintable(args.join(QLatin1Char(' '))),
                out.constData(),
                p.readAllStandardError().constData());
        }
        return code;
    }
    void writeConfig()
    {
        QVERIFY(QFile::setPermissions(
            m_rig.tlsPath(QStringLiteral("client.key")), QFileDevice::ReadOwner | QFileDevice::WriteOwner));
        QFile config(QDir(walletDir()).filePath(QStringLiteral("bank-client.json")));
        QVERIFY(config.open(QIODevice::WriteOnly | QIODevice::Truncate));
        config.write(
            QJsonDocument(QJsonObject{{QStringLiteral("format"), QStringLiteral("smartkey-bank-client/1")},
                              {QStringLiteral("url"), QStringLiteral("https://127.0.0.1:%1").arg(m_rig.port())},
                              {QStringLiteral("caCertificate"), m_rig.tlsPath(QStringLiteral("ca.pem"))},
                              {QStringLiteral("certificate"), m_rig.tlsPath(QStringLiteral("client.pem"))},
                              {QStringLiteral("privateKey"), m_rig.tlsPath(QStringLiteral("client.key"))}})
                .toJson());
    }
    qint64 sqlInt(const std::string& sql)
    {
        auto r = m_rig.db().exec(sql, {});
        if (!r || r->rows() != 1 || r->isNull(0, 0)) {
            return -1;
        }
        return r->integer(0, 0);
    }
    QString domText(const QString& id)
    {
        return m_page
            .evaluate(QStringLiteral("document.getElementById('%1') ? document.getElementById('%1').textContent "
                                     ": null")
                          .arg(id))
            .toString();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY(QDir().mkpath(walletDir()));
        const QString up = m_rig.setUp();
        QVERIFY2(up.isEmpty(), qPrintable(up));
        const QString merchant = m_rig.addDemoMerchant();
        QVERIFY2(merchant.isEmpty(), qPrintable(merchant));
        QString out;
        const QString started = m_rig.startServer();
        QVERIFY2(started.isEmpty(), qPrintable(started));
        writeConfig();

        QJsonObject issued;
        QCOMPARE(walletctl({QStringLiteral("issue"),
                               qEnvironmentVariable("SKEY_SOURCE_DIR")
                                   + QStringLiteral("/resources/profiles/demo-3des.json")},
                     {},
                     &issued),
            0);
        const QString asn = issued.value(QStringLiteral("asn")).toString();
        QCOMPARE(asn.size(), 16);
        QCOMPARE(m_rig.bankctl({QStringLiteral("cards"),
                                   QStringLiteral("register"),
                                   QStringLiteral("--asn"),
                                   asn,
                                   QStringLiteral("--holder"),
                                   QStringLiteral("Test holder")},
                     &out),
            0);
        QCOMPARE(m_rig.bankctl({QStringLiteral("accounts"),
                                   QStringLiteral("deposit"),
                                   QStringLiteral("--asn"),
                                   asn,
                                   QStringLiteral("--amount"),
                                   QStringLiteral("100000"),
                                   QStringLiteral("--reference"),
                                   QStringLiteral("first deposit")},
                     &out),
            0);
        QCOMPARE(walletctl({QStringLiteral("load"), QStringLiteral("50.00"), QStringLiteral("--yes")}, "123456\n"), 0);

        // The shop, with the merchant's credential (shop.pem / shop.key), on a free loopback port.
        QFile::setPermissions(
            m_rig.tlsPath(QStringLiteral("shop.key")), QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        m_shop.setProcessChannelMode(QProcess::SeparateChannels);
        m_shop.start(QStringLiteral(DEMO_SHOP_PATH),
            {QStringLiteral("--bank"),
                QStringLiteral("https://127.0.0.1:%1").arg(m_rig.port()),
                QStringLiteral("--ca"),
                m_rig.tlsPath(QStringLiteral("ca.pem")),
                QStringLiteral("--cert"),
                m_rig.tlsPath(QStringLiteral("shop.pem")),
                QStringLiteral("--key"),
                m_rig.tlsPath(QStringLiteral("shop.key")),
                QStringLiteral("--listen"),
                QStringLiteral("127.0.0.1:0")});
        QVERIFY(m_shop.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(m_shop.canReadLine() || m_shop.state() != QProcess::Running, 30000);
        const QByteArray line = m_shop.readLine().trimmed();
        QVERIFY2(line.startsWith("listening on http://127.0.0.1:"), line + m_shop.readAllStandardError());
        m_shopUrl = QString::fromLatin1(line.mid(int(sizeof("listening on ") - 1)));

        // Headless Chromium with the DevTools port chosen by itself, read from DevToolsActivePort.
        const QString profile = m_dir.filePath(QStringLiteral("chromium"));
        QStringList args{QStringLiteral("--headless=new"),
            QStringLiteral("--disable-gpu"),
            QStringLiteral("--no-first-run"),
            QStringLiteral("--no-default-browser-check"),
            QStringLiteral("--disable-extensions"),
            QStringLiteral("--remote-debugging-port=0"),
            QStringLiteral("--remote-debugging-address=127.0.0.1"),
            QStringLiteral("--user-data-dir=") + profile,
            QStringLiteral("about:blank")};
        if (::geteuid() == 0) {
            args.prepend(QStringLiteral("--no-sandbox")); // Chromium refuses to run as root with its sandbox
        }
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("LD_PRELOAD"));
        env.remove(QStringLiteral("ASAN_OPTIONS"));
        m_chromium.setProcessEnvironment(env);
        m_chromium.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_chromium.start(QStringLiteral("chromium"), args);
        QVERIFY2(m_chromium.waitForStarted(), qPrintable(m_chromium.errorString()));
        const QString portFile = QDir(profile).filePath(QStringLiteral("DevToolsActivePort"));
        QTRY_VERIFY_WITH_TIMEOUT(QFile(portFile).size() > 0, 60000);
        QFile f(portFile);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const int devtoolsPort = f.readLine().trimmed().toInt();
        QVERIFY(devtoolsPort > 0);
        // The page target's WebSocket (the browser's own endpoint is line 2 of the file; the page is simpler).
        httplib::Client http("127.0.0.1", devtoolsPort);
        QString pageSocket;
        const auto findPage = [&] {
            auto r = http.Get("/json/list");
            if (!r || r->status != 200) {
                return false;
            }
            const QJsonArray targets = QJsonDocument::fromJson(QByteArray::fromStdString(r->body)).array();
            for (const QJsonValue& t : targets) {
                if (t.toObject().value(QStringLiteral("type")).toString() == QStringLiteral("page")) {
                    pageSocket = t.toObject().value(QStringLiteral("webSocketDebuggerUrl")).toString();
                    return true;
                }
            }
            return false;
        };
        QTRY_VERIFY_WITH_TIMEOUT(findPage(), 30000);
        const QString opened = m_page.open(QUrl(pageSocket));
        QVERIFY2(opened.isEmpty(), qPrintable(opened));
    }

    void payInTheBrowserWithWalletctl()
    {
        const QJsonObject nav
            = m_page.call(QStringLiteral("Page.navigate"), {{QStringLiteral("url"), m_shopUrl + QStringLiteral("/")}});
        QVERIFY2(nav.contains(QStringLiteral("result")), QJsonDocument(nav).toJson().constData());
        QTRY_COMPARE_WITH_TIMEOUT(
            m_page.evaluate(QStringLiteral("document.readyState")).toString(), QStringLiteral("complete"), 30000);
        QCOMPARE(domText(QStringLiteral("total")), QStringLiteral("¥0.00"));
        QCOMPARE(m_page.evaluate(QStringLiteral("document.getElementById('pay').disabled")).toBool(), true);
        // The basket: 2 × tea (¥12.00) + 1 × mooncake (¥8.50).
        m_page.evaluate(QStringLiteral("document.getElementById('add-tea').click()"));
        m_page.evaluate(QStringLiteral("document.getElementById('add-tea').click()"));
        m_page.evaluate(QStringLiteral("document.getElementById('add-mooncake').click()"));
        QCOMPARE(domText(QStringLiteral("total")), QStringLiteral("¥32.50"));
        m_page.evaluate(QStringLiteral("document.getElementById('pay').click()"));
        // The shop created the order at the bank: link and code on the page.
        QTRY_VERIFY_WITH_TIMEOUT(!domText(QStringLiteral("code")).isEmpty(), 30000);
        const QString code = domText(QStringLiteral("code"));
        const QString link = domText(QStringLiteral("link"));
        QVERIFY2(
            QRegularExpression(QStringLiteral("^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")).match(code).hasMatch(),
            qPrintable(code));
        QVERIFY2(link.startsWith(QStringLiteral("smartkey://pay/")), qPrintable(link));
        QCOMPARE(domText(QStringLiteral("amount")), QStringLiteral("¥32.50"));
        QTRY_COMPARE_WITH_TIMEOUT(domText(QStringLiteral("state")), QStringLiteral("Waiting for payment"), 30000);
        const QString orderId = link.mid(int(sizeof("smartkey://pay/") - 1));
        QCOMPARE(sqlInt("SELECT amount FROM orders WHERE id = '" + orderId.toStdString() + "'"), 3250);

        // The cardholder pays the code the page shows.
        QJsonObject paid;
        QCOMPARE(walletctl({QStringLiteral("pay"), code, QStringLiteral("--yes")}, "123456\n", &paid), 0);
        QCOMPARE(paid.value(QStringLiteral("merchant")).toString(), QStringLiteral("Demo Tea House"));
        QCOMPARE(paid.value(QStringLiteral("amount")).toString(), QStringLiteral("32.50"));
        const QString tac = paid.value(QStringLiteral("tac")).toString();
        QCOMPARE(tac.size(), 8);

        // The page follows the order until "Paid", with the key's TAC.
        QTRY_COMPARE_WITH_TIMEOUT(domText(QStringLiteral("state")), QStringLiteral("Paid"), 60000);
        QCOMPARE(domText(QStringLiteral("tac")), tac);
        QCOMPARE(
            m_page.evaluate(QStringLiteral("getComputedStyle(document.getElementById('receipt')).display")).toString(),
            QStringLiteral("block"));
        QCOMPARE(sqlInt("SELECT count(*) FROM purchases WHERE order_id = '" + orderId.toStdString()
                     + "' AND state = 'completed'"),
            1);
        QString out;
        QCOMPARE(m_rig.bankctl({QStringLiteral("audit"), QStringLiteral("ledger")}, &out), 0);
    }

    void cleanupTestCase()
    {
        for (QProcess* p : {&m_chromium, &m_shop}) {
            if (p->state() != QProcess::NotRunning) {
                p->terminate();
                if (!p->waitForFinished(10000)) {
                    p->kill();
                    p->waitForFinished();
                }
            }
        }
    }
};

int main(int argc, char** argv)
{
    if (auto missing = BankRig::missingPart()) {
        std::fprintf(stderr, "SKIP: %s not found (scripts/setup-deps.sh installs it)\n", qPrintable(*missing));
        return 77;
    }
    if (QStandardPaths::findExecutable(QStringLiteral("chromium")).isEmpty()) {
        std::fprintf(stderr, "SKIP: chromium not found (scripts/setup-deps.sh installs it)\n");
        return 77;
    }
    QCoreApplication app(argc, argv);
    TestCheckoutBrowser t;
    return QTest::qExec(&t, argc, argv);
}

#include "TestCheckoutBrowser.moc"
