// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bank/hsm/Hsm.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace wallet::bank {

/**
 * @brief Payment orders signed by the bank (docs/bank.md §12, issue 12): JWS compact serialization (RFC 7515),
 * `alg: ES256`, header `x5c` = the order-signing certificate, which the bank CA issued for the EC P-256 key
 * `order-signing` in the HSM. The wallet checks the chain against the CA it already pins and the signature, then
 * shows what the signed payload says. An HMAC would need a secret the wallet must not hold, so it cannot be checked
 * by a terminal; ECDSA can.
 */
class TerminalCa;

class OrderSigning
{
public:
    static constexpr const char* kKeyLabel = "order-signing";
    static constexpr const char* kCertificateFile = "tls/order-signing.pem";

    /// A certificate for the token's order-signing public key, signed by the bank's terminal CA (its key in the
    /// token, or a key file), valid `days`. Returns PEM.
    [[nodiscard]] static Result<QByteArray> certify(Hsm& hsm, const TerminalCa& ca, int days);
    /// The DER of the PEM certificate file (for x5c), or an error naming the fix.
    [[nodiscard]] static Result<QByteArray> loadCertificateDer(const QString& pemPath);
    /// `header.payload.signature`, each base64url without padding; the signature made in the token.
    [[nodiscard]] static Result<QString> sign(Hsm& hsm, const QByteArray& certificateDer, const QJsonObject& payload);
};

} // namespace wallet::bank
