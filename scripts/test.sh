#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test. Exits non-zero if anything fails.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
"$top/scripts/build.sh"
export QT_QPA_PLATFORM=offscreen
export XDG_RUNTIME_DIR=$(mktemp -d)
chmod 700 "$XDG_RUNTIME_DIR"
ctest --test-dir "$build" --output-on-failure --no-tests=error --timeout 600 -j2
