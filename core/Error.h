// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QString>

#include <cstdint>

namespace wallet::core {

/// What went wrong, in terms the layers above can act on. The raw status word rides along when the key answered.
enum class ErrorCode : std::uint8_t {
    None = 0,
    // Transport and device
    NoDevice, ///< no key present / simulator not reachable
    PermissionDenied, ///< a key is present but this user may not open it (udev rule missing)
    DeviceBusy, ///< another program holds the key (channel busy / locked)
    Timeout, ///< the key did not answer in time
    Disconnected, ///< the key went away mid-operation
    ProtocolError, ///< malformed frame or response
    Cancelled, ///< the user or the program cancelled
    // Card status words (spec/pboc-epurse.md)
    WrongPin, ///< 63Cx: tries left in Error::triesLeft
    PinBlocked, ///< 6983
    PinRequired, ///< 6982
    ConditionsNotSatisfied, ///< 6985
    BadMac, ///< 9302 / 6988
    InsufficientBalance, ///< 9401
    AtcExhausted, ///< 9402
    UnknownKeyIndex, ///< 9403
    NoProof, ///< 9406
    NotFound, ///< 6A82 / 6A83
    ApplicationBlocked, ///< 6A81 (temporary)
    ApplicationTerminated, ///< 9303 (permanent) or card blocked
    WrongLength, ///< 6700 / 6Cxx
    WrongParameters, ///< 6A86 / 6B00
    InvalidData, ///< 6A80
    CommandNotAllowed, ///< 6901 / 6986
    NoChallenge, ///< 6984
    MemoryFailure, ///< 6581
    CardError, ///< any other SW
    // Terminal side
    InvalidInput, ///< bad amount, PIN format, argument
    AmountOverflow,
    CryptoError,
    StorageError, ///< SQLite mirror, issuer ledger, PSAM store or key store file (the detail says which and what to do)
    WrongPassphrase, ///< the key store does not open with this passphrase (or was altered): not a disk problem
    Declined, ///< issuer host or PSAM declined
    VerificationFailed, ///< MAC2/TAC from the key or host did not verify
    InvalidState,
    /// CREDIT or DEBIT was sent and nobody knows yet whether it took effect (key pulled, 6581, no proof, the
    /// terminal could not record the key's answer). Persisted and resolved by the key's ATC, log and proof at the
    /// next open() of that key; never "did not go through" (spec §4, issue 9 item 10).
    OutcomeUnknown,
    Internal,
    // Added at the end so that the values above keep their numbers.
    TouchRefused, ///< the key's button was not pressed: refused on the key, or not in time (a purchase's 6985 after
                  ///< its touch request, or the host's touch timeout). The key proved nothing moved.
    /// The bank host could not be reached (refused, no route, TLS failed, its certificate not the pinned CA's):
    /// the request never arrived, nothing moved. The detail names the host and what to do.
    BankUnreachable,
};

/// An error value: never thrown across a library boundary. `detail` is for developers and logs: it never contains
/// a PIN or key.
struct Error
{
    ErrorCode code = ErrorCode::Internal;
    std::uint16_t statusWord = 0; ///< SW1SW2 when the key produced the error, else 0
    QString detail;
    int triesLeft = -1; ///< for WrongPin
};

} // namespace wallet::core
