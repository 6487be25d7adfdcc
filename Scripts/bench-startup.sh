#!/usr/bin/env bash
# Start-up instructions a C program pays for linking the library, counted with callgrind
# against an installed library (Scripts/install.sh PREFIX, either runtime), issue 26:
#
#   Scripts/bench-startup.sh PREFIX
#
# Three gcc -O2 programs: `int main(void) { return 0; }` (the floor); the same linked with
# -lperftrampoline and calling perftrampoline_configure_environment() with profiling off
# (PERFSUPPORT unset); and that program linked statically with the .a. Prints each one's
# instructions from exec to exit, and what the library adds. The library is counted from an
# objcopy --strip-debug copy (valgrind 3.19 cannot read clang 21's DWARF 5).
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/lib/callgrind-prefix.sh
callgrind_prefix "$(realpath "${1:?usage: Scripts/bench-startup.sh PREFIX}")"
echo 'int main(void) { return 0; }' > "$work/plain.c"
cat > "$work/configure.c" <<'C'
#include <perftrampoline.h>
int main(void) { perftrampoline_configure_environment(); return 0; }
C
cc -O2 "$work/plain.c" -o "$work/plain"
cc -O2 "$work/configure.c" -o "$work/shared" -I"$work/prefix/include" -L"$work/prefix/lib" \
    -Wl,-rpath,"$work/prefix/lib" -lperftrampoline
# The static host: the archive's link line from perftrampoline-static.pc, as a C host uses it.
static_libs="$(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --libs perftrampoline-static)"
cc -O2 "$work/configure.c" -o "$work/static" -I"$work/prefix/include" $static_libs
# Under a fixed, small environment: each getenv reads all of it, so the figure would otherwise
# move with the shell's (a few instructions per variable per lookup).
# Each program counted from an objcopy --strip-debug copy, like the library (a static host
# carries the archive's DWARF 5).
count() {
    objcopy --strip-debug "$1" "$1.counted"
    env -i PATH=/usr/bin:/bin valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$1.counted" 2>&1 \
        | sed -n 's/.*refs: *\([0-9,]*\).*/\1/p' | tr -d ,
}
plain=$(count "$work/plain")
shared=$(count "$work/shared")
static=$(count "$work/static")
[ -n "$plain" ] && [ -n "$shared" ] && [ -n "$static" ] || { echo "error: callgrind could not count a program" >&2; exit 1; }
strip -o "$work/static.stripped" "$work/static"; strip -o "$work/plain.stripped" "$work/plain"
printf 'plain main:                      %9d instructions\n' "$plain"
printf 'shared library, configure (off): %9d instructions (+%d)\n' "$shared" $((shared - plain))
printf 'static archive, configure (off): %9d instructions (+%d)\n' "$static" $((static - plain))
printf 'static host size, stripped:      %9d B (plain %d B, +%d B)\n' "$(stat -c %s "$work/static.stripped")" \
    "$(stat -c %s "$work/plain.stripped")" $(( $(stat -c %s "$work/static.stripped") - $(stat -c %s "$work/plain.stripped") ))
