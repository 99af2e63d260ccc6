# What every benchmark script shares, sourced first thing: `source "$(dirname "$0")/lib.sh"`.
# It moves to the repository root, and gives the script its option parsing, its usage text (the
# script's own header comment), the release build and the binary under test. See README.md.

BENCH_SCRIPT=$(realpath "$0")
BENCH_NAME=${BENCH_SCRIPT##*/}
cd "$(dirname "$BENCH_SCRIPT")/.." || exit 2

# bench_usage: the script's header comment, from its second line to the first line that is not
# a comment.
bench_usage() {
    awk 'NR == 1 { next } !/^#/ { exit } { sub(/^# ?/, ""); print }' "$BENCH_SCRIPT"
}

# bench_fail MESSAGE: a usage or set-up error, on stderr, exit 2.
bench_fail() {
    echo "$BENCH_NAME: $*" >&2
    exit 2
}

# bench_args SPEC "$@": parses the script's options into its variables. SPEC lists the options
# the script takes, separated by spaces: `--runs=RUNS` takes a value into RUNS, `--keep:KEEP=1`
# is a switch that sets KEEP to 1. -h and --help print the usage. `--bin=BIN` (another build of
# iotcheck) also sets BUILD=0.
bench_args() {
    local spec=$1 word found
    shift
    while [ $# -gt 0 ]; do
        case "$1" in -h | --help) bench_usage; exit 0 ;; esac
        found=0
        for word in $spec; do
            case "$word" in
                "$1="*)
                    [ $# -ge 2 ] || { bench_usage >&2; bench_fail "$1 needs a value"; }
                    printf -v "${word#*=}" '%s' "$2"
                    [ "$word" != --bin=BIN ] || BUILD=0
                    shift 2
                    found=1
                    break
                    ;;
                "$1:"*)
                    word=${word#*:}
                    printf -v "${word%%=*}" '%s' "${word#*=}"
                    shift
                    found=1
                    break
                    ;;
            esac
        done
        [ "$found" -eq 1 ] || { bench_usage >&2; bench_fail "unknown argument: $1"; }
    done
}

# bench_need TOOL...: fails naming the first tool that is not installed.
bench_need() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || bench_fail "needs $tool (apt-get install $tool)"
    done
}

# bench_build [CARGO ARGS...]: unless BUILD=0, `cargo build --release --locked` (by default the
# iotcheck binary; the arguments replace that). Then BIN, unless --bin set it, is the release
# binary; BIN becomes an absolute path and must be executable.
bench_build() {
    [ $# -gt 0 ] || set -- --bin iotcheck
    if [ "${BUILD:-1}" -eq 1 ]; then
        echo "== cargo build --release --locked $*" >&2
        cargo build --release --locked "$@"
    fi
    BIN=${BIN:-${CARGO_TARGET_DIR:-target}/release/iotcheck}
    [ -x "$BIN" ] || bench_fail "$BIN not found (build with cargo build --release, or give --bin PATH)"
    BIN=$(realpath "$BIN")
}

# The release directory of the build (absolute), for the examples a benchmark also runs.
bench_release_dir() {
    realpath "${CARGO_TARGET_DIR:-target}/release"
}

# bench_against_sum JSON LABEL: from hyperfine's --export-json, the command named "doctor"
# (its mean labelled LABEL) against the sum of the others' means: one run against the
# separate runs it replaces.
bench_against_sum() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
doctor = results.pop("doctor")
separate = sum(r["mean"] for r in results.values())
ms = lambda s: f"{s * 1000:.1f} ms"
print()
print(f"{sys.argv[2]:<29} mean {ms(doctor['mean'])} ± {ms(doctor['stddev'])}")
for name, r in results.items():
    print(f"{name:<29} mean {ms(r['mean'])} ± {ms(r['stddev'])}")
print(f"sum of the separate runs      {ms(separate)}")
print(f"ratio doctor / sum            {doctor['mean'] / separate:.2f}")
EOF
}
