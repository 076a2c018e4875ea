#!/usr/bin/env bash
# Builds clustmake and runs the whole test suite. Fails on any compiler warning or formatting issue in clustmake's
# own code (.swift-format).
set -euo pipefail
cd "$(dirname "$0")/.."
swift format lint --strict --recursive Package.swift Sources Tests
log=$(mktemp)
trap 'rm -f "$log"' EXIT
swift build --build-tests 2>&1 | tee "$log"
if grep -E "^$(pwd)/(Sources|Tests)/.*: warning:" "$log"; then
    echo "error: compiler warnings in clustmake's code (listed above)" >&2
    exit 1
fi
# The self-contained worker that 'clustmake hosts install' copies (and its tests check).
scripts/build-worker.sh
swift test --skip-build 2>&1
