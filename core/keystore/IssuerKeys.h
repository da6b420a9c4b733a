// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/crypto/Bytes.h"

namespace wallet::core {

/// The issuer's master keys (16 bytes each; the same bytes serve the 3DES and SM4 profiles). Card keys are
/// diversified from them with the ASN (spec §5.1). Held only in wiped memory; persisted only by KeyStore, encrypted.
struct IssuerMasterKeys
{
    SecureBytes mlk; ///< load → DLK
    SecureBytes mpk; ///< purchase → DPK
    SecureBytes mtk; ///< TAC → DTK
    SecureBytes mamk; ///< application maintenance → DAMK
    SecureBytes mpuk; ///< PIN unblock → DPUK
    SecureBytes mrpk; ///< PIN reload → DRPK
    SecureBytes meak; ///< external authentication → EAK
    SecureBytes miak; ///< internal authentication → IAK

    [[nodiscard]] bool complete() const
    {
        for (const SecureBytes* k : {&mlk, &mpk, &mtk, &mamk, &mpuk, &mrpk, &meak, &miak}) {
            if (k->size() != 16) {
                return false;
            }
        }
        return true;
    }
};

} // namespace wallet::core
