// SPDX-License-Identifier: Apache-2.0
// `walletctl --in-process`: a simulated key running in this process (the firmware on the host platform), its NVM
// in a file so that it keeps its state between runs. A development aid only; the default is the simulator
// (device/) once that lands. Never a real key.
#pragma once

#include "HostToken.h"
#include "core/channel/ApduChannel.h"

#include <memory>

namespace wallet::app::cli {

class InProcessKey final : public core::ApduChannel
{
public:
    /// `nvmPath` empty: volatile. Returns an error text on a bad image.
    explicit InProcessKey(const QString& nvmPath);
    [[nodiscard]] QString loadError() const { return m_loadError; }
    core::Result<core::ResponseApdu> transmit(const core::CommandApdu& command) override;
    QString description() const override;

private:
    std::unique_ptr<skey::host::HostToken> m_token;
    QString m_path;
    QString m_loadError;
};

} // namespace wallet::app::cli
