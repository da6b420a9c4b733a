// SPDX-License-Identifier: Apache-2.0
// Command APDU parsing (ISO/IEC 7816-3 cases 1–4, short and extended) and a bounded response writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace skey {

/// Response data bytes in one answer at most (a short Le 00); more waits for GET RESPONSE (docs/transport.md).
inline constexpr std::size_t kMaxResponseData = 256;

struct Apdu
{
    std::uint8_t cla = 0;
    std::uint8_t ins = 0;
    std::uint8_t p1 = 0;
    std::uint8_t p2 = 0;
    std::span<const std::uint8_t> data; ///< empty when there is no Lc
    bool hasLe = false;
    std::uint32_t ne = 0; ///< expected response length (Le 00 = 256, extended 0000 = 65536)
    bool leIsMax = false; ///< Le was 00 (or 0000): "as much as available"
};

/// Splits `command` into its fields; false when its length is inconsistent with the Lc/Le encoding.
[[nodiscard]] bool parseApdu(std::span<const std::uint8_t> command, Apdu& out);

/// Appends to a caller-owned response buffer, always leaving room for SW1 SW2.
class ResponseWriter
{
public:
    explicit ResponseWriter(std::span<std::uint8_t> buffer)
        : m_buffer(buffer)
    { }
    void put(std::uint8_t b)
    {
        if (m_size + 2 < m_buffer.size()) {
            m_buffer[m_size++] = b;
        }
    }
    void put(std::span<const std::uint8_t> bytes)
    {
        for (const std::uint8_t b : bytes) {
            put(b);
        }
    }
    void put16(std::uint16_t v)
    {
        put(static_cast<std::uint8_t>(v >> 8));
        put(static_cast<std::uint8_t>(v));
    }
    void put32(std::uint32_t v)
    {
        put16(static_cast<std::uint16_t>(v >> 16));
        put16(static_cast<std::uint16_t>(v));
    }
    void reset() { m_size = 0; }
    /// Keeps the first `n` bytes written (PIV: the rest waits for GET RESPONSE).
    void truncate(std::size_t n)
    {
        if (n < m_size) {
            m_size = n;
        }
    }
    /// The bytes written so far.
    [[nodiscard]] std::span<const std::uint8_t> written() const { return m_buffer.first(m_size); }
    [[nodiscard]] std::size_t size() const { return m_size; }
    /// Appends SW1 SW2 and returns the total length.
    std::size_t finish(std::uint16_t sw)
    {
        m_buffer[m_size] = static_cast<std::uint8_t>(sw >> 8);
        m_buffer[m_size + 1] = static_cast<std::uint8_t>(sw);
        return m_size + 2;
    }

private:
    std::span<std::uint8_t> m_buffer;
    std::size_t m_size = 0;
};

} // namespace skey
