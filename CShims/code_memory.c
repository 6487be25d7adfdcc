// Instruction-cache maintenance, making the arena executable (PROT_BTI on aarch64 Linux), and
// the macOS arm64 MAP_JIT write window: the platform-specific operations the Swift code arena
// needs and cannot spell itself. Also compiled into the qemu-aarch64 test harness.
#include "CShims.h"

#include <sys/mman.h>

#if defined(__linux__) && defined(__aarch64__)
#include <sys/auxv.h>
#ifndef PROT_BTI
#define PROT_BTI 0x10  // asm/mman.h: pages whose indirect-branch targets must be landing pads
#endif
#ifndef HWCAP2_BTI
#define HWCAP2_BTI (1UL << 17)
#endif
#endif

#if defined(__APPLE__) && defined(__aarch64__)
#include <pthread.h>
#endif

void perftrampoline_flush_icache(void *start, size_t length) {
#if defined(__aarch64__) || defined(__arm__) || defined(__riscv) || defined(__powerpc__)
    __builtin___clear_cache((char *)start, (char *)start + length);
#else
    // x86 keeps instruction fetch coherent with stores; nothing to do.
    (void)start;
    (void)length;
#endif
}

int perftrampoline_starts_with_landing_pad(const void *code, size_t length) {
#if defined(__aarch64__)
    if (length < 4) return 0;
    uint32_t first;
    __builtin_memcpy(&first, code, 4);
    // bti c, bti jc, paciasp, pacibsp: the instructions an indirect call may land on.
    return first == 0xd503245fu || first == 0xd50324dfu || first == 0xd503233fu || first == 0xd503237fu;
#else
    (void)code;
    (void)length;
    return 0;
#endif
}

int perftrampoline_protect_executable(void *start, size_t length, int branch_targets) {
    int protection = PROT_READ | PROT_EXEC;
#if defined(__linux__) && defined(__aarch64__)
    // Guarded pages: a branch into a stub anywhere but its first instruction faults. Only where
    // the CPU has BTI (elsewhere the kernel rejects the bit) and every stub starts with a pad.
    if (branch_targets && (getauxval(AT_HWCAP2) & HWCAP2_BTI)) protection |= PROT_BTI;
#else
    (void)branch_targets;
#endif
    return mprotect(start, length, protection);
}

#if defined(__APPLE__) && defined(__aarch64__)
int perftrampoline_has_map_jit(void) { return 1; }

void *perftrampoline_map_jit(size_t length) {
    void *memory = mmap(NULL, length, PROT_READ | PROT_WRITE | PROT_EXEC,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_JIT, -1, 0);
    return memory == MAP_FAILED ? NULL : memory;
}

void perftrampoline_jit_write_enable(int enabled) {
    // Per-thread APRR toggle: memory is writable *or* executable for this thread, never both.
    pthread_jit_write_protect_np(enabled ? 0 : 1);
}
#else
int perftrampoline_has_map_jit(void) { return 0; }
void *perftrampoline_map_jit(size_t length) {
    (void)length;
    return 0;
}
void perftrampoline_jit_write_enable(int enabled) { (void)enabled; }
#endif
