#!/usr/bin/env bash
# iotcheck serve under load, and side by side with the blackbox exporter.
#
# 1. soak: a real Prometheus scrapes /probe for 200 targets on loopback (180 on four
#    `openssl s_server` processes, 20 silent) every 5 s for a minute (SOAK seconds; the long
#    soak is --soak 600). Before and after: the exporter's resident memory and open
#    descriptors (from /proc), and both sampled every SAMPLE seconds during the soak (growth
#    from the first sample to the last is what a leak would show); every scrape answered
#    (up == 1 at every scrape of every target), the probes counted.
# 2. one probe: `/probe` of iotcheck against the blackbox exporter's tcp+tls `/probe` of the
#    same s_server target, with hyperfine (curl per run).
#
# Peers: openssl, prometheus, prometheus-blackbox-exporter, curl, hyperfine, python3 (a
# silent listener). Everything listens on 127.0.0.1.
#
# Usage: bash benches/serve.sh [--soak SECONDS] [--sample SECONDS] [--soak-only] [--no-build]
#                              [--bin PATH]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

SOAK=60
SAMPLE=60
COMPARE=1
BUILD=1
BIN=""
bench_args "--soak=SOAK --sample=SAMPLE --soak-only:COMPARE=0 --no-build:BUILD=0 --bin=BIN" "$@"
bench_need openssl prometheus prometheus-blackbox-exporter curl hyperfine python3
bench_build

TMP=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
unset HTTPS_PROXY https_proxy ALL_PROXY all_proxy NO_PROXY no_proxy

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HOST=abc123-ats.iot.eu-west-1.amazonaws.com
F=$PWD/fixtures

# The peers: four s_servers with the test RSA chain, the silent ones of peers.py.
SERVERS=()
for i in 1 2 3 4; do
    port=$(free_port)
    openssl s_server -accept "127.0.0.1:$port" -cert "$F/server/rsa-leaf.pem" \
        -cert_chain "$F/server/rsa-int.pem" -key "$F/server/rsa-leaf.key" -quiet \
        </dev/zero >/dev/null 2>&1 &
    PIDS+=($!)
    SERVERS+=("$port")
done
# Silent: accepts and never answers, holding every connection (for at most the hour).
timeout 3600 python3 -c '
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1024)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
__import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    held.append(s.accept()[0])
' "$TMP/silent" &
PIDS+=($!)
for ((i = 0; i < 100; i++)); do [ -f "$TMP/silent" ] && break; sleep 0.1; done
SILENT=$(cat "$TMP/silent")

# The exporter.
SERVE_PORT=$(free_port)
cat >"$TMP/serve.toml" <<EOF
allowed_targets = ["$HOST:*"]
max_concurrent_probes = 64
[modules.tls]
ca = ["$F/roots/test-roots.pem"]
connect = "127.0.0.1"
timeout = 10
EOF
"$BIN" serve --config "$TMP/serve.toml" --listen "127.0.0.1:$SERVE_PORT" 2>"$TMP/serve.log" &
SERVE_PID=$!
PIDS+=($SERVE_PID)
for ((i = 0; i < 100; i++)); do curl -fs "http://127.0.0.1:$SERVE_PORT/-/healthy" >/dev/null && break; sleep 0.1; done

rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$SERVE_PID/status"; }
fds() { ls "/proc/$SERVE_PID/fd" | wc -l; }
# Warm up: one probe of each kind, so that "before" is a running exporter's.
curl -fs "http://127.0.0.1:$SERVE_PORT/probe?target=$HOST:${SERVERS[0]}&module=tls" >/dev/null
RSS_BEFORE=$(rss_kib) FDS_BEFORE=$(fds)

# The blackbox exporter.
BB_PORT=$(free_port)
cat >"$TMP/blackbox.yml" <<EOF
modules:
  tls:
    prober: tcp
    timeout: 10s
    tcp:
      tls: true
      tls_config:
        ca_file: $F/roots/test-roots.pem
        server_name: $HOST
EOF
prometheus-blackbox-exporter --config.file="$TMP/blackbox.yml" \
    --web.listen-address="127.0.0.1:$BB_PORT" 2>"$TMP/blackbox.log" &
PIDS+=($!)

# Prometheus: 200 targets, every 5 s, 4 s scrape timeout.
PROM_PORT=$(free_port)
{
    echo "global: {scrape_interval: 5s, scrape_timeout: 4s}"
    echo "scrape_configs:"
    echo "  - job_name: soak"
    echo "    metrics_path: /probe"
    echo "    params: {module: [tls]}"
    echo "    static_configs:"
    for n in $(seq 0 199); do
        if [ "$n" -lt 180 ]; then port=${SERVERS[$((n % 4))]}; else port=$SILENT; fi
        echo "      - {targets: ['$HOST:$port'], labels: {n: '$n'}}"
    done
    echo "    relabel_configs:"
    echo "      - {source_labels: [__address__], target_label: __param_target}"
    echo "      - {target_label: __address__, replacement: '127.0.0.1:$SERVE_PORT'}"
} >"$TMP/prometheus.yml"
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/data" \
    --web.listen-address="127.0.0.1:$PROM_PORT" 2>"$TMP/prometheus.log" &
PIDS+=($!)
for ((i = 0; i < 300; i++)); do curl -fs "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null && break; sleep 0.1; done

echo "== soak: 200 targets (20 silent), every 5 s, for $SOAK s after the first scrapes" >&2
sleep 6
SAMPLES=()
for ((left = SOAK; left > 0; left -= SAMPLE)); do
    sleep $((left < SAMPLE ? left : SAMPLE))
    SAMPLES+=("$((SOAK - left + (left < SAMPLE ? left : SAMPLE)))s: $(rss_kib) KiB, $(fds) fds")
done
RSS_DURING=$(rss_kib) FDS_DURING=$(fds)
T=$(date +%s)
q() { curl -fsG "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" --data-urlencode "time=$T" |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "none")'; }
W="${SOAK}s"
SCRAPES=$(q "sum(count_over_time(up{job=\"soak\"}[$W]))")
MISSED=$(q "sum(count_over_time(up{job=\"soak\"}[$W])) - sum(sum_over_time(up{job=\"soak\"}[$W]))")
PASSED=$(q "sum(sum_over_time(probe_success{job=\"soak\"}[$W]))")
TIMED_OUT=$(q "sum(count_over_time(iotcheck_probe_failed{job=\"soak\",reason=\"timeout\"}[$W]))")
SLOWEST=$(q "max(max_over_time(scrape_duration_seconds{job=\"soak\"}[$W]))")
OWN=$(curl -fs "http://127.0.0.1:$SERVE_PORT/metrics" | grep -E '^iotcheck_serve_(probes_total|probe_rejections_total\{reason="busy"\})' | tr '\n' ' ')
# Prometheus stopped: its 200 keep-alive connections close and the silent probes end; what
# is left is what the exporter kept.
kill "${PIDS[-1]}" 2>/dev/null || true
sleep 10
RSS_AFTER=$(rss_kib) FDS_AFTER=$(fds)
echo "scrapes in the last $SOAK s: $SCRAPES; not answered (up == 0): $MISSED; probes passed: $PASSED; timed out (the silent targets): $TIMED_OUT; slowest scrape: $SLOWEST s"
echo "exporter: $OWN"
echo "binary: $BIN"
echo "exporter RSS: before ${RSS_BEFORE} KiB, during ${RSS_DURING} KiB, after ${RSS_AFTER} KiB"
echo "exporter during the soak (RSS, descriptors): ${SAMPLES[*]/%/;}"
echo "exporter descriptors: before ${FDS_BEFORE}, during ${FDS_DURING} (Prometheus's keep-alive connections, silent probes), after ${FDS_AFTER}"

[ "$COMPARE" -eq 1 ] || exit 0
echo "== one probe of the same s_server target: iotcheck serve vs the blackbox exporter" >&2
PORT=${SERVERS[0]}
hyperfine --warmup 5 --runs 100 -N \
    -n "iotcheck serve /probe" "curl -fs 'http://127.0.0.1:$SERVE_PORT/probe?target=$HOST:$PORT&module=tls'" \
    -n "blackbox exporter /probe (tcp, tls)" "curl -fs 'http://127.0.0.1:$BB_PORT/probe?target=127.0.0.1:$PORT&module=tls'"
