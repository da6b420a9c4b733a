// SPDX-License-Identifier: Apache-2.0
// Byte helpers for the firmware: big-endian codecs, constant-time comparison with a hardened verdict, and a wipe
// the compiler cannot remove.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace skey {

/// A hardened security decision. The two values differ in many bits, so a single glitched bit or a zeroed register
/// never turns a refusal into a grant; code tests `== Verdict::Granted` explicitly and treats anything else as denied.
enum class Verdict : std::uint32_t { Granted = 0x5AC3A53Cu, Denied = 0xA53C5AC3u };

[[nodiscard]] inline std::uint16_t be16(const std::uint8_t* p)
{
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
[[nodiscard]] inline std::uint32_t be32(const std::uint8_t* p)
{
    return (static_cast<std::uint32_t>(p[0]) << 24) | (static_cast<std::uint32_t>(p[1]) << 16)
        | (static_cast<std::uint32_t>(p[2]) << 8) | p[3];
}
inline void putBe16(std::uint8_t* p, std::uint16_t v)
{
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}
inline void putBe32(std::uint8_t* p, std::uint32_t v)
{
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
}

/// Constant-time equality of two equal-length buffers (the time depends only on the length).
[[nodiscard]] inline Verdict ctEqual(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b)
{
    if (a.size() != b.size()) {
        return Verdict::Denied;
    }
    std::uint32_t diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff |= static_cast<std::uint32_t>(a[i] ^ b[i]);
    }
    // Branch-free mapping of diff == 0 to the hardened value.
    const std::uint32_t isZero = ((diff | (0u - diff)) >> 31) ^ 1u; // 1 when equal
    const std::uint32_t mask = 0u - isZero;
    return static_cast<Verdict>(
        (static_cast<std::uint32_t>(Verdict::Granted) & mask) | (static_cast<std::uint32_t>(Verdict::Denied) & ~mask));
}

/// Wipes a buffer holding a secret; the volatile stores cannot be optimised away.
inline void secureZero(std::span<std::uint8_t> buffer)
{
    volatile std::uint8_t* p = buffer.data();
    for (std::size_t i = 0; i < buffer.size(); ++i) {
        p[i] = 0;
    }
}

/// A fixed buffer for a secret (a key copy, an expected MAC, a decrypted PIN block) that is wiped on every exit
/// path of the scope that holds it, early returns included (spec §7 hygiene; docs/firmware.md "Secrets in RAM").
template <std::size_t N>
struct Wiped
{
    std::array<std::uint8_t, N> bytes{};
    Wiped() = default;
    Wiped(const Wiped&) = delete;
    Wiped& operator=(const Wiped&) = delete;
    ~Wiped() { secureZero(bytes); }
    [[nodiscard]] std::uint8_t* data() { return bytes.data(); }
    [[nodiscard]] const std::uint8_t* data() const { return bytes.data(); }
    [[nodiscard]] static constexpr std::size_t size() { return N; }
    operator std::span<std::uint8_t, N>() { return bytes; }
    operator std::span<const std::uint8_t, N>() const { return bytes; }
    operator std::span<std::uint8_t>() { return bytes; }
    operator std::span<const std::uint8_t>() const { return bytes; }
    std::uint8_t& operator[](std::size_t i) { return bytes[i]; }
    const std::uint8_t& operator[](std::size_t i) const { return bytes[i]; }
};

/// Copies `n` bytes (small, bounded copies; avoids pulling memcpy semantics into security reasoning).
inline void copyBytes(std::uint8_t* dst, const std::uint8_t* src, std::size_t n)
{
    for (std::size_t i = 0; i < n; ++i) {
        dst[i] = src[i];
    }
}

/// CRC-32 (IEEE 802.3, reflected, init and final XOR 0xFFFFFFFF), bitwise: small code, no table in flash.
[[nodiscard]] inline std::uint32_t crc32(std::span<const std::uint8_t> data, std::uint32_t crc = 0xFFFFFFFFu)
{
    for (const std::uint8_t byte : data) {
        crc ^= byte;
        for (int bit = 0; bit < 8; ++bit) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return crc;
}

} // namespace skey
