#!/usr/bin/env bash
# Writes startup-symbols.txt: the functions that the single-chain commands run (`--version`,
# `verify-chain` with --ca and with the embedded roots, `inspect`, `device`), in the order
# callgrind first sees them. build.rs has the linker place them first and together in the
# binary's code, so a command's start-up touches a few hundred KB of code instead of pages
# scattered over 13 MB (see benches/README.md, "Start-up").
#
# Symbol names change with the compiler and the dependencies' versions: a name not found in a
# build is skipped by the linker, and such a build is only as fast as one without the file.
# Re-run this after a compiler or Cargo.lock update; it says how many names the previous file
# still matched.
#
# Usage: bash benches/startup-order.sh [--no-build] [--bin PATH]   (PATH: a build not stripped)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BUILD=1
BIN=""
bench_args "--no-build:BUILD=0 --bin=BIN" "$@"
bench_need valgrind python3 nm
# Symbols are needed: this build is not stripped (the release profile strips).
export CARGO_PROFILE_RELEASE_STRIP=false
bench_build
[ "$(nm "$BIN" | grep -c ' T main$')" -gt 0 ] || bench_fail "$BIN is stripped (build with CARGO_PROFILE_RELEASE_STRIP=false)"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

AT=1772323200   # 2026-03-01T00:00:00Z, as in startup.sh
CHAIN=fixtures/aws/eu-central-1-chain.pem
run() {  # run NAME ARGS...: one callgrind profile of the binary
    local name=$1
    shift
    valgrind --tool=callgrind --demangle=no --callgrind-out-file="$TMP/$name" "$BIN" "$@" \
        </dev/null >/dev/null 2>"$TMP/$name.err" || { cat "$TMP/$name.err" >&2; bench_fail "failed: $*"; }
}
run version --version
run verify-ca verify-chain --ca fixtures/aws/AmazonRootCA1.pem --at "@$AT" "$CHAIN"
run verify verify-chain --at "@$AT" "$CHAIN"
run inspect inspect "$CHAIN"
run device device --cert fixtures/device/ec.pem --key fixtures/device/ec.key --at 2026-06-01T00:00:00Z

if [ -f startup-symbols.txt ]; then
    nm "$BIN" | awk '{ print $NF }' | sort -u >"$TMP/defined"
    sort -u startup-symbols.txt >"$TMP/previous"
    echo "previous startup-symbols.txt: $(comm -12 "$TMP/previous" "$TMP/defined" | wc -l) of $(wc -l <"$TMP/previous") names found in $BIN" >&2
fi
python3 benches/startup-order.py "$BIN" "$TMP"/version "$TMP"/verify-ca "$TMP"/verify "$TMP"/inspect \
    "$TMP"/device >startup-symbols.txt
echo "startup-symbols.txt: $(wc -l <startup-symbols.txt) functions" >&2
