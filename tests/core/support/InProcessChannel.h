// SPDX-License-Identifier: Apache-2.0
// A core::ApduChannel over one in-process token (skey::host::HostToken: the real firmware on the host platform),
// with failure injection for the recovery tests: drop the response of a chosen command (the token did process it),
// or lose power during a command (the armed HostNvm cut fires; the channel reports a disconnect and the next
// transmit powers the token back up, like a re-plug).
#pragma once

#include "HostToken.h"
#include "core/channel/ApduChannel.h"

#include <functional>
#include <optional>
#include <span>

namespace wallet::core::test {

class InProcessChannel final : public ApduChannel
{
public:
    explicit InProcessChannel(skey::host::HostToken& token)
        : m_token(token)
    { }

    /// Called with each command before it is sent; returning true makes the channel lose that command's response.
    std::function<bool(const CommandApdu&)> dropResponseIf;
    /// Called before each command; returning true makes the channel fail without sending (cable pulled before).
    std::function<bool(const CommandApdu&)> failBeforeSend;
    /// Called before each command; an answer returned here is given instead, without sending (a key that fails
    /// before doing anything, e.g. `6581` from a damaged NVM).
    std::function<std::optional<QByteArray>(const CommandApdu&)> answerWithoutSending;
    /// Called after the token processed a command; an answer returned here replaces the token's (the key did the
    /// work, then reported a failure, e.g. `6581` after its commit).
    std::function<std::optional<QByteArray>(const CommandApdu&)> replaceAnswer;
    int transmitted = 0;

    Result<ResponseApdu> transmit(const CommandApdu& command) override
    {
        if (m_needsPowerUp) {
            m_token.powerCycle();
            m_needsPowerUp = false;
        }
        if (failBeforeSend && failBeforeSend(command)) {
            return makeError(ErrorCode::Disconnected, QStringLiteral("injected: unplugged before send"));
        }
        if (answerWithoutSending) {
            if (auto instead = answerWithoutSending(command)) {
                return *ResponseApdu::parse(*instead);
            }
        }
        const QByteArray raw = command.encode();
        const auto* p = reinterpret_cast<const std::uint8_t*>(raw.constData());
        const auto out = m_token.process(std::span<const std::uint8_t>(p, static_cast<std::size_t>(raw.size())));
        ++transmitted;
        if (m_token.nvm().powerLost()) {
            m_needsPowerUp = true;
            return makeError(ErrorCode::Disconnected, QStringLiteral("injected: power lost during the command"));
        }
        if (dropResponseIf && dropResponseIf(command)) {
            m_needsPowerUp = true; // a lost response: the host reconnects, the token restarts
            return makeError(ErrorCode::Disconnected, QStringLiteral("injected: response lost"));
        }
        if (replaceAnswer) {
            if (auto instead = replaceAnswer(command)) {
                return *ResponseApdu::parse(*instead);
            }
        }
        auto parsed = ResponseApdu::parse(
            QByteArray(reinterpret_cast<const char*>(out.data()), static_cast<qsizetype>(out.size())));
        if (!parsed) {
            return makeError(ErrorCode::ProtocolError, QStringLiteral("response shorter than 2 bytes"));
        }
        return *parsed;
    }
    QString description() const override { return QStringLiteral("In-process simulated key"); }

    skey::host::HostToken& token() { return m_token; }

private:
    skey::host::HostToken& m_token;
    bool m_needsPowerUp = false;
};

} // namespace wallet::core::test
