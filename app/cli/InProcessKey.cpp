// SPDX-License-Identifier: Apache-2.0
#include "InProcessKey.h"

#include "core/crypto/Bytes.h"

#include <span>

namespace wallet::app::cli {

InProcessKey::InProcessKey(const QString& nvmPath)
    : m_token(std::make_unique<skey::host::HostToken>())
    , m_path(nvmPath)
{
    if (!nvmPath.isEmpty()) {
        if (auto err = m_token->nvm().attachFile(nvmPath.toStdString())) {
            m_loadError = QString::fromStdString(*err);
        }
        // The serial skey-sim stored with this image (issue 9 item 18): the same key, the same mirror and ledger.
        if (const auto serial = skey::host::HostToken::serialFromTrailer(m_token->nvm().fileTrailer())) {
            m_token->system().setSerial(*serial);
        }
        m_token->powerCycle(); // run the card OS start-up (journal recovery) over the loaded image
    }
}

core::Result<core::ResponseApdu> InProcessKey::transmit(const core::CommandApdu& command)
{
    QByteArray raw = command.encode();
    const auto* p = reinterpret_cast<const std::uint8_t*>(raw.constData());
    const auto out = m_token->process(std::span<const std::uint8_t>(p, static_cast<std::size_t>(raw.size())));
    if (command.isSensitive()) {
        core::wipe(raw); // the PIN bytes of VERIFY / CHANGE PIN (issue 9 item 19)
    }
    auto parsed = core::ResponseApdu::parse(
        QByteArray(reinterpret_cast<const char*>(out.data()), static_cast<qsizetype>(out.size())));
    if (!parsed) {
        return core::makeError(core::ErrorCode::ProtocolError, QStringLiteral("response shorter than 2 bytes"));
    }
    return *parsed;
}

QString InProcessKey::description() const
{
    return m_path.isEmpty() ? QStringLiteral("In-process simulated key")
                            : QStringLiteral("In-process simulated key (%1)").arg(m_path);
}

} // namespace wallet::app::cli
