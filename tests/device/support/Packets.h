// SPDX-License-Identifier: Apache-2.0
// Test support: CTAPHID packets built and read byte by byte, independently of the production framing code, so a
// bug there cannot hide itself in the tests.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace testsupport {

using Packet = std::array<std::uint8_t, 64>;

inline Packet initPacket(
    std::uint32_t cid, std::uint8_t cmd, std::uint16_t bcnt, const std::vector<std::uint8_t>& data = {})
{
    Packet p{};
    p[0] = static_cast<std::uint8_t>(cid >> 24);
    p[1] = static_cast<std::uint8_t>(cid >> 16);
    p[2] = static_cast<std::uint8_t>(cid >> 8);
    p[3] = static_cast<std::uint8_t>(cid);
    p[4] = static_cast<std::uint8_t>(cmd | 0x80);
    p[5] = static_cast<std::uint8_t>(bcnt >> 8);
    p[6] = static_cast<std::uint8_t>(bcnt);
    std::copy_n(data.begin(), std::min<std::size_t>(data.size(), 57), p.begin() + 7);
    return p;
}

inline Packet contPacket(std::uint32_t cid, std::uint8_t seq, const std::vector<std::uint8_t>& data = {})
{
    Packet p{};
    p[0] = static_cast<std::uint8_t>(cid >> 24);
    p[1] = static_cast<std::uint8_t>(cid >> 16);
    p[2] = static_cast<std::uint8_t>(cid >> 8);
    p[3] = static_cast<std::uint8_t>(cid);
    p[4] = seq;
    std::copy_n(data.begin(), std::min<std::size_t>(data.size(), 59), p.begin() + 5);
    return p;
}

/// A whole message as packets.
inline std::vector<Packet> message(std::uint32_t cid, std::uint8_t cmd, const std::vector<std::uint8_t>& payload)
{
    std::vector<Packet> out;
    out.push_back(initPacket(cid, cmd, static_cast<std::uint16_t>(payload.size()), payload));
    std::size_t at = std::min<std::size_t>(payload.size(), 57);
    for (std::uint8_t seq = 0; at < payload.size(); ++seq) {
        const std::size_t take = std::min<std::size_t>(59, payload.size() - at);
        out.push_back(
            contPacket(cid, seq, std::vector<std::uint8_t>(payload.begin() + at, payload.begin() + at + take)));
        at += take;
    }
    return out;
}

inline std::uint32_t cidOf(const Packet& p)
{
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}

struct Message
{
    std::uint32_t cid = 0;
    std::uint8_t cmd = 0; ///< without bit 7
    std::vector<std::uint8_t> payload;
    bool complete = false;
};

/// Decodes a stream of token → host packets into messages (assumes the token's output is well formed; a missing
/// continuation leaves complete = false).
inline std::vector<Message> decode(const std::vector<Packet>& packets)
{
    std::vector<Message> out;
    std::size_t want = 0;
    for (const auto& p : packets) {
        if (p[4] & 0x80) {
            Message m;
            m.cid = cidOf(p);
            m.cmd = p[4] & 0x7F;
            want = (std::size_t(p[5]) << 8) | p[6];
            m.payload.assign(p.begin() + 7, p.begin() + 7 + std::min<std::size_t>(want, 57));
            m.complete = m.payload.size() == want;
            out.push_back(m);
        } else if (!out.empty() && !out.back().complete) {
            auto& m = out.back();
            const std::size_t take = std::min<std::size_t>(59, want - m.payload.size());
            m.payload.insert(m.payload.end(), p.begin() + 5, p.begin() + 5 + take);
            m.complete = m.payload.size() == want;
        }
    }
    return out;
}

} // namespace testsupport
