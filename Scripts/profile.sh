#!/usr/bin/env bash
# Profile a toy program under perf and show where the time goes, by interpreted function.
#
#   Scripts/profile.sh                         # profiles Examples/calc.toy 3000 (~1.5 s)
#   Scripts/profile.sh Examples/sort.toy 3000  # any program and its arguments
#   PROFILE_MODE=jitdump Scripts/profile.sh    # DWARF unwinding through a jitdump instead
#
# Prints the hottest interpreted functions with their callers and writes profile/flamegraph.svg
# (PROFILE_DIR to change). Installs perf and libffi-dev when missing (apt-get, as root). Removes only the
# files of the process it profiled.
set -euo pipefail
cd "$(dirname "$0")/.."

source Scripts/lib/ensure-dependencies.sh
ensure_dependencies

if [ $# -eq 0 ]; then set -- Examples/calc.toy 3000; fi
program="$1"
shift
mode="${PROFILE_MODE:-perf}"
out="${PROFILE_DIR:-profile}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

echo "==> swift build -c release"
swift build -c release --product toyvm >/dev/null
swift build -c release --product perf-flamegraph >/dev/null
bin="$(swift build -c release --show-bin-path)"

echo "==> perf record ($mode) toyvm $program $*"
if [ "$mode" = jitdump ]; then
    PERFTRAMPOLINE_JITDUMP_DIR="$out" perf record -q -F 999 -k 1 --call-graph dwarf,65528 -o "$out/perf.raw.data" \
        -- "$bin/toyvm" -Xperf_jit "$program" "$@" > "$out/program-output.txt"
    perf inject --jit -i "$out/perf.raw.data" -o "$out/perf.data"
else
    perf record -q -F 999 -g -o "$out/perf.data" -- "$bin/toyvm" -Xperf "$program" "$@" > "$out/program-output.txt"
fi
perf script -i "$out/perf.data" 2>/dev/null > "$out/perf.script"

# The profiled process's files are no longer needed once the script exists. By pid, not by the
# thread id perf script prints by default (toyvm interprets on a thread of its own).
pids="$(perf script -i "$out/perf.data" -F comm,pid 2>/dev/null | awk '$1 == "toyvm" { print $2 }' | sort -u)"
for pid in $pids; do
    rm -f "/tmp/perf-$pid.map" "/tmp/jit-$pid.dump" "/tmp/.perf-$pid.map.partial"
done
for pid in $pids; do
    if [ -e "/tmp/perf-$pid.map" ] || [ -e "/tmp/jit-$pid.dump" ]; then
        echo "error: the files of process $pid were left behind" >&2
        exit 1
    fi
done
[ -n "$pids" ] || { echo "error: no sample of toyvm in the recording" >&2; exit 1; }

echo "==> report (program output in $out/program-output.txt)"
"$bin/perf-flamegraph" --svg "$out/flamegraph.svg" --title "toyvm $program $*" < "$out/perf.script"
echo "open $out/flamegraph.svg in a browser (hover for sample counts); perf report -i $out/perf.data for more"
