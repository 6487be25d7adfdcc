// PerfTrampoline's C API: make the functions of a C interpreter visible by name to perf and
// samply. Link against the PerfTrampoline library (Swift); these functions are exported by it.
//
//   struct code { perftrampoline_slot perf_slot; const char *perf_name; ... };
//   perftrampoline_configure(argc, argv);               // -Xperf / PERFSUPPORT=1
//   perftrampoline_stub stub = perftrampoline_stub_for(&code->perf_slot, code->perf_name);
//   result = stub ? stub(vm, code, arg, evaluate) : evaluate(vm, code, arg);
#ifndef PERFTRAMPOLINE_H
#define PERFTRAMPOLINE_H

#include <stddef.h>
#include <stdint.h>

// Nullability annotations for clang (and so for Swift's importer); empty for other compilers.
#if defined(__clang__)
#define PERFTRAMPOLINE_NULLABLE _Nullable
#define PERFTRAMPOLINE_NONNULL _Nonnull
#else
#define PERFTRAMPOLINE_NULLABLE
#define PERFTRAMPOLINE_NONNULL
#endif

#ifdef __cplusplus
extern "C" {
#endif

/// The evaluator a trampoline calls: three word-sized host arguments, one word-sized result.
typedef intptr_t (*perftrampoline_evaluator)(void *PERFTRAMPOLINE_NULLABLE context, void *PERFTRAMPOLINE_NULLABLE code,
                                             intptr_t argument);

/// A trampoline: the host's three arguments plus the evaluator it must call.
typedef intptr_t (*perftrampoline_stub)(void *PERFTRAMPOLINE_NULLABLE context, void *PERFTRAMPOLINE_NULLABLE code,
                                        intptr_t argument, perftrampoline_evaluator PERFTRAMPOLINE_NONNULL evaluator);

/// The per-code-object cache: embed one in each code object, zero-initialised.
typedef struct perftrampoline_slot {
    uintptr_t stub;
} perftrampoline_slot;

#define PERFTRAMPOLINE_SLOT_INIT {0}

/// 1 while profiling is on. Written by the library; read by the inline fast path below.
extern int perftrampoline_active_flag;

/// Reads `-Xperf`, `-X perf`, `-Xperf_jit`, `-X perf_jit` in argv[1..] and PERFSUPPORT, and
/// activates what they ask for. Never fails: problems are one warning on stderr.
/// Returns 0 (off), 1 (perf map) or 2 (jitdump).
int perftrampoline_configure(int argc, const char *PERFTRAMPOLINE_NONNULL const *PERFTRAMPOLINE_NULLABLE argv);

/// Switches profiling on: mode "perf" or "jitdump". Returns 0, or -1 with a one-line reason
/// in perftrampoline_last_error().
int perftrampoline_activate(const char *PERFTRAMPOLINE_NONNULL mode);

/// Switches profiling off (stubs stay valid and are reused on re-activation).
void perftrampoline_deactivate(void);

/// The reason the last call failed, or "".
const char *PERFTRAMPOLINE_NONNULL perftrampoline_last_error(void);

/// Cold path of perftrampoline_stub_for: creates, names and publishes the slot's stub.
perftrampoline_stub PERFTRAMPOLINE_NULLABLE perftrampoline_make_stub(perftrampoline_slot *PERFTRAMPOLINE_NONNULL slot,
                                                       const char *PERFTRAMPOLINE_NONNULL name);

/// Announces code made by another generator in this process, in the shared perf map.
int perftrampoline_write_entry(const void *PERFTRAMPOLINE_NONNULL address, size_t size, const char *PERFTRAMPOLINE_NONNULL name);

/// Writes a one-line status ("mode=perfMap backend=asm stubs=3 …") into buffer; returns its length.
size_t perftrampoline_status(char *PERFTRAMPOLINE_NONNULL buffer, size_t capacity);

/// The stub to call `code` through, or NULL to call the evaluator directly. Off: one load.
/// On: one more load and, on a code object's first entry only, the cold path.
static inline perftrampoline_stub PERFTRAMPOLINE_NULLABLE perftrampoline_stub_for(perftrampoline_slot *PERFTRAMPOLINE_NONNULL slot,
                                                                    const char *PERFTRAMPOLINE_NONNULL name) {
    if (!__atomic_load_n(&perftrampoline_active_flag, __ATOMIC_RELAXED)) return 0;
    uintptr_t stub = __atomic_load_n(&slot->stub, __ATOMIC_ACQUIRE);
    if (stub) return (perftrampoline_stub)stub;
    return perftrampoline_make_stub(slot, name);
}

/// Library side: loads and publishes a C slot with acquire/release ordering.
static inline uintptr_t perftrampoline_slot_load(const perftrampoline_slot *PERFTRAMPOLINE_NONNULL slot) {
    return __atomic_load_n(&slot->stub, __ATOMIC_ACQUIRE);
}
static inline void perftrampoline_slot_publish(perftrampoline_slot *PERFTRAMPOLINE_NONNULL slot, uintptr_t stub) {
    __atomic_store_n(&slot->stub, stub, __ATOMIC_RELEASE);
}
static inline void perftrampoline_set_active_flag(int active) {
    __atomic_store_n(&perftrampoline_active_flag, active, __ATOMIC_RELAXED);
}

#ifdef __cplusplus
}
#endif

#endif
