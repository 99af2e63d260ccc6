#!/usr/bin/env bash
# Benchmarks iotcheck against the OpenSSL command line tool on the same inputs.
#
#   verify-chain  whole `iotcheck verify-chain` process vs `openssl verify`, 2-certificate AWS chain
#   endpoint      whole `iotcheck endpoint` process vs `openssl s_client`, against a local
#                 `openssl s_server` on 127.0.0.1, TLS 1.2 and TLS 1.3
#
# Prints hyperfine's output, then a compact table: mean ± σ, ratio iotcheck/openssl, peak RSS.
# See benches/README.md.
#
# Usage: bash benches/bench.sh [--runs N] [--warmup N] [--rss-runs N] [--only verify|endpoint]
#                              [--port PORT] [--export] [--no-instructions] [--no-build]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RUNS=200          # hyperfine runs per command
WARMUP=20         # hyperfine warm-up runs per command
RSS_RUNS=5        # /usr/bin/time runs per command; the largest max RSS is reported
ONLY=all
PORT=""
EXPORT=0          # 1: also write hyperfine's markdown export to benches/results/
INSTRUCTIONS=1    # 1: count instructions with callgrind when valgrind is installed
BUILD=1
bench_args "--runs=RUNS --warmup=WARMUP --rss-runs=RSS_RUNS --only=ONLY --port=PORT
            --export:EXPORT=1 --no-instructions:INSTRUCTIONS=0 --no-build:BUILD=0" "$@"
case "$ONLY" in all|verify|endpoint) ;; *) bench_fail "--only verify|endpoint" ;; esac

# ---------------------------------------------------------------------------------------------
# Tools: hyperfine and GNU time come from Debian packages of the same names.
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi
APT_UPDATED=0
apt_install() {
    if [ "$APT_UPDATED" -eq 0 ]; then
        $SUDO apt-get update -qq
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@"
}
command -v hyperfine >/dev/null || apt_install hyperfine
[ -x /usr/bin/time ] || apt_install time
command -v openssl >/dev/null || apt_install openssl
TIME=/usr/bin/time

# The endpoint benchmark is local: never tunnel it through a proxy from the environment.
unset HTTPS_PROXY https_proxy ALL_PROXY all_proxy

BIN=""
bench_build

TMP=$(mktemp -d)
SERVER_PID=""
SLEEP_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    [ -n "$SLEEP_PID" ] && kill "$SLEEP_PID" 2>/dev/null || true
    [ -n "$SERVER_PID" ] && wait "$SERVER_PID" 2>/dev/null || true
    [ -n "$SLEEP_PID" ] && wait "$SLEEP_PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$EXPORT" -eq 1 ]; then mkdir -p benches/results; fi

ROWS="$TMP/rows"          # name|tool|mean_s|stddev_s|ratio|rss_kib|target|median_s|cpu_s
: >"$ROWS"

# hyperfine NAME CMD... : runs the commands side by side; results in $TMP/NAME.csv
run_hyperfine() {
    local name=$1; shift
    local args=(-N --warmup "$WARMUP" --runs "$RUNS" --export-csv "$TMP/$name.csv")
    if [ "$EXPORT" -eq 1 ]; then args+=(--export-markdown "benches/results/$name.md"); fi
    echo "== $name" >&2
    hyperfine "${args[@]}" "$@"
}

# csv_field NAME INDEX FIELD : FIELD (mean|stddev|median|cpu) of the INDEX-th command (1-based);
# cpu is the mean user + system time.
# hyperfine's CSV ends in mean,stddev,median,user,system,min,max: counted from the end of the
# line, commas inside a quoted command do not matter.
csv_field() {
    awk -F, -v row="$(($2 + 1))" -v f="$3" 'NR == row {
        print (f == "mean" ? $(NF - 6) : f == "stddev" ? $(NF - 5) : f == "median" ? $(NF - 4) \
            : $(NF - 3) + $(NF - 2)) }' "$TMP/$1.csv"
}

# peak_rss CMD... : the largest maximum resident set size (KiB) over RSS_RUNS runs
peak_rss() {
    local max=0 kib i
    for ((i = 0; i < RSS_RUNS; i++)); do
        "$TIME" -f %M -o "$TMP/rss" "$@" </dev/null >/dev/null 2>&1 \
            || { echo "bench.sh: failed under time: $*" >&2; exit 1; }
        kib=$(tail -n 1 "$TMP/rss")
        [ "$kib" -gt "$max" ] && max=$kib
    done
    echo "$max"
}

# instr CMD... : instructions executed (callgrind's Ir, whole process incl. dynamic loading)
instr() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" </dev/null 2>&1 >/dev/null \
        | awk '/Collected :/ { print $NF }'
}

# record NAME INDEX TOOL BASE_INDEX TARGET CMD... : one table row
#   TARGET is the largest allowed ratio mean/mean(BASE_INDEX), empty for the baseline row
record() {
    local name=$1 idx=$2 tool=$3 base=$4 target=$5; shift 5
    local mean sd median cpu bmean ratio rss
    mean=$(csv_field "$name" "$idx" mean)
    sd=$(csv_field "$name" "$idx" stddev)
    median=$(csv_field "$name" "$idx" median)
    cpu=$(csv_field "$name" "$idx" cpu)
    bmean=$(csv_field "$name" "$base" mean)
    ratio=$(awk -v a="$mean" -v b="$bmean" 'BEGIN { printf "%.2f", a / b }')
    rss=$(peak_rss "$@")
    echo "$name|$tool|$mean|$sd|$ratio|$rss|$target|$median|$cpu" >>"$ROWS"
}

INSTR_ROWS="$TMP/instr"   # label|instructions
: >"$INSTR_ROWS"

# ---------------------------------------------------------------------------------------------
if [ "$ONLY" = all ] || [ "$ONLY" = verify ]; then
    AT=1772323200   # 2026-03-01T00:00:00Z, inside the eu-central-1 leaf's validity
    V_CA=("$BIN" verify-chain --ca fixtures/aws/AmazonRootCA1.pem --at "@$AT"
          fixtures/aws/eu-central-1-chain.pem)
    V_EMB=("$BIN" verify-chain --at "@$AT" fixtures/aws/eu-central-1-chain.pem)
    V_SSL=(openssl verify -no-CAfile -no-CApath -no-CAstore -CAfile fixtures/aws/AmazonRootCA1.pem
           -untrusted fixtures/aws/Amazon_RSA_2048_M04.pem -attime "$AT"
           fixtures/aws/iot.eu-central-1_leaf.pem)
    # Same chain for both tools: eu-central-1-chain.pem is the leaf followed by M04.
    cat fixtures/aws/iot.eu-central-1_leaf.pem fixtures/aws/Amazon_RSA_2048_M04.pem \
        | cmp -s - fixtures/aws/eu-central-1-chain.pem \
        || { echo "bench.sh: eu-central-1-chain.pem is not leaf + M04" >&2; exit 1; }

    run_hyperfine verify-chain "${V_SSL[*]}" "${V_CA[*]}" "${V_EMB[*]}"
    record verify-chain 1 "openssl verify" 1 "" "${V_SSL[@]}"
    record verify-chain 2 "iotcheck --ca" 1 0.45 "${V_CA[@]}"
    record verify-chain 3 "iotcheck (embedded roots)" 1 0.45 "${V_EMB[@]}"

    if [ "$INSTRUCTIONS" -eq 1 ] && command -v valgrind >/dev/null; then
        echo "== instructions (callgrind)" >&2
        echo "openssl verify|$(instr "${V_SSL[@]}")" >>"$INSTR_ROWS"
        echo "iotcheck verify-chain --ca|$(instr "${V_CA[@]}")" >>"$INSTR_ROWS"
        echo "iotcheck verify-chain (embedded roots)|$(instr "${V_EMB[@]}")" >>"$INSTR_ROWS"
    fi
fi

# ---------------------------------------------------------------------------------------------
if [ "$ONLY" = all ] || [ "$ONLY" = endpoint ]; then
    HOST=abc-ats.iot.eu-west-1.amazonaws.com
    AT=1780272000   # 2026-06-01T00:00:00Z
    mkfifo "$TMP/server-in"

    # start_server PORT : 0 once s_server accepts connections, 1 if the port is taken
    start_server() {
        # Something already listens there: not ours, and the probe below would mistake it.
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 1; fi
        # s_server ends a connection when its standard input reaches EOF: feed it from sleep
        # through a FIFO. timeout bounds its life even if this script is killed hard.
        timeout 3600 openssl s_server -accept "127.0.0.1:$1" \
            -cert fixtures/server/rsa-leaf.pem -cert_chain fixtures/server/rsa-int.pem \
            -key fixtures/server/rsa-leaf.key -quiet \
            <"$TMP/server-in" >"$TMP/server.log" 2>&1 &
        SERVER_PID=$!
        sleep 3600 >"$TMP/server-in" &
        SLEEP_PID=$!
        local i
        for ((i = 0; i < 100; i++)); do
            if ! kill -0 "$SERVER_PID" 2>/dev/null; then
                wait "$SERVER_PID" 2>/dev/null || true
                kill "$SLEEP_PID" 2>/dev/null || true
                wait "$SLEEP_PID" 2>/dev/null || true
                SERVER_PID="" SLEEP_PID=""
                return 1
            fi
            if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
            sleep 0.1
        done
        echo "bench.sh: openssl s_server did not start:" >&2
        cat "$TMP/server.log" >&2
        exit 1
    }
    if [ -n "$PORT" ]; then
        start_server "$PORT" || {
            echo "bench.sh: cannot listen on 127.0.0.1:$PORT" >&2
            cat "$TMP/server.log" >&2 2>/dev/null
            exit 1
        }
    else
        for ((try = 0; try < 20; try++)); do
            PORT=$((20000 + RANDOM % 40000))
            start_server "$PORT" && break
            PORT=""
        done
        [ -n "$PORT" ] || { echo "bench.sh: found no free port" >&2; exit 1; }
    fi
    echo "== openssl s_server on 127.0.0.1:$PORT (pid $SERVER_PID)" >&2

    for tls in 1.2 1.3; do
        E_IOT=("$BIN" endpoint "$HOST:$PORT" --connect 127.0.0.1 --ca fixtures/roots/test-roots.pem
               --at "@$AT" --tls "$tls")
        # hyperfine and the RSS runs give s_client /dev/null as standard input: it closes the
        # connection right after the handshake.
        E_SSL=(openssl s_client "-tls1_${tls#1.}" -connect "127.0.0.1:$PORT" -servername "$HOST"
               -CAfile fixtures/roots/test-roots.pem -verify_return_error -attime "$AT")
        # Both must verify before they are timed.
        "${E_IOT[@]}" </dev/null >"$TMP/check.out" 2>&1 \
            || { cat "$TMP/check.out" >&2; echo "bench.sh: iotcheck endpoint failed" >&2; exit 1; }
        "${E_SSL[@]}" </dev/null >"$TMP/check.out" 2>&1 \
            || { cat "$TMP/check.out" >&2; echo "bench.sh: openssl s_client failed" >&2; exit 1; }
        grep -q "Verify return code: 0 (ok)" "$TMP/check.out" \
            || { echo "bench.sh: openssl s_client did not verify" >&2; exit 1; }

        name="endpoint-tls$tls"
        run_hyperfine "$name" "${E_SSL[*]}" "${E_IOT[*]}"
        record "$name" 1 "openssl s_client" 1 "" "${E_SSL[@]}"
        record "$name" 2 "iotcheck endpoint" 1 1.0 "${E_IOT[@]}"

        if [ "$INSTRUCTIONS" -eq 1 ] && command -v valgrind >/dev/null; then
            echo "== instructions (callgrind), TLS $tls" >&2
            echo "openssl s_client, TLS $tls|$(instr "${E_SSL[@]}")" >>"$INSTR_ROWS"
            echo "iotcheck endpoint, TLS $tls|$(instr "${E_IOT[@]}")" >>"$INSTR_ROWS"
        fi
    done
fi

# ---------------------------------------------------------------------------------------------
{
    echo
    echo "iotcheck $("$BIN" --version | awk '{ print $2 }'), $(openssl version | awk '{ print $1, $2 }')," \
        "$(nproc) CPU(s), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "hyperfine: $RUNS runs after $WARMUP warm-up; peak RSS: largest of $RSS_RUNS runs" \
        "(/usr/bin/time -f %M); ratio: mean / mean of the openssl row of the same benchmark"
    echo
    printf '%-16s %-27s %20s %9s %9s %6s %10s  %s\n' benchmark tool "mean ± σ" median \
        "user+sys" ratio "peak RSS" "target (ratio of means)"
    printf '%-16s %-27s %20s %9s %9s %6s %10s  %s\n' ---------------- --------------------------- \
        -------------------- --------- --------- ------ ---------- -----------------------
    awk -F'|' '{
        verdict = "";
        if ($7 != "") verdict = sprintf("<= %.2f %s", $7, ($5 + 0 <= $7 + 0) ? "met" : "MISSED");
        printf "%-16s %-27s %9.2f ± %5.2f ms %6.2f ms %6.2f ms %6s %6.1f MiB  %s\n",
            $1, $2, $3 * 1000, $4 * 1000, $8 * 1000, $9 * 1000, $5, $6 / 1024, verdict
    }' "$ROWS"
    if [ -s "$INSTR_ROWS" ]; then
        echo
        echo "instructions executed (valgrind --tool=callgrind, whole client process; ratio to the openssl row above it):"
        awk -F'|' '/^openssl/ { base = $2 }
            { printf "  %-40s %12.1f M  %5.2f\n", $1, $2 / 1e6, $2 / base }' "$INSTR_ROWS"
    fi
    if [ "$EXPORT" -eq 1 ]; then echo; echo "hyperfine markdown: benches/results/*.md"; fi
}
exit 0
