// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "core/keystore/IssuerKeys.h"
#include "core/purse/Pin.h"
#include "core/purse/PurseTypes.h"

#include <QJsonObject>

#include <optional>

namespace wallet::core {

/**
 * @brief What to write into a blank key (spec §6). Parsed and validated from JSON (format in docs/core.md,
 * samples in resources/profiles/). Holds secrets (transport key, initial PIN, optional inline master keys) in
 * wiped buffers.
 */
struct IssuanceProfile
{
    QString name;
    Algorithm algorithm = Algorithm::TripleDes;
    SecureBytes transportKey; ///< KT, 16 bytes
    std::optional<IssuerMasterKeys> masterKeys; ///< inline (demo/simulator); else the caller supplies them
    std::uint8_t keyIndex = 1;
    std::uint8_t keyVersion = 1;
    QByteArray aid; ///< 5..16 bytes
    QString label = QStringLiteral("E-PURSE"); ///< 1..16 ASCII
    ApplicationData application; ///< applicationSerial empty → 00 00 ‖ device serial
    CardholderData cardholder;
    SecureBytes pinDigits; ///< ASCII digits of the initial PIN
    std::uint8_t pinTries = 3;
    Amount maxBalance{1000000};
    Amount noPinLimit{0};
    bool loadNeedsPin = true;
    bool purchaseAboveLimitNeedsPin = true;
    bool readCardholderNeedsPin = false;
    bool purchaseNeedsTouch = false; ///< project extension, policy bit 3: DEBIT waits for a touch on the key
    std::uint8_t recordCapacity = 10;
    Amount initialFunding{10000000}; ///< the issuer funding account opened with the card (demo)

    [[nodiscard]] static Result<IssuanceProfile> fromJson(const QJsonObject& json);
    [[nodiscard]] static Result<IssuanceProfile> fromFile(const QString& path);
    [[nodiscard]] std::uint8_t policyFlags() const;
};

} // namespace wallet::core
