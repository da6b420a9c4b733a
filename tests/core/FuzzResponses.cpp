// SPDX-License-Identifier: Apache-2.0
// libFuzzer entry point for everything core/ parses from the key or from files: BER-TLV (FCI, PSE record, GET DATA),
// device info, SFI 0x15/0x16 and transaction records, response APDUs, amounts, and issuance profiles (JSON).
// The first byte picks the parser. The corpus (tests/core/corpus/responses) replays in every test run.
#include "core/apdu/ResponseApdu.h"
#include "core/apdu/Tlv.h"
#include "core/issuance/IssuanceProfile.h"
#include "core/purse/Amount.h"
#include "core/purse/DeviceInfo.h"
#include "core/purse/PurseTypes.h"

#include <QJsonDocument>

#include <cstddef>
#include <cstdint>

using namespace wallet::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0) {
        return 0;
    }
    const QByteArray in(reinterpret_cast<const char*>(data + 1), static_cast<qsizetype>(size - 1));
    switch (data[0] % 7) {
    case 0: {
        auto r = Tlv::parse(in);
        if (r) {
            for (const auto& e : *r) { // descend like the FCI parser does
                (void)Tlv::parse(e.value);
                (void)Tlv::encode(e.tag, e.value);
            }
        }
        break;
    }
    case 1:
        (void)DeviceInfo::decode(in);
        break;
    case 2:
        (void)ApplicationData::decode(in);
        (void)CardholderData::decode(in);
        break;
    case 3:
        (void)TransactionRecord::decode(in);
        break;
    case 4:
        (void)ResponseApdu::parse(in);
        break;
    case 5:
        (void)Amount::parse(QString::fromUtf8(in));
        break;
    default:
        (void)IssuanceProfile::fromJson(QJsonDocument::fromJson(in).object());
        break;
    }
    return 0;
}
