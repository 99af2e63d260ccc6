#!/usr/bin/env bash
# Benchmarks `iotcheck doctor` on a healthy Greengrass core (config.yaml) against the same
# checks run one by one: `iotcheck device`, `endpoint --mqtt` on the MQTT port, `endpoint
# --credentials` at the credentials provider, `endpoint` with the device certificate at the
# data plane.
#
#   A local mosquitto (TLS, require_certificate) serves MQTT; tests/support/credentials_peer.py
#   stands in for the credentials provider and the data plane (one HTTPS port that requires
#   the test device CA's certificates). doctor probes the port, the credentials provider and
#   the data plane at once; the separate runs are one process each, one after another.
#
# Prints hyperfine's output, then doctor's mean against the sum of the separate means.
#
# Usage: bash benches/greengrass.sh [--runs N] [--warmup N] [--no-build] [--bin PATH]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RUNS=30
WARMUP=3
BUILD=1
BIN=""
bench_args "--runs=RUNS --warmup=WARMUP --no-build:BUILD=0 --bin=BIN" "$@"
bench_need hyperfine mosquitto python3
unset HTTPS_PROXY https_proxy ALL_PROXY all_proxy
# Never AWS: the account stage is off, and any call would go to a closed loopback port.
export AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL=http://127.0.0.1:9

bench_build
F=$PWD/fixtures
HOST=abc123-ats.iot.eu-west-1.amazonaws.com
CRED=c2fake3prefix.credentials.iot.eu-west-1.amazonaws.com
AT=@1780272000   # 2026-06-01, inside the generated fixtures' validity

TMP=$(mktemp -d)
BROKER=""
PEER=""
cleanup() {
    [ -n "$BROKER" ] && kill "$BROKER" 2>/dev/null || true
    [ -n "$PEER" ] && kill "$PEER" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
MQTT=$(free_port)
{
    echo "persistence false"
    # Without it the broker's CONNACK waits for the client's delayed ACK (40 ms on loopback).
    echo "set_tcp_nodelay true"
    echo "allow_anonymous false"
    echo "user root"
    echo "listener $MQTT 127.0.0.1"
    echo "cafile $F/device/device-ca.pem"
    echo "certfile $F/server/rsa-chain.pem"
    echo "keyfile $F/server/rsa-leaf.key"
    echo "require_certificate true"
    echo "use_identity_as_username true"
} > "$TMP/mosquitto.conf"
mosquitto -c "$TMP/mosquitto.conf" > "$TMP/mosquitto.log" 2>&1 &
BROKER=$!
python3 -u tests/support/credentials_peer.py --issuer-cert "$F/server/rsa-int.pem" \
    --issuer-key "$F/server/rsa-int.key" --client-ca "$F/device/device-ca.pem" --sni "$CRED" \
    > "$TMP/peer.log" 2> "$TMP/peer.err" &
PEER=$!
for _ in $(seq 100); do
    grep -q " running" "$TMP/mosquitto.log" && grep -q "^LISTENING" "$TMP/peer.log" && break
    sleep 0.1
done
grep -q " running" "$TMP/mosquitto.log" || { cat "$TMP/mosquitto.log" >&2; exit 1; }
DOOR=$(sed -n 's/^LISTENING //p' "$TMP/peer.log")
[ -n "$DOOR" ] || { cat "$TMP/peer.err" >&2; exit 1; }

cp "$F/device/ec.pem" "$TMP/certificate.pem.crt"
cp "$F/device/ec.key" "$TMP/private.pem.key"
chmod 600 "$TMP/private.pem.key"
CERT=$TMP/certificate.pem.crt
KEY=$TMP/private.pem.key
CA=$F/roots/test-roots.pem
cat > "$TMP/config.yaml" <<YAML
---
system:
  certificateFilePath: "$CERT"
  privateKeyPath: "$KEY"
  rootCaPath: "$CA"
  rootpath: "$TMP"
  thingName: "TestThing-ec"
services:
  aws.greengrass.Nucleus:
    componentType: "NUCLEUS"
    configuration:
      awsRegion: "eu-west-1"
      iotDataEndpoint: "$HOST"
      iotCredEndpoint: "$CRED:$DOOR"
      iotRoleAlias: "ok-alias"
      greengrassDataPlaneEndpoint: "iotdata"
      greengrassDataPlanePort: $DOOR
      mqtt:
        port: $MQTT
YAML

DOCTOR="$BIN doctor --config $TMP/config.yaml --connect 127.0.0.1 --ports $MQTT --at $AT --no-account"
DEVICE="$BIN device --cert $CERT --key $KEY --at $AT"
COMMON="--connect 127.0.0.1 --cert $CERT --key $KEY --ca $CA --at $AT"
MQTTRUN="$BIN endpoint $HOST:$MQTT $COMMON --mqtt --client-id TestThing-ec"
CREDRUN="$BIN endpoint $CRED:$DOOR $COMMON --credentials --role-alias ok-alias --thing TestThing-ec"
PLANE="$BIN endpoint $HOST:$DOOR $COMMON"

for cmd in "$DOCTOR" "$DEVICE" "$MQTTRUN" "$CREDRUN" "$PLANE"; do
    $cmd > /dev/null || { echo "greengrass.sh: failed: $cmd" >&2; $cmd >&2; exit 1; }
done

hyperfine -N --runs "$RUNS" --warmup "$WARMUP" --export-json "$TMP/times.json" \
    -n doctor "$DOCTOR" -n device "$DEVICE" -n endpoint-mqtt "$MQTTRUN" \
    -n endpoint-credentials "$CREDRUN" -n endpoint-data-plane "$PLANE"

bench_against_sum "$TMP/times.json" "doctor (Greengrass core)"
