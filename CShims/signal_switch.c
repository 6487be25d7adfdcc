// The signal switch (issue 15): a signal toggles profiling in a running process. The handler is
// async-signal-safe: it touches only three ints, with atomic operations — no lock, no
// allocation, no I/O. It flips the requested state and the fast path's flag and bumps a
// generation; the library applies the request (opens files, catches up) on its next cold path,
// or when the host calls a safe point.
#include "CShims.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>

static int requested_on;
static unsigned int generation;

static void toggle(int signal_number) {
    (void)signal_number;
    int on = !__atomic_load_n(&requested_on, __ATOMIC_RELAXED);
    __atomic_store_n(&requested_on, on, __ATOMIC_RELAXED);
    __atomic_fetch_add(&generation, 1, __ATOMIC_RELEASE);
    perftrampoline_set_active_flag(on);
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
    return pthread_sigmask(SIG_UNBLOCK, &set, 0) == 0 ? 0 : -1;
}

void perftrampoline_signal_switch_set_state(int on) { __atomic_store_n(&requested_on, on ? 1 : 0, __ATOMIC_RELAXED); }

int perftrampoline_signal_switch_state(void) { return __atomic_load_n(&requested_on, __ATOMIC_RELAXED); }

unsigned int perftrampoline_signal_switch_generation(void) { return __atomic_load_n(&generation, __ATOMIC_ACQUIRE); }

int perftrampoline_signal_switch_raise(int signal_number) { return raise(signal_number); }
