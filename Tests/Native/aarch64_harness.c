// Executes the aarch64 trampoline template under qemu-aarch64 (issue 12). Cross-built by
// NativeTemplateTests with aarch64-linux-gnu-gcc from CShims/trampoline_aarch64.S,
// CShims/template_info.c and CShims/code_memory.c, the same sources the library uses.
//
//   aarch64-harness run    copies the template into an arena laid out as CodeArena does
//                          (64 KiB chunk, 32-byte stride, udf fill, icache flush, then RX with
//                          PROT_BTI where the CPU has BTI), calls every copy with three distinct
//                          64-bit values and walks the frame records from inside the evaluator.
//   aarch64-harness bti    calls a stub at +0 (must run) and at +4 (must fault on a PROT_BTI
//                          page) in forked children; exits 77 where the CPU has no BTI.
//
// Prints "ok ..." lines and exits 0, or prints "FAIL ..." and exits 1.
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "CShims.h"

#ifndef HWCAP2_BTI
#define HWCAP2_BTI (1UL << 17)
#endif

enum { CHUNK = 64 * 1024 };

static int failures;
#define CHECK(condition, ...)                        \
    do {                                             \
        if (!(condition)) {                          \
            printf("FAIL %s:%d: ", __FILE__, __LINE__); \
            printf(__VA_ARGS__);                     \
            printf("\n");                            \
            failures++;                              \
        }                                            \
    } while (0)

// Strips a pointer-authentication code from a return address (xpaclri is a NOP-space hint, so
// this runs on every core).
static uintptr_t strip(uintptr_t address) {
    register uintptr_t lr __asm__("x30") = address;
    __asm__("hint #7" : "+r"(lr));
    return lr;
}

static uint8_t *arena;
static size_t stride, template_size, stub_count;

// What the evaluator saw of the frame-record chain on its last call.
static uintptr_t seen_return_into_stub, seen_return_into_caller, seen_caller_frame;

__attribute__((noinline)) static intptr_t evaluator(void *context, void *code, intptr_t argument) {
    uintptr_t *frame = __builtin_frame_address(0);  // this function's record: [fp, lr]
    seen_return_into_stub = strip(frame[1]);
    uintptr_t *stub_frame = (uintptr_t *)frame[0];  // the record the stub pushed
    seen_return_into_caller = strip(stub_frame[1]);
    seen_caller_frame = stub_frame[0];
    return (intptr_t)((uintptr_t)context * 31 + (uintptr_t)code * 17 + (uintptr_t)argument);
}

static uintptr_t caller_frame;

__attribute__((noinline)) static intptr_t call_through(perftrampoline_stub stub, void *context, void *code,
                                                      intptr_t argument) {
    caller_frame = (uintptr_t)__builtin_frame_address(0);
    intptr_t result = stub(context, code, argument, evaluator);
    __asm__ volatile("" ::: "memory");  // keep the call a call, not a tail call
    return result;
}

static void build_arena(void) {
    const uint8_t *template = perftrampoline_asm_template_start();
    template_size = perftrampoline_asm_template_size();
    stride = (template_size + 15) & ~(size_t)15;
    stub_count = CHUNK / stride;
    arena = mmap(0, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(arena != MAP_FAILED, "mmap");
    memset(arena, 0, CHUNK);  // udf #0 everywhere a stub is not
    for (size_t i = 0; i < stub_count; i++) memcpy(arena + i * stride, template, template_size);
    perftrampoline_flush_icache(arena, CHUNK);
    int pad = perftrampoline_starts_with_landing_pad(template, template_size);
    CHECK(pad == 1, "the template starts with a BTI landing pad");
    CHECK(perftrampoline_protect_executable(arena, CHUNK, pad) == 0, "mprotect RX");
}

static int run(void) {
#if defined(__ARM_FEATURE_PAC_DEFAULT) && (__ARM_FEATURE_PAC_DEFAULT & 1)
    const size_t expected_size = 28;  // paciasp ... autiasp, ret
#else
    const size_t expected_size = 24;  // bti c ... ret
#endif
    CHECK(template_size == expected_size, "template is %zu bytes, expected %zu", template_size, expected_size);
    CHECK(stride == 32, "stride %zu", stride);
    for (size_t i = 0; i < stub_count; i++) {
        perftrampoline_stub stub = (perftrampoline_stub)(uintptr_t)(arena + i * stride);
        void *context = (void *)(uintptr_t)(0x1122334455667788ull ^ i);
        void *code = (void *)(uintptr_t)(0x8877665544332211ull + i * 8);
        intptr_t argument = (intptr_t)(0x0f0e0d0c0b0a0908ull * (i + 1));
        intptr_t expected = (intptr_t)((uintptr_t)context * 31 + (uintptr_t)code * 17 + (uintptr_t)argument);
        intptr_t result = call_through(stub, context, code, argument);
        CHECK(result == expected, "stub %zu returned %lx, expected %lx", i, (long)result, (long)expected);
        uintptr_t start = (uintptr_t)stub;
        CHECK(seen_return_into_stub >= start && seen_return_into_stub < start + template_size,
              "stub %zu: evaluator's return address %lx is not inside the stub at %lx", i,
              (unsigned long)seen_return_into_stub, (unsigned long)start);
        CHECK(seen_return_into_caller - (uintptr_t)call_through < 256,
              "stub %zu: the stub's frame record returns to %lx, not into call_through %lx", i,
              (unsigned long)seen_return_into_caller, (unsigned long)(uintptr_t)call_through);
        CHECK(seen_caller_frame == caller_frame, "stub %zu: frame chain skips the stub's record", i);
        if (failures > 5) break;
    }
    if (!failures) printf("ok %zu stubs passed three 64-bit values through and chained frame records\n", stub_count);
    return failures ? 1 : 0;
}

// Runs `entry` in a child; returns the signal that ended it, or 0 if it exited normally.
static int signal_of_call(uintptr_t entry) {
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        perftrampoline_stub stub = (perftrampoline_stub)entry;
        intptr_t result = stub((void *)1, (void *)2, 3, evaluator);
        _exit(result == 31 + 34 + 3 ? 0 : 3);
    }
    int status = 0;
    waitpid(child, &status, 0);
    if (WIFSIGNALED(status)) return WTERMSIG(status);
    return WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int bti(void) {
    if (!(getauxval(AT_HWCAP2) & HWCAP2_BTI)) {
        printf("this CPU reports no BTI in AT_HWCAP2 (qemu -cpu max does)\n");
        return 77;
    }
    uintptr_t stub = (uintptr_t)arena;
    int at_start = signal_of_call(stub);
    CHECK(at_start == 0, "a stub entered at +0 ended with %d", at_start);
    int past_pad = signal_of_call(stub + 4);
    CHECK(past_pad == SIGILL, "a stub entered at +4 ended with %d, expected SIGILL (BTI fault)", past_pad);
    if (!failures) printf("ok entry at +0 runs; entry at +4 faults with SIGILL on the PROT_BTI page\n");
    return failures ? 1 : 0;
}

int main(int argc, char **argv) {
    build_arena();
    if (argc > 1 && strcmp(argv[1], "bti") == 0) return bti();
    return run();
}
