#!/usr/bin/env bash
# Benchmarks the policy evaluation of `iotcheck account --config`: a certificate with 10
# policies of 100 statements each (1,000 statements), evaluated for an AWS IoT Device Client
# with every feature on (jobs, tunneling, a named sample shadow, the config shadow, Device
# Defender, fleet provisioning by CSR, the pub/sub sample, sensor publish), against a local
# moto holding those policies.
#
#   The evaluation's own CPU is measured as a difference: the same run for a second
#   certificate whose 10 policies hold one statement each (the same allowing statements, none
#   of the 990 others) costs the same start-up, the same API calls and the same report; what
#   the 1,000-statement run costs beyond it is the parsing and evaluation of 990 statements
#   for every check. Both runs are first checked to exit 0 with every check allowed.
#   Target: the evaluation's share under 50 ms of CPU (user+sys, hyperfine's mean).
#
# Usage: bash benches/policy.sh [--runs N] [--warmup N] [--policies N] [--statements N]
#                               [--no-build] [--bin PATH]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RUNS=20
WARMUP=2
POLICIES=10
STATEMENTS=100
BUILD=1
BIN=""
bench_args "--runs=RUNS --warmup=WARMUP --policies=POLICIES --statements=STATEMENTS --no-build:BUILD=0 --bin=BIN" "$@"
bench_need hyperfine python3 jq
python3 -c 'import moto, boto3' 2>/dev/null \
    || bench_fail "needs python3 with moto and boto3 (pip install 'moto[server]')"
bench_build
F=$PWD/fixtures

TMP=$(mktemp -d)
MOTO=""
cleanup() {
    [ -n "$MOTO" ] && kill "$MOTO" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

# Never AWS, never instance metadata: fake credentials, empty config files, a loopback moto.
for v in $(env | grep -o '^AWS_[A-Z_]*' || true); do unset "$v"; done
: >"$TMP/aws-config"
: >"$TMP/aws-credentials"
export AWS_CONFIG_FILE=$TMP/aws-config AWS_SHARED_CREDENTIALS_FILE=$TMP/aws-credentials
export AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=eu-west-1
unset HTTPS_PROXY https_proxy HTTP_PROXY http_proxy ALL_PROXY all_proxy

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -u tests/support/moto_server.py -H 127.0.0.1 -p "$PORT" >"$TMP/moto.log" 2>&1 &
MOTO=$!
for _ in $(seq 600); do
    grep -q "Running on" "$TMP/moto.log" && break
    kill -0 "$MOTO" 2>/dev/null || { cat "$TMP/moto.log" >&2; exit 1; }
    sleep 0.1
done
grep -q "Running on" "$TMP/moto.log" || { echo "policy.sh: moto did not start" >&2; exit 1; }
export AWS_ENDPOINT_URL=http://127.0.0.1:$PORT

# A Device Client configuration with every feature on, for each certificate's thing.
config() {
    cat <<EOF
{"endpoint": "abc123-ats.iot.eu-west-1.amazonaws.com", "cert": "c", "key": "k", "root-ca": "r",
 "thing-name": "$1",
 "jobs": {"enabled": true}, "tunneling": {"enabled": true},
 "device-defender": {"enabled": true, "interval": 300},
 "fleet-provisioning": {"enabled": true, "template-name": "FleetTemplate", "csr-file": "/etc/csr.pem"},
 "samples": {"pub-sub": {"enabled": true, "publish-topic": "test/dc/pubtopic", "subscribe-topic": "test/dc/subtopic"}},
 "config-shadow": {"enabled": true},
 "sample-shadow": {"enabled": true, "shadow-name": "settings"},
 "sensor-publish": {"sensors": [{"enabled": true, "mqtt_topic": "sensors/$1/temperature",
   "mqtt_dead_letter_topic": "sensors/$1/dead", "mqtt_heartbeat_topic": "sensors/$1/heartbeat"}]}}
EOF
}
config TestThing-ec >"$TMP/dc-ec.json"
config TestThing-rsa >"$TMP/dc-rsa.json"

# Both certificates registered, each attached to its thing; the allowing statements are the
# suggestion of `account --suggest-policy` for this configuration (thing-name variable).
seed() { python3 - "$AWS_ENDPOINT_URL" "$@" <<'PY'
import json, sys
import boto3
url, phase = sys.argv[1], sys.argv[2]
iot = boto3.client("iot", endpoint_url=url, region_name="eu-west-1")
account = "arn:aws:iot:eu-west-1:123456789012"
if phase == "register":
    for cert, thing in (("ec", "TestThing-ec"), ("rsa", "TestThing-rsa")):
        pem = open(f"fixtures/device/{cert}.pem").read()
        arn = iot.register_certificate_without_ca(certificatePem=pem, status="ACTIVE")["certificateArn"]
        iot.create_thing(thingName=thing)
        iot.attach_thing_principal(thingName=thing, principal=arn)
        print(cert, arn)
    sys.exit(0)
arns = dict(line.split() for line in open(sys.argv[3]))
allowing = {c: json.load(open(f"{sys.argv[4]}-{c}.json"))["Statement"] for c in ("ec", "rsa")}
policies, statements = int(sys.argv[5]), int(sys.argv[6])

def filler(p, i):
    """Statements that decide none of the device's checks but must each be looked at:
    other topics with the thing variable, topic filters, a Deny, conditions."""
    n = f"{p}-{i}"
    kind = i % 5
    if kind == 0:
        return {"Effect": "Allow", "Action": "iot:Publish",
                "Resource": f"{account}:topic/fleet/${{iot:Connection.Thing.ThingName}}/sensor-{n}/*"}
    if kind == 1:
        return {"Effect": "Allow", "Action": ["iot:Subscribe"],
                "Resource": [f"{account}:topicfilter/fleet/+/cmd-{n}", f"{account}:topicfilter/fleet/other-{n}/#"]}
    if kind == 2:
        return {"Sid": f"Quarantine{p}x{i}", "Effect": "Deny", "Action": "iot:Receive",
                "Resource": f"{account}:topic/quarantine/{n}/*"}
    if kind == 3:
        return {"Effect": "Allow", "Action": "iot:Connect", "Resource": f"{account}:client/fleet-{n}-*",
                "Condition": {"StringLike": {"iot:Connection.Thing.Attributes[site]": f"site-{n}"}}}
    return {"Effect": "Allow", "Action": ["iot:Publish", "iot:Receive"],
            "Resource": f"{account}:topic/$aws/things/other-{n}/shadow/*",
            "Condition": {"Bool": {"iot:Connection.Thing.IsAttached": "true"}}}

for cert, per in (("ec", statements), ("rsa", 1)):
    for p in range(policies):
        last = p == policies - 1
        own = max(per - (len(allowing[cert]) if last else 0), 0) if per > 1 else (0 if last else 1)
        body = [filler(p, i) for i in range(own)] + (allowing[cert] if last else [])
        name = f"{cert}-policy-{p}"
        iot.create_policy(policyName=name,
                          policyDocument=json.dumps({"Version": "2012-10-17", "Statement": body}))
        iot.attach_policy(policyName=name, target=arns[cert])
PY
}
seed register >"$TMP/arns"
# Each certificate's suggestion, made with a placeholder policy attached, then removed.
python3 - "$AWS_ENDPOINT_URL" "$TMP/arns" attach <<'PY'
import json, sys
import boto3
iot = boto3.client("iot", endpoint_url=sys.argv[1], region_name="eu-west-1")
iot.create_policy(policyName="placeholder", policyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iot:Connect", "Resource": "*"}]}))
for line in open(sys.argv[2]):
    iot.attach_policy(policyName="placeholder", target=line.split()[1])
PY
for which in ec rsa; do
    set +e
    "$BIN" account --cert "$F/device/$which.pem" --config "$TMP/dc-$which.json" --suggest-policy --json >"$TMP/suggest-$which.json"
    set -e
    jq -e '.suggested_policy.not_allowed == []' "$TMP/suggest-$which.json" >/dev/null \
        || { echo "policy.sh: no usable suggestion" >&2; head -c 2000 "$TMP/suggest-$which.json" >&2; exit 1; }
    jq '.suggested_policy.document' "$TMP/suggest-$which.json" >"$TMP/allowing-$which.json"
done
python3 - "$AWS_ENDPOINT_URL" "$TMP/arns" <<'PY'
import sys
import boto3
iot = boto3.client("iot", endpoint_url=sys.argv[1], region_name="eu-west-1")
for line in open(sys.argv[2]):
    iot.detach_policy(policyName="placeholder", target=line.split()[1])
PY
seed policies "$TMP/arns" "$TMP/allowing" "$POLICIES" "$STATEMENTS"

RUN_EC="$BIN account --cert $F/device/ec.pem --config $TMP/dc-ec.json --json"
RUN_RSA="$BIN account --cert $F/device/rsa.pem --config $TMP/dc-rsa.json --json"
# Checked before timing: exit 0, every check allowed, the statements counted.
for which in ec rsa; do
    run=RUN_${which^^}
    ${!run} >"$TMP/$which.json" || { echo "policy.sh: the $which run failed:" >&2; jq -c ".findings" "$TMP/$which.json" | head -c 3000 >&2; exit 1; }
    jq -e '[.checks[] | select(.outcome != "allowed")] == []' "$TMP/$which.json" >/dev/null \
        || { echo "policy.sh: the $which run has checks not allowed" >&2; exit 1; }
done
CHECKS=$(jq '.checks | length' "$TMP/ec.json")
FEATURES=$(jq -r '[.checks[].feature // empty] | unique | join(", ")' "$TMP/ec.json")
COUNT=$(python3 - "$AWS_ENDPOINT_URL" <<'PY'
import json, sys
import boto3
iot = boto3.client("iot", endpoint_url=sys.argv[1], region_name="eu-west-1")
for cert in ("ec", "rsa"):
    names = [p["policyName"] for p in iot.list_policies()["policies"] if p["policyName"].startswith(cert + "-")]
    sizes = [len(json.loads(iot.get_policy(policyName=n)["policyDocument"])["Statement"]) for n in names]
    print(f"{cert}: {len(names)} policies, {sum(sizes)} statements", end="; ")
PY
)
echo "binary: $BIN"
echo "policies: $COUNT"
echo "checks per run: $CHECKS (features: $FEATURES)"

hyperfine -N --runs "$RUNS" --warmup "$WARMUP" --export-json "$TMP/times.json" \
    -n "account, $POLICIES x $STATEMENTS statements" "$RUN_EC" \
    -n "account, $POLICIES x 1 statement" "$RUN_RSA"

jq -r '
  def ms: . * 100000 | round / 100;
  .results as $r
  | (($r[0].user + $r[0].system) | ms) as $big
  | (($r[1].user + $r[1].system) | ms) as $small
  | "CPU (user+sys, mean): \($big) ms with every statement, \($small) ms with one statement a policy",
    "the evaluation'"'"'s share: \(($big - $small) * 100 | round / 100) ms (target: under 50 ms)"
' "$TMP/times.json"
