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

// retain: a partial link with --gc-sections (the Embedded build's static archive, issue 26)
// keeps the section although only the final link's __start_/__stop_ symbols refer to it.
#if defined(__has_attribute)
#if __has_attribute(retain)
#define PERFTRAMPOLINE_RETAINED __attribute__((retain))
#endif
#endif
#ifndef PERFTRAMPOLINE_RETAINED
#define PERFTRAMPOLINE_RETAINED
#endif

PERFTRAMPOLINE_RETAINED
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

// Hidden: the linker's section bounds resolve inside the library (no GOT entry, no symbol
// lookup for each at load time, issue 26).
extern const char __start_perftrampoline_c_text[] __attribute__((visibility("hidden")));
extern const char __stop_perftrampoline_c_text[] __attribute__((visibility("hidden")));

const void *perftrampoline_c_template_start(void) { return __start_perftrampoline_c_text; }
size_t perftrampoline_c_template_size(void) {
    return (size_t)(__stop_perftrampoline_c_text - __start_perftrampoline_c_text);
}
// The probe evaluator of the self-test: plain C, so the child runs nothing but the copy and this.
static intptr_t probe_evaluator(void *context, void *code, intptr_t argument) {
    return (intptr_t)context * 3 + (intptr_t)code * 5 + argument * 7;
}

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int perftrampoline_self_test_verified(const void *stub_address) {
    perftrampoline_stub stub = (perftrampoline_stub)stub_address;
    intptr_t result = stub((void *)0x1234, (void *)0x5678, -99, probe_evaluator);
    return result == 0x1234 * 3 + 0x5678 * 5 - 99 * 7 ? 0 : -1;
}

int perftrampoline_self_test_isolated(const void *stub_address) {
    // A raw clone whose exit signal is 0, not SIGCHLD: no pthread_atfork handlers (ours would
    // need the lock our caller holds), and nothing the host's SIGCHLD disposition can change —
    // a host that ignores SIGCHLD has its children reaped by the kernel, which made waiting for
    // a SIGCHLD child fail with ECHILD forever (issue 23). A copy that is not position
    // independent can only crash the child.
    long child = syscall(SYS_clone, 0L, 0L, 0L, 0L, 0L);
    int wait_flags = __WCLONE;
    if (child < 0 && errno == EINVAL) {
        // qemu-user refuses a clone without CLONE_VM whose exit signal is not SIGCHLD. Then an
        // ordinary child: if the host ignores SIGCHLD the kernel reaps it and waitpid fails
        // with ECHILD, which is a failed self-test (the c backend is unavailable), never a spin.
        child = syscall(SYS_clone, (long)SIGCHLD, 0L, 0L, 0L, 0L);
        wait_flags = 0;
    }
    if (child < 0) return -1;
    if (child == 0) _exit(perftrampoline_self_test_verified(stub_address) == 0 ? 0 : 1);
    int status = 0;
    while (waitpid((pid_t)child, &status, wait_flags) < 0) {
        if (errno != EINTR) return -1;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}
#else
int perftrampoline_self_test_isolated(const void *stub_address) {
    (void)stub_address;
    return -1;
}
int perftrampoline_self_test_verified(const void *stub_address) {
    (void)stub_address;
    return -1;
}
const void *perftrampoline_c_template_start(void) { return 0; }
size_t perftrampoline_c_template_size(void) { return 0; }
#endif
