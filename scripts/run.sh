#!/usr/bin/env bash
# Installs what is missing, builds, and starts Confab: a server on 127.0.0.1:65432 with its data
# in the default data directory, and a client connected to it. Ctrl+C stops both.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
"$top/scripts/build.sh"
port=${CONFAB_PORT:-65432}

"$build/bin/confab-server" --headless --port "$port" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
sleep 1
kill -0 $server 2>/dev/null || { echo "confab: the server did not start (is port $port taken?)"; exit 1; }

user=${CONFAB_USER:-$(id -un | tr -cd 'A-Za-z0-9_.-')}
case "$user" in [A-Za-z]*) ;; *) user="user$user" ;; esac
echo "confab: server running on 127.0.0.1:$port; logging in as '$user' (a new name creates an account)"
"$build/bin/confab-cli" --host 127.0.0.1 --port "$port" --user "$user"
