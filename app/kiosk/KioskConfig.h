// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "core/purse/Amount.h"

#include <QByteArray>
#include <QString>

#include <botan/secmem.h>

#include <vector>

namespace wallet::kiosk {

struct PriceItem
{
    QString name;
    core::Amount amount;
};

/**
 * @brief The kiosk's configuration (docs/kiosk.md, "Configuration"): one JSON file, format "smartkey-kiosk/1".
 * Holds no secret in clear: the operator PIN is a PBKDF2-SHA-256 hash; the PSAM's keys are in the PSAM.
 */
struct KioskConfig
{
    QString file; ///< where it was read from
    QString dataDir; ///< sales.sqlite, the PSAM's and mirror's files
    QString receiptDir; ///< PDF receipts
    int idleSeconds = 60;
    QString operatorPinHash; ///< "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>"
    QString psamType = QStringLiteral("local"); ///< "local" (software PSAM, tests only) or "pcsc"
    QByteArray terminalId = QByteArray::fromHex("223344556677"); ///< the local PSAM's
    QString pcscReader; ///< the SAM's reader name ("pcsc")
    QString bankConfig; ///< bank-client.json of the kiosk's certificate; empty: no bank (sales wait)
    QString merchantName = QStringLiteral("SmartKey kiosk");
    std::vector<PriceItem> priceList;
    QString language = QStringLiteral("zh_CN");
    bool usb = true;
    /// Automatic settlement upload when a bank is configured: every this many seconds while the bank answers; after
    /// a failure the next try comes after 30 s, then 60 s, 120 s … (at most 15 min). 0: only the operator's button.
    int autoSettleSeconds = 300;
    QString simulatorDir; ///< non-empty: start an embedded simulated key on this NVM folder (demo, tests)
    QString simulatorProfile;

    /// Reads and checks the file; relative paths are relative to the file's folder.
    [[nodiscard]] static core::Result<KioskConfig> load(const QString& path);
};

/// The operator PIN's hash (PBKDF2-SHA-256, Botan; a fresh 16-byte salt).
[[nodiscard]] QString hashOperatorPin(const Botan::secure_vector<char>& pin, int iterations = 60000);
/// Constant-time check of `pin` against `hash`; false for a malformed hash.
[[nodiscard]] bool verifyOperatorPin(const Botan::secure_vector<char>& pin, const QString& hash);

} // namespace wallet::kiosk
