#!/usr/bin/env bash
# Start-up benchmark of the wallet beside two peer hardware-key apps from Debian, on the same Xvfb screen:
#   exec → first window mapped (viewable), and resident memory (VmRSS) 2 s after that.
# Peers: yubioath-desktop (Yubico Authenticator 5, Qt 5 QML + Python) and nitrokey-app (Nitrokey App 1, Qt 5
# Widgets). They are installed with apt-get when missing (benchmark only). Prints a table; asserts nothing.
#   scripts/bench-startup.sh [BUILD_DIR] [RUNS]        (defaults: build/release, 7)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
runs=${2:-7}
wallet="$build/app/gui/smartkey-wallet"
if [[ ! -x "$wallet" ]]; then
    echo "bench-startup: $wallet not found; build it first:" >&2
    echo "  cmake --preset release && cmake --build --preset release --target smartkey-wallet skey-sim" >&2
    exit 1
fi

need=()
for p in xvfb x11-utils yubioath-desktop nitrokey-app; do
    [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" == "install ok installed" ]] || need+=("$p")
done
if ((${#need[@]})); then
    sudo=(); [[ $(id -u) -ne 0 ]] && sudo=(sudo)
    echo "bench-startup: installing ${need[*]} (benchmark peers)" >&2
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

work=$(mktemp -d /tmp/bench-startup-XXXXXX)
display=":$((90 + RANDOM % 100))"
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
cleanup() { kill "$xvfb" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export DISPLAY=$display
for _ in $(seq 100); do xwininfo -root >/dev/null 2>&1 && break; sleep 0.05; done
unset QT_QPA_PLATFORM WAYLAND_DISPLAY

now_ms() { date +%s%3N; }

# Any top-level window of the given pid that is viewable (xprop _NET_WM_PID is not set by every toolkit without a
# window manager, so the check is by window name, which each app sets on its main window).
viewable() { xwininfo -root -tree 2>/dev/null | grep -F -- "\"$1\"" | awk '{print $1}' | while read -r id; do
        xwininfo -id "$id" 2>/dev/null | grep -q "Map State: IsViewable" && { echo yes; break; }; done; }

# measure NAME WINDOW_TITLE COMMAND...   → prints "ms rss_kb" for one cold-ish run (fresh HOME)
measure() {
    local title=$1; shift
    local home; home=$(mktemp -d "$work/home-XXXXXX")
    local t0 t1 pid rss
    t0=$(now_ms)
    HOME=$home XDG_CONFIG_HOME=$home/.config XDG_DATA_HOME=$home/.local/share XDG_RUNTIME_DIR=$home \
        "$@" >"$home/out.log" 2>&1 &
    pid=$!
    t1=""
    for _ in $(seq 6000); do
        if [[ -n "$(viewable "$title")" ]]; then t1=$(now_ms); break; fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.01
    done
    if [[ -z "$t1" ]]; then
        echo "fail 0"
        { echo "--- $* (no window; exit status follows) ---"; tail -n 20 "$home/out.log"; } >&2
    else
        sleep 2
        rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        echo "$((t1 - t0)) $rss"
    fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pkill -P "$pid" 2>/dev/null || true
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) print "n/a"; else if (NR%2) print a[(NR+1)/2]; else print int((a[NR/2]+a[NR/2+1])/2)}'; }

declare -A label=(
    [wallet]="smartkey-wallet (simulated key, Qt 6.4 QML)"
    [yubioath]="yubioath-desktop $(dpkg-query -W -f='${Version}' yubioath-desktop)"
    [nitrokey]="nitrokey-app $(dpkg-query -W -f='${Version}' nitrokey-app)"
)
declare -A times rsses
for app in wallet yubioath nitrokey; do
    : >"$work/$app.t"; : >"$work/$app.r"
done
# Interleaved runs, so that a slow moment of the shared machine hits every app alike.
for i in $(seq "$runs"); do
    for app in wallet yubioath nitrokey; do
        case $app in
        wallet)   r=$(measure "SmartKey Wallet" "$PWD/$wallet" --no-usb --data-dir "$work/wallet-data-$i") ;;
        yubioath) r=$(measure "Yubico Authenticator" yubioath-desktop) ;;
        nitrokey) r=$(measure "Nitrokey App" nitrokey-app) ;;
        esac
        read -r ms kb <<<"$r"
        [[ "$ms" == fail ]] && { echo "run $i: $app showed no window" >&2; continue; }
        echo "$ms" >>"$work/$app.t"; echo "$kb" >>"$work/$app.r"
        echo "run $i: $app ${ms} ms, ${kb} kB" >&2
    done
done

printf '\nStart-up on Xvfb %s (%s runs each, median; %s cores, %s)\n' "$display" "$runs" "$(nproc)" \
    "$(uname -r)"
printf '%-48s %18s %16s\n' "application" "exec→window (ms)" "RSS (MiB)"
for app in wallet yubioath nitrokey; do
    t=$(median <"$work/$app.t")
    kb=$(median <"$work/$app.r")
    mib=$([[ "$kb" == n/a ]] && echo n/a || awk -v k="$kb" 'BEGIN {printf "%.1f", k/1024}')
    printf '%-48s %18s %16s\n' "${label[$app]}" "$t" "$mib"
done
echo "(the wallet's simulated key runs as a separate skey-sim process, not counted: a real key has no host process)"
