// Test program for issue 12: runs a three-deep interpreted chain on a thread whose stack is
// mapped as close *below* the jitdump arena chunk as the address space allows, the layout that
// made perf's DWARF unwinder read the chunk's real bytes instead of perf inject's unwind tables.
//
//   stack-layout-probe -Xperf_jit [ROUNDS]
//
// Prints "gap BYTES" (from the stack's top to the chunk holding the stubs), then the chain's
// total and the pid. Exits 2 if the stack could not be placed.
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <perftrampoline.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

// The thread's stack: up to 1 MiB, as much as fits in the free space below the chunk. The chain
// needs little (its stubs are made on the main thread), but glibc keeps the thread's control
// block and static TLS at the top of a user-supplied stack.
enum { LARGEST_STACK = 1 << 20, SMALLEST_STACK = 128 << 10 };

struct code {
    perftrampoline_slot perf_slot;
    const char *perf_name;
    struct code *callee;
};

static intptr_t evaluate(void *vm, void *code, intptr_t argument);

static intptr_t call(struct code *code, intptr_t argument) {
    perftrampoline_stub stub = perftrampoline_stub_for(&code->perf_slot, code->perf_name);
    return stub ? stub(0, code, argument, evaluate) : evaluate(0, code, argument);
}

static intptr_t evaluate(void *vm, void *code_pointer, intptr_t argument) {
    (void)vm;
    struct code *code = code_pointer;
    if (code->callee) return call(code->callee, argument);
    volatile intptr_t total = 0;
    for (intptr_t i = 0; i < argument; i++) total += i % 7;
    return total;
}

static struct code leaf = {PERFTRAMPOLINE_SLOT_INIT, "cprobe::leaf:stack_layout", 0};
static struct code middle = {PERFTRAMPOLINE_SLOT_INIT, "cprobe::middle:stack_layout", &leaf};
static struct code top = {PERFTRAMPOLINE_SLOT_INIT, "cprobe::top:stack_layout", &middle};

struct run {
    long rounds;
    intptr_t total;
};

static void *run_chain(void *pointer) {
    struct run *run = pointer;
    for (long r = 0; r < run->rounds; r++) run->total += call(&top, 1000000);
    return 0;
}

enum { MAX_MAPPINGS = 8192 };
static uintptr_t starts[MAX_MAPPINGS], ends[MAX_MAPPINGS];

// Reads this process's mappings, in address order, into starts/ends; returns how many.
static int read_mappings(void) {
    FILE *maps = fopen("/proc/self/maps", "r");
    if (!maps) return 0;
    int count = 0;
    char line[4096];
    while (count < MAX_MAPPINGS && fgets(line, sizeof line, maps)) {
        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &starts[count], &ends[count]) == 2) count++;
    }
    fclose(maps);
    return count;
}

// The start of the run of mappings that are contiguous with the one holding `address`, going
// down: the highest address at which a stack can end below the chunk; `free_below` receives
// the size of the free space under it.
static uintptr_t lowest_contiguous_start(uintptr_t address, uintptr_t *chunk_start, uintptr_t *free_below) {
    int count = read_mappings();
    int index = -1;
    for (int i = 0; i < count; i++) {
        if (starts[i] <= address && address < ends[i]) index = i;
    }
    if (index < 0) return 0;
    *chunk_start = starts[index];
    while (index > 0 && ends[index - 1] == starts[index]) index--;
    *free_below = index > 0 ? starts[index] - ends[index - 1] : starts[index];
    return starts[index];
}

// Fills every gap smaller than 2 MiB between existing mappings with a no-access mapping, so the
// arena's next reservation (placed top-down in the highest gap that fits) lands at the top of a
// large gap and leaves room for a stack right below it, on every run.
static void plug_small_gaps(void) {
    int count = read_mappings();
    for (int i = 0; i + 1 < count; i++) {
        uintptr_t gap = starts[i + 1] - ends[i];
        if (gap > 0 && gap < (2u << 20)) {
            (void)mmap((void *)ends[i], gap, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        }
    }
}

int main(int argc, const char **argv) {
    int mode = perftrampoline_configure(argc, argv);
    long rounds = 200;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] != '-') rounds = strtol(argv[i], NULL, 10);
    }
    if (mode != 2) {
        fprintf(stderr, "stack-layout-probe: needs -Xperf_jit\n");
        return 2;
    }
    // Activation mapped the first chunk and, after it, the dump's marker page, which may land
    // right below the chunk (an untouched file page also stops the kernel's stack copy, and would
    // hide the problem). Plug the small gaps, then fill the first chunk with stubs until the
    // arena maps a fresh one: that one has only free space below it.
    plug_small_gaps();
    enum { FILLERS = 1 << 16 };
    static perftrampoline_slot fillers[FILLERS];
    uintptr_t previous = 0;
    for (int i = 0; i < FILLERS; i++) {
        char name[64];
        snprintf(name, sizeof name, "cprobe::filler%d:stack_layout", i);
        uintptr_t address = (uintptr_t)perftrampoline_make_stub(&fillers[i], name);
        if (!address) break;
        if (previous && (address < previous || address - previous > 4096)) break;  // a new chunk
        previous = address;
    }
    // The chain's three stubs follow in the fresh chunk.
    perftrampoline_stub stub = perftrampoline_make_stub(&top.perf_slot, top.perf_name);
    (void)perftrampoline_make_stub(&middle.perf_slot, middle.perf_name);
    (void)perftrampoline_make_stub(&leaf.perf_slot, leaf.perf_name);
    if (!stub) {
        fprintf(stderr, "stack-layout-probe: no stub: %s\n", perftrampoline_last_error());
        return 2;
    }
    uintptr_t chunk = 0, free_below = 0;
    uintptr_t limit = lowest_contiguous_start((uintptr_t)stub, &chunk, &free_below);
    if (!limit) {
        fprintf(stderr, "stack-layout-probe: stub not found in /proc/self/maps\n");
        return 2;
    }
    size_t stack_size = free_below < LARGEST_STACK ? free_below : LARGEST_STACK;
    if (stack_size < SMALLEST_STACK) {
        fprintf(stderr, "stack-layout-probe: only %" PRIuPTR " bytes free below %#" PRIxPTR "\n", free_below, limit);
        return 2;
    }
    void *stack = mmap((void *)(limit - stack_size), stack_size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (stack == MAP_FAILED || (uintptr_t)stack != limit - stack_size) {
        fprintf(stderr, "stack-layout-probe: cannot map the stack below %#" PRIxPTR ": %s\n", limit, strerror(errno));
        return 2;
    }
    // Nothing can be mapped between the stack and the chunk's reservation: the closest layout.
    void *between = mmap((void *)limit, (size_t)sysconf(_SC_PAGESIZE), PROT_READ,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (between != MAP_FAILED && (uintptr_t)between == limit) {
        fprintf(stderr, "stack-layout-probe: free space above the stack\n");
        return 2;
    }
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setstack(&attributes, stack, stack_size);
    struct run run = {rounds, 0};
    pthread_t thread;
    if (pthread_create(&thread, &attributes, run_chain, &run) != 0) {
        fprintf(stderr, "stack-layout-probe: pthread_create failed\n");
        return 2;
    }
    pthread_join(thread, 0);
    printf("gap %" PRIuPTR "\n", chunk - limit);
    printf("total %ld\n", (long)run.total);
    printf("pid %d\n", (int)getpid());
    return 0;
}
