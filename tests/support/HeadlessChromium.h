// SPDX-License-Identifier: Apache-2.0
// Headless Chromium driven over the DevTools protocol, for the browser tests (test_checkout_browser,
// test_browser_client_auth): --remote-debugging-port=0, the port read from DevToolsActivePort in the user-data-dir, and
// the smallest WebSocket client (RFC 6455) the protocol needs.
#pragma once

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
#include <QTcpSocket>
#include <QThread>
#include <QUrl>

#include <unistd.h>

namespace wallet::test {

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

/**
 * Starts headless Chromium with its own profile in `profile` and opens the page target's DevTools socket in `page`.
 * `wrapper` (may be empty) is a program and arguments that run Chromium, e.g. `unshare … sh -c 'exec "$@"' sh`: the
 * Chromium command line is appended to it. `env` is Chromium's environment (LD_PRELOAD and ASAN_OPTIONS removed).
 * Empty on success, else what failed.
 */
inline QString startHeadlessChromium(QProcess& chromium,
    DevToolsSocket& page,
    const QString& profile,
    QProcessEnvironment env,
    const QStringList& wrapper = {},
    const QStringList& extraArgs = {})
{
    QStringList args{QStringLiteral("--headless=new"),
        QStringLiteral("--disable-gpu"),
        QStringLiteral("--no-first-run"),
        QStringLiteral("--no-default-browser-check"),
        QStringLiteral("--disable-extensions"),
        QStringLiteral("--remote-debugging-port=0"),
        QStringLiteral("--remote-debugging-address=127.0.0.1"),
        QStringLiteral("--user-data-dir=") + profile};
    args += extraArgs;
    args += QStringLiteral("about:blank");
    if (::geteuid() == 0 || wrapper.contains(QStringLiteral("--map-root-user"))) {
        args.prepend(QStringLiteral("--no-sandbox")); // Chromium refuses to run as root with its sandbox
    }
    env.remove(QStringLiteral("LD_PRELOAD"));
    env.remove(QStringLiteral("ASAN_OPTIONS"));
    chromium.setProcessEnvironment(env);
    chromium.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    if (wrapper.isEmpty()) {
        chromium.start(QStringLiteral("chromium"), args);
    } else {
        chromium.start(wrapper.first(), wrapper.mid(1) + QStringList{QStringLiteral("chromium")} + args);
    }
    if (!chromium.waitForStarted()) {
        return QStringLiteral("chromium: ") + chromium.errorString();
    }
    const QString portFile = QDir(profile).filePath(QStringLiteral("DevToolsActivePort"));
    QElapsedTimer t;
    t.start();
    while (QFile(portFile).size() <= 0) {
        if (t.elapsed() > 60000 || chromium.state() == QProcess::NotRunning) {
            return QStringLiteral("chromium wrote no DevToolsActivePort");
        }
        QThread::msleep(100);
    }
    QFile f(portFile);
    if (!f.open(QIODevice::ReadOnly)) {
        return QStringLiteral("cannot read ") + portFile;
    }
    const int devtoolsPort = f.readLine().trimmed().toInt();
    if (devtoolsPort <= 0) {
        return QStringLiteral("no DevTools port in ") + portFile;
    }
    // The page target's WebSocket (the browser's own endpoint is line 2 of the file; the page is simpler).
    httplib::Client http("127.0.0.1", devtoolsPort);
    t.restart();
    while (t.elapsed() < 30000) {
        auto r = http.Get("/json/list");
        if (r && r->status == 200) {
            const QJsonArray targets = QJsonDocument::fromJson(QByteArray::fromStdString(r->body)).array();
            for (const QJsonValue& target : targets) {
                if (target.toObject().value(QStringLiteral("type")).toString() == QStringLiteral("page")) {
                    return page.open(QUrl(target.toObject().value(QStringLiteral("webSocketDebuggerUrl")).toString()));
                }
            }
        }
        QThread::msleep(200);
    }
    return QStringLiteral("no page target in DevTools");
}

} // namespace wallet::test
