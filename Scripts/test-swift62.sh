#!/usr/bin/env bash
# The whole test command (Scripts/test.sh) on Debian sid's stack: Swift 6.2 (swiftlang) and
# perf 7 (linux-perf, libdw unwinding), inside the sid root of Scripts/lib/sid-root.sh, on a
# copy of this checkout. Sanitizer passes are left to the native run (same sources; the sid
# root's toolchain adds nothing for them). Needs root (chroot, mounts).
#   Scripts/test-swift62.sh      (root: $PERFTRAMPOLINE_SID_ROOT, default /var/tmp/perftrampoline-sid)
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/lib/sid-root.sh
root="${PERFTRAMPOLINE_SID_ROOT:-/var/tmp/perftrampoline-sid}"
sid_root_ensure "$root"

sid_copy_checkout "$root" PerfTrampoline

# Debian's swiftlang 6.2 ships the _Testing_Foundation module but not its library, so every
# test bundle's link fails on -l_Testing_Foundation. An empty stand-in lets it link (the
# overlay only adds Foundation conveniences to Swift Testing; nothing here uses them).
cat > "$root/work/testing-foundation-stand-in.sh" <<'INNER'
set -e
if [ ! -e /usr/lib/swift/linux/lib_Testing_Foundation.so ] && [ ! -e /usr/local/lib/lib_Testing_Foundation.so ]; then
    echo "==> lib_Testing_Foundation.so missing from swiftlang: an empty stand-in in /usr/local/lib"
    echo 'void perftrampoline_testing_foundation_stand_in(void) {}' > /tmp/stand-in.c
    /usr/libexec/swift/bin/clang -shared -fPIC /tmp/stand-in.c -o /usr/local/lib/lib_Testing_Foundation.so
    ldconfig
fi
swift --version 2>&1 | head -1
perf --version
INNER
sid_chroot "$root" /bin/bash /work/testing-foundation-stand-in.sh

echo "==> Scripts/test.sh inside the sid root (Swift 6.2, perf 7)"
sid_chroot "$root" /usr/bin/env PERFTRAMPOLINE_REQUIRE_PERF="${PERFTRAMPOLINE_REQUIRE_PERF:-}" \
    /bin/bash -c 'cd /work/PerfTrampoline && bash Scripts/test.sh'
