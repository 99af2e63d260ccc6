#!/usr/bin/env bash
# Benchmarks `iotcheck explain --log` on a generated device log against the grep a user would
# reach for with the same knowledge: every literal of the catalogue as a pattern file.
#
#   iotcheck explain --log LOG       one pass, every known message once, first line and count
#   grep -i -F -f literals.txt LOG   the catalogue's literals as fixed strings, any case
#   grep -i -E -f literals.re LOG    the same literals as extended regular expressions
#
# grep only finds lines; it does not normalise numbers (-0x2700 = -9984 = 0x2700), merge
# repeats or say anything about causes, so it is a lower bound of the work, not the same job.
#
# Usage: bash benches/explain.sh [--size MB] [--runs N] [--warmup N] [--no-build] [--keep]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

SIZE_MB=100
RUNS=5
WARMUP=1
BUILD=1
KEEP=0
BIN=""
bench_args "--size=SIZE_MB --runs=RUNS --warmup=WARMUP --no-build:BUILD=0 --keep:KEEP=1" "$@"
bench_need hyperfine python3
bench_build

WORK=$(mktemp -d)
if [ "$KEEP" -eq 0 ]; then trap 'rm -rf "$WORK"' EXIT; else echo "files kept in $WORK"; fi
LOG=$WORK/device.log

# The catalogue's literals, for grep.
"$BIN" explain --list --json | python3 -c '
import json, re, sys
entries = json.load(sys.stdin)["entries"]
literals = sorted({m for e in entries for m in e["match"]})
open(sys.argv[1], "w").write("\n".join(literals) + "\n")
open(sys.argv[2], "w").write("\n".join(re.escape(m) for m in literals) + "\n")
print(f"{len(literals)} literals of {len(entries)} entries")
' "$WORK/literals.txt" "$WORK/literals.re"

# A device log: timestamps, levels, tags, hex addresses, negative numbers and sizes, with one
# known message in about 2000 lines. The same seed gives the same log.
python3 - "$LOG" "$SIZE_MB" <<'PY'
import random, sys
path, size = sys.argv[1], int(sys.argv[2]) * 1024 * 1024
rng = random.Random(20261130)
tags = ["wifi", "app", "mqtt_client", "esp-tls", "sensor", "ota", "nvs", "heap", "aws_iot", "shadow"]
plain = [
    "connected to AP, rssi {neg} dBm, channel {n}",
    "publish to topic dt/sensor/{n}/temp, {n} bytes, qos 1",
    "free heap {n} bytes, largest block {n}, task {hex} stack {n}",
    "ota: received chunk {n} of {n}, crc 0x{hx}",
    "sensor reading {n} mV, offset {neg}, status 0x{hx}",
    "GET /config returned 200 in {n} ms",
    "keep-alive ping sent, next in {n} s",
    "mqtt_client: MQTT_EVENT_PUBLISHED, msg_id={n}",
    "shadow update accepted, version {n}",
    "tls: session resumed, cipher TLS_AES_128_GCM_SHA256",
]
known = [
    "aws_iot: failed! mbedtls_ssl_handshake returned -0x2700",
    "esp-tls-mbedtls: mbedtls_ssl_handshake returned -9984",
    "mqtt_client: Error transport connect",
    "Connection failed with error libaws-c-mqtt: AWS_ERROR_MQTT_UNEXPECTED_HANGUP, The connection was closed unexpectedly.",
    "\"disconnectReason\": \"DUPLICATE_CLIENTID\",",
    "esp-tls-mbedtls:   ! The certificate validity starts in the future",
    "[ERROR] [MQTT] CONNACK recv failed with status = MQTTRecvFailed.",
]
def fill(t):
    return (t.replace("{neg}", str(-rng.randint(1, 99)))
             .replace("{hex}", "0x3ffb%04x" % rng.randint(0, 0xffff))
             .replace("{hx}", "%04x" % rng.randint(0, 0xffff))
             .replace("{n}", str(rng.randint(0, 99999))))
written = 0
with open(path, "w") as out:
    ms = 0
    while written < size:
        ms += rng.randint(1, 400)
        level = "E" if rng.random() < 0.05 else "I"
        if rng.random() < 1 / 2000:
            body = rng.choice(known)
            level = "E"
        else:
            body = fill(rng.choice(plain))
        line = f"{level} ({ms}) {rng.choice(tags)}: {body}\n"
        out.write(line)
        written += len(line)
PY
ls -l "$LOG" | awk '{printf "log: %d bytes, ", $5}'
wc -l < "$LOG" | awk '{print $1 " lines"}'

"$BIN" explain --log "$LOG" --json | python3 -c '
import json, sys
for m in json.load(sys.stdin)["matches"]:
    print("  %-45s first line %8d  %6d lines" % (m["id"], m["line"], m["count"]))
'

hyperfine --warmup "$WARMUP" --runs "$RUNS" -i \
    -n "iotcheck explain --log" "$BIN explain --log $LOG" \
    -n "grep -i -F -f literals" "grep -c -i -F -f $WORK/literals.txt $LOG" \
    -n "grep -i -E -f literals" "grep -c -i -E -f $WORK/literals.re $LOG"
