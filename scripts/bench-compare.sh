#!/usr/bin/env bash
# Runs the same chat workloads against confab-server and ngircd (a mature C IRC server), side by
# side on this machine, and prints a table of medians with the ratio Confab / ngircd.
# See docs/PERFORMANCE.md for the workloads, the targets and the figures measured.
#
#   scripts/bench-compare.sh                 # every workload, 3 runs each
#   RUNS=5 WORKLOADS="A B" scripts/bench-compare.sh
#   WORKLOADS="A AU" scripts/bench-compare.sh   # A, and A over Confab's reliable UDP
#   WORKLOADS="A AU AE AB" scripts/bench-compare.sh   # ... also capped at 1,472 and at 1,200 bytes
#
# Environment: BUILD_DIR (default build-bench), RUNS (3), WORKLOADS ("A B C D L"; AU = A over
# Confab's reliable UDP with path MTU discovery, AE = the same with the clients reading at most
# 1,472-byte datagrams (what discovery finds on an Ethernet path, MTU 1,500), AB = the same at the
# 1,200-byte base size (clients that do not advertise large datagrams); each compared with
# Confab's own A over TCP, which it runs too if A is not listed; ngircd has no UDP), NICE (-20
# when root: the machine may be shared),
# SERVER_CPU (0) and BENCH_CPU (1) for taskset, CONFAB_PORT (47100), IRC_PORT (47101).
# Everything listens on 127.0.0.1 only; servers are stopped by their process id.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build-bench}"
RUNS="${RUNS:-3}"
WORKLOADS="${WORKLOADS:-A B C D L}"
SERVER_CPU="${SERVER_CPU:-0}"
BENCH_CPU="${BENCH_CPU:-1}"
CONFAB_PORT="${CONFAB_PORT:-47100}"
IRC_PORT="${IRC_PORT:-47101}"
BENCH="$BUILD_DIR/bin/confab-bench"
# Both servers and the bench get the same raised priority, so other work on a shared machine
# disturbs the measurement less (it cannot be kept out entirely: see docs/PERFORMANCE.md).
if [[ $(id -u) -eq 0 ]]; then NICE="${NICE:--20}"; else NICE="${NICE:-0}"; fi
SERVER="$BUILD_DIR/bin/confab-server"

for f in "$BENCH" "$SERVER"; do
    [[ -x "$f" ]] || { echo "missing $f: build first (see docs/PERFORMANCE.md)" >&2; exit 2; }
done
# ngircd is needed for the side-by-side workloads only (AU and L run Confab alone).
NEED_NGIRCD=""
for w in $WORKLOADS; do if [[ $w == [ABCD] ]]; then NEED_NGIRCD=1; fi; done
if [[ -n $NEED_NGIRCD ]] && ! command -v ngircd >/dev/null 2>&1 && [[ ! -x /usr/sbin/ngircd ]]; then
    echo "installing ngircd from Debian..." >&2
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get install -y ngircd >/dev/null
fi
NGIRCD="$(command -v ngircd || echo /usr/sbin/ngircd)"
command -v taskset >/dev/null || { echo "taskset (util-linux) is needed" >&2; exit 2; }
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"

WORK="$(mktemp -d /tmp/confab-bench.XXXXXX)"
SERVER_PID=""
stop_server() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT

wait_port() { # port
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    echo "server did not open port $1" >&2; return 1
}

# Confab, headless, on one core. Fan-out runs use a cheap password hash (accounts are made on
# the first login); the login workload runs with the real default cost.
start_confab() { # [extra args...]
    local dir="$WORK/confab-$RANDOM$RANDOM"
    mkdir -p "$dir"
    nice -n "$NICE" taskset -c "$SERVER_CPU" "$SERVER" --headless --host 127.0.0.1 --port "$CONFAB_PORT" --data-dir "$dir" "$@" \
        >"$dir/log" 2>&1 &
    SERVER_PID=$!
    wait_port "$CONFAB_PORT"
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "confab-server did not start: $(head -3 "$dir/log")" >&2; exit 1; }
}

# ngircd in the foreground, on one core, flood penalty off, no connection limits.
start_ngircd() {
    local dir="$WORK/ngircd-$RANDOM$RANDOM"
    mkdir -p "$dir"
    : >"$dir/motd"
    cat >"$dir/ngircd.conf" <<EOF
[Global]
    Name = bench.confab.test
    Info = confab-bench comparison
    Listen = 127.0.0.1
    Ports = $IRC_PORT
    MotdFile = $dir/motd
    PidFile = $dir/ngircd.pid
[Limits]
    MaxConnections = 0
    MaxConnectionsIP = 0
    MaxJoins = 0
    MaxPenaltyTime = 0
    PingTimeout = 600
    PongTimeout = 600
[Options]
    DNS = no
    Ident = no
    PAM = no
EOF
    nice -n "$NICE" taskset -c "$SERVER_CPU" "$NGIRCD" --nodaemon --config "$dir/ngircd.conf" >"$dir/log" 2>&1 &
    SERVER_PID=$!
    wait_port "$IRC_PORT"
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "ngircd did not start: $(head -3 "$dir/log")" >&2; exit 1; }
}

bench() { # server(confab|irc) args...
    local which=$1; shift
    local port=$CONFAB_PORT extra=()
    if [[ $which == irc ]]; then port=$IRC_PORT; extra=(--irc --connect-batch 4); fi
    nice -n "$NICE" taskset -c "$BENCH_CPU" "$BENCH" --port "$port" --server-pid "$SERVER_PID" "${extra[@]}" "$@" | tee -a "$WORK/all.log" \
        | grep '^RESULT' || true
}

field() { # key < RESULT line
    sed -n "s/.* $1=\([^ ]*\).*/\1/p"
}

median() { # values on stdin
    sort -g | awk '{v[NR]=$1} END {if (NR==0) {print "-"} else if (NR%2) {print v[(NR+1)/2]} else {printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}}'
}

declare -A RESULTS # "$workload $server" -> RESULT lines

run_workload() { # name server args...
    local name=$1 server=$2; shift 2
    local out
    for run in $(seq "$RUNS"); do
        if [[ $server == irc ]]; then start_ngircd; else start_confab --password-iterations 1000 --no-limits; fi
        out=$(bench "$server" "$@")
        stop_server
        echo "  $name $server run $run: ${out#RESULT }" >&2
        RESULTS["$name $server"]+="$out"$'\n'
    done
}

stat_of() { # workload server key
    printf '%s' "${RESULTS["$1 $2"]:-}" | grep '^RESULT' | field "$3" | median
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f\n", a / b }'
}

A=(--clients 500 --senders 5 --messages 1000)
B=(--clients 100 --senders 10 --messages 2000)
C=(--clients 200 --senders 10 --messages 250 --rate 500)
D=(--idle --clients 1000)

for w in $WORKLOADS; do
    case $w in
    A) run_workload A confab "${A[@]}"; run_workload A irc "${A[@]}" ;;
    B) run_workload B confab "${B[@]}"; run_workload B irc "${B[@]}" ;;
    C) run_workload C confab "${C[@]}"; run_workload C irc "${C[@]}" ;;
    D) run_workload D confab "${D[@]}"; run_workload D irc "${D[@]}" ;;
    AU|AE|AB)
        case $w in
        AU) run_workload AU confab "${A[@]}" --udp ;;
        AE) run_workload AE confab "${A[@]}" --udp --udp-max-datagram 1472 ;;
        AB) run_workload AB confab "${A[@]}" --udp --udp-max-datagram 1200 ;;
        esac
        # The ratio is to Confab's own TCP figure: measure it in this session if A did not.
        [[ " $WORKLOADS " == *" A "* || -n "${RESULTS["A confab"]:-}" ]] || run_workload A confab "${A[@]}" ;;
    L)
        for run in $(seq "$RUNS"); do
            start_confab --no-limits # the real password cost
            out=$(bench confab --login --logins 12 --login-concurrency 4)
            stop_server
            echo "  L confab run $run: ${out#RESULT }" >&2
            RESULTS["L confab"]+="$out"$'\n'
        done ;;
    esac
done

echo
echo "Medians of $RUNS runs; server on CPU $SERVER_CPU, bench on CPU $BENCH_CPU ($(nproc) CPUs, $(uname -r))"
[[ " $WORKLOADS " == *" A "* || " $WORKLOADS " == *" B "* || " $WORKLOADS " == *" C "* || " $WORKLOADS " == *" D "* ]] && printf '%-34s %14s %14s %8s\n' "workload / figure" "confab" "ngircd" "ratio"
row() { # label workload key
    local c i
    c=$(stat_of "$2" confab "$3"); i=$(stat_of "$2" irc "$3")
    printf '%-34s %14s %14s %8s\n' "$1" "$c" "$i" "$(ratio "$c" "$i")"
}
for w in $WORKLOADS; do
    case $w in
    A|B|C)
        row "$w deliveries/s" "$w" dps
        row "$w deliveries per server CPU s" "$w" dpcpu
        row "$w lost" "$w" lost
        row "$w out-of-order" "$w" ooo
        row "$w latency p50 ms" "$w" p50_ms
        row "$w latency p99 ms" "$w" p99_ms
        row "$w latency max ms" "$w" max_ms
        row "$w server CPU s" "$w" server_cpu_s
        row "$w server peak RSS KiB" "$w" server_peak_kib
        ;;
    D)
        row "D server bytes per idle session" D bytes_per_session ;;
    AU|AE|AB)
        case $w in
        AU) label="A over UDP" ;; AE) label="A/UDP max 1472" ;; AB) label="A/UDP max 1200" ;;
        esac
        printf '%-40s %14s %14s %8s\n' "$label (Confab only)" "confab udp" "confab tcp" "udp/tcp"
        for key in "deliveries/s:dps" "deliveries per server CPU s:dpcpu" "lost:lost" "out-of-order:ooo" \
                   "latency p50 ms:p50_ms" "latency p99 ms:p99_ms" "server CPU s:server_cpu_s" "bench CPU s:bench_cpu_s"; do
            u=$(stat_of "$w" confab "${key#*:}"); t=$(stat_of A confab "${key#*:}")
            printf '%-40s %14s %14s %8s\n' "$label ${key%%:*}" "$u" "$t" "$(ratio "$u" "$t")"
        done ;;
    L)
        printf '%-34s %14s\n' "L logins/s (real password cost)" "$(stat_of L confab logins_per_s)" ;;
    esac
done
echo "(full bench output: rerun with KEEP=1 to keep $WORK)"
if [[ -n "${KEEP:-}" ]]; then trap - EXIT; stop_server; echo "kept $WORK"; fi
