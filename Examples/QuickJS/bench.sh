#!/usr/bin/env bash
# Instructions per interpreted JS call, counted with callgrind (the method of
# Scripts/bench-instructions.sh): fib.js with n=22 and n=18, whose difference is 48,952 calls,
# so start-up cancels. Rows: unpatched qjs, patched with profiling off, perf map, jitdump.
#
#   Examples/QuickJS/bench.sh PREFIX QUICKJS_DIR     (after Scripts/install.sh PREFIX and
#                                                    Examples/QuickJS/build.sh PREFIX QUICKJS_DIR)
#
# valgrind 3.19 cannot read clang's DWARF 5: qjs, qjs-plain and libperftrampoline.so are counted
# from objcopy --strip-debug copies (the library's through LD_LIBRARY_PATH, which comes before
# qjs's RUNPATH).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
prefix="${1:?usage: Examples/QuickJS/bench.sh PREFIX QUICKJS_DIR}"
quickjs="${2:?usage: Examples/QuickJS/bench.sh PREFIX QUICKJS_DIR}"
command -v valgrind >/dev/null || { echo "error: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lib"
objcopy --strip-debug "$quickjs/qjs" "$work/qjs"
objcopy --strip-debug "$quickjs/qjs-plain" "$work/qjs-plain"
objcopy --strip-debug "$prefix/lib/libperftrampoline.so" "$work/lib/libperftrampoline.so"
python3 - "$work" "$here/fib.js" <<'PY'
import os, subprocess, sys
work, fib = sys.argv[1], sys.argv[2]

def calls_of_fib(n):
    a, b = 1, 1  # calls(0) = calls(1) = 1; calls(n) = 1 + calls(n-1) + calls(n-2)
    for _ in range(n - 1):
        a, b = b, 1 + a + b
    return b if n >= 1 else 1

def instructions(executable, n, setting):
    out = f"{work}/cg.out"
    environment = dict(os.environ, LD_LIBRARY_PATH=f"{work}/lib", PERFSUPPORT=setting)
    # valgrind runs the program in its own process: that pid's map and dump are the run's files.
    process = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                                f"{work}/{executable}", fib, str(n)], env=environment,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if process.wait() != 0:
        sys.exit(f"error: valgrind {executable} fib.js {n} (PERFSUPPORT={setting}) failed")
    for path in (f"/tmp/perf-{process.pid}.map", f"/tmp/jit-{process.pid}.dump"):
        if os.path.exists(path): os.unlink(path)
    summary = [l for l in open(out) if l.startswith("summary:")]
    os.unlink(out)
    return int(summary[0].split()[1])

calls = calls_of_fib(22) - calls_of_fib(18)
def per_call(executable, setting):
    return (instructions(executable, 22, setting) - instructions(executable, 18, setting)) / calls

plain = per_call("qjs-plain", "0")
off = per_call("qjs", "0")
perf_map = per_call("qjs", "1")
jitdump = per_call("qjs", "jitdump")
print(f"fib.js 22 vs 18: {calls} JS calls")
print("| QuickJS 2025-04-26 (Debian source) | instructions per call | added |")
print("|---|---|---|")
print(f"| qjs-plain | {plain:.2f} | |")
print(f"| qjs, profiling off (`PERFSUPPORT=0`) | {off:.2f} | {off - plain:+.2f} |")
print(f"| qjs, perf map (`PERFSUPPORT=1`) | {perf_map:.2f} | {perf_map - off:+.2f} over off |")
print(f"| qjs, jitdump (`PERFSUPPORT=jitdump`) | {jitdump:.2f} | {jitdump - off:+.2f} over off |")
PY
