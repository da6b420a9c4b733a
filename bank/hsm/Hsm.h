// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "core/crypto/Bytes.h"

#include <QByteArray>

#include <p11-kit/pkcs11.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace wallet::bank {

using core::Result;
using core::SecureBytes;

/**
 * @brief The bank's HSM over PKCS#11 (docs/bank.md §8): a module loaded by path (dlopen; SoftHSM2 by default), one
 * token found by label, logged in once per process. Master keys are token objects (sensitive, not extractable,
 * not modifiable) found by label (`mlk.v1`); every card key and session key is a session object derived in the
 * token for one request (§8.2, §8.3) and destroyed when that request's session closes.
 *
 * Thread-safe: each operation opens its own session (the module is initialised with CKF_OS_LOCKING_OK); the
 * process-wide login is held by one session kept open for the lifetime of this object.
 */
class Hsm
{
public:
    ~Hsm();
    Hsm(const Hsm&) = delete;
    Hsm& operator=(const Hsm&) = delete;

    /// Loads and initialises the module (C_Initialize with OS locking).
    [[nodiscard]] static Result<std::unique_ptr<Hsm>> load(const std::string& modulePath);

    /// Initialises a fresh token with this label in the first free slot and sets its user PIN.
    [[nodiscard]] Result<void> initToken(
        const std::string& label, const SecureBytes& soPin, const SecureBytes& userPin);
    /// Finds the token by label and logs in as its user (once per process).
    [[nodiscard]] Result<void> login(const std::string& label, const SecureBytes& userPin);

    /// Master keys (§8.2): a DES2 key generated in the token, or imported (test folders only: the golden vectors).
    [[nodiscard]] Result<void> generateDes2(const std::string& label);
    [[nodiscard]] Result<void> importDes2(const std::string& label, const SecureBytes& value);
    /// The request-fingerprint key (§6.1): a 32-byte generic secret for CKM_SHA256_HMAC.
    [[nodiscard]] Result<void> generateHmacKey(const std::string& label);
    [[nodiscard]] Result<bool> hasKey(const std::string& label);

    /**
     * The transaction MAC of spec §5.2 (3DES profile): DK = diversify(master, ASN) and the session key from `seed8`
     * are derived in the token with CKM_DES3_ECB_ENCRYPT_DATA (the session key as the equal-halves DES2 key S'‖S',
     * which is single DES with S'), then CKM_DES3_CBC with IV 0 over the data with padding 2; MAC = the left 4
     * bytes of the last block. Used for MAC1 (verified) and MAC2 (made).
     */
    [[nodiscard]] Result<QByteArray> transactionMac(
        const std::string& masterLabel, const QByteArray& asn8, const QByteArray& seed8, const QByteArray& data);
    /**
     * The TAC of spec §5.2: single-DES CBC-MAC with DTK_L XOR DTK_R. SoftHSM 2.6 cannot XOR two halves of a key
     * (§8.4), so DTK is derived in the token as an extractable session object, read into a wiped buffer, combined
     * and used by core's crypto facade, and wiped. The master MTK never leaves the token. (The design moves this
     * step into the separate process `skey-keyd`; until that exists it runs here, see docs/bank.md "Status".)
     */
    [[nodiscard]] Result<QByteArray> tac(const std::string& mtkLabel, const QByteArray& asn8, const QByteArray& data);
    /**
     * The single-DES TAC key of one card (DTK_L XOR DTK_R, 8 bytes, in a wiped buffer), derived in the token as in
     * tac(). For a settlement batch (docs/bank.md §9.4): one derivation per card and batch instead of one token
     * session per record; the caller computes each record's TAC with CardCrypto::desMac and wipes the key when the
     * batch is done. The master MTK never leaves the token.
     */
    [[nodiscard]] Result<SecureBytes> tacKey(const std::string& mtkLabel, const QByteArray& asn8);
    /**
     * A per-card or per-device key derived in the token for one operation (spec §5.1, docs/bank.md §8.3):
     * K = 3DES(master, f) ‖ 3DES(master, NOT f), with f the ASN (card keys from MAMK, MPUK, …) or the device serial
     * (the transport key KT from the manufacturer master `mkt`, docs/bank.md §8.6).
     */
    struct DerivedKey
    {
        std::string master; ///< token label, e.g. "mamk.v1", "mkt.v1"
        QByteArray factor; ///< 8 bytes
    };
    /// 3DES-ECB of whole 8-byte blocks with a derived key (EXTERNAL AUTHENTICATE's cryptogram, spec §5.3).
    [[nodiscard]] Result<QByteArray> encryptBlocks(const DerivedKey& key, const QByteArray& blocks);
    /// 3DES-ECB(K, len ‖ fields ‖ 80 00…) (PIN blocks of PIN UNBLOCK / RELOAD PIN / WRITE KEY PIN, spec §3, §6).
    [[nodiscard]] Result<QByteArray> encryptWithLength(const DerivedKey& key, const SecureBytes& fields);
    /**
     * The secure-messaging MAC of spec §5.3 (ISO 9797-1 algorithm 3, padding 2) in the token: the left half is
     * derived as the equal-halves key K_L ‖ K_L (3DES(master, f ‖ f)), CBC over all blocks but the last with
     * IV = `iv8`, then the last block with the full key and the chaining value as IV. Returns the left 4 bytes.
     */
    [[nodiscard]] Result<QByteArray> retailMac(const DerivedKey& key, const QByteArray& iv8, const QByteArray& data);
    /**
     * The key a WRITE KEY block carries: a per-card key derived in the token from `master` with `factor` (a
     * cardholder key's DLK, DPK, …, spec §6 step 2), or, made by masterItself(), a master itself (a PSAM's purchase
     * master `mpk.vN`: the PSAM diversifies each card's DPK from it, docs/psam.md, docs/bank.md §8.6).
     */
    struct BlockKey
    {
        BlockKey(std::string masterLabel, QByteArray factor8)
            : key{std::move(masterLabel), std::move(factor8)}
        { }
        [[nodiscard]] static BlockKey masterItself(std::string label)
        {
            BlockKey k(std::move(label), {});
            k.wholeMaster = true;
            return k;
        }
        DerivedKey key;
        bool wholeMaster = false;
    };
    /**
     * WRITE KEY's ENC (spec §6 step 2): 3DES-ECB(KT, 13 ‖ keyIndex ‖ keyVersion ‖ algID ‖ key ‖ 80 00…). The key
     * starts at byte 4, across block boundaries, so no PKCS#11 wrap produces this (docs/bank.md §8.4): the key is read
     * into a wiped buffer for this one call and the block is encrypted under KT inside the token. A derived card key
     * is derived as an extractable session object and read; a master (sensitive, extractable only wrapped) is wrapped
     * in the token under a one-call AES session key and opened here. The masters and KT never leave the token in
     * clear; a master that is not extractable (every master but `mpk`, or an `mpk` made before PSAM provisioning)
     * → InvalidState. (The design moves this step into `skey-keyd`, like the TAC.)
     */
    [[nodiscard]] Result<QByteArray> writeKeyBlock(const DerivedKey& transportKey,
        const BlockKey& key,
        std::uint8_t keyIndex,
        std::uint8_t keyVersion,
        std::uint8_t algId);
    /// HMAC-SHA256 with a token key (request fingerprints, §6.1).
    [[nodiscard]] Result<QByteArray> hmacSha256(const std::string& label, const QByteArray& data);

    /// An EC P-256 key pair in the token (the order-signing key, §8.2): private key sensitive, not extractable.
    [[nodiscard]] Result<void> generateEcP256(const std::string& label);
    [[nodiscard]] Result<bool> hasEcKey(const std::string& label);
    /// The public point of that pair, uncompressed (65 bytes, 04 ‖ X ‖ Y).
    [[nodiscard]] Result<QByteArray> ecPublicPoint(const std::string& label);
    /// CKM_ECDSA over a 32-byte SHA-256 digest: r ‖ s, 64 bytes (the JWS ES256 form, RFC 7518 §3.4).
    [[nodiscard]] Result<QByteArray> ecdsaSign(const std::string& label, const QByteArray& digest32);
    /**
     * Imports an EC P-256 key pair that was a file (the migration `bankctl keys terminal-ca --import`, docs/bank.md
     * §5): the private scalar (32 bytes, wiped buffer) becomes a token object that is sensitive, not extractable and
     * not modifiable, the point (65 bytes, 04 ‖ X ‖ Y) its public object. CKA_NEVER_EXTRACTABLE stays false, truly:
     * the key was outside the token once.
     */
    [[nodiscard]] Result<void> importEcP256(
        const std::string& label, const SecureBytes& scalar32, const QByteArray& point65);
    /// How a private key is protected, read from the token (CKA_SENSITIVE, CKA_EXTRACTABLE, CKA_ALWAYS_SENSITIVE,
    /// CKA_NEVER_EXTRACTABLE).
    struct KeyProtection
    {
        bool sensitive = false;
        bool extractable = true;
        bool alwaysSensitive = false;
        bool neverExtractable = false;
    };
    [[nodiscard]] Result<KeyProtection> privateKeyProtection(const std::string& label);

private:
    Hsm(void* dl, CK_FUNCTION_LIST_PTR f);
    class Session;
    [[nodiscard]] Result<unsigned long> findKey(unsigned long session, const std::string& label);
    [[nodiscard]] Result<unsigned long> findObject(unsigned long session, const std::string& label, unsigned long cls);
    [[nodiscard]] Result<unsigned long> deriveDes2(
        unsigned long session, unsigned long base, const QByteArray& data16, bool extractable);
    [[nodiscard]] Result<unsigned long> deriveFrom(
        unsigned long session, const DerivedKey& key, bool extractable, bool leftHalfOnly = false);
    [[nodiscard]] Result<QByteArray> encrypt(unsigned long session,
        unsigned long key,
        unsigned long mechanism,
        const QByteArray& iv,
        const QByteArray& data);
    [[nodiscard]] Result<unsigned long> findSlot(const std::string& label, bool wantInitialised);
    /// A DES2 master: generated in the token (`value` null) or imported; the same attributes either way.
    [[nodiscard]] Result<void> createDes2(const std::string& label, const SecureBytes* value);
    /// The 16-byte value of a derived card key, or of a master opened from its wrap (writeKeyBlock), wiped buffer.
    [[nodiscard]] Result<SecureBytes> derivedKeyValue(unsigned long session, const DerivedKey& key);
    [[nodiscard]] Result<SecureBytes> wrappedMasterValue(unsigned long session, const std::string& label);

    void* m_dl = nullptr;
    CK_FUNCTION_LIST_PTR m_f = nullptr;
    unsigned long m_slot = 0;
    unsigned long m_loginSession = 0;
    bool m_loggedIn = false;
    std::mutex m_mutex;
    std::map<std::string, unsigned long> m_keys;
};

} // namespace wallet::bank
