#!/usr/bin/env bash
# Runs a libFuzzer campaign on one fuzz target of the `fuzz` preset (clang, libFuzzer, ASan+UBSan).
#   scripts/fuzz-campaign.sh [target] [seconds] [extra libFuzzer flags...]
#   target   default fuzz_firmware_apdu (the card OS APDU entry point); others: fuzz_hid_packet_layer,
#            fuzz_hid_reassembler, fuzz_core_responses, fuzz_bank_requests (the bank host's request parsers)
#   seconds  default 600
# Environment: FUZZ_BUILD_DIR (default build/fuzz; configured with `cmake --preset fuzz` when missing),
#              FUZZ_JOBS (parallel fuzzing jobs, default 1).
# The committed seed corpus (tests/firmware/corpus for the firmware target) is copied into a work corpus under the
# build dir, so new inputs never dirty the tree; crashes land in the build dir as crash-* files. The final libFuzzer
# statistics (executions, coverage) are printed and kept in <build>/fuzz-<target>.log.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${1:-fuzz_firmware_apdu}"
seconds="${2:-600}"
shift $(( $# > 2 ? 2 : $# )) || true
build="$(realpath -m "${FUZZ_BUILD_DIR:-$root/build/fuzz}")"
jobs="${FUZZ_JOBS:-1}"

if [[ ! -f "$build/build.ninja" ]]; then
    (cd "$root" && cmake --preset fuzz)
fi
cmake --build "$build" --target "$target" -j2

binary="$(find "$build" -type f -name "$target" -perm -u+x | head -n1)"
if [[ -z "$binary" ]]; then
    echo "fuzz target $target not found under $build (is WALLET_BUILD_FUZZERS on?)" >&2
    exit 1
fi
case "$target" in
    fuzz_firmware_apdu) seeds="$root/tests/firmware/corpus" ;;
    *) # the CORPUS argument of its wallet_add_fuzzer() (tests/<area>/corpus/<name>)
       cml="$(grep -rl "NAME $target" "$root/tests" --include=CMakeLists.txt | head -n1)"
       sub="$(grep -A3 "NAME $target" "$cml" | grep -o 'corpus/[A-Za-z0-9_-]*' | head -n1)"
       seeds="$(dirname "$cml")/${sub:-corpus}" ;;
esac
work="$build/corpus-$target"
mkdir -p "$work" "$build/artifacts-$target"
if [[ -d "$seeds" ]]; then
    cp -n "$seeds"/* "$work"/ 2>/dev/null || true
fi
log="$build/fuzz-$target.log"
echo "fuzzing $target for ${seconds}s (seeds: $seeds, work corpus: $work)"
parallel=()
if [[ "$jobs" -gt 1 ]]; then
    parallel=(-jobs="$jobs" -workers="$jobs") # libFuzzer then writes fuzz-<n>.log in the current directory
fi
cd "$build"
set +e
ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:quarantine_size_mb=32" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$binary" -max_total_time="$seconds" -print_final_stats=1 "${parallel[@]}" \
    -artifact_prefix="$build/artifacts-$target/" "$@" "$work" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
echo "---"
grep -E "stat::number_of_executed_units|stat::peak_rss_mb|cov:" "$log" | tail -n 4 || true
crashes=$(find "$build/artifacts-$target" -type f | wc -l)
echo "exit status $status, $crashes crash/leak/timeout artifact(s) in $build/artifacts-$target"
exit "$status"
