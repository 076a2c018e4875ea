#!/usr/bin/env bash
# Runs test suites under a sanitizer (docs/testing.md "Fuzzing and sanitizers").
#
#   scripts/sanitize.sh address [SUITE ...]    AddressSanitizer, build in .build-asan
#   scripts/sanitize.sh thread [SUITE ...]     ThreadSanitizer, build in .build-tsan
#
# SUITE is a test target's short name (Model for ClustmakeModelTests). Without suites: every suite that needs no
# daemon besides redis (all but Integration and Handoff, which start sshd, SLURM, cron and at as root; name them to
# run them). Each suite runs on its own, so that one sanitizer report names its suite; the script prints one
# line per suite (passed, failed or hung, with its log) and exits 1 if any did not pass. A suite still running after
# CLUSTMAKE_SANITIZE_TIMEOUT seconds (default 900) is stopped and reported as hung.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

usage() {
    echo "usage: scripts/sanitize.sh address|thread [SUITE ...]" >&2
    exit 2
}
[ $# -ge 1 ] || usage
sanitizer=$1
shift
case $sanitizer in
address)
    scratch="$root/.build-asan"
    ;;
thread)
    scratch="$root/.build-tsan"
    ;;
*) usage ;;
esac
suites=("$@")
[ ${#suites[@]} -gt 0 ] ||
    suites=(Model JSON Input Planner Scheduler Store Collector Scripts Redis Hosts Dispatch System Worker Commands
        Architecture)
for suite in "${suites[@]}"; do
    [ -d "$root/Tests/Clustmake${suite}Tests" ] || {
        echo "sanitize: no test suite '$suite' (Tests/Clustmake${suite}Tests does not exist)" >&2
        exit 2
    }
done

# The whole test build, instrumented: a suite links every module it imports, each one instrumented.
# SwiftPM's warnings about the pkg-config files' -D flags and gold's about ASan's local symbols say nothing about
# clustmake: left out.
status=0
output=$(swift build --build-tests --scratch-path "$scratch" --sanitize "$sanitizer" 2>&1) || status=$?
grep -vE "^warning: prohibited flag|warning: Cannot export local symbol '__asan" <<<"$output" || true
if [ $status -ne 0 ]; then
    echo "sanitize: the build with --sanitize $sanitizer failed (output above)" >&2
    exit 1
fi

# Leaks that are the toolchain's, not clustmake's (each one explained in the file).
export LSAN_OPTIONS="suppressions=$root/scripts/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
# A suite that takes longer than this is stopped and reported as hung.
limit=${CLUSTMAKE_SANITIZE_TIMEOUT:-900}
mkdir -p "$scratch/logs"
status=0
for suite in "${suites[@]}"; do
    log="$scratch/logs/$suite.log"
    start=$(date +%s)
    # --disable-xctest: the suites are Swift Testing's; XCTest's empty run leaks 144 bytes of its own at exit, which
    # LeakSanitizer would report as a failure of every suite.
    if timeout "$limit" swift test --skip-build --scratch-path "$scratch" --sanitize "$sanitizer" --disable-xctest \
        --filter "^Clustmake${suite}Tests\." >"$log" 2>&1; then
        result=passed
    else
        code=$?
        result="FAILED (log $log)"
        [ $code -ne 124 ] || result="HUNG: stopped after ${limit}s (log $log)"
        status=1
    fi
    tests=$(grep -oE 'Test run with [0-9]+ tests? in [0-9]+ suites?' "$log" | tail -1 || true)
    printf '%-12s %s in %ss: %s\n' "$suite" "$result" "$(($(date +%s) - start))" "${tests:-see log}"
    # A test whose bound accounts for the sanitizer says so in a line of its own (the worker's peak memory).
    grep -h '^sanitize-note: ' "$log" | sed 's/^sanitize-note: /             note: /' || true
done
exit $status
