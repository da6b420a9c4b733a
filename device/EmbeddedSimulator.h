// SPDX-License-Identifier: Apache-2.0
// The app's embedded default key: a `skey-sim` child process on loopback with ephemeral ports.
#pragma once

#include "core/Result.h"
#include "device/HidApduChannel.h"
#include "device/SimulatorControl.h"
#include "device/UdpTransport.h"

#include <QObject>
#include <QProcess>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

namespace wallet::core {
struct IssuanceProfile;
}

namespace wallet::device {

struct SimulatorOptions
{
    QString dataDirectory; ///< the NVM image lives here as token.nvm (created if missing); required
    /// Optional personalisation profile (JSON): start() issues a blank token from it over the HID port (core's
    /// Personaliser, the real §6 APDUs); a token already issued is left as it is.
    QString profilePath;
    QString serialHex; ///< optional 16 hex digits
    /// A NEW key (no NVM image yet) without serialHex gets a serial of the development manufacturer's lot
    /// (`534B0000` + 4 random bytes, the lot `bankctl keys manufacturer --development` imports), so that a bank holding
    /// that key can issue it; skey-sim keeps it in the image for later starts. Else skey-sim chooses ("SK" + 6 bytes).
    bool developmentLotSerial = false;
    /// The KT a blank simulated key is manufactured with (written to skey-sim's standard input, --kt-stdin): by
    /// default the shared spec's development KT, which the demo profiles use. Empty: the profile's KT with a profile,
    /// else skey-sim derives it from the development manufacturer key and the serial, as the bank host does for
    /// issuance (docs/firmware.md "Transport keys").
    QString transportKeyHex = QStringLiteral("4B544B544B544B544B544B544B544B54");
    std::optional<quint64> seed; ///< deterministic RNG
    QString touchMode = QStringLiteral("accept"); ///< manual | accept | refuse (how the "button" answers)
    bool pcsc = false; ///< also attach to pcscd through vpcd
    QString executable; ///< override the skey-sim path (else findExecutable())
    QStringList extraArguments;
    int startTimeoutMs = 15000;
};

/**
 * @brief Starts `skey-sim` (QProcess) with --hid-port 0 --control-port 0, reads the ports from its READY line,
 * stops it on destruction. Lives on the thread that created it; start() blocks until the simulator is ready or
 * failed (clear error text: binary not found, crashed, port in use, bad profile).
 */
class EmbeddedSimulator : public QObject
{
    Q_OBJECT
public:
    explicit EmbeddedSimulator(SimulatorOptions options, QObject* parent = nullptr);
    ~EmbeddedSimulator() override;

    /// Finds skey-sim: $SKEY_SIM_PATH, then beside the running executable, then the build tree path configured by
    /// CMake. `searched` receives the list of places tried (for the error message).
    [[nodiscard]] static QString findExecutable(QStringList* searched = nullptr);

    [[nodiscard]] core::Result<void> start();
    /// SIGTERM, wait up to 3 s, then SIGKILL.
    void stop();
    [[nodiscard]] bool isRunning() const;
    /// The child's process id (0 when not running), for diagnostics.
    [[nodiscard]] qint64 processId() const { return m_process ? m_process->processId() : 0; }

    [[nodiscard]] quint16 hidPort() const { return m_hidPort; }
    [[nodiscard]] quint16 controlPort() const { return m_controlPort; }
    [[nodiscard]] QString serialHex() const { return m_serial; }
    [[nodiscard]] QString nvmPath() const;
    [[nodiscard]] std::unique_ptr<UdpTransport> makeTransport() const;
    [[nodiscard]] std::unique_ptr<HidApduChannel> makeChannel(HidChannelOptions options = {}) const;
    [[nodiscard]] SimulatorControl control() const { return SimulatorControl(m_controlPort); }
    /// Everything the simulator wrote to stderr so far (diagnostics).
    [[nodiscard]] QString log() const;

signals:
    /// The child ended on its own (crash or exit) while it was supposed to run.
    void exitedUnexpectedly(int exitCode, const QString& message);

private:
    /// Starts skey-sim and waits for its READY line; ktHex (32 hex digits or empty) goes to its standard input.
    [[nodiscard]] core::Result<void> launch(const QString& exe, bool pcsc, const QByteArray& ktHex);
    [[nodiscard]] core::Result<void> issue(const core::IssuanceProfile& profile);

    SimulatorOptions m_options;
    QProcess* m_process = nullptr;
    quint16 m_hidPort = 0;
    quint16 m_controlPort = 0;
    QString m_serial;
    QByteArray m_stdout;
    mutable QByteArray m_stderr;
    bool m_stopping = false;
};

} // namespace wallet::device
