// SPDX-License-Identifier: Apache-2.0
#include "core/bank/TerminalEnrolment.h"

#include "core/bank/HttpsBankClient.h"

#include <botan/auto_rng.h>
#include <botan/ec_group.h>
#include <botan/ecdsa.h>
#include <botan/pkcs10.h>
#include <botan/pkcs8.h>
#include <botan/x509cert.h>
#include <botan/x509self.h>

#include <QCryptographicHash>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QUuid>

#include <fcntl.h>
#include <unistd.h>

namespace wallet::core {
namespace {

std::vector<std::uint8_t> bytes(const QByteArray& b)
{
    return {b.begin(), b.end()};
}

Result<void> writeNew(const QString& path, const QByteArray& data, mode_t mode)
{
    const QByteArray p = path.toLocal8Bit();
    const int fd = ::open(p.constData(), O_WRONLY | O_CREAT | O_EXCL, mode);
    if (fd < 0) {
        return makeError(ErrorCode::StorageError, QStringLiteral("cannot create %1").arg(path));
    }
    const bool ok = ::write(fd, data.constData(), static_cast<std::size_t>(data.size())) == data.size();
    ::close(fd);
    if (!ok) {
        return makeError(ErrorCode::StorageError, QStringLiteral("cannot write %1").arg(path));
    }
    return {};
}

struct Posted
{
    int status = 0;
    QJsonObject body;
    QByteArray serverCertificateDer;
};

/// One POST with TLS but no CA yet (the server certificate is checked afterwards against the CA it answers).
Result<Posted> postOnce(const QUrl& url,
    const QByteArray& code,
    const QString& requestId,
    const QByteArray& body,
    int timeoutMs,
    bool& sent)
{
    QNetworkAccessManager network;
    QNetworkRequest request(url);
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setCaCertificates({});
    tls.setPeerVerifyMode(QSslSocket::VerifyNone); // no trust anchor yet: checked below, before anything is kept
    tls.setProtocol(QSsl::TlsV1_2OrLater);
    request.setSslConfiguration(tls);
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setRawHeader("Accept", "application/json, application/problem+json");
    request.setRawHeader("Authorization", "Bearer " + code);
    request.setRawHeader("Idempotency-Key", requestId.toLatin1());
    request.setTransferTimeout(timeoutMs);
    QNetworkReply* reply = network.post(request, body);
    QByteArray peer;
    QObject::connect(reply, &QNetworkReply::encrypted, reply, [&] {
        sent = true;
        peer = reply->sslConfiguration().peerCertificate().toDer();
    });
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    const std::unique_ptr<QNetworkReply> owned(reply);
    const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    if (!status.isValid()) {
        return makeError(sent ? ErrorCode::OutcomeUnknown : ErrorCode::BankUnreachable,
            QStringLiteral("the bank host %1 did not answer (%2)").arg(url.toString(), reply->errorString()));
    }
    Posted p;
    p.status = status.toInt();
    p.body = QJsonDocument::fromJson(reply->readAll()).object();
    p.serverCertificateDer = peer;
    return p;
}

} // namespace

Result<TerminalEnrolment> enrolTerminal(
    const QUrl& bank, const QString& code, const QString& expectedCaFingerprint, const QString& dataDir, int timeoutMs)
{
    if (!bank.isValid() || bank.scheme() != QStringLiteral("https") || bank.host().isEmpty()) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("the bank URL must be https://host:port"));
    }
    QString expected = expectedCaFingerprint;
    expected.remove(QLatin1Char(':'));
    expected = expected.toUpper();
    if (!expected.isEmpty() && (expected.size() != 64 || !QByteArray::fromHex(expected.toLatin1()).size())) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("--ca-fingerprint is 64 hex digits (SHA-256)"));
    }
    const QDir dir(dataDir);
    if (!QDir().mkpath(dataDir)) {
        return makeError(ErrorCode::StorageError, QStringLiteral("cannot create %1").arg(dataDir));
    }
    const QString keyFile = dir.filePath(QStringLiteral("terminal.key"));
    const QString certFile = dir.filePath(QStringLiteral("terminal.pem"));
    const QString caFile = dir.filePath(QStringLiteral("bank-ca.pem"));
    const QString configFile = dir.filePath(QStringLiteral("bank-client.json"));
    for (const QString& f : {keyFile, certFile, caFile, configFile}) {
        if (QFile::exists(f)) {
            return makeError(ErrorCode::InvalidState,
                QStringLiteral("%1 exists: this data folder is enrolled already (move its bank files away to enrol "
                               "again); the code was not used")
                    .arg(f));
        }
    }

    // The key pair and the request, made here; the private key never leaves this process but into its 0600 file.
    QByteArray keyPem;
    QByteArray csrPem;
    std::vector<std::uint8_t> spki;
    try {
        Botan::AutoSeeded_RNG rng;
        Botan::ECDSA_PrivateKey key(rng, Botan::EC_Group("secp256r1"));
        Botan::X509_Cert_Options options;
        options.common_name = "SmartKey terminal"; // the bank sets the subject of the certificate itself
        const Botan::PKCS10_Request req = Botan::X509::create_cert_req(options, key, "SHA-256", rng);
        csrPem = QByteArray::fromStdString(req.PEM_encode());
        keyPem = QByteArray::fromStdString(Botan::PKCS8::PEM_encode(key));
        spki = key.subject_public_key();
    } catch (const std::exception& e) {
        return makeError(
            ErrorCode::CryptoError, QStringLiteral("cannot make the key pair: %1").arg(QString::fromLatin1(e.what())));
    }

    QUrl url = bank;
    url.setPath(QStringLiteral("/v1/terminals/enrolments"));
    const QString requestId = QUuid::createUuid().toString(QUuid::WithoutBraces);
    const QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("csrPem"), QString::fromLatin1(csrPem)}})
                                .toJson(QJsonDocument::Compact);
    Result<Posted> posted = makeError(ErrorCode::Internal, QStringLiteral("not sent"));
    bool sent = false;
    for (int attempt = 0; attempt < 3; ++attempt) { // a lost answer: the same request id returns the first one
        posted = postOnce(url, code.toLatin1(), requestId, body, timeoutMs, sent);
        if (posted || !sent) {
            break;
        }
    }
    if (!posted) {
        return posted.error();
    }
    if (posted->status != 201) {
        const QJsonObject& p = posted->body;
        return makeError(posted->status == 401 || posted->status == 403 ? ErrorCode::Declined : ErrorCode::InvalidInput,
            QStringLiteral("the bank refused the enrolment: %1 %2 %3 (%4, HTTP %5)")
                .arg(p.value(QStringLiteral("title")).toString(),
                    p.value(QStringLiteral("detail")).toString(),
                    p.value(QStringLiteral("nextStep")).toString(),
                    p.value(QStringLiteral("code")).toString())
                .arg(posted->status));
    }
    const QJsonObject& e = posted->body;
    const QByteArray caPem = e.value(QStringLiteral("caCertificatePem")).toString().toLatin1();
    const QByteArray certPem = e.value(QStringLiteral("certificatePem")).toString().toLatin1();
    TerminalEnrolment out;
    out.terminalId = e.value(QStringLiteral("terminalId")).toString();
    out.kind = e.value(QStringLiteral("kind")).toString();
    out.notAfter = e.value(QStringLiteral("notAfter")).toString();
    out.configFile = configFile;
    const auto caCerts = QSslCertificate::fromData(caPem, QSsl::Pem);
    const auto leafCerts = QSslCertificate::fromData(certPem, QSsl::Pem);
    if (caCerts.size() != 1 || leafCerts.size() != 1) {
        return makeError(ErrorCode::VerificationFailed, QStringLiteral("the bank's answer carries no certificates"));
    }
    out.caFingerprint = QString::fromLatin1(caCerts[0].digest(QCryptographicHash::Sha256).toHex().toUpper());
    if (!expected.isEmpty() && out.caFingerprint != expected) {
        return makeError(ErrorCode::VerificationFailed,
            QStringLiteral("the bank CA's fingerprint %1 is not the expected %2: this may not be your bank; nothing "
                           "was stored")
                .arg(out.caFingerprint, expected));
    }
    try {
        const Botan::X509_Certificate ca(bytes(caCerts[0].toDer()));
        const Botan::X509_Certificate leaf(bytes(leafCerts[0].toDer()));
        const Botan::X509_Certificate server(bytes(posted->serverCertificateDer));
        const auto caKey = ca.load_subject_public_key();
        if (!(server.issuer_dn() == ca.subject_dn()) || !server.check_signature(*caKey)) {
            return makeError(ErrorCode::VerificationFailed,
                QStringLiteral("the server's TLS certificate is not from the CA it sent: nothing was stored"));
        }
        if (!(leaf.issuer_dn() == ca.subject_dn()) || !leaf.check_signature(*caKey)
            || leaf.subject_public_key_info() != spki) {
            return makeError(ErrorCode::VerificationFailed,
                QStringLiteral("the issued certificate is not for this key or not from the bank CA: nothing was "
                               "stored"));
        }
    } catch (const std::exception& ex) {
        return makeError(ErrorCode::VerificationFailed,
            QStringLiteral("unreadable certificate in the bank's answer: %1").arg(QString::fromLatin1(ex.what())));
    }

    const QJsonObject config{{QStringLiteral("format"), QStringLiteral("smartkey-bank-client/1")},
        {QStringLiteral("url"), bank.adjusted(QUrl::RemovePath | QUrl::RemoveQuery).toString()},
        {QStringLiteral("caCertificate"), QStringLiteral("bank-ca.pem")},
        {QStringLiteral("certificate"), QStringLiteral("terminal.pem")},
        {QStringLiteral("privateKey"), QStringLiteral("terminal.key")}};
    for (const auto& [file, data, mode] : {std::tuple{keyFile, keyPem, mode_t(0600)},
             std::tuple{certFile, certPem, mode_t(0644)},
             std::tuple{caFile, caPem, mode_t(0644)},
             std::tuple{configFile, QJsonDocument(config).toJson(), mode_t(0644)}}) {
        if (auto w = writeNew(file, data, mode); !w) {
            return w.error();
        }
    }
    // The proof: a call with the new certificate, the pinned CA only, and the server name checked.
    auto loaded = BankClientConfig::load(configFile);
    if (!loaded) {
        return loaded.error();
    }
    HttpsBankClient client(*loaded, timeoutMs);
    auto me = client.send(BankCall{QByteArrayLiteral("GET"), QStringLiteral("/v1/terminals/me"), {}, {}});
    if (!me) {
        return me.error();
    }
    if (!me->ok() || me->body.value(QStringLiteral("terminalId")).toString() != out.terminalId) {
        return problemError(*me, QStringLiteral("enrolled, but the bank does not accept the new certificate"));
    }
    return out;
}

} // namespace wallet::core
