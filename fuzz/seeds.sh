#!/usr/bin/env bash
# Regenerates the committed seeds in fuzz/seeds/ from fixtures/ and from documented examples:
# - verify_and_render/: a chain, the CA separator, then a CA file (the trust the chain needs,
#   or the wrong one);
# - tls_server_bytes/: real first flights of `openssl s_server` (TLS 1.2 and 1.3, RSA and ECC
#   chains, with and without a CertificateRequest, a HelloRetryRequest) answering the
#   fuzzing client's ClientHello, recorded with the record_flight helper; plus a few
#   hand-made answers (an alert, an HTTP reply);
# - input/: CRLs (PEM and DER, one that revokes fixtures/device/ec.pem, alone and in one file
#   with that certificate) signed by the test device CA with `openssl ca`; the rest of the
#   target's seeds are fixtures/ itself, which fuzz/run.sh feeds it directly;
# - config_and_lists/: device configuration files (first byte '0') and targets files (first
#   byte '1'): the examples of the AWS IoT Device Client's docs (config-template.json
#   @2e20e21 filled in, docs/HTTP_PROXY.md's http-proxy.conf, a fleet provisioning runtime
#   config) and of the Greengrass v2 developer guide (manual-installation.md @42e810c,
#   config.yaml with ports and a proxy), with a few variants.
# Arguments: the targets to regenerate (default: all). tls_server_bytes needs the OpenSSL
# command line tool, the nightly toolchain and cargo-fuzz (for the helper); input needs OpenSSL.
set -euo pipefail
cd "$(dirname "$0")/.."
fx=fixtures

verify_and_render() {
  local out=fuzz/seeds/verify_and_render separator=$'\n--- ca file ---\n'
  rm -rf "$out" && mkdir -p "$out"
  seed() { # NAME CHAIN CA
    { cat "$2"; printf '%s' "$separator"; cat "$3"; } >"$out/$1"
  }
  seed rsa-chain "$fx/server/rsa-chain.pem" "$fx/roots/test-roots.pem"
  seed ec-chain "$fx/server/ec-chain.pem" "$fx/roots/test-roots.pem"
  seed reversed "$fx/server/rsa-chain-reversed.pem" "$fx/roots/test-root-rsa.pem"
  seed fullchain "$fx/server/rsa-fullchain.pem" "$fx/roots/test-roots.pem"
  seed expired "$fx/server/expired-chain.pem" "$fx/roots/test-roots.pem"
  seed aws-eu "$fx/aws/eu-central-1-chain.pem" "$fx/aws/AmazonRootCA3.pem"
  seed aws-us "$fx/aws/us-east-1-chain.pem" "$fx/aws/SFSRootCAG2.pem"
  seed intermediate-anchor "$fx/server/rsa-leaf.pem" "$fx/server/rsa-int.pem"
  for case in bad_signature name_constraint_violation not_a_ca path_len_exceeded weak_key \
    unsupported_critical_extension unsupported_signature_algorithm malformed; do
    seed "$case" "$fx/fail/$case.pem" "$fx/roots/test-roots.pem"
  done
}

tls_server_bytes() {
  local out=fuzz/seeds/tls_server_bytes
  rm -rf "$out" && mkdir -p "$out"
  (cd fuzz && cargo +nightly fuzz build --sanitizer address record_flight)
  local record=fuzz/target/x86_64-unknown-linux-gnu/release/record_flight
  work=$(mktemp -d)
  trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
  flight() { # NAME s_server-options...
    local name=$1
    shift
    # s_server stops at the end of its standard input: keep it open.
    sleep 5 | openssl s_server -accept 127.0.0.1:0 -naccept 1 "$@" >"$work/log" 2>&1 &
    local server=$! port=""
    for _ in $(seq 100); do
      port=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/log")
      [ -n "$port" ] && break
      sleep 0.05
    done
    [ -n "$port" ] || { cat "$work/log"; exit 1; }
    "$record" "127.0.0.1:$port" "$out/$name"
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  }
  local rsa=(-cert "$fx/server/rsa-leaf.pem" -key "$fx/server/rsa-leaf.key"
    -cert_chain "$fx/server/rsa-int.pem")
  local ec=(-cert "$fx/server/ec-leaf.pem" -key "$fx/server/ec-leaf.key"
    -cert_chain "$fx/server/ec-int.pem")
  local request=(-verify 1 -CAfile "$fx/device/device-ca.pem")
  flight tls12-rsa -tls1_2 "${rsa[@]}"
  flight tls12-ec-request -tls1_2 "${ec[@]}" "${request[@]}"
  flight tls12-rsa-request -tls1_2 "${rsa[@]}" "${request[@]}"
  flight tls13-rsa -tls1_3 "${rsa[@]}"
  flight tls13-ec-request -tls1_3 "${ec[@]}" "${request[@]}"
  flight tls13-hello-retry -tls1_3 -groups P-384 "${ec[@]}"
  # An alert (handshake_failure), and an HTTP server on the TLS port.
  printf '\x15\x03\x03\x00\x02\x02\x28' >"$out/alert"
  printf 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n' >"$out/http"
}

input() {
  local out=fuzz/seeds/input
  rm -rf "$out" && mkdir -p "$out"
  local ca
  ca=$(mktemp -d)
  # `openssl ca`'s database, written by hand so that the dates are fixed: ec.pem revoked on
  # 2026-02-01 for keyCompromise; the list current from 2026-01-01 to 2027-01-01 (the fuzz
  # targets verify at 2026-06-01).
  local serial subject
  serial=$(openssl x509 -in "$fx/device/ec.pem" -noout -serial | cut -d= -f2)
  subject=$(openssl x509 -in "$fx/device/ec.pem" -noout -subject -nameopt compat | cut -d= -f2-)
  printf 'R\t350101000000Z\t260201000000Z,keyCompromise\t%s\tunknown\t%s\n' "$serial" \
    "$subject" >"$ca/index.txt"
  echo 01 >"$ca/crlnumber"
  cat >"$ca/ca.cnf" <<EOF
[ca]
default_ca = test
[test]
database = $ca/index.txt
crlnumber = $ca/crlnumber
default_md = sha256
crl_extensions = crl_ext
[crl_ext]
authorityKeyIdentifier = keyid
EOF
  crl() { # NAME CA-CERT CA-KEY LAST NEXT
    openssl ca -batch -config "$ca/ca.cnf" -gencrl -cert "$2" -keyfile "$3" \
      -crl_lastupdate "$4" -crl_nextupdate "$5" -out "$out/$1.pem" 2>/dev/null
  }
  crl crl "$fx/device/device-ca.pem" "$fx/device/device-ca.key" 20260101000000Z 20270101000000Z
  crl crl-expired "$fx/device/device-ca.pem" "$fx/device/device-ca.key" \
    20260101000000Z 20260301000000Z
  crl crl-other-ca "$fx/device/other-device-ca.pem" "$fx/device/other-device-ca.key" \
    20260101000000Z 20270101000000Z
  openssl crl -in "$out/crl.pem" -outform DER -out "$out/crl.der"
  cat "$fx/device/ec.pem" "$out/crl.pem" >"$out/device-and-crl.pem"
  rm -rf "$ca"
}

config_and_lists() {
  local out=fuzz/seeds/config_and_lists separator=$'\n--- next file ---\n'
  rm -rf "$out" && mkdir -p "$out"
  local device_client http_proxy greengrass runtime
  device_client=$(
    cat <<'EOF'
{
  "endpoint": "a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com",
  "cert": "~/certs/device.pem.crt",
  "key": "~/certs/private.pem.key",
  "root-ca": "~/certs/AmazonRootCA1.pem",
  "thing-name": "pump-0042",
  "logging": {
    "level": "DEBUG",
    "type": "FILE",
    "file": "/var/log/aws-iot-device-client/aws-iot-device-client.log"
  },
  "jobs": { "enabled": true, "handler-directory": "~/.aws-iot-device-client/jobs" },
  "tunneling": { "enabled": true },
  "device-defender": { "enabled": false, "interval": 300 },
  "fleet-provisioning": {
    "enabled": false,
    "template-parameters": "",
    "template-name": "",
    "csr-file": "",
    "device-key": ""
  },
  "samples": { "pub-sub": { "enabled": false, "publish-topic": "", "publish-file": "", "subscribe-topic": "", "subscribe-file": "" } },
  "config-shadow": { "enabled": false },
  "sample-shadow": { "enabled": false, "shadow-name": "", "shadow-input-file": "", "shadow-output-file": "" },
  "secure-element": {
    "enabled": false,
    "pkcs11-lib": "",
    "secure-element-pin": "",
    "secure-element-key-label": "",
    "secure-element-slot-id": 0,
    "secure-element-token-label": ""
  }
}
EOF
  )
  http_proxy=$(
    cat <<'EOF'
{
  "http-proxy-enabled": true,
  "http-proxy-host": "10.0.0.140",
  "http-proxy-port": "9999",
  "http-proxy-auth-method": "UserNameAndPassword",
  "http-proxy-username": "MyUserName",
  "http-proxy-password": "password12345"
}
EOF
  )
  runtime=$(
    cat <<'EOF'
{
  "runtime-config": {
    "completed-fp": true,
    "cert": "$HOME/certs/provisioned.pem.crt",
    "key": "${HOME}/certs/provisioned.pem.key",
    "thing-name": "pump-0042-provisioned"
  }
}
EOF
  )
  greengrass=$(
    cat <<'EOF'
---
system:
  certificateFilePath: "/greengrass/v2/device.pem.crt"
  privateKeyPath: "/greengrass/v2/private.pem.key"
  rootCaPath: "/greengrass/v2/AmazonRootCA1.pem"
  rootpath: "/greengrass/v2"
  thingName: "MyGreengrassCore"
services:
  aws.greengrass.Nucleus:
    componentType: "NUCLEUS"
    version: "2.9.4"
    configuration:
      awsRegion: "us-west-2"
      iotRoleAlias: "GreengrassCoreTokenExchangeRoleAlias"
      iotCredEndpoint: "device-credentials-prefix.credentials.iot.us-west-2.amazonaws.com"
      iotDataEndpoint: "device-data-prefix-ats.iot.us-west-2.amazonaws.com"
      mqtt:
        port: 443
      greengrassDataPlanePort: 443
      networkProxy:
        noProxyAddresses: "http://192.168.0.1,www.example.com"
        proxy:
          url: "https://my-proxy-server:1100"
          username: "Mary_Major"
          password: "pass@word1357"
EOF
  )
  config() { # NAME FILE...
    local name=$1 first=1
    shift
    {
      printf '0'
      for file in "$@"; do
        [ $first = 1 ] || printf '%s' "$separator"
        first=0
        printf '%s\n' "$file"
      done
    } >"$out/$name"
  }
  config device-client "$device_client"
  config device-client-and-proxy "$device_client" "$http_proxy"
  config device-client-proxy-runtime "$device_client" "$http_proxy" "$runtime"
  config http-proxy "$http_proxy"
  # config-template.json as shipped: a bare placeholder word.
  config device-client-template "${device_client/\"secure-element-slot-id\": 0/\"secure-element-slot-id\": replace_with_secure_element_slot_id_integer}"
  config device-client-secure-element "${device_client/\"enabled\": false,
    \"pkcs11-lib\"/\"enabled\": true,
    \"pkcs11-lib\"}"
  config greengrass "$greengrass"
  # The PKCS#11 variant, an http:// proxy with user info, MQTT on 443 alone.
  local variant=${greengrass//\/greengrass\/v2\/device.pem.crt/pkcs11:object=iotdevicekey;type=cert}
  variant=${variant//https:\/\/my-proxy-server:1100/http://u%40x:p@10.1.2.3:3128}
  variant=${variant//greengrassDataPlanePort: 443/greengrassDataPlanePort: \"8443\"}
  config greengrass-pkcs11-proxy "$variant"
  config greengrass-flow '{system: {thingName: core, rootCaPath: ~root/AmazonRootCA1.pem, rootpath: ~/gg}, services: {aws.greengrass.Nucleus: {configuration: {iotDataEndpoint: a-ats.iot.eu-west-1.amazonaws.com, mqtt: {port: "8883"}}}}}'
  config greengrass-aliases $'system: &s\n  thingName: &t core\n  certificateFilePath: ~config/c.pem\nservices:\n  x: *s\n  y: [*t, *t, *t]\n'
  # Targets files.
  printf '1# endpoints of the fleet\na1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com\n\na1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com:8883  # MQTT\n[::1]:8443\n127.0.0.1:443\nA1B2C3D4E5F6G7-ATS.iot.us-east-1.amazonaws.com.\nbroker.example.com:443\n' >"$out/targets"
  printf '1\xef\xbb\xbfa-ats.iot.eu-west-1.amazonaws.com\r\nb.credentials.iot.eu-west-1.amazonaws.com:8443\r\n' >"$out/targets-bom-crlf"
  printf '1a.example b.example\n' >"$out/targets-two-words"
}

for target in "${@:-verify_and_render tls_server_bytes input config_and_lists}"; do
  for t in $target; do "$t"; done
done
ls -l fuzz/seeds/*
