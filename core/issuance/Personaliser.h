// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "core/channel/ApduChannel.h"
#include "core/issuance/IssuanceProfile.h"

namespace wallet::core {

struct IssuanceResult
{
    QByteArray deviceSerial; ///< 8
    QByteArray applicationSerial; ///< 10
    QByteArray asn; ///< 8
    Algorithm algorithm = Algorithm::TripleDes;
};

/**
 * @brief Personalises a blank key over an ApduChannel, following spec §6 in one session: GET DATA (refuses a key
 * that is not blank, ErrorCode::InvalidState "already issued"), SELECT, GET CHALLENGE + EXTERNAL AUTHENTICATE with
 * KT, WRITE KEY ×8 + PIN (each with a fresh challenge), UPDATE BINARY SFI 0x15/0x16, PUT DATA 01..06,
 * END PERSONALIZATION. Card keys are diversified from the master keys with the ASN.
 * The terminal side calls it: walletctl issue, the embedded simulator with a profile (device/EmbeddedSimulator).
 */
class Personaliser
{
public:
    explicit Personaliser(ApduChannel& channel)
        : m_channel(channel)
    { }
    /// `masterKeys` overrides the profile's inline keys (when the profile has none it is required).
    [[nodiscard]] Result<IssuanceResult> personalise(
        const IssuanceProfile& profile, const IssuerMasterKeys* masterKeys = nullptr);

private:
    [[nodiscard]] Result<QByteArray> challenge(int length);
    /// Sends `cla ins p1 p2 Lc data MAC` with the retail MAC under `key` and a fresh 8-byte challenge (spec §5.3).
    [[nodiscard]] Result<QByteArray> sendWithMac(std::uint8_t cla,
        std::uint8_t ins,
        std::uint8_t p1,
        std::uint8_t p2,
        const QByteArray& data,
        const SecureBytes& key,
        const QString& what,
        bool sensitive);

    ApduChannel& m_channel;
};

} // namespace wallet::core
