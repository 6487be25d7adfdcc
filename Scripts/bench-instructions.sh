#!/usr/bin/env bash
# Instructions per interpreted call, counted with callgrind (issue 17): wall-clock ratios drift
# ±5 % on a shared VM, instruction counts do not. For each runtime and mode, the difference
# between two run lengths divided by the difference in calls, so start-up and set-up cancel:
#   toyvm fib n=22 vs n=18 (48,952 calls): off, -Xperf, -Xperf_jit, and a build without the hook
#   (-DTOYVM_NO_PERF_HOOK) to measure the off-cost;
#   CPython 3.12.1 / 3.13.0 fib, off / -X perf / -X perf_jit (3.13);
#   the C embedding example (no Swift thunk: the library's own cost), 100,000 vs 20,000 rounds of
#   three calls with WORK=1.
# valgrind 3.19 cannot read clang 21's DWARF 5: binaries are counted from objcopy --strip-debug copies.
# Usage: Scripts/bench-instructions.sh        (about 5 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "error: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
swift build -c release --product toyvm >/dev/null
swift build -c release --product CEmbeddingExample >/dev/null
swift build -c release --product toyvm --scratch-path .build-nohook -Xswiftc -DTOYVM_NO_PERF_HOOK >/dev/null
objcopy --strip-debug .build/release/toyvm "$work/toyvm"
objcopy --strip-debug .build-nohook/release/toyvm "$work/toyvm-nohook"
objcopy --strip-debug .build/release/CEmbeddingExample "$work/cdemo"
pyroot="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
python3 - "$work" "$pyroot" <<'PY'
import os, subprocess, sys
work, pyroot = sys.argv[1], sys.argv[2]
open(f"{work}/fib.toy", "w").write("fn fib(n) {\n    if n < 2 { return n }\n    return fib(n - 1) + fib(n - 2)\n}\nprint(fib(int(argv[0])))\n")
open(f"{work}/fib.py", "w").write("import sys\ndef fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\nprint(fib(int(sys.argv[1])))\n")

def calls_of_fib(n):
    a, b = 1, 1  # calls(0) = calls(1) = 1; calls(n) = 1 + calls(n-1) + calls(n-2)
    for _ in range(n - 1):
        a, b = b, 1 + a + b
    return b if n >= 1 else 1

def instructions(command):
    out = f"{work}/cg.out"
    # valgrind runs the program in its own process: that pid's map and dump are the run's files.
    process = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"] + command,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    process.wait()
    for path in (f"/tmp/perf-{process.pid}.map", f"/tmp/jit-{process.pid}.dump"):
        if os.path.exists(path): os.unlink(path)
    summary = [l for l in open(out) if l.startswith("summary:")]
    os.unlink(out)
    return int(summary[0].split()[1])

def per_call(build, small, large, calls):
    return (instructions(build(large)) - instructions(build(small))) / calls

rows = []
toy_calls = calls_of_fib(22) - calls_of_fib(18)
env_toy = lambda flags: (lambda n: [f"{work}/toyvm"] + flags + [f"{work}/fib.toy", str(n)])
base = per_call(lambda n: [f"{work}/toyvm-nohook", f"{work}/fib.toy", str(n)], 18, 22, toy_calls)
rows.append(("toyvm, hook compiled out", base, None))
off = per_call(env_toy([]), 18, 22, toy_calls)
rows.append(("toyvm, off", off, off - base))
for flag in ["-Xperf", "-Xperf_jit"]:
    on = per_call(env_toy([flag]), 18, 22, toy_calls)
    rows.append((f"toyvm, {flag}", on, on - off))
for version, flags in [("3.12.1", ["-X", "perf"]), ("3.13.0", ["-X", "perf"]), ("3.13.0", ["-X", "perf_jit"])]:
    python = f"{pyroot}/versions/{version}/bin/python{version.rsplit('.', 1)[0]}"
    if not os.path.exists(python):
        rows.append((f"CPython {version}: not installed", 0, None)); continue
    py_off = per_call(lambda n: [python, f"{work}/fib.py", str(n)], 18, 22, toy_calls)
    if not any(r[0] == f"CPython {version}, off" for r in rows):
        rows.append((f"CPython {version}, off", py_off, None))
    py_on = per_call(lambda n: [python] + flags + [f"{work}/fib.py", str(n)], 18, 22, toy_calls)
    rows.append((f"CPython {version}, {' '.join(flags)}", py_on, py_on - py_off))
c_calls = 3 * (100_000 - 20_000)
c_off = per_call(lambda r: [f"{work}/cdemo", str(r), "1"], 20_000, 100_000, c_calls)
rows.append(("C example, off", c_off, None))
for flag in ["-Xperf", "-Xperf_jit"]:
    c_on = per_call(lambda r: [f"{work}/cdemo", flag, str(r), "1"], 20_000, 100_000, c_calls)
    rows.append((f"C example, {flag}", c_on, c_on - c_off))
print("| runtime, mode | instructions per call | added |")
print("|---|---|---|")
for name, value, added in rows:
    print(f"| {name} | {value:.2f} | {'' if added is None else f'{added:+.2f}'} |")
PY
