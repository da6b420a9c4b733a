// SPDX-License-Identifier: Apache-2.0
#include "device/HidReassembler.h"

#include "device/HidFraming.h"

#include <algorithm>

namespace wallet::device {

using namespace skey::wire;

HidReassembler::HidReassembler(std::uint32_t cid)
    : m_cid(cid)
{ }

void HidReassembler::setCid(std::uint32_t cid)
{
    m_cid = cid;
    reset();
}

void HidReassembler::reset()
{
    m_active = false;
    m_expected = 0;
    m_nextSeq = 0;
    m_buffer.clear();
}

HidReassembler::Outcome HidReassembler::feed(const Report& report)
{
    Outcome out;
    if (HidFraming::cidOf(report) != m_cid) {
        return out; // another program's channel
    }
    const auto* bytes = reinterpret_cast<const char*>(report.data());
    if (HidFraming::isInitPacket(report)) {
        if (m_active) {
            reset();
            out.status = Status::Malformed;
            out.problem = QStringLiteral("new message started before the previous one was complete");
            return out;
        }
        const int bcnt = (report[5] << 8) | report[6];
        if (static_cast<std::size_t>(bcnt) > kMaxMessageSize) {
            out.status = Status::Malformed;
            out.problem = QStringLiteral("message length %1 exceeds %2").arg(bcnt).arg(kMaxMessageSize);
            return out;
        }
        m_cmd = HidFraming::commandOf(report);
        m_expected = bcnt;
        m_nextSeq = 0;
        m_buffer.clear();
        m_buffer.reserve(bcnt);
        m_buffer.append(bytes + kInitHeaderSize, std::min<int>(bcnt, static_cast<int>(kInitDataSize)));
        m_active = true;
    } else {
        if (!m_active) {
            return out; // continuation with no open message
        }
        if (report[4] != m_nextSeq) {
            const int got = report[4];
            const int want = m_nextSeq;
            reset();
            out.status = Status::Malformed;
            out.problem = QStringLiteral("continuation SEQ %1, expected %2").arg(got).arg(want);
            return out;
        }
        ++m_nextSeq;
        const int take = std::min<int>(m_expected - static_cast<int>(m_buffer.size()), static_cast<int>(kContDataSize));
        m_buffer.append(bytes + kContHeaderSize, take);
    }
    if (m_buffer.size() < m_expected) {
        out.status = Status::NeedMore;
        return out;
    }
    out.status = Status::Complete;
    out.cmd = m_cmd;
    out.payload = m_buffer;
    reset();
    return out;
}

} // namespace wallet::device
