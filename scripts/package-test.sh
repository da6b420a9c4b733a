#!/usr/bin/env bash
# Builds the Debian packages and tries them as a cardholder, a retail point, a branch and a bank would
# (docs/packaging.md, issue 16):
#   1. a Release build without sanitizers of the packaged targets only (ccache), then `cpack -G DEB`;
#   2. lintian on every package: an error tag not in installer/lintian-allowed.txt fails;
#   3. `apt-get install ./smartkey-*.deb` into this machine (root only; otherwise exit 77 = skipped), as an upgrade
#      from a stand-in for smartkey-wallet 0.1.0-1, which owned the udev rule (smartkey-udev Replaces/Breaks it);
#   4. `walletctl --version` prints the project version;
#   5. the installed wallet starts under Xvfb (no SKEY_SIM_PATH, started from /) on the installed skey-sim from PATH
#      and shows the blank simulated key; the installed kiosk (a config made with its own --hash-operator-pin) shows
#      its welcome screen, the installed branch station its sign-in page; their --version and desktop files;
#   6. the installed skey-bank, set up with the installed bankctl against a throw-away PostgreSQL (the installed
#      bank-postgres.sh), answers GET /v1/health with status ok;
#   7. `apt-get remove` leaves only configuration (/etc) behind; a purge then cleans up.
# Prints the package sizes and the install-to-first-window time.
#   scripts/package-test.sh [build-dir]      (default build/package; SKEY_PACKAGE_PREBUILT=1 skips the build step)
# For scripts/package-clean-root-test.sh, which runs this script again inside a fresh Debian root:
#   SKEY_PACKAGE_DEBS_OUT=<dir>   step 1 only (build, cpack; lintian is this script's own run), DEBs copied to <dir>
#   SKEY_PACKAGE_DEBS=<dir>       no build and no lintian (done by the run that made them): the DEBs in <dir> are tried
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build/package}
skip=77
say() { echo "package-test: $*"; }
die() {
    echo "package-test: FAIL: $*" >&2
    exit 1
}

[[ $(id -u) -eq 0 ]] || {
    say "SKIP: needs root (apt-get install into this machine)"
    exit $skip
}
given_debs=${SKEY_PACKAGE_DEBS:-}
debs_out=${SKEY_PACKAGE_DEBS_OUT:-}
tools=(dpkg-deb apt-get xvfb-run curl openssl setpriv desktop-file-validate)
[[ -n "$given_debs" || -n "$debs_out" ]] || tools+=(lintian)
for tool in "${tools[@]}"; do
    command -v "$tool" >/dev/null || die "$tool is missing: run scripts/setup-deps.sh"
done

# --- 1. build and package -----------------------------------------------------------------------------------------
version=$(sed -n 's/^project(SmartKeyWallet VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
[[ -n "$version" ]] || die "no version in CMakeLists.txt"
if [[ "${SKEY_PACKAGE_PREBUILT:-0}" != 1 && -z "$given_debs" ]]; then
    export CMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER:-ccache}
    export CMAKE_C_COMPILER_LAUNCHER=${CMAKE_C_COMPILER_LAUNCHER:-ccache}
    cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DWALLET_BUILD_TESTS=OFF -DWALLET_SANITIZERS= \
        -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
    cmake --build "$build" --target smartkey-wallet walletctl skey-sim skey-bank bankctl smartkey-kiosk \
        smartkey-branch branchctl package_changelog -j2
fi
out=$(mktemp -d /tmp/skey-package.XXXXXX)
chmod 755 "$out"
work=$(mktemp -d /tmp/skey-package-run.XXXXXX)
chmod 755 "$work"
pg_pid=""
bank_pid=""
installed=0
packages=(smartkey-udev smartkey-wallet smartkey-simulator smartkey-bank smartkey-kiosk smartkey-branch)
cleanup() {
    if ((installed)); then
        apt-get purge -y -qq "${packages[@]}" >/dev/null 2>&1 || true
    fi
    [[ -n "$bank_pid" ]] && kill "$bank_pid" 2>/dev/null || true
    [[ -n "$pg_pid" ]] && kill "$pg_pid" 2>/dev/null && wait "$pg_pid" 2>/dev/null || true
    rm -rf "$out" "$work"
}
trap cleanup EXIT
if [[ -n "$given_debs" ]]; then
    cp "$given_debs"/smartkey-*.deb "$out/" || die "no smartkey-*.deb in $given_debs"
else
    (cd "$build" && cpack -G DEB -B "$out" >/dev/null) || die "cpack failed"
fi
debs=("$out"/smartkey-*.deb)
((${#debs[@]} == ${#packages[@]})) || die "expected ${#packages[@]} packages (${packages[*]}), got: ${debs[*]}"
for d in "${debs[@]}"; do
    v=$(dpkg-deb -f "$d" Version)
    [[ "$v" == "$version"* ]] || die "$(basename "$d") has version $v, CMake says $version"
    say "size $(basename "$d"): $(stat -c %s "$d") bytes, installed $(dpkg-deb -f "$d" Installed-Size) KiB"
done
# The udev rule was in smartkey-wallet 0.1.0-1: smartkey-udev must take it over on an upgrade (Replaces + Breaks).
udev_deb=$(printf '%s\n' "${debs[@]}" | grep '/smartkey-udev_')
for field in Replaces Breaks; do
    [[ "$(dpkg-deb -f "$udev_deb" "$field")" == "smartkey-wallet (<< 0.1.0-2)" ]] \
        || die "smartkey-udev lacks '$field: smartkey-wallet (<< 0.1.0-2)' (the udev rule moved out of the wallet package)"
done

# --- 2. lintian ----------------------------------------------------------------------------------------------------
if [[ -z "$given_debs" && -z "$debs_out" ]]; then
    allowed=$( (grep -v '^#' "$src/installer/lintian-allowed.txt" || true) | awk 'NF {print $1}' | sort -u)
    new_errors=0
    for d in "${debs[@]}"; do
        report=$(lintian --tag-display-limit 0 "$d" 2>&1 || true)
        echo "$report" | sed 's/^/  lintian: /'
        while read -r tag; do
            [[ -z "$tag" ]] && continue
            if ! grep -qxF "$tag" <<<"$allowed"; then
                echo "package-test: new lintian error in $(basename "$d"): $tag" >&2
                new_errors=$((new_errors + 1))
            fi
        done < <(echo "$report" | sed -n 's/^E: [^:]*: \([^ ]*\).*/\1/p' | sort -u)
    done
    ((new_errors == 0)) || die "$new_errors new lintian error(s)"
fi
if [[ -n "$debs_out" ]]; then
    mkdir -p "$debs_out"
    cp "${debs[@]}" "$debs_out/"
    say "the ${#debs[@]} packages are in $debs_out"
    exit 0
fi

# --- 3. install ------------------------------------------------------------------------------------------------------
export DEBIAN_FRONTEND=noninteractive
# An upgrade from the first package layout: smartkey-wallet 0.1.0-1 owned the udev rule. A stand-in with that name,
# version and file is installed first; the install below must upgrade it without a file conflict.
old_wallet="$work/old-wallet"
mkdir -p "$old_wallet/DEBIAN" "$old_wallet/lib/udev/rules.d"
cp "$src/installer/linux/70-smartkey.rules" "$old_wallet/lib/udev/rules.d/"
cat >"$old_wallet/DEBIAN/control" <<CONTROL
Package: smartkey-wallet
Version: 0.1.0-1
Architecture: $(dpkg --print-architecture)
Maintainer: SmartKey Wallet developers <packaging@smartkey.invalid>
Description: stand-in for the first smartkey-wallet package (it owned the udev rule)
CONTROL
dpkg-deb --root-owner-group --build "$old_wallet" "$work/smartkey-wallet_0.1.0-1.deb" >/dev/null
dpkg -i "$work/smartkey-wallet_0.1.0-1.deb" >"$work/dpkg-old.log" 2>&1 || {
    cat "$work/dpkg-old.log"
    die "could not install the stand-in for smartkey-wallet 0.1.0-1"
}
installed=1 # from here on, cleanup purges (the stand-in too)
t0=$(date +%s%N)
apt-get install -y -qq --no-install-recommends "${debs[@]}" >"$work/apt.log" 2>&1 || {
    cat "$work/apt.log"
    die "apt-get install failed"
}
installed=1
t1=$(date +%s%N)
say "apt-get install of the ${#debs[@]} packages: $(((t1 - t0) / 1000000)) ms"
owner=$(dpkg -S /lib/udev/rules.d/70-smartkey.rules 2>/dev/null | cut -d: -f1)
[[ "$owner" == "smartkey-udev" ]] || die "after the upgrade from 0.1.0-1 the udev rule belongs to '$owner', not smartkey-udev"
say "upgrade from smartkey-wallet 0.1.0-1 (which owned the udev rule): the rule now belongs to smartkey-udev"

# --- 4. walletctl --version ---------------------------------------------------------------------------------------------
got=$(cd / && env -u SKEY_SIM_PATH /usr/bin/walletctl --version)
say "walletctl --version: $got"
[[ "$got" == *"$version"* ]] || die "walletctl --version says '$got', expected $version"

# --- 5. the installed wallet on the installed simulator, under Xvfb ------------------------------------------------
[[ -x /usr/bin/skey-sim ]] || die "/usr/bin/skey-sim not installed"
home=$work/home
mkdir -p "$home"
t2=$(date +%s%N)
(cd / && env -u SKEY_SIM_PATH -u QT_QPA_PLATFORM -u WAYLAND_DISPLAY HOME="$home" LC_ALL=C.UTF-8 \
    PATH=/usr/sbin:/usr/bin:/sbin:/bin xvfb-run -a -s "-screen 0 1280x800x24" \
    /usr/bin/smartkey-wallet --quit-after-first-frame --no-usb --data-dir "$work/first") >"$work/first.log" 2>&1 || {
    cat "$work/first.log"
    die "the installed wallet did not reach its first frame"
}
t3=$(date +%s%N)
say "apt-get install to first window: $(((t1 - t0 + t3 - t2) / 1000000)) ms (install $(((t1 - t0) / 1000000)) ms +" \
    "start under xvfb-run $(((t3 - t2) / 1000000)) ms)"
(cd / && env -u SKEY_SIM_PATH -u QT_QPA_PLATFORM -u WAYLAND_DISPLAY HOME="$home" LC_ALL=C.UTF-8 \
    PATH=/usr/sbin:/usr/bin:/sbin:/bin xvfb-run -a -s "-screen 0 1280x800x24" \
    /usr/bin/smartkey-wallet --no-usb --lang en --data-dir "$work/data" --selftest-dump "$work/texts.txt") \
    >"$work/wallet.log" 2>&1 || {
    cat "$work/wallet.log"
    die "the installed wallet failed its self-test"
}
grep -E '^Simulated key — serial [0-9A-F]{16}, firmware [0-9]+\.[0-9]+\.[0-9]+, blank$' "$work/texts.txt" || {
    cat "$work/texts.txt" "$work/wallet.log"
    die "the installed wallet did not show the blank simulated key"
}

# --- 5b. the installed kiosk and branch station, under Xvfb ---------------------------------------------------------
for app in smartkey-kiosk smartkey-branch branchctl; do
    got=$(cd / && env -u DISPLAY -u QT_QPA_PLATFORM "/usr/bin/$app" --version) || die "$app --version failed"
    say "$app --version: $got"
    [[ "$got" == *"$version"* ]] || die "$app --version says '$got', expected $version"
done
for f in org.smartkey.Wallet org.smartkey.Kiosk org.smartkey.Branch; do
    [[ -f /usr/share/applications/$f.desktop ]] || die "/usr/share/applications/$f.desktop not installed"
    desktop-file-validate "/usr/share/applications/$f.desktop" || die "$f.desktop does not validate"
done
[[ -f /lib/udev/rules.d/70-smartkey.rules ]] || die "the udev rule is not installed (smartkey-udev)"
[[ -f /lib/systemd/system/smartkey-kiosk.service ]] || die "the kiosk's cage session unit is missing"
getent passwd smartkey-kiosk >/dev/null || die "postinst did not create the smartkey-kiosk user"
if [[ -d /run/systemd/system ]] && systemctl is-enabled smartkey-kiosk.service >/dev/null 2>&1; then
    die "the kiosk session was enabled by the package (it takes over tty1: the administrator enables it)"
fi
kiosk=$work/kiosk
mkdir -p "$kiosk"
hash=$(echo 2468 | /usr/bin/smartkey-kiosk --hash-operator-pin) || die "smartkey-kiosk --hash-operator-pin failed"
[[ "$hash" == pbkdf2-sha256\$* ]] || die "the operator PIN hash looks wrong: $hash"
cat >"$kiosk/kiosk.json" <<JSON
{ "format": "smartkey-kiosk/1", "dataDir": "$kiosk/data", "receiptDir": "$kiosk/receipts", "idleSeconds": 60,
  "operatorPinHash": "$hash", "psam": { "type": "local", "terminalId": "223344556677" },
  "merchantName": "Package Test Tea House", "language": "en", "usb": false }
JSON
(cd / && env -u QT_QPA_PLATFORM -u WAYLAND_DISPLAY HOME="$home" LC_ALL=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    xvfb-run -a -s "-screen 0 1280x800x24" /usr/bin/smartkey-kiosk --config "$kiosk/kiosk.json" \
    --selftest-dump "$kiosk/texts.txt") >"$work/kiosk.log" 2>&1 || {
    cat "$work/kiosk.log"
    die "the installed kiosk did not start"
}
grep -qx 'Welcome' "$kiosk/texts.txt" || {
    cat "$kiosk/texts.txt" "$work/kiosk.log"
    die "the installed kiosk did not show its welcome screen"
}
say "the installed kiosk shows: $(head -3 "$kiosk/texts.txt" | tr '\n' '|')"
(cd / && env -u QT_QPA_PLATFORM -u WAYLAND_DISPLAY HOME="$home" LC_ALL=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    xvfb-run -a -s "-screen 0 1280x800x24" /usr/bin/smartkey-branch --bank-config "$work/no-bank-client.json" \
    --data-dir "$work/branch" --selftest-dump "$work/branch.txt") >"$work/branch.log" 2>&1 || {
    cat "$work/branch.log"
    die "the installed branch station did not start"
}
grep -q 'staff sign-in' "$work/branch.txt" || {
    cat "$work/branch.txt" "$work/branch.log"
    die "the installed branch station did not show its sign-in page"
}
say "the installed branch station shows: $(head -3 "$work/branch.txt" | tr '\n' '|')"

# --- 6. the installed bank host against a throw-away PostgreSQL ----------------------------------------------------
getent passwd smartkey-bank >/dev/null || die "postinst did not create the smartkey-bank user"
[[ -f /etc/smartkey-bank/smartkey-bank.conf ]] || die "/etc/smartkey-bank/smartkey-bank.conf missing"
[[ -f /lib/systemd/system/smartkey-bank.service ]] || die "the systemd unit is missing"
bank=$work/bank
mkdir -p "$bank"
/usr/share/smartkey-bank/bank-postgres.sh "$bank/db" >"$work/pg.log" 2>&1 &
pg_pid=$!
for _ in $(seq 1 600); do
    [[ -S "$bank/db/sock/.s.PGSQL.5432" ]] && break
    kill -0 "$pg_pid" 2>/dev/null || {
        cat "$work/pg.log"
        die "PostgreSQL did not start"
    }
    sleep 0.1
done
[[ -S "$bank/db/sock/.s.PGSQL.5432" ]] || die "PostgreSQL socket did not appear"
install -d -o smartkey-bank -g smartkey-bank "$bank/home"
as_bank=(setpriv --reuid=smartkey-bank --regid=smartkey-bank --init-groups --)
data=$bank/home/data
conninfo="host=$bank/db/sock port=5432 user=bank dbname=postgres"
(cd / && "${as_bank[@]}" /usr/bin/bankctl init --data "$data" --db "$conninfo") || die "bankctl init failed"
(cd / && "${as_bank[@]}" /usr/bin/bankctl keys init --data "$data") || die "bankctl keys init failed"
mkdir -p "$data/tls"
ossl() { openssl "$@" >/dev/null 2>&1 || die "openssl $1 failed"; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$data/tls/ca.key" -out "$data/tls/ca.pem" \
    -days 2 -subj "/CN=package-test CA"
ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$data/tls/server.key" \
    -out "$data/tls/server.csr" -subj "/CN=localhost"
echo "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$data/tls/san.ext"
ossl x509 -req -in "$data/tls/server.csr" -CA "$data/tls/ca.pem" -CAkey "$data/tls/ca.key" -CAcreateserial \
    -out "$data/tls/server.pem" -days 2 -extfile "$data/tls/san.ext"
chown -R smartkey-bank:smartkey-bank "$data/tls"
(cd / && exec "${as_bank[@]}" /usr/bin/skey-bank --data "$data" --listen 127.0.0.1:0) >"$work/bank.out" \
    2>"$work/bank.err" &
bank_pid=$!
port=""
for _ in $(seq 1 600); do
    port=$(sed -n 's/^listening 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/bank.out")
    [[ -n "$port" ]] && break
    kill -0 "$bank_pid" 2>/dev/null || {
        cat "$work/bank.err"
        die "skey-bank exited"
    }
    sleep 0.1
done
[[ -n "$port" ]] || die "skey-bank did not print its port"
health=$(curl -s --cacert "$data/tls/ca.pem" "https://127.0.0.1:$port/v1/health") || die "no answer on /v1/health"
say "GET /v1/health: $health"
[[ "$health" == *'"status":"ok"'* ]] || die "health is not ok: $health"
kill "$bank_pid"
wait "$bank_pid" 2>/dev/null || true
bank_pid=""

# --- 7. remove leaves only configuration -----------------------------------------------------------------------------
apt-get remove -y -qq "${packages[@]}" >"$work/remove.log" 2>&1 || {
    cat "$work/remove.log"
    die "apt-get remove failed"
}
left=0
for d in "${debs[@]}"; do
    while read -r f; do
        f=${f#.}
        [[ -z "$f" || -d "$f" ]] && continue
        [[ "$f" == /etc/* ]] && continue
        if [[ -e "$f" || -L "$f" ]]; then
            echo "package-test: left behind after remove: $f" >&2
            left=$((left + 1))
        fi
    done < <(dpkg-deb --fsys-tarfile "$d" | tar -t)
done
((left == 0)) || die "$left file(s) left behind by apt-get remove"
[[ -f /etc/smartkey-bank/smartkey-bank.conf ]] || die "remove dropped the bank configuration (only purge may)"
apt-get purge -y -qq "${packages[@]}" >/dev/null 2>&1 || die "apt-get purge failed"
installed=0
[[ ! -e /etc/smartkey-bank ]] || die "purge left /etc/smartkey-bank"
! getent passwd smartkey-kiosk >/dev/null || die "purge left the smartkey-kiosk user"
echo "1 passed, 0 failed"
