// CShims: the native pieces of PerfTrampoline that Swift cannot express. Private: only
// perftrampoline.h is installed for C hosts.
//
// - the hand-written trampoline templates (trampoline_x86_64.S, trampoline_aarch64.S),
//   reached through the accessors below;
// - instruction-cache maintenance and the macOS MAP_JIT write window.
#ifndef PERFTRAMPOLINE_CSHIMS_H
#define PERFTRAMPOLINE_CSHIMS_H

#include <stddef.h>
#include <stdint.h>

#include <perftrampoline.h>  // the public C API (target CPerfTrampoline; the evaluator/stub types)

#ifdef __cplusplus
extern "C" {
#endif

/// Library side of the C fast path's flag (the public header only reads it). Async-signal-safe.
void perftrampoline_set_active_flag(int active);

/// The fast path's flag, for Swift: one relaxed load (the same flag the C inline fast path reads).
static inline int perftrampoline_flag_is_set(void) {
    return __atomic_load_n(&perftrampoline_active_flag, __ATOMIC_RELAXED);
}

/// The signal switch (signal_switch.c): installs the async-signal-safe toggle for `signal_number`
/// (0, or -1 with errno). The request is one word, (generation << 1) | on, flipped by each
/// delivery with one atomic compare-and-swap; `set_state_if` records a state only while the
/// generation is still `generation` (1 if it did). `handled_by_host`: 1 if the signal already
/// has a handler other than the toggle, 0 if not, -1 on error.
int perftrampoline_signal_switch_install(int signal_number);
int perftrampoline_signal_switch_handled_by_host(int signal_number);
unsigned long perftrampoline_signal_switch_word(void);
int perftrampoline_signal_switch_set_state_if(unsigned long generation, int on);
int perftrampoline_signal_switch_raise(int signal_number);

/// Library side: loads and publishes a C slot with acquire/release ordering.
static inline uintptr_t perftrampoline_slot_load(const perftrampoline_slot *PERFTRAMPOLINE_NONNULL slot) {
    return __atomic_load_n(&slot->stub, __ATOMIC_ACQUIRE);
}
static inline void perftrampoline_slot_publish(perftrampoline_slot *PERFTRAMPOLINE_NONNULL slot, uintptr_t stub) {
    __atomic_store_n(&slot->stub, stub, __ATOMIC_RELEASE);
}

/// Sets this thread's perftrampoline_last_error() text (copied, truncated to 1 KiB).
void perftrampoline_set_last_error(const char *PERFTRAMPOLINE_NONNULL message);

/// Start of the hand-written template for this architecture, or NULL where there is none.
const void *PERFTRAMPOLINE_NULLABLE perftrampoline_asm_template_start(void);
/// Length in bytes of the hand-written template (0 where there is none).
size_t perftrampoline_asm_template_size(void);

/// The "c" backend's template (compiled C, in its own section), or NULL / 0 where unavailable.
const void *PERFTRAMPOLINE_NULLABLE perftrampoline_c_template_start(void);
size_t perftrampoline_c_template_size(void);
/// Calls a copy of the C template with a probe evaluator; 0 if it returned the expected value.
/// `verified`: in this process (only for a copy whose bytes are a known position-independent
/// form). `isolated`: in a raw clone child with exit signal 0 (waited for with __WCLONE, so the
/// host's SIGCHLD disposition does not matter), for any other form.
int perftrampoline_self_test_verified(const void *PERFTRAMPOLINE_NONNULL stub_address);
int perftrampoline_self_test_isolated(const void *PERFTRAMPOLINE_NONNULL stub_address);

/// The "ffi" backend: bytes per libffi closure, and preparing one in place (0 on success).
/// `slot` must be writable while this runs; the closure's entry point is `slot` itself.
size_t perftrampoline_ffi_closure_size(void);
/// Why closures cannot be used on this platform (macOS arm64), or NULL where they can.
const char *PERFTRAMPOLINE_NULLABLE perftrampoline_ffi_unavailable_reason(void);
int perftrampoline_ffi_prepare(void *PERFTRAMPOLINE_NONNULL slot);

/// 1 if the code starts with an aarch64 BTI landing pad (bti c/jc, paciasp/pacibsp); 0 elsewhere.
int perftrampoline_starts_with_landing_pad(const void *PERFTRAMPOLINE_NONNULL code, size_t length);
/// mprotect(PROT_READ|PROT_EXEC), plus PROT_BTI on aarch64 Linux when `branch_targets` is 1 and
/// the CPU has BTI. Returns 0 or -1 with errno set.
int perftrampoline_protect_executable(void *PERFTRAMPOLINE_NONNULL start, size_t length, int branch_targets);

/// Makes freshly written code at [start, start+length) visible to instruction fetch.
void perftrampoline_flush_icache(void *PERFTRAMPOLINE_NONNULL start, size_t length);

/// 1 when this build has the macOS arm64 MAP_JIT path, 0 otherwise.
int perftrampoline_has_map_jit(void);
/// mmap(MAP_JIT) of `length` bytes (macOS arm64 only); NULL on failure or elsewhere.
void *PERFTRAMPOLINE_NULLABLE perftrampoline_map_jit(size_t length);
/// Opens (enabled = 1) or closes (0) this thread's write window on MAP_JIT memory.
void perftrampoline_jit_write_enable(int enabled);

/// The calling thread's id as a u32 (Linux: the kernel tid).
uint32_t perftrampoline_thread_id(void);

#ifdef __cplusplus
}
#endif

#endif
