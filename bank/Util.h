// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <string>

namespace wallet::bank {

/// Microseconds since 1970 UTC (the ledger's timestamps, docs/bank.md §7.1).
[[nodiscard]] std::int64_t nowMicros();
/// RFC 3339 UTC with milliseconds, from microseconds.
[[nodiscard]] QString rfc3339(std::int64_t micros);
/// A UUID version 7 (RFC 9562): 48-bit millisecond time, then random; sorts by creation time.
[[nodiscard]] std::string uuidV7();
[[nodiscard]] QByteArray randomBytes(int n);
[[nodiscard]] std::string sha256Hex(const std::string& data);
[[nodiscard]] QString hexUpper(const QByteArray& b);
/// Two BCD digits per byte (card dates, times, terminal IDs; spec §0).
[[nodiscard]] QByteArray bcd(const QString& digits);

} // namespace wallet::bank
