// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "core/crypto/Bytes.h"

#include <QByteArray>

#include <cstdint>

namespace wallet::core {

/// algID of a key record (spec §5, §5.4).
enum class Algorithm : std::uint8_t {
    TripleDes = 0x00,
    Sm4 = 0x04,
};

/**
 * @brief The terminal's crypto facade (spec §5): DES/3DES/SM4 blocks, the PBOC MACs, key diversification and
 * session keys, over Botan. Botan exceptions stop here and become CryptoError values; keys are SecureBytes;
 * public data (MAC inputs, challenges) are QByteArray. Only Botan APIs kept by Botan 3 are used.
 */
class CardCrypto
{
public:
    /// One block: DES (8-byte key), 2-key 3DES EDE (16-byte key), SM4 (16-byte key, 16-byte block).
    [[nodiscard]] static Result<QByteArray> desEncryptBlock(const SecureBytes& key8, const QByteArray& block);
    [[nodiscard]] static Result<QByteArray> tdesEncryptBlock(const SecureBytes& key16, const QByteArray& block);
    [[nodiscard]] static Result<QByteArray> sm4EncryptBlock(const SecureBytes& key16, const QByteArray& block);

    /// ISO/IEC 9797-1 padding method 2 to `blockSize`: always 80, then 00s.
    [[nodiscard]] static QByteArray pad80(const QByteArray& data, int blockSize);
    /// MAC algorithm 1 with single DES, padding 2, given IV (spec §5.2: IV 0), left 4 bytes.
    [[nodiscard]] static Result<QByteArray> desMac(
        const SecureBytes& key8, const QByteArray& data, const QByteArray& iv = QByteArray(8, '\0'));
    /// MAC algorithm 3 ("retail MAC", spec §5.3), padding 2, IV 8 bytes, left 4 bytes.
    [[nodiscard]] static Result<QByteArray> retailMac(
        const SecureBytes& key16, const QByteArray& data, const QByteArray& iv);
    /// SM4-CBC MAC, padding 2 to 16, IV 0 (or the given 16-byte IV), left 4 bytes (spec §5.4).
    [[nodiscard]] static Result<QByteArray> sm4Mac(
        const SecureBytes& key16, const QByteArray& data, const QByteArray& iv = QByteArray(16, '\0'));
    /// The transaction MAC of a profile: desMac (3DES profile, 8-byte session key) or sm4Mac.
    [[nodiscard]] static Result<QByteArray> transactionMac(
        Algorithm alg, const SecureBytes& sessionKey, const QByteArray& data);

    /// Card key from an issuer master key (spec §5.1, §5.4).
    [[nodiscard]] static Result<SecureBytes> diversify(
        Algorithm alg, const SecureBytes& masterKey16, const QByteArray& asn8);
    /// Session key from the card key and the 8-byte seed (3DES: 8-byte key; SM4: 16-byte, seed ‖ NOT seed).
    [[nodiscard]] static Result<SecureBytes> sessionKey(
        Algorithm alg, const SecureBytes& cardKey, const QByteArray& seed8);
    /// Seeds of spec §5.2: load = rnd ‖ onlineATC ‖ 8000; purchase = rnd ‖ offlineATC ‖ TSN[2..3].
    [[nodiscard]] static QByteArray loadSeed(const QByteArray& rnd4, std::uint16_t onlineAtc);
    [[nodiscard]] static QByteArray purchaseSeed(const QByteArray& rnd4, std::uint16_t offlineAtc, std::uint32_t tsn);
    /// TAC key: DTK_L XOR DTK_R (3DES) or DTK itself (SM4).
    [[nodiscard]] static Result<SecureBytes> tacKey(Algorithm alg, const SecureBytes& dtk);

    /// 3DES-ECB(key, len ‖ data ‖ 80 00…) (spec §5.3, §6 WRITE KEY, PIN UNBLOCK). `data` is secret.
    [[nodiscard]] static Result<QByteArray> tdesEncryptWithLength(const SecureBytes& key16, const SecureBytes& data);
    /// The same with SM4-ECB and 16-byte blocks (spec §5.4).
    [[nodiscard]] static Result<QByteArray> sm4EncryptWithLength(const SecureBytes& key16, const SecureBytes& data);

    [[nodiscard]] static QByteArray random(int n);
    /// Constant-time equality of two MACs (false on different sizes).
    [[nodiscard]] static bool macEquals(const QByteArray& a, const QByteArray& b);
};

} // namespace wallet::core
