// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/crypto/CardCrypto.h"

#include <QByteArray>
#include <QJsonObject>

#include <cstdint>
#include <optional>

namespace wallet::bank::test {

/**
 * @brief The key's side of a load (spec §4, §5.2), for driving the bank as a terminal would: INITIALIZE FOR LOAD
 * answers balance, online ATC, a fresh random and MAC1; CREDIT FOR LOAD verifies MAC2 like the card does, credits,
 * moves the online ATC and answers the TAC. A purchase likewise (spec §4): INITIALIZE FOR PURCHASE answers balance,
 * offline ATC and a random; DEBIT FOR PURCHASE verifies the PSAM's MAC1 with SESPK, debits, moves the offline ATC
 * and answers TAC then MAC2. Keys: the golden-vector issuer masters diversified with the ASN by core's crypto facade
 * (Botan), independent of the bank's HSM path.
 */
class TestCard
{
public:
    TestCard(const QByteArray& mlk, const QByteArray& mtk, const QByteArray& asn, const QByteArray& mpk = {});

    struct Initialized
    {
        std::uint32_t balance = 0;
        std::uint16_t onlineAtc = 0;
        QByteArray random; ///< 4
        QByteArray mac1; ///< 4
    };
    /// The body of POST /v1/loads (authoriseLoad, 3DES, key index and version 1) for this INITIALIZE's answer.
    [[nodiscard]] static QJsonObject authoriseLoadBody(
        const QByteArray& asn, const Initialized& init, std::uint32_t amount, const QByteArray& terminal6);
    /// INITIALIZE FOR LOAD; opens a load session (replacing an older one).
    [[nodiscard]] Initialized initializeForLoad(std::uint32_t amount, const QByteArray& terminal6);
    /// CREDIT FOR LOAD with the bank's date, time and MAC2; the TAC, or nullopt when MAC2 does not verify (9302).
    [[nodiscard]] std::optional<QByteArray> creditForLoad(
        const QByteArray& date4, const QByteArray& time3, const QByteArray& mac2);
    /// GET TRANSACTION PROVE: the TAC of the last load.
    [[nodiscard]] QByteArray lastTac() const { return m_lastTac; }
    struct PurchaseInitialized
    {
        std::uint32_t balance = 0;
        std::uint16_t offlineAtc = 0;
        QByteArray random; ///< 4
    };
    /// The next INITIALIZE (load or purchase) answers this random instead of a fresh one (the golden vectors').
    void forceNextRandom(const QByteArray& random4) { m_forcedRandom = random4; }
    /// INITIALIZE FOR PURCHASE; opens a purchase session (replacing any open session).
    [[nodiscard]] PurchaseInitialized initializeForPurchase(std::uint32_t amount, const QByteArray& terminal6);
    struct Debit
    {
        QByteArray tac; ///< 4
        QByteArray mac2; ///< 4
    };
    /// DEBIT FOR PURCHASE with the PSAM's TSN, date, time and MAC1; TAC and MAC2, or nullopt when MAC1 does not
    /// verify (9302; the session ends, nothing is debited).
    [[nodiscard]] std::optional<Debit> debitForPurchase(
        std::uint32_t tsn, const QByteArray& date4, const QByteArray& time3, const QByteArray& mac1);
    /**
     * An offline sale at a kiosk (docs/bank.md §9.4): the kiosk's PSAM `psam6` (here in software, the tests' PSAM:
     * MAC1 with this key's DPK) and the key (INITIALIZE FOR PURCHASE, DEBIT FOR PURCHASE) at the card time
     * 2025-01-02 09:30:00. Returns the settlement record of PUT /v1/settlement/batches for the key `asnHex`, or an
     * empty object when the key refused (balance too low, no MPK given).
     */
    [[nodiscard]] QJsonObject offlineSale(
        std::uint32_t amount, std::uint32_t tsn, const QByteArray& psam6, const QString& asnHex);
    /// The key's balance as it stands when this model takes over a key loaded elsewhere (a simulated key that
    /// walletctl loaded through the bank): the model then debits from it like the key.
    void assumeBalance(std::uint32_t fen) { m_balance = fen; }
    /// GET TRANSACTION PROVE of the last purchase: its MAC2 and TAC.
    [[nodiscard]] Debit lastPurchase() const { return m_lastDebit; }
    [[nodiscard]] std::uint16_t offlineAtc() const { return m_offlineAtc; }
    [[nodiscard]] std::uint32_t balance() const { return m_balance; }
    [[nodiscard]] std::uint16_t onlineAtc() const { return m_atc; }

private:
    core::SecureBytes m_dlk;
    core::SecureBytes m_dtk;
    core::SecureBytes m_dpk;
    std::uint32_t m_balance = 0;
    std::uint16_t m_offlineAtc = 0;
    QByteArray m_forcedRandom;
    // The open purchase session
    bool m_purchaseOpen = false;
    QByteArray m_purchaseRandom;
    Debit m_lastDebit;
    std::uint16_t m_atc = 0;
    // The open load session
    bool m_open = false;
    core::SecureBytes m_sessionKey;
    std::uint32_t m_amount = 0;
    QByteArray m_terminal;
    QByteArray m_lastTac;
};

} // namespace wallet::bank::test
