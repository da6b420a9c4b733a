// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "core/bank/BankClient.h"
#include "core/channel/ApduChannel.h"

#include <QByteArray>
#include <QString>

#include <functional>

namespace wallet::core {

/// What provisionPsam() did.
struct PsamProvisioningOutcome
{
    QString serial; ///< the SAM's device serial, 16 hex digits
    QByteArray terminalId; ///< 6 bytes, the kiosk's PSAM terminal ID the bank wrote
    std::uint32_t firstTsn = 0;
    int commands = 0; ///< personalisation commands relayed to the SAM (0: it was personalised already)
};

/**
 * @brief The kiosk's side of the bank's SAM provisioning (docs/psam.md "Provisioning by the bank", docs/bank-api.yaml
 * tag `psams`). `sam` is the blank SAM's channel (a PC/SC reader); `bank` the kiosk's client (a kiosk certificate).
 *
 * 1. GET DATA `80 CA 00 01` → the SAM's device serial; SELECT PSAM, GET STATUS (a SAM that is neither blank nor
 *    personalised is refused before the bank is asked);
 * 2. POST /v1/psams {deviceSerial}: the bank checks the serial against the manufacturer's lots and answers the
 *    terminal ID (the kiosk's, registered at the bank), the first TSN and the number of commands;
 * 3. per command: GET CHALLENGE on the SAM, POST /v1/psams/{serial}/steps {step, challenge}, the bank's APDU
 *    (MACed, and for WRITE KEY enciphered, under the SAM's KT in the bank's HSM) sent to the SAM unchanged; the
 *    first status word other than 9000 stops everything (the error names the step, its word and what to do next);
 * 4. GET STATUS → POST /v1/psams/{serial}/completion {status}: the bank registers the SAM as provisioned.
 *
 * A SAM already personalised (life cycle 01), e.g. after the kiosk stopped between END PERSONALIZATION and the
 * completion, goes straight to step 4. Each call has its own request id (a UUID), reused when the answer was lost
 * (OutcomeUnknown, up to 3 tries). The kiosk never holds a key: it relays ciphertext. `progress` (optional) gets
 * one line per step, for the operator.
 */
[[nodiscard]] Result<PsamProvisioningOutcome> provisionPsam(
    ApduChannel& sam, BankClient& bank, const std::function<void(const QString&)>& progress = {});

} // namespace wallet::core
