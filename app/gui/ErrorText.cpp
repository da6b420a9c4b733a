// SPDX-License-Identifier: Apache-2.0
#include "app/gui/ErrorText.h"

#include <QCoreApplication>

namespace wallet::app {

QString ErrorText::triesLeft(int tries)
{
    return tr("%n try(s) left", nullptr, tries);
}

QString ErrorText::describe(const core::Error& error)
{
    using core::ErrorCode;
    switch (error.code) {
    case ErrorCode::None:
        return {};
    case ErrorCode::NoDevice:
        return tr("No key found. Insert your SmartKey and try again.");
    case ErrorCode::PermissionDenied:
        return tr("The key is present but this computer does not allow the wallet to open it. "
                  "Install the SmartKey device rule (see the key page) and insert the key again.");
    case ErrorCode::DeviceBusy:
        return tr("Another program is using the key. Close it and try again.");
    case ErrorCode::Timeout:
        return tr("The key did not answer in time. Remove it, insert it again and retry.");
    case ErrorCode::Disconnected:
        return tr("The key was removed during the operation. Insert it again: the wallet will check whether the "
                  "transaction went through and finish it.");
    case ErrorCode::ProtocolError:
        return tr("The key sent an answer the wallet does not understand. Insert it again; if this persists, "
                  "contact your bank.");
    case ErrorCode::Cancelled:
        return tr("Cancelled. Nothing was changed.");
    case ErrorCode::WrongPin:
        if (error.triesLeft == 0) { // the last try was spent: blocked, said as such (issue 17 item 2)
            return tr("Wrong PIN. The PIN is now blocked. Take the key and your ID to a branch of your bank to "
                      "unblock it.");
        }
        if (error.triesLeft >= 0) {
            // One sentence to translate, not pieces glued with English punctuation ("PIN 码错误。 还剩 2 次机会.",
            // issue 17 item 11).
            return tr("Wrong PIN. %n try(s) left.", nullptr, error.triesLeft);
        }
        return tr("Wrong PIN.");
    case ErrorCode::PinBlocked:
        return tr("The PIN is blocked after too many wrong tries. Take the key and your ID to a branch of your "
                  "bank to unblock it.");
    case ErrorCode::PinRequired:
        return tr("This operation needs your PIN. Enter it and try again.");
    case ErrorCode::ConditionsNotSatisfied:
        // 6985 has many causes; the ones the wallet can tell apart have their own codes (TouchRefused) or texts.
        return tr("The key refused the operation in its current state. Nothing was changed.");
    case ErrorCode::TouchRefused:
        return tr("The payment was not confirmed on the key: its button was not pressed in time, or the payment "
                  "was refused there. Nothing was paid. Try again and touch the key when it asks.");
    case ErrorCode::BadMac:
        return tr("The key could not verify the bank's authorisation. No money moved. Try again; if this repeats, "
                  "contact your bank.");
    case ErrorCode::InsufficientBalance:
        return tr("The balance is not enough for this payment.");
    case ErrorCode::AtcExhausted:
        return tr("This key has reached its maximum number of transactions. Ask your bank for a new key.");
    case ErrorCode::UnknownKeyIndex:
        return tr("The key does not support this bank's terminal keys. Contact your bank.");
    case ErrorCode::NoProof:
        return tr("The key holds no proof for that transaction.");
    case ErrorCode::NotFound:
        return tr("The purse application was not found on this key. It may not be issued yet.");
    case ErrorCode::ApplicationBlocked:
        return tr("The purse on this key is temporarily blocked. Contact your bank to unblock it.");
    case ErrorCode::ApplicationTerminated:
        return tr("The purse on this key is permanently blocked. Ask your bank for a replacement.");
    case ErrorCode::WrongLength:
    case ErrorCode::WrongParameters:
    case ErrorCode::InvalidData:
    case ErrorCode::CommandNotAllowed:
    case ErrorCode::NoChallenge:
    case ErrorCode::CardError:
        return tr("The key rejected the request. Try again; if this persists, contact your bank.");
    case ErrorCode::MemoryFailure:
        return tr("The key reported a memory failure. Stop using it and contact your bank.");
    case ErrorCode::InvalidInput:
        return tr("Please check what you entered.");
    case ErrorCode::AmountOverflow:
        return tr("The amount is too large.");
    case ErrorCode::CryptoError:
        return tr("A security check failed on this computer. Try again.");
    case ErrorCode::StorageError:
        // Not "check free disk space": the cause may be a damaged or locked file, and the money files (PSAM, issuer
        // ledger) must never be moved away. The detail names the file and what to do.
        return tr("The wallet could not read or save its records on this computer. Nothing on the key was changed "
                  "by this; see the details for which file and what to do.");
    case ErrorCode::WrongPassphrase:
        return tr("The wallet's key store does not open with its passphrase, or the file was altered. Nothing was "
                  "changed; restore the key store from a backup.");
    case ErrorCode::OutcomeUnknown:
        return tr("It is not known yet whether this went through. Do not repeat it: the wallet checks it with the key "
                  "as soon as the key is back, and shows the result.");
    case ErrorCode::Declined:
        return tr("The bank declined the request. No money moved.");
    case ErrorCode::BankUnreachable:
        return tr("The bank could not be reached. Nothing was sent and no money moved. Check the connection and "
                  "try again.");
    case ErrorCode::VerificationFailed:
        return tr("The key's answer could not be verified. Keep the key inserted; the wallet will check the "
                  "transaction again.");
    case ErrorCode::InvalidState:
        return tr("The wallet is not ready for this yet. Try again in a moment.");
    case ErrorCode::Internal:
        return tr("Something went wrong inside the wallet. Export the log from the About page and contact "
                  "support.");
    }
    return tr("Something went wrong.");
}

} // namespace wallet::app
