#!/usr/bin/env bash
# Regenerates the committed seeds in fuzz/seeds/ from fixtures/:
# - verify_and_render/: a chain, the CA separator, then a CA file (the trust the chain needs,
#   or the wrong one);
# - tls_server_bytes/: real first flights of `openssl s_server` (TLS 1.2 and 1.3, RSA and ECC
#   chains, with and without a CertificateRequest, a HelloRetryRequest) answering the
#   fuzzing client's ClientHello, recorded with the record_flight helper; plus a few
#   hand-made answers (an alert, an HTTP reply).
# The input target needs no generated seeds: fuzz/run.sh feeds it fixtures/ directly.
# Needs the OpenSSL command line tool, the nightly toolchain and cargo-fuzz (for the helper).
set -euo pipefail
cd "$(dirname "$0")/.."
fx=fixtures
separator=$'\n--- ca file ---\n'

out=fuzz/seeds/verify_and_render
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

out=fuzz/seeds/tls_server_bytes
rm -rf "$out" && mkdir -p "$out"
(cd fuzz && cargo +nightly fuzz build --sanitizer address record_flight)
record=fuzz/target/x86_64-unknown-linux-gnu/release/record_flight
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
rsa=(-cert "$fx/server/rsa-leaf.pem" -key "$fx/server/rsa-leaf.key" -cert_chain "$fx/server/rsa-int.pem")
ec=(-cert "$fx/server/ec-leaf.pem" -key "$fx/server/ec-leaf.key" -cert_chain "$fx/server/ec-int.pem")
request=(-verify 1 -CAfile "$fx/device/device-ca.pem")
flight tls12-rsa -tls1_2 "${rsa[@]}"
flight tls12-ec-request -tls1_2 "${ec[@]}" "${request[@]}"
flight tls12-rsa-request -tls1_2 "${rsa[@]}" "${request[@]}"
flight tls13-rsa -tls1_3 "${rsa[@]}"
flight tls13-ec-request -tls1_3 "${ec[@]}" "${request[@]}"
flight tls13-hello-retry -tls1_3 -groups P-384 "${ec[@]}"
# An alert (handshake_failure), and an HTTP server on the TLS port.
printf '\x15\x03\x03\x00\x02\x02\x28' >"$out/alert"
printf 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n' >"$out/http"
ls -l fuzz/seeds/*
