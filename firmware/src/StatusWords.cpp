// SPDX-License-Identifier: Apache-2.0
#include "Status.h"

namespace skey {

std::uint16_t statusWord(Status status, std::uint8_t triesLeft)
{
    switch (status) {
    case Status::Ok:
        return 0x9000;
    case Status::WrongLength:
        return 0x6700;
    case Status::BadP1P2:
        return 0x6A86;
    case Status::BadData:
        return 0x6A80;
    case Status::ClaNotSupported:
        return 0x6E00;
    case Status::InsNotSupported:
        return 0x6D00;
    case Status::FileNotFound:
        return 0x6A82;
    case Status::RecordNotFound:
        return 0x6A83;
    case Status::WrongOffset:
        return 0x6B00;
    case Status::IncompatibleFile:
        return 0x6981;
    case Status::SecurityNotSatisfied:
        return 0x6982;
    case Status::PinBlocked:
        return 0x6983;
    case Status::NoChallenge:
        return 0x6984;
    case Status::ConditionsNotSatisfied:
        return 0x6985;
    case Status::SmMacWrong:
        return 0x6988;
    case Status::NoSession:
        return 0x6901;
    case Status::AppTemporarilyBlocked:
        return 0x6A81;
    case Status::NotEnoughMemory:
        return 0x6A84;
    case Status::TxMacWrong:
        return 0x9302;
    case Status::AppPermanentlyBlocked:
        return 0x9303;
    case Status::InsufficientBalance:
        return 0x9401;
    case Status::AtcExhausted:
        return 0x9402;
    case Status::UnknownKeyIndex:
        return 0x9403;
    case Status::NoProof:
        return 0x9406;
    case Status::PinWrong:
        return static_cast<std::uint16_t>(0x63C0 | (triesLeft & 0x0F));
    case Status::AuthenticationFailed:
        return 0x6300;
    case Status::NvmFailure:
        return 0x6581;
    case Status::Cancelled:
        return 0x6F00;
    case Status::TouchRefused:
        return 0x6985;
    case Status::MoreData:
        return static_cast<std::uint16_t>(0x6100 | triesLeft);
    case Status::RefDataNotFound:
        return 0x6A88;
    case Status::ChainingNotSupported:
        return 0x6884;
    }
    return 0x6F00;
}

} // namespace skey
