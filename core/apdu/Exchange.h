// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "core/apdu/StatusWord.h"
#include "core/channel/ApduChannel.h"

namespace wallet::core {

/// Sends `command` and returns its data when the SW is 9000; any other SW becomes the Error from the one SW table.
/// `expectedLength` (>= 0) also checks the data length (ProtocolError otherwise).
[[nodiscard]] inline Result<QByteArray> exchange(
    ApduChannel& channel, const CommandApdu& command, const QString& context, int expectedLength = -1)
{
    auto response = channel.transmit(command);
    if (!response) {
        Error e = response.error();
        e.detail = context + QStringLiteral(": ") + e.detail;
        return e;
    }
    if (!response->isSuccess()) {
        return StatusWord::toError(response->sw(), context);
    }
    if (expectedLength >= 0 && response->data().size() != expectedLength) {
        return makeError(ErrorCode::ProtocolError,
            QStringLiteral("%1: expected %2 data bytes, got %3")
                .arg(context)
                .arg(expectedLength)
                .arg(response->data().size()),
            response->sw());
    }
    return response->data();
}

} // namespace wallet::core
