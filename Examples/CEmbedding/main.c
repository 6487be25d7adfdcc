// A tiny interpreter written in C that embeds PerfTrampoline through its C API.
//
// Its "code objects" form a call chain (main_loop -> parse -> tokenize, which burns CPU).
// Every interpreted call goes through perftrampoline_call(): with -Xperf (or PERFSUPPORT=1)
// each code object gets its own trampoline and `perf record -g` shows cdemo::tokenize <-
// cdemo::parse <- cdemo::main_loop by name.
//
//   c-embedding-example [-Xperf | -Xperf_jit] [ROUNDS [WORK]]   (WORK: loop steps per leaf call, default 1000000)
#include <perftrampoline.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum kind { BURN, CALL };

struct code {
    perftrampoline_slot perf_slot;  // the per-code-object cache
    const char *perf_name;          // "cdemo::<function>:<file>"
    enum kind kind;
    struct code *callee;
};

struct vm {
    long calls;
    long returns;
};

// The evaluator, a real function as any interpreter's is (never inlined into its caller): the
// instruction benchmark then compares a real call with a real call through a stub.
__attribute__((noinline)) static intptr_t evaluate(void *vm, void *code, intptr_t argument);

// The VM's call path: one inline load when profiling is off.
static intptr_t call(struct vm *vm, struct code *code, intptr_t argument) {
    vm->calls++;
    return perftrampoline_call(&code->perf_slot, code->perf_name, evaluate, vm, code, argument);
}

__attribute__((noinline)) static intptr_t evaluate(void *vm_pointer, void *code_pointer, intptr_t argument) {
    struct vm *vm = vm_pointer;
    struct code *code = code_pointer;
    switch (code->kind) {
    case BURN: {
        volatile intptr_t total = 0;
        for (intptr_t i = 0; i < argument; i++) total += i % 7;
        return total;
    }
    case CALL: {
        // Like any interpreter, the frame goes on after the call returns (here: it counts the
        // return), so the call is a real call, not a tail jump.
        intptr_t result = call(vm, code->callee, argument);
        vm->returns++;
        return result;
    }
    }
    return 0;
}

int main(int argc, const char **argv) {
    int mode = perftrampoline_configure(argc, argv);
    long rounds = 200, work = 1000000;
    int positional = 0;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-') continue;
        if (positional++ == 0) rounds = strtol(argv[i], NULL, 10);
        else work = strtol(argv[i], NULL, 10);
    }
    struct code tokenize = {PERFTRAMPOLINE_SLOT_INIT, "cdemo::tokenize:Examples/CEmbedding/main.c", BURN, NULL};
    struct code parse = {PERFTRAMPOLINE_SLOT_INIT, "cdemo::parse:Examples/CEmbedding/main.c", CALL, &tokenize};
    struct code main_loop = {PERFTRAMPOLINE_SLOT_INIT, "cdemo::main_loop:Examples/CEmbedding/main.c", CALL, &parse};
    struct vm vm = {0};
    intptr_t total = 0;
    for (long r = 0; r < rounds; r++) total += call(&vm, &main_loop, work);
    char status[512];
    perftrampoline_status(status, sizeof status);
    printf("total %ld calls %ld mode %d\n", (long)total, vm.calls, mode);
    printf("status %s\n", status);
    printf("pid %d\n", (int)getpid());
    return 0;
}
