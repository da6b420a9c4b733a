// SPDX-License-Identifier: Apache-2.0
// The portable software engine (firmware/platform/soft, used by the Cortex-M4 test image) against Botan (HostCrypto):
// FIPS 46 / GB/T 32907 known answers, then 2,000 random keys and blocks per cipher and direction must agree.
#include "HostCrypto.h"
#include "SoftCrypto.h"
#include "TokenDriver.h"

#include <QtTest>

#include <random>

using namespace skey;
using namespace skey::test;

class TestSoftCrypto : public QObject
{
    Q_OBJECT

private slots:
    void knownAnswers();
    void agreesWithBotan();
};

void TestSoftCrypto::knownAnswers()
{
    soft::SoftCrypto soft;
    std::array<std::uint8_t, 8> out8{};
    const auto k8 = hex("133457799BBCDFF1");
    const auto p8 = hex("0123456789ABCDEF");
    QVERIFY(soft.desEncrypt(
        std::span<const std::uint8_t, 8>(k8.data(), 8), std::span<const std::uint8_t, 8>(p8.data(), 8), out8));
    QCOMPARE(toHex(Bytes(out8.begin(), out8.end())), std::string("85E813540F0AB405"));
    std::array<std::uint8_t, 16> out16{};
    const auto k16 = hex("0123456789ABCDEFFEDCBA9876543210");
    QVERIFY(soft.sm4Encrypt(key16(k16), key16(k16), out16));
    QCOMPARE(toHex(Bytes(out16.begin(), out16.end())), std::string("681EDF34D206965E86B3E94F536E4246"));
}

void TestSoftCrypto::agreesWithBotan()
{
    soft::SoftCrypto soft;
    host::HostCrypto botan;
    std::mt19937_64 rng(4242);
    auto fill = [&](auto& a) {
        for (auto& x : a) {
            x = static_cast<std::uint8_t>(rng());
        }
    };
    for (int i = 0; i < 2000; ++i) {
        std::array<std::uint8_t, 16> key{};
        std::array<std::uint8_t, 8> b8{};
        std::array<std::uint8_t, 16> b16{};
        fill(key);
        fill(b8);
        fill(b16);
        const std::span<const std::uint8_t, 8> k8(key.data(), 8);
        std::array<std::uint8_t, 8> s8{};
        std::array<std::uint8_t, 8> h8{};
        std::array<std::uint8_t, 16> s16{};
        std::array<std::uint8_t, 16> h16{};
        QVERIFY(soft.desEncrypt(k8, b8, s8) && botan.desEncrypt(k8, b8, h8));
        QCOMPARE(s8, h8);
        QVERIFY(soft.desDecrypt(k8, b8, s8) && botan.desDecrypt(k8, b8, h8));
        QCOMPARE(s8, h8);
        QVERIFY(soft.tdesEncrypt(key, b8, s8) && botan.tdesEncrypt(key, b8, h8));
        QCOMPARE(s8, h8);
        QVERIFY(soft.tdesDecrypt(key, b8, s8) && botan.tdesDecrypt(key, b8, h8));
        QCOMPARE(s8, h8);
        QVERIFY(soft.sm4Encrypt(key, b16, s16) && botan.sm4Encrypt(key, b16, h16));
        QCOMPARE(s16, h16);
        QVERIFY(soft.sm4Decrypt(key, b16, s16) && botan.sm4Decrypt(key, b16, h16));
        QCOMPARE(s16, h16);
    }
}

QTEST_GUILESS_MAIN(TestSoftCrypto)
#include "TestSoftCrypto.moc"
