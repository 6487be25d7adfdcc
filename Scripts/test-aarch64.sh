#!/usr/bin/env bash
# The library and the toy VM on aarch64, emulated: cross-builds the package and its tests for
# aarch64-unknown-linux-gnu with Debian sid's Swift 6.2 (a Swift SDK whose sysroot is unpacked
# from sid's arm64 packages), then runs the tests under qemu-aarch64 (binfmt_misc, so the
# programs the tests start run emulated too). Needs root (chroot, mounts, binfmt_misc).
#   Scripts/test-aarch64.sh [--filter REGEX]   (root: $PERFTRAMPOLINE_SID_ROOT)
#
# What cannot run emulated skips with its reason (perf cannot sample a process under qemu;
# the soak suites take hours at emulated speed). PERFTRAMPOLINE_REQUIRE_PERF is not passed on:
# those suites run natively in the same CI run.
set -euo pipefail
cd "$(dirname "$0")/.."
filter=""
if [ "${1:-}" = --filter ]; then filter="${2:?--filter needs a pattern}"; fi
source Scripts/lib/sid-root.sh
root="${PERFTRAMPOLINE_SID_ROOT:-/var/tmp/perftrampoline-sid}"
sid_root_ensure "$root"

# The arm64 packages a cross build links against. Unpacked (dpkg-deb -x), not installed: an
# arm64 mmdebstrap configures every package under emulation (43 minutes measured).
arm64_packages=(swiftlang libswiftlang libc6 libc6-dev libstdc++6 libstdc++-16-dev libgcc-s1 libgcc-16-dev
                libffi8 libffi-dev libxml2-16 zlib1g)
sysroot="$root/work/aarch64-sysroot"
stamp="$sysroot/.perftrampoline-sysroot"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "${arm64_packages[*]}" ]; then
    echo "==> arm64 sysroot: apt-get download ${arm64_packages[*]} (sid, arm64)"
    rm -rf "$sysroot" "$root/work/arm64-debs"
    mkdir -p "$sysroot" "$root/work/arm64-debs"
    list="$(printf '%s:arm64 ' "${arm64_packages[@]}") linux-libc-dev"
    sid_chroot "$root" /bin/bash -c "dpkg --add-architecture arm64 && apt-get update -qq &&
        cd /work/arm64-debs && apt-get download -qq -o APT::Sandbox::User=root $list"
    for deb in "$root"/work/arm64-debs/*.deb; do
        case "$deb" in
        */swiftlang_*)  # the compiler: only its aarch64 modules, runtime archives and clang's headers
            dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$sysroot" --wildcards \
                './usr/libexec/swift/lib/swift/*' './usr/libexec/swift/lib/swift_static/*' './usr/libexec/swift/lib/clang/*' './usr/lib/swift*' \
                --exclude './usr/libexec/swift/lib/swift/embedded/*' --exclude './usr/libexec/swift/lib/swift/host/*' ;;
        *) dpkg-deb -x "$deb" "$sysroot" ;;
        esac
    done
    rm -rf "$root/work/arm64-debs"
    # Merged /usr, as base-files makes it: libc.so's linker script and every binary's
    # interpreter name /lib/ld-linux-aarch64.so.1.
    [ -e "$sysroot/lib" ] || ln -s usr/lib "$sysroot/lib"
    # Debian's swiftlang ships the _Testing_Foundation module without its library (as on
    # amd64, Scripts/test-swift62.sh): an empty stand-in lets the test bundle link.
    sid_chroot "$root" /bin/bash -c 'set -e
        echo "void perftrampoline_testing_foundation_stand_in(void) {}" > /tmp/stand-in.c
        /usr/libexec/swift/bin/clang --target=aarch64-linux-gnu -fuse-ld=lld -nostdlib -shared -fPIC /tmp/stand-in.c \
            -o /work/aarch64-sysroot/usr/libexec/swift/lib/swift/linux/lib_Testing_Foundation.so'
    echo "${arm64_packages[*]}" > "$stamp"
fi

# The Swift SDK (an artifact bundle): sysroot, resources, and a toolset that links with lld
# (the sid root's binutils ld is x86_64-only) and compiles C position-independent.
sdks="$root/work/swift-sdks"
bundle="$sdks/debian-sid-aarch64.artifactbundle"
rm -rf "$sdks"
mkdir -p "$bundle/sdk"
cat > "$bundle/info.json" <<JSON
{ "schemaVersion": "1.0",
  "artifacts": { "debian-sid-aarch64": { "type": "swiftSDK", "version": "6.2.3",
                                         "variants": [ { "path": "sdk" } ] } } }
JSON
cat > "$bundle/sdk/swift-sdk.json" <<JSON
{ "schemaVersion": "4.0",
  "targetTriples": { "aarch64-unknown-linux-gnu": {
      "sdkRootPath": "/work/aarch64-sysroot",
      "swiftResourcesPath": "/work/aarch64-sysroot/usr/libexec/swift/lib/swift",
      "swiftStaticResourcesPath": "/work/aarch64-sysroot/usr/libexec/swift/lib/swift_static",
      "toolsetPaths": ["toolset.json"] } } }
JSON
cat > "$bundle/sdk/toolset.json" <<JSON
{ "schemaVersion": "1.0",
  "swiftCompiler": { "extraCLIOptions": ["-use-ld=lld"] },
  "cCompiler": { "extraCLIOptions": ["-fPIC"] } }
JSON

# binfmt_misc: the tests start toyvm, the probes and the C example, all aarch64 binaries.
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    echo "==> binfmt_misc for aarch64 (qemu-user-static)"
    command -v update-binfmts >/dev/null 2>&1 && [ -e /usr/libexec/qemu-binfmt/aarch64-binfmt-P ] || {
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static binfmt-support >/dev/null; }
    [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    update-binfmts --enable qemu-aarch64 || true
    [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || { echo "error: cannot register qemu-aarch64 with binfmt_misc" >&2; exit 1; }
fi

sid_copy_checkout "$root" PerfTrampoline-aarch64
echo "==> swift build --build-tests --swift-sdk debian-sid-aarch64 (Swift 6.2, cross)"
sid_chroot "$root" /bin/bash -c 'set -e; cd /work/PerfTrampoline-aarch64
    export PKG_CONFIG_SYSROOT_DIR=/work/aarch64-sysroot PKG_CONFIG_LIBDIR=/work/aarch64-sysroot/usr/lib/aarch64-linux-gnu/pkgconfig
    swift build --build-tests --traits FFIBackend --swift-sdks-path /work/swift-sdks --swift-sdk debian-sid-aarch64 2>&1 |
        grep -v "^\[[0-9]*/[0-9]*\]" || true
    test -x .build/aarch64-unknown-linux-gnu/debug/PerfTrampolinePackageTests.xctest'

# Left out, with the reason printed: the soak tests (hundreds of thousands of stubs: an hour at
# emulated speed; their 100-stub versions run), and NativeTemplateTests (it cross-compiles the
# template with the x86_64 host's aarch64 toolchain and runs it under qemu itself: the native
# passes run it).
skip="$(python3 Scripts/tagged-tests.py soak)|NativeTemplateTests/"
echo "==> swift-testing under qemu-aarch64 (skipped: $skip)"
sid_chroot "$root" /usr/bin/env QEMU_LD_PREFIX=/work/aarch64-sysroot PERFTRAMPOLINE_EMULATOR=qemu-aarch64 \
    SWIFT_BACKTRACE=enable=no SKIP="$skip" FILTER="$filter" /bin/bash -c 'cd /work/PerfTrampoline-aarch64
    tests=.build/aarch64-unknown-linux-gnu/debug/PerfTrampolinePackageTests.xctest
    uname -m; file_arch="$(od -An -tx1 -j18 -N2 "$tests" | tr -d " ")"
    [ "$file_arch" = b700 ] || { echo "error: $tests is not an aarch64 binary (e_machine $file_arch)" >&2; exit 1; }
    timeout 1800 "$tests" --testing-library swift-testing --skip "$SKIP" ${FILTER:+--filter "$FILTER"}'

# The C library built with Embedded Swift for aarch64 (issue 26), cross-built on this host
# (Scripts/install.sh --runtime embedded, PERFTRAMPOLINE_EMBEDDED_ARCH=aarch64), with the C
# example, the fork probe, Lua and QuickJS built by Debian's aarch64 cross gcc against it;
# InstalledLibraryTests (which builds its programs with the cross gcc and clang --target:
# PERFTRAMPOLINE_CROSS_PREFIX), CEmbeddingTests, ForkTests, ActivationCatchUpTests, LuaTests and
# QuickJSTests (this host's test build) run them through qemu-aarch64 (binfmt_misc). perf cannot
# sample them emulated: those checks skip, and PERFTRAMPOLINE_REQUIRE_PERF does not apply.
if [ "$(uname -m)" = x86_64 ]; then
    source Scripts/lib/ensure-dependencies.sh
    ensure_dependencies --native
    cross="$(mktemp -d)"
    echo "==> Scripts/install.sh (Embedded Swift, aarch64, cross)"
    PERFTRAMPOLINE_EMBEDDED_ARCH=aarch64 bash Scripts/install.sh "$cross/prefix"
    echo "    $(aarch64-linux-gnu-readelf -d "$cross/prefix/lib/libperftrampoline.so" | grep -c NEEDED) NEEDED:" \
         "$(aarch64-linux-gnu-readelf -d "$cross/prefix/lib/libperftrampoline.so" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | paste -sd' ')," \
         "$(stat -c %s "$cross/prefix/lib/libperftrampoline.so") bytes"
    flags="$(PKG_CONFIG_PATH="$cross/prefix/lib/pkgconfig" pkg-config --cflags --libs perftrampoline)"
    aarch64-linux-gnu-gcc -O2 Examples/CEmbedding/main.c -o "$cross/c-example" $flags
    aarch64-linux-gnu-gcc -O2 Tests/ForkProbe/*.c -o "$cross/fork-probe" $flags -lpthread
    # Lua 5.4, patched, cross-built against it (LuaTests: what it computes, the perf table,
    # released prototypes; its perf checks skip, emulated).
    CROSS_PREFIX=aarch64-linux-gnu- bash Examples/Lua/build.sh "$cross/prefix" "$cross/lua" >/dev/null
    # QuickJS 2025-04-26, patched, likewise (QuickJSTests: its own tests in three settings, what it
    # computes, the perf object, released functions).
    CROSS_PREFIX=aarch64-linux-gnu- bash Examples/QuickJS/build.sh "$cross/prefix" "$cross/quickjs" >/dev/null
    suites="InstalledLibraryTests|CEmbeddingTests|ForkTests|ActivationCatchUpTests|LuaTests|QuickJSTests"
    echo "==> swift test ($suites) against the aarch64 Embedded library, under qemu-aarch64"
    swift build --build-tests --traits FFIBackend 2>&1 | grep -v "^\[[0-9]*/[0-9]*\]" || true
    env -u PERFTRAMPOLINE_REQUIRE_PERF QEMU_LD_PREFIX=/usr/aarch64-linux-gnu PERFTRAMPOLINE_EMULATOR=qemu-aarch64 \
        PERFTRAMPOLINE_C_EXAMPLE="$cross/c-example" PERFTRAMPOLINE_FORK_PROBE="$cross/fork-probe" \
        PERFTRAMPOLINE_LUA_DIR="$cross/lua" PERFTRAMPOLINE_QUICKJS_DIR="$cross/quickjs" \
        PERFTRAMPOLINE_INSTALL_PREFIX="$cross/prefix" PERFTRAMPOLINE_INSTALL_RUNTIME=embedded \
        PERFTRAMPOLINE_CROSS_PREFIX=aarch64-linux-gnu- \
        swift test --skip-build --traits FFIBackend --filter "$suites"
    rm -rf "$cross"
fi
