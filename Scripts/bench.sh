#!/usr/bin/env bash
# Side-by-side cost of profiling support: toyvm (off / -Xperf / -Xperf_jit) and CPython 3.12.1 /
# 3.13.0 (off / -X perf / -X perf_jit) on equivalent programs, runs interleaved, medians and
# ratios printed as one table; then the instruction counts per interpreted call (callgrind,
# Scripts/bench-instructions.sh), which do not drift with the machine's load the way wall-clock
# does. Usage: Scripts/bench.sh [ROUNDS] (default 7); BENCH_INSTRUCTIONS=0 skips the second
# table (about 5 minutes). Every map or dump a run leaves is removed by that run's pid, nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-7}"
swift build -c release --product toyvm >/dev/null
toyvm="$PWD/.build/release/toyvm"
pyroot="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 - "$rounds" "$toyvm" "$pyroot" "$work" <<'PY'
import os, statistics, subprocess, sys, time
rounds, toyvm, pyroot, work = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
py312 = f"{pyroot}/versions/3.12.1/bin/python3.12"
py313 = f"{pyroot}/versions/3.13.0/bin/python3.13"

FIB_N = 30
open(f"{work}/fib.toy", "w").write(
    "fn fib(n) {\n    if n < 2 { return n }\n    return fib(n - 1) + fib(n - 2)\n}\nprint(fib(%d))\n" % FIB_N)
open(f"{work}/fib.py", "w").write(
    "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\nprint(fib(%d))\n" % FIB_N)
MANY = 100_000
with open(f"{work}/many.toy", "w") as f:
    for i in range(MANY):
        f.write(f"fn f{i}(x) {{ return x + {i} }}\n")
    f.write("let t = 0\n")
    for i in range(MANY):
        f.write(f"t = f{i}(t)\n")
    f.write("print(t)\n")
with open(f"{work}/many.py", "w") as f:
    for i in range(MANY):
        f.write(f"def f{i}(x): return x + {i}\n")
    f.write("t = 0\n")
    for i in range(MANY):
        f.write(f"t = f{i}(t)\n")
    f.write("print(t)\n")

configs = []
def add(label, cmd):
    if os.path.exists(cmd[0]):
        configs.append((label, cmd))
for prog in ["fib", "many"]:
    add(f"{prog} toyvm off", [toyvm, f"{work}/{prog}.toy"])
    add(f"{prog} toyvm -Xperf", [toyvm, "-Xperf", f"{work}/{prog}.toy"])
    add(f"{prog} toyvm -Xperf_jit", [toyvm, "-Xperf_jit", f"{work}/{prog}.toy"])
    add(f"{prog} py3.12 off", [py312, f"{work}/{prog}.py"])
    add(f"{prog} py3.12 -X perf", [py312, "-X", "perf", f"{work}/{prog}.py"])
    add(f"{prog} py3.13 off", [py313, f"{work}/{prog}.py"])
    add(f"{prog} py3.13 -X perf", [py313, "-X", "perf", f"{work}/{prog}.py"])
    add(f"{prog} py3.13 -X perf_jit", [py313, "-X", "perf_jit", f"{work}/{prog}.py"])

times = {label: [] for label, _ in configs}
outputs = {}
env = dict(os.environ, PERFTRAMPOLINE_JITDUMP_DIR=work)
env.pop("PERFSUPPORT", None)
for _ in range(rounds):
    for label, cmd in configs:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=work)
        out, err = proc.communicate()
        elapsed = time.perf_counter() - start
        for path in (f"/tmp/perf-{proc.pid}.map", f"/tmp/jit-{proc.pid}.dump", f"{work}/jit-{proc.pid}.dump"):
            try: os.unlink(path)
            except FileNotFoundError: pass
        if proc.returncode != 0:
            sys.exit(f"{label} failed: {err.decode()}")
        outputs.setdefault(label.split()[0], set()).add(out.strip())
        times[label].append(elapsed)

for prog, outs in outputs.items():
    if len(outs) != 1:
        sys.exit(f"{prog}: the runs disagree: {outs}")

def median(label): return statistics.median(times[label])
print(f"rounds: {rounds} (interleaved); wall-clock medians; machine: {os.uname().machine}, {os.cpu_count()} cpus")
print(f"{'program / runtime / mode':34} {'median s':>9} {'min s':>8} {'/ off':>7} {'added s':>8}")
for label, _ in configs:
    prog, runtime, mode = label.split(" ", 2)
    base = f"{prog} {runtime} off"
    ratio = median(label) / median(base) if base in times else float('nan')
    added = median(label) - median(base) if base in times else float('nan')
    print(f"{label:34} {median(label):9.3f} {min(times[label]):8.3f} {ratio:7.3f} {added:8.3f}")

fib_calls = 2 * 1346269 - 1  # calls made by fib(30)
print()
print("per-call cost of the interpreter itself, fib(30) (%d calls), profiling off:" % fib_calls)
for runtime in ["toyvm", "py3.12", "py3.13"]:
    label = f"fib {runtime} off"
    if label in times:
        print(f"  {runtime:8} {median(label) / fib_calls * 1e9:6.1f} ns/call (whole process, start-up included)")
if "fib toyvm off" in times and "fib py3.12 off" in times:
    print(f"  toyvm / py3.12: {median('fib toyvm off') / median('fib py3.12 off'):.2f}")
PY

if [ "${BENCH_INSTRUCTIONS:-1}" != 0 ]; then
    echo
    echo "instructions per interpreted call (callgrind, difference method):"
    bash Scripts/bench-instructions.sh
fi
