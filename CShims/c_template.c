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

// Sanitizer and coverage instrumentation would add calls into their runtimes, PC-relative and
// therefore wrong in a copy: the template is exempt from all of it.
#if defined(__has_attribute)
#if __has_attribute(disable_sanitizer_instrumentation)
#define PERFTRAMPOLINE_UNINSTRUMENTED __attribute__((disable_sanitizer_instrumentation))
#endif
#endif
#ifndef PERFTRAMPOLINE_UNINSTRUMENTED
#define PERFTRAMPOLINE_UNINSTRUMENTED __attribute__((no_sanitize("address", "thread", "undefined")))
#endif

__attribute__((section(PERFTRAMPOLINE_C_SECTION), noinline, used, no_instrument_function
#if defined(__clang__)
               , disable_tail_calls
#endif
               ))
PERFTRAMPOLINE_UNINSTRUMENTED
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
// The probe evaluator of the self-test: plain C, so the child runs nothing but the copy and this.
static intptr_t probe_evaluator(void *context, void *code, intptr_t argument) {
    return (intptr_t)context * 3 + (intptr_t)code * 5 + argument * 7;
}

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int perftrampoline_self_test_isolated(const void *stub_address) {
    // A raw fork: no pthread_atfork handlers (ours would need the lock our caller holds) and no
    // other library work in the child, which runs the copy once and exits. A copy that is not
    // position independent can only crash the child.
#if defined(SYS_fork)
    long child = syscall(SYS_fork);
#else
    long child = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
#endif
    if (child < 0) return -1;
    if (child == 0) {
        perftrampoline_stub stub = (perftrampoline_stub)stub_address;
        intptr_t result = stub((void *)0x1234, (void *)0x5678, -99, probe_evaluator);
        _exit(result == 0x1234 * 3 + 0x5678 * 5 - 99 * 7 ? 0 : 1);
    }
    int status = 0;
    while (waitpid((pid_t)child, &status, 0) < 0) {
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}
#else
int perftrampoline_self_test_isolated(const void *stub_address) {
    (void)stub_address;
    return -1;
}
const void *perftrampoline_c_template_start(void) { return 0; }
size_t perftrampoline_c_template_size(void) { return 0; }
#endif
