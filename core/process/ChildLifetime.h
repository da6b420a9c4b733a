// SPDX-License-Identifier: Apache-2.0
// Child processes that never outlive the program that started them (issue 17 item 13): the embedded simulator
// (device/EmbeddedSimulator) and the local bank host (core/bank/LocalBankHost). One place for the per-platform part.
#pragma once

#include <QtGlobal>

class QProcess;

namespace wallet::core {

/**
 * Ties a QProcess child's life to this process, however this process ends (a crash or SIGKILL included).
 *
 * * Linux: the child asks the kernel for SIGTERM when its parent thread ends (`PR_SET_PDEATHSIG`, set in the child
 *   between fork and exec); a parent already gone by then is caught by its pid and the child exits at once. Tested
 *   (`gui-wallet-signals`).
 * * Windows: the child is assigned, after it started, to one job object of this process created with
 *   `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE` and never closed by the program: when this process ends, the system closes
 *   the job's last handle and ends every process in it. **Not compiled or run here (no Windows build yet).** A
 *   child that started a process of its own before the assignment would leave that one outside the job (neither
 *   skey-sim nor skey-bank starts processes).
 * * macOS and other systems: nothing ties the child yet. The wallet still stops its children when it quits,
 *   including on SIGTERM and SIGINT; after a SIGKILL or a crash the child stays (docs/app.md, "Process hygiene").
 */
class ChildLifetime
{
public:
    /// Before `process.start()`: Linux installs the child-side modifier; elsewhere nothing.
    static void prepare(QProcess& process);
    /// After `process.start()` succeeded: Windows assigns the child to the kill-on-close job; elsewhere nothing.
    /// False when the assignment failed (the caller logs it; the child still runs, untied).
    [[nodiscard]] static bool adopt(QProcess& process);
    /// Whether a process with this pid exists now (another wallet program's bank host, found through its port file).
    /// POSIX: `kill(pid, 0)`; Windows: the process handle's exit code is still STILL_ACTIVE (untested, as above).
    [[nodiscard]] static bool isRunning(qint64 pid);
};

} // namespace wallet::core
