// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bank/hsm/Hsm.h"

#include <QString>

#include <memory>
#include <string>

namespace wallet::bank {

/**
 * @brief A bank host's data folder (docs/bank.md §5), written by `bankctl init`:
 *   bank.json       the database (`sqlite:<file>`, a relative file inside this folder, or a PostgreSQL conninfo),
 *                   the PKCS#11 module and token label, the test mark;
 *   ledger.sqlite   the embedded default's database (docs/bank.md §7.3), with its -wal, -shm and .lock files;
 *   hsm-pin         the token's user PIN (mode 0600; the embedded default, §8.1);
 *   softhsm2.conf   and softhsm/: SoftHSM2's token store, private to this folder;
 *   tls/            server.pem, server.key (0600) and ca.pem (the CA whose client certificates are accepted).
 */
struct BankConfig
{
    QString dataDir;
    std::string conninfo; ///< as Db::connect takes it: a relative SQLite file is made absolute in dataDir
    std::string storedConninfo; ///< as bank.json has it (a relative SQLite file stays relative); "" = conninfo
    std::string pkcs11Module;
    std::string tokenLabel = "skey-bank";
    bool test = false; ///< `bankctl init --test`: test-only commands and fault injection are allowed
    /// `bankctl init --local-demo`: the wallet's own demo bank on the cardholder's computer (core::LocalBankHost). Its
    /// keys are generated in its token, its manufacturer key is the development one (simulated keys only), and the
    /// wallet may issue its simulated key without staff (docs/bank.md §12 "Self-service demo issuance").
    bool localDemo = false;
    /// Only terminals in the registry (enrolled, or issued by `bankctl terminal issue`) may call: a certificate from
    /// the bank CA for a terminal ID the bank never enrolled is 401 terminal-unknown (docs/bank.md §3). `bankctl
    /// init` turns it on for new folders but test folders; `bankctl terminal require-enrolment on|off` changes it.
    bool enrolledTerminalsOnly = false;

    [[nodiscard]] static Result<BankConfig> load(const QString& dataDir);
    /// Sets both conninfos from what the operator typed (`--db`), relative to dataDir for a relative SQLite file.
    void setDatabase(const std::string& typed);
    [[nodiscard]] Result<void> save() const;
    [[nodiscard]] QString path(const QString& name) const { return dataDir + QLatin1Char('/') + name; }
    /// Points SoftHSM2 at this folder's token store (before the module is loaded).
    void exportSoftHsmConfig() const;
    [[nodiscard]] Result<SecureBytes> readHsmPin() const;
    /// Loads the module and logs in to this bank's token.
    [[nodiscard]] Result<std::unique_ptr<Hsm>> openHsm() const;
};

} // namespace wallet::bank
