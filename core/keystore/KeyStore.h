// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Result.h"
#include "core/keystore/IssuerKeys.h"

#include <QString>

namespace wallet::core {

/**
 * @brief The issuer's master keys in a file encrypted under a passphrase: Argon2id (Botan PasswordHashFamily,
 * 64 MiB, 2 passes, 1 lane; a file asking for more than 256 MiB, 8 passes or 4 lanes is refused unread) derives a
 * 256-bit key that seals the keys with ChaCha20Poly1305 (AEAD; the header is the associated data). Written to a
 * temporary file and renamed. A wrong passphrase or a modified file fails authentication (ErrorCode::StorageError,
 * "wrong passphrase or damaged key store").
 */
class KeyStore
{
public:
    struct Loaded
    {
        IssuerMasterKeys keys;
        bool createdDemoKeys = false; ///< true: the file did not exist and demo keys were created (say so)
    };

    /// Opens `path`; when it does not exist, creates it with the public demo keys (those of
    /// tests/data/vectors/pboc.json) — never for real money — and reports createdDemoKeys.
    [[nodiscard]] static Result<Loaded> openOrCreateDemo(const QString& path, const SecureBytes& passphrase);
    [[nodiscard]] static Result<IssuerMasterKeys> load(const QString& path, const SecureBytes& passphrase);
    [[nodiscard]] static Result<void> save(
        const QString& path, const SecureBytes& passphrase, const IssuerMasterKeys& keys);
    /// The demo keys (MLK/MPK/MTK from the golden vectors; the others fixed demo values).
    [[nodiscard]] static IssuerMasterKeys demoKeys();
};

} // namespace wallet::core
