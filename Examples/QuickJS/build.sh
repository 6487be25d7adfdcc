#!/usr/bin/env bash
# Builds QuickJS 2025-04-26 with PerfTrampoline against an installed PerfTrampoline
# (Scripts/install.sh):
#
#   Examples/QuickJS/build.sh PREFIX OUT
#
# Fetches Debian sid's source package quickjs (2025.04.26-1) with a temporary sources list (the
# machine's apt configuration is not changed; if sid has moved on, the same version from
# snapshot.debian.org), applies quickjs-perftrampoline.patch, and builds
#   OUT/qjs        patched: PERFSUPPORT=1 | jitdump, PERFTRAMPOLINE_SIGNAL, and a `perf` object
#   OUT/qjs-plain  the same source unpatched, same flags (-O2 -fno-omit-frame-pointer)
#   OUT/tests      QuickJS's own tests, as `make test` runs them (tests/*.js and the C module
#                  tests/bjson.so; examples/test_point.js with examples/point.so)
# Only what those need is built: qjs (and qjsc, which qjs's build needs to compile its REPL) and
# the two C modules (from the plain tree; they use only the public API, which the patch keeps).
# The patched build finds the library with pkg-config (cflags add -fno-omit-frame-pointer).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
prefix="${1:?usage: Examples/QuickJS/build.sh PREFIX OUT}"
out="${2:?usage: Examples/QuickJS/build.sh PREFIX OUT}"
version="2025.04.26-1"
snapshot="20261101T000000Z"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# apt-get source from one sources.list line, with a private state directory.
fetch() {
    local line="$1"
    rm -rf "$work/apt"
    mkdir -p "$work/apt/lists/partial"
    echo "$line" > "$work/apt/sources.list"
    local apt_options=(-o "Dir::Etc::sourcelist=$work/apt/sources.list" -o "Dir::Etc::sourceparts=$work/apt/none"
                       -o "Dir::State::Lists=$work/apt/lists" -o "APT::Sandbox::User=root"
                       -o "Acquire::Check-Valid-Until=false")
    apt-get "${apt_options[@]}" update -qq &&
        (cd "$work" && apt-get "${apt_options[@]}" source --download-only -qq "quickjs=$version" >/dev/null)
}

echo "==> apt-get source quickjs=$version (Debian sid, temporary sources list)"
if ! fetch "deb-src http://deb.debian.org/debian sid main"; then
    echo "==> not in sid: snapshot.debian.org ($snapshot)"
    fetch "deb-src [check-valid-until=no] http://snapshot.debian.org/archive/debian/$snapshot/ sid main" || {
        echo "error: quickjs $version is neither in Debian sid nor in snapshot $snapshot" >&2; exit 1; }
fi
tarball="$work/quickjs_${version%-*}.orig.tar.xz"
[ -f "$tarball" ] || { echo "error: $tarball missing after apt-get source" >&2; exit 1; }
mkdir -p "$work/patched" "$work/plain"
tar -xJf "$tarball" -C "$work/patched" --strip-components=1
tar -xJf "$tarball" -C "$work/plain" --strip-components=1

echo "==> patch and build (quickjs ${version%-*}, make qjs)"
(cd "$work/patched" && patch -s -p1 < "$here/quickjs-perftrampoline.patch")
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
jobs="$(nproc 2>/dev/null || echo 2)"
# CFLAGS from the environment: the Makefile appends its own (-g -Wall ... -O2) to them.
# CROSS_PREFIX=aarch64-linux-gnu- cross-builds (against a PREFIX cross-built the same way).
# QuickJS's Makefile then builds its compiler for the host first, with the same CFLAGS: it is
# built beforehand without the patch's switch, so that it does not need the target's library.
cross=()
if [ -n "${CROSS_PREFIX:-}" ]; then
    cross=(CROSS_PREFIX="$CROSS_PREFIX")
    make -s -C "$work/patched" -j"$jobs" "${cross[@]}" host-qjsc >/dev/null
fi
CFLAGS="$(pkg-config --cflags perftrampoline) -DCONFIG_PERFTRAMPOLINE" \
    make -s -C "$work/patched" -j"$jobs" "${cross[@]}" qjs EXTRA_LIBS="$(pkg-config --libs perftrampoline)" >/dev/null
CFLAGS="-fno-omit-frame-pointer" make -s -C "$work/plain" -j"$jobs" "${cross[@]}" qjs tests/bjson.so examples/point.so >/dev/null
install -m 0755 "$work/patched/qjs" "$out/qjs"
install -m 0755 "$work/plain/qjs" "$out/qjs-plain"
rm -rf "$out/tests" "$out/examples"
cp -R "$work/plain/tests" "$out/tests"
mkdir -p "$out/examples"
cp "$work/plain/examples/test_point.js" "$work/plain/examples/point.so" "$out/examples/"
echo "built $out/qjs (patched) and $out/qjs-plain (quickjs ${version%-*}), tests in $out/tests"
