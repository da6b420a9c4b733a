// SPDX-License-Identifier: Apache-2.0
// The bank a GUI test's wallet pays through (issue 12, "Online checkout"): a real bank host started by the test itself
// (tests/bank/support/BankRig: PostgreSQL, SoftHSM2, skey-bank over mutual TLS on loopback) with its demo merchant
// ("Demo Tea House", the `shop` client certificate), the wallet's `bank-client.json` written into its data folder
// (the configuration the wallet reads, as in test_checkout_gui), the key registered and funded at the bank, and orders
// created by the merchant with its own credential. Nothing in the wallet is replaced: it fetches the signed order,
// pays it with MAC1 from the bank's acquirer, and the bank marks it paid.
#pragma once

#include "bank/support/BankRig.h"

#include <httplib.h>

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUuid>

#include <cstdio>
#include <optional>

namespace walletbank {

/// The bank's demo merchant, as the wallet shows it.
inline const QString kMerchant = QStringLiteral("Demo Tea House");

/// The ASN of a key the demo profile issued: two zero bytes and the key's serial (core::Personaliser).
inline QString asnOfSerial(const QString& serialHex)
{
    return (QStringLiteral("0000") + serialHex.toUpper()).right(16);
}

class WalletBank
{
public:
    /// Why this machine cannot start the bank (a missing program), or nullopt; the test then exits 77.
    [[nodiscard]] static std::optional<QString> missingPart() { return wallet::bank::test::BankRig::missingPart(); }

    /// One more merchant: its display name, its credential (12 digits, the CN of its client certificate `client`)
    /// and its terminal id (12 digits).
    struct Merchant
    {
        QString name;
        QString credential;
        QString terminal;
        QString client;
    };

    /// PostgreSQL, the bank's data folder and HSM token, the demo merchant (and `more`), skey-bank. Empty on success.
    [[nodiscard]] QString start(const QList<Merchant>& more = {})
    {
        if (QString e = m_rig.setUp(); !e.isEmpty()) {
            return e;
        }
        if (QString e = m_rig.addDemoMerchant(); !e.isEmpty()) {
            return e;
        }
        for (const Merchant& m : more) {
            if (QString e = m_rig.makeClientCertificate(m.client, QStringLiteral("/OU=merchant/CN=") + m.credential);
                !e.isEmpty()) {
                return e;
            }
            QString out;
            if (m_rig.bankctl({QStringLiteral("merchants"),
                                  QStringLiteral("add"),
                                  QStringLiteral("--name"),
                                  m.name,
                                  QStringLiteral("--credential"),
                                  m.credential,
                                  QStringLiteral("--terminal"),
                                  m.terminal},
                    &out)
                != 0) {
                return QStringLiteral("bankctl merchants add: ") + out;
            }
        }
        if (QString e = m_rig.startServer(); !e.isEmpty()) {
            return e;
        }
        if (!QFile::setPermissions(
                m_rig.tlsPath(QStringLiteral("client.key")), QFileDevice::ReadOwner | QFileDevice::WriteOwner)) {
            return QStringLiteral("cannot make client.key owner-only");
        }
        return {};
    }

    /// Writes `bank-client.json` (the bank's URL and CA, this terminal's certificate and key) into the wallet's data
    /// folder `dataDir`, which it creates. Empty on success.
    [[nodiscard]] QString configureWallet(const QString& dataDir) const
    {
        if (!QDir().mkpath(dataDir)) {
            return QStringLiteral("cannot make ") + dataDir;
        }
        QFile config(QDir(dataDir).filePath(QStringLiteral("bank-client.json")));
        if (!config.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            return config.errorString();
        }
        config.write(QJsonDocument(QJsonObject{{QStringLiteral("format"), QStringLiteral("smartkey-bank-client/1")},
                                       {QStringLiteral("url"), QStringLiteral("https://127.0.0.1:%1").arg(port())},
                                       {QStringLiteral("caCertificate"), tls(QStringLiteral("ca.pem"))},
                                       {QStringLiteral("certificate"), tls(QStringLiteral("client.pem"))},
                                       {QStringLiteral("privateKey"), tls(QStringLiteral("client.key"))}})
                         .toJson());
        return {};
    }

    /// The bank learns the key `asn` (a card of a customer) and credits its account with `depositFen`, so that the
    /// wallet's loads are authorised. Empty on success.
    [[nodiscard]] QString registerKey(const QString& asn, qint64 depositFen)
    {
        QString out;
        if (m_rig.bankctl({QStringLiteral("cards"),
                              QStringLiteral("register"),
                              QStringLiteral("--asn"),
                              asn,
                              QStringLiteral("--holder"),
                              QStringLiteral("DEMO HOLDER")},
                &out)
            != 0) {
            return QStringLiteral("bankctl cards register: ") + out;
        }
        if (m_rig.bankctl({QStringLiteral("accounts"),
                              QStringLiteral("deposit"),
                              QStringLiteral("--asn"),
                              asn,
                              QStringLiteral("--amount"),
                              QString::number(depositFen),
                              QStringLiteral("--reference"),
                              QStringLiteral("GUI test deposit")},
                &out)
            != 0) {
            return QStringLiteral("bankctl accounts deposit: ") + out;
        }
        return {};
    }

    /// An order the demo merchant (or the merchant of client certificate `client`) creates with its own credential:
    /// orderId, paymentLink, shortCode, … (empty when the bank refused; why is printed).
    [[nodiscard]] QJsonObject newOrder(qint64 amountFen,
        const QString& reference,
        const QString& description = QStringLiteral("2 x jasmine tea"),
        const QString& client = QStringLiteral("shop"))
    {
        int status = 0;
        QJsonObject o = shop(client,
            "POST",
            QStringLiteral("/v1/orders"),
            {{QStringLiteral("amount"), amountFen},
                {QStringLiteral("reference"), reference},
                {QStringLiteral("description"), description}},
            &status);
        if (status != 201) {
            std::fprintf(stderr, "order refused: %d %s\n", status, QJsonDocument(o).toJson().constData());
            return {};
        }
        return o;
    }

    /// The order's state as the merchant sees it ("open", "checking", "paid", …; "" when unreachable).
    [[nodiscard]] QString orderState(const QString& orderId, QString* tac = nullptr)
    {
        const QJsonObject s = shop(QStringLiteral("shop"), "GET", QStringLiteral("/v1/orders/%1/status").arg(orderId));
        if (tac != nullptr) {
            *tac = s.value(QStringLiteral("tac")).toString();
        }
        return s.value(QStringLiteral("state")).toString();
    }

    /// Purchases the bank's acquirer holds for `orderId` (in `state` when given).
    [[nodiscard]] qint64 purchasesOf(const QString& orderId, const QString& state = {})
    {
        auto r = state.isEmpty()
            ? m_rig.db().exec("SELECT count(*) FROM purchases WHERE order_id = $1", {orderId.toStdString()})
            : m_rig.db().exec("SELECT count(*) FROM purchases WHERE order_id = $1 AND state = $2",
                {orderId.toStdString(), state.toStdString()});
        if (!r || r->rows() != 1 || r->isNull(0, 0)) {
            return -1;
        }
        return r->integer(0, 0);
    }

    /// Moves the order's expiry into the past at the bank (an order the shop let run out).
    [[nodiscard]] bool expire(const QString& orderId)
    {
        return m_rig.db().exec("UPDATE orders SET expires_at = 1 WHERE id = $1", {orderId.toStdString()}).ok();
    }

    [[nodiscard]] int port() const { return m_rig.port(); }
    [[nodiscard]] wallet::bank::test::BankRig& rig() { return m_rig; }

private:
    [[nodiscard]] QString tls(const QString& name) const { return m_rig.tlsPath(name); }

    /// The merchant's side of the API (its own TLS client certificate `client`: "shop" is the demo merchant's).
    QJsonObject shop(const QString& client,
        const char* method,
        const QString& path,
        const QJsonObject& body = {},
        int* status = nullptr)
    {
        httplib::SSLClient c("127.0.0.1",
            port(),
            tls(client + QStringLiteral(".pem")).toStdString(),
            tls(client + QStringLiteral(".key")).toStdString());
        c.set_ca_cert_path(tls(QStringLiteral("ca.pem")).toStdString().c_str());
        c.enable_server_certificate_verification(true);
        httplib::Result res = std::string(method) == "POST"
            ? c.Post(path.toStdString().c_str(),
                httplib::Headers{{"Idempotency-Key", QUuid::createUuid().toString(QUuid::WithoutBraces).toStdString()}},
                QJsonDocument(body).toJson(QJsonDocument::Compact).toStdString(),
                "application/json")
            : c.Get(path.toStdString().c_str());
        if (status != nullptr) {
            *status = res ? res->status : -1;
        }
        return res ? QJsonDocument::fromJson(QByteArray::fromStdString(res->body)).object() : QJsonObject{};
    }

    wallet::bank::test::BankRig m_rig;
};

} // namespace walletbank
