// SPDX-License-Identifier: Apache-2.0
// Value types of the purse service (spec/pboc-epurse.md §2, §4). Plain copyable values, no Qt object ownership:
// safe to pass from the worker thread to the GUI thread.
#pragma once

#include "core/crypto/CardCrypto.h"
#include "core/purse/Amount.h"
#include "core/purse/DeviceInfo.h"

#include <QByteArray>
#include <QDate>
#include <QDateTime>
#include <QString>

#include <cstdint>
#include <optional>

namespace wallet::core {

enum class TransactionType : std::uint8_t {
    Load = 0x02,
    Purchase = 0x06,
    CompositePurchase = 0x09,
};
[[nodiscard]] QString transactionTypeName(TransactionType type); ///< "load", "purchase", "composite purchase"

/// SFI 0x15, public application data (30 bytes).
struct ApplicationData
{
    QByteArray issuerId; ///< 8
    std::uint8_t appType = 0; ///< 02 = EP
    std::uint8_t appVersion = 0;
    QByteArray applicationSerial; ///< 10; the last 8 bytes are the ASN
    QDate startDate;
    QDate expiryDate;
    QByteArray issuerData; ///< 2
    QByteArray raw; ///< the 30 bytes as read

    [[nodiscard]] QByteArray asn() const { return applicationSerial.right(8); }
    [[nodiscard]] static Result<ApplicationData> decode(const QByteArray& raw30);
    [[nodiscard]] QByteArray encode() const; ///< the 30 bytes (issuance)
};

/// SFI 0x16, cardholder data (55 bytes).
struct CardholderData
{
    std::uint8_t cardType = 0;
    std::uint8_t staffFlag = 0;
    QString name; ///< UTF-8 (GBK names are shown as read, best effort)
    QString idNumber;
    std::uint8_t idType = 0;

    [[nodiscard]] static Result<CardholderData> decode(const QByteArray& raw55);
    [[nodiscard]] QByteArray encode() const; ///< 55 bytes, names padded with 00 (truncated to the field)
};

/// Everything open() learns about the key and its purse.
struct CardInfo
{
    DeviceInfo device;
    QByteArray aid;
    QString label;
    ApplicationData application;
    std::optional<CardholderData> cardholder; ///< absent when reading SFI 0x16 needs the PIN
    bool temporarilyBlocked = false; ///< SELECT answered 6A81
    [[nodiscard]] QString asnHex() const { return QString::fromLatin1(application.asn().toHex().toUpper()); }
};

/// Why a key may not be used (checked by PurseService::checkValidity).
enum class ValidityProblem : std::uint8_t {
    None,
    NotPersonalised,
    Blocked,
    Terminated,
    NotYetValid,
    Expired,
    UnknownIssuer,
    NotAnEPurse,
};
struct Validity
{
    ValidityProblem problem = ValidityProblem::None;
    QString reason; ///< English sentence for logs and the CLI; the GUI maps `problem` to its own words
    [[nodiscard]] bool ok() const { return problem == ValidityProblem::None; }
};

struct PinStatus
{
    bool verified = false;
    bool blocked = false;
    int triesLeft = -1;
};

/// One record of SFI 0x18 (23 bytes): ATC (the N of the transaction) ‖ overdraw 3 ‖ amount 4 ‖ type 1 ‖ terminal 6 ‖
/// date 4 ‖ time 3.
struct TransactionRecord
{
    std::uint16_t atc = 0;
    Amount amount;
    TransactionType type = TransactionType::Purchase;
    std::uint8_t rawType = 0;
    QByteArray terminalId; ///< 6
    QDateTime when; ///< terminal's local date and time (invalid if the BCD was not a date)
    QByteArray raw; ///< the 23 bytes

    [[nodiscard]] static Result<TransactionRecord> decode(const QByteArray& raw23);
};

struct LoadResult
{
    Amount amount;
    Amount balanceBefore;
    Amount balanceAfter;
    std::uint16_t atc = 0; ///< N, the online ATC used by this load
    QByteArray terminalId;
    QDateTime when;
    QByteArray tac; ///< verified by the issuer host
    bool recovered = false; ///< finished by the §4 recovery after a lost response
};

struct PurchaseResult
{
    Amount amount;
    Amount balanceBefore;
    Amount balanceAfter;
    std::uint16_t atc = 0; ///< N, the offline ATC used
    std::uint32_t tsn = 0; ///< PSAM terminal transaction serial
    QByteArray terminalId;
    QDateTime when;
    QByteArray tac;
    QByteArray mac2; ///< verified by the PSAM
    bool recovered = false;
};

/// BCD helpers of spec conventions (date YYYYMMDD 4 bytes, time hhmmss 3 bytes).
[[nodiscard]] QByteArray bcdDate(const QDate& date);
[[nodiscard]] QByteArray bcdTime(const QTime& time);
[[nodiscard]] QDate dateFromBcd(const QByteArray& b4);
[[nodiscard]] QTime timeFromBcd(const QByteArray& b3);

} // namespace wallet::core
