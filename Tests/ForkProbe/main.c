// Fork test programs (ForkTests).
//
//   fork-probe kill STUBS TRIALS [MAX_DELAY_US]
//     Issue 16: fork children are SIGKILLed 0..MAX_DELAY_US (default 10000) after fork(), while
//     their first API call copies the parent's entries into their own perf map; no child map may
//     end in a torn line. Prints "trials T torn X complete C partial P empty E". complete: the
//     child's map has all STUBS lines; empty: killed before the copy was renamed into place;
//     partial: whole lines but fewer (a bug: the copy is atomic); torn: a line that does not parse.
//
//   fork-probe entry
//     Issue 14: with profiling off, the process announces one entry of another code generator
//     (perftrampoline_write_entry), forks, and the child announces another. Prints
//     "pid P" and "child pid C"; the child's entry must be in /tmp/perf-C.map only.
//
//   fork-probe pending-off
//     Issue 23: profiling on with the signal switch (USR2), one function entered, then the
//     switch's signal (OFF, pending: no cold path runs) and fork(). Parent and child must agree
//     that profiling is off: the child prints "child status <status>" and never makes a map.
//     Prints "pid P", "child pid C", "parent status <status>".
//
//   fork-probe toggle-threads EXTRA
//     Issue 23: 8 threads each deliver the switch's signal to themselves 1,000 times, at once,
//     plus EXTRA more deliveries; the handler runs on several threads concurrently. No toggle
//     may be lost: after applying, profiling is on (started on) for an even total, off for an
//     odd one. Prints "status <status>".
//
//   fork-probe raw-fork
//     Issue 24: profiling on, one stub, then a fork the library's atfork handlers never see
//     (syscall(SYS_fork)). The child's new stub must go to the child's own map (with the
//     inherited entry), never the parent's. Prints "pid P", "child pid C", "child exit E".
//
//   fork-probe random SEED MODE [FORKS [STEPS]]
//     Issue 23: threads, releases, signals and forks at random (interleaving.c).
//
//   fork-probe exec STUBS MODE
//     Issue 23, item 4: profiling on in MODE (perf or jitdump) with STUBS stubs, then fork()
//     and, in the child, execl("/bin/true"). The child must leave no map and no dump.
//     Prints "pid P", "child pid C", "child exit E".
//
//   fork-probe catch-up STUBS FROM TO, fork-probe catch-up-off STUBS MODE
//     Issue 23: activating with many entries to catch up (catch_up.c).
//
//   fork-probe cost STUBS MODE CHILD
//     Issue 23: what one fork costs with STUBS stubs named in MODE (perf, jitdump or off), for a
//     child that ends with CHILD: exec (execl /bin/true), _exit, or exit. Prints the medians of
//     21 forks: "fork_us F reaped_us R" (the parent's fork() call; fork() to waitpid's return).
//
// Exits 0 (the test judges), or 2 on a setup problem.
#include <perftrampoline.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// 1: every line is "HEX HEX NAME\n"; sets *lines. 0: a torn or malformed line.
static int check_map(const char *path, long *lines) {
    FILE *file = fopen(path, "r");
    *lines = 0;
    if (!file) return 1;  // no map at all: nothing torn
    char line[8192];
    int ok = 1;
    while (fgets(line, sizeof line, file)) {
        size_t length = strlen(line);
        char *end;
        if (length == 0 || line[length - 1] != '\n') { ok = 0; break; }
        strtoull(line, &end, 16);
        if (end == line || *end != ' ') { ok = 0; break; }
        char *size = end + 1;
        strtoull(size, &end, 16);
        if (end == size || *end != ' ' || end[1] == '\n') { ok = 0; break; }
        (*lines)++;
    }
    fclose(file);
    return ok;
}

static intptr_t evaluate(void *vm, void *code, intptr_t argument) { (void)vm; (void)code; return argument + 1; }

// Deletes the perf map and the jitdump of process `pid` (the probe's own processes only).
void fork_probe_remove_files(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/perf-%d.map", (int)pid);
    remove(path);
    snprintf(path, sizeof path, "/tmp/jit-%d.dump", (int)pid);
    remove(path);
}

// STUBS stubs named c::f_0 … in MODE ("off": none made); 0, or 2 on a setup problem. The slots
// stay allocated: their stubs stay in use.
int fork_probe_make_stubs(long stubs, const char *mode) {
    if (strcmp(mode, "off") == 0) return 0;
    if (perftrampoline_activate(mode) != PERFTRAMPOLINE_OK) {
        fprintf(stderr, "fork-probe: %s\n", perftrampoline_last_error());
        return 2;
    }
    perftrampoline_slot *slots = calloc((size_t)stubs, sizeof *slots);
    if (!slots && stubs > 0) return 2;
    char name[64];
    for (long i = 0; i < stubs; i++) {
        snprintf(name, sizeof name, "c::f_%ld", i);
        perftrampoline_stub stub = perftrampoline_stub_for(&slots[i], name);
        if (!stub || stub(0, 0, 1, evaluate) != 2) return 2;
    }
    return 0;
}

static int fork_then_exec(long stubs, const char *mode) {
    if (fork_probe_make_stubs(stubs, mode) != 0) return 2;
    printf("pid %d\n", (int)getpid());
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) return 2;
    if (child == 0) {
        execl("/bin/true", "true", (char *)0);
        _exit(127);
    }
    int code = 0;
    waitpid(child, &code, 0);
    printf("child pid %d\nchild exit %d\n", (int)child, WIFEXITED(code) ? WEXITSTATUS(code) : -1);
    return 0;
}

static double microseconds_since(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) * 1e6 + (double)(now.tv_nsec - start->tv_nsec) / 1e3;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int fork_cost(long stubs, const char *mode, const char *ending) {
    if (fork_probe_make_stubs(stubs, mode) != 0) return 2;
    enum { rounds = 21 };
    double forked[rounds], reaped[rounds];
    for (int round = 0; round < rounds; round++) {
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        pid_t child = fork();
        if (child < 0) return 2;
        if (child == 0) {
            if (strcmp(ending, "exec") == 0) execl("/bin/true", "true", (char *)0);
            if (strcmp(ending, "exit") == 0) exit(0);
            _exit(0);
        }
        forked[round] = microseconds_since(&start);
        int code = 0;
        waitpid(child, &code, 0);
        reaped[round] = microseconds_since(&start);
        fork_probe_remove_files(child);
    }
    qsort(forked, rounds, sizeof forked[0], compare_doubles);
    qsort(reaped, rounds, sizeof reaped[0], compare_doubles);
    printf("pid %d\nfork_us %.1f reaped_us %.1f\n", (int)getpid(), forked[rounds / 2], reaped[rounds / 2]);
    fork_probe_remove_files(getpid());
    return 0;
}

static int pending_off_then_fork(void) {
    if (perftrampoline_install_signal_switch(SIGUSR2, "perf") != PERFTRAMPOLINE_OK ||
        perftrampoline_activate("perf") != PERFTRAMPOLINE_OK) {
        fprintf(stderr, "fork-probe: %s\n", perftrampoline_last_error());
        return 2;
    }
    perftrampoline_slot before = PERFTRAMPOLINE_SLOT_INIT;
    perftrampoline_stub stub = perftrampoline_stub_for(&before, "c::before_off");
    if (!stub || stub(0, 0, 1, evaluate) != 2) return 2;
    raise(SIGUSR2);  // OFF, applied at the next cold path: the fork comes first
    printf("pid %d\n", (int)getpid());
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) return 2;
    char status[256];
    if (child == 0) {
        perftrampoline_slot after = PERFTRAMPOLINE_SLOT_INIT;
        perftrampoline_stub late = perftrampoline_stub_for(&after, "c::child_after_off");
        (void)perftrampoline_status(status, sizeof status);
        printf("child status %s\nchild stub %s\n", status, late ? "yes" : "no");
        fflush(stdout);
        _exit(0);
    }
    int code = 0;
    waitpid(child, &code, 0);
    (void)perftrampoline_status(status, sizeof status);
    printf("child pid %d\nparent status %s\nchild exit %d\n", (int)child, status, WIFEXITED(code) ? WEXITSTATUS(code) : -1);
    return 0;
}

static void *toggle_thousand_times(void *unused) {
    (void)unused;
    for (int i = 0; i < 1000; i++) raise(SIGUSR2);
    return 0;
}

static int toggle_from_threads(long extra) {
    if (perftrampoline_install_signal_switch(SIGUSR2, "perf") != PERFTRAMPOLINE_OK ||
        perftrampoline_activate("perf") != PERFTRAMPOLINE_OK) {
        fprintf(stderr, "fork-probe: %s\n", perftrampoline_last_error());
        return 2;
    }
    pthread_t threads[8];
    for (int i = 0; i < 8; i++) {
        if (pthread_create(&threads[i], 0, toggle_thousand_times, 0) != 0) return 2;
    }
    for (int i = 0; i < 8; i++) pthread_join(threads[i], 0);
    for (long i = 0; i < extra; i++) raise(SIGUSR2);
    perftrampoline_apply_pending_switch();
    char status[256];
    (void)perftrampoline_status(status, sizeof status);
    printf("status %s\n", status);
    return 0;
}

static int raw_fork(void) {
    if (perftrampoline_activate("perf") != PERFTRAMPOLINE_OK) return 2;
    perftrampoline_slot before = PERFTRAMPOLINE_SLOT_INIT, child_only = PERFTRAMPOLINE_SLOT_INIT,
                        after = PERFTRAMPOLINE_SLOT_INIT;
    perftrampoline_stub stub = perftrampoline_stub_for(&before, "c::parent_before");
    if (!stub || stub(0, 0, 1, evaluate) != 2) return 2;
    printf("pid %d\n", (int)getpid());
    fflush(stdout);
#if defined(SYS_fork)
    long child = syscall(SYS_fork);
#else
    long child = syscall(SYS_clone, (long)SIGCHLD, 0L, 0L, 0L, 0L);  /* aarch64 has no fork syscall */
#endif
    if (child < 0) return 2;
    if (child == 0) {
        perftrampoline_stub own = perftrampoline_stub_for(&child_only, "c::child_only");
        _exit(own && own(0, 0, 1, evaluate) == 2 ? 0 : 3);
    }
    int code = 0;
    waitpid((pid_t)child, &code, 0);
    perftrampoline_stub later = perftrampoline_stub_for(&after, "c::parent_after");
    if (!later || later(0, 0, 1, evaluate) != 2) return 2;
    printf("child pid %ld\nchild exit %d\n", child, WIFEXITED(code) ? WEXITSTATUS(code) : -1);
    return 0;
}

static int entry_then_fork(void) {
    static const unsigned char parent_code[16], child_code[16];
    if (perftrampoline_write_entry(parent_code, sizeof parent_code, "jit::parent_entry") != PERFTRAMPOLINE_OK) {
        fprintf(stderr, "fork-probe: %s\n", perftrampoline_last_error());
        return 2;
    }
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) return 2;
    if (child == 0) {
        int status = perftrampoline_write_entry(child_code, sizeof child_code, "jit::child_entry");
        _exit(status == PERFTRAMPOLINE_OK ? 0 : 3);
    }
    int status = 0;
    waitpid(child, &status, 0);
    printf("child status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    printf("child pid %d\n", (int)child);
    printf("pid %d\n", (int)getpid());
    return 0;
}

static int kill_while_copying(int argc, const char **argv);
int random_interleaving(const char *seed, const char *mode, int forks, long steps);  // interleaving.c
int fork_probe_catch_up(long stubs, const char *from, const char *to);  // catch_up.c
int fork_probe_catch_up_off(long stubs, const char *mode);  // catch_up.c
int fork_probe_catch_up_fork(long stubs);  // catch_up.c
int fork_probe_catch_up_exit(long stubs);  // catch_up.c

int main(int argc, const char **argv) {
    if (argc >= 2 && strcmp(argv[1], "entry") == 0) return entry_then_fork();
    if (argc >= 2 && strcmp(argv[1], "pending-off") == 0) return pending_off_then_fork();
    if (argc >= 2 && strcmp(argv[1], "raw-fork") == 0) return raw_fork();
    if (argc >= 3 && strcmp(argv[1], "toggle-threads") == 0) return toggle_from_threads(strtol(argv[2], NULL, 10));
    if (argc >= 4 && strcmp(argv[1], "random") == 0) return random_interleaving(argv[2], argv[3], argc >= 5 ? atoi(argv[4]) : 3, argc >= 6 ? strtol(argv[5], NULL, 10) : 0);
    if (argc >= 4 && strcmp(argv[1], "exec") == 0) return fork_then_exec(strtol(argv[2], NULL, 10), argv[3]);
    if (argc >= 5 && strcmp(argv[1], "cost") == 0) return fork_cost(strtol(argv[2], NULL, 10), argv[3], argv[4]);
    if (argc >= 4 && strcmp(argv[1], "kill") == 0) return kill_while_copying(argc - 1, argv + 1);
    if (argc >= 5 && strcmp(argv[1], "catch-up") == 0) return fork_probe_catch_up(strtol(argv[2], NULL, 10), argv[3], argv[4]);
    if (argc >= 3 && strcmp(argv[1], "catch-up-exit") == 0) return fork_probe_catch_up_exit(strtol(argv[2], NULL, 10));
    if (argc >= 3 && strcmp(argv[1], "catch-up-fork") == 0) return fork_probe_catch_up_fork(strtol(argv[2], NULL, 10));
    if (argc >= 4 && strcmp(argv[1], "catch-up-off") == 0) return fork_probe_catch_up_off(strtol(argv[2], NULL, 10), argv[3]);
    fprintf(stderr, "usage: fork-probe kill STUBS TRIALS [MAX_DELAY_US] | fork-probe entry\n");
    return 2;
}

static int kill_while_copying(int argc, const char **argv) {
    long stubs = strtol(argv[1], NULL, 10), trials = strtol(argv[2], NULL, 10);
    int max_delay = argc > 3 ? atoi(argv[3]) : 10000;
    if (max_delay < 1) max_delay = 1;
    const char *mode[] = {argv[0], "-Xperf"};
    if (perftrampoline_configure(2, mode) != PERFTRAMPOLINE_MODE_PERF_MAP) {
        fprintf(stderr, "fork-probe: profiling did not start\n");
        return 2;
    }
    perftrampoline_slot *slots = calloc((size_t)stubs, sizeof *slots);
    for (long i = 0; i < stubs; i++) {
        char name[64];
        snprintf(name, sizeof name, "probe::f%ld:fork_kill.c", i);
        if (!perftrampoline_make_stub(&slots[i], name)) {
            fprintf(stderr, "fork-probe: stub %ld: %s\n", i, perftrampoline_last_error());
            return 2;
        }
    }
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    long torn = 0, complete = 0, partial = 0, empty = 0;
    for (long t = 0; t < trials; t++) {
        fflush(stdout);
        pid_t child = fork();
        if (child < 0) return 2;
        if (child == 0) {
            // The child's first API call takes up its own map: the copy the kill interrupts.
            perftrampoline_apply_pending_switch();
            for (;;) pause();
        }
        usleep((useconds_t)(rand() % max_delay));
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        char path[64], temporary[64];
        snprintf(path, sizeof path, "/tmp/perf-%d.map", (int)child);
        snprintf(temporary, sizeof temporary, "/tmp/.perf-%d.map.partial", (int)child);
        long lines = 0;
        if (!check_map(path, &lines)) torn++;
        else if (lines == stubs) complete++;
        else if (lines == 0) empty++;
        else partial++;
        unlink(path);
        unlink(temporary);
    }
    printf("trials %ld torn %ld complete %ld partial %ld empty %ld\n", trials, torn, complete, partial, empty);
    printf("pid %d\n", (int)getpid());
    return 0;
}
