/* PerfTrampoline's C API: make the functions of a C (or C++) interpreter visible by name to
 * perf and samply.
 *
 *   struct code { perftrampoline_slot perf_slot; const char *perf_name; ... };
 *   perftrampoline_configure(argc, argv);                // -Xperf / PERFSUPPORT=1
 *   result = perftrampoline_call(&code->perf_slot, code->perf_name, evaluate, vm, code, arg);
 *   // or, in two steps:
 *   perftrampoline_stub stub = perftrampoline_stub_for(&code->perf_slot, code->perf_name);
 *   result = stub ? stub(vm, code, arg, evaluate) : evaluate(vm, code, arg);
 *
 * Link: `cc prog.c $(pkg-config --cflags --libs perftrampoline)` after Scripts/install.sh.
 *
 * Stability: everything declared here is the public C API of major version 1. Within it, names,
 * signatures, constants and the layout of perftrampoline_slot stay source- and
 * binary-compatible; additions bump the minor version (and say "Since 1.N"). Accepted by C99, C11 and C++17 compilers
 * (gcc, clang) with -Wall -Wextra -pedantic.
 */
#ifndef PERFTRAMPOLINE_H
#define PERFTRAMPOLINE_H

#include <stddef.h>
#include <stdint.h>

#define PERFTRAMPOLINE_VERSION_MAJOR 1
#define PERFTRAMPOLINE_VERSION_MINOR 4
#define PERFTRAMPOLINE_VERSION_PATCH 0
/* 10000 * major + 100 * minor + patch: 10400 for 1.4.0. */
#define PERFTRAMPOLINE_VERSION \
    (PERFTRAMPOLINE_VERSION_MAJOR * 10000 + PERFTRAMPOLINE_VERSION_MINOR * 100 + PERFTRAMPOLINE_VERSION_PATCH)

/* Nullability annotations for clang (and so for Swift's importer); empty for other compilers.
 * Clang's -pedantic calls them an extension: silenced for this header only. */
#if defined(__clang__)
#define PERFTRAMPOLINE_NULLABLE _Nullable
#define PERFTRAMPOLINE_NONNULL _Nonnull
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wnullability-extension"
#else
#define PERFTRAMPOLINE_NULLABLE
#define PERFTRAMPOLINE_NONNULL
#endif

/* Branch hints for the inline fast paths (gcc and clang; nothing elsewhere). */
#if defined(__GNUC__) || defined(__clang__)
#define PERFTRAMPOLINE_LIKELY(condition) __builtin_expect(!!(condition), 1)
#define PERFTRAMPOLINE_UNLIKELY(condition) __builtin_expect(!!(condition), 0)
#else
#define PERFTRAMPOLINE_LIKELY(condition) (condition)
#define PERFTRAMPOLINE_UNLIKELY(condition) (condition)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Profiling modes: perftrampoline_configure's result. */
#define PERFTRAMPOLINE_MODE_OFF 0
#define PERFTRAMPOLINE_MODE_PERF_MAP 1 /* /tmp/perf-PID.map */
#define PERFTRAMPOLINE_MODE_JITDUMP 2  /* jit-PID.dump with unwind info (for perf inject --jit) */

/* Results of the functions that can fail. */
#define PERFTRAMPOLINE_OK 0
#define PERFTRAMPOLINE_ERROR (-1) /* the reason is in perftrampoline_last_error() */

/* The evaluator a trampoline calls: three word-sized host arguments, one word-sized result. */
typedef intptr_t (*perftrampoline_evaluator)(void *PERFTRAMPOLINE_NULLABLE context,
                                             void *PERFTRAMPOLINE_NULLABLE code, intptr_t argument);

/* A trampoline: the host's three arguments plus the evaluator it must call. */
typedef intptr_t (*perftrampoline_stub)(void *PERFTRAMPOLINE_NULLABLE context, void *PERFTRAMPOLINE_NULLABLE code,
                                        intptr_t argument, perftrampoline_evaluator PERFTRAMPOLINE_NONNULL evaluator);

/* The per-code-object cache: embed one in each code object, zero-initialised. */
typedef struct perftrampoline_slot {
    uintptr_t stub;
} perftrampoline_slot;

#define PERFTRAMPOLINE_SLOT_INIT {0}

/* Writes the name of `code` into `buffer` (at most `capacity` bytes, NUL included) and returns
 * its full length without the NUL, as snprintf does. Called only on a code object's first entry
 * while profiling is on (perftrampoline_call_lazy, perftrampoline_stub_for_lazy); when the
 * result does not fit, it is called once more with a buffer of the returned length + 1.
 * Threads entering one code object for the first time at once take turns, so the writer runs
 * once per code object (twice for a name that needs the larger buffer). It may call the
 * library, but must not enter code through it (no perftrampoline_call_lazy inside a writer).
 * (Since 1.4.) */
typedef size_t (*perftrampoline_name_writer)(void *PERFTRAMPOLINE_NULLABLE vm, void *PERFTRAMPOLINE_NULLABLE code,
                                             char *PERFTRAMPOLINE_NONNULL buffer, size_t capacity);

/* Non-zero while profiling is on; written by the library only (a signal handler or another
 * thread may change it at any time, hence volatile). Read it with perftrampoline_is_active().
 * (Declared const before 1.4, which let compilers fold repeated reads.) */
extern volatile int perftrampoline_active_flag;

/* Whether profiling is on: one relaxed atomic load, never folded by the compiler. For hosts
 * that know the callee late (after their own dispatch) and want the off path to cost one load.
 * (Since 1.4.) */
static inline int perftrampoline_is_active(void) {
    return __atomic_load_n(&perftrampoline_active_flag, __ATOMIC_RELAXED) != 0;
}

/* Reads `-Xperf`, `-X perf`, `-Xperf_jit`, `-X perf_jit` anywhere in argv[1..argc-1] (pass only
 * the interpreter's own options: a script's arguments would count too; argv may be NULL with
 * argc 0), PERFSUPPORT and PERFTRAMPOLINE_SIGNAL, and
 * activates what they ask for. Never fails: a problem is one warning on stderr.
 * Returns a PERFTRAMPOLINE_MODE_* value. */
int perftrampoline_configure(int argc, const char *PERFTRAMPOLINE_NONNULL const *PERFTRAMPOLINE_NULLABLE argv);

/* perftrampoline_configure for hosts whose argv belongs to the script: reads only the
 * environment (PERFSUPPORT, PERFTRAMPOLINE_SIGNAL). Returns a PERFTRAMPOLINE_MODE_* value.
 * (Since 1.4.) */
int perftrampoline_configure_environment(void);

/* Switches profiling on: mode "perf" or "jitdump". PERFTRAMPOLINE_OK, or PERFTRAMPOLINE_ERROR
 * with a one-line reason in perftrampoline_last_error(). With many stubs made before, the newly
 * active file is brought up to date 256 entries at a time: other threads' first entries run in
 * between (in the mode in force until it is complete). */
int perftrampoline_activate(const char *PERFTRAMPOLINE_NONNULL mode);

/* Switches profiling off (stubs stay valid and are reused on re-activation). */
void perftrampoline_deactivate(void);

/* Lets `signal_number` (e.g. SIGUSR2) toggle profiling in mode "perf" or "jitdump" while the
 * process runs: kill -USR2 PID; perf record -g -p PID -- sleep 5; kill -USR2 PID. The handler is
 * async-signal-safe; files are opened at the next first entry of a code object or at
 * perftrampoline_apply_pending_switch(). perftrampoline_configure installs it from
 * PERFTRAMPOLINE_SIGNAL=USR2. PERFTRAMPOLINE_OK, or PERFTRAMPOLINE_ERROR. (Since 1.2.) */
int perftrampoline_install_signal_switch(int signal_number, const char *PERFTRAMPOLINE_NONNULL mode);

/* Applies signals that arrived since the last first entry (a safe point; optional), bringing the
 * newly active file up to date if one switched profiling on. (Since 1.2.) */
void perftrampoline_apply_pending_switch(void);

/* The reason this thread's last failing call failed, or "". Valid until this thread's next call. */
const char *PERFTRAMPOLINE_NONNULL perftrampoline_last_error(void);

/* Cold path of perftrampoline_stub_for: creates, names and publishes the slot's stub. NULL when
 * profiling is off or could not make one. */
perftrampoline_stub PERFTRAMPOLINE_NULLABLE perftrampoline_make_stub(perftrampoline_slot *PERFTRAMPOLINE_NONNULL slot,
                                                                     const char *PERFTRAMPOLINE_NONNULL name);

/* Cold path of the lazy forms: asks `writer` for the name, then does what
 * perftrampoline_make_stub does. (Since 1.4.) */
perftrampoline_stub PERFTRAMPOLINE_NULLABLE perftrampoline_make_stub_lazy(perftrampoline_slot *PERFTRAMPOLINE_NONNULL slot,
                                                                          perftrampoline_name_writer PERFTRAMPOLINE_NONNULL writer,
                                                                          void *PERFTRAMPOLINE_NULLABLE vm,
                                                                          void *PERFTRAMPOLINE_NULLABLE code);

/* Gives back a code object's trampoline when the code object is freed: it is reused for the
 * next code object with the same name (no new stub, no new map line), so a host that re-creates
 * functions stays bounded by its number of distinct names. In jitdump mode a stub no perf map
 * names is also reused for any new name (a fresh, timestamped load record in the dump), so
 * memory is bounded by the code objects alive at once. The slot reads as empty afterwards.
 * Call it only when no frame of the code object is running. (Since 1.2.) */
void perftrampoline_release(perftrampoline_slot *PERFTRAMPOLINE_NONNULL slot);

/* (perftrampoline_release on a slot that never had a stub returns after one load, without the
 * library's lock: hosts may call it for every freed code object.) */

/* Announces code made by another generator in this process, in the shared perf map.
 * PERFTRAMPOLINE_OK or PERFTRAMPOLINE_ERROR. */
int perftrampoline_write_entry(const void *PERFTRAMPOLINE_NONNULL address, size_t size,
                               const char *PERFTRAMPOLINE_NONNULL name);

/* Writes a one-line status ("mode=perfMap backend=asm stubs=3 ...") into buffer, NUL-terminated
 * and truncated to capacity; returns the full length. */
size_t perftrampoline_status(char *PERFTRAMPOLINE_NONNULL buffer, size_t capacity);

/* The stub to call `code` through, or NULL to call the evaluator directly. Off: one load.
 * On: one more load and, on a code object's first entry only, the cold path. */
static inline perftrampoline_stub PERFTRAMPOLINE_NULLABLE perftrampoline_stub_for(perftrampoline_slot *PERFTRAMPOLINE_NONNULL slot,
                                                                                  const char *PERFTRAMPOLINE_NONNULL name) {
    uintptr_t stub;
    if (!perftrampoline_is_active()) return 0;
    stub = __atomic_load_n(&slot->stub, __ATOMIC_ACQUIRE);
    if (stub) return (perftrampoline_stub)stub;
    return perftrampoline_make_stub(slot, name);
}

/* The whole call: `evaluator(vm, code, argument)` through code's stub while profiling is on
 * (made on the code object's first entry), directly otherwise. Laid out for the compiler: off,
 * one load and a branch; on, one more load and an indirect call, with the cold path out of line.
 * Measured on x86_64 (Scripts/bench-instructions.sh, Examples/CEmbedding): 11 instructions
 * per call more than a direct call, the stub's 6 included. (Since 1.3.) */
static inline intptr_t perftrampoline_call(perftrampoline_slot *PERFTRAMPOLINE_NONNULL slot,
                                           const char *PERFTRAMPOLINE_NONNULL name,
                                           perftrampoline_evaluator PERFTRAMPOLINE_NONNULL evaluator,
                                           void *PERFTRAMPOLINE_NULLABLE vm, void *PERFTRAMPOLINE_NULLABLE code,
                                           intptr_t argument) {
    if (perftrampoline_is_active()) {
        uintptr_t stub = __atomic_load_n(&slot->stub, __ATOMIC_ACQUIRE);
        if (PERFTRAMPOLINE_LIKELY(stub != 0)) return ((perftrampoline_stub)stub)(vm, code, argument, evaluator);
        perftrampoline_stub made = perftrampoline_make_stub(slot, name);
        if (made) return made(vm, code, argument, evaluator);
    }
    return evaluator(vm, code, argument);
}

/* perftrampoline_stub_for with a lazy name: `writer(vm, code, ...)` runs on a first entry only.
 * (Since 1.4.) */
static inline perftrampoline_stub PERFTRAMPOLINE_NULLABLE perftrampoline_stub_for_lazy(
    perftrampoline_slot *PERFTRAMPOLINE_NONNULL slot, perftrampoline_name_writer PERFTRAMPOLINE_NONNULL writer,
    void *PERFTRAMPOLINE_NULLABLE vm, void *PERFTRAMPOLINE_NULLABLE code) {
    uintptr_t stub;
    if (!perftrampoline_is_active()) return 0;
    stub = __atomic_load_n(&slot->stub, __ATOMIC_ACQUIRE);
    if (stub) return (perftrampoline_stub)stub;
    return perftrampoline_make_stub_lazy(slot, writer, vm, code);
}

/* perftrampoline_call with a lazy name: the same fast path (the writer is never called there),
 * and `writer(vm, code, ...)` names the code object on its first entry only. (Since 1.4.) */
static inline intptr_t perftrampoline_call_lazy(perftrampoline_slot *PERFTRAMPOLINE_NONNULL slot,
                                                perftrampoline_name_writer PERFTRAMPOLINE_NONNULL writer,
                                                perftrampoline_evaluator PERFTRAMPOLINE_NONNULL evaluator,
                                                void *PERFTRAMPOLINE_NULLABLE vm, void *PERFTRAMPOLINE_NULLABLE code,
                                                intptr_t argument) {
    if (perftrampoline_is_active()) {
        uintptr_t stub = __atomic_load_n(&slot->stub, __ATOMIC_ACQUIRE);
        if (PERFTRAMPOLINE_LIKELY(stub != 0)) return ((perftrampoline_stub)stub)(vm, code, argument, evaluator);
        perftrampoline_stub made = perftrampoline_make_stub_lazy(slot, writer, vm, code);
        if (made) return made(vm, code, argument, evaluator);
    }
    return evaluator(vm, code, argument);
}

#ifdef __cplusplus
}
#endif

#if defined(__clang__)
#pragma clang diagnostic pop
#endif

#endif
