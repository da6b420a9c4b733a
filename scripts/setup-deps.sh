#!/usr/bin/env bash
# Installs every system package SmartKey Wallet needs on Debian 12 / Ubuntu 22.04+.
# Idempotent: when everything is present it only runs dpkg-query and exits in well under a second.
# Works as root or through sudo. Set SKEY_SETUP_EXTRA="pkg ..." to add packages (e.g. the benchmark peers).
set -euo pipefail

packages=(
    # build tools
    build-essential cmake ninja-build pkg-config git clang clang-format clang-tidy libclang-rt-14-dev
    # docs checks (tests/docs: the bank API contract is YAML)
    python3 python3-yaml
    # Qt 6 (Core Gui Qml Quick QuickControls2 Sql Test QuickTest LinguistTools) and the QML modules the app imports
    qt6-base-dev qt6-base-dev-tools qt6-declarative-dev qt6-declarative-dev-tools qt6-tools-dev qt6-tools-dev-tools
    qt6-l10n-tools qt6-qpa-plugins libqt6sql6-sqlite libgl-dev libglx-dev libxkbcommon-dev libvulkan-dev
    qml6-module-qtqml qml6-module-qtquick qml6-module-qtquick-controls qml6-module-qtquick-layouts
    qml6-module-qtquick-window qml6-module-qtquick-templates qml6-module-qtqml-workerscript
    qml6-module-qtquick-dialogs qml6-module-qt-labs-folderlistmodel qml6-module-qttest qml6-module-qtcore
    # the bank host (bank/): HTTPS server, PostgreSQL client and server (tests start their own), PKCS#11 (SoftHSM2)
    libcpp-httplib-dev libpq-dev libsqlite3-dev postgresql libssl-dev openssl softhsm2 p11-kit libp11-kit-dev
    # N bank host instances behind a load balancer (docs/deployment.md; test_bank_two_instances)
    haproxy
    # crypto, USB HID
    libbotan-2-dev libhidapi-dev libudev-dev
    # GUI tests headless (xdotool clicks through the real executable), a CJK font so Simplified Chinese renders,
    # desktop-file-validate (resources-desktop-file)
    xvfb xauth xdotool fonts-wqy-microhei desktop-file-utils
    # the demo web shop's browser test (test_checkout_browser): headless Chromium driven over the DevTools protocol;
    # certutil/modutil/tstclnt for the browser's TLS client authentication with the key (test_browser_client_auth)
    chromium libnss3-tools
    # PC/SC: pcscd with the virtual reader, and standard clients for the tests
    pcscd vsmartcard-vpcd opensc libpcsclite-dev pcsc-tools yubico-piv-tool
    # the kiosk session's test (kiosk-cage): cage on wlroots' headless backend, its Xwayland, Qt's Wayland client, grim
    cage xwayland qt6-wayland grim
    # PKCS#11 clients for the tests of libsmartkey-pkcs11 (p11tool, the OpenSSL pkcs11 engine)
    gnutls-bin libengine-pkcs11-openssl
    # packaging (scripts/package-test.sh): lintian checks the DEBs; adduser for smartkey-bank's postinst
    lintian adduser
    # package-clean-root (label slow): the packages tried in a fresh minimal Debian root
    debootstrap
    # the Windows and macOS icons (scripts/make-icons.sh renders them; installer-icons checks them)
    librsvg2-bin icoutils icnsutils
    # firmware cross-build for Cortex-M
    gcc-arm-none-eabi libstdc++-arm-none-eabi-newlib libnewlib-arm-none-eabi
    # the firmware test image on an emulated Cortex-M4 (ctest label target: tests/target)
    qemu-system-arm
)
# shellcheck disable=SC2206
packages+=(${SKEY_SETUP_EXTRA:-})

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
    echo "setup-deps: all ${#packages[@]} packages present"
    exit 0
fi

if ! command -v apt-get >/dev/null; then
    echo "setup-deps: apt-get not found. This script covers Debian/Ubuntu; see README.md for Fedora, macOS and Windows." >&2
    exit 1
fi
sudo=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null; then sudo=(sudo); else
        echo "setup-deps: missing packages (${missing[*]}) and not root; run as root or install sudo" >&2
        exit 1
    fi
fi
echo "setup-deps: installing ${#missing[@]} package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists when they are missing or older than a day.
if [[ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages' -mmin -1440 2>/dev/null | head -n1)" ]]; then
    "${sudo[@]}" apt-get update -qq
fi
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup-deps: done"
