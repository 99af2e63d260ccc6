#!/usr/bin/env bash
# Builds the fuzz targets and runs each for a fixed time from its seeds; fails on any crash.
# FUZZ_SECONDS sets the time per target (default 33: four targets, 132 s in all, within the
# CI's fuzzing budget of 135 s, which three targets of 45 s once took). FUZZ_TARGETS names
# the targets to run (default: all, space-separated). New inputs go to fuzz/corpus/ (not
# committed); a crashing input is left in fuzz/artifacts/TARGET/, each run's log in
# fuzz/artifacts/TARGET.log.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${FUZZ_SECONDS:-33}
# The code under test is safe Rust (the C of aws-lc is not instrumented either way), so the
# address sanitizer finds little here; without it builds and runs are about twice as fast.
# Panics, arithmetic overflow (debug assertions are on), leaks of time and memory still fail.
sanitizer=(--sanitizer "${FUZZ_SANITIZER:-none}")

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
rustup toolchain list | grep -q '^nightly' || {
  echo "fuzz: the nightly toolchain is needed (rustup toolchain install nightly)" >&2
  exit 1
}

# Seeds: committed ones, plus the fixtures themselves for the file-reading targets.
declare -A seeds=(
  [input]="seeds/input ../fixtures/device ../fixtures/bad ../fixtures/aws ../fixtures/server ../fixtures/roots"
  [verify_and_render]="seeds/verify_and_render ../fixtures/fail ../fixtures/server ../fixtures/aws"
  [tls_server_bytes]="seeds/tls_server_bytes"
  [config_and_lists]="seeds/config_and_lists"
)
declare -A options=(
  [input]="-dict=dicts/pem.dict"
  [verify_and_render]="-dict=dicts/pem.dict"
  [tls_server_bytes]=""
  [config_and_lists]="-dict=dicts/config.dict"
)
# shellcheck disable=SC2206 # the list is split on purpose
targets=(${FUZZ_TARGETS:-input verify_and_render tls_server_bytes config_and_lists})
# One libFuzzer process per target, one after another (no -jobs/-workers): two cores at most.
# An input that takes over 10 s fails the run like a crash (libFuzzer's default is 20 minutes):
# every input of these targets takes milliseconds, and the tool must never hang.

started=$SECONDS
# By name: the record_flight helper (fuzz/seeds.sh) links only with a sanitizer runtime.
for target in "${targets[@]}"; do
  cargo +nightly fuzz build "${sanitizer[@]}" "$target"
done
echo "fuzz: built in $((SECONDS - started)) s"

summary=()
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target" "artifacts/$target"
  log="artifacts/$target.log"
  # shellcheck disable=SC2086 # the seed and option lists are split on purpose
  if ! cargo +nightly fuzz run "${sanitizer[@]}" "$target" "corpus/$target" ${seeds[$target]} \
    -- -max_total_time="$seconds" -timeout=10 -print_final_stats=1 ${options[$target]} \
    >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz: $target crashed or hung; the input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
  # libFuzzer's closing status line: "#RUNS DONE cov: N ft: N corp: ... exec/s: N ...".
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 |
    awk '{ runs = substr($1, 2); $1 = ""; $2 = ""; sub(/^ +/, ""); print runs " executions; " $0 }')
  summary+=("fuzz: $target ($seconds s): $last")
done
printf '%s\n' "${summary[@]}"
echo "fuzz: done in $((SECONDS - started)) s"
