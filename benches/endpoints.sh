#!/usr/bin/env bash
# Benchmarks `iotcheck endpoint --targets` over many loopback targets against the same targets
# probed by one `iotcheck endpoint` process each, one after the other.
#
#   sequential         200 `iotcheck endpoint HOST:PORT` processes, one after the other
#   --concurrency 1    one `iotcheck endpoint --targets FILE --concurrency 1` process
#   --concurrency 32   one `iotcheck endpoint --targets FILE --concurrency 32` process
#
# The targets are 200 distinct names (dev001-ats.iot.eu-west-1.amazonaws.com, ...) spread over a
# few local `openssl s_server`s on 127.0.0.1, each serving the generated RSA chain; every probe
# verifies the served chain for its name. See benches/README.md.
#
# Usage: bash benches/endpoints.sh [--targets N] [--servers N] [--concurrency N] [--runs N]
#                                  [--warmup N] [--no-build]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

TARGETS=200
SERVERS=4
CONCURRENCY=32
RUNS=5
WARMUP=1
BUILD=1
BIN=""
bench_args "--targets=TARGETS --servers=SERVERS --concurrency=CONCURRENCY --runs=RUNS
            --warmup=WARMUP --no-build:BUILD=0" "$@"
bench_need hyperfine openssl

# Local only: never tunnel through a proxy from the environment.
unset HTTPS_PROXY https_proxy ALL_PROXY all_proxy

bench_build

TMP=$(mktemp -d)
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

AT=1780272000   # 2026-06-01T00:00:00Z, inside the generated chain's validity
# s_server ends a connection when its standard input reaches EOF: feed every server from one
# FIFO that sleep holds open. timeout bounds their lives even if this script is killed hard.
mkfifo "$TMP/server-in"
sleep 3600 >"$TMP/server-in" &
PIDS+=($!)

# start_server : starts one s_server on a port the kernel picks; prints the port
start_server() {
    local log="$TMP/server-$1.log" i port
    timeout 3600 openssl s_server -accept 127.0.0.1:0 \
        -cert fixtures/server/rsa-leaf.pem -cert_chain fixtures/server/rsa-int.pem \
        -key fixtures/server/rsa-leaf.key <"$TMP/server-in" >"$log" 2>&1 &
    PIDS+=($!)
    for ((i = 0; i < 100; i++)); do
        port=$(awk '/^ACCEPT / { n = split($2, a, ":"); print a[n]; exit }' "$log" 2>/dev/null || true)
        if [ -n "$port" ]; then echo "$port"; return 0; fi
        sleep 0.1
    done
    echo "endpoints.sh: openssl s_server did not start:" >&2
    cat "$log" >&2
    exit 1
}
PORTS=()
for ((s = 0; s < SERVERS; s++)); do PORTS+=("$(start_server "$s")"); done
echo "== $SERVERS openssl s_server(s) on 127.0.0.1: ${PORTS[*]}" >&2

# The targets, round-robin over the servers; the same list for the loop and for --targets.
LIST="$TMP/endpoints.txt"
SEQUENTIAL="$TMP/sequential.sh"
COMMON=(--connect 127.0.0.1 --ca fixtures/roots/test-roots.pem --at "@$AT" --quiet)
{
    echo "# $TARGETS loopback targets over $SERVERS servers"
    for ((t = 1; t <= TARGETS; t++)); do
        printf 'dev%03d-ats.iot.eu-west-1.amazonaws.com:%s\n' "$t" "${PORTS[$(((t - 1) % SERVERS))]}"
    done
} >"$LIST"
{
    echo "set -e"
    grep -v '^#' "$LIST" | while read -r target; do
        echo "$BIN endpoint $target ${COMMON[*]}"
    done
} >"$SEQUENTIAL"

SEQ=(bash "$SEQUENTIAL")
ONE=("$BIN" endpoint --targets "$LIST" --concurrency 1 "${COMMON[@]}")
MANY=("$BIN" endpoint --targets "$LIST" --concurrency "$CONCURRENCY" "${COMMON[@]}")

# Every command must verify every target (exit 0) before it is timed.
check() { "$@" || { echo "endpoints.sh: failed (exit $?): $*" >&2; exit 1; }; }
check "${SEQ[@]}"
check "${ONE[@]}"
check "${MANY[@]}"
"$BIN" endpoint --targets "$LIST" --concurrency "$CONCURRENCY" --connect 127.0.0.1 \
    --ca fixtures/roots/test-roots.pem --at "@$AT" --jsonl | tail -n 1 \
    | grep -q "\"counts\":{\"targets\":$TARGETS,\"ok\":$TARGETS," \
    || { echo "endpoints.sh: not every target verified" >&2; exit 1; }

hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-csv "$TMP/endpoints.csv" \
    -n "sequential $TARGETS processes" "${SEQ[*]}" \
    -n "one process concurrency 1" "${ONE[*]}" \
    -n "one process concurrency $CONCURRENCY" "${MANY[*]}"

{
    echo
    echo "iotcheck $("$BIN" --version | awk 'NR == 1 { print $2 }'), $(openssl version | awk '{ print $1, $2 }')," \
        "$(nproc) CPU(s), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "$TARGETS targets over $SERVERS openssl s_server(s); hyperfine: $RUNS runs after $WARMUP warm-up"
    echo
    printf '%-34s %22s %12s %10s\n' command "mean ± σ" "per target" "speed-up"
    # hyperfine's CSV: command,mean,stddev,median,user,system,min,max (seconds)
    awk -F, -v n="$TARGETS" 'NR == 2 { base = $2 }
        NR > 1 { printf "%-34s %11.3f ± %6.3f s %9.2f ms %9.1fx\n", $1, $2, $3, $2 * 1000 / n, base / $2 }' \
        "$TMP/endpoints.csv"
}
