#!/usr/bin/env bash
# Start-up cost of iotcheck: whole processes side by side in one hyperfine run, against the
# smallest Rust program built with the same profile (a hello world built here) and against
# `openssl verify` on the same chain; peak RSS, page faults and instruction counts of each; the
# dynamic relocations the loader applies at every start. See benches/README.md.
#
# Targets: verify-chain <= 0.45x openssl verify; --version <= 1.3x hello world; peak RSS of a
# single-chain command under 8 MiB.
#
# Usage: bash benches/startup.sh [--runs N] [--warmup N] [--rss-runs N] [--no-build]
#                                [--no-instructions] [--bin PATH]   (--bin: another build)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RUNS=300
WARMUP=30
RSS_RUNS=5
BUILD=1
INSTRUCTIONS=1
BIN=""
bench_args "--runs=RUNS --warmup=WARMUP --rss-runs=RSS_RUNS --no-build:BUILD=0
            --no-instructions:INSTRUCTIONS=0 --bin=BIN" "$@"
bench_need hyperfine openssl readelf jq
[ -x /usr/bin/time ] || bench_fail "needs GNU time (apt-get install time)"
bench_build

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# The baseline: the smallest Rust program, a crate of its own (so that nothing of this
# package's dependencies is built for it) with this package's [profile.release], linked the way
# the binary is (position-dependent when the binary is: build.rs).
mkdir -p "$TMP/hello/src"
printf 'fn main() {\n    println!("Hello, world!");\n}\n' >"$TMP/hello/src/main.rs"
{
    printf '[package]\nname = "hello_world"\nversion = "0.1.0"\nedition = "2021"\n\n[workspace]\n\n'
    awk '/^\[/ { on = ($0 == "[profile.release]") } on' Cargo.toml
} >"$TMP/hello/Cargo.toml"
HELLO_FLAGS=""
if readelf -hW "$BIN" | grep -q 'Type:.*EXEC'; then HELLO_FLAGS="-C link-arg=-no-pie"; fi
echo "== hello world: cargo build --release (profile.release of Cargo.toml; RUSTFLAGS=$HELLO_FLAGS)" >&2
(cd "$TMP/hello" && RUSTFLAGS="$HELLO_FLAGS" cargo build --release --quiet --target-dir "$TMP/hello/target")
HELLO="$TMP/hello/target/release/hello_world"

AT=1772323200   # 2026-03-01T00:00:00Z, inside the eu-central-1 leaf's validity
CHAIN=fixtures/aws/eu-central-1-chain.pem
cat fixtures/aws/iot.eu-central-1_leaf.pem fixtures/aws/Amazon_RSA_2048_M04.pem | cmp -s - "$CHAIN" \
    || { echo "startup.sh: $CHAIN is not leaf + M04" >&2; exit 1; }
SSL=(openssl verify -no-CAfile -no-CApath -no-CAstore -CAfile fixtures/aws/AmazonRootCA1.pem
     -untrusted fixtures/aws/Amazon_RSA_2048_M04.pem -attime "$AT" fixtures/aws/iot.eu-central-1_leaf.pem)
V_CA=("$BIN" verify-chain --ca fixtures/aws/AmazonRootCA1.pem --at "@$AT" "$CHAIN")
V_EMB=("$BIN" verify-chain --at "@$AT" "$CHAIN")
VERSION=("$BIN" --version)
HW=("$HELLO")
INSPECT=("$BIN" inspect "$CHAIN")
DEVICE=("$BIN" device --cert fixtures/device/ec.pem --key fixtures/device/ec.key --at 2026-06-01T00:00:00Z)

# Each must succeed before it is timed.
for cmd in SSL V_CA V_EMB VERSION HW INSPECT DEVICE; do
    declare -n c=$cmd
    "${c[@]}" </dev/null >"$TMP/out" 2>&1 || { cat "$TMP/out" >&2; echo "startup.sh: failed: ${c[*]}" >&2; exit 1; }
done

echo "== hyperfine: $RUNS runs after $WARMUP warm-up, one run, side by side" >&2
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$TMP/h.json" \
    "${SSL[*]}" "${V_CA[*]}" "${V_EMB[*]}" "${HW[*]}" "${VERSION[*]}" >&2

# mean_ms INDEX (0-based, in the order above)
mean_ms() { jq -r ".results[$1].mean * 1000" "$TMP/h.json"; }
sd_ms() { jq -r ".results[$1].stddev * 1000" "$TMP/h.json"; }
median_ms() { jq -r ".results[$1].median * 1000" "$TMP/h.json"; }

# rss_faults CMD... : "largest max RSS (KiB) over RSS_RUNS runs|minor page faults of that run"
rss_faults() {
    local max=0 faults=0 kib f i
    for ((i = 0; i < RSS_RUNS; i++)); do
        /usr/bin/time -f "%M %R" -o "$TMP/rss" "$@" </dev/null >/dev/null 2>&1
        read -r kib f < <(tail -n 1 "$TMP/rss")
        if [ "$kib" -gt "$max" ]; then max=$kib; faults=$f; fi
    done
    echo "$max|$faults"
}

# instructions CMD... : "total|in the dynamic loader" (callgrind, the whole process)
instructions() {
    valgrind --tool=callgrind --callgrind-out-file="$TMP/cg" "$@" </dev/null >/dev/null 2>&1
    python3 benches/callgrind_objects.py "$TMP/cg" | awk '
        $1 == "TOTAL" { total = $2 } /ld-linux/ { ld += $1 } END { printf "%d|%d\n", total, ld }'
}

ROWS="$TMP/rows"
: >"$ROWS"
row() {  # row INDEX LABEL BASE_INDEX TARGET CMD...
    local i=$1 label=$2 base=$3 target=$4; shift 4
    local mean sd median ratio rf ins="-|-"
    mean=$(mean_ms "$i"); sd=$(sd_ms "$i"); median=$(median_ms "$i")
    ratio=$(awk -v a="$mean" -v b="$(mean_ms "$base")" 'BEGIN { printf "%.2f", a / b }')
    rf=$(rss_faults "$@")
    if [ "$INSTRUCTIONS" -eq 1 ] && command -v valgrind >/dev/null; then ins=$(instructions "$@"); fi
    echo "$label|$mean|$sd|$median|$ratio|$target|$rf|$ins" >>"$ROWS"
}
echo "== peak RSS, page faults, instructions" >&2
row 0 "openssl verify" 0 "" "${SSL[@]}"
row 1 "iotcheck verify-chain --ca" 0 "<= 0.45" "${V_CA[@]}"
row 2 "iotcheck verify-chain (embedded roots)" 0 "<= 0.45" "${V_EMB[@]}"
row 3 "hello world (same profile)" 3 "" "${HW[@]}"
row 4 "iotcheck --version" 3 "<= 1.30" "${VERSION[@]}"
# Single-chain commands outside the timed set: RSS only.
for extra in INSPECT DEVICE; do
    declare -n c=$extra
    rf=$(rss_faults "${c[@]}")
    ins="-|-"
    if [ "$INSTRUCTIONS" -eq 1 ] && command -v valgrind >/dev/null; then ins=$(instructions "${c[@]}"); fi
    echo "iotcheck ${c[1]}|-|-|-|-||$rf|$ins" >>"$ROWS"
done

relocations() {  # the loader's work on a binary: section sizes, relative relocations, PIE or not
    local f=$1 name size
    readelf -SW "$f" | sed 's/^ *\[ *[0-9]*\]//' | awk '$1 == ".rela.dyn" || $1 == ".data.rel.ro" { print $1, $5 }' \
        | while read -r name size; do printf "%s %d B, " "$name" "$((16#$size))"; done
    printf "%s relative relocations, " "$(readelf -dW "$f" | awk '/RELACOUNT/ { n = $NF } END { print n + 0 }')"
    readelf -hW "$f" | awk '/Type:/ { print ($2 == "DYN" ? "position-independent (PIE)" : "position-dependent") }'
}

{
    echo
    echo "| command | mean ± σ | median | ratio | target | peak RSS | minor faults | instructions | in ld.so |"
    echo "|---|---:|---:|---:|---|---:|---:|---:|---:|"
    awk -F'|' '{
        t = ($2 == "-") ? "-" : sprintf("%.2f ± %.2f ms", $2, $3)
        m = ($4 == "-") ? "-" : sprintf("%.2f ms", $4)
        r = ($5 == "-") ? "-" : "**" $5 "**"
        i = ($9 == "-") ? "-" : sprintf("%.2f M", $9 / 1e6)
        l = ($10 == "-") ? "-" : sprintf("%.2f M", $10 / 1e6)
        printf "| %s | %s | %s | %s | %s | %.1f MiB | %s | %s | %s |\n", $1, t, m, r, $6, $7 / 1024, $8, i, l
    }' "$ROWS"
    echo
    echo "ratio: verify-chain rows against openssl verify, --version against hello world."
    echo "iotcheck:    $(relocations "$BIN")"
    echo "hello world: $(relocations "$HELLO")"
    echo "binary: $(stat -c %s "$BIN") bytes; $(uptime | sed 's/.*load/load/')"
}
