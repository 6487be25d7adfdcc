// The signal switch (issues 15, 23): a signal toggles profiling in a running process. The
// handler is async-signal-safe: one lock-free compare-and-swap on one word, then a store of
// the fast path's flag — no lock, no allocation, no I/O.
//
// The word holds the whole request: (generation << 1) | requested-on. Every delivery flips the
// bit and bumps the generation in one atomic step, so two deliveries handled on two threads at
// once are two toggles, never one. The library applies a request (opens files, catches up) on
// its next cold path, at a safe point the host calls, or before a fork; it records the state it
// reached only if no newer delivery came meanwhile (set_state_if), so a request that arrives
// while another is being applied is applied next, never overwritten.
#include "CShims.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>

static unsigned long switch_word;

static void toggle(int signal_number) {
    (void)signal_number;
    unsigned long word = __atomic_load_n(&switch_word, __ATOMIC_RELAXED);
    unsigned long next;
    do {
        next = ((((word >> 1) + 1)) << 1) | (~word & 1UL);
    } while (!__atomic_compare_exchange_n(&switch_word, &word, next, 1, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
    // Handlers racing on two threads may store their flags out of order; the library re-syncs
    // the flag with the word whenever it applies a generation.
    perftrampoline_set_active_flag((int)(next & 1UL));
}

int perftrampoline_signal_switch_handled_by_host(int signal_number) {
    struct sigaction current;
    if (sigaction(signal_number, 0, &current) != 0) return -1;
    if (current.sa_flags & SA_SIGINFO) return current.sa_sigaction != 0;
    return current.sa_handler != SIG_DFL && current.sa_handler != SIG_IGN && current.sa_handler != toggle;
}

int perftrampoline_signal_switch_install(int signal_number) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = toggle;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    if (sigaction(signal_number, &action, 0) != 0) return -1;
    // A process started with the signal blocked (a launcher's inherited mask) would never see
    // it: unblock it in the calling thread; threads it creates afterwards inherit that.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signal_number);
#if defined(__linux__)
    // glibc (2.32 and later) and musl implement sigprocmask as pthread_sigmask of the calling
    // thread; glibc versions pthread_sigmask GLIBC_2.32, one more version for the loader to
    // check at every start of a host (about 500 instructions, issue 26).
    return sigprocmask(SIG_UNBLOCK, &set, 0);
#else
    return pthread_sigmask(SIG_UNBLOCK, &set, 0) == 0 ? 0 : -1;
#endif
}

unsigned long perftrampoline_signal_switch_word(void) { return __atomic_load_n(&switch_word, __ATOMIC_ACQUIRE); }

int perftrampoline_signal_switch_set_state_if(unsigned long generation, int on) {
    unsigned long word = __atomic_load_n(&switch_word, __ATOMIC_RELAXED);
    for (;;) {
        if ((word >> 1) != generation) return 0;
        unsigned long next = (word & ~1UL) | (on ? 1UL : 0UL);
        if (__atomic_compare_exchange_n(&switch_word, &word, next, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) return 1;
    }
}

int perftrampoline_signal_switch_raise(int signal_number) { return raise(signal_number); }
