// SPDX-License-Identifier: Apache-2.0
// The wallet's embedded default bank (issue 11, docs/bank.md §5 "Embedded default"): a `skey-bank` child process on
// loopback over a SQLite ledger and a SoftHSM token in <dataDir>/bank/, made by `bankctl init` on first use.
#pragma once

#include "core/Result.h"

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
 *  1. first use: `bankctl init --data <bank> --test` (SQLite ledger, SoftHSM token, terminal CA, server certificate)
 *     and the public DEMO issuer master keys imported into the token (the keys the demo profile and the simulated key
 *     use; a demo bank, never for real money);
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

    /// A simulated key's clearly labelled DEMO funding account at this bank: the card registered with holder
    /// `holder`, then `fen` deposited with the reference "DEMO funding (local bank host)". A card the bank knows
    /// already is left alone (false).
    [[nodiscard]] Result<bool> ensureDemoAccount(const QByteArray& asn, const QString& holder, qint64 fen);

private:
    /// Runs bankctl with args (--data added); stdout into *out. Secrets never go into args.
    [[nodiscard]] Result<int> bankctl(QStringList args, QByteArray* out, QByteArray* err = nullptr) const;
    [[nodiscard]] Result<void> initialise();
    [[nodiscard]] Result<void> launch();
    [[nodiscard]] bool reuseRunning();
    [[nodiscard]] Result<void> enrol();

    QString m_dir;
    QString m_bankctl;
    QProcess* m_process = nullptr;
    quint16 m_port = 0;
};

} // namespace wallet::core
