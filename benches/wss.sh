#!/usr/bin/env bash
# `endpoint --transport wss --mqtt` against `endpoint --mqtt` on TLS, on the same loopback
# front door (tests/support/wss_gateway.py: TLS with the test chain, in front of one plain
# mosquitto): the WebSocket path adds the HTTP upgrade, the SigV4 presigning (and the gateway's
# botocore check of it) and the framing. Goal: within 1.5x of the TLS path's wall time.
#
# Fake credentials only; nothing leaves loopback.
#
# Usage: bash benches/wss.sh [--runs N] [--no-build] [--bin PATH]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RUNS=30
BUILD=1
BIN=""
bench_args "--runs=RUNS --no-build:BUILD=0 --bin=BIN" "$@"
bench_need hyperfine mosquitto
bench_build

TMP=$(mktemp -d)
GATEWAY_PID=""
cleanup() {
    [ -n "$GATEWAY_PID" ] && kill "$GATEWAY_PID" 2>/dev/null && wait "$GATEWAY_PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

mkfifo "$TMP/stdin"
python3 -u tests/support/wss_gateway.py \
    --cert fixtures/server/rsa-chain.pem --key fixtures/server/rsa-leaf.key --dir "$TMP" \
    --access-key AKIAIOSFODNN7EXAMPLE --secret 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 \
    --token FwoGZXIvYXdzEXAMPLE/session+TOKEN=zz --region eu-west-1 \
    --authorizer A --token-name t --auth-token x --auth-signature y \
    < "$TMP/stdin" > "$TMP/ports" &
GATEWAY_PID=$!
exec 3> "$TMP/stdin"
for _ in $(seq 100); do grep -q "READY all" "$TMP/ports" 2>/dev/null && break; sleep 0.1; done
port() { awk -v n="$1" '$1 == "READY" && $2 == n { print $3 }' "$TMP/ports"; }
TLS=$(port tls)
WSS=$(port sigv4)

NAME=abc123-ats.iot.eu-west-1.amazonaws.com
COMMON="--connect 127.0.0.1 --ca fixtures/roots/test-roots.pem --at 2026-06-01T00:00:00Z --timeout 5 -q --mqtt"
export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=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
export AWS_SESSION_TOKEN=FwoGZXIvYXdzEXAMPLE/session+TOKEN=zz AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
# Both must succeed before they are timed.
"$BIN" endpoint "$NAME:$TLS" $COMMON --cert fixtures/device/ec.pem --key fixtures/device/ec.key
"$BIN" endpoint "$NAME:$WSS" $COMMON --transport wss --client-id bench

hyperfine --warmup 3 --runs "$RUNS" -N \
    -n "endpoint --mqtt (TLS)" \
    "$BIN endpoint $NAME:$TLS $COMMON --cert fixtures/device/ec.pem --key fixtures/device/ec.key" \
    -n "endpoint --transport wss --mqtt" \
    "$BIN endpoint $NAME:$WSS $COMMON --transport wss --client-id bench"
