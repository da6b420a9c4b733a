// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/channel/ApduChannel.h"
#include "core/crypto/Bytes.h"
#include "core/psam/Psam.h"

#include <vector>

namespace wallet::core {

/// A purchase master key for the PSAM card (WRITE KEY `84 D4 00 27`, docs/psam.md).
struct PsamMasterKey
{
    std::uint8_t index = 1;
    std::uint8_t version = 1;
    Algorithm algorithm = Algorithm::TripleDes;
    SecureBytes key; ///< 16 bytes: the issuer's MPK (each card's DPK is diversified from it inside the PSAM)
};

/// What GET STATUS (`80 F2 00 00 11`) answers.
struct PsamCardStatus
{
    std::uint8_t lifeCycle = 0; ///< 00 blank, 01 personalised, 03 blocked for good
    QByteArray terminalId; ///< 6
    std::uint32_t nextTsn = 0;
    int capacity = 0;
    std::vector<int> usedSlots; ///< 1-based record numbers in use
};

/**
 * @brief The PSAM card application (docs/psam.md) behind core's Psam interface, over any ApduChannel: a PC/SC
 * reader holding the SAM (device::PcscPsam), or an in-process token in tests. The purchase master key stays in the
 * card; the TSN and the records for settlement are the card's. Every call selects the PSAM AID first (the reader
 * may have been reset). Used on one thread.
 */
class CardPsam final : public Psam
{
public:
    /// Selects the PSAM and reads its terminal ID; refuses a PSAM that is not personalised.
    [[nodiscard]] static Result<std::unique_ptr<CardPsam>> open(ApduChannel& channel);

    [[nodiscard]] QByteArray terminalId() const override { return m_terminalId; }
    [[nodiscard]] Result<PurchaseAuthorisation> authorisePurchase(const PurchaseRequest& request) override;
    [[nodiscard]] Result<void> confirmPurchase(
        std::uint32_t tsn, const QByteArray& mac2, const QByteArray& tac) override;
    [[nodiscard]] Result<std::vector<UnconfirmedPurchase>> unconfirmed(const QByteArray& asn) override;
    [[nodiscard]] Result<void> abandon(std::uint32_t tsn) override;
    [[nodiscard]] Result<std::vector<SettlementRecord>> pendingSettlement() override;
    [[nodiscard]] Result<void> markSettled(const std::vector<std::uint32_t>& tsns) override;
    [[nodiscard]] Result<void> setAside(std::uint32_t tsn, const QString& reason) override;

    [[nodiscard]] Result<PsamCardStatus> status();

    /// SELECT the PSAM AID `D1 56 00 00 01 50 53 41 4D`.
    [[nodiscard]] static Result<void> select(ApduChannel& channel);
    [[nodiscard]] static Result<PsamCardStatus> readStatus(ApduChannel& channel);
    /**
     * The bank host's personalisation of a blank PSAM card (docs/psam.md §Personalisation): for each command a
     * fresh GET CHALLENGE, then WRITE KEY of each master key (ENC and MAC under the card's transport key KT), PUT
     * DATA terminal ID and first TSN, END PERSONALIZATION. The card's KT is usable only while its purse is blank.
     */
    [[nodiscard]] static Result<void> personalise(ApduChannel& channel,
        const SecureBytes& transportKey,
        const std::vector<PsamMasterKey>& keys,
        const QByteArray& terminalId,
        std::uint32_t firstTsn);

private:
    struct Record
    {
        std::uint8_t state = 0; ///< 1 authorised, 2 confirmed, 3 set aside
        SettlementRecord s;
    };
    explicit CardPsam(ApduChannel& channel, QByteArray terminalId)
        : m_channel(channel)
        , m_terminalId(std::move(terminalId))
    { }
    [[nodiscard]] Result<std::vector<Record>> records();
    [[nodiscard]] Result<void> recordState(std::uint8_t p1, std::uint32_t tsn, const QString& what);

    ApduChannel& m_channel;
    QByteArray m_terminalId;
};

} // namespace wallet::core
