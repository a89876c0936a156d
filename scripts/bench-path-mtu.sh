#!/usr/bin/env bash
# Workload A over TCP and over UDP across a real path with a chosen MTU, to show what path MTU
# discovery finds (docs/PROTOCOL-UDP.md §2.1) and what a LAN of that MTU gets (docs/PERFORMANCE.md).
# Loopback's MTU is 65,536, so on 127.0.0.1 discovery finds the largest size Confab uses (8,952);
# here the server runs in a network namespace behind a veth pair whose MTU is $MTU (1,500 = an
# Ethernet LAN), and the bench reaches it across that pair. Needs root (ip netns, veth); changes
# nothing outside the namespace and the pair it creates, and removes both at the end.
#
#   scripts/bench-path-mtu.sh                  # MTU 1500, 5 rounds of TCP then UDP
#   MTU=9000 RUNS=3 scripts/bench-path-mtu.sh  # a jumbo-frame LAN
#
# Environment: BUILD_DIR (default build-bench), MTU (1500), RUNS (5), SERVER_CPU (0), BENCH_CPU (1),
# NETNS (confab-pmtu), PREFIX (10.77.0; the pair is .1 here and .2 in the namespace), PORT (47700).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build-bench}"
MTU="${MTU:-1500}"
RUNS="${RUNS:-5}"
SERVER_CPU="${SERVER_CPU:-0}"
BENCH_CPU="${BENCH_CPU:-1}"
NETNS="${NETNS:-confab-pmtu}"
PREFIX="${PREFIX:-10.77.0}"
PORT="${PORT:-47700}"
SERVER="$BUILD_DIR/bin/confab-server"
BENCH="$BUILD_DIR/bin/confab-bench"
A=(--clients 500 --senders 5 --messages 1000)

[[ $(id -u) -eq 0 ]] || { echo "needs root (ip netns, veth)" >&2; exit 1; }
for f in "$SERVER" "$BENCH"; do [[ -x $f ]] || { echo "missing $f (build first)" >&2; exit 1; }; done

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    ip link del "${NETNS}-a" 2>/dev/null || true
    ip netns del "$NETNS" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

ip netns add "$NETNS"
ip link add "${NETNS}-a" mtu "$MTU" type veth peer name "${NETNS}-b" mtu "$MTU"
ip link set "${NETNS}-b" netns "$NETNS"
ip addr add "$PREFIX.1/24" dev "${NETNS}-a"
ip link set "${NETNS}-a" up
ip -n "$NETNS" addr add "$PREFIX.2/24" dev "${NETNS}-b"
ip -n "$NETNS" link set "${NETNS}-b" up
ip -n "$NETNS" link set lo up

run() { # label, extra bench args: prints the RESULT line and the bench's UDP lines
    local label=$1 dir
    shift
    dir=$(mktemp -d "$WORK/confab.XXXX")
    ip netns exec "$NETNS" nice -n -20 taskset -c "$SERVER_CPU" "$SERVER" --headless --host "$PREFIX.2" \
        --port "$PORT" --data-dir "$dir" --no-limits --password-iterations 1000 >"$dir/log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do
        ip netns exec "$NETNS" bash -c "exec 3<>/dev/tcp/$PREFIX.2/$PORT" 2>/dev/null && break
        sleep 0.1
    done
    nice -n -20 taskset -c "$BENCH_CPU" "$BENCH" --host "$PREFIX.2" --port "$PORT" --server-pid "$SERVER_PID" \
        "${A[@]}" "$@" >"$dir/out" || true
    echo "  $label: $(grep '^RESULT' "$dir/out" | sed 's/^RESULT //')" | tee -a "$WORK/results"
    grep 'udp:' "$dir/out" | sed "s/^ */  $label: /" || true
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

echo "A (N=500, S=5, M=1000) across a veth pair of MTU $MTU; $(uptime)"
for round in $(seq "$RUNS"); do
    run "tcp $round"
    run "udp $round" --udp
done
echo "end: $(uptime)"

median() { sort -n | awk '{v[NR]=$1} END {if (NR) print (NR % 2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
field() { grep "^  $1 " "$WORK/results" | sed -n "s/.* $2=\([^ ]*\).*/\1/p" | median; }
for key in dps dpcpu lost ooo p50_ms p99_ms server_cpu_s; do
    t=$(field tcp "$key"); u=$(field udp "$key")
    printf '%-14s tcp %12s   udp %12s   udp/tcp %s\n' "$key" "$t" "$u" \
        "$(awk -v u="$u" -v t="$t" 'BEGIN { if (t > 0) printf "%.2f", u / t; else print "-" }')"
done
