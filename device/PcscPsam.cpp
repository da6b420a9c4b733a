// SPDX-License-Identifier: Apache-2.0
#include "device/PcscPsam.h"

namespace wallet::device {

core::Result<std::unique_ptr<PcscPsam>> PcscPsam::open(const QString& readerName)
{
    auto channel = PcscApduChannel::open(readerName);
    if (!channel) {
        return channel.error();
    }
    auto psam = core::CardPsam::open(**channel);
    if (!psam) {
        return psam.error();
    }
    return std::unique_ptr<PcscPsam>(new PcscPsam(std::move(*channel), std::move(*psam)));
}

} // namespace wallet::device
