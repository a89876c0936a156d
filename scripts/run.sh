#!/usr/bin/env bash
# Installs what is missing, builds, and starts Confab: the server with its admin window on
# 127.0.0.1:65432 (data in the default data directory) and the desktop client's login window,
# filled in for that server. Closing the client window ends the run and stops the server.
#
# Without a display (DISPLAY / WAYLAND_DISPLAY unset, e.g. over ssh) it runs the server headless and
# the terminal client instead. Environment: CONFAB_PORT, CONFAB_USER, BUILD_DIR.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
"$top/scripts/build.sh"
port=${CONFAB_PORT:-65432}
user=${CONFAB_USER:-$(id -un | tr -cd 'A-Za-z0-9_.-')}
case "$user" in [A-Za-z]*) ;; *) user="user$user" ;; esac

graphical=false
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
    graphical=true
fi

if $graphical; then
    "$build/bin/confab-server" --port "$port" &
else
    "$build/bin/confab-server" --headless --port "$port" &
fi
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
sleep 1
kill -0 $server 2>/dev/null || { echo "confab: the server did not start (is port $port taken?)"; exit 1; }

echo "confab: server running on 127.0.0.1:$port; log in as '$user' (a new name creates an account)"
if $graphical; then
    "$build/bin/confab" --host 127.0.0.1 --port "$port" --user "$user"
else
    echo "confab: no display, so the terminal client runs here (confab-cli)"
    "$build/bin/confab-cli" --host 127.0.0.1 --port "$port" --user "$user"
fi
