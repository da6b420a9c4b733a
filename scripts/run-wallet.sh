#!/usr/bin/env bash
# Builds and starts the wallet on the simulated key (the embedded default: no hardware; without a bank-client.json
# the wallet starts its own local bank host, skey-bank over SQLite + SoftHSM in <data>/bank/, as a child process).
# On a fresh Debian/Ubuntu machine it first installs what the project needs (scripts/setup-deps.sh).
#   scripts/run-wallet.sh [app options]     e.g. --lang zh_CN
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target smartkey-wallet skey-sim walletctl skey-bank bankctl
app=build/release/app/gui/smartkey-wallet
if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" && -z "${QT_QPA_PLATFORM:-}" ]]; then
    cat >&2 <<MSG
No display found (DISPLAY and WAYLAND_DISPLAY are unset), so the window cannot open here.
  * On a desktop: run this command from a terminal inside your graphical session.
  * Headless, with a virtual screen:   xvfb-run -a scripts/run-wallet.sh
  * Headless, no screen at all:        QT_QPA_PLATFORM=offscreen scripts/run-wallet.sh
  * The same wallet on the command line: build/release/app/cli/walletctl info   (see walletctl --help)
MSG
    exit 2
fi
exec "$app" "$@"
