// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/crypto/CardCrypto.h"

#include <QByteArray>

#include <cstdint>
#include <optional>

namespace wallet::bank::test {

/**
 * @brief The key's side of a load (spec §4, §5.2), for driving the bank as a terminal would: INITIALIZE FOR LOAD
 * answers balance, online ATC, a fresh random and MAC1; CREDIT FOR LOAD verifies MAC2 like the card does, credits,
 * moves the online ATC and answers the TAC. Keys: the golden-vector issuer masters diversified with the ASN by
 * core's crypto facade (Botan), independent of the bank's HSM path.
 */
class TestCard
{
public:
    TestCard(const QByteArray& mlk, const QByteArray& mtk, const QByteArray& asn);

    struct Initialized
    {
        std::uint32_t balance = 0;
        std::uint16_t onlineAtc = 0;
        QByteArray random; ///< 4
        QByteArray mac1; ///< 4
    };
    /// INITIALIZE FOR LOAD; opens a load session (replacing an older one).
    [[nodiscard]] Initialized initializeForLoad(std::uint32_t amount, const QByteArray& terminal6);
    /// CREDIT FOR LOAD with the bank's date, time and MAC2; the TAC, or nullopt when MAC2 does not verify (9302).
    [[nodiscard]] std::optional<QByteArray> creditForLoad(
        const QByteArray& date4, const QByteArray& time3, const QByteArray& mac2);
    /// GET TRANSACTION PROVE: the TAC of the last load.
    [[nodiscard]] QByteArray lastTac() const { return m_lastTac; }
    [[nodiscard]] std::uint32_t balance() const { return m_balance; }
    [[nodiscard]] std::uint16_t onlineAtc() const { return m_atc; }

private:
    core::SecureBytes m_dlk;
    core::SecureBytes m_dtk;
    std::uint32_t m_balance = 0;
    std::uint16_t m_atc = 0;
    // The open load session
    bool m_open = false;
    core::SecureBytes m_sessionKey;
    std::uint32_t m_amount = 0;
    QByteArray m_terminal;
    QByteArray m_lastTac;
};

} // namespace wallet::bank::test
