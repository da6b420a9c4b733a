// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/bank/BankClient.h"

#include <QSslCertificate>
#include <QSslKey>
#include <QUrl>

#include <memory>

class QNetworkAccessManager;

namespace wallet::core {

/**
 * @brief What a terminal needs to reach its bank host (docs/bank.md §2, §3), read from a small JSON file
 * (`bank-client.json`, format `smartkey-bank-client/1`, documented in docs/core.md):
 *
 *     {"format": "smartkey-bank-client/1", "url": "https://127.0.0.1:8443",
 *      "caCertificate": "bank-ca.pem", "certificate": "terminal.pem", "privateKey": "terminal.key"}
 *
 * Relative file names are relative to the folder of the file. The CA is pinned: it is the only CA trusted for the
 * bank host (no system CAs). The private key is read from its file (mode 0600; a key readable by others is
 * refused), never from the command line or the environment.
 */
struct BankClientConfig
{
    QUrl url;
    QSslCertificate ca;
    QSslCertificate certificate;
    QSslKey privateKey;
    QByteArray terminalId; ///< 6 bytes: the 12 digits of the certificate's CN (docs/bank.md §3)
    QString kind; ///< the certificate's OU: wallet, kiosk, branch, …
    QString file; ///< where it was read from (for messages)

    [[nodiscard]] static Result<BankClientConfig> load(const QString& path);
};

/**
 * @brief The bank client over HTTPS with mutual TLS, on Qt Network (QNetworkAccessManager + QSslConfiguration):
 * TLS 1.2 or later, the pinned bank CA as the only CA, the terminal's certificate and key, the peer verified
 * (its name against the URL's host). Blocking: send() runs a local event loop until the answer or `timeoutMs`
 * arrives, so it fits the synchronous purse flows on the device worker thread. One thread per instance (the
 * QNetworkAccessManager lives in the thread of the first send()).
 */
class HttpsBankClient final : public BankClient
{
public:
    explicit HttpsBankClient(BankClientConfig config, int timeoutMs = 15000);
    ~HttpsBankClient() override;
    [[nodiscard]] Result<BankAnswer> send(const BankCall& call) override;
    [[nodiscard]] QString describe() const override;
    [[nodiscard]] QByteArray pinnedCaDer() const override { return m_config.ca.toDer(); }
    [[nodiscard]] const BankClientConfig& config() const { return m_config; }
    void setStaffSession(const QByteArray& token) override { m_bearer = token; }

private:
    BankClientConfig m_config;
    int m_timeoutMs;
    QByteArray m_bearer;
    std::unique_ptr<QNetworkAccessManager> m_network;
};

} // namespace wallet::core
