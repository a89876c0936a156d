#!/usr/bin/env bash
# Saves screenshots of the server admin window in use to docs/screenshots/server-*.png:
#  1. confab-admin-shot (built from tests/servershots) embeds the server core and the admin window
#     as confab-server does, drives a scripted community over loopback and grabs every tab and the
#     main dialogs (offscreen, no X server needed);
#  2. the real confab-server, not headless, under Xvfb with confab-demo-users chatting against it,
#     captured from the X root window with ImageMagick's import.
# Both serve TCP over TLS with a certificate scripts/make-cert.sh makes in a temporary folder; the
# scripted users trust it by its fingerprint (like confab-cli --trust-fingerprint).
# Environment: BUILD_DIR (default build/), WARMUP (seconds of chatter before the tab shots, default 45).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
out=$top/docs/screenshots
warmup=${WARMUP:-45}

for tool in xvfb-run import openssl; do
    command -v "$tool" >/dev/null || { echo "screenshots-server: $tool is missing (scripts/install-deps.sh installs it)" >&2; exit 2; }
done
[ -f "$build/CMakeCache.txt" ] || cmake -S "$top" -B "$build" -G Ninja >/dev/null
cmake --build "$build" --target confab-server confab-admin-shot confab-demo-users
mkdir -p "$out"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
chmod 700 "$XDG_RUNTIME_DIR"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$top/scripts/make-cert.sh" "$work/tls" chat.example.org >/dev/null
cert=$work/tls/confab-server.crt
key=$work/tls/confab-server.key
fingerprint=$(openssl x509 -in "$cert" -noout -fingerprint -sha256 | sed 's/^.*=//')

echo "== every tab, grabbed from the embedded window (about $((warmup + 15)) s)"
QT_QPA_PLATFORM=offscreen QT_LOGGING_RULES="confab.*=false" "$build/bin/confab-admin-shot" --out "$out" --warmup "$warmup" \
    --tls-cert "$cert" --tls-key "$key"

echo "== the real confab-server window under Xvfb"
export CONFAB_SERVER="$build/bin/confab-server" CONFAB_DEMO="$build/bin/confab-demo-users" CONFAB_WORK="$work" CONFAB_OUT="$out"
export CONFAB_CERT="$cert" CONFAB_KEY="$key" CONFAB_FINGERPRINT="$fingerprint"
xvfb-run -a -s "-screen 0 1280x800x24" bash -c '
    set -euo pipefail
    unset QT_QPA_PLATFORM
    "$CONFAB_SERVER" --data-dir "$CONFAB_WORK/data" --port 0 --password-iterations 1000 \
        --tls-cert "$CONFAB_CERT" --tls-key "$CONFAB_KEY" >"$CONFAB_WORK/server.out" 2>"$CONFAB_WORK/server.err" &
    server=$!
    port=""
    for _ in $(seq 1 100); do
        # The background shell may not have created the file yet.
        port=$(sed -n "s/^confab-server listening on .*:\([0-9]*\) (.*)$/\1/p" "$CONFAB_WORK/server.out" 2>/dev/null || true)
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { echo "confab-server did not start:" >&2; cat "$CONFAB_WORK/server.err" >&2; exit 1; }
    "$CONFAB_DEMO" --port "$port" --seconds 30 --trust-fingerprint "$CONFAB_FINGERPRINT" >/dev/null &
    demo=$!
    sleep 25
    import -window root -trim +repage "$CONFAB_OUT/server-xvfb.png"
    echo "saved $CONFAB_OUT/server-xvfb.png"
    kill -TERM "$server"
    wait "$server" || true
    wait "$demo" || true
'
echo "screenshots are in $out"
