#!/usr/bin/env bash
# package-clean-root (label slow): are the DEBs' Depends complete? package-debs installs the packages into this
# machine, which already holds every Qt library and QML module from scripts/setup-deps.sh, so a missing Depends
# would not show there. This test installs them into a fresh minimal Debian root instead (docs/packaging.md):
#   1. the DEBs, built by scripts/package-test.sh (SKEY_PACKAGE_DEBS_OUT; lintian is package-debs' job);
#   2. `debootstrap --variant=minbase` of this machine's Debian release from its own mirror (needs Debian's package
#      registry: the only network this test uses), with /proc, /sys and /dev bound in;
#   3. only the test's own tools go in first (xvfb, xauth, curl, desktop-file-utils, and a PostgreSQL server for
#      the throw-away database of step 6): nothing the packages need themselves;
#   4. scripts/package-test.sh runs inside the root on those DEBs (SKEY_PACKAGE_DEBS): apt-get must pull in every
#      dependency from the packages' Depends alone, then the installed wallet must reach "blank simulated key", the
#      kiosk its welcome screen, the branch station its sign-in page and the bank host its health answer.
# The root is unmounted and deleted afterwards, also on failure.
#   sudo scripts/package-clean-root-test.sh [build-dir]   (SKEY_PACKAGE_PREBUILT=1 as for package-test.sh;
#                                                          SKEY_DEBIAN_MIRROR overrides the mirror;
#                                                          SKEY_PACKAGE_DEBS=<dir> tries those DEBs, no build)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build/package}
skip=77
say() { echo "package-clean-root: $*"; }
die() {
    echo "package-clean-root: FAIL: $*" >&2
    exit 1
}

[[ $(id -u) -eq 0 ]] || {
    say "SKIP: needs root (debootstrap, chroot, mounts)"
    exit $skip
}
for tool in debootstrap chroot mount umount findmnt; do
    command -v "$tool" >/dev/null || die "$tool is missing: run scripts/setup-deps.sh"
done
# shellcheck disable=SC1091
. /etc/os-release
[[ "${ID:-}" == debian && -n "${VERSION_CODENAME:-}" ]] ||
    die "this test makes a Debian root of the host's own release; the host is '${PRETTY_NAME:-unknown}'"
mirror=${SKEY_DEBIAN_MIRROR:-}
if [[ -z "$mirror" ]]; then
    mirror=$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)\/\?$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null |
        head -n1)
    [[ -n "$mirror" ]] || mirror=http://deb.debian.org/debian
fi

work=$(mktemp -d /tmp/skey-clean-root.XXXXXX)
root=$work/root
unmount_all() {
    # Deepest first; a lazy unmount as the last resort so that the rm below can never reach the host's /dev.
    local m
    for m in $(findmnt -rn -o TARGET | grep -F "$root" | sort -r); do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done
}
cleanup() {
    # Whatever still runs inside the root (a database, an Xvfb) would keep its mounts busy.
    local p
    for p in /proc/[0-9]*; do
        [[ "$(readlink "$p/root" 2>/dev/null)" == "$root" ]] && kill -9 "${p#/proc/}" 2>/dev/null || true
    done
    unmount_all
    if findmnt -rn -o TARGET | grep -qF "$root"; then
        echo "package-clean-root: $root still has mounts; left in place, remove it by hand after umount -R" >&2
        return
    fi
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT

# --- 1. the packages ---------------------------------------------------------------------------------------------
t0=$(date +%s)
if [[ -n "${SKEY_PACKAGE_DEBS:-}" ]]; then
    # Packages made elsewhere (a release's, or altered ones to see this test fail): tried as they are.
    mkdir -p "$work/debs"
    cp "$SKEY_PACKAGE_DEBS"/smartkey-*.deb "$work/debs/" || die "no smartkey-*.deb in $SKEY_PACKAGE_DEBS"
    say "trying the packages in $SKEY_PACKAGE_DEBS"
else
    SKEY_PACKAGE_DEBS_OUT="$work/debs" "$src/scripts/package-test.sh" "$build" >"$work/build.log" 2>&1 || {
        tail -n 50 "$work/build.log"
        die "building the packages failed (scripts/package-test.sh, step 1)"
    }
    grep -E '^package-test: size' "$work/build.log" || true
fi

# --- 2. a fresh minimal root of this machine's release ---------------------------------------------------------------
t1=$(date +%s)
say "debootstrap --variant=minbase $VERSION_CODENAME from $mirror"
debootstrap --variant=minbase "$VERSION_CODENAME" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log"
    die "debootstrap failed (is $mirror reachable? SKEY_DEBIAN_MIRROR chooses another)"
}
# The same package sources as the host (its release's updates and security suites), so that the DEBs built here
# find the library versions they were linked against.
if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
    rm -f "$root/etc/apt/sources.list"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
# No service may start inside the root from a maintainer script (PostgreSQL's would): the test starts its own.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --rbind /dev "$root/dev"
mount --make-rslave "$root/dev"
# A clean environment, but the sanitizer options of a run on a sanitized tree (SKEY_PACKAGE_PREBUILT) go along.
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive ${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} \
    ${LSAN_OPTIONS:+LSAN_OPTIONS=$LSAN_OPTIONS} ${UBSAN_OPTIONS:+UBSAN_OPTIONS=$UBSAN_OPTIONS} "$@"; }

# --- 3. the test's own tools only --------------------------------------------------------------------------------------
t2=$(date +%s)
in_root apt-get update -qq >"$work/apt-update.log" 2>&1 || {
    cat "$work/apt-update.log"
    die "apt-get update in the fresh root failed"
}
harness=(xvfb xauth curl openssl desktop-file-utils postgresql)
in_root apt-get install -y -qq --no-install-recommends "${harness[@]}" >"$work/harness.log" 2>&1 || {
    tail -n 30 "$work/harness.log"
    die "installing the test's tools (${harness[*]}) in the fresh root failed"
}
qml_before=$(in_root dpkg-query -W -f='${Package}\n' 'qml6-module-*' 2>/dev/null | grep -c . || true)
say "the fresh root holds $(in_root dpkg-query -W -f='.\n' | grep -c .) packages, $qml_before QML modules, before the DEBs"

# --- 4. the package test inside the root -------------------------------------------------------------------------------
mkdir -p "$root/src/scripts" "$root/src/installer/linux" "$root/debs"
cp "$src/CMakeLists.txt" "$root/src/"
cp "$src/scripts/package-test.sh" "$root/src/scripts/"
cp "$src/installer/lintian-allowed.txt" "$root/src/installer/"
cp "$src/installer/linux/70-smartkey.rules" "$root/src/installer/linux/"
cp "$work/debs"/smartkey-*.deb "$root/debs/"
t3=$(date +%s)
if ! in_root /usr/bin/env SKEY_PACKAGE_DEBS=/debs /src/scripts/package-test.sh >"$work/inside.log" 2>&1; then
    cat "$work/inside.log"
    die "the packages failed in a fresh $VERSION_CODENAME root: a Depends is missing or wrong (see above)"
fi
t4=$(date +%s)
grep -E '^package-test: ' "$work/inside.log" | sed 's/^/  /'
say "times: packages $((t1 - t0)) s, debootstrap $((t2 - t1)) s, tools $((t3 - t2)) s, package test in the root $((t4 - t3)) s"
echo "1 passed, 0 failed"
