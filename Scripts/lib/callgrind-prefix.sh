# Sourced by the callgrind benchmarks that count against an installed library
# (Scripts/bench-capi.sh, Scripts/bench-startup.sh): checks for valgrind and copies PREFIX into
# a scratch directory ($work, removed on exit) as $work/prefix, with the library's debug
# information stripped (valgrind 3.19 cannot read clang 21's DWARF 5).
callgrind_prefix() {
    local prefix="$1"
    command -v valgrind >/dev/null || { echo "error: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    cp -R "$prefix" "$work/prefix"
    objcopy --strip-debug "$work/prefix/lib/libperftrampoline.so"
}
