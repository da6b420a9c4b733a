// SPDX-License-Identifier: Apache-2.0
#include "core/apdu/StatusWord.h"

#include <array>

namespace wallet::core {
namespace {

struct Entry
{
    std::uint16_t sw;
    ErrorCode code;
    const char* text;
};

// spec/pboc-epurse.md §1, §3, §4, §5.3, §7. Keep sorted by SW for reading; lookup is linear (30 rows).
constexpr std::array kTable{
    Entry{0x6581, ErrorCode::MemoryFailure, "memory failure on the key"},
    Entry{0x6700, ErrorCode::WrongLength, "wrong length"},
    Entry{0x6901, ErrorCode::CommandNotAllowed, "command out of sequence"},
    Entry{0x6982, ErrorCode::PinRequired, "PIN verification required"},
    Entry{0x6983, ErrorCode::PinBlocked, "PIN blocked"},
    Entry{0x6984, ErrorCode::NoChallenge, "no challenge (reference data not usable)"},
    Entry{0x6985, ErrorCode::ConditionsNotSatisfied, "conditions of use not satisfied"},
    Entry{0x6986, ErrorCode::CommandNotAllowed, "command not allowed"},
    Entry{0x6988, ErrorCode::BadMac, "secure messaging MAC wrong"},
    Entry{0x6A80, ErrorCode::InvalidData, "incorrect data"},
    Entry{0x6A81, ErrorCode::ApplicationBlocked, "application blocked"},
    Entry{0x6A82, ErrorCode::NotFound, "application or file not found"},
    Entry{0x6A83, ErrorCode::NotFound, "record not found"},
    Entry{0x6A86, ErrorCode::WrongParameters, "wrong P1/P2"},
    Entry{0x6B00, ErrorCode::WrongParameters, "wrong parameters"},
    Entry{0x6D00, ErrorCode::CardError, "instruction not supported"},
    Entry{0x6E00, ErrorCode::CardError, "class not supported"},
    Entry{0x6F00, ErrorCode::Cancelled, "cancelled or no precise diagnosis"},
    Entry{0x9302, ErrorCode::BadMac, "transaction MAC wrong"},
    Entry{0x9303, ErrorCode::ApplicationTerminated, "application permanently blocked"},
    Entry{0x9401, ErrorCode::InsufficientBalance, "balance too low"},
    Entry{0x9402, ErrorCode::AtcExhausted, "transaction counter exhausted"},
    Entry{0x9403, ErrorCode::UnknownKeyIndex, "key index not supported"},
    Entry{0x9406, ErrorCode::NoProof, "no transaction proof for that counter"},
};

} // namespace

int StatusWord::triesLeft(std::uint16_t sw)
{
    return (sw & 0xFFF0) == 0x63C0 ? (sw & 0x0F) : -1;
}

int StatusWord::correctLe(std::uint16_t sw)
{
    if ((sw & 0xFF00) != 0x6C00) {
        return -1;
    }
    const int le = sw & 0xFF;
    return le == 0 ? 256 : le;
}

ErrorCode StatusWord::toErrorCode(std::uint16_t sw)
{
    if (sw == kSuccess) {
        return ErrorCode::None;
    }
    if (triesLeft(sw) >= 0) {
        return ErrorCode::WrongPin;
    }
    if (correctLe(sw) >= 0) {
        return ErrorCode::WrongLength;
    }
    for (const auto& e : kTable) {
        if (e.sw == sw) {
            return e.code;
        }
    }
    return ErrorCode::CardError;
}

QString StatusWord::describe(std::uint16_t sw)
{
    if (sw == kSuccess) {
        return QStringLiteral("success");
    }
    if (const int t = triesLeft(sw); t >= 0) {
        return QStringLiteral("wrong PIN, %1 tries left").arg(t);
    }
    if (const int le = correctLe(sw); le >= 0) {
        return QStringLiteral("wrong Le, the key expects %1").arg(le);
    }
    for (const auto& e : kTable) {
        if (e.sw == sw) {
            return QString::fromLatin1(e.text);
        }
    }
    return QStringLiteral("unexpected status %1").arg(sw, 4, 16, QLatin1Char('0')).toUpper();
}

Error StatusWord::toError(std::uint16_t sw, const QString& context)
{
    Error e;
    e.code = toErrorCode(sw);
    e.statusWord = sw;
    e.triesLeft = triesLeft(sw);
    e.detail = QStringLiteral("%1: %2 (SW %3)").arg(context, describe(sw)).arg(sw, 4, 16, QLatin1Char('0'));
    return e;
}

} // namespace wallet::core
