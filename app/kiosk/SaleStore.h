// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "core/psam/Psam.h"
#include "core/purse/Amount.h"

#include <QByteArray>
#include <QDate>
#include <QDateTime>
#include <QSqlDatabase>
#include <QString>

#include <memory>
#include <optional>
#include <vector>

namespace wallet::kiosk {

/// Where a sale stands. A row is written (Started) before any APDU that can move money, so a kill -9 at any
/// point leaves a row to resolve; it never goes back from Done.
enum class SaleState : std::uint8_t {
    Started, ///< written before INITIALIZE; the outcome is not known yet
    Checking, ///< DEBIT was sent and the answer was lost (key pulled): resolved with the key's or the PSAM's proof
    Done, ///< the key paid: TAC and MAC2 (verified by the PSAM) kept for settlement
    NotDone, ///< proven not paid (refused before DEBIT, or the key proved DEBIT never happened)
};

[[nodiscard]] QString saleStateName(SaleState s);

struct Sale
{
    qint64 id = 0;
    QString serial; ///< the key's device serial
    QByteArray asn; ///< 8
    core::Amount amount;
    SaleState state = SaleState::Started;
    std::uint32_t tsn = 0; ///< 0: not known (yet)
    std::uint16_t offlineAtc = 0;
    QByteArray terminalId;
    QByteArray date; ///< 4 BCD
    QByteArray time; ///< 3 BCD
    QByteArray tac;
    QByteArray mac2;
    core::Algorithm algorithm = core::Algorithm::TripleDes;
    QString batchId; ///< empty: not in a batch yet
    bool settled = false;
    QDateTime created; ///< UTC, the kiosk's clock
    QString detail;
    bool checked = false; ///< was ever Checking (the operator's list of checked sales shows its verdict)
};

/// One settlement batch: its id is stored with its records before the first upload and reused on every retry.
struct SettlementBatch
{
    QString batchId;
    QByteArray terminalId;
    std::vector<core::SettlementRecord> records;
};

/**
 * @brief The kiosk's own record of every sale and of the settlement batches (SQLite, WAL, synchronous=FULL,
 * core::Sqlite plumbing). Each change is one transaction, durable when the call returns. The hot-list of blocked
 * keys from the bank host lives here too. One thread (Qt Sql).
 */
class SaleStore
{
public:
    ~SaleStore();
    [[nodiscard]] static core::Result<std::unique_ptr<SaleStore>> open(const QString& path);

    /// A new sale in state Started (durable before it returns). Returns its id.
    [[nodiscard]] core::Result<qint64> begin(
        const QString& serial, const QByteArray& asn, core::Amount amount, const QDateTime& now);
    /// The key paid: the PSAM's record of it (TAC, MAC2, TSN, ATC, date, time).
    [[nodiscard]] core::Result<void> complete(qint64 id, const core::SettlementRecord& record);
    [[nodiscard]] core::Result<void> markChecking(qint64 id, std::uint32_t tsn, const QString& detail);
    /// The key answered DEBIT (TAC, MAC2 for this TSN) but the PSAM could not check it (the SAM pulled at VERIFY
    /// MAC2): kept with the sale, which stays Checking until the PSAM verifies that MAC2 (Settlement::reconcile).
    [[nodiscard]] core::Result<void> keepUnchecked(
        qint64 id, const core::SettlementRecord& answer, const QString& detail);
    [[nodiscard]] core::Result<void> markNotDone(qint64 id, const QString& detail);
    [[nodiscard]] core::Result<std::optional<Sale>> sale(qint64 id) const;
    /// Sales in Started or Checking, oldest first.
    [[nodiscard]] core::Result<std::vector<Sale>> openSales() const;
    /// At start: every sale still open (the kiosk stopped mid-sale) joins the operator's list of checked sales.
    [[nodiscard]] core::Result<int> flagOpenAsChecked();
    /// The newest `limit` sales that were ever Checking or are still open, newest first (the operator's list).
    [[nodiscard]] core::Result<std::vector<Sale>> checkedSales(int limit) const;
    /// TSNs of every sale already Done (to adopt PSAM records no sale holds yet).
    [[nodiscard]] core::Result<std::vector<std::uint32_t>> doneTsns() const;

    /**
     * The batch to upload next: the oldest batch not yet uploaded (same id, same records: a retry), else a new batch
     * of at most `maxRecords` Done sales not in any batch (assigned in one transaction). nullopt: nothing to settle.
     */
    [[nodiscard]] core::Result<std::optional<SettlementBatch>> nextBatch(
        const QByteArray& terminalId, int maxRecords, const QDateTime& now);
    /// The bank answered the batch: its sales are settled; `result` (the bank's JSON) kept.
    [[nodiscard]] core::Result<void> markUploaded(const QString& batchId, const QByteArray& result);

    struct Totals
    {
        int sales = 0;
        core::Amount amount;
        int checking = 0;
        int unsettled = 0; ///< Done, not yet uploaded
    };
    /// Done sales of `day` (the kiosk's local date), sales being checked, and sales waiting for settlement.
    [[nodiscard]] core::Result<Totals> totals(const QDate& day) const;

    // The hot-list (docs/bank-api.yaml getHotlist): version and ASNs.
    /// The automatic upload's back-off (docs/kiosk.md "Automatic upload"), kept across restarts: the next try
    /// (seconds since 1970 UTC, the kiosk's clock) and the current back-off in seconds; {0, 0} when none.
    [[nodiscard]] core::Result<std::pair<qint64, int>> settleBackoff() const;
    [[nodiscard]] core::Result<void> setSettleBackoff(qint64 nextAttemptSecs, int backoffSecs);
    [[nodiscard]] core::Result<qint64> hotlistVersion() const;
    [[nodiscard]] core::Result<void> applyHotlist(
        qint64 version, bool complete, const QList<QByteArray>& added, const QList<QByteArray>& removed);
    [[nodiscard]] core::Result<bool> isHotlisted(const QByteArray& asn) const;

private:
    explicit SaleStore(QString connection);
    [[nodiscard]] QSqlDatabase db() const;
    QString m_connection;
};

} // namespace wallet::kiosk
