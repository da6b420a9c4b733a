// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "core/bank/BankClient.h"
#include "core/channel/ApduChannel.h"
#include "core/issuance/IssuanceProfile.h"
#include "core/issuance/Personaliser.h"

namespace wallet::core {

/**
 * Issues the blank key on `key` through the bank's issuance API as this terminal (docs/bank.md §12 "Self-service demo
 * issuance"), with the branch station's client (core::BranchStation): the key read, a job created with the
 * profile's limits and a customer that says DEMO (the profile's cardholder name, ID `DEMO<serial>`), then the 19
 * personalisation commands, one per fresh challenge, under the key's KT with card keys from the bank's HSM; from
 * `profile` only the limits, the name and the first PIN are used, never its keys, and no funding is deposited.
 * Only a bank that allows self-service (its own `localDemo` folder) lets a wallet do this: any other bank answers
 * 403, which comes back as ErrorCode::Declined with the next step (a branch issues keys), nothing written to
 * the key. A key that is not blank: InvalidState "already issued".
 */
[[nodiscard]] Result<IssuanceResult> issueThroughBank(
    BankClient& bank, ApduChannel& key, const IssuanceProfile& profile);

} // namespace wallet::core
