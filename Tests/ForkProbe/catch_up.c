// fork-probe catch-up STUBS FROM TO
//   Issue 23: STUBS stubs named in FROM (perf or jitdump), then one thread switches to TO
//   (perftrampoline_activate), whose file must take every existing entry, while a second thread
//   enters new code objects one after another (a first entry each, about 0.2 ms apart). The
//   activation must not hold up the second thread's first entries for its whole length.
//   Prints "pid P", then "activation_us A during D longest_first_entry_us L late N first_late_us
//   F": D first entries returned while the activation ran, the slowest of them took L µs, N were
//   made in all (named c::late_0 … c::late_<N-1>; the existing ones are c::f_0 …), the first of
//   them took F µs (it started 2 ms into the activation).
//
//   fork-probe catch-up-fork STUBS
//     STUBS stubs in perf-map mode, then one thread switches to jitdump while the main thread
//     forks 20 ms in; the child enters a new code object (c::child_new). The child makes the
//     jitdump mode its own: its dump names every stub and its new one; the parent's names every
//     stub and not the child's. Prints "pid P", "child status S", "child stub yes|no",
//     "forked during activation yes|no", "child pid C", "child exit E", "parent status S".
//
//   fork-probe catch-up-exit STUBS
//     STUBS stubs in perf-map mode, then one thread switches to jitdump while the main thread
//     calls exit() once the new dump, written aside, has content. Nothing of the unfinished dump
//     may be left: no aside copy, no empty claimed jit-PID.dump. Prints "pid P" and
//     "exit during activation yes|no".
//
//   fork-probe catch-up-off STUBS MODE
//     The switch's signal turns profiling on in MODE with STUBS stubs to catch up, and another
//     thread sends the signal again (OFF) while that activation runs (as soon as MODE's new file
//     has content). The OFF must win, and soon:
//     prints "apply_us A status <status>" (A: how long applying the ON took before the OFF
//     stopped it).
#include <perftrampoline.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static intptr_t evaluate(void *vm, void *code, intptr_t argument) { (void)vm; (void)code; return argument + 1; }

static double now_us(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec * 1e6 + (double)now.tv_nsec / 1e3;
}

int fork_probe_make_stubs(long stubs, const char *mode);  // main.c

// Waits (at most about 2 s) until `path` holds more than 4 KiB: a new file being written.
static void wait_for_content(const char *path) {
    struct stat info;
    for (int waited = 0; waited < 20000; waited++) {
        if (stat(path, &info) == 0 && info.st_size > 4096) return;
        usleep(100);
    }
}

static int activation_started, activation_done;

struct late_entries {
    long made, during;
    double first_us, longest_us;
};

static void *enter_new_code_objects(void *context) {
    struct late_entries *late = context;
    while (!__atomic_load_n(&activation_started, __ATOMIC_ACQUIRE)) usleep(100);
    usleep(2000);  // well inside the activation
    char name[64];
    for (int after = 0; after < 5;) {
        perftrampoline_slot *slot = calloc(1, sizeof *slot);
        if (!slot) return 0;
        snprintf(name, sizeof name, "c::late_%ld", late->made);
        double start = now_us();
        perftrampoline_stub stub = perftrampoline_stub_for(slot, name);
        double took = now_us() - start;
        intptr_t result = stub ? stub(0, 0, 1, evaluate) : evaluate(0, 0, 1);
        if (result != 2) abort();
        if (late->made++ == 0) late->first_us = took;
        if (!__atomic_load_n(&activation_done, __ATOMIC_ACQUIRE)) {
            late->during++;
            if (took > late->longest_us) late->longest_us = took;
        } else {
            after++;  // a few after the switch, named in its file
        }
        usleep(200);
    }
    return 0;
}

int fork_probe_catch_up(long stubs, const char *from, const char *to) {
    if (fork_probe_make_stubs(stubs, from) != 0) return 2;
    printf("pid %d\n", (int)getpid());
    struct late_entries late = {0, 0, 0, 0};
    pthread_t thread;
    if (pthread_create(&thread, 0, enter_new_code_objects, &late) != 0) return 2;
    double start = now_us();
    __atomic_store_n(&activation_started, 1, __ATOMIC_RELEASE);
    int status = perftrampoline_activate(to);
    double took = now_us() - start;
    __atomic_store_n(&activation_done, 1, __ATOMIC_RELEASE);
    pthread_join(thread, 0);
    if (status != PERFTRAMPOLINE_OK) {
        fprintf(stderr, "fork-probe: %s\n", perftrampoline_last_error());
        return 2;
    }
    printf("activation_us %.0f during %ld longest_first_entry_us %.0f late %ld first_late_us %.0f\n", took, late.during,
           late.longest_us, late.made, late.first_us);
    return 0;
}

static const char *off_mode;

// Sends the OFF once the new file is being written (the dump's aside copy, or the map claimed in
// place, has content): the activation is then in progress, whatever the machine's speed (a
// fixed delay raced a release build's 22 ms catch-up).
static void *send_off_soon(void *unused) {
    (void)unused;
    char path[96];
    snprintf(path, sizeof path, strcmp(off_mode, "jitdump") == 0 ? "/tmp/.jit-%d.dump.partial" : "/tmp/perf-%d.map",
             (int)getpid());
    wait_for_content(path);
    raise(SIGUSR2);
    return 0;
}

int fork_probe_catch_up_off(long stubs, const char *mode) {
    // The stubs are made in the other mode, so that MODE's file has all of them to catch up.
    const char *other = strcmp(mode, "jitdump") == 0 ? "perf" : "jitdump";
    if (perftrampoline_install_signal_switch(SIGUSR2, mode) != PERFTRAMPOLINE_OK) {
        fprintf(stderr, "fork-probe: %s\n", perftrampoline_last_error());
        return 2;
    }
    if (fork_probe_make_stubs(stubs, other) != 0) return 2;
    perftrampoline_deactivate();
    printf("pid %d\n", (int)getpid());
    off_mode = mode;
    pthread_t thread;
    if (pthread_create(&thread, 0, send_off_soon, 0) != 0) return 2;
    raise(SIGUSR2);  // ON: applied below
    double start = now_us();
    __atomic_store_n(&activation_started, 1, __ATOMIC_RELEASE);
    perftrampoline_apply_pending_switch();
    double took = now_us() - start;
    pthread_join(thread, 0);
    perftrampoline_apply_pending_switch();
    char status[512];
    (void)perftrampoline_status(status, sizeof status);
    printf("apply_us %.0f status %s\n", took, status);
    return 0;
}

static void *switch_to_jitdump(void *unused) {
    (void)unused;
    __atomic_store_n(&activation_started, 1, __ATOMIC_RELEASE);
    if (perftrampoline_activate("jitdump") != PERFTRAMPOLINE_OK) fprintf(stderr, "fork-probe: %s\n", perftrampoline_last_error());
    __atomic_store_n(&activation_done, 1, __ATOMIC_RELEASE);
    return 0;
}

// STUBS stubs in perf-map mode, then a thread that switches to jitdump (`thread`); 0 or 2.
static int start_switching_to_jitdump(long stubs, pthread_t *thread) {
    if (fork_probe_make_stubs(stubs, "perf") != 0) return 2;
    printf("pid %d\n", (int)getpid());
    fflush(stdout);
    return pthread_create(thread, 0, switch_to_jitdump, 0) == 0 ? 0 : 2;
}

int fork_probe_catch_up_fork(long stubs) {
    pthread_t thread;
    if (start_switching_to_jitdump(stubs, &thread) != 0) return 2;
    while (!__atomic_load_n(&activation_started, __ATOMIC_ACQUIRE)) usleep(100);
    usleep(20000);
    int during = !__atomic_load_n(&activation_done, __ATOMIC_ACQUIRE);
    pid_t child = fork();
    if (child < 0) return 2;
    char status[512];
    if (child == 0) {
        perftrampoline_slot slot = PERFTRAMPOLINE_SLOT_INIT;
        perftrampoline_stub stub = perftrampoline_stub_for(&slot, "c::child_new");
        intptr_t result = stub ? stub(0, 0, 1, evaluate) : evaluate(0, 0, 1);
        (void)perftrampoline_status(status, sizeof status);
        printf("child status %s\nchild stub %s\n", status, stub && result == 2 ? "yes" : "no");
        fflush(stdout);
        _exit(0);
    }
    int code = 0;
    waitpid(child, &code, 0);
    pthread_join(thread, 0);
    (void)perftrampoline_status(status, sizeof status);
    printf("forked during activation %s\nchild pid %d\nchild exit %d\nparent status %s\n", during ? "yes" : "no",
           (int)child, WIFEXITED(code) ? WEXITSTATUS(code) : -1, status);
    return 0;
}

int fork_probe_catch_up_exit(long stubs) {
    pthread_t thread;
    if (start_switching_to_jitdump(stubs, &thread) != 0) return 2;
    char aside[96];
    snprintf(aside, sizeof aside, "/tmp/.jit-%d.dump.partial", (int)getpid());
    wait_for_content(aside);
    printf("exit during activation %s\n", __atomic_load_n(&activation_done, __ATOMIC_ACQUIRE) ? "no" : "yes");
    fflush(stdout);
    exit(0);
}
