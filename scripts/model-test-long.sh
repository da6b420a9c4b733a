#!/usr/bin/env bash
# Long run of the firmware model-based random test (tests/firmware/TestPurseModel.cpp): random purse sequences with
# random power cuts against the reference model.
#   scripts/model-test-long.sh [sequences] [seed] [build dir]
#   sequences default 1000000, seed default 1, build dir default build/release (configured with the release preset
#   when missing). Prints progress every 100000 sequences and the final count of divergences (must be 0).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
sequences="${1:-1000000}"
seed="${2:-1}"
build="${3:-$root/build/release}"
if [[ ! -f "$build/build.ninja" ]]; then
    (cd "$root" && cmake --preset release)
fi
cmake --build "$build" --target test_firmware_PurseModel -j2
binary="$(find "$build" -type f -name test_firmware_PurseModel -perm -u+x | head -n1)"
echo "model test: $sequences sequences from seed $seed ($binary)"
start=$(date +%s)
QTEST_FUNCTION_TIMEOUT=86400000 SKEY_MODEL_SEQUENCES="$sequences" SKEY_MODEL_SEED="$seed" QT_QPA_PLATFORM=offscreen "$binary" -maxwarnings 0
echo "finished in $(( $(date +%s) - start )) s"
