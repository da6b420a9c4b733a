// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/channel/ApduChannel.h"

#include <QString>
#include <QStringList>

#include <cstdint>
#include <memory>

namespace wallet::device {

/**
 * @brief A core::ApduChannel over one PC/SC reader (pcsc-lite's C API, `libpcsclite`): used for the kiosk's SAM
 * (device::PcscPsam). The reader is chosen by its exact name, or by a part of it that matches exactly one reader
 * ("Virtual PCD 00 01"). A card reset or removal between commands is reconnected once (SCARD_W_RESET_CARD). One
 * thread at a time.
 */
class PcscApduChannel final : public core::ApduChannel
{
public:
    ~PcscApduChannel() override;
    /// Connects to the card in the reader named `reader` (exact, else the one reader containing it).
    [[nodiscard]] static core::Result<std::unique_ptr<PcscApduChannel>> open(const QString& reader);
    /// The readers pcscd knows now (for error messages and configuration).
    [[nodiscard]] static core::Result<QStringList> readers();

    [[nodiscard]] core::Result<core::ResponseApdu> transmit(const core::CommandApdu& command) override;
    [[nodiscard]] QString description() const override;

private:
    PcscApduChannel() = default;
    [[nodiscard]] core::Result<void> connect();
    std::intptr_t m_context = 0; ///< SCARDCONTEXT
    std::intptr_t m_card = 0; ///< SCARDHANDLE
    bool m_hasContext = false;
    bool m_connected = false;
    unsigned long m_protocol = 0;
    QString m_reader;
};

} // namespace wallet::device
