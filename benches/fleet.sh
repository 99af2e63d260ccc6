#!/usr/bin/env bash
# Benchmarks `iotcheck fleet` against `openssl verify` over the same generated fleet:
#
#   iotcheck fleet --ca ca/ca.pem --crl ca/crl.pem --at T --jsonl devices   (every core)
#   openssl verify -CAfile ca/ca.pem -attime T FILE...                      (one process)
#
# The fleet is COUNT P-256 device certificates under one CA, every 100th on its CRL
# (examples/gen_fleet.rs, seed 1, no planted faults). Then a BIG fleet, iotcheck alone, for
# memory and throughput: peak RSS at COUNT and at BIG, the growth per certificate, and the
# extrapolation to a million. Prints hyperfine's output, then a compact table.
#
# Usage: bash benches/fleet.sh [--count N] [--big N] [--runs N] [--warmup N] [--no-build] [--keep]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

COUNT=10000
BIG=100000
RUNS=10
WARMUP=2
BUILD=1
KEEP=0
BIN=""
bench_args "--count=COUNT --big=BIG --runs=RUNS --warmup=WARMUP --no-build:BUILD=0 --keep:KEEP=1" "$@"

# Tools: hyperfine and GNU time come from Debian packages of the same names.
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi
need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
[ -x /usr/bin/time ] || need+=(time)
command -v openssl >/dev/null || need+=(openssl)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi

bench_build --bin iotcheck --example gen_fleet
ROOT=$(pwd)
GEN="$(bench_release_dir)/examples/gen_fleet"
[ -x "$GEN" ] || bench_fail "$GEN not found (cargo build --release --example gen_fleet)"

WORK=$(mktemp -d)
if [ "$KEEP" -eq 0 ]; then trap 'rm -rf "$WORK"' EXIT; else echo "files kept in $WORK" >&2; fi
AT=2026-06-01T00:00:00Z     # the generator's instant: every clean certificate valid, CRL current
AT_UNIX=1780272000

# peak_rss CMD... : the largest maximum resident set size (KiB) over 3 runs
peak_rss() {
    local max=0 kib i
    for i in 1 2 3; do
        /usr/bin/time -f %M -o "$WORK/rss" "$@" </dev/null >/dev/null 2>&1 || true
        kib=$(tail -n 1 "$WORK/rss")
        [ "$kib" -gt "$max" ] && max=$kib
    done
    echo "$max"
}

# summary FIELD: a number of the JSON lines' closing summary, read from stdin
summary() {
    tail -n 1 | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# --- COUNT: side by side with openssl ----------------------------------------------------------
echo "== generating $COUNT certificates" >&2
"$GEN" "$COUNT" "$WORK/small" 1 --no-faults >&2
cd "$WORK/small"
mapfile -t FILES < <(find devices -type f | LC_ALL=C sort)
[ "${#FILES[@]}" -eq "$COUNT" ] || { echo "fleet.sh: expected $COUNT files" >&2; exit 1; }
IOT=("$BIN" fleet --ca ca/ca.pem --crl ca/crl.pem --at "$AT" --jsonl devices)
SSL=(openssl verify -CAfile ca/ca.pem -attime "$AT_UNIX" "${FILES[@]}")

# Both must have judged every file: iotcheck finds exactly the certificates on the CRL (exit
# 1 for them), openssl says OK for every file (it is not given the CRL).
expected_revoked=$(( (COUNT - 1) / 100 ))
"${IOT[@]}" >"$WORK/out.jsonl" || [ $? -eq 1 ]
certificates=$(summary certificates <"$WORK/out.jsonl")
failing=$(summary failing <"$WORK/out.jsonl")
[ "$certificates" -eq "$COUNT" ] && [ "$failing" -eq "$expected_revoked" ] \
    || { echo "fleet.sh: iotcheck judged $certificates certificates, $failing failing; expected $COUNT, $expected_revoked" >&2; exit 1; }
ok=$("${SSL[@]}" 2>/dev/null | grep -c ': OK$' || true)
[ "$ok" -eq "$COUNT" ] || { echo "fleet.sh: openssl verified $ok of $COUNT" >&2; exit 1; }

echo "== hyperfine: $COUNT files" >&2
# The file names exceed what one argument may hold (hyperfine takes each command as one):
# both commands run through bash, openssl with the names from a list, still one process.
printf '%s\n' "${FILES[@]}" >files.txt
# -i: iotcheck exits 1, as it must, for the revoked certificates.
hyperfine -S bash -i --warmup "$WARMUP" --runs "$RUNS" --export-csv "$WORK/small.csv" \
    --command-name "iotcheck fleet" "${IOT[*]}" \
    --command-name "openssl verify" "openssl verify -CAfile ca/ca.pem -attime $AT_UNIX \$(cat files.txt)"
mean() { awk -F, -v row="$(($1 + 1))" 'NR == row { print $(NF - 6) }' "$WORK/small.csv"; }
IOT_MEAN=$(mean 1)
SSL_MEAN=$(mean 2)
IOT_RSS=$(peak_rss "${IOT[@]}")
SSL_RSS=$(peak_rss "${SSL[@]}")
cd "$ROOT"
rm -rf "$WORK/small"

# --- BIG: memory and throughput ------------------------------------------------------------------
echo "== generating $BIG certificates" >&2
"$GEN" "$BIG" "$WORK/big" 1 --no-faults >&2
cd "$WORK/big"
BIG_CMD=("$BIN" fleet --ca ca/ca.pem --crl ca/crl.pem --at "$AT" --jsonl devices)
start=$(date +%s.%N)
"${BIG_CMD[@]}" >/dev/null || [ $? -eq 1 ]
BIG_SECS=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
BIG_RSS=$(peak_rss "${BIG_CMD[@]}")
cd "$ROOT"

echo
printf '%-34s %10s %10s\n' "$COUNT files" "mean s" "max RSS"
printf '%-34s %10.3f %7d KiB\n' "iotcheck fleet (--crl, --jsonl)" "$IOT_MEAN" "$IOT_RSS"
printf '%-34s %10.3f %7d KiB\n' "openssl verify (one process)" "$SSL_MEAN" "$SSL_RSS"
awk -v a="$IOT_MEAN" -v b="$SSL_MEAN" 'BEGIN { printf "ratio iotcheck/openssl: %.2f (target <= 0.50)\n", a / b }'
awk -v n="$COUNT" -v r="$IOT_RSS" 'BEGIN { printf "peak RSS at %d: %.1f MiB (target < 64 MiB)\n", n, r / 1024 }'
echo
awk -v n="$BIG" -v s="$BIG_SECS" -v r="$BIG_RSS" -v n0="$COUNT" -v r0="$IOT_RSS" 'BEGIN {
    per = (r - r0) * 1024 / (n - n0)
    printf "%d files: %.2f s, %.0f certificates/s, peak RSS %.1f MiB\n", n, s, n / s, r / 1024
    printf "growth: %.0f bytes per certificate; a million: about %.0f MiB\n", per, (r0 * 1024 + per * (1000000 - n0)) / 1048576
}'
