#!/usr/bin/env bash
# Builds clustmake's libFuzzer targets (Fuzz/, docs/testing.md "Fuzzing and sanitizers") and runs them.
#
#   scripts/fuzz.sh TARGET SECONDS     one target for SECONDS seconds
#   scripts/fuzz.sh all SECONDS        every target for SECONDS seconds each, two at a time
#   scripts/fuzz.sh build              only build the targets
#
# Targets: graph-json, graph-yaml, wfcommons, cluster, worker-args, store-records.
#
# How: the library modules the targets call are built with coverage instrumentation and ASan
# (`swift build -Xswiftc -sanitize=fuzzer,address --target ...`, in .build-fuzz so the normal build never changes),
# then each Fuzz/TARGET.swift is compiled and linked against their objects with
# `swiftc -sanitize=fuzzer,address -parse-as-library`: libFuzzer brings `main`. The package's executables are never
# linked with libFuzzer (their own `main` would clash with it), which is why the targets are not SwiftPM products.
#
# Each run starts from Fuzz/Corpus/TARGET plus the repository's own examples and fixtures, keeps the inputs that
# reached new code in .build-fuzz/corpus/TARGET, and writes a crashing input to .build-fuzz/crashes/TARGET/. It prints
# one line per target: executions, coverage (edges and features), and the crash, if any. Exit status 1 if a target
# crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scratch="$root/.build-fuzz"
targets=(graph-json graph-yaml wfcommons cluster worker-args store-records)

usage() {
    echo "usage: scripts/fuzz.sh TARGET|all SECONDS, or scripts/fuzz.sh build (targets: ${targets[*]})" >&2
    exit 2
}
fail() {
    echo "fuzz: $*" >&2
    exit 2
}

[ $# -ge 1 ] || usage
what=$1
if [ "$what" != build ]; then
    [ $# -eq 2 ] || usage
    seconds=$2
    [[ $seconds =~ ^[1-9][0-9]*$ ]] || fail "SECONDS must be a whole number of seconds, such as 600 (got '$seconds')"
fi
case " all build ${targets[*]} " in
*" $what "*) ;;
*) fail "unknown target '$what' (targets: ${targets[*]}, or all)" ;;
esac

# Swift code and C code (Yams' libyaml) instrumented alike; jansson and hiredis are the system's, not instrumented.
# shellcheck disable=SC2054 # the commas are part of the sanitizer lists
flags=(-Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address)

# Runs a command, leaving out of its output the warnings that say nothing about clustmake: SwiftPM's about the
# pkg-config files' -D flags, and gold's about ASan's local symbols.
quietly() {
    local output status=0
    output=$("$@" 2>&1) || status=$?
    grep -vE "^warning: prohibited flag|warning: Cannot export local symbol '__asan" <<<"$output" || true
    return $status
}

build() {
    for module in ClustmakeInput ClustmakeWorker; do
        quietly swift build --scratch-path "$scratch" "${flags[@]}" --target "$module" ||
            fail "building $module with -sanitize=fuzzer,address failed (output above)"
    done
    local bin objects=() maps=() libraries object map
    read -ra libraries <<<"$(pkg-config --libs jansson hiredis)"
    bin=$(swift build --scratch-path "$scratch" "${flags[@]}" --show-bin-path 2>/dev/null)
    # Every library module's objects (the executables' and the tests' are never built here).
    while IFS= read -r object; do objects+=("$object"); done < <(
        find "$bin" -path "$bin/*.build/*.o" -not -path "$bin/clustmake.build/*" -not -path "$bin/compmake.build/*" |
            sort
    )
    while IFS= read -r map; do maps+=(-Xcc "-fmodule-map-file=$map"); done < <(
        find "$bin" "$root/Sources" "$scratch/checkouts" -name module.modulemap -path "*C*" | sort
    )
    mkdir -p "$scratch/fuzzers"
    for target in "${targets[@]}"; do
        quietly swiftc -sanitize=fuzzer,address -parse-as-library -g -I "$bin/Modules" "${maps[@]}" \
            "$root/Fuzz/FuzzInput.swift" "$root/Fuzz/$target.swift" "${objects[@]}" "${libraries[@]}" \
            -o "$scratch/fuzzers/$target" || fail "linking the fuzz target $target failed (output above)"
    done
}

# The seeds of a target beyond Fuzz/Corpus/TARGET: the repository's own examples and fixtures.
seeds() {
    case $1 in
    graph-yaml) echo "$root/examples/hello.yaml" ;;
    wfcommons) ls "$root"/Tests/ClustmakeInputTests/Fixtures/wfcommons/*.json ;;
    cluster) echo "$root/examples/cluster.yaml" ;;
    esac
}

run() {
    local target=$1 corpus="$scratch/corpus/$1" crashes="$scratch/crashes/$1" log="$scratch/logs/$1.log"
    mkdir -p "$corpus" "$crashes" "$(dirname "$log")"
    cp "$root/Fuzz/Corpus/$target"/* "$corpus/"
    for seed in $(seeds "$target"); do cp "$seed" "$corpus/"; done
    local status=0
    "$scratch/fuzzers/$target" -max_total_time="$seconds" -timeout=30 -print_final_stats=1 \
        -artifact_prefix="$crashes/" "$corpus" >"$log" 2>&1 || status=$?
    local executions coverage crash
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    coverage=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
    crash=$(sed -n 's/.*Test unit written to //p' "$log" | tail -1)
    if [ $status -eq 0 ]; then
        printf '%-14s %10s executions in %ss, %s, crashes: 0\n' "$target" "${executions:-?}" "$seconds" "$coverage"
    else
        printf '%-14s %10s executions, %s, crashes: 1 (%s; log %s)\n' "$target" "${executions:-?}" "$coverage" \
            "${crash:-exit status $status}" "$log"
        return 1
    fi
}

build
[ "$what" = build ] && exit 0
if [ "$what" != all ]; then
    run "$what"
    exit
fi
status=0
for ((i = 0; i < ${#targets[@]}; i += 2)); do
    run "${targets[i]}" &
    first=$!
    second=
    if [ $((i + 1)) -lt ${#targets[@]} ]; then
        run "${targets[i + 1]}" &
        second=$!
    fi
    wait $first || status=1
    [ -z "$second" ] || wait "$second" || status=1
done
exit $status
