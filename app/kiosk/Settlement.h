// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "app/kiosk/SaleStore.h"
#include "core/Result.h"
#include "core/bank/BankClient.h"
#include "core/psam/Psam.h"

#include <QDateTime>

namespace wallet::kiosk {

/// What one settlement run did.
struct SettlementOutcome
{
    int batches = 0; ///< batches the bank answered
    int records = 0; ///< records in them
    int accepted = 0;
    int duplicates = 0;
    int rejected = 0;
    int waiting = 0; ///< Done sales still not uploaded (bank unreachable)
};

/**
 * @brief The kiosk's way to the bank host (docs/bank-api.yaml): settlement batches of its sales, and the hot-list.
 * Offline first: nothing here is needed to sell.
 */
class Settlement
{
public:
    static constexpr int kMaxBatch = 10000; ///< the API's limit per batch

    /**
     * Uploads every batch (PUT /v1/settlement/batches/{id}, the batch id also the Idempotency-Key): the batch id is
     * stored with its records before the first attempt, so a retry after a crash or a lost answer sends the same
     * batch and the bank answers its first result (docs/bank-api.yaml uploadSettlementBatch). A batch is marked
     * uploaded, and its TSNs settled at the PSAM, only after the bank's answer. BankUnreachable when the bank could
     * not be reached (the sales wait; `out.waiting` counts them).
     */
    [[nodiscard]] static core::Result<SettlementOutcome> upload(
        SaleStore& store, core::BankClient& bank, core::Psam& psam, const QDateTime& now);

    /// GET /v1/hotlist (the whole list, replacing the one kept). Returns its version.
    [[nodiscard]] static core::Result<qint64> refreshHotlist(SaleStore& store, core::BankClient& bank);

    /**
     * Brings the open sales (Started, Checking) in line with what the PSAM knows after the key's reconciliation
     * (PurseService::open() resolves the PSAM's unconfirmed purchases with the key's ATC, log and GET TRANSACTION
     * PROVE — never with balances): a TSN the PSAM confirmed (TAC in its settlement list) → Done with that TAC; a TSN
     * still unconfirmed → Checking; a TSN the PSAM dropped (the key proved it never paid) → NotDone. A Started sale
     * without a TSN (the kiosk was killed before it learned it) takes a confirmed PSAM record of the same key and
     * amount that no sale holds; a PSAM record no sale holds at all becomes a Done sale (nothing the key paid is lost).
     * `asn` empty: every card; else only sales of that card may be judged NotDone (another key cannot prove anything).
     * Returns the number of sales whose state changed.
     */
    [[nodiscard]] static core::Result<int> reconcile(
        SaleStore& store, core::Psam& psam, const QByteArray& asn, const QDateTime& now);
};

} // namespace wallet::kiosk
