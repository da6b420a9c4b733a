// SPDX-License-Identifier: Apache-2.0
// Internal status of a command. Converted to SW1 SW2 in exactly one place (statusWord(), StatusWords.cpp).
#pragma once

#include <cstdint>

namespace skey {

enum class Status : std::uint8_t {
    Ok, // 9000
    WrongLength, // 6700: Lc/Le wrong, missing or surplus
    BadP1P2, // 6A86
    BadData, // 6A80
    ClaNotSupported, // 6E00
    InsNotSupported, // 6D00
    FileNotFound, // 6A82: application or SFI not found
    RecordNotFound, // 6A83
    WrongOffset, // 6B00
    IncompatibleFile, // 6981: READ BINARY of a record file and vice versa
    SecurityNotSatisfied, // 6982: PIN (or personalisation session) required
    PinBlocked, // 6983
    NoChallenge, // 6984
    ConditionsNotSatisfied, // 6985
    SmMacWrong, // 6988
    NoSession, // 6901: completion without its INITIALIZE
    AppTemporarilyBlocked, // 6A81
    NotEnoughMemory, // 6A84: key table full
    TxMacWrong, // 9302
    AppPermanentlyBlocked, // 9303
    InsufficientBalance, // 9401
    AtcExhausted, // 9402
    UnknownKeyIndex, // 9403
    NoProof, // 9406
    PinWrong, // 63Cx, x = tries left (passed beside the status)
    AuthenticationFailed, // 6300: EXTERNAL AUTHENTICATE cryptogram wrong
    NvmFailure, // 6581
    Cancelled, // 6F00: user cancelled the touch confirmation
    TouchRefused, // 6985 as well (the user refused or did not touch in time), kept apart for the docs/tests
    MoreData, // 61xx: xx more response bytes wait for GET RESPONSE (ISO 7816-4 §5.3.4; PIV only; xx passed beside)
    RefDataNotFound, // 6A88: PIV key reference (slot) empty or unknown
    ChainingNotSupported, // 6884: command chaining for a command that does not take it (PIV: all but PUT DATA)
};

/// The one table from internal status to ISO 7816-4 / PBOC status word. `triesLeft` only matters for PinWrong (x of
/// 63Cx) and MoreData (xx of 61xx).
[[nodiscard]] std::uint16_t statusWord(Status status, std::uint8_t triesLeft = 0);

} // namespace skey
