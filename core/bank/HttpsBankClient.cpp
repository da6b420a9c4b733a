// SPDX-License-Identifier: Apache-2.0
#include "core/bank/HttpsBankClient.h"

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSslConfiguration>
#include <QTimer>

#include <cstdint>

#include <dlfcn.h>

namespace wallet::core {
namespace {

Q_LOGGING_CATEGORY(lcBank, "wallet.bank")

/**
 * OpenSSL's exit-time clean-up switched off, before anything in the process touches TLS (a static initialiser of the
 * file every bank client links). Why: QNetworkAccessManager does its HTTPS on an internal, detached "Qt HTTP" thread
 * whose per-thread OpenSSL state (the thread's public and private DRBGs from SSL_CTX_new, its error queue) is freed
 * by OpenSSL's pthread-key destructor when that thread ends. ~QNetworkAccessManager only waits for
 * QThread::finished, which Qt signals *before* the thread returns to glibc and the key destructors run; the program
 * then returns from main() and OpenSSL's own atexit handler (OPENSSL_cleanup, registered by default on first use)
 * deletes those keys while the thread is still exiting. Its state is then never freed (LeakSanitizer at exit: two
 * frames in libcrypto, CRYPTO_zalloc; with abort_on_error=1 a SIGABRT after a successful `walletctl bank enrol`) or
 * freed after the globals it refers to. OPENSSL_cleanup's own precondition is that no other thread uses OpenSSL any
 * more, which Qt cannot promise for its detached threads; without the atexit handler the thread always frees its own
 * state, and the global state stays reachable until the process ends. OPENSSL_INIT_NO_ATEXIT only counts in the first
 * OPENSSL_init_crypto of the process, hence a static initialiser. Reproduced by a 30-line program (one GET through a
 * QNetworkAccessManager, destroyed, return from main): 27 leaks in 40 runs under ASan before, 0 in 60 after.
 * libcrypto is asked for at run time (the library Qt 6's OpenSSL backend loads), so core links no OpenSSL itself.
 */
[[maybe_unused]] const bool kOpenSslExitCleanupOff = [] {
    constexpr std::uint64_t noAtExit = 0x00080000; // OPENSSL_INIT_NO_ATEXIT (openssl/crypto.h, OpenSSL 3)
    void* crypto = ::dlopen("libcrypto.so.3", RTLD_NOW | RTLD_GLOBAL);
    if (crypto == nullptr) {
        return false; // Qt will find no OpenSSL 3 either: no TLS, so nothing to order at exit
    }
    using Init = int (*)(std::uint64_t, const void*);
    const auto init = reinterpret_cast<Init>(::dlsym(crypto, "OPENSSL_init_crypto"));
    return init != nullptr && init(noAtExit, nullptr) == 1;
}();

Result<QByteArray> readFile(const QString& path, const QString& what)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return makeError(ErrorCode::StorageError,
            QStringLiteral("bank client: cannot read the %1 %2 (%3)").arg(what, path, f.errorString()));
    }
    return f.readAll();
}

} // namespace

Result<BankClientConfig> BankClientConfig::load(const QString& path)
{
    auto raw = readFile(path, QStringLiteral("configuration"));
    if (!raw) {
        return raw.error();
    }
    const auto bad = [&](const QString& why) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("bank client configuration %1: %2").arg(path, why));
    };
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(*raw, &pe);
    if (!doc.isObject()) {
        return bad(QStringLiteral("not a JSON object (%1)").arg(pe.errorString()));
    }
    const QJsonObject o = doc.object();
    if (o.value(QStringLiteral("format")).toString() != QStringLiteral("smartkey-bank-client/1")) {
        return bad(QStringLiteral("\"format\" must be \"smartkey-bank-client/1\""));
    }
    for (const QString& k : o.keys()) {
        if (!QStringList{QStringLiteral("format"),
                QStringLiteral("url"),
                QStringLiteral("caCertificate"),
                QStringLiteral("certificate"),
                QStringLiteral("privateKey")}
                 .contains(k)) {
            return bad(QStringLiteral("unknown field \"%1\"").arg(k)); // a typo must not silently do nothing
        }
    }
    BankClientConfig c;
    c.file = path;
    c.url = QUrl(o.value(QStringLiteral("url")).toString(), QUrl::StrictMode);
    if (!c.url.isValid() || c.url.scheme() != QStringLiteral("https") || c.url.host().isEmpty()) {
        return bad(QStringLiteral("\"url\" must be an https:// URL of the bank host"));
    }
    const QDir base = QFileInfo(path).absoluteDir();
    const auto fileOf = [&](const char* key) { return base.filePath(o.value(QLatin1String(key)).toString()); };
    for (const char* key : {"caCertificate", "certificate", "privateKey"}) {
        if (o.value(QLatin1String(key)).toString().isEmpty()) {
            return bad(QStringLiteral("\"%1\" (a file name) is missing").arg(QLatin1String(key)));
        }
    }
    auto ca = readFile(fileOf("caCertificate"), QStringLiteral("bank CA certificate"));
    auto cert = readFile(fileOf("certificate"), QStringLiteral("terminal certificate"));
    if (!ca || !cert) {
        return ca ? cert.error() : ca.error();
    }
    const QString keyPath = fileOf("privateKey");
    const QFileDevice::Permissions perms = QFile::permissions(keyPath);
    if (perms & (QFileDevice::ReadGroup | QFileDevice::ReadOther | QFileDevice::WriteGroup | QFileDevice::WriteOther)) {
        return bad(QStringLiteral("the terminal's private key %1 is readable by others; make it the owner's only "
                                  "(chmod 600)")
                       .arg(keyPath));
    }
    auto key = readFile(keyPath, QStringLiteral("terminal private key"));
    if (!key) {
        return key.error();
    }
    c.ca = QSslCertificate(*ca, QSsl::Pem);
    c.certificate = QSslCertificate(*cert, QSsl::Pem);
    c.privateKey = QSslKey(*key, QSsl::Ec, QSsl::Pem);
    key->fill('\0');
    if (c.ca.isNull() || c.certificate.isNull()) {
        return bad(QStringLiteral("the CA or terminal certificate is not a PEM certificate"));
    }
    if (c.privateKey.isNull()) {
        return bad(QStringLiteral("the terminal's private key is not a PEM EC key"));
    }
    const QString cn = c.certificate.subjectInfo(QSslCertificate::CommonName).value(0);
    c.kind = c.certificate.subjectInfo(QSslCertificate::OrganizationalUnitName).value(0);
    bool digits = cn.size() == 12;
    for (const QChar ch : cn) {
        digits = digits && ch.isDigit();
    }
    if (!digits) {
        return bad(QStringLiteral("the terminal certificate's CN \"%1\" is not a 12-digit terminal ID").arg(cn));
    }
    c.terminalId = QByteArray::fromHex(cn.toLatin1());
    return c;
}

HttpsBankClient::HttpsBankClient(BankClientConfig config, int timeoutMs)
    : m_config(std::move(config))
    , m_timeoutMs(timeoutMs)
{ }

HttpsBankClient::~HttpsBankClient() = default;

QString HttpsBankClient::describe() const
{
    return m_config.url.toString();
}

Result<BankAnswer> HttpsBankClient::send(const BankCall& call)
{
    if (!m_network) {
        m_network = std::make_unique<QNetworkAccessManager>();
    }
    QUrl url = m_config.url;
    url.setPath(call.path);
    QNetworkRequest request(url);
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setCaCertificates({m_config.ca}); // pinned: the bank's own CA only, never the system's
    tls.setLocalCertificate(m_config.certificate);
    tls.setPrivateKey(m_config.privateKey);
    tls.setPeerVerifyMode(QSslSocket::VerifyPeer);
    tls.setProtocol(QSsl::TlsV1_2OrLater);
    request.setSslConfiguration(tls);
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setRawHeader("Accept", "application/json, application/problem+json");
    request.setTransferTimeout(m_timeoutMs);
    if (!m_bearer.isEmpty()) {
        request.setRawHeader("Authorization", "Bearer " + m_bearer);
    }
    QNetworkReply* reply = nullptr;
    if (call.method == "POST") {
        request.setRawHeader("Idempotency-Key", call.requestId.toLatin1());
        reply = m_network->post(
            request, call.jsonBody.isEmpty() ? QJsonDocument(call.body).toJson(QJsonDocument::Compact) : call.jsonBody);
    } else if (call.method == "PUT") { // settlement batches (docs/bank-api.yaml uploadSettlementBatch)
        request.setRawHeader("Idempotency-Key", call.requestId.toLatin1());
        reply = m_network->put(
            request, call.jsonBody.isEmpty() ? QJsonDocument(call.body).toJson(QJsonDocument::Compact) : call.jsonBody);
    } else {
        reply = m_network->get(request);
    }
    // Whether the request may have reached the bank. Qt resends a request by itself when the connection closes
    // before any answer (measured here: the bank crashing right after its COMMIT, then "Connection refused" on
    // Qt's own resend), so the final error alone cannot tell. Bytes leave only after the TLS handshake: before it,
    // nothing can have arrived.
    bool mayHaveArrived = false;
    QObject::connect(reply, &QNetworkReply::encrypted, reply, [&mayHaveArrived] { mayHaveArrived = true; });
    QObject::connect(reply, &QNetworkReply::requestSent, reply, [&mayHaveArrived] { mayHaveArrived = true; });
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    const std::unique_ptr<QNetworkReply, void (*)(QNetworkReply*)> owned(
        reply, [](QNetworkReply* r) { r->deleteLater(); });
    const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    if (!status.isValid()) {
        const QString why = reply->errorString();
        qCWarning(lcBank) << call.method << call.path << "no answer:" << why;
        if (!mayHaveArrived) {
            return makeError(ErrorCode::BankUnreachable,
                QStringLiteral("the bank host %1 could not be reached (%2): nothing was sent. Check that it is "
                               "running and that this terminal's certificate is from its CA, then try again.")
                    .arg(describe(), why));
        }
        return makeError(ErrorCode::OutcomeUnknown,
            QStringLiteral("the bank host %1 did not answer (%2): the request may have arrived. It is asked "
                           "again with the same request id, which cannot act twice.")
                .arg(describe(), why));
    }
    BankAnswer answer;
    answer.status = status.toInt();
    answer.replayed = reply->rawHeader("Idempotent-Replayed") == "true";
    const QByteArray body = reply->readAll();
    answer.body = QJsonDocument::fromJson(body).object();
    if (reply->header(QNetworkRequest::ContentTypeHeader).toString() == QStringLiteral("application/pkix-crl")) {
        answer.raw = body; // the cardholder CA's CRL (DER)
    } else if (answer.body.isEmpty() && !body.isEmpty()) {
        answer.body.insert(QStringLiteral("title"), QStringLiteral("an answer that is not JSON"));
    }
    qCDebug(lcBank) << call.method << call.path << "→" << answer.status << (answer.replayed ? "(replayed)" : "");
    return answer;
}

} // namespace wallet::core
