#!/usr/bin/env bash
# Builds Lua 5.4 with PerfTrampoline against an installed PerfTrampoline (Scripts/install.sh):
#
#   Examples/Lua/build.sh PREFIX OUT
#
# Fetches Debian bookworm's source package lua5.4 (5.4.4) with a temporary sources list (the
# machine's apt configuration is not changed), applies lua-5.4-perftrampoline.patch, and builds
#   OUT/lua        patched: PERFSUPPORT=1 | jitdump, PERFTRAMPOLINE_SIGNAL, and a `perf` table
#   OUT/lua-plain  the same source unpatched, for comparisons
# The patched build finds the library with pkg-config (cflags add -fno-omit-frame-pointer).
# CROSS_PREFIX=aarch64-linux-gnu- cross-builds both with Debian's cross toolchain (against a
# PREFIX cross-built the same way: PERFTRAMPOLINE_EMBEDDED_ARCH=aarch64 Scripts/install.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
prefix="${1:?usage: Examples/Lua/build.sh PREFIX OUT}"
out="${2:?usage: Examples/Lua/build.sh PREFIX OUT}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "==> apt-get source lua5.4 (Debian bookworm, temporary sources list)"
mkdir -p "$work/apt/lists/partial"
echo "deb-src http://deb.debian.org/debian bookworm main" > "$work/apt/sources.list"
apt_options=(-o "Dir::Etc::sourcelist=$work/apt/sources.list" -o "Dir::Etc::sourceparts=$work/apt/none"
             -o "Dir::State::Lists=$work/apt/lists" -o "APT::Sandbox::User=root")
apt-get "${apt_options[@]}" update -qq
(cd "$work" && apt-get "${apt_options[@]}" source --download-only -qq lua5.4 >/dev/null)
tar -xzf "$work"/lua5.4_*.orig.tar.gz -C "$work"
source_dir="$(find "$work" -maxdepth 1 -type d -name 'lua-5.4*' | head -1)"
cp -R "$source_dir" "$work/plain"

echo "==> patch and build ($source_dir)"
(cd "$source_dir" && patch -s -p1 < "$here/lua-5.4-perftrampoline.patch")
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
# LUAI_MAXCCALLS 1000 (Lua's default is 200): while profiling, each Lua call that goes through a
# trampoline takes a C frame, counted like any C call; the deepest calls run inline past it.
cross=()
if [ -n "${CROSS_PREFIX:-}" ]; then
    cross=(CC="${CROSS_PREFIX}gcc -std=gnu99" AR="${CROSS_PREFIX}ar rcu" RANLIB="${CROSS_PREFIX}ranlib")
fi
make -s -C "$source_dir" linux "${cross[@]}" \
    MYCFLAGS="$(pkg-config --cflags perftrampoline) -DLUA_PERFTRAMPOLINE -DLUAI_MAXCCALLS=1000" \
    MYLIBS="$(pkg-config --libs perftrampoline)" >/dev/null
make -s -C "$work/plain" linux "${cross[@]}" MYCFLAGS="-fno-omit-frame-pointer" >/dev/null
install -m 0755 "$source_dir/src/lua" "$out/lua"
install -m 0755 "$work/plain/src/lua" "$out/lua-plain"
echo "built $out/lua (patched) and $out/lua-plain ($(basename "$source_dir"))"
