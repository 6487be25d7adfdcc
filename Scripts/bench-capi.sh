#!/usr/bin/env bash
# Instructions per call of the C API's fast paths, counted with callgrind against an installed
# library (Scripts/install.sh PREFIX), as a C host pays them (issue 25):
#
#   Scripts/bench-capi.sh PREFIX
#
# One code object called N times through perftrampoline_call (name given on every call) and
# through perftrampoline_call_lazy (a name writer, called on the first entry only), profiling
# off and on (perf map); perftrampoline_release on slots that never had a stub; and first
# entries (N code objects each entered once: the cold path, its map line included). Each figure
# is (instructions at 2N - instructions at N) / N, so start-up cancels; the loop and a one-line
# evaluator are included. The library is counted from an objcopy --strip-debug copy (valgrind
# 3.19 cannot read clang 21's DWARF 5).
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/lib/callgrind-prefix.sh
callgrind_prefix "$(realpath "${1:?usage: Scripts/bench-capi.sh PREFIX}")"
cat > "$work/percall.c" <<'C'
#include <perftrampoline.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
struct code { perftrampoline_slot slot; const char *name; };
static intptr_t evaluate(void *vm, void *code, intptr_t a) { (void)vm; (void)code; return a + 1; }
static size_t writer(void *vm, void *code, char *buffer, size_t capacity) {
    (void)vm;
    return (size_t)snprintf(buffer, capacity, "%s", ((struct code *)code)->name);
}
int main(int argc, char **argv) {
    if (argc < 4) return 2;
    long n = atol(argv[1]);
    if (strcmp(argv[2], "release") == 0) {
        perftrampoline_slot *slots = calloc((size_t)n, sizeof *slots);
        for (long i = 0; i < n; i++) perftrampoline_release(&slots[i]);
        return 0;
    }
    int lazy = strncmp(argv[2], "lazy", 4) == 0;
    struct code c = {PERFTRAMPOLINE_SLOT_INIT, "c::bench"};
    if (strcmp(argv[3], "on") == 0 && perftrampoline_activate("perf") != PERFTRAMPOLINE_OK) return 2;
    intptr_t sum = 0;
    if (strstr(argv[2], "first")) {  // n code objects, each entered once: the cold path
        struct code *codes = calloc((size_t)n, sizeof *codes);
        char (*names)[32] = calloc((size_t)n, sizeof *names);
        for (long i = 0; i < n; i++) {
            snprintf(names[i], sizeof names[i], "c::f_%ld", i);
            codes[i].name = names[i];
        }
        for (long i = 0; i < n; i++) {
            sum += lazy ? perftrampoline_call_lazy(&codes[i].slot, writer, evaluate, 0, &codes[i], i)
                        : perftrampoline_call(&codes[i].slot, codes[i].name, evaluate, 0, &codes[i], i);
        }
        n = 0;
    }
    for (long i = 0; i < n; i++) {
        sum += lazy ? perftrampoline_call_lazy(&c.slot, writer, evaluate, 0, &c, i)
                    : perftrampoline_call(&c.slot, c.name, evaluate, 0, &c, i);
        __asm__ volatile("" ::: "memory");
    }
    printf("%ld\n", (long)sum);
    char map[64];
    snprintf(map, sizeof map, "/tmp/perf-%d.map", (int)getpid());
    remove(map);
    return 0;
}
C
cc -O2 "$work/percall.c" -o "$work/percall" -I"$work/prefix/include" -L"$work/prefix/lib" \
    -Wl,-rpath,"$work/prefix/lib" -lperftrampoline
count() {
    valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$work/percall" "$@" 2>&1 >/dev/null \
        | sed -n 's/.*refs: *\([0-9,]*\).*/\1/p' | tr -d ,
}
per_call() {
    local one two n="${N:-100000}"
    one="$(count "$n" "$@")"
    two="$(count $((2 * n)) "$@")"
    python3 -c "print(f'{($two - $one) / $n:.1f}')"
}
echo "| C API (one code object, loop and evaluator included) | off | on (perf map) |"
echo "|---|---|---|"
echo "| perftrampoline_call | $(per_call eager off) | $(per_call eager on) |"
echo "| perftrampoline_call_lazy | $(per_call lazy off) | $(per_call lazy on) |"
echo "| perftrampoline_release, empty slot | $(per_call release -) | |"
echo "| first entry of a code object (perftrampoline_call; the name built beforehand) | | $(N=10000 per_call first on) |"
echo "| first entry, lazy (perftrampoline_call_lazy; the writer's snprintf included) | | $(N=10000 per_call lazy-first on) |"
