#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (coverage + ASan + UBSan) into build-fuzz/
# (override with BUILD_DIR) and runs each for a bounded time, starting from the seed corpus in
# fuzz/corpus/<target>/. New interesting inputs go to build-fuzz/fuzz/corpus/<target>/ (the seed
# corpus in the repository is left as it is); crashes to build-fuzz/fuzz/crashes/. Prints each
# target's executions and time, and exits non-zero if any target crashed.
#
#   scripts/fuzz.sh               # every target, 300 s each
#   scripts/fuzz.sh 60 message    # 60 s, only the "message" target
#
# Targets: framedecoder message udpdatagram reliablechannel directchat (docs/SECURITY.md).
# A crash is reproduced with: build-fuzz/fuzz/fuzz_<target> <crash file>; fix it, then add the
# file to fuzz/corpus/<target>/ as regression-<name> so tst_fuzzreplay runs it for good.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build-fuzz}
seconds=${1:-300}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(framedecoder message udpdatagram reliablechannel directchat)

CC=clang CXX=clang++ cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCONFAB_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null || exit 1
cmake --build "$build" --target confab_fuzzers --parallel "$(nproc)" || exit 1

declare -A maxlen=([framedecoder]=200000 [message]=65536 [udpdatagram]=9000 [reliablechannel]=30000 [directchat]=70000)
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
failed=0
summary=()
for target in "${targets[@]}"; do
    exe="$build/fuzz/fuzz_$target"
    work="$build/fuzz/corpus/$target"
    crashes="$build/fuzz/crashes"
    mkdir -p "$work" "$crashes"
    log="$build/fuzz/$target.log"
    echo "== $target: ${seconds}s"
    "$exe" -max_total_time="$seconds" -max_len="${maxlen[$target]:-65536}" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$crashes/$target-" "$work" "$top/fuzz/corpus/$target" >"$log" 2>&1
    status=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    if [ $status -ne 0 ]; then
        failed=1
        summary+=("$target: CRASH after ${execs:-?} executions (see $log and $crashes)")
        grep -m5 -E 'ERROR|SUMMARY|runtime error' "$log"
    else
        summary+=("$target: ${execs:-?} executions in ${seconds}s, ${cov:-cov ?}, corpus $(ls "$work" | wc -l) files, no crash")
    fi
done
printf '%s\n' "${summary[@]}"
exit $failed
