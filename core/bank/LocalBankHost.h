// SPDX-License-Identifier: Apache-2.0
// The wallet's embedded default bank (issue 11, docs/bank.md §5 "Embedded default"): a `skey-bank` child process on
// loopback over a SQLite ledger and a SoftHSM token in <dataDir>/bank/, made by `bankctl init` on first use.
#pragma once

#include "core/Result.h"
#include "core/bank/BankClient.h"
#include "core/channel/ApduChannel.h"
#include "core/issuance/IssuanceProfile.h"
#include "core/issuance/Personaliser.h"

#include <QObject>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QUrl>

namespace wallet::core {

/**
 * @brief Runs the wallet's own local bank host, the default when no `bank-client.json` is configured.
 *
 * `start()` (blocking, on the thread that will destroy it):
 *  1. first use: `bankctl init --data <bank> --local-demo` (SQLite ledger, SoftHSM token, terminal CA, server
 *     certificate), `bankctl keys init` (the bank's own master keys, generated in its token) and `bankctl keys
 *     manufacturer --development` (the key that opens simulated keys, and their serial lot): a demo bank for the
 *     simulated key, never for real money. A folder made before by an older wallet (`--test`, the public DEMO master
 *     keys imported, marker `.demo-keys`) is kept as it is: legacyDemoKeys() (docs/bank.md §12);
 *  2. a `skey-bank --data <bank> --listen 127.0.0.1:0` already running on that folder (another wallet program: its
 *     port file `skey-bank.port` names its pid and port) is reused; else one is started as a child, its port read from
 *     `listening 127.0.0.1:<port>`; it gets SIGTERM when this object goes and, on Linux, when the thread that started
 *     it ends however the wallet ended (PR_SET_PDEATHSIG);
 *  3. first use: the wallet enrols itself as a terminal (`bankctl terminal enrol-code`, the code read from bankctl's
 *     standard output through a pipe, never on a command line; core::enrolTerminal), which writes
 *     `<bank>/wallet/bank-client.json` and its certificate and key.
 * The caller loads that configuration and replaces its URL with url() (the port changes every start).
 */
class LocalBankHost : public QObject
{
    Q_OBJECT
public:
    static constexpr const char* kFolder = "bank"; ///< under the wallet's data folder
    static constexpr const char* kClientFolder = "wallet"; ///< under kFolder: the wallet's terminal files
    static constexpr const char* kPortFile = "skey-bank.port";
    /// The wallet's terminal ID at its local bank (12 digits, the certificate's CN).
    static constexpr const char* kTerminalId = "990000000001";

    explicit LocalBankHost(QString bankDir, QObject* parent = nullptr);
    ~LocalBankHost() override;

    /// $SKEY_BANK_PATH / $SKEY_BANKCTL_PATH, then beside the running executable, then PATH.
    [[nodiscard]] static QString findExecutable(const QString& name, QStringList* searched = nullptr);

    [[nodiscard]] Result<void> start();
    void stop();

    [[nodiscard]] QUrl url() const;
    [[nodiscard]] QString clientConfigFile() const;
    [[nodiscard]] QString bankDir() const { return m_dir; }
    /// The child's pid (0 when this object reuses another program's bank or none runs).
    [[nodiscard]] qint64 processId() const;
    [[nodiscard]] bool ownsProcess() const { return m_process != nullptr; }

    /// A bank folder made by a wallet before this bank issued keys (marker `.demo-keys`): a `--test` folder holding
    /// the public DEMO master keys, whose simulated keys the wallet personalised itself. Kept working as it is.
    [[nodiscard]] bool legacyDemoKeys() const;
    /// Whether `bankDir` is such a folder (no file is touched).
    [[nodiscard]] static bool legacyDemoKeys(const QString& bankDir);

    /**
     * Issues the blank simulated key on `key` through this bank's issuance API with the branch station's client
     * (core::BranchStation, self-service demo issuance, docs/bank.md §12): the bank allocates the ASN and a DEMO
     * funding account and hands out the 19 personalisation commands under the key's KT, with card keys from its own
     * HSM; from `profile` only the limits, the cardholder's name, the first PIN and the initial funding are used
     * (never its keys). Then `profile.initialFunding` is deposited as DEMO funding. A key that is not blank:
     * InvalidState "already issued".
     */
    [[nodiscard]] Result<IssuanceResult> issueSimulatedKey(
        BankClient& bank, ApduChannel& key, const IssuanceProfile& profile);

    /// legacyDemoKeys() folders only: a simulated key's clearly labelled DEMO funding account at this bank, the card
    /// registered with holder `holder`, then `fen` deposited. A card the bank knows already is left alone (false).
    [[nodiscard]] Result<bool> ensureDemoAccount(const QByteArray& asn, const QString& holder, qint64 fen);

private:
    /// Runs bankctl with args (--data added); stdout into *out. Secrets never go into args.
    [[nodiscard]] Result<int> bankctl(QStringList args, QByteArray* out, QByteArray* err = nullptr) const;
    [[nodiscard]] Result<void> initialise();
    [[nodiscard]] Result<void> launch();
    [[nodiscard]] bool reuseRunning();
    [[nodiscard]] Result<void> enrol();
    /// `fen` from the bank's clearing account to the key's funding account, reference "DEMO funding <ASN>".
    [[nodiscard]] Result<void> depositDemoFunding(const QString& asnHex, qint64 fen);

    QString m_dir;
    QString m_bankctl;
    QProcess* m_process = nullptr;
    quint16 m_port = 0;
};

} // namespace wallet::core
