// The "ffi" backend: libffi closures, one per code object, prepared in PerfTrampoline's own
// arena (so the W^X promise holds: libffi's own allocator maps an rwx page on Debian 12).
//
// Every closure has the same signature and handler; the handler reads the evaluator from the
// fourth argument. Limitation, measured and documented: a closure's code *jumps* into libffi's
// shared dispatcher, so its address is never a return address — perf names no frame with it.
#include "CShims.h"

#if !defined(PERFTRAMPOLINE_FFI_BACKEND)
// Built without the FFIBackend package trait: no libffi, and the backend says why.
const char *perftrampoline_ffi_unavailable_reason(void) {
    return "the ffi backend is not built in (enable the package trait FFIBackend)";
}
size_t perftrampoline_ffi_closure_size(void) { return 0; }
int perftrampoline_ffi_prepare(void *slot) {
    (void)slot;
    return -1;
}
#else
#include <pthread.h>
#if defined(__APPLE__)
#include <ffi/ffi.h>
#else
#include <ffi.h>
#endif

#if defined(__APPLE__) && defined(__aarch64__)
// Apple's libffi on arm64 uses FFI_EXEC_TRAMPOLINE_TABLE: ffi_prep_closure_loc writes the
// closure's data to the page *before* codeloc and places no code at codeloc, so a closure
// prepared in place would write outside our chunk and execute trap padding. Refused; the asm
// backend covers this platform.
const char *perftrampoline_ffi_unavailable_reason(void) {
    return "libffi closures cannot be prepared in place on macOS arm64 (FFI_EXEC_TRAMPOLINE_TABLE); use the asm backend";
}
size_t perftrampoline_ffi_closure_size(void) { return 0; }
int perftrampoline_ffi_prepare(void *slot) {
    (void)slot;
    return -1;
}
#else
static ffi_cif closure_cif;
static ffi_type *closure_arguments[4];
static ffi_status cif_status = FFI_BAD_ABI;
static pthread_once_t cif_once = PTHREAD_ONCE_INIT;

static void closure_handler(ffi_cif *cif, void *result, void **arguments, void *user_data) {
    (void)cif;
    (void)user_data;
    perftrampoline_evaluator evaluator = *(perftrampoline_evaluator *)arguments[3];
    intptr_t value = evaluator(*(void **)arguments[0], *(void **)arguments[1], *(intptr_t *)arguments[2]);
    *(ffi_arg *)result = (ffi_arg)value;
}

// The shared call interface, prepared once: arenas of different layouts (and parallel tests)
// may fill chunks concurrently.
static void prepare_cif(void) {
    ffi_type *word = sizeof(intptr_t) == 8 ? &ffi_type_sint64 : &ffi_type_sint32;
    closure_arguments[0] = &ffi_type_pointer;
    closure_arguments[1] = &ffi_type_pointer;
    closure_arguments[2] = word;
    closure_arguments[3] = &ffi_type_pointer;
    cif_status = ffi_prep_cif(&closure_cif, FFI_DEFAULT_ABI, 4, word, closure_arguments);
}

const char *perftrampoline_ffi_unavailable_reason(void) { return 0; }

size_t perftrampoline_ffi_closure_size(void) { return sizeof(ffi_closure); }

int perftrampoline_ffi_prepare(void *slot) {
    pthread_once(&cif_once, prepare_cif);
    if (cif_status != FFI_OK) return -1;
    // The closure's code is its own first bytes (codeloc == slot): no separate executable alias.
    return ffi_prep_closure_loc((ffi_closure *)slot, &closure_cif, closure_handler, 0, slot) == FFI_OK ? 0 : -1;
}
#endif
#endif  // PERFTRAMPOLINE_FFI_BACKEND
