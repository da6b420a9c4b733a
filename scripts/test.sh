#!/usr/bin/env bash
# Builds and runs every test: the one command CI runs (.ci/run) and the README's test command.
# On a fresh Debian/Ubuntu machine it first installs what the project needs (scripts/setup-deps.sh).
#   scripts/test.sh                 the full suite (ASan + UBSan build, all labels but slow and hw) + firmware-arm
#   SKEY_TEST_PRESET=dev scripts/test.sh     the same on the plain debug build
#   scripts/test.sh -R purse        pass extra arguments to ctest
# Under CI=true (or with SKEY_REQUIRE_ALL=1) a test that would skip fails, and so does configuration when a test's
# tool is missing: CI installed everything, so the suite must not shrink (docs/testing.md, "Skips").
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
preset=${SKEY_TEST_PRESET:-asan-ubsan}
if [[ "${CI:-}" == "true" ]]; then
    export SKEY_REQUIRE_ALL=1
fi
if [[ -n "${SKEY_REQUIRE_ALL:-}" && "${SKEY_REQUIRE_ALL}" != "0" ]]; then
    echo "== SKEY_REQUIRE_ALL=1: a skipped or unregistered test is a failure"
    require=(-DSKEY_REQUIRE_ALL=ON)
else
    require=(-DSKEY_REQUIRE_ALL=OFF)
fi

bash scripts/setup-deps.sh

echo "== configure ($preset)"
cmake --preset "$preset" "${require[@]}" >/dev/null
echo "== build ($preset)"
cmake --build --preset "$preset"
echo "== firmware cross-build (firmware-arm: Cortex-M4, -Os; the build prints the image size)"
cmake --preset firmware-arm >/dev/null
cmake --build --preset firmware-arm

echo "== tests"
# GUI tests need an X server: they start their own Xvfb when DISPLAY is unset.
rc=0
ctest --preset "$preset" --output-on-failure -j2 "$@" || rc=$?
echo "== done in $(( $(date +%s) - start )) s"
exit $rc
