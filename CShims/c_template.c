// The "c" backend's trampoline: the same contract as the hand-written .S templates, compiled
// from C, for architectures that have no hand-written stub.
//
// It lives alone in its own section so that the linker's __start_/__stop_ symbols give its exact
// bounds (ELF). disable_tail_calls keeps the call a call: a sibling-call jump would take the
// stub's address off the stack. Frame pointers come from SwiftPM's default
// -fno-omit-frame-pointer. The copy is only used after a start-up self-test ran it.
#include "CShims.h"

#if defined(__ELF__) && (defined(__clang__) || defined(__GNUC__))
#define PERFTRAMPOLINE_HAS_C_TEMPLATE 1
#define PERFTRAMPOLINE_C_SECTION "perftrampoline_c_text"

__attribute__((section(PERFTRAMPOLINE_C_SECTION), noinline, used
#if defined(__clang__)
               , disable_tail_calls
#endif
               ))
intptr_t perftrampoline_c_template(void *context, void *code, intptr_t argument,
                                   perftrampoline_evaluator evaluator) {
    intptr_t result = evaluator(context, code, argument);
    // An empty asm after the call: the compiler cannot turn the call into a jump.
    __asm__ volatile("" : "+r"(result) : : "memory");
    return result;
}

extern const char __start_perftrampoline_c_text[];
extern const char __stop_perftrampoline_c_text[];

const void *perftrampoline_c_template_start(void) { return __start_perftrampoline_c_text; }
size_t perftrampoline_c_template_size(void) {
    return (size_t)(__stop_perftrampoline_c_text - __start_perftrampoline_c_text);
}
#else
const void *perftrampoline_c_template_start(void) { return 0; }
size_t perftrampoline_c_template_size(void) { return 0; }
#endif
