#!/usr/bin/env bash
# Builds the self-contained worker that `clustmake hosts install` copies to hosts: compmake in release mode with the
# Swift runtime, hiredis, jansson and libstdc++ linked statically, so that a host needs only a C library (glibc as
# new as this machine's) and `ldd` lists nothing but libc, libm and the dynamic loader. See docs/hosts.md.
#
#   scripts/build-worker.sh [OUTPUT]      default OUTPUT: .build-static/worker/compmake
#
# How: SwiftPM links hiredis and jansson with the -L and -l flags of their pkg-config files, and the linker takes a
# shared library over a static one in the same directory. So this script writes its own hiredis.pc and jansson.pc
# whose -L is a directory holding only the static archives (and libstdc++.a, which the static Swift runtime links
# with -lstdc++), points PKG_CONFIG_PATH at them, and builds with --static-swift-stdlib and -static-libgcc. No flag
# in Package.swift changes: the package stays usable as a dependency.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scratch="${CLUSTMAKE_STATIC_SCRATCH:-$root/.build-static}"
output="${1:-$root/.build-static/worker/compmake}"
static="$scratch/static-libs"

fail() { echo "build-worker: $*" >&2; exit 1; }

command -v swift >/dev/null || fail "swift is not on PATH (install a Swift toolchain, 6.2 or later)"
clang=$(dirname "$(readlink -f "$(command -v swift)")")/clang
[ -x "$clang" ] || clang=$(command -v clang || command -v cc || true)
[ -n "$clang" ] || fail "no C compiler driver (clang from the Swift toolchain, or cc) to find the static libraries"

# The static archives, where the compiler driver finds them.
archive() {
    local path
    path=$("$clang" -print-file-name="$1")
    if [ "$path" = "$1" ] || [ ! -f "$path" ]; then fail "$1 not found: install the Debian package $2"; fi
    readlink -f "$path"
}
hiredis=$(archive libhiredis.a libhiredis-dev)
jansson=$(archive libjansson.a libjansson-dev)
stdcxx=$(archive libstdc++.a "libstdc++-12-dev (the libstdc++ of your gcc)")

# A pkg-config file like the system's, with -L pointing at the directory of static archives only.
pcfile() {
    local name=$1 system
    system=$(for dir in /usr/lib/x86_64-linux-gnu/pkgconfig /usr/lib/"$(uname -m)"-linux-gnu/pkgconfig \
        /usr/lib/pkgconfig /usr/share/pkgconfig /usr/local/lib/pkgconfig; do
        [ -f "$dir/$name.pc" ] && echo "$dir/$name.pc" && break
    done) || true
    [ -n "$system" ] || fail "$name.pc not found: install the Debian package lib$name-dev"
    sed -e "s|^Libs:.*|Libs: -L$static -l$name|" -e '/^Libs.private:/d' "$system" > "$static/pkgconfig/$name.pc"
}
rm -rf "$static"
mkdir -p "$static/pkgconfig" "$(dirname "$output")"
ln -s "$hiredis" "$static/libhiredis.a"
ln -s "$jansson" "$static/libjansson.a"
ln -s "$stdcxx" "$static/libstdc++.a"
pcfile hiredis
pcfile jansson

# Linked at a fixed address (-no-pie) and without a run path. A position-independent executable of this size carries
# some 27,000 relocations that the dynamic loader applies at every start, each page they touch becoming a private
# copy, which every fork of a job then copies again: about 0.5 ms of CPU per worker process (docs/hosts.md, "The
# self-contained worker"). CLUSTMAKE_WORKER_PIE=1 builds it position-independent instead (docs/security.md says what
# that protects). The $ORIGIN run path is left out: the worker loads no library from its own directory.
layout=(-Xswiftc -Xclang-linker -Xswiftc -no-pie)
[ "${CLUSTMAKE_WORKER_PIE:-0}" = 1 ] && layout=()
# The type metadata of concrete generic types (Result<…>, [Int32], …) through their accessor functions rather than
# by demangling their names at first use: a worker process uses each once, so the demangling was a fifth of the
# instructions of a worker's job (callgrind: 2.36 M instructions a job, 1.79 M so built; docs/worker.md, "Overhead").
metadata=(-Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors)
PKG_CONFIG_PATH="$static/pkgconfig" swift build -c release --product compmake --static-swift-stdlib \
    --scratch-path "$scratch" --disable-local-rpath -Xswiftc -Xclang-linker -Xswiftc -static-libgcc "${layout[@]}" \
    "${metadata[@]}"
built="$scratch/release/compmake"

# Only C-library-level dependencies may remain.
needed=$(readelf -d "$built" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
for library in $needed; do
    case "$library" in
        libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | libutil.so.* | ld-linux*.so.*) ;;
        *) fail "$built still needs $library (readelf -d); the static link did not take" ;;
    esac
done

cp "$built" "$output.tmp"
strip "$output.tmp"
mv -f "$output.tmp" "$output"
version=$("$output" --version)
glibc=$(objdump -T "$output" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n 1)
kind=$(readelf -h "$output" | sed -n 's/^ *Type: *\([A-Z]*\).*/\1/p')
[ "$kind" = EXEC ] && kind="fixed address" || kind="position-independent"
echo "$output: $version; $(stat -c %s "$output") bytes, $kind; needs $(echo "$needed" | paste -sd, -); hosts need ${glibc/_/ } or newer"
