// The "ffi" backend: libffi closures, one per code object, prepared in PerfTrampoline's own
// arena (so the W^X promise holds: libffi's own allocator maps an rwx page on Debian 12).
//
// Every closure has the same signature and handler; the handler reads the evaluator from the
// fourth argument. Limitation, measured and documented: a closure's code *jumps* into libffi's
// shared dispatcher, so its address is never a return address — perf names no frame with it.
#include "CShims.h"
#if defined(__APPLE__)
#include <ffi/ffi.h>
#else
#include <ffi.h>
#endif

static ffi_cif closure_cif;
static ffi_type *closure_arguments[4];
static int cif_ready = 0;

static void closure_handler(ffi_cif *cif, void *result, void **arguments, void *user_data) {
    (void)cif;
    (void)user_data;
    perftrampoline_evaluator evaluator = *(perftrampoline_evaluator *)arguments[3];
    intptr_t value = evaluator(*(void **)arguments[0], *(void **)arguments[1], *(intptr_t *)arguments[2]);
    *(ffi_arg *)result = (ffi_arg)value;
}

size_t perftrampoline_ffi_closure_size(void) { return sizeof(ffi_closure); }

int perftrampoline_ffi_prepare(void *slot) {
    if (!cif_ready) {
        ffi_type *word = sizeof(intptr_t) == 8 ? &ffi_type_sint64 : &ffi_type_sint32;
        closure_arguments[0] = &ffi_type_pointer;
        closure_arguments[1] = &ffi_type_pointer;
        closure_arguments[2] = word;
        closure_arguments[3] = &ffi_type_pointer;
        if (ffi_prep_cif(&closure_cif, FFI_DEFAULT_ABI, 4, word, closure_arguments) != FFI_OK) return -1;
        cif_ready = 1;
    }
    // The closure's code is its own first bytes (codeloc == slot): no separate executable alias.
    return ffi_prep_closure_loc((ffi_closure *)slot, &closure_cif, closure_handler, 0, slot) == FFI_OK ? 0 : -1;
}
