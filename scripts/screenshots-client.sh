#!/usr/bin/env bash
# Saves screenshots of the desktop client in use to docs/screenshots/client-*.png.
#
# Under Xvfb it starts a headless confab-server (temporary data directory, fast password hashing),
# four scripted users (confab-cli reading a timed script on stdin, password from CONFAB_PASSWORD)
# and the real `confab` program. xdotool types into the windows as a user would: the password
# into the login dialog, then commands and a message into the chat window. ImageMagick's `import`
# captures each window:
#   client-login.png        the login dialog, filled in
#   client-login-error.png  the same after a refused login (the reason shown under the fields)
#   client-main.png         the chat window in use: users, rooms, a room tab, a DM tab, unread counts
#   client-poke.png         frank pokes alice: the question, over the chat window
#   client-direct.png       the direct (peer-to-peer) chat that follows, in its own tab
#   client-trust.png        logging in to a TLS server with its own certificate: check the fingerprint
#   client-tls.png          the chat window on that server: the lock next to the transport
#   client-dtls.png         the same server over UDP: DTLS, the same certificate (pinned above)
# Environment: BUILD_DIR (default build/).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

# --- Inside Xvfb (the script runs itself again under xvfb-run) -----------------------------------
if [ "${1:-}" = "--under-xvfb" ]; then
    unset QT_QPA_PLATFORM
    work=$CONFAB_WORK
    bin=$CONFAB_BIN
    out=$CONFAB_OUT
    export XDG_CONFIG_HOME=$work/config # fresh settings: no recent servers, default geometry
    export XDG_DATA_HOME=$work/data-home # fresh known_servers: the pins made here stay in this run
    export QT_LOGGING_RULES="confab.*=false"
    password=correct-horse

    # The port a headless server started with --port 0 printed, from $work/NAME.out (NAME.err on failure).
    listening_port() {
        local name=$1 port=""
        for _ in $(seq 1 100); do
            # The background shell may not have created the file yet.
            port=$(sed -n 's/^confab-server listening on .*:\([0-9]*\) (.*)$/\1/p' "$work/$name.out" 2>/dev/null || true)
            [ -n "$port" ] && { echo "$port"; return 0; }
            sleep 0.1
        done
        echo "confab-server ($name) did not start:" >&2
        cat "$work/$name.err" >&2
        return 1
    }

    # Types the password into the login window (the other fields are filled in); $login is that window.
    type_password() {
        login=$(xdotool search --sync --onlyvisible --name "Log In" | head -n 1)
        sleep 1
        xdotool windowfocus --sync "$login"
        xdotool type --delay 30 "$password"
    }

    "$bin/confab-server" --headless --data-dir "$work/data" --port 0 --password-iterations 1000 \
        >"$work/server.out" 2>"$work/server.err" &
    server=$!
    port=$(listening_port server)
    echo "server on port $port"

    # A scripted user: "NAME" then lines on stdin (each "sleep N" line is a pause, not sent).
    scripted() {
        local name=$1
        while IFS= read -r line; do
            case $line in
                "sleep "*) sleep "${line#sleep }" ;;
                *) printf '%s\n' "$line" ;;
            esac
        done | CONFAB_PASSWORD=$password "$bin/confab-cli" --host 127.0.0.1 --port "$port" --user "$name" \
            >"$work/$name.out" 2>&1
    }

    # Until t = 12 s the rooms are set up and alice logs in; then the others talk.
    scripted bob <<'EOF' &
sleep 1
/create dev Build status, reviews and the next release
sleep 13
Nice one, thanks alice! I'll tag 0.2 after lunch.
sleep 3
/msg alice Could you look at the flaky UDP test before the release?
sleep 4
/msg alice No rush, after stand-up is fine.
sleep 60
EOF
    scripted carol <<'EOF' &
sleep 1
/create music Playlists for focus time
sleep 14
/go lobby
Anyone up for lunch at 12:30?
sleep 4
alice, are you coming too?
sleep 60
EOF
    scripted dave <<'EOF' &
sleep 3
/join dev
sleep 14
Reviewing the room moderation patch now.
sleep 60
EOF
    scripted erin <<'EOF' &
sleep 3
/join music
sleep 13
New playlist: lo-fi for deep work
sleep 1
/go lobby
count me in for lunch
sleep 60
EOF
    # frank is driven live through a pipe: he pokes alice once the main window is saved.
    mkfifo "$work/frank.in"
    CONFAB_PASSWORD=$password "$bin/confab-cli" --host 127.0.0.1 --port "$port" --user frank \
        <"$work/frank.in" >"$work/frank.out" 2>&1 &
    exec 7>"$work/frank.in"

    sleep 4
    "$bin/confab" --host 127.0.0.1 --port "$port" --user alice >"$work/confab.out" 2>&1 &
    client=$!

    type_password
    sleep 0.5
    import -window "$login" "$out/client-login.png"
    echo "saved $out/client-login.png"
    # A refused login first: too short a password for a new account, explained under the fields.
    xdotool key ctrl+a
    xdotool type --delay 30 "abc"
    xdotool key Return
    sleep 1.5
    import -window "$login" "$out/client-login-error.png"
    echo "saved $out/client-login-error.png"
    xdotool key ctrl+a # the password field has the focus again
    xdotool type --delay 30 "$password"
    xdotool key Return

    main=$(xdotool search --sync --onlyvisible --name "@.* — Confab" | head -n 1)
    sleep 2
    xdotool windowfocus --sync "$main"
    for line in "/join music" "/join dev"; do
        xdotool type --delay 20 "$line"
        xdotool key Return
        sleep 1
    done
    xdotool type --delay 20 "Morning! The nightly build is green again."
    xdotool key Return
    # The others talk; the lobby, #music and the DM from bob collect unread messages. Then a quiet
    # moment, after which the client pings the server and shows the round-trip time.
    sleep 40
    xdotool type --delay 20 "Half-written reply"
    sleep 1
    import -window "$main" "$out/client-main.png"
    echo "saved $out/client-main.png"

    # frank pokes alice; she accepts (Accept is the default button) and they talk directly.
    echo "/poke alice" >&7
    question=$(xdotool search --sync --onlyvisible --name "frank pokes you" | head -n 1)
    sleep 1
    import -window root -crop 1100x700+0+0 "$out/client-poke.png"
    echo "saved $out/client-poke.png"
    xdotool windowfocus --sync "$question"
    xdotool key Return
    sleep 2
    echo "Hi alice, this goes straight to you: the server only introduced us." >&7
    sleep 1
    xdotool windowfocus --sync "$main"
    xdotool type --delay 20 "Nice, a direct line. Sending you the build log this way."
    xdotool key Return
    sleep 1.5
    import -window "$main" "$out/client-direct.png"
    echo "saved $out/client-direct.png"
    exec 7>&-
    kill -TERM "$client" "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true

    # A server with its own certificate (scripts/make-cert.sh): the first login shows the
    # certificate's fingerprint to check; once trusted, the window shows the lock.
    bash "$CONFAB_TOP/scripts/make-cert.sh" "$work/tls" 127.0.0.1 >"$work/cert.out"
    "$bin/confab-server" --headless --data-dir "$work/data-tls" --port 0 --password-iterations 1000 \
        --tls-cert "$work/tls/confab-server.crt" --tls-key "$work/tls/confab-server.key" \
        >"$work/tls-server.out" 2>"$work/tls-server.err" &
    server=$!
    port=$(listening_port tls-server)
    "$bin/confab" --host 127.0.0.1 --port "$port" --user alice >"$work/confab-tls.out" 2>&1 &
    client=$!
    type_password
    xdotool key Return
    trust=$(xdotool search --sync --onlyvisible --name "Check the server" | head -n 1)
    sleep 1
    import -window root -crop 1100x700+0+0 "$out/client-trust.png"
    echo "saved $out/client-trust.png"
    xdotool windowfocus --sync "$trust"
    xdotool key alt+t # Trust and Connect
    main=$(xdotool search --sync --onlyvisible --name "@.* — Confab" | head -n 1)
    sleep 2
    import -window "$main" "$out/client-tls.png"
    echo "saved $out/client-tls.png"

    # Bob over UDP to the same server (the login window offers the last server, here with UDP
    # chosen): DTLS with the certificate alice's client pinned, so nobody is asked.
    kill -TERM "$client" 2>/dev/null || true
    wait "$client" 2>/dev/null || true
    mkdir -p "$XDG_CONFIG_HOME/confab"
    printf '[recentServers]\n1\\host=127.0.0.1\n1\\port=%s\n1\\transport=udp\n1\\tls=auto\n1\\user=bob\nsize=1\n' \
        "$port" >"$XDG_CONFIG_HOME/confab/confab.conf"
    "$bin/confab" >"$work/confab-dtls.out" 2>&1 &
    client=$!
    type_password
    xdotool key Return
    main=$(xdotool search --sync --onlyvisible --name "@.* — Confab" | head -n 1)
    sleep 2
    import -window "$main" "$out/client-dtls.png"
    echo "saved $out/client-dtls.png"

    kill -TERM "$client" "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    exit 0
fi

# --- Outside: build, then run the above under Xvfb ------------------------------------------------
build=${BUILD_DIR:-$top/build}
out=$top/docs/screenshots
for tool in xvfb-run import; do
    command -v "$tool" >/dev/null || { echo "screenshots-client: $tool is missing (scripts/install-deps.sh installs it)" >&2; exit 2; }
done
if ! command -v xdotool >/dev/null; then
    echo "screenshots-client: installing xdotool"
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends xdotool >/dev/null \
        || { echo "screenshots-client: could not install xdotool" >&2; exit 2; }
fi
[ -f "$build/CMakeCache.txt" ] || cmake -S "$top" -B "$build" -G Ninja >/dev/null
cmake --build "$build" --target confab confab-server confab-cli
mkdir -p "$out"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/runtime"
chmod 700 "$work/runtime"
export XDG_RUNTIME_DIR=$work/runtime
export CONFAB_WORK=$work CONFAB_BIN=$build/bin CONFAB_OUT=$out CONFAB_TOP=$top
xvfb-run -a -s "-screen 0 1280x800x24" bash "$0" --under-xvfb
echo "screenshots are in $out"
