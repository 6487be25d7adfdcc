#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer (issue 16): builds the targets of Fuzz/ with
# -sanitize=fuzzer and runs each for SECONDS (default 60) from a scratch copy of the committed
# seed corpus (Fuzz/Corpus/TARGET). Prints executions per second and coverage per target.
# A crash fails the script and leaves the reproducer in the printed directory.
#
#   Scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../Fuzz"
seconds="${1:-60}"
shift || true
targets=("$@")
((${#targets[@]})) || targets=(FuzzFrontEnd FuzzSymbolNames FuzzJitDump)
# lld: gold crashes formatting link diagnostics from clang 21's DWARF 5.
flags=(-Xswiftc -sanitize=fuzzer -Xswiftc -use-ld=lld)
work="$(mktemp -d)"
status=0
for target in "${targets[@]}"; do
    echo "==> swift build $target (-sanitize=fuzzer)"
    swift build --product "$target" "${flags[@]}" 2>&1 | tail -1
    binary="$(swift build --show-bin-path "${flags[@]}")/$target"
    mkdir -p "$work/$target/corpus" "$work/$target/crashes"
    cp -R "Corpus/$target/." "$work/$target/corpus/"
    echo "==> $target for ${seconds}s"
    if ! "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/$target/crashes/" "$work/$target/corpus" >"$work/$target/log" 2>&1; then
        status=1
        echo "FAIL $target: crash, reproducer in $work/$target/crashes/"
        grep -E "ERROR|Fatal|panic|precondition|SUMMARY" "$work/$target/log" | head -5
        continue
    fi
    done_line="$(grep -E '#[0-9]+[[:space:]]+DONE' "$work/$target/log" | tail -1)"
    runs="$(grep -E '^stat::number_of_executed_units' "$work/$target/log" | awk '{print $2}')"
    rate="$(grep -E '^stat::average_exec_per_sec' "$work/$target/log" | awk '{print $2}')"
    cov="$(sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\).*/cov \1 features \2/p' <<<"$done_line")"
    echo "ok $target: $runs runs, $rate exec/s, $cov"
done
[ "$status" = 0 ] && rm -rf "$work"
exit "$status"
