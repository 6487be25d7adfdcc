#!/usr/bin/env bash
# Builds the C library from the core compiled with Embedded Swift (issue 26): no Swift runtime,
# no C++ runtime, libc only. Called by `Scripts/install.sh --runtime embedded PREFIX`:
#
#   Scripts/install/build-embedded.sh OUT
#
#   OUT/libperftrampoline.so     exports the C API only (exports.map), -z nodelete
#   OUT/perftrampoline.o         one relocatable object, every symbol but the C API local
#
# SwiftPM cannot do this (an Embedded link on Linux, and versioned dependencies may not carry
# unsafeFlags), so this drives swiftc and clang itself on the module's core: every Swift file of
# Sources/PerfTrampoline but SwiftFront/ (swift-log, which Embedded Swift cannot build). The
# core imports libc as the module CLibc (embedded/clibc.h) where Glibc does not exist.
# x86_64 only for now: the toolchains ship no Embedded stdlib for aarch64-unknown-linux-gnu.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:?usage: Scripts/install/build-embedded.sh OUT}"
mkdir -p "$out"
arch="$(uname -m)"
[ "$arch" = x86_64 ] || { echo "error: the Embedded build is x86_64 only so far (this is $arch)" >&2; exit 1; }
toolchain="$(dirname "$(readlink -f "$(command -v swiftc)")")"
embedded="$toolchain/../lib/swift/embedded/$arch-unknown-linux-gnu"
clang="$toolchain/clang"
[ -x "$clang" ] || clang="$(command -v clang)"
[ -d "$embedded" ] || { echo "error: no Embedded Swift stdlib at $embedded" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat > "$work/module.modulemap" <<MAP
module CPerfTrampoline {
    header "$PWD/Sources/CPerfTrampoline/include/perftrampoline.h"
    export *
}
module CShims {
    header "$PWD/CShims/include/CShims.h"
    export *
}
module CLibc {
    header "$PWD/Scripts/install/embedded/clibc.h"
    export *
}
MAP
mapfile -t sources < <(find Sources/PerfTrampoline -name '*.swift' -not -path '*/SwiftFront/*' | sort)
swiftc -target "$arch-unknown-linux-gnu" -enable-experimental-feature Embedded -wmo -parse-as-library -Osize \
    -swift-version 6 -module-name PerfTrampoline -Xfrontend -function-sections -Xcc -fPIC \
    -Xcc -fmodule-map-file="$work/module.modulemap" -I "$work" \
    -Xcc -I"$PWD/CShims/include" -Xcc -I"$PWD/Sources/CPerfTrampoline/include" \
    -c "${sources[@]}" -o "$work/swift.o"
objects=("$work/swift.o")
for source in CShims/*.c "CShims/trampoline_$arch.S" Sources/CPerfTrampoline/active_flag.c \
              Scripts/install/embedded/embedded_support.c; do
    object="$work/$(basename "${source%.*}").o"
    "$clang" -c -O2 -fPIC -fno-omit-frame-pointer -ffunction-sections -fdata-sections \
        -ICShims/include -ISources/CPerfTrampoline/include "$source" -o "$object"
    objects+=("$object")
done
# libswiftUnicodeDataTables: String comparison and case mapping in the Embedded stdlib.
"$clang" -shared -fPIC -o "$out/libperftrampoline.so" "${objects[@]}" "$embedded/libswiftUnicodeDataTables.a" \
    -Wl,--version-script="$PWD/Scripts/install/exports.map" -Wl,-z,nodelete -Wl,--gc-sections -Wl,-z,defs
# The archive's one object, with what no public function reaches left out (the sections were
# made one per function: --gc-sections from the public symbols as roots), so a static host
# links only the library's reachable code whatever its own link flags.
ld -r --gc-sections $(sed 's/^/-u /' Scripts/install/public-symbols.txt) -o "$out/perftrampoline.o" \
    "${objects[@]}" "$embedded/libswiftUnicodeDataTables.a"
objcopy --keep-global-symbols=Scripts/install/public-symbols.txt "$out/perftrampoline.o"
