#!/usr/bin/env bash
# How soon iotcheck gives up on peers that never answer: each run against its --timeout
# budget. The test suite only fails a run that hangs (a bound of 10x the timeout); how close to
# the budget a run ends, and that a budget is shared (two handshakes, a proxy and its tunnel,
# several targets, doctor's ports) rather than spent once per step, is measured here.
#
# Peers: benches/peers.py on free loopback ports (silent, flooding, a slow proxy, a TLS server
# that never speaks MQTT); moto is not needed (the AWS API is a closed or silent port).
#
# Usage: bash benches/timeouts.sh [--runs N] [--no-build] [--bin PATH]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RUNS=3
BUILD=1
BIN=""
bench_args "--runs=RUNS --no-build:BUILD=0 --bin=BIN" "$@"
bench_need hyperfine
bench_build

TMP=$(mktemp -d)
PEERS_PID=""
cleanup() {
    [ -n "$PEERS_PID" ] && kill "$PEERS_PID" 2>/dev/null && wait "$PEERS_PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# No run may leave loopback or reach AWS: the AWS API is a closed port unless a case says.
unset HTTPS_PROXY https_proxy ALL_PROXY all_proxy NO_PROXY no_proxy
for v in $(env | grep -o '^AWS_[A-Za-z0-9_]*' || true); do unset "$v"; done
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_ENDPOINT_URL=http://127.0.0.1:9 AWS_REGION=eu-west-1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing-secret

timeout 3600 python3 benches/peers.py "$TMP/ports" &
PEERS_PID=$!
for ((i = 0; i < 100; i++)); do [ -f "$TMP/ports" ] && break; sleep 0.1; done
[ -f "$TMP/ports" ] || { echo "timeouts.sh: the peers did not start" >&2; exit 1; }
port() { awk -v n="$1" '$1 == n { print $2 }' "$TMP/ports"; }
SILENT=$(port silent) FLOOD=$(port flood) PROXY=$(port slowproxy) TLS=$(port silenttls)

HOST=abc123-ats.iot.eu-west-1.amazonaws.com
AT=2026-06-01T00:00:00Z
ROOTS=fixtures/roots/test-roots.pem
DEV=(--cert fixtures/device/ec.pem --key fixtures/device/ec.key)
DOCTOR_DIR="$TMP/device"
mkdir -p "$DOCTOR_DIR"
cp fixtures/device/ec.pem "$DOCTOR_DIR/certificate.pem.crt"
install -m 600 fixtures/device/ec.key "$DOCTOR_DIR/private.pem.key"
TARGETS=()
for i in 1 2 3 4 5 6; do TARGETS+=("dev$i-ats.iot.eu-west-1.amazonaws.com:$SILENT"); done

ROWS="$TMP/rows"
: >"$ROWS"
# case NAME BUDGET_S EXIT WORDS CMD... : checks one run (exit code, words on stdout+stderr),
# then times RUNS runs; BUDGET_S is what the run may take by design (0: "at once").
case_() {
    local name=$1 budget=$2 exit=$3 words=$4; shift 4
    local code=0
    "$@" </dev/null >"$TMP/out" 2>&1 || code=$?
    if [ "$code" -ne "$exit" ] || ! grep -q -- "$words" "$TMP/out"; then
        echo "timeouts.sh: $name: exit $code (want $exit), or no \"$words\" in:" >&2
        cat "$TMP/out" >&2
        exit 1
    fi
    echo "== $name" >&2
    hyperfine -N -i --runs "$RUNS" --export-json "$TMP/$name.json" "$(printf '%q ' "$@")" >&2
    python3 - "$TMP/$name.json" "$name" "$budget" >>"$ROWS" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"{sys.argv[2]}|{float(sys.argv[3]):.1f}|{r['mean']:.3f}|{r['max']:.3f}")
PY
}

case_ endpoint-silent 1 3 "timed out after 1 s" \
    "$BIN" endpoint "$HOST:$SILENT" --connect 127.0.0.1 --ca "$ROOTS" --at "$AT" --timeout 1
case_ endpoint-sig-both 3 3 "timed out after 3 s" \
    "$BIN" endpoint "$HOST:$SILENT" --connect 127.0.0.1 --ca "$ROOTS" --at "$AT" --sig both --timeout 3
case_ endpoint-slow-proxy 3 3 "timed out after 3 s" \
    "$BIN" endpoint "$HOST:9" --connect 127.0.0.1 --proxy "http://127.0.0.1:$PROXY" --ca "$ROOTS" \
    --at "$AT" --timeout 3
case_ endpoint-flood 0 3 "handshake with" \
    "$BIN" endpoint "$HOST:$FLOOD" --connect 127.0.0.1 --ca "$ROOTS" --at "$AT" --timeout 3
case_ endpoint-6-targets 1 3 "timed out after 1 s" \
    "$BIN" endpoint "${TARGETS[@]}" --connect 127.0.0.1 --ca "$ROOTS" --at "$AT" --jsonl \
    --timeout 1 --concurrency 6
case_ mqtt-silent-broker 1 1 "mqtt_timeout" \
    "$BIN" endpoint "$HOST:$TLS" --connect 127.0.0.1 --ca "$ROOTS" --at "$AT" "${DEV[@]}" --mqtt \
    --json --timeout 1
case_ doctor-2-silent-ports 1 1 "timed out after 1 s" \
    "$BIN" doctor --endpoint "$HOST" --connect 127.0.0.1 --ports "$SILENT,$SILENT" \
    --cert "$DOCTOR_DIR/certificate.pem.crt" --key "$DOCTOR_DIR/private.pem.key" --ca "$ROOTS" \
    --at "$AT" --no-account --json --timeout 1
if "$BIN" account --help >/dev/null 2>&1; then
    case_ account-closed-api 0 3 "iot:DescribeCertificate" \
        "$BIN" account --cert fixtures/device/ec.pem --timeout 5
    case_ account-silent-api 2 3 "did not answer within 2 s" \
        env AWS_ENDPOINT_URL="http://127.0.0.1:$SILENT" \
        "$BIN" account --cert fixtures/device/ec.pem --timeout 2
    case_ account-no-credentials 0 2 "no AWS credentials" \
        env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
        "$BIN" account --cert fixtures/device/ec.pem --timeout 5
fi

{
    echo
    echo "| case | budget | mean | max | max - budget |"
    echo "|---|---:|---:|---:|---:|"
    awk -F'|' '{ printf "| %s | %s s | %s s | %s s | %+.3f s |\n", $1, $2, $3, $4, $4 - $2 }' "$ROWS"
}
