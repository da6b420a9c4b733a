// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bank/db/PgConnection.h"
#include "bank/hsm/Hsm.h"
#include "bank/server/Reply.h"

#include <QString>

#include <variant>

namespace wallet::bank {

/**
 * The check every blank device passes before the bank derives its KT (a cardholder key's issuance, a SAM's
 * provisioning): the manufacturers' transport-key master (`mkt.v1`) is in the HSM, and the serial lies in a lot a
 * manufacturer shipped (`bankctl devices add-lot`).
 *
 * Returns the manufacturer of the lot holding `serial`, empty when it is in none (the caller refuses in its own words,
 * and audits), or the reply that ends the request: 503 when the HSM or the database failed, 422
 * `manufacturer-key-missing` naming `device` ("key", "SAM"). Reads only.
 */
[[nodiscard]] std::variant<QString, Reply> manufacturerOfSerial(
    Hsm& hsm, PgConnection& db, const QString& serial, const QString& device, const QString& rid);

} // namespace wallet::bank
