// SPDX-License-Identifier: Apache-2.0
// Host-side reassembly of the token's messages on one channel (spec/token-hid.md "Rules").
#pragma once

#include "device/Transport.h"

#include <QByteArray>
#include <QString>

#include <cstdint>

namespace wallet::device {

/**
 * @brief Collects the reports of one message addressed to `cid`. Reports for other channels are Ignored (hidraw
 * delivers every input report to every open handle), a continuation with no open message is Ignored, a wrong SEQ or
 * a new init packet mid-message is Malformed (the partial message is dropped), a BCNT above 7609 is Malformed
 * before anything is buffered.
 */
class HidReassembler
{
public:
    enum class Status : std::uint8_t { Ignored, NeedMore, Complete, Malformed };
    struct Outcome
    {
        Status status = Status::Ignored;
        std::uint8_t cmd = 0; ///< without bit 7, when Complete
        QByteArray payload; ///< when Complete
        QString problem; ///< when Malformed
    };

    explicit HidReassembler(std::uint32_t cid = skey::wire::kBroadcastCid);
    void setCid(std::uint32_t cid);
    [[nodiscard]] std::uint32_t cid() const { return m_cid; }
    /// Drops any partial message.
    void reset();
    [[nodiscard]] bool inProgress() const { return m_active; }
    [[nodiscard]] Outcome feed(const Report& report);

private:
    std::uint32_t m_cid;
    bool m_active = false;
    std::uint8_t m_cmd = 0;
    int m_expected = 0;
    std::uint8_t m_nextSeq = 0;
    QByteArray m_buffer;
};

} // namespace wallet::device
