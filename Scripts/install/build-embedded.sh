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
#
# Architectures: x86_64 (-target x86_64-unknown-linux-gnu) and aarch64. The toolchains ship no
# Embedded stdlib for aarch64-unknown-linux-gnu, so aarch64 compiles for aarch64-none-none-elf
# with clang's target aarch64-unknown-linux-gnu and -D PERFTRAMPOLINE_LINUX (os(Linux) is false
# for that target; the four Linux-only branches test the flag too). PERFTRAMPOLINE_EMBEDDED_ARCH=
# aarch64 on an x86_64 host cross-builds it with Debian's cross toolchain (gcc-aarch64-linux-gnu,
# libc6-dev-arm64-cross: headers, linker and libc from /usr/aarch64-linux-gnu).
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:?usage: Scripts/install/build-embedded.sh OUT}"
mkdir -p "$out"
arch="${PERFTRAMPOLINE_EMBEDDED_ARCH:-$(uname -m)}"
toolchain="$(dirname "$(readlink -f "$(command -v swiftc)")")"
clang="$toolchain/clang"
[ -x "$clang" ] || clang="$(command -v clang)"
case "$arch" in
x86_64)
    swift_target=(-target x86_64-unknown-linux-gnu)
    embedded="$toolchain/../lib/swift/embedded/x86_64-unknown-linux-gnu"
    c_target=(); cross="" ;;
aarch64)
    swift_target=(-target aarch64-none-none-elf -clang-target aarch64-unknown-linux-gnu -D PERFTRAMPOLINE_LINUX)
    embedded="$toolchain/../lib/swift/embedded/aarch64-none-none-elf"
    c_target=(--target=aarch64-linux-gnu); cross=""
    if [ "$(uname -m)" != aarch64 ]; then
        cross=aarch64-linux-gnu-
        command -v "${cross}gcc" >/dev/null || { echo "error: cross-building for aarch64 needs gcc-aarch64-linux-gnu and libc6-dev-arm64-cross" >&2; exit 1; }
        c_target+=(-isystem /usr/aarch64-linux-gnu/include)
        swift_target+=(-Xcc -isystem -Xcc /usr/aarch64-linux-gnu/include)
    fi ;;
*) echo "error: no Embedded build for $arch (x86_64 and aarch64 only)" >&2; exit 1 ;;
esac
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
swiftc "${swift_target[@]}" -enable-experimental-feature Embedded -wmo -parse-as-library -Osize \
    -swift-version 6 -module-name PerfTrampoline -Xfrontend -function-sections -Xcc -fPIC \
    -Xcc -fmodule-map-file="$work/module.modulemap" -I "$work" \
    -Xcc -I"$PWD/CShims/include" -Xcc -I"$PWD/Sources/CPerfTrampoline/include" \
    -c "${sources[@]}" -o "$work/swift.o"
objects=("$work/swift.o")
for source in CShims/*.c "CShims/trampoline_$arch.S" Sources/CPerfTrampoline/active_flag.c \
              Scripts/install/embedded/embedded_support.c; do
    object="$work/$(basename "${source%.*}").o"
    "$clang" "${c_target[@]}" -c -O2 -fPIC -fno-omit-frame-pointer -ffunction-sections -fdata-sections \
        -ICShims/include -ISources/CPerfTrampoline/include "$source" -o "$object"
    objects+=("$object")
done
# Linked by the C compiler driver of the target (Debian's cross gcc when cross-building).
# Without libswiftUnicodeDataTables.a: the core compares and cuts text as bytes
# (Sources/PerfTrampoline/Formats/ByteText.swift), so nothing it runs needs the stdlib's Unicode
# tables (52 KB, 104 load-time relocations); with -z defs, a Unicode-aware String operation
# added to the core fails this link (undefined _swift_stdlib_* symbols) instead of growing it.
if [ -n "$cross" ]; then linker=("${cross}gcc"); else linker=("$clang" "${c_target[@]}"); fi
"${linker[@]}" -shared -nostartfiles -fPIC -o "$out/libperftrampoline.so" "${objects[@]}" \
    -Wl,--version-script="$PWD/Scripts/install/exports.map" -Wl,-z,nodelete -Wl,--gc-sections -Wl,-z,defs
# The archive's one object, with what no public function reaches left out (the sections were
# made one per function: --gc-sections from the public symbols as roots), so a static host
# links only the library's reachable code whatever its own link flags.
"${cross}ld" -r --gc-sections $(sed 's/^/-u /' Scripts/install/public-symbols.txt) -o "$out/perftrampoline.o" \
    "${objects[@]}"
# ld -r keeps the symbol-table entries of undefined symbols whose every reference it collected
# (the stdlib's Unicode tables, among others): dropped, so the object asks for libc only.
"${cross}objcopy" --keep-global-symbols=Scripts/install/public-symbols.txt \
    $("${cross}nm" -u "$out/perftrampoline.o" | awk '{ print "--strip-unneeded-symbol=" $2 }') "$out/perftrampoline.o"
