// Instruction-cache maintenance and the macOS arm64 MAP_JIT write window: the two
// platform-specific operations the Swift code arena needs and cannot spell itself.
#include "CShims.h"

#if defined(__APPLE__) && defined(__aarch64__)
#include <pthread.h>
#include <sys/mman.h>
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
