#!/usr/bin/env bash
# Installs PerfTrampoline for C (and C++) hosts built outside SwiftPM:
#
#   Scripts/install.sh [--runtime embedded|full] PREFIX
#
#   PREFIX/include/perftrampoline.h
#   PREFIX/lib/libperftrampoline.so            the C API
#   PREFIX/lib/libperftrampoline.a             one prelinked object (everything but the C API local)
#   PREFIX/lib/pkgconfig/perftrampoline.pc          cc prog.c $(pkg-config --cflags --libs perftrampoline)
#   PREFIX/lib/pkgconfig/perftrampoline-static.pc   ... --libs perftrampoline-static (links the .a)
#
# The .pc files' Cflags add -fno-omit-frame-pointer: perf -g (and samply) walk frame records,
# and an evaluator compiled without them breaks the chain at every interpreted call.
#
# --runtime embedded (the default; x86_64 and aarch64): the core compiled with Embedded Swift
# (Scripts/install/build-embedded.sh): no Swift or C++ runtime; the shared library needs libc
# (glibc 2.34 or later) and nothing else. PERFTRAMPOLINE_EMBEDDED_ARCH=aarch64 on an x86_64 host
# cross-builds it (Debian's gcc-aarch64-linux-gnu and libc6-dev-arm64-cross).
#
# --runtime full: the package built by SwiftPM with the Swift runtime linked in statically; the
# shared library then also needs libm, libstdc++ and libgcc_s (the Swift runtime is written in
# C++), and costs a C host 2,315,735 more instructions at every start (Scripts/bench-startup.sh).
# Kept for architectures the toolchain has no Embedded stdlib for; Scripts/test.sh runs the
# installed-library suites against both.
#
# Neither needs a Swift toolchain at run time, nor has a RUNPATH; the ffi backend (a package
# trait) is off. Exports are the C API's (Scripts/install/exports.map).
set -euo pipefail
cd "$(dirname "$0")/.."
runtime=embedded
if [ "${1:-}" = --runtime ]; then
    runtime="${2:?usage: Scripts/install.sh [--runtime embedded|full] PREFIX}"
    shift 2
fi
prefix="${1:?usage: Scripts/install.sh [--runtime embedded|full] PREFIX}"
case "$prefix" in /*) ;; *) prefix="$PWD/$prefix" ;; esac
scratch=".build-install"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

case "$runtime" in
full)
    echo "==> swift build -c release (shared: libperftrampoline.so)"
    # -z nodelete: a host that dlcloses the library after installing the signal switch keeps the
    # handler's code mapped (a signal would otherwise jump into unmapped memory).
    swift build -c release --scratch-path "$scratch" --product perftrampoline \
        -Xswiftc -static-stdlib -Xlinker --version-script="$PWD/Scripts/install/exports.map" \
        -Xlinker -z -Xlinker nodelete >/dev/null
    echo "==> swift build -c release (static: libperftrampoline.a)"
    release="$(swift build -c release --scratch-path "$scratch" --show-bin-path)"
    # The archiver only adds and replaces members: a source file renamed since the last build would
    # leave its old object behind (duplicate symbols). Build the archive afresh.
    rm -f "$release/libperftrampoline-static.a"
    swift build -c release --scratch-path "$scratch" --product perftrampoline-static >/dev/null

    # The Swift runtime's static archives, from the toolchain that built the library (beside the
    # real swiftc: Debian's /usr/bin/swiftc links to /usr/libexec/swift/bin).
    swift_static="$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")/lib/swift_static/linux"
    [ -d "$swift_static" ] || { echo "error: no static Swift runtime at $swift_static" >&2; exit 1; }

    # One relocatable object: every member of the library's archive, swiftrt.o (its constructor
    # registers the image's Swift metadata sections with the runtime; without it every protocol
    # conformance lookup fails), plus the runtime members it needs; then every symbol but the C API
    # made local, so it cannot clash with the host's.
    arch="$(uname -m)"
    ld -r -o "$work/perftrampoline.o" "$swift_static/$arch/swiftrt.o" \
        --whole-archive "$release/libperftrampoline-static.a" --no-whole-archive \
        --start-group "$swift_static"/libswiftCore.a "$swift_static"/libswiftSynchronization.a \
        "$swift_static"/libswift_Volatile.a "$swift_static"/libswiftGlibc.a "$swift_static"/libswift_Concurrency.a \
        "$swift_static"/libswift_StringProcessing.a "$swift_static"/libswift_RegexParser.a \
        "$swift_static"/libdispatch.a "$swift_static"/libBlocksRuntime.a --end-group
    objcopy --keep-global-symbols=Scripts/install/public-symbols.txt "$work/perftrampoline.o"
    shared="$release/libperftrampoline.so"
    system_libs="-lstdc++ -lm -ldl -lpthread"
    ;;
embedded)
    echo "==> Scripts/install/build-embedded.sh (Embedded Swift: libc only)"
    bash Scripts/install/build-embedded.sh "$work/embedded"
    mv "$work/embedded/perftrampoline.o" "$work/perftrampoline.o"
    shared="$work/embedded/libperftrampoline.so"
    system_libs="-lpthread"
    ;;
*)
    echo "error: --runtime is embedded or full, not '$runtime'" >&2
    exit 2
    ;;
esac

# binutils for the library's architecture (a cross build's are the cross toolchain's).
tools=""
if [ "$runtime" = embedded ] && [ "${PERFTRAMPOLINE_EMBEDDED_ARCH:-$(uname -m)}" != "$(uname -m)" ]; then
    tools="${PERFTRAMPOLINE_EMBEDDED_ARCH}-linux-gnu-"
fi
mkdir -p "$prefix/include" "$prefix/lib/pkgconfig"
install -m 0644 Sources/CPerfTrampoline/include/perftrampoline.h "$prefix/include/perftrampoline.h"
install -m 0755 "$shared" "$prefix/lib/libperftrampoline.so"
"${tools}strip" --strip-unneeded "$prefix/lib/libperftrampoline.so"
rm -f "$prefix/lib/libperftrampoline.a"
"${tools}ar" rcs "$prefix/lib/libperftrampoline.a" "$work/perftrampoline.o"

version="$(sed -n 's/^#define PERFTRAMPOLINE_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$/\2/p' Sources/CPerfTrampoline/include/perftrampoline.h | paste -sd.)"
cat > "$prefix/lib/pkgconfig/perftrampoline.pc" <<PC
prefix=$prefix
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: perftrampoline
Description: Names an interpreter's functions for perf and samply (C API)
Version: $version
Cflags: -I\${includedir} -fno-omit-frame-pointer
Libs: -L\${libdir} -Wl,-rpath,\${libdir} -lperftrampoline
PC
cat > "$prefix/lib/pkgconfig/perftrampoline-static.pc" <<PC
prefix=$prefix
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: perftrampoline-static
Description: Names an interpreter's functions for perf and samply (C API, static)
Version: $version
Cflags: -I\${includedir} -fno-omit-frame-pointer
Libs: \${libdir}/libperftrampoline.a $system_libs
PC
echo "installed perftrampoline $version ($runtime runtime) under $prefix"
