#!/usr/bin/env bash
# Benchmarks one `iotcheck doctor` run on a healthy loopback device against the equivalent
# separate runs: `iotcheck device`, then `iotcheck endpoint --mqtt` once per port.
#
#   A local mosquitto (TLS, require_certificate) listens on two free ports of 127.0.0.1, as
#   AWS IoT serves MQTT on 8883 and 443; the device is the generated EC device certificate.
#   doctor checks both ports at once (three handshakes per port, MQTT one port at a time);
#   the separate runs are one process each, one after another.
#
# Prints hyperfine's output, then the doctor's mean against the sum of the separate means.
# See benches/README.md.
#
# Usage: bash benches/doctor.sh [--runs N] [--warmup N] [--no-build]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RUNS=100
WARMUP=10
BUILD=1
BIN=""
bench_args "--runs=RUNS --warmup=WARMUP --no-build:BUILD=0" "$@"
bench_need hyperfine mosquitto python3
# Local only: never through a proxy from the environment.
unset HTTPS_PROXY https_proxy ALL_PROXY all_proxy
bench_build
F=$PWD/fixtures
HOST=abc123-ats.iot.eu-west-1.amazonaws.com
AT=@1780272000   # 2026-06-01, inside the generated fixtures' validity

TMP=$(mktemp -d)
BROKER=""
cleanup() {
    if [ -n "$BROKER" ]; then kill "$BROKER" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P1=$(free_port)
P2=$(free_port)
# TLS settings belong to the listener above them: each port gets its own.
{
    echo "persistence false"
    echo "allow_anonymous false"
    echo "user root"
    for port in "$P1" "$P2"; do
        echo "listener $port 127.0.0.1"
        echo "cafile $F/device/device-ca.pem"
        echo "certfile $F/server/rsa-chain.pem"
        echo "keyfile $F/server/rsa-leaf.key"
        echo "require_certificate true"
        echo "use_identity_as_username true"
        echo "set_tcp_nodelay true"
    done
} > "$TMP/mosquitto.conf"
mosquitto -c "$TMP/mosquitto.conf" > "$TMP/mosquitto.log" 2>&1 &
BROKER=$!
for _ in $(seq 50); do
    grep -q " running" "$TMP/mosquitto.log" && break
    sleep 0.1
done
grep -q " running" "$TMP/mosquitto.log" || { cat "$TMP/mosquitto.log" >&2; exit 1; }

cp "$F/device/ec.pem" "$TMP/certificate.pem.crt"
cp "$F/device/ec.key" "$TMP/private.pem.key"
chmod 600 "$TMP/private.pem.key"
CERT=$TMP/certificate.pem.crt
KEY=$TMP/private.pem.key
CA=$F/roots/test-roots.pem

DOCTOR="$BIN doctor --endpoint $HOST --connect 127.0.0.1 --ports $P1,$P2 --cert $CERT --key $KEY --ca $CA --at $AT --no-account"
DEVICE="$BIN device --cert $CERT --key $KEY --at $AT"
END1="$BIN endpoint $HOST:$P1 --connect 127.0.0.1 --cert $CERT --key $KEY --ca $CA --at $AT --mqtt"
END2="$BIN endpoint $HOST:$P2 --connect 127.0.0.1 --cert $CERT --key $KEY --ca $CA --at $AT --mqtt"

# Every command must pass before it is timed.
for cmd in "$DOCTOR" "$DEVICE" "$END1" "$END2"; do
    $cmd > /dev/null || { echo "doctor.sh: failed: $cmd" >&2; $cmd >&2; exit 1; }
done

hyperfine -N --runs "$RUNS" --warmup "$WARMUP" --export-json "$TMP/times.json" \
    -n doctor "$DOCTOR" -n device "$DEVICE" -n "endpoint-$P1" "$END1" -n "endpoint-$P2" "$END2"

bench_against_sum "$TMP/times.json" "doctor (one run, 2 ports)"
