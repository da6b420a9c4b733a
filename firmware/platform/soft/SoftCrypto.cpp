// SPDX-License-Identifier: Apache-2.0
// DES (FIPS 46-3) and SM4 (GB/T 32907-2016), one block at a time; round keys live on the stack and are wiped.
#include "SoftCrypto.h"

#include <array>
#include <cstddef>
#include <cstdint>

namespace skey::soft {
namespace {

// ---- DES ------------------------------------------------------------------------------------------------------
// Bit numbering as in FIPS 46-3: bit 1 is the most significant bit of the input.
// clang-format off
constexpr std::uint8_t kIp[64] = {
    58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4,
    62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8,
    57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3,
    61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7,
};
// clang-format on
// clang-format off
constexpr std::uint8_t kFp[64] = {
    40, 8, 48, 16, 56, 24, 64, 32, 39, 7, 47, 15, 55, 23, 63, 31,
    38, 6, 46, 14, 54, 22, 62, 30, 37, 5, 45, 13, 53, 21, 61, 29,
    36, 4, 44, 12, 52, 20, 60, 28, 35, 3, 43, 11, 51, 19, 59, 27,
    34, 2, 42, 10, 50, 18, 58, 26, 33, 1, 41, 9, 49, 17, 57, 25,
};
// clang-format on
// clang-format off
constexpr std::uint8_t kE[48] = {
    32, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9, 8, 9, 10, 11,
    12, 13, 12, 13, 14, 15, 16, 17, 16, 17, 18, 19, 20, 21, 20, 21,
    22, 23, 24, 25, 24, 25, 26, 27, 28, 29, 28, 29, 30, 31, 32, 1,
};
// clang-format on
// clang-format off
constexpr std::uint8_t kP[32] = {
    16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10,
    2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25,
};
// clang-format on
// clang-format off
constexpr std::uint8_t kPc1[56] = {
    57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2,
    59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36, 63, 55, 47, 39,
    31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37,
    29, 21, 13, 5, 28, 20, 12, 4,
};
// clang-format on
// clang-format off
constexpr std::uint8_t kPc2[48] = {
    14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4,
    26, 8, 16, 7, 27, 20, 13, 2, 41, 52, 31, 37, 47, 55, 30, 40,
    51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
};
// clang-format on
// clang-format off
constexpr std::uint8_t kShifts[16] = {
    1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1,
};
// clang-format on
// clang-format off
constexpr std::uint8_t kS[8][64] = {
    {14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8,
     4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0, 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13},
    {15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5,
     0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15, 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9},
    {10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1,
     13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7, 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12},
    {7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9,
     10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4, 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14},
    {2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6,
     4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14, 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3},
    {12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8,
     9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6, 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13},
    {4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6,
     1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2, 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12},
    {13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2,
     7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8, 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11},
};
// clang-format on

/// Picks bits `table[i]` (1-based, counted from the MSB of an `inBits`-bit value) into an `n`-bit result.
std::uint64_t permute(std::uint64_t in, const std::uint8_t* table, std::size_t n, std::size_t inBits)
{
    std::uint64_t out = 0;
    for (std::size_t i = 0; i < n; ++i) {
        out = (out << 1) | ((in >> (inBits - table[i])) & 1u);
    }
    return out;
}

std::uint64_t load64(std::span<const std::uint8_t, 8> b)
{
    std::uint64_t v = 0;
    for (const std::uint8_t x : b) {
        v = (v << 8) | x;
    }
    return v;
}

void store64(std::uint64_t v, std::span<std::uint8_t, 8> out)
{
    for (std::size_t i = 0; i < 8; ++i) {
        out[7 - i] = static_cast<std::uint8_t>(v >> (8 * i));
    }
}

template <typename T, std::size_t N>
void wipe(std::array<T, N>& a)
{
    volatile T* p = a.data();
    for (std::size_t i = 0; i < N; ++i) {
        p[i] = 0;
    }
}

struct DesKeySchedule
{
    std::array<std::uint64_t, 16> k{}; ///< 48-bit round keys
    explicit DesKeySchedule(std::uint64_t key)
    {
        const std::uint64_t cd = permute(key, kPc1, 56, 64);
        std::uint32_t c = static_cast<std::uint32_t>(cd >> 28) & 0x0FFFFFFFu;
        std::uint32_t d = static_cast<std::uint32_t>(cd) & 0x0FFFFFFFu;
        for (std::size_t r = 0; r < 16; ++r) {
            for (std::uint8_t s = 0; s < kShifts[r]; ++s) {
                c = ((c << 1) | (c >> 27)) & 0x0FFFFFFFu;
                d = ((d << 1) | (d >> 27)) & 0x0FFFFFFFu;
            }
            k[r] = permute((static_cast<std::uint64_t>(c) << 28) | d, kPc2, 48, 56);
        }
    }
    ~DesKeySchedule() { wipe(k); }
    DesKeySchedule(const DesKeySchedule&) = delete;
    DesKeySchedule& operator=(const DesKeySchedule&) = delete;
};

std::uint32_t feistel(std::uint32_t r, std::uint64_t k)
{
    const std::uint64_t x = permute(r, kE, 48, 32) ^ k;
    std::uint32_t s = 0;
    for (std::size_t i = 0; i < 8; ++i) {
        const auto six = static_cast<std::uint8_t>((x >> (42 - 6 * i)) & 0x3Fu);
        const auto row = static_cast<std::uint8_t>(((six & 0x20u) >> 4) | (six & 1u));
        const auto col = static_cast<std::uint8_t>((six >> 1) & 0x0Fu);
        s = (s << 4) | kS[i][row * 16 + col];
    }
    return static_cast<std::uint32_t>(permute(s, kP, 32, 32));
}

std::uint64_t desBlock(const DesKeySchedule& ks, std::uint64_t block, bool decrypt)
{
    const std::uint64_t ip = permute(block, kIp, 64, 64);
    std::uint32_t l = static_cast<std::uint32_t>(ip >> 32);
    std::uint32_t r = static_cast<std::uint32_t>(ip);
    for (std::size_t i = 0; i < 16; ++i) {
        const std::uint32_t t = r;
        r = l ^ feistel(r, ks.k[decrypt ? 15 - i : i]);
        l = t;
    }
    return permute((static_cast<std::uint64_t>(r) << 32) | l, kFp, 64, 64);
}

std::uint64_t keyHalf(std::span<const std::uint8_t, 16> key, std::size_t half)
{
    return load64(std::span<const std::uint8_t, 8>(key.data() + 8 * half, 8));
}

// ---- SM4 ------------------------------------------------------------------------------------------------------
// clang-format off
constexpr std::uint8_t kSm4Sbox[256] = {
    0xd6, 0x90, 0xe9, 0xfe, 0xcc, 0xe1, 0x3d, 0xb7, 0x16, 0xb6, 0x14, 0xc2, 0x28, 0xfb, 0x2c, 0x05,
    0x2b, 0x67, 0x9a, 0x76, 0x2a, 0xbe, 0x04, 0xc3, 0xaa, 0x44, 0x13, 0x26, 0x49, 0x86, 0x06, 0x99,
    0x9c, 0x42, 0x50, 0xf4, 0x91, 0xef, 0x98, 0x7a, 0x33, 0x54, 0x0b, 0x43, 0xed, 0xcf, 0xac, 0x62,
    0xe4, 0xb3, 0x1c, 0xa9, 0xc9, 0x08, 0xe8, 0x95, 0x80, 0xdf, 0x94, 0xfa, 0x75, 0x8f, 0x3f, 0xa6,
    0x47, 0x07, 0xa7, 0xfc, 0xf3, 0x73, 0x17, 0xba, 0x83, 0x59, 0x3c, 0x19, 0xe6, 0x85, 0x4f, 0xa8,
    0x68, 0x6b, 0x81, 0xb2, 0x71, 0x64, 0xda, 0x8b, 0xf8, 0xeb, 0x0f, 0x4b, 0x70, 0x56, 0x9d, 0x35,
    0x1e, 0x24, 0x0e, 0x5e, 0x63, 0x58, 0xd1, 0xa2, 0x25, 0x22, 0x7c, 0x3b, 0x01, 0x21, 0x78, 0x87,
    0xd4, 0x00, 0x46, 0x57, 0x9f, 0xd3, 0x27, 0x52, 0x4c, 0x36, 0x02, 0xe7, 0xa0, 0xc4, 0xc8, 0x9e,
    0xea, 0xbf, 0x8a, 0xd2, 0x40, 0xc7, 0x38, 0xb5, 0xa3, 0xf7, 0xf2, 0xce, 0xf9, 0x61, 0x15, 0xa1,
    0xe0, 0xae, 0x5d, 0xa4, 0x9b, 0x34, 0x1a, 0x55, 0xad, 0x93, 0x32, 0x30, 0xf5, 0x8c, 0xb1, 0xe3,
    0x1d, 0xf6, 0xe2, 0x2e, 0x82, 0x66, 0xca, 0x60, 0xc0, 0x29, 0x23, 0xab, 0x0d, 0x53, 0x4e, 0x6f,
    0xd5, 0xdb, 0x37, 0x45, 0xde, 0xfd, 0x8e, 0x2f, 0x03, 0xff, 0x6a, 0x72, 0x6d, 0x6c, 0x5b, 0x51,
    0x8d, 0x1b, 0xaf, 0x92, 0xbb, 0xdd, 0xbc, 0x7f, 0x11, 0xd9, 0x5c, 0x41, 0x1f, 0x10, 0x5a, 0xd8,
    0x0a, 0xc1, 0x31, 0x88, 0xa5, 0xcd, 0x7b, 0xbd, 0x2d, 0x74, 0xd0, 0x12, 0xb8, 0xe5, 0xb4, 0xb0,
    0x89, 0x69, 0x97, 0x4a, 0x0c, 0x96, 0x77, 0x7e, 0x65, 0xb9, 0xf1, 0x09, 0xc5, 0x6e, 0xc6, 0x84,
    0x18, 0xf0, 0x7d, 0xec, 0x3a, 0xdc, 0x4d, 0x20, 0x79, 0xee, 0x5f, 0x3e, 0xd7, 0xcb, 0x39, 0x48,
};
// clang-format on
// clang-format off
constexpr std::uint32_t kSm4Fk[4] = {
    0xa3b1bac6u, 0x56aa3350u, 0x677d9197u, 0xb27022dcu,
};
// clang-format on

constexpr std::uint32_t rotl(std::uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

std::uint32_t tau(std::uint32_t a)
{
    return static_cast<std::uint32_t>(kSm4Sbox[a >> 24]) << 24
        | static_cast<std::uint32_t>(kSm4Sbox[(a >> 16) & 0xFF]) << 16
        | static_cast<std::uint32_t>(kSm4Sbox[(a >> 8) & 0xFF]) << 8 | kSm4Sbox[a & 0xFF];
}

std::uint32_t load32(const std::uint8_t* p)
{
    return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16
        | static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}

void sm4Block(std::span<const std::uint8_t, 16> key,
    std::span<const std::uint8_t, 16> in,
    std::span<std::uint8_t, 16> out,
    bool decrypt)
{
    std::array<std::uint32_t, 32> rk{};
    std::array<std::uint32_t, 4> k{};
    for (std::size_t i = 0; i < 4; ++i) {
        k[i] = load32(key.data() + 4 * i) ^ kSm4Fk[i];
    }
    for (std::uint32_t i = 0; i < 32; ++i) {
        // CK_i: byte j is (4i + j) * 7 mod 256.
        std::uint32_t ck = 0;
        for (std::uint32_t j = 0; j < 4; ++j) {
            ck = (ck << 8) | (((4 * i + j) * 7) & 0xFFu);
        }
        const std::uint32_t t = tau(k[1] ^ k[2] ^ k[3] ^ ck);
        rk[i] = k[0] ^ t ^ rotl(t, 13) ^ rotl(t, 23);
        k[0] = k[1];
        k[1] = k[2];
        k[2] = k[3];
        k[3] = rk[i];
    }
    std::array<std::uint32_t, 4> x{};
    for (std::size_t i = 0; i < 4; ++i) {
        x[i] = load32(in.data() + 4 * i);
    }
    for (std::size_t i = 0; i < 32; ++i) {
        const std::uint32_t t = tau(x[1] ^ x[2] ^ x[3] ^ rk[decrypt ? 31 - i : i]);
        const std::uint32_t n = x[0] ^ t ^ rotl(t, 2) ^ rotl(t, 10) ^ rotl(t, 18) ^ rotl(t, 24);
        x[0] = x[1];
        x[1] = x[2];
        x[2] = x[3];
        x[3] = n;
    }
    for (std::size_t i = 0; i < 4; ++i) {
        const std::uint32_t w = x[3 - i];
        out[4 * i] = static_cast<std::uint8_t>(w >> 24);
        out[4 * i + 1] = static_cast<std::uint8_t>(w >> 16);
        out[4 * i + 2] = static_cast<std::uint8_t>(w >> 8);
        out[4 * i + 3] = static_cast<std::uint8_t>(w);
    }
    wipe(rk);
    wipe(k);
    wipe(x);
}

} // namespace

bool SoftCrypto::desEncrypt(
    std::span<const std::uint8_t, 8> key, std::span<const std::uint8_t, 8> in, std::span<std::uint8_t, 8> out)
{
    const DesKeySchedule ks(load64(key));
    store64(desBlock(ks, load64(in), false), out);
    return true;
}

bool SoftCrypto::desDecrypt(
    std::span<const std::uint8_t, 8> key, std::span<const std::uint8_t, 8> in, std::span<std::uint8_t, 8> out)
{
    const DesKeySchedule ks(load64(key));
    store64(desBlock(ks, load64(in), true), out);
    return true;
}

bool SoftCrypto::tdesEncrypt(
    std::span<const std::uint8_t, 16> key, std::span<const std::uint8_t, 8> in, std::span<std::uint8_t, 8> out)
{
    const DesKeySchedule k1(keyHalf(key, 0));
    const DesKeySchedule k2(keyHalf(key, 1));
    store64(desBlock(k1, desBlock(k2, desBlock(k1, load64(in), false), true), false), out);
    return true;
}

bool SoftCrypto::tdesDecrypt(
    std::span<const std::uint8_t, 16> key, std::span<const std::uint8_t, 8> in, std::span<std::uint8_t, 8> out)
{
    const DesKeySchedule k1(keyHalf(key, 0));
    const DesKeySchedule k2(keyHalf(key, 1));
    store64(desBlock(k1, desBlock(k2, desBlock(k1, load64(in), true), false), true), out);
    return true;
}

bool SoftCrypto::sm4Encrypt(
    std::span<const std::uint8_t, 16> key, std::span<const std::uint8_t, 16> in, std::span<std::uint8_t, 16> out)
{
    sm4Block(key, in, out, false);
    return true;
}

bool SoftCrypto::sm4Decrypt(
    std::span<const std::uint8_t, 16> key, std::span<const std::uint8_t, 16> in, std::span<std::uint8_t, 16> out)
{
    sm4Block(key, in, out, true);
    return true;
}

} // namespace skey::soft
