// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "core/psam/LocalPsam.h"
#include "core/psam/Psam.h"

#include <vector>

namespace wallet::core {

/// A purchase kept out of a settlement file, and why.
struct SetAsidePurchase
{
    SettlementRecord record;
    Error why;
};

/// What one settlement run did.
struct SettlementReport
{
    std::vector<SettlementRecord> exported; ///< in the file and marked settled
    std::vector<SetAsidePurchase> setAside; ///< TAC did not verify: kept at the PSAM, not exported, reported
    std::uint64_t totalFen = 0; ///< of `exported`
};

/**
 * @brief The settlement export (issue 9 item 16): every confirmed purchase's TAC is checked with the acquirer's
 * SettlementVerifier; one that does not verify is set aside (Psam::setAside, reported) and never blocks the others.
 * The good ones are written to a temporary file beside `path`, fsync'ed, renamed over `path`, and the directory
 * fsync'ed — and only then marked settled. A crash or a full disk before the rename leaves every purchase pending
 * (exported again next time; the acquirer de-duplicates by terminal + TSN), never settled without a file.
 */
class SettlementExport
{
public:
    [[nodiscard]] static Result<SettlementReport> run(
        Psam& psam, const SettlementVerifier& verifier, const QString& path);
    /// Writes `data` to `path` durably: temporary file in the same directory (0600), fsync, rename, fsync of the
    /// directory. On failure the target is untouched and the temporary file removed.
    [[nodiscard]] static Result<void> writeDurably(const QString& path, const QByteArray& data);
};

} // namespace wallet::core
