#!/usr/bin/env bash
# Builds Confab and its whole test suite with AddressSanitizer + UndefinedBehaviorSanitizer
# (gcc, -O1, frame pointers kept) into build-asan/ (override with BUILD_DIR) and runs every test.
# Any sanitizer report fails the run: ASan aborts on its first error, and UBSan is made fatal
# with -fno-sanitize-recover. Exits non-zero if anything fails.
#
#   scripts/sanitize.sh                 # configure, build, run all tests
#   scripts/sanitize.sh -R tst_message  # extra arguments go to ctest
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build-asan}
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -O1 -g"
cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build "$build" --parallel "${JOBS:-$(nproc)}"

export QT_QPA_PLATFORM=offscreen
export XDG_RUNTIME_DIR=$(mktemp -d)
chmod 700 "$XDG_RUNTIME_DIR"
# detect_leaks: Qt keeps some process-lifetime allocations (plugins, fontconfig caches) that
# LeakSanitizer reports at exit; they are not ours, so a suppression file lists them.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$top/scripts/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
# Sanitized code runs several times slower: give each test more time than the normal suite.
ctest --test-dir "$build" --output-on-failure --no-tests=error --timeout 1500 -j2 "$@"
